//! The HTTP middleware, one file per concern; this one sets the order: one `tower::ServiceBuilder`
//! around the router ([`around_app`]), a request passing it top to bottom, every future named and
//! none boxed but a write's rate-limit count. The outermost, request id and trace ([`Middleware`]),
//! is by hand: as tower-http layers they cost /api/hello a fifth more CPU. [`around_api`] adds
//! `cors`; [`around_pages`] the render limit and the mark [`http_cache::Finite`].

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
pub mod route;
pub mod security_headers;
pub mod timeout;
pub mod trace;

use std::{
    convert::Infallible,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll, ready},
    time::Instant,
};

use axum::{
    BoxError, Router,
    body::{Body, Bytes, HttpBody},
    extract::{MatchedPath, Request},
    http::HeaderValue,
    response::Response,
};
use leptos::config::LeptosOptions;
use pin_project_lite::pin_project;
use tower::{Service, ServiceBuilder, timeout::Timeout};
use tracing::Span;

use crate::{
    config::{AllowedHosts, HttpConfig},
    db::Db,
    preview::PreviewMode,
    telemetry::{self, metrics::InFlight, trace_context::RequestTrace},
};
use guard::{Guard, WriteChecks};
use http_cache::HttpCache;

pub use security_headers::provide_page_nonce;

/// Inside the request id and the trace, innermost last: compression (error pages included), panics
/// as 500, the guard, the timeout (bounding the rate limit's count, the handler, the body read for
/// its ETag), the HTTP cache, the write checks, the router.
type Inner = compression::Compressed<
    catch_panic::PanicsAnswered<Guard<Timeout<HttpCache<WriteChecks<Router>>>>>,
>;

/// The application as the server runs it: the router inside the whole middleware stack.
pub type App = Middleware<Inner>;

/// Wraps pages, API and static files in the middleware; the rate limit counts writes in `db`
/// (shared by every instance on PostgreSQL).
pub fn around_app(
    app: Router,
    http: &HttpConfig,
    allowed_hosts: AllowedHosts,
    leptos: &LeptosOptions,
    preview: PreviewMode,
    db: Db,
) -> App {
    let settings = Arc::new(guard::Settings {
        allowed_hosts,
        page_policy: security_headers::PagePolicy::new(leptos, http.csp_report_uri.as_ref()),
        timeout: http.request_timeout,
    });
    let rate_limiter = http
        .rate_limit_per_minute
        .map(|limit| rate_limit::RateLimiter::per_minute(limit, db));
    ServiceBuilder::new()
        .layer_fn(|inner| Middleware { inner })
        .layer(compression::layer())
        .layer(catch_panic::layer())
        .layer_fn(|inner| Guard::new(inner, Arc::clone(&settings)))
        .timeout(http.request_timeout)
        .layer_fn(|inner| HttpCache::new(inner, preview.clone()))
        .layer_fn(|inner| WriteChecks::new(inner, rate_limiter.clone()))
        .service(app)
}

/// Names each routed request's span and metrics after its route template (`route.rs`), when the
/// metrics, the traces or the JSON log want it.
pub fn around_routes<S>(router: Router<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    match telemetry::routes_wanted() {
        true => router.layer(route::RouteLayer),
        false => router,
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

/// Wraps the pages (and the 404 page and folder files of the fallback) in the render limit, and
/// marks their answers as bodies that end, for the HTTP cache.
pub fn around_pages<S>(pages: Router<S>, http: &HttpConfig) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    pages.layer(
        ServiceBuilder::new()
            .map_response(|mut response: Response| {
                response.extensions_mut().insert(http_cache::Finite);
                response
            })
            .layer(render_limit::layer(http.render_limit)),
    )
}

/// Whether `path` is the API's (`/api` or under `/api/`), as opposed to a page or a static file.
fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

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

    /// The request id and the trace on the way in; [`Answer`] does their part on the way out.
    fn call(&mut self, request: Request) -> Self::Future {
        let started = Instant::now();
        let request_id = request_id::of(&request);
        let span = trace::span(&request, &request_id);
        let trace = telemetry::trace_context::start_request(&span, &request);
        let in_flight = telemetry::metrics::request_started(request.method(), started);
        // Inside the span and the trace: whatever the steps below log must name the request.
        let answer = {
            let _attached = trace.as_ref().map(RequestTrace::attach);
            span.in_scope(|| self.inner.call(request))
        };
        Answer {
            answer,
            span,
            started,
            request_id: Some(request_id),
            in_flight,
            trace,
        }
    }
}

pin_project! {
    /// A named future, not an `async` block: that would keep the request beside the inner future,
    /// to be boxed and copied on every request.
    pub struct Answer<F> {
        #[pin]
        answer: F,
        span: Span,
        started: Instant,
        request_id: Option<HeaderValue>,
        // `Some` while counted in the metrics (`METRICS_ADDR` set).
        in_flight: Option<InFlight>,
        // `Some` when the request is in a trace: an exported one, or its `traceparent`'s.
        trace: Option<RequestTrace>,
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
        let _attached = this.trace.as_ref().map(RequestTrace::attach);
        let Ok(response) = ready!(this.answer.poll(cx));
        let mut response = response.map(Body::new);
        if let Some(request_id) = this.request_id.take() {
            request_id::echo(&mut response, request_id);
        }
        trace::finished(&response, *this.started);
        if let Some(in_flight) = this.in_flight.take() {
            let route = response.extensions().get::<MatchedPath>();
            in_flight.answered(route.map(MatchedPath::as_str), response.status());
        }
        if let Some(trace) = this.trace.take() {
            trace.answered(response.status());
        }
        Poll::Ready(Ok(response))
    }
}
