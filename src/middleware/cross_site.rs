//! Cross-site request protection for every unsafe method (POST, PUT, PATCH, DELETE…) under `/api`:
//! a form on another site can post our form-encoded bodies without a CORS preflight, so a write is
//! refused (403) when `Sec-Fetch-Site` is `cross-site`, or when `Origin` is present and is not this
//! site (its host and port differ from `Host`; `Origin: null` never is). A request with neither
//! header is not from a browser and passes. The scheme is not compared (a TLS-terminating proxy).
//! `/api/webhook` is exempt: its senders are servers, and it checks each body's signature.

use axum::{
    extract::Request,
    http::{HeaderMap, StatusCode, header},
    response::Response,
};
use reqwest::Url;

use crate::problem::problem;

/// Paths under `/api` that authenticate their callers themselves and take writes from other servers.
const EXEMPT: &[&str] = &["/api/webhook"];

/// The 403 for a write to `/api` from another site's page; `None` lets the request go on.
pub fn check(request: &Request) -> Option<Response> {
    let path = request.uri().path();
    if !super::is_api(path) || request.method().is_safe() || EXEMPT.contains(&path) {
        return None;
    }
    let host = request
        .uri()
        .authority()
        .map(|authority| authority.as_str())
        .or_else(|| header_text(request.headers(), header::HOST));
    let reason = refusal(request.headers(), host)?;
    tracing::warn!(reason, "cross-site write refused");
    Some(problem(
        StatusCode::FORBIDDEN,
        format!("Cross-site requests may not change data here: {reason}."),
        None,
    ))
}

/// Why the request must be refused, or `None` when it may go on.
fn refusal(headers: &HeaderMap, host: Option<&str>) -> Option<&'static str> {
    if header_text(headers, "sec-fetch-site") == Some("cross-site") {
        return Some("the browser says it comes from another site (Sec-Fetch-Site)");
    }
    let origin = headers.get(header::ORIGIN)?;
    let same_site = origin
        .to_str()
        .ok()
        .and_then(|origin| Url::parse(origin).ok())
        .filter(|origin| matches!(origin.scheme(), "http" | "https"))
        .zip(host)
        .is_some_and(|(origin, host)| authority(&origin).eq_ignore_ascii_case(host));
    (!same_site).then_some("its Origin is not this site")
}

/// `host[:port]` as a `Host` header writes it (no port when it is the scheme's default).
fn authority(origin: &Url) -> String {
    let host = origin.host_str().unwrap_or_default();
    match origin.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

fn header_text(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    header::HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                )
            })
            .collect()
    }

    #[test]
    fn an_origin_matches_a_host_with_the_same_name_and_port() {
        let same = headers(&[("origin", "http://127.0.0.1:3000")]);
        assert_eq!(refusal(&same, Some("127.0.0.1:3000")), None);
        let default_port = headers(&[("origin", "https://Example.com")]);
        assert_eq!(refusal(&default_port, Some("example.com")), None);
    }

    #[test]
    fn an_origin_with_another_port_a_null_origin_or_no_host_is_refused() {
        let other_port = headers(&[("origin", "http://127.0.0.1:4000")]);
        assert!(refusal(&other_port, Some("127.0.0.1:3000")).is_some());
        let null = headers(&[("origin", "null")]);
        assert!(refusal(&null, Some("127.0.0.1:3000")).is_some());
        let same = headers(&[("origin", "http://127.0.0.1:3000")]);
        assert!(refusal(&same, None).is_some());
    }
}
