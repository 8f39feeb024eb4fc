//! `REQUEST_TIMEOUT_MS`: a request that has no answer after that long gets 503 problem+json (and the
//! handler is dropped), instead of holding the client — and a connection — indefinitely.
//!
//! 503 Service Unavailable, not 408 Request Timeout: 408 says the *client* was too slow to send its
//! request, and clients treat it so (browsers resend, connections close). Here the server was too slow
//! to answer, a temporary condition on its side, which is what 503 means.

use std::time::Duration;

use axum::{
    extract::{Request, State},
    http::StatusCode,
    middleware::Next,
    response::Response,
};

use crate::api::error::problem;

pub async fn limit(State(timeout): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(timeout, next.run(request)).await {
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
