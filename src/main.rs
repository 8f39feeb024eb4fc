//! The server binary: `cargo leptos watch` in development, `cargo leptos build --release` for production.
//!
//! Reads its settings from the environment and `.env` (see `config.rs`), opens the database, and serves
//! until SIGINT or SIGTERM. `leptos-api-routes copy-db --from sqlite://… --to postgres://…` copies a
//! SQLite database into an empty PostgreSQL one instead (see `db/copy.rs`).

use std::{io::IsTerminal, process::ExitCode};

use leptos_api_routes::{config::Config, server::Server};
use tokio::signal::unix::{SignalKind, signal};
use tracing_subscriber::EnvFilter;

/// mimalloc instead of the system allocator: rendering a page allocates and frees many small
/// strings, which glibc's malloc serves markedly slower under load (see bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    // A missing .env is normal; a malformed one is a configuration error like any other.
    if let Err(error) = dotenvy::dotenv()
        && !error.not_found()
    {
        eprintln!("error: cannot read .env: {error}");
        return ExitCode::FAILURE;
    }
    tracing_subscriber::fmt()
        // Colours for a person at a terminal; plain text for files, journald and the tests reading it.
        .with_ansi(std::io::stdout().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info,sqlx=warn")),
        )
        .init();

    let mut arguments = std::env::args().skip(1);
    let outcome = match arguments.next() {
        None => start().await,
        Some(command) if command == "copy-db" => copy_db(arguments).await,
        Some(other) => Err(format!("unknown command {other:?} (commands: copy-db)").into()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn start() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::from_env()?;
    let shutdown = shutdown_signal()?;
    let server = Server::bind(config).await?;
    tracing::info!("listening on http://{}", server.local_addr()?);
    server.run(shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}

/// `copy-db --from sqlite://… --to postgres://…`, with a line of progress per chunk of rows.
async fn copy_db(
    arguments: impl Iterator<Item = String>,
) -> Result<(), Box<dyn std::error::Error>> {
    use leptos_api_routes::{config::DatabaseConfig, db::copy};

    let (from, to) = copy::parse_arguments(arguments)?;
    let mut progress = |table: &str, copied: u64, total: u64| {
        println!("copy-db: {table}: {copied} of {total}");
    };
    let copied = copy::copy_database(
        &DatabaseConfig::new(from),
        &DatabaseConfig::new(to),
        &mut progress,
    )
    .await?;
    println!(
        "copy-db: done: {} posts, {} comments, {} webhook deliveries, {} cached trivia answers",
        copied.posts, copied.comments, copied.deliveries, copied.trivia
    );
    Ok(())
}

/// Completes on the first SIGINT (Ctrl-C) or SIGTERM (what `kill` and orchestrators send).
///
/// The handlers are registered here, before the server starts, so a signal that arrives while it
/// starts is not lost (or fatal: without a handler, SIGTERM ends the process on the spot).
fn shutdown_signal() -> std::io::Result<impl Future<Output = ()>> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = terminate.recv() => {},
        }
        tracing::info!("shutting down: finishing in-flight requests");
    })
}
