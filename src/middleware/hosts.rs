//! The host check: a request names one host (its `Host`, or an absolute-form target's authority,
//! which RFC 9112 §3.2.2 puts first) that `ALLOWED_HOSTS` lists, else 400 problem+json; two `Host`
//! headers, or none on HTTP/1.1, are 400 whatever the list (RFC 9112 §3.2). Why: DNS rebinding makes
//! an attacker's name same-origin with this server, and its writes would pass the cross-site check.
//! Names compare without case, trailing dot or port (unless the entry has one). `localhost`, its
//! subdomains and loopback are always accepted: no rebinding name resolves there through them, and
//! the health check (`healthcheck.rs`) asks on loopback.

use std::net::{IpAddr, Ipv6Addr};

use axum::{
    extract::Request,
    http::{StatusCode, Version, header},
    response::Response,
};

use crate::{
    config::{AllowedHosts, HostPattern, split_host_port},
    problem::problem,
};

/// The 400 for a request that names no host, several, or one not served here; `None` lets it on.
pub fn check(request: &Request, allowed: &AllowedHosts) -> Option<Response> {
    let reason = refusal(request, allowed)?;
    tracing::warn!(reason, "request refused for its host");
    Some(problem(
        StatusCode::BAD_REQUEST,
        format!("This server does not answer this request: {reason}."),
        None,
    ))
}

/// Why the request must be refused, or `None` when it may go on.
pub fn refusal(request: &Request, allowed: &AllowedHosts) -> Option<&'static str> {
    let mut host_headers = request.headers().get_all(header::HOST).iter();
    let host_header = host_headers.next();
    if host_headers.next().is_some() {
        return Some("it has more than one Host header");
    }
    let named = match (request.uri().authority(), host_header) {
        (Some(authority), _) => authority.as_str(),
        (None, Some(value)) => value.to_str().unwrap_or_default(),
        (None, None) if request.version() == Version::HTTP_11 => {
            return Some("an HTTP/1.1 request must have a Host header");
        }
        (None, None) if *allowed == AllowedHosts::Any => return None,
        (None, None) => return Some("it names no host (Host header)"),
    };
    let Some((host, port)) = split_host_port(named) else {
        return Some("its host is not a host name");
    };
    let served = match allowed {
        AllowedHosts::Any => true,
        AllowedHosts::Only(patterns) => {
            is_loopback(host) || patterns.iter().any(|pattern| matches(pattern, host, port))
        }
        AllowedHosts::Unset => is_loopback(host),
    };
    (!served).then_some("its host is not one this server answers for (ALLOWED_HOSTS)")
}

/// Whether `host` is `localhost`, a subdomain of it, or a loopback address.
fn is_loopback(host: &str) -> bool {
    if let Some(ipv6) = host
        .strip_prefix('[')
        .and_then(|host| host.strip_suffix(']'))
    {
        return ipv6.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback());
    }
    is_within(host, "localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn matches(pattern: &HostPattern, host: &str, port: Option<u16>) -> bool {
    pattern.port.is_none_or(|only| port == Some(only))
        && if pattern.subdomains {
            is_within(host, &pattern.name)
        } else {
            host.eq_ignore_ascii_case(&pattern.name)
        }
}

/// Whether `host` is `domain` or one of its subdomains, in any case.
fn is_within(host: &str, domain: &str) -> bool {
    let Some(start) = host.len().checked_sub(domain.len()) else {
        return false;
    };
    host.is_char_boundary(start)
        && host[start..].eq_ignore_ascii_case(domain)
        && (start == 0 || host[..start].ends_with('.'))
}
