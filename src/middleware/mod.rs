//! The HTTP middleware, in one place: what happens to every request before it reaches a page or an
//! API route, and to every response on its way out. One file per concern; this one decides the order.
//!
//! Around the whole app ([`around_app`]), outermost first (a request passes them top to bottom, its
//! response bottom to top):
//! 1. `request_id`: an `x-request-id` before anything else looks at the request, and the same id on
//!    every response, including the answers the steps below make themselves;
//! 2. `trace`: the request's span (method, path, id) around everything that may log, and one line
//!    with the status and latency of whatever answer leaves, 403, 429 and 503 included;
//! 3. `compression`: the bodies of everything below, error pages included; inside it,
//!    `catch_panic`: a panic below is a 500 problem, not a connection dropped without an answer;
//! 4. [`guard`], one service for the HTTP cache and the steps that are plain checks and header
//!    edits, in this order:
//!    `request_form` (answers CONNECT, `OPTIONS *` and unknown transfer codings before anything
//!    reads them), `hosts` (400 for a request to a host not served here, before anything reads
//!    the host), `security_headers` (the page's CSP nonce on the way in, the headers on every
//!    full response on the way out), `rate_limit` (refuses a flood of writes before any of them costs a body
//!    read or a handler), `cross_site` (refuses writes to `/api` from other sites' pages),
//!    `http_cache` (the ETag of pages and API answers, and 304 when the client has that version
//!    already; inside compression, so it hashes what the handler wrote, and its 304 carries none
//!    of the headers that describe the full answer), `timeout` (bounds all of it: the rate
//!    limit's count, a query on PostgreSQL, the handler and the layers around `/api`, the reading
//!    of a body for its ETag).
//!
//! Around `/api` only (see [`around_api`]): `cors`, which answers preflights itself (they are safe
//! requests, so the cross-site check lets them by). Around the pages only (see [`around_pages`]):
//! `render_limit`, which bounds how many pages render at once.
//!
//! Steps 1 and 2 are one tower service, [`Middleware`], wrapped around the router from the outside:
//! its `call` does their part on the way in, its future ([`Answer`]) their part on the way out;
//! step 4 is another, [`guard::Guard`], inside compression. Why not a layer each, or axum's
//! `from_fn`: `Router::layer` wraps every route in a boxed service of its own, and each layer or
//! `from_fn` adds a boxed future, a clone of the services beneath it and a move of the request and
//! of the response, on every request; on `/api/hello` that was over a third of the server's own
//! instructions, and the last two `from_fn` layers about 5 % of its throughput (bench/README.md).

pub mod catch_panic;
pub mod compression;
pub mod cors;
pub mod cross_site;
pub mod guard;
pub mod hosts;
pub mod http_cache;
pub mod rate_limit;
pub mod render_limit;
pub mod request_form;
pub mod request_id;
pub mod security_headers;
pub mod timeout;
pub mod trace;

use std::{
    convert::Infallible,
    future::Future,
    pin::Pin,
    task::{Context, Poll, ready},
    time::Instant,
};

use axum::{
    BoxError, Router,
    body::{Body, Bytes, HttpBody},
    extract::Request,
    http::HeaderValue,
    response::Response,
};
use leptos::config::LeptosOptions;
use pin_project_lite::pin_project;
use tower::{Layer, Service};
use tracing::Span;

use crate::{
    config::{AllowedHosts, HttpConfig},
    db::Db,
    preview::PreviewMode,
};
use guard::Guard;

pub use security_headers::provide_page_nonce;

/// The application as the server runs it: the router inside the whole middleware stack.
pub type App = Middleware<compression::Compressed<catch_panic::PanicsAnswered<Guard<Router>>>>;

/// Wraps the whole application (pages, API, static files) in steps 1–4. `allowed_hosts`: the
/// hosts served, as resolved for where the app runs; `preview` tells `http_cache` which answers
/// are personal; the rate limit counts writes in `db` (shared by every instance when it is
/// PostgreSQL).
pub fn around_app(
    app: Router,
    http: &HttpConfig,
    allowed_hosts: AllowedHosts,
    leptos: &LeptosOptions,
    preview: PreviewMode,
    db: Db,
) -> App {
    let checks = guard::Checks {
        allowed_hosts,
        page_policy: security_headers::PagePolicy::new(leptos, http.csp_report_uri.as_ref()),
        rate_limiter: http
            .rate_limit_per_minute
            .map(|limit| rate_limit::RateLimiter::per_minute(limit, db)),
        timeout: http.request_timeout,
        preview,
    };
    Middleware {
        inner: compression::layer().layer(catch_panic::layer().layer(Guard::new(app, checks))),
    }
}

/// Wraps the API routes in CORS, when origins are configured.
pub fn around_api<S>(api: Router<S>, http: &HttpConfig) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    match cors::layer(&http.cors_allowed_origins) {
        Some(cors) => api.layer(cors),
        None => api,
    }
}

/// Wraps the pages (and the 404 page and folder files of the fallback) in the render limit.
pub fn around_pages<S>(pages: Router<S>, http: &HttpConfig) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    pages.layer(render_limit::layer(http.render_limit))
}

/// Whether `path` is the API's (`/api` or under `/api/`), as opposed to a page or a static file.
fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Steps 1 and 2 around the service `S`; see the module's header.
#[derive(Clone)]
pub struct Middleware<S> {
    inner: S,
}

impl<S, B> Service<Request> for Middleware<S>
where
    S: Service<Request, Response = axum::http::Response<B>, Error = Infallible>,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Answer<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    /// Steps 1 and 2 on the way in; [`Answer`] does their part on the way out.
    fn call(&mut self, request: Request) -> Self::Future {
        let started = Instant::now();
        let request_id = request_id::of(&request);
        let span = trace::span(&request, &request_id);
        // Inside the span: whatever the steps below log must name the request.
        let answer = span.in_scope(|| self.inner.call(request));
        Answer {
            answer,
            span,
            started,
            request_id: Some(request_id),
        }
    }
}

pin_project! {
    /// The response to one request, and steps 1 and 2 on its way out.
    ///
    /// Written out as a future rather than an `async` block: a block would keep every variable it
    /// ever holds, the request among them, side by side with the inner future, to be boxed and
    /// copied on every request. This one is the inner future and a few fields.
    pub struct Answer<F> {
        #[pin]
        answer: F,
        span: Span,
        started: Instant,
        request_id: Option<HeaderValue>,
    }
}

impl<F, B> Future for Answer<F>
where
    F: Future<Output = Result<axum::http::Response<B>, Infallible>>,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _in_span = this.span.enter();
        let Ok(response) = ready!(this.answer.poll(cx));
        let mut response = response.map(Body::new);
        if let Some(request_id) = this.request_id.take() {
            request_id::echo(&mut response, request_id);
        }
        trace::finished(&response, *this.started);
        Poll::Ready(Ok(response))
    }
}
