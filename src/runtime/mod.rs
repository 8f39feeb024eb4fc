//! How the one binary runs: [`Server::bind`] then [`Server::run`] serve the app on a socket (the
//! integration tests do the same on port 0, so they exercise what production runs); `lambda/`
//! answers Lambda invocations with the same app instead; `healthcheck` asks a running server.
//! Where the socket comes from is `listener.rs`'s business, the connection loop `serve.rs`'s.

pub mod healthcheck;
pub mod lambda;
pub mod listener;
pub mod metrics_listener;
pub mod serve;
pub mod systemd;

use std::{future::Future, io, net::SocketAddr, time::Duration};

use tokio::net::TcpListener;

use crate::{
    config::{Config, ConfigError, DatabaseUrl},
    db,
    live::Live,
    middleware,
    router::app_for_hosts,
    site::Site,
    state::{AppState, StartError},
};
use listener::{ListenError, Origin};

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error(transparent)]
    Start(#[from] StartError),
    #[error(transparent)]
    Listen(#[from] ListenError),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// A listening, not yet serving, server.
pub struct Server {
    listener: TcpListener,
    origin: Origin,
    app: middleware::App,
    db: db::Db,
    /// `DATABASE_LISTEN_URL`, for the listener [`Server::run`] starts.
    listen_url: Option<DatabaseUrl>,
    live: Live,
    limits: serve::ConnectionLimits,
}

impl Server {
    /// Gets the listening socket (`listener.rs`; port 0 picks a free one), then opens the database.
    /// The hosts served follow from its address ([`crate::config::AllowedHosts::for_listener`])
    /// before the database is opened, so a start refused for them changes nothing.
    pub async fn bind(mut config: Config, site: Site) -> Result<Self, BindError> {
        // First: every connection and database file counts against the open-file limit.
        let open_files = serve::raise_open_file_limit();
        let limits = serve::ConnectionLimits::new(&config.http, open_files)?;
        let site_addr = config.leptos.site_addr;
        let (listener, origin) = listener::obtain(site_addr).await?;
        let listening = listener.local_addr().map_err(|source| ListenError::Bind {
            addr: site_addr,
            source,
        })?;
        let allowed_hosts = config.http.allowed_hosts.for_listener(listening)?;
        let listen_url = config.live.listen_url.clone();
        config.live.max_streams = Some(live_max_streams(&config, &limits)?);
        // Before the app is built: its middleware keeps metrics only if a recorder is installed.
        let metrics = match config.telemetry.metrics_addr {
            Some(addr) => Some(
                metrics_listener::bind(addr)
                    .await
                    .map_err(|source| ListenError::Metrics { addr, source })?,
            ),
            None => None,
        };
        let state = AppState::open(config, site).await?;
        if let Some(metrics) = metrics {
            let addr = metrics
                .local_addr()
                .map_err(|source| ListenError::Metrics {
                    addr: listening,
                    source,
                })?;
            metrics_listener::spawn(metrics, state.db.clone());
            tracing::info!("metrics on http://{addr}/metrics");
        }
        tracing::info!(%allowed_hosts, "hosts served, besides localhost and loopback");
        tracing::info!(
            open_files,
            max_connections = limits.max_connections,
            header_timeout = ?limits.header_timeout,
            idle_timeout = ?limits.idle_timeout,
            "connection limits"
        );
        Ok(Self {
            listener,
            origin,
            db: state.db.clone(),
            listen_url,
            live: state.live.clone(),
            app: app_for_hosts(state, allowed_hosts),
            limits,
        })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// Serves (`serve.rs`) until `shutdown` completes, ends the event streams (which never end on
    /// their own), lets in-flight requests finish, then closes the database (which checkpoints
    /// SQLite's write-ahead log). Meanwhile it has the database listen to other instances.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> io::Result<()> {
        let live = self.live.clone();
        let shutdown = async move {
            shutdown.await;
            live.close();
        };
        let listening = tokio::spawn(keep_trying_to_listen(self.db.clone(), self.listen_url));
        serve::serve(self.listener, self.app, self.limits, shutdown).await;
        listening.abort();
        self.db.close().await;
        Ok(())
    }
}

/// Starts the database's listener (PostgreSQL: other instances' new comments and ended sessions,
/// which turn the sessions cache on: `db/session_cache.rs`), trying again while the database is
/// away. A Lambda function never starts it: its pages read sessions from the database.
async fn keep_trying_to_listen(db: db::Db, listen_url: Option<DatabaseUrl>) {
    let mut wait = Duration::from_millis(100);
    while let Err(error) = db::listen(&db, listen_url.as_ref()).await {
        tracing::warn!(%error, retry_in = ?wait, "cannot LISTEN to the database yet");
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(5));
    }
}

/// `SSE_MAX_STREAMS`, by default half the connection cap: streams hold their connection for as long
/// as a page is open, and the other half stays for pages and the API. Above the cap it stops the
/// start: the streams past it would wait to be accepted instead of being answered 503.
fn live_max_streams(
    config: &Config,
    limits: &serve::ConnectionLimits,
) -> Result<std::num::NonZeroUsize, ConfigError> {
    let cap = limits.max_connections;
    match config.live.max_streams {
        Some(max) if max.get() > cap => Err(ConfigError {
            variable: "SSE_MAX_STREAMS",
            reason: format!("{max} streams do not fit under the connection cap of {cap}"),
        }),
        Some(max) => Ok(max),
        None => Ok(std::num::NonZeroUsize::new(cap / 2).unwrap_or(std::num::NonZeroUsize::MIN)),
    }
}
