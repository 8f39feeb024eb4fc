//! Answers a request for one embedded file: the representation the client accepts (brotli, gzip or
//! as it is, all made at pack time), its ETag, and how long it may be cached.
//!
//! A matching `If-None-Match` is turned into 304 by `middleware::http_cache`, as for every response
//! that carries an ETag.

use axum::{
    body::{Body, Bytes},
    http::{HeaderMap, HeaderValue, header},
    response::Response,
};

use super::{PreEncoded, archive::StoredFile};
use crate::qvalue;

/// For names that carry a hash of the content: the file at that URL never changes, so browsers and
/// CDNs keep it a year (the longest RFC 9111 advises) and never ask again, not even on reload.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// For names that do not (`/favicon.svg`): keep it, but ask each time (a 304 when unchanged).
const REVALIDATE: &str = "public, no-cache";

/// A content coding of a stored file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Coding {
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

/// The stored coding the client prefers among those it accepts (`q` above 0), brotli on a tie
/// (smaller); as it is when it accepts neither.
fn choose(accept_encoding: &str, has_brotli: bool, has_gzip: bool) -> Coding {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_that_accepts_both_gets_brotli() {
        assert_eq!(
            choose("gzip, deflate, br, zstd", true, true),
            Coding::Brotli
        );
    }

    #[test]
    fn a_client_that_accepts_only_gzip_gets_gzip() {
        assert_eq!(choose("gzip", true, true), Coding::Gzip);
        assert_eq!(choose("x-gzip", true, true), Coding::Gzip);
    }

    #[test]
    fn a_client_that_accepts_neither_gets_the_file_as_it_is() {
        assert_eq!(choose("", true, true), Coding::Identity);
        assert_eq!(choose("deflate, zstd", true, true), Coding::Identity);
    }

    #[test]
    fn quality_values_decide_and_zero_refuses() {
        assert_eq!(choose("br;q=0.5, gzip;q=0.8", true, true), Coding::Gzip);
        assert_eq!(choose("br;q=0, gzip", true, true), Coding::Gzip);
        assert_eq!(choose("gzip;q=0, br;q=0", true, true), Coding::Identity);
        assert_eq!(choose("*;q=0.1", true, true), Coding::Brotli);
        assert_eq!(choose("*, br;q=0", true, true), Coding::Gzip);
    }

    #[test]
    fn a_coding_that_was_not_stored_is_not_chosen() {
        assert_eq!(choose("br, gzip", false, true), Coding::Gzip);
        assert_eq!(choose("br", false, false), Coding::Identity);
    }

    #[test]
    fn a_malformed_quality_counts_as_refused() {
        assert_eq!(choose("br;q=lots, gzip", true, true), Coding::Gzip);
    }
}
