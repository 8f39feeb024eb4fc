//! `x-request-id`: kept when the client (or a proxy in front) sends a usable one, else a new UUID v4,
//! and echoed on the response (tower-http's `SetRequestId` and `PropagateRequestId`), so a user's
//! bug report and the server's log meet on one id; the trace span (`trace.rs`) records it.
//!
//! Usable: 1 to [`MAX_LEN`] visible ASCII characters (`!` to `~`). Every log line repeats the id,
//! and a proxy with a small header buffer would refuse an answer that echoes a huge one.

use axum::{
    extract::Request,
    http::{HeaderName, HeaderValue},
};
use tower_http::request_id::{MakeRequestId, RequestId};
use uuid::Uuid;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest id kept: a UUID is 36 characters, a W3C trace id 32; 128 leaves room for any
/// tracer's own format.
pub const MAX_LEN: usize = 128;

/// Removes an id that is not usable, so that `SetRequestId` gives the request a new one.
pub fn forget_unusable(mut request: Request) -> Request {
    if request
        .headers()
        .get(REQUEST_ID)
        .is_some_and(|id| !is_usable(id))
    {
        request.headers_mut().remove(REQUEST_ID);
    }
    request
}

/// Whether `id` is 1 to [`MAX_LEN`] visible ASCII characters.
fn is_usable(id: &HeaderValue) -> bool {
    let id = id.as_bytes();
    (1..=MAX_LEN).contains(&id.len()) && id.iter().all(|byte| matches!(byte, b'!'..=b'~'))
}

/// A new id: a UUID v4, drawn from a userspace generator (`uuid`'s `fast-rng`).
#[derive(Clone, Copy, Debug)]
pub struct NewRequestId;

impl MakeRequestId for NewRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let mut text = Uuid::encode_buffer();
        let id = Uuid::new_v4().hyphenated().encode_lower(&mut text);
        HeaderValue::from_str(id).ok().map(RequestId::new)
    }
}
