//! Lambda's 6 MB response limit (the JSON, body included as text or base64): a larger answer would
//! be a bare 502 from the front door. Answers that grow with the data (a post's comments) are
//! measured as Lambda will see them; one that does not fit becomes a logged 500 problem that says
//! so (as Vercel answers: the request was fine, the answer cannot be delivered).

use axum::{
    body::Body,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::Response,
};

use crate::problem::problem;

/// Lambda's limit on a synchronous invocation's response, in bytes of JSON.
pub const LAMBDA_PAYLOAD_LIMIT: usize = 6 * 1024 * 1024;

/// Room for the JSON around status, headers and body (`{"statusCode":200,…}`), generously.
const ENVELOPE: usize = 256;

/// The headers that describe the body an oversized answer had, and not the problem that replaces it.
const BODY_HEADERS: [header::HeaderName; 7] = [
    header::CONTENT_TYPE,
    header::CONTENT_LENGTH,
    header::CONTENT_ENCODING,
    header::ETAG,
    header::CACHE_CONTROL,
    header::VARY,
    header::LAST_MODIFIED,
];

/// `response`, read whole (as `lambda_http` reads it anyway), or the 500 problem when it would not
/// fit in a Lambda response. Other headers (the request id, the security headers) are kept.
pub async fn fit(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(body) => body,
        Err(error) => {
            tracing::error!(%error, "the answer's body could not be read");
            return replace(
                parts.headers,
                "The answer could not be read; try again later.",
            );
        }
    };
    let size = payload_size(&parts.headers, &body);
    if size > LAMBDA_PAYLOAD_LIMIT {
        tracing::error!(
            size,
            limit = LAMBDA_PAYLOAD_LIMIT,
            "the answer is larger than a Lambda response may be"
        );
        return replace(
            parts.headers,
            format!(
                "The answer ({size} bytes as a Lambda response) is larger than the {LAMBDA_PAYLOAD_LIMIT} bytes AWS Lambda can return."
            ),
        );
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

/// The 500 problem with `detail`, keeping those of `headers` that do not describe a body.
fn replace(mut headers: HeaderMap, detail: impl Into<String>) -> Response {
    for name in BODY_HEADERS {
        headers.remove(name);
    }
    let mut response = problem(StatusCode::INTERNAL_SERVER_ERROR, detail, None);
    let problem_headers = std::mem::replace(response.headers_mut(), headers);
    response.headers_mut().extend(problem_headers);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// How many bytes of JSON Lambda is handed for an answer with `headers` and `body`; an upper bound
/// (each header counted as an API Gateway REST answer spells it, `"name":["value"],`).
fn payload_size(headers: &HeaderMap, body: &[u8]) -> usize {
    let header_bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + json_string_len(value.as_bytes()) + 6)
        .sum();
    let body_bytes = if sent_as_text(headers) {
        json_string_len(String::from_utf8_lossy(body).as_bytes())
    } else {
        // Base64: four characters for every three bytes begun, between quotes.
        4 * body.len().div_ceil(3) + 2
    };
    ENVELOPE + header_bytes + body_bytes
}

/// The length of `text` (UTF-8) as a JSON string, quotes included: `"` and `\` take two bytes,
/// control characters two (`\n`) or six (`\u0001`).
pub fn json_string_len(text: &[u8]) -> usize {
    let escapes: usize = text
        .iter()
        .map(|&byte| match byte {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 1,
            0..0x20 => 5,
            _ => 0,
        })
        .sum();
    text.len() + escapes + 2
}

/// Whether `lambda_http` sends a body with these headers as text (not content-encoded, a textual
/// type or none), else base64-encoded: its rule restated, so that the size is counted the way the
/// body will travel; a test holds the two together.
pub fn sent_as_text(headers: &HeaderMap) -> bool {
    const TEXT_PREFIXES: [&str; 5] = [
        "text",
        "application/json",
        "application/javascript",
        "application/xml",
        "application/yaml",
    ];
    const TEXT_SUFFIXES: [&str; 3] = ["+xml", "+yaml", "+json"];
    if headers.contains_key(header::CONTENT_ENCODING) {
        return false;
    }
    let Some(content_type) = headers.get(header::CONTENT_TYPE) else {
        return true;
    };
    let content_type = content_type.to_str().unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    TEXT_PREFIXES
        .iter()
        .any(|prefix| content_type.starts_with(prefix))
        || TEXT_SUFFIXES
            .iter()
            .any(|suffix| media_type.ends_with(suffix))
        || headers
            .get("x-lambda-http-content-encoding")
            .is_some_and(|value| value == "text")
}
