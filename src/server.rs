//! The server: shared state, the router (pages + `/api`), and a listener that shuts down gracefully.
//!
//! `main` uses [`Server::bind`] then [`Server::run`]; the integration tests do the same on port 0,
//! so they exercise exactly what production runs.

use std::{future::Future, io, net::SocketAddr, sync::OnceLock};

use axum::{Router, extract::FromRef, routing::any};
use leptos::{config::LeptosOptions, prelude::provide_context};
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use sqlx::SqlitePool;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::{
    api,
    app::{App, shell},
    config::Config,
    db,
    trivia::TriviaService,
};

/// What every handler can reach: one pool, Leptos's options, the trivia client. Nothing is global.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub pool: SqlitePool,
    pub leptos_options: LeptosOptions,
    pub trivia: TriviaService,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] db::OpenError),
    #[error("cannot build the trivia HTTP client: {0}")]
    TriviaClient(#[from] reqwest::Error),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
}

/// The whole application as one axum `Router`: the Leptos pages, the API under `/api`, static files.
pub fn router(state: AppState) -> Router {
    let routes = page_routes();
    // Pages read the database directly (never through `/api` over HTTP), so they get the pool and the
    // trivia service too.
    let (pool, trivia) = (state.pool.clone(), state.trivia.clone());
    let page_context = move || {
        provide_context(pool.clone());
        provide_context(trivia.clone());
    };
    Router::new()
        .nest("/api", api::router())
        // `nest` matches `/api` and `/api/…`, not `/api/` itself: an unknown API path all the same.
        .route("/api/", any(api::no_such_route))
        .leptos_routes_with_context(&state, routes, page_context.clone(), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(page_context, shell))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The page routes, worked out once per process by rendering `<App/>` without data.
///
/// Once, not per router: while `generate_route_list` runs, Leptos (0.8) holds back every resource
/// that starts loading anywhere in the process, and such a resource never loads at all
/// (leptos-rs/leptos#4773). A server built while another serves — as the integration tests do —
/// would leave that other server's page requests hanging.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// A bound, not yet serving, server.
pub struct Server {
    listener: TcpListener,
    router: Router,
    pool: SqlitePool,
}

impl Server {
    /// Opens the database (applying migrations) and binds the listening socket.
    /// Port 0 in `LEPTOS_SITE_ADDR` picks a free port; [`Server::local_addr`] tells which.
    pub async fn bind(config: Config) -> Result<Self, StartError> {
        let trivia = TriviaService::new(&config.trivia)?;
        let pool = db::open(&config.database_url).await?;
        let addr = config.leptos.site_addr;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Listen { addr, source })?;
        let state = AppState {
            pool: pool.clone(),
            leptos_options: config.leptos,
            trivia,
        };
        Ok(Self {
            listener,
            router: router(state),
            pool,
        })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, lets in-flight requests finish, then closes the pool
    /// (which checkpoints SQLite's write-ahead log).
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> io::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await?;
        self.pool.close().await;
        Ok(())
    }
}
