//! The API routes, mounted under `/api`: one file per route, named after its URL the way Next.js lays
//! out `pages/api/*`. To add a route, create its file with a `router()` and merge it below.
//!
//! Mounting a route and documenting it are one act: each file's `router()` is a utoipa-axum
//! `OpenApiRouter` whose `routes!(handler)` reads the handler's `#[utoipa::path]`, so the OpenAPI
//! document at `/api/openapi.json` ([`openapi`]) lists exactly what is mounted here.
//!
//! Rules every route follows (see the README's API contract): errors are problem+json
//! ([`error::ApiError`]), other methods get 405 with `Allow`, bodies are limited to
//! [`DEFAULT_BODY_LIMIT`] unless the route's file sets its own.

use axum::{
    Extension, Router,
    extract::{OriginalUri, Request},
    http::{Method, StatusCode, header},
    middleware::{self, Next},
    response::Response,
};
use utoipa_axum::router::OpenApiRouter;

use crate::server::AppState;

pub mod comments;
pub mod error;
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

/// Every API route, plus a problem+json 404 for any other path under `/api`.
pub fn router() -> Router<AppState> {
    let (router, paths) = OpenApiRouter::new()
        .merge(hello::router())
        .merge(health::router())
        .merge(post::router())
        .merge(comments::router())
        .merge(trivia::router())
        .merge(preview::router())
        .merge(webhook::router())
        .merge(graphql::router())
        .merge(openapi::router())
        .split_for_parts();
    router
        .fallback(no_such_route)
        .layer(middleware::from_fn(problem_for_wrong_method))
        .layer(Extension(openapi::Document::new(paths)))
}

/// Unknown `/api/...` paths get JSON, not the HTML 404 page a browser would get.
pub async fn no_such_route(OriginalUri(uri): OriginalUri) -> Response {
    error::problem(
        StatusCode::NOT_FOUND,
        format!("No API route matches {}.", uri.path()),
        None,
    )
}

/// axum answers a method a route does not have with a bare 405; give it the API's problem+json body.
/// axum sets the `Allow` header itself, outside this layer, so the detail points to it.
async fn problem_for_wrong_method(request: Request, next: Next) -> Response {
    let method: Method = request.method().clone();
    let response = next.run(request).await;
    if response.status() != StatusCode::METHOD_NOT_ALLOWED
        || response.headers().contains_key(header::CONTENT_TYPE)
    {
        return response;
    }
    error::problem(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("This route does not answer {method}; the Allow header lists the methods it does."),
        None,
    )
}
