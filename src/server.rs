//! Shared state ([`AppState`]) and the whole application as one router ([`app`]): the pages, `/api`
//! and the site's static files inside the middleware. A server (`runtime/`) and a Lambda function
//! (`runtime/lambda/`) serve exactly this.

use std::{
    ops::Deref,
    sync::{Arc, OnceLock},
};

use axum::{Router, extract::FromRef};
use leptos::{config::LeptosOptions, prelude::provide_context};
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};

use crate::{
    api,
    api::{graphql::schema::GraphQLSchema, openapi, webhook::WebhookKey},
    app::{App, shell},
    config::{AllowedHosts, Config, ConfigError, HttpConfig},
    db, middleware,
    preview::PreviewMode,
    site::Site,
    trivia::TriviaService,
};

/// What every handler can reach: the database, Leptos's options, the trivia client, the middleware
/// settings, the keys of preview mode and of the webhook, the site's static files. Nothing is
/// global.
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
    pub site: Site,
    /// The GraphQL schema of `/api/graphql`, with its limits and `GRAPHQL_INTROSPECTION`.
    pub graphql: GraphQLSchema,
    /// What `GET /api/openapi.json` serves, built at start from the routes `api::router()` mounts.
    pub openapi: openapi::Document,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }

    /// Everything the router needs, from the settings: the trivia client, and the database, opened
    /// and its schema brought up to date. What a server and a Lambda function (`lambda/`) share.
    pub async fn open(config: Config) -> Result<Self, StartError> {
        let trivia = TriviaService::new(&config.trivia)?;
        let db = db::open(&config.database).await?;
        Ok(Self::new(Shared {
            db,
            leptos_options: config.leptos,
            trivia,
            preview: PreviewMode::new(config.preview_secret),
            webhook: WebhookKey::new(config.webhook_secret),
            http: config.http,
            site: config.site,
            graphql: api::graphql::schema::build(config.graphql_introspection),
            openapi: api::document(),
        }))
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
    graphql: GraphQLSchema,
    openapi: openapi::Document,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] db::OpenError),
    #[error("cannot build the trivia HTTP client: {0}")]
    TriviaClient(#[from] reqwest::Error),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// The whole application: the Leptos pages, the API under `/api`, the site's static files, inside
/// the middleware stack of `src/middleware/`.
///
/// Any other path is a page that does not exist (404), or, when the site is served from a folder, a
/// file in it (leptos_axum's file handler); an embedded site has a route per file instead.
///
/// This is the app as a Lambda function runs it, with no listening address: `ALLOWED_HOSTS` as
/// set, else any host ([`AllowedHosts::for_lambda`] says why). A server uses [`app_for_hosts`].
pub fn app(state: AppState) -> middleware::App {
    let allowed_hosts = state.http.allowed_hosts.for_lambda();
    app_for_hosts(state, allowed_hosts)
}

/// [`app`], serving the hosts `allowed_hosts`.
pub fn app_for_hosts(state: AppState, allowed_hosts: AllowedHosts) -> middleware::App {
    let router = Router::new()
        .merge(middleware::around_api(api::router(), &state.http))
        .merge(state.site.routes())
        .merge(middleware::around_pages(pages(&state), &state.http));
    let (http, leptos_options, preview, db) = (
        state.http.clone(),
        state.leptos_options.clone(),
        state.preview.clone(),
        state.db.clone(),
    );
    middleware::around_app(
        router.with_state(state),
        &http,
        allowed_hosts,
        &leptos_options,
        preview,
        db,
    )
}

/// The page routes, and the fallback: the 404 page, and when the site is served from a folder, its
/// files.
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
    let assets = state.site.asset_urls(&state.leptos_options);
    let page_shell = move |options: LeptosOptions| shell(options, assets.clone());
    let pages =
        Router::new().leptos_routes_with_context(state, page_routes(), page_context.clone(), {
            let (options, page_shell) = (state.leptos_options.clone(), page_shell.clone());
            move || page_shell(options.clone())
        });
    match state.site {
        Site::Embedded(_) => {
            pages.fallback(leptos_axum::render_app_async_with_context(page_context, {
                let options = state.leptos_options.clone();
                move || page_shell(options.clone())
            }))
        }
        Site::Folder => pages.fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(page_context, page_shell)),
    }
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
