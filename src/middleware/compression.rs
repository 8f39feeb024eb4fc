//! Response compression, gzip or brotli as `Accept-Encoding` prefers, where it pays (pages, long
//! JSON lists): not below 1 KiB (one packet either way), not images, not server-sent events, not the
//! embedded site's files (compressed at their best level when packed, `site/pack.rs`, sent as stored).
//! tower-http's, applied once the answer is known and only to those it compresses: its body type
//! has room for a brotli encoder's state (about 6 KiB) in every answer it wraps, compressed or not,
//! which an event stream would hold for as long as it is open, and every answer would move.

use std::{
    convert::Infallible,
    future::{Future, Ready, ready},
    pin::Pin,
    task::{Context, Poll, ready},
};

use crate::site::PreEncoded;
use axum::{
    BoxError,
    body::{Body, Bytes, HttpBody},
    extract::Request,
    http::{Extensions, HeaderMap, HeaderValue, StatusCode, Version, header},
    response::Response,
};
use pin_project_lite::pin_project;
use tower::{Layer, Service};
use tower_http::compression::{
    Compression, ResponseFuture,
    predicate::{And, NotForContentType, Predicate, SizeAbove},
};

const MIN_SIZE: u16 = 1024;

/// The test of [`not_pre_encoded`], as a type the [`Policy`] can name.
type NotPreEncoded = fn(StatusCode, Version, &HeaderMap, &Extensions) -> bool;

/// Which responses are compressed: made where needed, out of constants.
pub type Policy = And<
    And<And<And<SizeAbove, NotForContentType>, NotForContentType>, NotForContentType>,
    NotPreEncoded,
>;

fn policy() -> Policy {
    SizeAbove::new(MIN_SIZE)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::SSE)
        .and(NotForContentType::GRPC)
        .and(not_pre_encoded as NotPreEncoded)
}

fn not_pre_encoded(_: StatusCode, _: Version, _: &HeaderMap, extensions: &Extensions) -> bool {
    extensions.get::<PreEncoded>().is_none()
}

pub fn layer() -> CompressionLayer {
    CompressionLayer
}

#[derive(Clone, Copy, Debug)]
pub struct CompressionLayer;

impl<S> Layer<S> for CompressionLayer {
    type Service = Compressed<S>;

    fn layer(&self, inner: S) -> Compressed<S> {
        Compressed { inner }
    }
}

/// The service inside, its answers compressed where [`Policy`] says.
#[derive(Clone)]
pub struct Compressed<S> {
    inner: S,
}

impl<S, B> Service<Request> for Compressed<S>
where
    S: Service<Request, Response = Response<B>, Error = Infallible>,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Compressing<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // Kept for after the answer (a clone shares the request's bytes); more than one line is rare.
        let mut accepted = request.headers().get_all(header::ACCEPT_ENCODING).iter();
        let accept_encoding = Accepted {
            first: accepted.next().cloned(),
            more: accepted.cloned().collect(),
        };
        Compressing {
            step: Step::Answering {
                answer: self.inner.call(request),
                accept_encoding: Some(accept_encoding),
            },
        }
    }
}

/// A request's `Accept-Encoding` lines.
struct Accepted {
    first: Option<HeaderValue>,
    more: Vec<HeaderValue>,
}

pin_project! {
    /// The answer of the service inside, then, if it is to be compressed, tower-http's compression
    /// of it.
    pub struct Compressing<F> {
        #[pin]
        step: Step<F>,
    }
}

pin_project! {
    #[project = StepNow]
    enum Step<F> {
        Answering {
            #[pin]
            answer: F,
            accept_encoding: Option<Accepted>,
        },
        Compressing {
            #[pin]
            compressing: ResponseFuture<Ready<Result<Response, Infallible>>, Policy>,
        },
    }
}

impl<F, B> Future for Compressing<F>
where
    F: Future<Output = Result<Response<B>, Infallible>>,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            let next = match this.step.as_mut().project() {
                StepNow::Answering {
                    answer,
                    accept_encoding,
                } => {
                    let Ok(response) = ready!(answer.poll(cx));
                    let response = response.map(Body::new);
                    // tower-http's own test: an answer failing it leaves its compression untouched,
                    // without even a `Vary`.
                    let compressible = !response.headers().contains_key(header::CONTENT_ENCODING)
                        && !response.headers().contains_key(header::CONTENT_RANGE)
                        && policy().should_compress(&response);
                    if !compressible {
                        return Poll::Ready(Ok(response));
                    }
                    let mut request = Request::new(Body::empty());
                    if let Some(Accepted { first, more }) = accept_encoding.take() {
                        for value in first.into_iter().chain(more) {
                            request.headers_mut().append(header::ACCEPT_ENCODING, value);
                        }
                    }
                    let mut compression = Compression::new(Answered(Some(response)))
                        .gzip(true)
                        .br(true)
                        .compress_when(policy());
                    Step::Compressing {
                        compressing: compression.call(request),
                    }
                }
                StepNow::Compressing { compressing } => {
                    let Ok(response) = ready!(compressing.poll(cx));
                    return Poll::Ready(Ok(response.map(Body::new)));
                }
            };
            this.step.set(next);
        }
    }
}

/// A service that gives the answer it holds, once: how tower-http's compression is applied to an
/// answer already made.
struct Answered(Option<Response>);

impl Service<Request> for Answered {
    type Response = Response;
    type Error = Infallible;
    type Future = Ready<Result<Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request) -> Self::Future {
        // Called once, by the one `Compression` made for it.
        ready(Ok(self.0.take().unwrap_or_default()))
    }
}
