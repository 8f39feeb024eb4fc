//! An invocation's event, as `lambda_http` made it an HTTP request, made the request the router
//! expects from a client: the path without API Gateway's stage (the pages link to root paths, so
//! the app is served at the root of its host), and the client's address (the event's `sourceIp`,
//! which the front door took from the connection) where a server would have its TCP peer's.
//! Details and caveats: docs/performance.md.

use std::net::{IpAddr, SocketAddr};

use axum::{
    body::Body,
    extract::{ConnectInfo, Request},
    http::{Uri, uri::PathAndQuery},
};
use lambda_http::{RequestExt, request::RequestContext};

/// The stage API Gateway's `$default` stage has: served at the root, never in the path.
const DEFAULT_STAGE: &str = "$default";

pub fn into_app_request(event: lambda_http::Request) -> Request {
    let (stage, source_ip) = match event.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => (
            context.stage.clone(),
            context.http.source_ip.as_deref().and_then(parse_ip),
        ),
        Some(RequestContext::ApiGatewayV1(context)) => (
            context.stage.clone(),
            context.identity.source_ip.as_deref().and_then(parse_ip),
        ),
        _ => (None, None),
    };
    let mut request = event.map(Body::new);
    if let Some(stage) = stage.filter(|stage| stage != DEFAULT_STAGE)
        && let Some(uri) = without_stage(request.uri(), &stage)
    {
        *request.uri_mut() = uri;
    }
    if let Some(ip) = source_ip {
        // No port: API Gateway does not say which, and the rate limit counts by address alone.
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(ip, 0)));
    }
    request
}

fn parse_ip(address: &str) -> Option<IpAddr> {
    address.parse().ok()
}

/// `uri` with a leading `/{stage}` segment taken off; `None` when it has none.
pub fn without_stage(uri: &Uri, stage: &str) -> Option<Uri> {
    let rest = uri.path().strip_prefix('/')?.strip_prefix(stage)?;
    let path = match rest {
        "" => "/",
        rest if rest.starts_with('/') => rest,
        // `/production/…` does not begin with the stage `prod`.
        _ => return None,
    };
    let path_and_query = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(PathAndQuery::try_from(path_and_query).ok()?);
    Uri::from_parts(parts).ok()
}
