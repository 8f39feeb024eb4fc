//! The HTTP middleware, in one place: what happens to every request before it reaches a page or an
//! API route, and to every response on its way out. One file per concern; this one decides the order.
//!
//! Around the whole app ([`around_app`]), outermost first (a request passes them top to bottom, its
//! response bottom to top):
//! 1. `request_id`: an `x-request-id` before anything else looks at the request, and the same id on
//!    every response, including the answers the steps below make themselves;
//! 2. `trace`: the request's span (method, path, id) around everything that may log, and one line
//!    with the status and latency of whatever answer leaves, 403, 429 and 503 included;
//! 3. `security_headers`: the page's CSP nonce on the way in, the headers on every response on the
//!    way out;
//! 4. `rate_limit`: refuses a flood of writes before any of them costs a body read or a database call;
//! 5. `cross_site`: refuses writes to `/api` from other sites' pages;
//! 6. `timeout`: bounds the work below;
//! 7. `compression`: the bodies of everything below, error pages included.
//!
//! Around `/api` only (see [`around_api`]): `cors`, which answers preflights itself (they are safe
//! requests, so the cross-site check lets them by). Around the pages only (see [`around_pages`]):
//! `render_limit`, which bounds how many pages render at once.
//!
//! Steps 1 to 6 are one tower service, [`Middleware`], wrapped around the router from the outside:
//! its `call` does their part on the way in, its future ([`Answer`]) their part on the way out. Why
//! not a layer per concern, or axum's `from_fn`: `Router::layer` wraps every route in a boxed
//! service of its own, and each layer or `from_fn` adds a boxed future, a clone of the services
//! beneath it and a move of the request and of the response, on every request. On `/api/hello`,
//! that was over a third of the server's own instructions (bench/README.md).

pub mod compression;
pub mod cors;
pub mod cross_site;
pub mod rate_limit;
pub mod render_limit;
pub mod request_id;
pub mod security_headers;
pub mod timeout;
pub mod trace;

use std::{
    convert::Infallible,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll, ready},
    time::{Duration, Instant},
};

use axum::{
    BoxError, Router,
    body::{Body, Bytes, HttpBody},
    extract::Request,
    http::HeaderValue,
    response::Response,
};
use leptos::{config::LeptosOptions, nonce::Nonce};
use pin_project_lite::pin_project;
use tower::{Layer, Service};
use tracing::Span;

use crate::config::HttpConfig;

pub use security_headers::provide_page_nonce;

/// The application as the server runs it: the router inside the whole middleware stack.
pub type App = Middleware<compression::Compressed<Router>>;

/// Wraps the whole application (pages, API, static files) in steps 1–7.
pub fn around_app(app: Router, http: &HttpConfig, leptos: &LeptosOptions) -> App {
    Middleware {
        inner: compression::layer().layer(app),
        checks: Arc::new(Checks {
            page_policy: security_headers::PagePolicy::new(leptos),
            rate_limiter: http
                .rate_limit_per_minute
                .map(rate_limit::RateLimiter::per_minute),
            timeout: http.request_timeout,
        }),
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

/// Wraps the pages (and the static files and 404 page of the fallback) in the render limit.
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

/// Steps 1–6 around the service `S`; see the module's header.
#[derive(Clone)]
pub struct Middleware<S> {
    inner: S,
    checks: Arc<Checks>,
}

/// The settings of steps 3–6.
struct Checks {
    page_policy: security_headers::PagePolicy,
    /// `None` when `RATE_LIMIT_PER_MINUTE` is 0.
    rate_limiter: Option<rate_limit::RateLimiter>,
    timeout: Duration,
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

    /// Steps 1–6 on the way in; [`Answer`] does their part on the way out.
    fn call(&mut self, mut request: Request) -> Self::Future {
        let started = Instant::now();
        let request_id = request_id::of(&request);
        let span = trace::span(&request, &request_id);
        let nonce = security_headers::page_nonce(&mut request);
        let checks = &self.checks;
        // Inside the span: a refusal is logged, and the log line must name the request.
        let refusal = span.in_scope(|| {
            checks
                .rate_limiter
                .as_ref()
                .and_then(|limiter| limiter.check(&request))
                .or_else(|| cross_site::check(&request))
        });
        let state = match refusal {
            Some(refusal) => State::Refused {
                refusal: Some(refusal),
            },
            None => State::Routed {
                answer: timeout::bound(started, checks.timeout, self.inner.call(request)),
            },
        };
        Answer {
            state,
            span,
            started,
            request_id: Some(request_id),
            nonce,
            checks: Arc::clone(checks),
        }
    }
}

pin_project! {
    /// The response to one request, and steps 1–6 on its way out.
    ///
    /// Written out as a future rather than an `async` block: a block would keep every variable it
    /// ever holds, the request among them, side by side with the router's future (1.6 KiB in all),
    /// to be boxed and copied on every request. This one is the router's future and a few fields.
    pub struct Answer<F> {
        #[pin]
        state: State<F>,
        span: Span,
        started: Instant,
        request_id: Option<HeaderValue>,
        nonce: Option<Nonce>,
        checks: Arc<Checks>,
    }
}

pin_project! {
    #[project = StateProjection]
    enum State<F> {
        /// Steps 4 or 5 refused the request: this is the answer.
        Refused { refusal: Option<Response> },
        /// The router is answering, within the timeout.
        Routed { #[pin] answer: tokio::time::Timeout<F> },
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
        let response = match this.state.project() {
            StateProjection::Refused { refusal } => refusal
                .take()
                .expect("an answer is not polled again once it is ready"),
            StateProjection::Routed { answer } => match ready!(answer.poll(cx)) {
                Ok(Ok(response)) => response.map(Body::new),
                Err(_elapsed) => timeout::expired(this.checks.timeout),
            },
        };
        let mut response =
            security_headers::add(response, &this.checks.page_policy, this.nonce.as_ref());
        if let Some(request_id) = this.request_id.take() {
            request_id::echo(&mut response, request_id);
        }
        trace::finished(&response, *this.started);
        Poll::Ready(Ok(response))
    }
}
