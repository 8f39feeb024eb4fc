//! HTTP caching of pages and API answers, as Next.js's `generateEtags`: an ETag on every successful
//! GET, 304 for a matching `If-None-Match`, `Cache-Control` that makes caches ask every time, and
//! preview-mode answers kept out of shared caches and apart from public ones.

use reqwest::{Method, StatusCode, header};
use serde_json::json;

use crate::support::{TestApp, header};

const SECRET: &str = "preview-secret-for-http-cache-tests";

async fn spawn_with_preview() -> TestApp {
    TestApp::spawn_with(|config| config.preview_secret = Some(SECRET.parse().unwrap())).await
}

/// Enters preview mode and returns the cookie's `name=value` pair.
async fn preview_cookie(app: &TestApp, post: i64) -> String {
    let response = app
        .get(&format!("/api/preview?secret={SECRET}&slug=/posts/{post}"))
        .await;
    assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
    let cookie = header(&response, header::SET_COOKIE);
    cookie.split(';').next().unwrap_or_default().to_owned()
}

async fn etag(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    header(&response, header::ETAG)
}

#[tokio::test]
async fn a_page_and_an_api_answer_carry_an_etag_and_are_revalidated_every_time() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Cached", "Body").await;

    for path in [
        "/".to_owned(),
        format!("/posts/{post}"),
        "/api/post".to_owned(),
        format!("/api/comments/{post}"),
        "/api/hello".to_owned(),
    ] {
        let response = app.get(&path).await;

        let etag = header(&response, header::ETAG);
        assert!(
            etag.starts_with("W/\"") && etag.ends_with('"'),
            "{path}: {etag:?}"
        );
        assert_eq!(
            header(&response, header::CACHE_CONTROL),
            "no-cache",
            "{path}"
        );
        let vary: Vec<_> = response.headers().get_all(header::VARY).iter().collect();
        assert!(
            vary.iter().any(|value| value.as_bytes() == b"cookie"),
            "{path} varies on the preview cookie: {vary:?}"
        );
    }
}

#[tokio::test]
async fn a_matching_if_none_match_gets_304_without_a_body() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Unchanged", "Body").await;

    for path in ["/".to_owned(), format!("/api/comments/{post}")] {
        let etag = etag(&app, &path).await;

        let again = app.get_with(&path, &[("if-none-match", &etag)]).await;

        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(header(&again, header::ETAG), etag);
        assert_eq!(header(&again, header::CACHE_CONTROL), "no-cache");
        assert!(again.bytes().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_page_keeps_its_etag_although_each_answer_has_a_new_csp_nonce() {
    let app = TestApp::spawn().await;
    app.create_post("Same page", "Body").await;

    let first = app.get("/").await;
    let second = app.get("/").await;

    let csp = |response: &reqwest::Response| header(response, header::CONTENT_SECURITY_POLICY);
    assert_ne!(csp(&first), csp(&second), "a new nonce each time");
    assert_eq!(header(&first, header::ETAG), header(&second, header::ETAG));
}

#[tokio::test]
async fn a_304_for_a_page_does_not_replace_the_policy_of_the_copy_the_browser_keeps() {
    let app = TestApp::spawn().await;
    let etag = etag(&app, "/").await;

    let again = app.get_with("/", &[("if-none-match", &etag)]).await;

    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&again, header::CONTENT_SECURITY_POLICY), "");
}

#[tokio::test]
async fn a_new_comment_changes_the_etag_and_the_old_one_gets_the_full_answer() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Discussed", "Body").await;
    let path = format!("/api/comments/{post}");
    let before = etag(&app, &path).await;
    let page_before = etag(&app, &format!("/posts/{post}")).await;

    app.add_comment(post, "A new comment").await;
    let stale = app.get_with(&path, &[("if-none-match", &before)]).await;

    assert_eq!(stale.status(), StatusCode::OK);
    assert_ne!(header(&stale, header::ETAG), before);
    assert!(stale.text().await.unwrap().contains("A new comment"));
    assert_ne!(etag(&app, &format!("/posts/{post}")).await, page_before);
}

#[tokio::test]
async fn writes_and_errors_carry_no_etag() {
    let app = TestApp::spawn().await;

    let created = app
        .post_json("/api/post", &json!({ "title": "T", "post": "P" }))
        .await;
    let missing = app.get("/api/comments/999").await;
    let no_page = app.get("/no-such-page").await;

    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(no_page.status(), StatusCode::NOT_FOUND);
    for response in [created, missing, no_page] {
        assert_eq!(header(&response, header::ETAG), "");
    }
}

#[tokio::test]
async fn a_head_request_gets_the_etag_and_the_length_of_the_get_and_no_body() {
    let app = TestApp::spawn().await;

    for path in ["/api/hello", "/"] {
        let get = app.get(path).await;
        let head = app.request(Method::HEAD, path).await;

        assert_eq!(head.status(), StatusCode::OK, "{path}");
        assert_eq!(
            header(&head, header::ETAG),
            header(&get, header::ETAG),
            "{path}"
        );
        assert_eq!(
            header(&head, header::CONTENT_LENGTH),
            get.bytes().await.unwrap().len().to_string(),
            "{path}"
        );
        assert!(head.bytes().await.unwrap().is_empty(), "{path}");
    }
}

#[tokio::test]
async fn preview_answers_are_private_and_never_stored() {
    let app = spawn_with_preview().await;
    let post = app.create_post("Public", "Body").await;
    let cookie = preview_cookie(&app, post).await;

    for path in ["/".to_owned(), format!("/api/post/{post}")] {
        let response = app.get_with(&path, &[("cookie", &cookie)]).await;

        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            header(&response, header::CACHE_CONTROL),
            "private, no-store",
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_preview_answer_never_shares_an_etag_with_the_public_one_even_when_the_data_is_the_same()
{
    let app = spawn_with_preview().await;
    let post = app
        .create_post("Published, so the same in both modes", "Body")
        .await;
    let cookie = preview_cookie(&app, post).await;
    let path = format!("/api/post/{post}");
    let public = app.get(&path).await;
    let public_etag = header(&public, header::ETAG);
    let public_body = public.text().await.unwrap();

    let preview = app
        .get_with(
            &path,
            &[("cookie", &cookie), ("if-none-match", &public_etag)],
        )
        .await;

    assert_eq!(
        preview.status(),
        StatusCode::OK,
        "not a 304 for the public copy"
    );
    assert_ne!(header(&preview, header::ETAG), public_etag);
    assert_eq!(preview.text().await.unwrap(), public_body);
}

#[tokio::test]
async fn a_draft_seen_in_preview_does_not_make_the_public_answer_change() {
    let app = spawn_with_preview().await;
    let post = app.create_post("Public", "Body").await;
    let cookie = preview_cookie(&app, post).await;
    let public_before = etag(&app, "/api/post").await;

    app.create_draft("Draft", "Not yet").await;
    let preview = app.get_with("/api/post", &[("cookie", &cookie)]).await;

    assert!(preview.text().await.unwrap().contains("Draft"));
    assert_eq!(etag(&app, "/api/post").await, public_before);
}
