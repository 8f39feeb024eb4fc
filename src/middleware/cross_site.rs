//! Cross-site protection for unsafe methods under `/api`: another site's form can post our
//! form-encoded bodies without a CORS preflight, so a write is 403 when `Sec-Fetch-Site` is
//! `cross-site` or `Origin` is present and not this site (host and port differ from `Host`; `null`
//! never is). Neither header: not a browser, passes. The scheme is not compared (a TLS-terminating
//! proxy). `/api/webhook` is exempt: its senders are servers, and it checks each body's signature.
//! So is a request with an `Authorization` header: a page cannot add one to a cross-site form, and
//! such a request is judged by its API token alone, never by a cookie (`auth/`).

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
    if !super::is_api(path)
        || request.method().is_safe()
        || EXEMPT.contains(&path)
        || request.headers().contains_key(header::AUTHORIZATION)
    {
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
pub fn refusal(headers: &HeaderMap, host: Option<&str>) -> Option<&'static str> {
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
