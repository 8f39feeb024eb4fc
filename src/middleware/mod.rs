//! The HTTP middleware: what happens to every request before it reaches a page or an API route, and
//! to every response on its way out. One file per concern; this one decides the order, as one
//! `tower::ServiceBuilder` around the router ([`around_app`]): a request passes the layers top to
//! bottom, its response bottom to top. Every future in it is named: no box on the way of a request
//! (but a write's rate-limit count, `guard.rs`).
//!
//! Around `/api` only ([`around_api`]): `cors`, which answers preflights itself. Around the pages
//! only ([`around_pages`]): `render_limit`, which bounds how many pages render at once, and the mark
//! that lets the HTTP cache read a page whole ([`http_cache::Finite`]).

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
    sync::Arc,
    task::{Context, Poll},
};

use axum::{
    BoxError, Router,
    body::{Body, Bytes, HttpBody},
    extract::Request,
    http,
    response::Response,
};
use leptos::config::LeptosOptions;
use pin_project_lite::pin_project;
use tower::{Service, ServiceBuilder, layer::layer_fn, timeout::Timeout, util::MapRequest};
use tower_http::request_id::{
    PropagateRequestId, PropagateRequestIdLayer, SetRequestId, SetRequestIdLayer,
};

use crate::{
    config::{AllowedHosts, HttpConfig},
    db::Db,
    preview::PreviewMode,
};
use guard::{Guard, WriteChecks};
use http_cache::HttpCache;
use request_id::{NewRequestId, REQUEST_ID};

pub use security_headers::provide_page_nonce;

/// The layers inside the trace, innermost last: compression of every body below (error pages
/// included), a 500 problem for a panic below, the guard (with the security headers), the request
/// timeout (bounding the rate limit's count, a query on PostgreSQL, the handler, the reading of a
/// body for its ETag), the HTTP cache, the write checks, and the router.
type Inner = trace::Traced<
    compression::Compressed<
        catch_panic::PanicsAnswered<Guard<Timeout<HttpCache<WriteChecks<Router>>>>>,
    >,
>;

/// The application as the server runs it: the router inside the whole middleware stack.
pub type App = AxumBody<
    MapRequest<SetRequestId<PropagateRequestId<Inner>, NewRequestId>, fn(Request) -> Request>,
>;

/// Wraps the whole application (pages, API, static files) in the middleware. `allowed_hosts`: the
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
    let settings = Arc::new(guard::Settings {
        allowed_hosts,
        page_policy: security_headers::PagePolicy::new(leptos, http.csp_report_uri.as_ref()),
        timeout: http.request_timeout,
    });
    let rate_limiter = http
        .rate_limit_per_minute
        .map(|limit| rate_limit::RateLimiter::per_minute(limit, db));
    ServiceBuilder::new()
        .layer(layer_fn(AxumBody))
        .map_request(request_id::forget_unusable as fn(_) -> _)
        .layer(SetRequestIdLayer::new(REQUEST_ID, NewRequestId))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace::layer())
        .layer(compression::layer())
        .layer(catch_panic::layer())
        .layer_fn(|inner| Guard::new(inner, Arc::clone(&settings)))
        .timeout(http.request_timeout)
        .layer_fn(|inner| HttpCache::new(inner, preview.clone()))
        .layer_fn(|inner| WriteChecks::new(inner, rate_limiter.clone()))
        .service(app)
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

/// The service `S` with its responses' bodies as axum's, whatever the layers made of them: the
/// one type the server and Lambda send. Written out because a `map_response` would need a function
/// pointer, and one over the layers' body types trips rustc when a caller checks that its own
/// future is `Send` ("one type is more general than the other").
#[derive(Clone)]
pub struct AxumBody<S>(S);

impl<S, B> Service<Request> for AxumBody<S>
where
    S: Service<Request, Response = http::Response<B>, Error = Infallible>,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = AxumBodyFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        AxumBodyFuture {
            answer: self.0.call(request),
        }
    }
}

pin_project! {
    /// The answer of [`AxumBody`].
    pub struct AxumBodyFuture<F> {
        #[pin]
        answer: F,
    }
}

impl<F, B> Future for AxumBodyFuture<F>
where
    F: Future<Output = Result<http::Response<B>, Infallible>>,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project()
            .answer
            .poll(cx)
            .map_ok(|response| response.map(Body::new))
    }
}

/// Whether `path` is the API's (`/api` or under `/api/`), as opposed to a page or a static file.
fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}
