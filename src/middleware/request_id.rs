//! `x-request-id`: kept when the client (or a proxy in front) sends one, generated (a UUID v4)
//! otherwise, and echoed on the response, so a user's bug report and the server's log meet on one id.
//! The trace span (`trace.rs`) records it, so every log line of the request carries it.

use axum::http::HeaderName;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Gives every request an id (unless it has one).
pub fn set() -> SetRequestIdLayer<MakeRequestUuid> {
    SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid)
}

/// Copies the request's id onto its response, whoever produced the response.
pub fn propagate() -> PropagateRequestIdLayer {
    PropagateRequestIdLayer::new(REQUEST_ID)
}
