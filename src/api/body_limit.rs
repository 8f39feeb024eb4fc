//! A route's body limit, `.layer(BodyLimit::max(n))` in its file: a declared `Content-Length` over
//! it is a 413 problem before a byte is read, a chunked body a 413 once past it (through axum's
//! `DefaultBodyLimit`, which alone would wait for a client declaring 10 GB and sending nothing).
//! tower-http's `RequestBodyLimit` checks the head too, but answers in plain text.

use std::{
    convert::Infallible,
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use axum::{
    body::HttpBody,
    extract::{DefaultBodyLimit, Request},
    http::StatusCode,
    response::Response,
};
use pin_project_lite::pin_project;
use tower::{Layer, Service};

use crate::problem::{closing_connection, problem};

#[derive(Clone, Copy, Debug)]
pub struct BodyLimit {
    max: usize,
}

impl BodyLimit {
    pub const fn max(max: usize) -> Self {
        Self { max }
    }

    /// The 413 for a declared size over the limit (`Content-Length`; on Lambda, the whole body's).
    fn refusal(self, request: &Request) -> Option<Response> {
        let declared = request.body().size_hint().lower();
        let max = u64::try_from(self.max).unwrap_or(u64::MAX);
        (declared > max).then(|| {
            closing_connection(problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "The body declares {declared} bytes; this route takes at most {} bytes.",
                    self.max
                ),
                None,
            ))
        })
    }
}

impl<S> Layer<S> for BodyLimit {
    type Service = BodyLimited<S>;

    fn layer(&self, inner: S) -> BodyLimited<S> {
        BodyLimited {
            inner,
            limit: *self,
        }
    }
}

#[derive(Clone, Debug)]
pub struct BodyLimited<S> {
    inner: S,
    limit: BodyLimit,
}

impl<S> Service<Request> for BodyLimited<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = LimitedAnswer<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        if let Some(refusal) = self.limit.refusal(&request) {
            return LimitedAnswer::Refused {
                refusal: Some(refusal),
            };
        }
        DefaultBodyLimit::max(self.limit.max).apply(&mut request);
        LimitedAnswer::Answering {
            answer: self.inner.call(request),
        }
    }
}

pin_project! {
    #[project = LimitedAnswerNow]
    pub enum LimitedAnswer<F> {
        Refused { refusal: Option<Response> },
        Answering { #[pin] answer: F },
    }
}

impl<F> Future for LimitedAnswer<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            LimitedAnswerNow::Refused { refusal } => Poll::Ready(Ok(refusal
                .take()
                .expect("a future is not polled after it is ready"))),
            LimitedAnswerNow::Answering { answer } => answer.poll(cx),
        }
    }
}
