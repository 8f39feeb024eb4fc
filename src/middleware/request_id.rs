//! `x-request-id`: kept when the client (or a proxy in front) sends one, generated (a UUID v4)
//! otherwise, and echoed on the response, so a user's bug report and the server's log meet on one id.
//! The trace span (`trace.rs`) records it, so every log line of the request carries it.

use axum::{
    extract::Request,
    http::{HeaderName, HeaderValue},
    response::Response,
};
use uuid::Uuid;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id: the one it came with, else a new one. (A new id is not written into the
/// request: the trace span, the one reader of the id in this app, gets it from here.)
pub fn of(request: &Request) -> HeaderValue {
    match request.headers().get(REQUEST_ID) {
        Some(id) => id.clone(),
        None => {
            let mut text = Uuid::encode_buffer();
            HeaderValue::from_str(Uuid::new_v4().hyphenated().encode_lower(&mut text))
                .expect("a UUID is ASCII letters, digits and hyphens")
        }
    }
}

/// Puts the request's id on its response, whoever produced the response.
pub fn echo(response: &mut Response, id: HeaderValue) {
    response.headers_mut().insert(REQUEST_ID, id);
}
