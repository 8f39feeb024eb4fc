//! The HTTP middleware, in one place: what happens to every request before it reaches a page or an
//! API route, and to every response on its way out. One file per concern; this one decides the order.
//!
//! Around the whole app, outermost first (a request passes them top to bottom, its response bottom
//! to top):
//! 1. `request_id::set`: an `x-request-id` before anything else looks at the request…
//! 2. `request_id::propagate`: …and on every response, including those the layers below make.
//! 3. `trace`: the request's span (method, path, id) around everything that may log; logs the status
//!    and latency of whatever answer leaves, 403, 429 and 503 included.
//! 4. `security_headers`: on every response, whoever made it; makes the pages' CSP nonce.
//! 5. `compression`: the bodies of everything below, error pages included.
//! 6. `timeout`: bounds the work below; the rate limiter's answer is instant, so it sits under it.
//! 7. `rate_limit`: refuses a flood of writes before any of them costs a body read or a database call.
//!
//! Around `/api` only (see [`around_api`]):
//! 8. `cors`: answers preflights itself, so it comes before the checks for writes.
//! 9. `cross_site`: refuses writes from other sites' pages.

pub mod compression;
pub mod cors;
pub mod cross_site;
pub mod rate_limit;
pub mod request_id;
pub mod security_headers;
pub mod timeout;
pub mod trace;

use axum::{Router, middleware::from_fn, middleware::from_fn_with_state};
use leptos::config::LeptosOptions;
use tower::ServiceBuilder;
use tower::util::option_layer;

use crate::config::HttpConfig;

pub use security_headers::provide_page_nonce;

/// Wraps the whole application (pages, API, static files) in layers 1–7.
pub fn around_app(app: Router, http: &HttpConfig, leptos: &LeptosOptions) -> Router {
    let rate_limit = http.rate_limit_per_minute.map(|limit| {
        from_fn_with_state(
            rate_limit::RateLimiter::per_minute(limit),
            rate_limit::limit,
        )
    });
    app.layer(
        ServiceBuilder::new()
            .layer(request_id::set())
            .layer(request_id::propagate())
            .layer(trace::layer())
            .layer(from_fn_with_state(
                security_headers::PagePolicy::new(leptos),
                security_headers::apply,
            ))
            .layer(compression::layer())
            .layer(from_fn_with_state(http.request_timeout, timeout::limit))
            .layer(option_layer(rate_limit)),
    )
}

/// Wraps the API routes in layers 8–9.
pub fn around_api<S>(api: Router<S>, http: &HttpConfig) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let api = api.layer(from_fn(cross_site::protect));
    match cors::layer(&http.cors_allowed_origins) {
        Some(cors) => api.layer(cors),
        None => api,
    }
}
