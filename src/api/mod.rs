//! The API routes under `/api`, one file per route named after its URL, as Next.js's `pages/api/*`.
//! To add one, give its file a `router()` (a utoipa-axum `OpenApiRouter`, so mounting documents it)
//! and merge it in [`routes`]. Paths are written in full, not nested under `/api` (nesting costs a
//! routing step per request: docs/performance.md). Errors are problem+json, other methods 405, body
//! limits per route with [`body_limit::BodyLimit`] (docs/api.md).

use axum::{
    Router,
    extract::OriginalUri,
    http::{Method, StatusCode},
    response::Response,
    routing::any,
};
use utoipa_axum::router::OpenApiRouter;

use crate::{problem::problem, state::AppState};

pub mod auth;
pub mod author;
pub mod body_limit;
pub mod comment_events;
pub mod comments;
pub mod extract;
pub mod graphql;
pub mod health;
pub mod hello;
pub mod idempotency;
pub mod openapi;
pub mod post;
pub mod preview;
pub mod trivia;
pub mod webhook;

/// The body limit of a route that does not set its own: 1 MiB, as Next.js's `bodyParser` default.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Every API route, plus problem+json 404s for other paths under `/api` and 405s for other methods.
pub fn router(graphql_introspection: bool) -> Router<AppState> {
    let document = openapi::Document::default();
    let schema = graphql::schema::build(graphql_introspection);
    let (router, paths) = routes(schema, document.clone()).split_for_parts();
    document.describe(paths);
    router
        .route("/api", any(no_such_route))
        .route("/api/", any(no_such_route))
        .route("/api/{*rest}", any(no_such_route))
        .method_not_allowed_fallback(wrong_method)
}

fn routes(
    graphql: graphql::schema::GraphQLSchema,
    document: openapi::Document,
) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(hello::router())
        .merge(health::router())
        .merge(auth::router())
        .merge(post::router())
        .merge(comments::router())
        .merge(comment_events::router())
        .merge(trivia::router())
        .merge(preview::router())
        .merge(webhook::router())
        .merge(graphql::router(graphql))
        .merge(openapi::router(document))
}

/// Unknown `/api/...` paths get JSON, not the HTML 404 page a browser would get.
async fn no_such_route(OriginalUri(uri): OriginalUri) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        format!("No API route matches {}.", uri.path()),
        None,
    )
}

/// axum still adds the `Allow` header, so the detail points to it.
async fn wrong_method(method: Method) -> Response {
    problem(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("This route does not answer {method}; the Allow header lists the methods it does."),
        None,
    )
}
