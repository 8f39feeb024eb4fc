//! `REQUEST_TIMEOUT_MS`: a request that has no answer after that long gets 503 problem+json (and the
//! handler is dropped), instead of holding the client — and a connection — indefinitely.
//!
//! 503 Service Unavailable, not 408 Request Timeout: 408 says the *client* was too slow to send its
//! request, and clients treat it so (browsers resend, connections close). Here the server was too slow
//! to answer, a temporary condition on its side, which is what 503 means.

use std::{
    future::Future,
    time::{Duration, Instant},
};

use axum::{http::StatusCode, response::Response};
use tokio::time::Timeout;

use crate::api::error::problem;

/// `answer`, or `Err(Elapsed)` if it is not there `timeout` after the request arrived at `started`
/// (`answer` is then dropped).
pub fn bound<F: Future>(started: Instant, timeout: Duration, answer: F) -> Timeout<F> {
    tokio::time::timeout_at(tokio::time::Instant::from_std(started) + timeout, answer)
}

/// The answer to a request that ran out of time.
pub fn expired(timeout: Duration) -> Response {
    tracing::warn!(timeout_ms = timeout.as_millis(), "request timed out");
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        format!(
            "The server could not answer within {} ms; try again later.",
            timeout.as_millis()
        ),
        None,
    )
}
