//! The API routes, under `/api`: one file per route, named after its URL the way Next.js lays out
//! `pages/api/*`. To add a route, create its file with a `router()` and merge it in [`routes`]:
//! each `router()` is a utoipa-axum `OpenApiRouter`, so mounting a route documents it in
//! `/api/openapi.json` too. Paths are written out in full and merged, not nested under `/api` (a
//! nested router costs a routing step on every request: docs/performance.md).
//!
//! Every route (docs/api.md): errors are problem+json ([`crate::problem::ApiError`]), other
//! methods get 405 with `Allow`, a route that reads a body sets its limit with
//! [`body_limit::BodyLimit`] (usually [`DEFAULT_BODY_LIMIT`]).

use axum::{
    Router,
    extract::OriginalUri,
    http::{Method, StatusCode},
    response::Response,
    routing::any,
};
use utoipa_axum::router::OpenApiRouter;

use crate::{problem::problem, state::AppState};

pub mod body_limit;
pub mod comments;
pub mod extract;
pub mod graphql;
pub mod health;
pub mod hello;
pub mod openapi;
pub mod post;
pub mod preview;
pub mod trivia;
pub mod webhook;

/// The body limit of a route that does not set its own: 1 MiB, as Next.js's `bodyParser` default.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Every API route, plus a problem+json 404 for any other path under `/api` (`/api` itself
/// included) and a problem+json 405 for a method a route does not answer.
///
/// `graphql_introspection`: whether `/api/graphql` answers introspection (`GRAPHQL_INTROSPECTION`).
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

/// Every API route with its OpenAPI description.
fn routes(
    graphql: graphql::schema::GraphQLSchema,
    document: openapi::Document,
) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(hello::router())
        .merge(health::router())
        .merge(post::router())
        .merge(comments::router())
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

/// A route asked with a method it does not have: 405 with the API's problem+json body. axum still
/// adds the `Allow` header (it lists the route's methods), so the detail points to it.
async fn wrong_method(method: Method) -> Response {
    problem(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("This route does not answer {method}; the Allow header lists the methods it does."),
        None,
    )
}
