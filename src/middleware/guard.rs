//! Step 4 of the middleware (see `mod.rs`), one tower service around the router: the plain checks
//! and header edits — host check, security headers, rate limit, cross-site check, timeout — and the
//! HTTP cache, which reads a GET's answer whole to give it its ETag and answers 304 when the client
//! has that version already.
//!
//! One service written out by hand rather than two `from_fn` layers: a layer on the router wraps
//! every route, and each `from_fn` clones the boxed route beneath it and boxes a future of its own
//! on every request. Here the request goes straight to the router, and [`Guarded`] is the router's
//! future and a few fields. The one request that waits before reaching the router is a write under
//! the rate limit (its count may be a query): only that one boxes its count.
//!
//! The order of the steps, on the way in: a request of a form no route may see (CONNECT, `OPTIONS
//! *`, an unknown transfer coding: `request_form.rs`) or to a host not served (`hosts.rs`) is
//! answered at once; the page's CSP nonce; the rate limit's count (writes only); the cross-site
//! check (writes to `/api` only); the router. On the way out: the ETag (GET and HEAD), then either 304 Not Modified or the full answer with its
//! security headers — a 304 carries only what updates a cached copy (`http_cache.rs`). The timeout
//! bounds everything from the count to the last byte of a body read for its ETag; it watches the
//! request's body, so that running out of time while waiting for it is the client's 408.

use std::{
    convert::Infallible,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll, ready},
    time::{Duration, Instant},
};

use axum::{
    BoxError,
    body::{Body, Bytes, HttpBody},
    extract::Request,
    http::{HeaderValue, Method, StatusCode, header, response::Parts},
    response::{IntoResponse, Response},
};
use leptos::nonce::Nonce;
use pin_project_lite::pin_project;
use tokio::time::Timeout;
use tower::Service;

use super::{
    cross_site, hosts,
    http_cache::{Revalidation, WholeBody},
    rate_limit::{self, RateLimiter},
    request_form,
    security_headers::{self, PagePolicy},
    timeout,
};
use crate::{
    config::AllowedHosts,
    preview::{self, PreviewMode},
};

/// The settings of the checks.
pub struct Checks {
    /// The hosts served, as resolved for where the app runs (`AllowedHosts::for_listener`).
    pub allowed_hosts: AllowedHosts,
    pub page_policy: PagePolicy,
    /// `None` when `RATE_LIMIT_PER_MINUTE` is 0.
    pub rate_limiter: Option<RateLimiter>,
    pub timeout: Duration,
    /// Which answers are personal (preview mode), for the cache.
    pub preview: PreviewMode,
}

/// Step 4 around the service `S` (the router).
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
        let https = preview::is_https(request.headers());
        let refusal = request_form::refusal(&request)
            .or_else(|| hosts::check(&request, &checks.allowed_hosts));
        if let Some(refusal) = refusal {
            return Guarded::refused(refusal, started, checks, head, https);
        }
        if head {
            *request.method_mut() = Method::GET;
        }
        let body_wait = timeout::watch_body(&mut request);
        let nonce = security_headers::page_nonce(&mut request);
        let revalidation = Revalidation::of(&request, &checks.preview, nonce.as_ref());
        let writer = checks
            .rate_limiter
            .as_ref()
            .zip(rate_limit::writer_address(&request));
        let step = match writer {
            Some((limiter, address)) => {
                let limiter = limiter.clone();
                // The clone waits; the service that was made ready takes the request after the
                // checks.
                let ready = self.inner.clone();
                let inner = std::mem::replace(&mut self.inner, ready);
                Step::Checking {
                    checks: Box::pin(async move {
                        let refusal = limiter.check(address).await;
                        match refusal.or_else(|| cross_site::check(&request)) {
                            Some(refusal) => Err(refusal),
                            None => Ok((inner, request)),
                        }
                    }),
                }
            }
            None => match cross_site::check(&request) {
                None => Step::Answering {
                    answer: self.inner.call(request),
                },
                Some(refusal) => Step::Refused {
                    refusal: Some(refusal),
                },
            },
        };
        let work = Work { step, revalidation };
        Guarded {
            work: timeout::bound(started, checks.timeout, work),
            checks,
            nonce,
            head,
            https,
            body_wait,
        }
    }
}

pin_project! {
    /// The answer to one request, and step 4 on its way out.
    pub struct Guarded<S: Service<Request>> {
        #[pin]
        work: Timeout<Work<S>>,
        checks: Arc<Checks>,
        nonce: Option<Nonce>,
        // Whether the request was a HEAD, answered without the body of its GET.
        head: bool,
        // Whether it came over https (`Strict-Transport-Security`).
        https: bool,
        // Whether its body is being waited for, when it has one: a timeout then is the client's.
        body_wait: Option<timeout::BodyWait>,
    }
}

impl<S> Guarded<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    /// The answer to a request refused before any other step looked at it: for its form
    /// (`request_form.rs`) or for its host (`hosts.rs`).
    fn refused(
        refusal: Response,
        started: Instant,
        checks: Arc<Checks>,
        head: bool,
        https: bool,
    ) -> Self {
        let work = Work {
            step: Step::Refused {
                refusal: Some(refusal),
            },
            revalidation: None,
        };
        Self {
            work: timeout::bound(started, checks.timeout, work),
            checks,
            nonce: None,
            head,
            https,
            body_wait: None,
        }
    }
}

impl<S> Future for Guarded<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let response = match ready!(this.work.as_mut().poll(cx)) {
            Ok(response) => response,
            Err(_elapsed) => timeout::expired(this.checks.timeout, this.body_wait.as_ref()),
        };
        let work: &Work<S> = this.work.as_ref().get_ref().get_ref();
        let revalidation = work.revalidation.as_ref();
        if let Some(not_modified) = revalidation.and_then(|cache| cache.not_modified(&response)) {
            return Poll::Ready(Ok(not_modified));
        }
        let response = security_headers::add(
            response,
            &this.checks.page_policy,
            this.nonce.as_ref(),
            *this.https,
        );
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
    /// What the timeout bounds: the count, the cross-site check, the router's answer, and the
    /// reading of its body to tag it.
    pub struct Work<S: Service<Request>> {
        #[pin]
        step: Step<S>,
        // What the cache needs of a GET (or HEAD); kept here for the way out.
        revalidation: Option<Revalidation>,
    }
}

/// A write's checks (the rate limiter's count, then the cross-site check): a refusal, or the
/// service and the request to go on.
type WriteChecks<S> = Pin<Box<dyn Future<Output = Result<(S, Request), Response>> + Send>>;

pin_project! {
    #[project = StepNow]
    enum Step<S: Service<Request>> {
        /// Refused at once (by the host check, or a write by the cross-site check).
        Refused {
            refusal: Option<Response>,
        },
        /// A write waits for its checks (or has been refused by them).
        Checking {
            checks: WriteChecks<S>,
        },
        /// The router is answering.
        Answering {
            #[pin]
            answer: S::Future,
        },
        /// The answer's body was not all there at once (a page streams): it is being read whole,
        /// for its ETag. Boxed, as few answers need it and it would make every answer's future
        /// larger.
        Reading {
            answer: Option<Box<(Parts, WholeBody)>>,
        },
    }
}

impl<S> Future for Work<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        let mut this = self.project();
        loop {
            let next = match this.step.as_mut().project() {
                StepNow::Refused { refusal } => {
                    let refusal = refusal.take().expect("a refusal is answered once");
                    return Poll::Ready(refusal);
                }
                StepNow::Checking { checks } => match ready!(checks.as_mut().poll(cx)) {
                    Err(refusal) => return Poll::Ready(refusal),
                    Ok((mut inner, request)) => Step::Answering {
                        answer: inner.call(request),
                    },
                },
                StepNow::Answering { answer } => {
                    let Ok(response) = ready!(answer.poll(cx));
                    let Some(cache) = this
                        .revalidation
                        .as_ref()
                        .filter(|cache| cache.wants_to_tag(&response))
                    else {
                        return Poll::Ready(response);
                    };
                    let (head, body) = response.into_parts();
                    let mut body = WholeBody::new(body);
                    match body.poll_read(cx) {
                        // A body made whole by its handler (an API answer) is read at once.
                        Poll::Ready(read) => return Poll::Ready(tagged(cache, head, read)),
                        Poll::Pending => Step::Reading {
                            answer: Some(Box::new((head, body))),
                        },
                    }
                }
                StepNow::Reading { answer } => {
                    const READ_ONCE: &str = "a body is read whole once";
                    let read = ready!(answer.as_mut().expect(READ_ONCE).1.poll_read(cx));
                    let (head, _) = *answer.take().expect(READ_ONCE);
                    let cache = this.revalidation.as_ref();
                    let cache = cache.expect("only the answer to a GET is read for its ETag");
                    return Poll::Ready(tagged(cache, head, read));
                }
            };
            this.step.set(next);
        }
    }
}

/// The answer of `head` and the body `read` with its ETag, or a 500 if the body could not be read.
fn tagged(cache: &Revalidation, head: Parts, read: Result<Bytes, BoxError>) -> Response {
    match read {
        Ok(body) => cache.tag(head, body),
        Err(error) => {
            tracing::error!(%error, "cannot read a response body to tag it");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
