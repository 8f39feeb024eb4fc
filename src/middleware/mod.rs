//! The HTTP middleware, in one place: what happens to every request before it reaches a page or an
//! API route, and to every response on its way out. One file per concern; this one decides the order.
//!
//! Around the whole app, outermost first (a request passes them top to bottom, its response bottom
//! to top):
//! 1. `request_id::set`: an `x-request-id` before anything else looks at the request…
//! 2. `request_id::propagate`: …and on every response, including those the layers below make.
//! 3. `trace`: the request's span (method, path, id) around everything that may log; logs the status
//!    and latency of whatever answer leaves, 403, 429 and 503 included.
//! 4. `compression`: the bodies of everything below, error pages included.
//! 5. `http_cache`: the ETag of pages and API answers, and 304 when the client has that version
//!    already; inside compression, so it hashes what the handler wrote, and outside the guard, so
//!    its 304 carries none of the headers that describe the full answer.
//! 6. [`guard`], one function for the steps that are plain checks and header edits, in this order:
//!    `security_headers` (the page's CSP nonce on the way in, the headers on every response on the
//!    way out), `rate_limit` (refuses a flood of writes before any of them costs a body read or a
//!    handler), `cross_site` (refuses writes to `/api` from other sites' pages), `timeout` (bounds
//!    the work below — the handler and the layers around `/api` — and the rate limit's count, a
//!    query on PostgreSQL).
//!
//! Around `/api` only (see [`around_api`]):
//! 7. `cors`: answers preflights itself (they are safe requests, so the cross-site check lets them by).
//!
//! Why one function for step 6 rather than a layer per concern: every `from_fn` layer costs each
//! request a boxed future and a clone of the services beneath it, which showed in the profile of
//! `/api/hello` (see bench/README.md); one function that calls the concerns in order costs that once.

pub mod compression;
pub mod cors;
pub mod cross_site;
pub mod http_cache;
pub mod rate_limit;
pub mod request_id;
pub mod security_headers;
pub mod timeout;
pub mod trace;

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    extract::{Request, State},
    middleware::{Next, from_fn_with_state},
    response::Response,
};
use leptos::config::LeptosOptions;
use tower::ServiceBuilder;

use crate::{config::HttpConfig, db::Db, preview::PreviewMode};

pub use security_headers::provide_page_nonce;

/// Wraps the whole application (pages, API, static files) in layers 1–6. `preview` tells
/// `http_cache` which answers are personal; the rate limit counts writes in `db` (shared by every
/// instance when it is PostgreSQL).
pub fn around_app(
    app: Router,
    http: &HttpConfig,
    leptos: &LeptosOptions,
    preview: PreviewMode,
    db: Db,
) -> Router {
    let checks = Checks {
        page_policy: security_headers::PagePolicy::new(leptos),
        rate_limiter: http
            .rate_limit_per_minute
            .map(|limit| rate_limit::RateLimiter::per_minute(limit, db)),
        timeout: http.request_timeout,
    };
    app.layer(
        ServiceBuilder::new()
            .layer(request_id::set())
            .layer(request_id::propagate())
            .layer(trace::layer())
            .layer(compression::layer())
            .layer(from_fn_with_state(preview, http_cache::revalidate))
            .layer(from_fn_with_state(Arc::new(checks), guard)),
    )
}

/// Wraps the API routes in layer 7.
pub fn around_api<S>(api: Router<S>, http: &HttpConfig) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    match cors::layer(&http.cors_allowed_origins) {
        Some(cors) => api.layer(cors),
        None => api,
    }
}

/// Whether `path` is the API's (`/api` or under `/api/`), as opposed to a page or a static file.
fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// The settings of [`guard`].
struct Checks {
    page_policy: security_headers::PagePolicy,
    /// `None` when `RATE_LIMIT_PER_MINUTE` is 0.
    rate_limiter: Option<rate_limit::RateLimiter>,
    timeout: Duration,
}

/// Layer 6: security headers, rate limit, cross-site check and timeout, in that order.
async fn guard(State(checks): State<Arc<Checks>>, mut request: Request, next: Next) -> Response {
    let nonce = security_headers::page_nonce(&mut request);
    let writer = checks
        .rate_limiter
        .as_ref()
        .zip(rate_limit::writer_address(&request));
    // The timeout bounds the rate limit's count too: on PostgreSQL it is a query.
    let response = timeout::bound(checks.timeout, async move {
        let counted = match writer {
            Some((limiter, address)) => limiter.check(address).await,
            None => None,
        };
        match counted.or_else(|| cross_site::check(&request)) {
            Some(refusal) => refusal,
            None => next.run(request).await,
        }
    })
    .await;
    security_headers::add(response, &checks.page_policy, nonce.as_ref())
}
