//! One tracing span per request (method, path, request id; trace id and route when known) and one
//! log line when its response leaves, with status and latency (`ERROR` for a 5xx, else `INFO`);
//! whatever is logged meanwhile is inside the span. The path is logged without its query, which can
//! carry secrets (`/api/preview?secret=…`). Filtered out (`RUST_LOG=warn`), they cost next to nothing.

use std::{fmt, time::Instant};

use axum::{extract::Request, http::HeaderValue, response::Response};
use tracing::Span;

/// The span of one request, which carries `request_id` (from `request_id::of`).
pub fn span(request: &Request, request_id: &HeaderValue) -> Span {
    // Empty until known: `trace_id` from `telemetry::trace_context`, `http_route` from `route.rs`;
    // an empty field is not written. Not exported itself: the exported request span is the SDK's
    // (`telemetry::trace_context`).
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %request_id.to_str().unwrap_or_default(),
        trace_id = tracing::field::Empty,
        http_route = tracing::field::Empty,
    )
}

/// The line that says the response to the request that arrived at `started` left:
/// `finished processing request latency=350 μs status=200`.
pub fn finished(response: &Response, started: Instant) {
    let status = response.status().as_u16();
    // The latency is read only when the line is written: `tracing` evaluates fields lazily.
    if response.status().is_server_error() {
        tracing::error!(latency = %Since(started), status, "response failed");
    } else {
        tracing::info!(latency = %Since(started), status, "finished processing request");
    }
}

/// The time since an instant, as the log writes it.
struct Since(Instant);

impl fmt::Display for Since {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} μs", self.0.elapsed().as_micros())
    }
}
