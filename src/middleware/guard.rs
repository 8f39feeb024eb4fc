//! The two hand-written steps, tower services with named futures: no crate has this app's rules, and
//! each answer's headers depend on its request (nonce, https, HEAD). The [`Guard`] (outside the
//! timeout) answers at once a request of a form no route may see or to a host not served, asks the
//! GET for a HEAD (the ETag hashes the GET's body), watches the body for the 408, makes a page's
//! nonce; on the way out it answers a timeout, adds the security headers (never on a 304) and drops
//! a HEAD's body. [`WriteChecks`] (inside) counts a write for the rate limit (the one step that may
//! wait: only it is boxed) and refuses cross-site writes to `/api`.

use std::{
    convert::Infallible,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll, ready},
    time::Duration,
};

use axum::{
    BoxError,
    body::{Body, HttpBody},
    extract::Request,
    http::{HeaderValue, Method, StatusCode, header},
    response::Response,
};
use leptos::nonce::Nonce;
use pin_project_lite::pin_project;
use tower::Service;

use super::{
    cross_site, hosts,
    rate_limit::{self, RateLimiter},
    request_form,
    security_headers::{self, PagePolicy},
    timeout,
};
use crate::{config::AllowedHosts, preview};

pub struct Settings {
    /// The hosts served, as resolved for where the app runs (`AllowedHosts::for_listener`).
    pub allowed_hosts: AllowedHosts,
    pub page_policy: PagePolicy,
    /// `REQUEST_TIMEOUT_MS`, which the timeout's answer names.
    pub timeout: Duration,
}

#[derive(Clone)]
pub struct Guard<S> {
    inner: S,
    settings: Arc<Settings>,
}

impl<S> Guard<S> {
    pub fn new(inner: S, settings: Arc<Settings>) -> Self {
        Self { inner, settings }
    }
}

impl<S> Service<Request> for Guard<S>
where
    S: Service<Request, Response = Response, Error = BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Guarded<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Nothing inside fails to get ready: the router is always ready.
        self.inner.poll_ready(cx).map(|_| Ok(()))
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let settings = Arc::clone(&self.settings);
        let head = request.method() == Method::HEAD;
        let https = preview::is_https(request.headers());
        let refusal = request_form::refusal(&request)
            .or_else(|| hosts::check(&request, &settings.allowed_hosts));
        let (answer, nonce, body_wait) = match refusal {
            Some(refusal) => (
                Answer::Refused {
                    refusal: Some(refusal),
                },
                None,
                None,
            ),
            None => {
                if head {
                    *request.method_mut() = Method::GET;
                }
                let body_wait = timeout::watch_body(&mut request);
                let nonce = security_headers::page_nonce(&mut request);
                let answer = self.inner.call(request);
                (Answer::Inner { answer }, nonce, body_wait)
            }
        };
        Guarded {
            answer,
            settings,
            nonce,
            head,
            https,
            body_wait,
        }
    }
}

pin_project! {
    /// The answer to one request, and the guard's part on its way out.
    pub struct Guarded<F> {
        #[pin]
        answer: Answer<F>,
        settings: Arc<Settings>,
        nonce: Option<Nonce>,
        // Whether the request was a HEAD, answered without the body of its GET.
        head: bool,
        // Whether it came over https (`Strict-Transport-Security`).
        https: bool,
        // Whether its body is being waited for, when it has one: a timeout then is the client's.
        body_wait: Option<timeout::BodyWait>,
    }
}

pin_project! {
    #[project = AnswerNow]
    enum Answer<F> {
        /// Refused before anything else looked at it.
        Refused { refusal: Option<Response> },
        /// Answered by the service inside, or run out of time.
        Inner {
            #[pin]
            answer: F,
        },
    }
}

impl<F> Future for Guarded<F>
where
    F: Future<Output = Result<Response, BoxError>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = match this.answer.project() {
            AnswerNow::Refused { refusal } => refusal.take().expect("a refusal is answered once"),
            // The one error tower's `Timeout` can give, as nothing inside it fails.
            AnswerNow::Inner { answer } => ready!(answer.poll(cx)).unwrap_or_else(|_elapsed| {
                timeout::expired(this.settings.timeout, this.body_wait.as_ref())
            }),
        };
        if response.status() == StatusCode::NOT_MODIFIED {
            return Poll::Ready(Ok(response));
        }
        let policy = &this.settings.page_policy;
        let response = security_headers::add(response, policy, this.nonce.as_ref(), *this.https);
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

/// The write checks around the service `S` (the router); `rate_limiter` is `None` when
/// `RATE_LIMIT_PER_MINUTE` is 0.
#[derive(Clone)]
pub struct WriteChecks<S> {
    inner: S,
    rate_limiter: Option<RateLimiter>,
}

impl<S> WriteChecks<S> {
    pub fn new(inner: S, rate_limiter: Option<RateLimiter>) -> Self {
        Self {
            inner,
            rate_limiter,
        }
    }
}

impl<S> Service<Request> for WriteChecks<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Checked<S>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let writer = self
            .rate_limiter
            .as_ref()
            .zip(rate_limit::writer_address(&request));
        let step = match writer {
            Some((limiter, address)) => {
                let limiter = limiter.clone();
                // The clone waits; the ready service takes the request after the checks.
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
        Checked { step }
    }
}

/// A write's checks (the rate limiter's count, then the cross-site check): a refusal, or the
/// service and the request to go on.
type Checks<S> = Pin<Box<dyn Future<Output = Result<(S, Request), Response>> + Send>>;

pin_project! {
    /// The answer to one request after its write checks.
    pub struct Checked<S: Service<Request>> {
        #[pin]
        step: Step<S>,
    }
}

pin_project! {
    #[project = StepNow]
    enum Step<S: Service<Request>> {
        /// Refused at once by the cross-site check.
        Refused { refusal: Option<Response> },
        /// A write waits for its checks.
        Checking { checks: Checks<S> },
        Answering {
            #[pin]
            answer: S::Future,
        },
    }
}

impl<S> Future for Checked<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            let next = match this.step.as_mut().project() {
                StepNow::Refused { refusal } => {
                    let refusal = refusal.take().expect("a refusal is answered once");
                    return Poll::Ready(Ok(refusal));
                }
                StepNow::Checking { checks } => match ready!(checks.as_mut().poll(cx)) {
                    Err(refusal) => return Poll::Ready(Ok(refusal)),
                    Ok((mut inner, request)) => Step::Answering {
                        answer: inner.call(request),
                    },
                },
                StepNow::Answering { answer } => return answer.poll(cx),
            };
            this.step.set(next);
        }
    }
}
