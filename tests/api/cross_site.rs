//! Cross-site request protection: writes under `/api` from another site's page are refused with 403;
//! same-origin writes and writes from clients that are not browsers go through.

use reqwest::{Response, StatusCode};

use crate::support::{TestApp, assert_problem, with_headers};

const FORM: &[(&str, &str)] = &[("title", "Forged"), ("post", "Sent from another site")];

/// A form post to `/api/post` with the given browser headers.
async fn form_post(app: &TestApp, headers: &[(&str, &str)]) -> Response {
    with_headers(app.client.post(app.url("/api/post")).form(FORM), headers)
        .send()
        .await
        .expect("the server answers")
}

#[tokio::test]
async fn a_cross_site_form_post_is_refused_and_nothing_is_saved() {
    let app = TestApp::spawn().await;

    let response = form_post(
        &app,
        &[
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ],
    )
    .await;

    assert_problem(response, StatusCode::FORBIDDEN).await;
    assert_eq!(app.count("posts").await, 0);
}

#[tokio::test]
async fn a_post_whose_origin_is_another_host_is_refused() {
    let app = TestApp::spawn().await;
    let other_port = format!("http://127.0.0.1:{}", app.addr.port().wrapping_add(1));

    let response = form_post(&app, &[("origin", &other_port)]).await;

    assert_problem(response, StatusCode::FORBIDDEN).await;
    assert_eq!(app.count("posts").await, 0);
}

#[tokio::test]
async fn a_post_from_a_null_origin_is_refused() {
    let app = TestApp::spawn().await;

    let response = form_post(&app, &[("origin", "null")]).await;

    assert_problem(response, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn a_same_origin_form_post_is_accepted() {
    let app = TestApp::spawn().await;
    let own_origin = format!("http://{}", app.addr);

    let response = form_post(
        &app,
        &[("origin", &own_origin), ("sec-fetch-site", "same-origin")],
    )
    .await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("posts").await, 1);
}

#[tokio::test]
async fn a_post_without_origin_or_fetch_metadata_is_accepted() {
    let app = TestApp::spawn().await;

    let response = form_post(&app, &[]).await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("posts").await, 1);
}

#[tokio::test]
async fn a_cross_site_read_is_not_refused() {
    let app = TestApp::spawn().await;

    let response = app
        .get_with(
            "/api/hello",
            &[
                ("origin", "https://evil.example"),
                ("sec-fetch-site", "cross-site"),
            ],
        )
        .await;

    assert_eq!(response.status(), StatusCode::OK);
}
