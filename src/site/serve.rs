//! One embedded file: the representation the client accepts (made at pack time), its ETag and
//! caching. `middleware::http_cache` turns a matching `If-None-Match` into 304.

use axum::{
    body::{Body, Bytes},
    http::{HeaderMap, HeaderValue, header},
    response::Response,
};

use super::{PreEncoded, archive::StoredFile};
use crate::qvalue;

/// Content-hashed names never change: kept a year (RFC 9111's longest), unasked even on reload.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "public, no-cache";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    Brotli,
    Gzip,
    Identity,
}

pub fn respond(file: &StoredFile, request: &HeaderMap) -> Response {
    let accepted = request
        .get(header::ACCEPT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let coding = choose(accepted, file.brotli.is_some(), file.gzip.is_some());
    let (body, encoding, etag_suffix): (&Bytes, _, _) = match (coding, &file.brotli, &file.gzip) {
        (Coding::Brotli, Some(brotli), _) => (brotli, Some("br"), "-br"),
        (Coding::Gzip, _, Some(gzip)) => (gzip, Some("gzip"), "-gzip"),
        _ => (&file.identity, None, ""),
    };

    let mut response = Response::new(Body::from(body.clone()));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&file.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if file.immutable {
            IMMUTABLE
        } else {
            REVALIDATE
        }),
    );
    // Strong ETags, one per representation: a brotli body and a gzip body are different bytes.
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}{etag_suffix}\"", file.hash)) {
        headers.insert(header::ETAG, etag);
    }
    if let Some(encoding) = encoding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    if file.brotli.is_some() || file.gzip.is_some() {
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response.extensions_mut().insert(PreEncoded);
    response
}

/// The stored coding the client prefers (`q` above 0), brotli (smaller) on a tie.
pub fn choose(accept_encoding: &str, has_brotli: bool, has_gzip: bool) -> Coding {
    let quality = |names: &[&str]| {
        let mut wildcard = None;
        for entry in accept_encoding.split(',') {
            let mut parts = entry.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let q = parts
                .find_map(|parameter| parameter.trim().strip_prefix("q="))
                .map_or(Some(qvalue::FULL), |q| qvalue::parse(q.trim()))
                .unwrap_or(0);
            if names.iter().any(|known| name.eq_ignore_ascii_case(known)) {
                return q;
            }
            if name == "*" {
                wildcard = Some(q);
            }
        }
        wildcard.unwrap_or(0)
    };
    let brotli = if has_brotli { quality(&["br"]) } else { 0 };
    let gzip = if has_gzip {
        quality(&["gzip", "x-gzip"])
    } else {
        0
    };
    if brotli > 0 && brotli >= gzip {
        Coding::Brotli
    } else if gzip > 0 {
        Coding::Gzip
    } else {
        Coding::Identity
    }
}
