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
const MAX_LEN: usize = 128;

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

#[cfg(test)]
mod tests {
    use super::*;

    fn id_of(value: &[u8]) -> HeaderValue {
        let request = Request::builder()
            .header(REQUEST_ID, HeaderValue::from_bytes(value).unwrap())
            .body(axum::body::Body::empty())
            .unwrap();
        of(&request)
    }

    #[test]
    fn an_id_of_up_to_128_visible_ascii_characters_is_kept() {
        let longest = "a".repeat(MAX_LEN);
        for id in ["7", "log-test-7", "00-4bf92f35-01", "!~", longest.as_str()] {
            assert_eq!(id_of(id.as_bytes()), id);
        }
    }

    #[test]
    fn a_longer_id_or_one_with_spaces_or_other_bytes_is_replaced_by_a_uuid() {
        let too_long = "a".repeat(MAX_LEN + 1);
        for id in [
            too_long.as_bytes(),
            b"",
            b"a b",
            b"a\tb",
            b"caf\xc3\xa9",
            b"\xff",
        ] {
            let new = id_of(id);
            assert_ne!(new.as_bytes(), id);
            assert!(Uuid::parse_str(new.to_str().unwrap()).is_ok(), "{new:?}");
        }
    }
}
