//! The server binary: `cargo leptos watch` in development, `cargo leptos build --release` for production.
//!
//! Reads its settings from the environment and `.env` (see `config.rs`), opens the database, listens
//! (on `LEPTOS_SITE_ADDR`, or on the socket systemd passes), and serves until SIGINT or SIGTERM.

use std::{io::IsTerminal, process::ExitCode};

use leptos_api_routes::{config::Config, listener, server::Server, systemd};
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

    match start().await {
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
    let origin = match server.origin() {
        listener::Origin::Bound => "",
        listener::Origin::Systemd => " (socket from systemd)",
    };
    tracing::info!("listening on http://{}{origin}", server.local_addr()?);
    systemd::ready();
    server.run(shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on the first SIGINT (Ctrl-C) or SIGTERM (what `kill`, systemd and container
/// runtimes send).
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
        systemd::stopping();
    })
}
