//! CORS on `/api`: same-origin by default; `CORS_ALLOWED_ORIGINS` lets the listed origins read (GET,
//! HEAD and their preflight), never write.

use leptos_api_routes::config::HttpConfig;
use reqwest::{Method, Response, header};

use crate::support::{TestApp, header, test_http_config};

const ALLOWED: &str = "https://reader.example";
const FOREIGN: &str = "https://foreign.example";

async fn app_allowing_reader() -> TestApp {
    TestApp::spawn_with_http(HttpConfig {
        cors_allowed_origins: ALLOWED.parse().expect("a valid origin list"),
        ..test_http_config()
    })
    .await
}

/// What a browser sends before a cross-origin request it may not send unasked.
async fn preflight(app: &TestApp, origin: &str, method: &str) -> Response {
    app.client
        .request(Method::OPTIONS, app.url("/api/post"))
        .header(header::ORIGIN, origin)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, method)
        .send()
        .await
        .expect("the server answers")
}

#[tokio::test]
async fn a_preflight_from_an_allowed_origin_is_granted_reading() {
    let app = app_allowing_reader().await;

    let response = preflight(&app, ALLOWED, "GET").await;

    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(
        header(&response, header::ACCESS_CONTROL_ALLOW_ORIGIN),
        ALLOWED
    );
    assert!(header(&response, header::ACCESS_CONTROL_ALLOW_METHODS).contains("GET"));
}

#[tokio::test]
async fn a_preflight_from_a_foreign_origin_gets_no_allow_origin() {
    let app = app_allowing_reader().await;

    let response = preflight(&app, FOREIGN, "GET").await;

    assert!(
        response
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none()
    );
}

#[tokio::test]
async fn a_preflight_for_a_post_from_an_allowed_origin_does_not_grant_post() {
    let app = app_allowing_reader().await;

    let response = preflight(&app, ALLOWED, "POST").await;

    let methods = header(&response, header::ACCESS_CONTROL_ALLOW_METHODS);
    assert!(!methods.contains("POST"), "{methods}");
}

#[tokio::test]
async fn a_get_from_an_allowed_origin_may_be_read_by_it() {
    let app = app_allowing_reader().await;

    let response = app.get_with("/api/hello", &[("origin", ALLOWED)]).await;

    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, header::ACCESS_CONTROL_ALLOW_ORIGIN),
        ALLOWED
    );
    assert!(header(&response, header::VARY).contains("origin"));
}

#[tokio::test]
async fn without_allowed_origins_the_api_is_same_origin_only() {
    let app = TestApp::spawn().await;

    let response = app.get_with("/api/hello", &[("origin", ALLOWED)]).await;

    assert_eq!(response.status(), 200);
    assert!(
        response
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none()
    );
}
