//! tower-http's `TraceLayer`, set up as this app logs: one span per request (method, path, request
//! id) around everything that may log, and one line when its response leaves, with the status and
//! the latency (at `ERROR` for a 5xx, else `INFO`). Nothing when a request starts or a body ends.
//!
//! The path is logged without its query string: queries can carry secrets (`/api/preview?secret=…`).
//! When the log filter leaves the span and the line out (`RUST_LOG=warn`), they cost next to nothing:
//! `tracing` checks the level before it formats a field.

use std::time::Duration;

use axum::http::{Request, Response};
use tower_http::{
    classify::{ServerErrorsAsFailures, SharedClassifier},
    trace::{MakeSpan, OnResponse, Trace, TraceLayer},
};
use tracing::Span;

use super::request_id::REQUEST_ID;

type Classifier = SharedClassifier<ServerErrorsAsFailures>;

/// The service `S`, traced.
pub type Traced<S> = Trace<S, Classifier, RequestSpan, (), Finished, (), (), ()>;

pub fn layer() -> TraceLayer<Classifier, RequestSpan, (), Finished, (), (), ()> {
    TraceLayer::new_for_http()
        .make_span_with(RequestSpan)
        .on_request(())
        .on_response(Finished)
        .on_body_chunk(())
        .on_eos(())
        .on_failure(())
}

/// The span of one request, which carries the `x-request-id` that `SetRequestId` gave it.
#[derive(Clone, Copy, Debug)]
pub struct RequestSpan;

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, request: &Request<B>) -> Span {
        let request_id = request.headers().get(REQUEST_ID);
        tracing::info_span!(
            "request",
            method = %request.method(),
            path = %request.uri().path(),
            request_id = %request_id.and_then(|id| id.to_str().ok()).unwrap_or_default(),
        )
    }
}

/// The line that says a response left: `finished processing request latency=350 μs status=200`.
#[derive(Clone, Copy, Debug)]
pub struct Finished;

impl<B> OnResponse<B> for Finished {
    fn on_response(self, response: &Response<B>, latency: Duration, _: &Span) {
        let status = response.status().as_u16();
        let micros = latency.as_micros();
        if response.status().is_server_error() {
            tracing::error!(latency = %format_args!("{micros} μs"), status, "response failed");
        } else {
            tracing::info!(latency = %format_args!("{micros} μs"), status, "finished processing request");
        }
    }
}
