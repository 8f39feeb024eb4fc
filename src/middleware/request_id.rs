//! `x-request-id`: kept when the client (or a proxy in front) sends one, generated (a UUID v4)
//! otherwise, and echoed on the response, so a user's bug report and the server's log meet on one id.
//! The trace span (`trace.rs`) records it, so every log line of the request carries it.
//!
//! An id is kept only when it is 1 to 128 visible ASCII characters (`!` to `~`: no space, no
//! control, no byte above 0x7E); any other gets a new one. Every log line repeats it, and a proxy
//! with a small header buffer would refuse an answer that echoes a huge one.

use axum::{
    extract::Request,
    http::{HeaderName, HeaderValue},
    response::Response,
};
use uuid::Uuid;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest id kept: a UUID is 36 characters, a W3C trace id 32; 128 leaves room for any
/// tracer's own format.
pub const MAX_LEN: usize = 128;

/// The request's id: the one it came with when it is a usable one, else a new one. (A new id is
/// not written into the request: the trace span, the one reader of the id in this app, gets it
/// from here.)
pub fn of(request: &Request) -> HeaderValue {
    match request.headers().get(REQUEST_ID).filter(|id| is_usable(id)) {
        Some(id) => id.clone(),
        None => {
            let mut text = Uuid::encode_buffer();
            HeaderValue::from_str(Uuid::new_v4().hyphenated().encode_lower(&mut text))
                .expect("a UUID is ASCII letters, digits and hyphens")
        }
    }
}

/// Whether `id` is 1 to [`MAX_LEN`] visible ASCII characters.
fn is_usable(id: &HeaderValue) -> bool {
    let id = id.as_bytes();
    (1..=MAX_LEN).contains(&id.len()) && id.iter().all(|byte| matches!(byte, b'!'..=b'~'))
}

/// Puts the request's id on its response, whoever produced the response.
pub fn echo(response: &mut Response, id: HeaderValue) {
    response.headers_mut().insert(REQUEST_ID, id);
}
