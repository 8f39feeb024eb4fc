//! `ALLOWED_HOSTS`: a request is served only when its `Host` is one the server answers for
//! (`src/middleware/hosts.rs`); any other gets 400 problem+json with the request id and the
//! security headers every answer carries. Raw requests (two `Host` headers, none, absolute-form)
//! are in `hostile/headers.rs`.

use leptos_api_routes::config::AllowedHosts;
use reqwest::{StatusCode, header};
use serde_json::json;

use crate::support::{JSON, TestApp, assert_problem, header};

/// The server with `ALLOWED_HOSTS` set to `list`.
async fn spawn_allowing(list: &str) -> TestApp {
    let hosts: AllowedHosts = list.parse().expect("a valid ALLOWED_HOSTS");
    TestApp::spawn_with(|config| config.http.allowed_hosts = hosts).await
}

/// `GET path` with `Host: host`.
async fn get_as(app: &TestApp, host: &str, path: &str) -> reqwest::Response {
    app.get_with(path, &[("host", host)]).await
}

#[tokio::test]
async fn by_default_the_listening_address_and_localhost_are_served() {
    let app = TestApp::spawn().await;
    let port = app.addr.port();

    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        "LocalHost.".to_owned(),
        format!("[::1]:{port}"),
    ] {
        assert_eq!(
            get_as(&app, &host, "/api/hello").await.status(),
            200,
            "{host}"
        );
    }
}

#[tokio::test]
async fn by_default_another_host_gets_400_problem_json() {
    let app = TestApp::spawn().await;

    let response = get_as(&app, "evil.example", "/api/hello").await;

    let problem = assert_problem(response, StatusCode::BAD_REQUEST).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("ALLOWED_HOSTS"),
        "{problem}"
    );
}

#[tokio::test]
async fn a_page_for_another_host_is_refused_too_with_a_problem_not_a_page() {
    let app = TestApp::spawn().await;

    let response = get_as(&app, "rebound.example:3000", "/").await;

    assert_problem(response, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn the_refusal_keeps_the_request_id_and_the_api_security_headers() {
    let app = TestApp::spawn().await;

    let response = app
        .get_with(
            "/api/hello",
            &[("host", "evil.example"), ("x-request-id", "host-check-1")],
        )
        .await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(header(&response, "x-request-id"), "host-check-1");
    assert_eq!(header(&response, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert_eq!(
        header(&response, header::CONTENT_SECURITY_POLICY),
        "default-src 'none'; frame-ancestors 'none'"
    );
}

#[tokio::test]
async fn listed_hosts_are_served_in_any_case_with_a_trailing_dot_and_their_port() {
    let app = spawn_allowing("example.com,shop.example:8443").await;

    for host in [
        "example.com",
        "Example.COM.",
        "example.com:8080",
        "shop.example:8443",
    ] {
        assert_eq!(
            get_as(&app, host, "/api/hello").await.status(),
            200,
            "{host}"
        );
    }
    for host in [
        "shop.example",
        "shop.example:80",
        "www.example.com",
        "evil.example",
    ] {
        let response = get_as(&app, host, "/api/hello").await;
        assert_eq!(response.status(), 400, "{host}");
    }
}

#[tokio::test]
async fn a_leading_dot_serves_the_domain_and_its_subdomains() {
    let app = spawn_allowing(".example.com").await;

    for host in ["example.com", "www.example.com", "a.b.example.com:8080"] {
        assert_eq!(
            get_as(&app, host, "/api/hello").await.status(),
            200,
            "{host}"
        );
    }
    let lookalike = get_as(&app, "notexample.com", "/api/hello").await;
    assert_eq!(lookalike.status(), 400);
}

#[tokio::test]
async fn localhost_is_served_whatever_allowed_hosts_lists() {
    let app = spawn_allowing("example.com").await;

    let response = get_as(&app, "localhost", "/api/health").await;

    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_star_serves_any_host() {
    let app = spawn_allowing("*").await;

    let response = get_as(&app, "anything.example", "/api/hello").await;

    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_write_for_another_host_is_refused_before_it_is_read_or_counted() {
    let app = TestApp::spawn().await;

    let response = app
        .client
        .post(app.url("/api/post"))
        .header("host", "evil.example")
        .header(header::CONTENT_TYPE, JSON)
        .body(json!({ "title": "Rebound", "post": "Through DNS" }).to_string())
        .send()
        .await
        .expect("an answer");

    assert_problem(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(app.count("posts").await, 0, "nothing is written");
}
