//! `leptos-api-routes healthcheck`: exits 0 when the server at `LEPTOS_SITE_ADDR` (an unspecified
//! address asked on loopback) answers `/api/health` with 200. For container health checks: the
//! image has no shell and no curl, only this binary.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    time::Duration,
};

use crate::config::{ConfigError, parse_var};

/// Orchestrators run the check every few seconds.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Why the server is not healthy.
#[derive(Debug, thiserror::Error)]
pub enum Unhealthy {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("no answer from {url}: {reason}")]
    NoAnswer { url: String, reason: String },
    #[error("{url} answered {status}")]
    Status {
        url: String,
        status: reqwest::StatusCode,
    },
}

/// Asks the server at `LEPTOS_SITE_ADDR` (default `127.0.0.1:3000`) whether it is healthy.
pub async fn check_from_env() -> Result<(), Unhealthy> {
    let addr = parse_var::<SocketAddr>("LEPTOS_SITE_ADDR")?
        .unwrap_or(SocketAddr::from((Ipv4Addr::LOCALHOST, 3000)));
    check(addr).await
}

pub async fn check(addr: SocketAddr) -> Result<(), Unhealthy> {
    let url = format!("http://{}/api/health", reachable(addr));
    let no_answer = |error: reqwest::Error| Unhealthy::NoAnswer {
        url: url.clone(),
        reason: root_cause(&error),
    };
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .map_err(no_answer)?;
    let response = client.get(&url).send().await.map_err(no_answer)?;
    match response.status() {
        reqwest::StatusCode::OK => Ok(()),
        status => Err(Unhealthy::Status { url, status }),
    }
}

/// The innermost error: "Connection refused (os error 111)", not reqwest's "error sending request".
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// Where a client on this machine reaches a server listening on `addr`.
pub fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, addr.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, addr.port()).into(),
        _ => addr,
    }
}
