//! `x-request-id`: kept when the client or a proxy sends one, else a new UUID v4; echoed on the
//! response and recorded by the trace span, so a bug report and the log meet on one id. Kept only
//! when 1 to 128 visible ASCII characters (`!`–`~`): every log line repeats it, and a proxy with a
//! small header buffer would refuse an answer that echoes a huge one.

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

/// The request's id, its own when usable, else a new one (not written into the request: the trace
/// span, its one reader, gets it from here).
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

fn is_usable(id: &HeaderValue) -> bool {
    let id = id.as_bytes();
    (1..=MAX_LEN).contains(&id.len()) && id.iter().all(|byte| matches!(byte, b'!'..=b'~'))
}

/// Puts the request's id on its response, whoever produced the response.
pub fn echo(response: &mut Response, id: HeaderValue) {
    response.headers_mut().insert(REQUEST_ID, id);
}
