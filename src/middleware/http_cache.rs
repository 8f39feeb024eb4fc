//! HTTP caching, as Next.js does it with `generateEtags`: every successful GET (pages, API routes,
//! static files) carries an ETag, and a request whose `If-None-Match` matches it gets 304 Not
//! Modified with no body: the client uses the copy it has.
//!
//! - Static files come with their ETag and `Cache-Control` (`site/serve.rs`: made at pack time).
//! - Pages and API answers get both here. The ETag is a hash of the body, so a changed post, a new
//!   comment, anything that changes the answer changes the tag. It is weak (`W/`): the compression
//!   layer above may send the same body brotli-, gzip- or un-compressed, which a strong tag forbids.
//!   `Cache-Control: no-cache`: caches may keep the answer but must ask every time (never
//!   `immutable`: data changes).
//! - Answers in preview mode show drafts to one person: `private, no-store`, so no shared cache (a
//!   CDN, a proxy) keeps them, and their ETag is made different from the public answer's even when
//!   the bodies are equal, so a public copy is never confirmed to a preview request (nor the other
//!   way round). Every tagged answer has `Vary: Cookie`: the preview cookie changes it.
//!
//! To hash a body this layer reads it whole; a response its handler marked `Cache-Control:
//! no-store` has nothing to revalidate and goes through untouched (the way out for a stream).
//!
//! A page's body holds the CSP nonce of its response, new each time (`security_headers.rs`): it is
//! left out of the hash, or a page would never match. The 304 carries only the headers that update
//! a cached copy (RFC 9110 §15.4.5), not the new response's Content-Security-Policy: the copy the
//! browser keeps has the old nonce in its scripts and must keep the policy that names it.

use axum::{
    body::{Body, HttpBody, to_bytes},
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use leptos::nonce::Nonce;
use sha2::{Digest, Sha256};

use crate::{db::Visibility, preview::PreviewMode};

/// What public pages and API answers may be cached as: kept, revalidated every time.
const PUBLIC: &str = "no-cache";
/// What answers in preview mode may be cached as: not at all, and never by a shared cache.
const PREVIEW: &str = "private, no-store";
/// The largest body this layer reads to hash. Pages and API answers are far smaller (a list holds
/// at most 100 posts); a larger file (a debug build's wasm served from a folder) goes out untagged.
const MAX_TAGGED_BODY: usize = 32 * 1024 * 1024;
/// The headers a 304 keeps from the full answer it stands for.
const KEPT_BY_304: [header::HeaderName; 4] = [
    header::CACHE_CONTROL,
    header::ETAG,
    header::EXPIRES,
    header::VARY,
];

pub async fn revalidate(
    State(preview): State<PreviewMode>,
    request: Request,
    next: Next,
) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let visibility = preview.visibility(request.headers());
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let response = if needs_tag(&response) {
        tag(response, visibility).await
    } else {
        response
    };
    match if_none_match {
        Some(candidates) if matches(&candidates, response.headers().get(header::ETAG)) => {
            not_modified(response.headers())
        }
        _ => response,
    }
}

/// Whether this layer should give `response` its ETag: not when its handler gave one (static files)
/// or said `no-store`, nor when it is too large to read whole.
fn needs_tag(response: &Response) -> bool {
    let headers = response.headers();
    let no_store = headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| {
            value
                .split(',')
                .any(|directive| directive.trim() == "no-store")
        });
    let too_large = response
        .body()
        .size_hint()
        .upper()
        .is_some_and(|len| len > MAX_TAGGED_BODY as u64);
    !headers.contains_key(header::ETAG) && !no_store && !too_large
}

/// Adds the ETag, `Cache-Control` (unless the handler set its own) and `Vary: Cookie`.
async fn tag(response: Response, visibility: Visibility) -> Response {
    let (mut parts, body) = response.into_parts();
    let body = match to_bytes(body, MAX_TAGGED_BODY).await {
        Ok(body) => body,
        Err(error) => {
            tracing::error!(%error, "cannot read a response body to tag it");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let nonce = parts.extensions.get::<Nonce>().map(ToString::to_string);
    let etag = format!("W/\"{}\"", body_hash(&body, nonce.as_deref(), visibility));
    let headers = &mut parts.headers;
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        let policy = match visibility {
            Visibility::Published => PUBLIC,
            Visibility::WithDrafts => PREVIEW,
        };
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    headers.append(header::VARY, HeaderValue::from_static("cookie"));
    Response::from_parts(parts, Body::from(body))
}

/// The first 16 hex digits of a SHA-256 over who may see the answer and its body without `nonce`.
fn body_hash(body: &[u8], nonce: Option<&str>, visibility: Visibility) -> String {
    let mut hasher = Sha256::new();
    hasher.update(match visibility {
        Visibility::Published => b"public:".as_slice(),
        Visibility::WithDrafts => b"preview:".as_slice(),
    });
    match (nonce, std::str::from_utf8(body)) {
        (Some(nonce), Ok(text)) if !nonce.is_empty() => {
            for piece in text.split(nonce) {
                hasher.update(piece.as_bytes());
            }
        }
        _ => hasher.update(body),
    }
    hex::encode(&hasher.finalize()[..8])
}

/// Whether `If-None-Match` names `etag`, by the weak comparison RFC 9110 §13.1.2 asks for here
/// (`W/` ignored on both sides); `*` names any.
fn matches(if_none_match: &HeaderValue, etag: Option<&HeaderValue>) -> bool {
    let (Ok(candidates), Some(etag)) = (if_none_match.to_str(), etag) else {
        return false;
    };
    let Some(etag) = etag.to_str().ok().and_then(opaque_tag) else {
        return false;
    };
    candidates.trim() == "*"
        // Between each pair of quotes is one tag: `W/"a", "b"` → `a`, `b`.
        || candidates.split('"').skip(1).step_by(2).any(|tag| tag == etag)
}

/// `abc` for `"abc"` or `W/"abc"`.
fn opaque_tag(etag: &str) -> Option<&str> {
    etag.trim()
        .trim_start_matches("W/")
        .strip_prefix('"')?
        .strip_suffix('"')
}

/// 304 with the headers of the full answer that tell a cache what it now knows.
fn not_modified(full: &HeaderMap) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    for name in KEPT_BY_304 {
        for value in full.get_all(&name) {
            response.headers_mut().append(name.clone(), value.clone());
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &'static str) -> HeaderValue {
        HeaderValue::from_static(text)
    }

    #[test]
    fn if_none_match_matches_weakly_among_several_tags() {
        let etag = value("W/\"abc\"");
        assert!(matches(&value("\"abc\""), Some(&etag)));
        assert!(matches(&value("W/\"xyz\", W/\"abc\""), Some(&etag)));
        assert!(matches(&value("*"), Some(&etag)));
        assert!(!matches(&value("\"ab\""), Some(&etag)));
        assert!(!matches(&value("abc"), Some(&etag)));
        assert!(!matches(&value("\"abc\""), None));
    }

    #[test]
    fn a_response_marked_no_store_or_tagged_already_is_left_as_it_is() {
        let with = |name, value| {
            let mut response = Response::new(Body::from("{}"));
            response
                .headers_mut()
                .insert(name, HeaderValue::from_static(value));
            response
        };

        assert!(needs_tag(&Response::new(Body::from("{}"))));
        assert!(needs_tag(&with(header::CACHE_CONTROL, "private")));
        assert!(!needs_tag(&with(
            header::CACHE_CONTROL,
            "private, no-store"
        )));
        assert!(!needs_tag(&with(header::ETAG, "\"from-the-handler\"")));
    }

    #[test]
    fn the_nonce_does_not_change_the_hash() {
        let first = br#"<script nonce="n0nceA">go()</script>"#;
        let second = br#"<script nonce="n0nceB">go()</script>"#;

        assert_eq!(
            body_hash(first, Some("n0nceA"), Visibility::Published),
            body_hash(second, Some("n0nceB"), Visibility::Published),
        );
    }

    #[test]
    fn a_preview_answer_never_shares_a_hash_with_the_public_one() {
        let body = br#"{"id":1}"#;

        assert_ne!(
            body_hash(body, None, Visibility::Published),
            body_hash(body, None, Visibility::WithDrafts),
        );
    }
}
