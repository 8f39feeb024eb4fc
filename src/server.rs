//! The server: shared state, the router (pages + `/api`), and a listener that shuts down gracefully.
//!
//! `main` uses [`Server::bind`] then [`Server::run`]; the integration tests do the same on port 0,
//! so they exercise exactly what production runs.

use std::{
    future::Future,
    io,
    net::SocketAddr,
    ops::Deref,
    sync::{Arc, OnceLock},
};

use axum::{Router, ServiceExt, extract::FromRef};
use leptos::{config::LeptosOptions, prelude::provide_context};
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use tokio::net::TcpListener;

use crate::{
    api,
    api::{openapi, webhook::WebhookKey},
    app::{App, shell},
    config::{Config, HttpConfig},
    db, middleware,
    preview::PreviewMode,
    trivia::TriviaService,
};

/// What every handler can reach: the database, Leptos's options, the trivia client, the middleware
/// settings, the keys of preview mode and of the webhook. Nothing is global.
///
/// Behind one `Arc`: axum hands every request its own clone of the state, and this makes that clone
/// one reference count instead of a copy of every field. Handlers take the part they need with
/// `State<db::Db>`, `State<TriviaService>`… (the `FromRef` impls below).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub db: db::Db,
    pub leptos_options: LeptosOptions,
    pub trivia: TriviaService,
    pub preview: PreviewMode,
    pub webhook: WebhookKey,
    pub http: HttpConfig,
    /// What `GET /api/openapi.json` serves, built at start from the routes `api::router()` mounts.
    pub openapi: openapi::Document,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// `State<T>` for each part a handler (or Leptos) may ask for.
macro_rules! state_parts {
    ($($field:ident: $part:ty),+ $(,)?) => {$(
        impl FromRef<AppState> for $part {
            fn from_ref(state: &AppState) -> Self {
                state.$field.clone()
            }
        }
    )+};
}
state_parts! {
    db: db::Db,
    leptos_options: LeptosOptions,
    trivia: TriviaService,
    preview: PreviewMode,
    webhook: WebhookKey,
    openapi: openapi::Document,
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

/// The whole application: the Leptos pages, the API under `/api`, static files, inside the
/// middleware stack of `src/middleware/`.
pub fn app(state: AppState) -> middleware::App {
    let http = state.http.clone();
    let leptos_options = state.leptos_options.clone();
    let router = Router::new()
        .merge(middleware::around_api(api::router(), &http))
        .merge(middleware::around_pages(pages(&state), &http))
        .with_state(state);
    middleware::around_app(router, &http, &leptos_options)
}

/// The page routes, and the fallback that serves static files and the 404 page.
fn pages(state: &AppState) -> Router<AppState> {
    // Pages read the database directly (never through `/api` over HTTP), so they get the database, the
    // trivia service, and preview mode (to know whether the request may see drafts) too.
    let (db, trivia, preview) = (
        state.db.clone(),
        state.trivia.clone(),
        state.preview.clone(),
    );
    let page_context = move || {
        provide_context(db.clone());
        provide_context(trivia.clone());
        provide_context(preview.clone());
        // The nonce of this response's Content-Security-Policy, for Leptos's inline scripts.
        middleware::provide_page_nonce();
    };
    Router::new()
        .leptos_routes_with_context(state, page_routes(), page_context.clone(), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(page_context, shell))
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
    app: middleware::App,
    db: db::Db,
}

impl Server {
    /// Opens the database (applying migrations) and binds the listening socket.
    /// Port 0 in `LEPTOS_SITE_ADDR` picks a free port; [`Server::local_addr`] tells which.
    pub async fn bind(config: Config) -> Result<Self, StartError> {
        let trivia = TriviaService::new(&config.trivia)?;
        let db = db::open(&config.database_url).await?;
        let addr = config.leptos.site_addr;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Listen { addr, source })?;
        let state = AppState::new(Shared {
            db: db.clone(),
            leptos_options: config.leptos,
            trivia,
            preview: PreviewMode::new(config.preview_secret),
            webhook: WebhookKey::new(config.webhook_secret),
            http: config.http,
            openapi: api::document(),
        });
        Ok(Self {
            listener,
            app: app(state),
            db,
        })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, lets in-flight requests finish, then closes the database
    /// (which checkpoints SQLite's write-ahead log). Each request learns its peer's address
    /// (`ConnectInfo`), which the rate limiter counts by.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> io::Result<()> {
        let service = self.app.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown)
            .await?;
        self.db.close().await;
        Ok(())
    }
}
