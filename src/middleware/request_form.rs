//! Requests well-formed for hyper that no route may see, answered first by the guard: CONNECT is 405
//! with `Allow` (no proxy here, and leptos_axum panics on a path-less `host:port`); `OPTIONS *` asks
//! about the server (RFC 9110 §9.3.7): 204 with `Allow`; `*` or `host:port` with another method is
//! 400 (RFC 9112 §3.2.3–§3.2.4); the absolute form goes on. A transfer coding other than `chunked`
//! is 501 (RFC 9112 §6.1; hyper would read it as plain chunked), `chunked` twice 400.

use axum::{
    extract::Request,
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::problem::{closing_connection, problem};

/// Every method the server answers somewhere.
const SERVER_METHODS: HeaderValue = HeaderValue::from_static("GET, HEAD, POST, OPTIONS");

/// The answer to a request of a form the router must not see; `None` for any other.
pub fn refusal(request: &Request) -> Option<Response> {
    let uri = request.uri();
    let asterisk = uri.path_and_query().is_some_and(|target| target == "*");
    let without_path = asterisk || uri.path_and_query().is_none();
    if request.method() == Method::CONNECT {
        return Some(with_allow(problem(
            StatusCode::METHOD_NOT_ALLOWED,
            "This server is not a proxy: it does not answer CONNECT.",
            None,
        )));
    }
    if asterisk && request.method() == Method::OPTIONS {
        return Some(with_allow(StatusCode::NO_CONTENT.into_response()));
    }
    if without_path {
        return Some(problem(
            StatusCode::BAD_REQUEST,
            "A request target without a path (`*`, `host:port`) is only for OPTIONS and CONNECT; \
             ask for a path.",
            None,
        ));
    }
    transfer_coding_refusal(request.headers())
}

/// 501 for a transfer coding other than `chunked`, 400 for `chunked` twice; the list may span
/// several `Transfer-Encoding` lines, and its empty elements do not count (RFC 9110 §5.6.1).
fn transfer_coding_refusal(headers: &HeaderMap) -> Option<Response> {
    let mut chunked = 0;
    let codings = headers
        .get_all(header::TRANSFER_ENCODING)
        .iter()
        .flat_map(|value| value.as_bytes().split(|&byte| byte == b','))
        .map(<[u8]>::trim_ascii)
        .filter(|coding| !coding.is_empty());
    for coding in codings {
        if !coding.eq_ignore_ascii_case(b"chunked") {
            let coding = String::from_utf8_lossy(coding);
            return Some(closing_connection(problem(
                StatusCode::NOT_IMPLEMENTED,
                format!(
                    "The transfer coding {coding:?} is not supported; send the body with \
                     Content-Length or Transfer-Encoding: chunked alone."
                ),
                None,
            )));
        }
        chunked += 1;
    }
    (chunked > 1).then(|| {
        closing_connection(problem(
            StatusCode::BAD_REQUEST,
            "Transfer-Encoding lists chunked more than once; a body is chunked once.",
            None,
        ))
    })
}

fn with_allow(mut response: Response) -> Response {
    response.headers_mut().insert(header::ALLOW, SERVER_METHODS);
    response
}
