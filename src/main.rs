//! The server binary (`cargo leptos watch` in development, `scripts/release.sh` for the one-file
//! release) and its command line: `serve` (also what runs with no command, as cargo-leptos and AWS
//! Lambda start it), `healthcheck`, `pack`, `copy-db`; `--help` on each says what it does.

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use leptos_api_routes::{
    config::{self, Config},
    runtime::{Server, healthcheck, lambda, listener, systemd},
    site::{self, Site},
    telemetry,
};
use tokio::signal::unix::{SignalKind, signal};

/// Rendering allocates many small strings, glibc's malloc serves slower under load (bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Leptos API routes: pages, a JSON and GraphQL API, and the site's files, from one binary.
#[derive(Parser)]
#[command(name = "leptos-api-routes")]
struct Cli {
    /// Without a command: serve.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve, with the settings of the environment and `.env`, until SIGINT or SIGTERM (under AWS
    /// Lambda: answer the function's invocations).
    Serve,
    /// Exit 0 when the server at LEPTOS_SITE_ADDR answers /api/health with 200 (container health
    /// checks: the image has no curl).
    Healthcheck,
    /// Write OUT: this binary with the built site folder SITE in it, the file a release deploys.
    Pack {
        /// The built site (`target/site`).
        site: PathBuf,
        /// The file to write.
        out: PathBuf,
    },
    /// Copy a SQLite database into an empty PostgreSQL one.
    CopyDb {
        /// `--from sqlite://… --to postgres://…`: the database to copy, and the empty one to fill.
        /// Checked by `copy-db` itself, which names what is wrong in one line.
        #[arg(
            value_name = "--from URL --to URL",
            trailing_var_arg = true,
            allow_hyphen_values = true
        )]
        arguments: Vec<String>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let command = match Cli::try_parse() {
        Ok(cli) => cli.command.unwrap_or(Command::Serve),
        // `--help`, on stdout.
        Err(error) if !error.use_stderr() => error.exit(),
        Err(error) => {
            // In lower case, as this binary's other lines ("error: …"), which scripts match.
            eprint!(
                "{}",
                error.render().to_string().replacen("Usage:", "usage:", 1)
            );
            return ExitCode::from(2);
        }
    };
    // A missing .env is normal; a malformed one is a configuration error like any other.
    if let Err(error) = dotenvy::dotenv()
        && !error.not_found()
    {
        eprintln!("error: cannot read .env: {error}");
        return ExitCode::FAILURE;
    }
    // The log's format and the traces first: every line after this one follows them.
    let telemetry_settings = match config::telemetry_from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(error) = telemetry::init(&telemetry_settings) {
        eprintln!("error: OTEL_EXPORTER_OTLP_ENDPOINT: cannot export traces: {error}");
        return ExitCode::FAILURE;
    }

    let outcome = match command {
        // Widened: serving's errors are `Send + Sync`, as `lambda_http` needs them.
        Command::Serve => serve()
            .await
            .map_err(|error| -> Box<dyn std::error::Error> { error }),
        Command::Healthcheck => healthcheck::check_from_env().await.map_err(Into::into),
        Command::Pack { site, out } => pack(site, out),
        Command::CopyDb { arguments } => copy_db(arguments).await,
    };
    // The spans not yet exported leave before the process does.
    telemetry::shutdown().await;
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> Result<(), lambda::BoxError> {
    if let Some(function) = lambda::Function::from_env() {
        return function.serve(settings()).await;
    }
    let (config, site) = settings()?;
    let shutdown = shutdown_signal()?;
    let server = Server::bind(config, site).await?;
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

/// The settings, with the site this binary carries, if any.
fn settings() -> Result<(Config, Site), lambda::BoxError> {
    let config = Config::from_env()?;
    let site = Site::of_running_binary()?;
    match site.embedded_files() {
        0 => tracing::info!("serving the site from {}", config.leptos.site_root),
        files => tracing::info!("serving the site built into this binary ({files} files)"),
    }
    Ok((config, site))
}

fn pack(site_root: PathBuf, out: PathBuf) -> Result<(), Box<dyn std::error::Error>> {
    let options = config::leptos_options_from_env()?;
    let packed = site::pack::pack_binary(
        &std::env::current_exe()?,
        &site_root,
        &options.output_name,
        &out,
    )?;
    println!(
        "{}: {} bytes ({} of program, {} files of site from {})",
        out.display(),
        packed.total_bytes,
        packed.program_bytes,
        packed.files,
        site_root.display(),
    );
    Ok(())
}

/// `copy-db --from sqlite://… --to postgres://…`, with a line of progress per chunk of rows.
async fn copy_db(arguments: Vec<String>) -> Result<(), Box<dyn std::error::Error>> {
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
        "copy-db: done: {} posts, {} comments, {} webhook deliveries, {} cached trivia answers, \
         {} users, {} sessions, {} API tokens",
        copied.posts,
        copied.comments,
        copied.deliveries,
        copied.trivia,
        copied.users,
        copied.sessions,
        copied.tokens
    );
    Ok(())
}

/// Completes on the first SIGINT or SIGTERM. Registered before the server starts, so a signal
/// during the start is not lost (nor fatal: without a handler, SIGTERM ends the process at once).
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
