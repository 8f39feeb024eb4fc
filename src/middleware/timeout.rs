//! `REQUEST_TIMEOUT_MS`: a request that has no answer after that long gets 503 problem+json (and the
//! handler is dropped), instead of holding the client — and a connection — indefinitely.
//!
//! 503 Service Unavailable, not 408 Request Timeout: 408 says the *client* was too slow to send its
//! request, and clients treat it so (browsers resend, connections close). Here the server was too slow
//! to answer, a temporary condition on its side, which is what 503 means.

use std::{future::Future, time::Duration};

use axum::{http::StatusCode, response::Response};

use crate::api::error::problem;

/// `answer`'s response, or the 503 if it takes longer than `timeout` (`answer` is then dropped).
pub async fn bound(timeout: Duration, answer: impl Future<Output = Response>) -> Response {
    match tokio::time::timeout(timeout, answer).await {
        Ok(response) => response,
        Err(_elapsed) => {
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
    }
}
