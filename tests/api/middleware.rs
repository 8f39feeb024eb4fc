//! The middleware every response passes through: request ids, security headers and the pages' CSP
//! nonce, compression, and the request timeout.

use std::time::Duration;

use reqwest::{StatusCode, header};

use crate::support::{TestApp, assert_problem, header, silent_trivia_upstream};

#[tokio::test]
async fn every_response_gets_a_generated_request_id() {
    let app = TestApp::spawn().await;

    let first = header(&app.get("/api/hello").await, "x-request-id");
    let second = header(&app.get("/no-such-page").await, "x-request-id");

    assert_eq!(first.len(), 36, "a UUID: {first:?}");
    assert_ne!(first, second);
}

#[tokio::test]
async fn a_request_id_sent_by_the_client_is_echoed() {
    let app = TestApp::spawn().await;

    let response = app
        .get_with("/api/hello", &[("x-request-id", "support-ticket-42")])
        .await;

    assert_eq!(header(&response, "x-request-id"), "support-ticket-42");
}

#[tokio::test]
async fn api_responses_get_the_security_headers_and_the_strictest_policy() {
    let app = TestApp::spawn().await;

    for response in [app.get("/api/hello").await, app.get("/api/nothing").await] {
        assert_eq!(header(&response, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        assert_eq!(header(&response, header::X_FRAME_OPTIONS), "DENY");
        assert_eq!(
            header(&response, header::REFERRER_POLICY),
            "strict-origin-when-cross-origin"
        );
        assert_eq!(
            header(&response, header::CONTENT_SECURITY_POLICY),
            "default-src 'none'; frame-ancestors 'none'"
        );
    }
}

#[tokio::test]
async fn a_page_allows_exactly_the_scripts_carrying_its_own_nonce() {
    let app = TestApp::spawn().await;

    let response = app.get("/").await;
    assert_eq!(header(&response, header::X_FRAME_OPTIONS), "DENY");
    assert_eq!(header(&response, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    let policy = header(&response, header::CONTENT_SECURITY_POLICY);
    let html = response.text().await.expect("a page");

    for directive in [
        "default-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(directive), "{directive} in {policy}");
    }
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy");
    let scripts = html.matches("<script").count();
    assert!(scripts > 0, "{html}");
    assert_eq!(
        html.matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
            .count()
            + html.matches(&format!("<script nonce=\"{nonce}\"")).count(),
        scripts,
        "every script carries the nonce {nonce}: {html}"
    );
}

#[tokio::test]
async fn each_page_response_gets_a_new_nonce() {
    let app = TestApp::spawn().await;

    let first = header(&app.get("/").await, header::CONTENT_SECURITY_POLICY);
    let second = header(&app.get("/").await, header::CONTENT_SECURITY_POLICY);

    assert_ne!(first, second);
}

#[tokio::test]
async fn pages_are_compressed_for_clients_that_accept_it() {
    let app = TestApp::spawn().await;

    let response = app.get_with("/", &[("accept-encoding", "br, gzip")]).await;

    assert_eq!(header(&response, header::CONTENT_ENCODING), "br");
}

#[tokio::test]
async fn tiny_bodies_are_not_compressed() {
    let app = TestApp::spawn().await;

    let response = app
        .get_with("/api/hello", &[("accept-encoding", "gzip")])
        .await;

    assert_eq!(header(&response, header::CONTENT_ENCODING), "");
}

#[tokio::test]
async fn a_request_that_outlasts_the_timeout_gets_503_problem_json() {
    // An upstream that never answers, slower than the request timeout.
    let (silent, trivia) = silent_trivia_upstream(Duration::from_secs(30)).await;
    let app = TestApp::spawn_with(|config| {
        config.trivia = trivia;
        config.http.request_timeout = Duration::from_millis(300);
    })
    .await;

    let response = app.get("/api/trivia/7").await;

    assert!(!header(&response, "x-request-id").is_empty());
    assert_problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
    drop(silent);
}

#[tokio::test]
async fn api_answers_may_be_loaded_by_this_site_only() {
    let app = TestApp::spawn().await;

    for response in [app.get("/api/hello").await, app.get("/api/nothing").await] {
        assert_eq!(
            header(&response, "cross-origin-resource-policy"),
            "same-origin"
        );
        assert_eq!(header(&response, "permissions-policy"), "");
    }
}

#[tokio::test]
async fn a_page_gets_its_own_browsing_context_and_no_powerful_features() {
    let app = TestApp::spawn().await;

    let response = app.get("/").await;

    assert_eq!(
        header(&response, "cross-origin-opener-policy"),
        "same-origin"
    );
    assert_eq!(
        header(&response, "cross-origin-resource-policy"),
        "same-origin"
    );
    let permissions = header(&response, "permissions-policy");
    for feature in ["camera=()", "microphone=()", "geolocation=()"] {
        assert!(permissions.contains(feature), "{feature} in {permissions}");
    }
    assert_eq!(header(&response, "reporting-endpoints"), "");
}

#[tokio::test]
async fn strict_transport_security_is_sent_only_when_a_proxy_says_the_request_came_over_https() {
    let app = TestApp::spawn().await;

    let over_http = app.get("/").await;
    let page = app.get_with("/", &[("x-forwarded-proto", "https")]).await;
    let api = app
        .get_with("/api/hello", &[("x-forwarded-proto", "HTTPS")])
        .await;

    assert_eq!(header(&over_http, header::STRICT_TRANSPORT_SECURITY), "");
    for response in [page, api] {
        assert_eq!(
            header(&response, header::STRICT_TRANSPORT_SECURITY),
            "max-age=63072000; includeSubDomains"
        );
    }
}

#[tokio::test]
async fn a_csp_report_uri_makes_pages_report_what_their_policy_blocks_there() {
    let uri = "https://reports.example/csp";
    let app = TestApp::spawn_with(|config| {
        config.http.csp_report_uri = Some(uri.parse().expect("a report URI"));
    })
    .await;

    let page = app.get("/").await;
    let api = app.get("/api/hello").await;

    let policy = header(&page, header::CONTENT_SECURITY_POLICY);
    assert!(
        policy.ends_with(&format!("; report-uri {uri}; report-to csp")),
        "{policy}"
    );
    assert_eq!(
        header(&page, "reporting-endpoints"),
        format!("csp=\"{uri}\"")
    );
    assert_eq!(
        header(&api, header::CONTENT_SECURITY_POLICY),
        "default-src 'none'; frame-ancestors 'none'"
    );
}

#[tokio::test]
async fn a_304_carries_none_of_the_security_headers_of_the_full_answer() {
    let app = TestApp::spawn().await;
    let full = app.get_with("/", &[("x-forwarded-proto", "https")]).await;
    let etag = header(&full, header::ETAG);

    let again = app
        .get_with(
            "/",
            &[("if-none-match", &etag), ("x-forwarded-proto", "https")],
        )
        .await;

    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    for name in [
        "strict-transport-security",
        "permissions-policy",
        "cross-origin-opener-policy",
        "cross-origin-resource-policy",
    ] {
        assert_eq!(header(&again, name), "", "{name} on a 304");
    }
}
