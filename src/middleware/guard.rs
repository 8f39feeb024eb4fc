//! Steps 4 and 5 of the middleware (see `mod.rs`) as one tower service around the router: the
//! plain checks and header edits — security headers, rate limit, cross-site check, timeout — and
//! the HTTP cache, which reads a GET's answer whole to give it its ETag and answers 304 when the
//! client has that version already.
//!
//! One service written out by hand rather than two `from_fn` layers: a layer on the router wraps
//! every route, and each `from_fn` clones the boxed route beneath it and boxes a future of its own
//! on every request. Here the request goes straight to the router, and [`Guarded`] is the router's
//! future and a few fields. The one request that waits before reaching the router is a write under
//! the rate limit (its count may be a query): only that one boxes its count.
//!
//! The order of the steps, on the way in: the page's CSP nonce; the rate limit's count (writes
//! only); the cross-site check (writes to `/api` only); the router. On the way out: the ETag (GET
//! and HEAD), then either 304 Not Modified or the full answer with its security headers — a 304
//! carries only what updates a cached copy (`http_cache.rs`). The timeout bounds everything from
//! the count to the last byte of a body read for its ETag.

use std::{
    convert::Infallible,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll, ready},
    time::{Duration, Instant},
};

use axum::{
    body::{Body, HttpBody},
    extract::Request,
    http::{HeaderValue, Method, StatusCode, header, response::Parts},
    response::{IntoResponse, Response},
};
use http_body_util::{BodyExt, Limited, combinators::Collect};
use leptos::nonce::Nonce;
use pin_project_lite::pin_project;
use tokio::time::Timeout;
use tower::Service;

use super::{
    cross_site,
    http_cache::{self, Revalidation},
    rate_limit::{self, RateLimiter},
    security_headers::{self, PagePolicy},
    timeout,
};
use crate::preview::PreviewMode;

/// The settings of the checks.
pub struct Checks {
    pub page_policy: PagePolicy,
    /// `None` when `RATE_LIMIT_PER_MINUTE` is 0.
    pub rate_limiter: Option<RateLimiter>,
    pub timeout: Duration,
    /// Which answers are personal (preview mode), for the cache.
    pub preview: PreviewMode,
}

/// Steps 4 and 5 around the service `S` (the router).
#[derive(Clone)]
pub struct Guard<S> {
    inner: S,
    checks: Arc<Checks>,
}

impl<S> Guard<S> {
    pub fn new(inner: S, checks: Checks) -> Self {
        Self {
            inner,
            checks: Arc::new(checks),
        }
    }
}

impl<S> Service<Request> for Guard<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Guarded<S>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let started = Instant::now();
        let checks = Arc::clone(&self.checks);
        // axum answers a HEAD with its GET's headers and no body. The ETag is a hash of that body:
        // the router is asked the GET, and its body is left out on the way out.
        let head = request.method() == Method::HEAD;
        if head {
            *request.method_mut() = Method::GET;
        }
        let nonce = security_headers::page_nonce(&mut request);
        let revalidation = Revalidation::of(&request, &checks.preview, nonce.as_ref());
        let writer = checks
            .rate_limiter
            .as_ref()
            .zip(rate_limit::writer_address(&request));
        let step = match writer {
            Some((limiter, address)) => {
                let limiter = limiter.clone();
                // The clone waits; the service that was made ready takes the request later.
                let ready = self.inner.clone();
                Step::Counting {
                    count: Box::pin(async move { limiter.check(address).await }),
                    next: Some((std::mem::replace(&mut self.inner, ready), request)),
                }
            }
            None => match cross_site::check(&request) {
                Some(refusal) => Step::Answered {
                    response: Some(refusal),
                },
                None => Step::Answering {
                    answer: self.inner.call(request),
                },
            },
        };
        let work = Work { step, revalidation };
        Guarded {
            work: timeout::bound(started, checks.timeout, work),
            checks,
            nonce,
            head,
        }
    }
}

pin_project! {
    /// The answer to one request, and steps 4 and 5 on its way out.
    pub struct Guarded<S: Service<Request>> {
        #[pin]
        work: Timeout<Work<S>>,
        checks: Arc<Checks>,
        nonce: Option<Nonce>,
        // Whether the request was a HEAD, answered without the body of its GET.
        head: bool,
    }
}

impl<S> Future for Guarded<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let (response, revalidation) = match ready!(this.work.poll(cx)) {
            Ok(answered) => answered,
            Err(_elapsed) => (timeout::expired(this.checks.timeout), None),
        };
        if let Some(not_modified) = revalidation.and_then(|cache| cache.not_modified(&response)) {
            return Poll::Ready(Ok(not_modified));
        }
        let response =
            security_headers::add(response, &this.checks.page_policy, this.nonce.as_ref());
        Poll::Ready(Ok(if *this.head {
            without_body(response)
        } else {
            response
        }))
    }
}

/// The answer to a HEAD: the GET's answer without its body, its length still told.
fn without_body(mut response: Response) -> Response {
    if let Some(length) = response.body().size_hint().exact() {
        response
            .headers_mut()
            .entry(header::CONTENT_LENGTH)
            .or_insert_with(|| HeaderValue::from(length));
    }
    *response.body_mut() = Body::empty();
    response
}

pin_project! {
    /// What the timeout bounds: the count, the router's answer, and the reading of its body to tag
    /// it. Done, it hands back the answer and the request's [`Revalidation`] (GET and HEAD).
    pub struct Work<S: Service<Request>> {
        #[pin]
        step: Step<S>,
        revalidation: Option<Revalidation>,
    }
}

/// The rate limiter's count of a write: `Some` refusal, or `None` to go on.
type Count = Pin<Box<dyn Future<Output = Option<Response>> + Send>>;

pin_project! {
    #[project = StepNow]
    enum Step<S: Service<Request>> {
        /// A write waits for the rate limiter, then goes to the cross-site check and the router.
        Counting {
            count: Count,
            next: Option<(S, Request)>,
        },
        /// The router is answering.
        Answering {
            #[pin]
            answer: S::Future,
        },
        /// The answer's body is being read whole, for its ETag.
        Reading {
            head: Option<(Parts, Revalidation)>,
            #[pin]
            body: Collect<Limited<Body>>,
        },
        /// Refused by a check, before the router.
        Answered {
            response: Option<Response>,
        },
    }
}

impl<S> Future for Work<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Output = (Response, Option<Revalidation>);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            let next = match this.step.as_mut().project() {
                StepNow::Counting { count, next } => {
                    let refusal = ready!(count.as_mut().poll(cx));
                    let (mut inner, request) = next.take().expect("a count is awaited once");
                    match refusal.or_else(|| cross_site::check(&request)) {
                        Some(refusal) => Step::Answered {
                            response: Some(refusal),
                        },
                        None => Step::Answering {
                            answer: inner.call(request),
                        },
                    }
                }
                StepNow::Answering { answer } => {
                    let Ok(response) = ready!(answer.poll(cx));
                    let cache = this.revalidation.take();
                    match cache {
                        Some(cache) if cache.wants_to_tag(&response) => {
                            let (head, body) = response.into_parts();
                            Step::Reading {
                                head: Some((head, cache)),
                                body: Limited::new(body, http_cache::MAX_TAGGED_BODY).collect(),
                            }
                        }
                        cache => return Poll::Ready((response, cache)),
                    }
                }
                StepNow::Reading { head, body } => {
                    let body = ready!(body.poll(cx));
                    let (head, cache) = head.take().expect("a body is read once");
                    let response = match body {
                        Ok(body) => cache.tag(head, body.to_bytes()),
                        Err(error) => {
                            tracing::error!(%error, "cannot read a response body to tag it");
                            StatusCode::INTERNAL_SERVER_ERROR.into_response()
                        }
                    };
                    return Poll::Ready((response, Some(cache)));
                }
                StepNow::Answered { response } => {
                    let response = response.take().expect("a refusal is given once");
                    return Poll::Ready((response, this.revalidation.take()));
                }
            };
            this.step.set(next);
        }
    }
}
