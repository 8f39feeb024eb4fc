//! `/api/webhook`: the publishing webhook, which verifies an HMAC-SHA256 signature of its delivery's
//! timestamp, id and raw body.

use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::support::{
    JSON, TestApp, allowed_methods, assert_problem, signed_delivery_headers,
    signed_delivery_headers_at, unix_now, webhook_signature,
};

const SECRET: &str = "webhook-secret-for-tests";

async fn spawn_with_webhook() -> TestApp {
    TestApp::spawn_with(|config| config.webhook_secret = Some(SECRET.parse().unwrap())).await
}

/// `sha256=<hex>` of a delivery of `body` under `delivery`, signed now, as the sender computes it.
fn signature(delivery: &str, body: &str) -> String {
    webhook_signature(SECRET, unix_now(), delivery, body)
}

/// Posts `body` to the webhook with the given headers, as they are.
async fn deliver_with_headers(
    app: &TestApp,
    body: &str,
    headers: &[(&str, String)],
) -> reqwest::Response {
    headers
        .iter()
        .fold(
            app.client
                .post(app.url("/api/webhook"))
                .header(reqwest::header::CONTENT_TYPE, JSON)
                .body(body.to_owned()),
            |request, (name, value)| request.header(*name, value),
        )
        .send()
        .await
        .unwrap()
}

/// Posts `body` to the webhook, timestamped now, with the given signature and delivery id headers
/// (when `Some`).
async fn deliver_with(
    app: &TestApp,
    body: &str,
    signature: Option<&str>,
    delivery: Option<&str>,
) -> reqwest::Response {
    let mut headers = vec![("x-webhook-timestamp", unix_now().to_string())];
    if let Some(signature) = signature {
        headers.push(("x-signature-256", signature.to_owned()));
    }
    if let Some(delivery) = delivery {
        headers.push(("x-delivery-id", delivery.to_owned()));
    }
    deliver_with_headers(app, body, &headers).await
}

/// A correctly signed delivery of `event` with id `delivery`; returns the receipt's status.
async fn deliver(app: &TestApp, event: Value, delivery: &str) -> String {
    let body = event.to_string();
    let headers = signed_delivery_headers(SECRET, delivery, &body);
    let response = deliver_with_headers(app, &body, &headers).await;
    assert_eq!(response.status(), StatusCode::OK);
    let receipt: Value = response.json().await.unwrap();
    assert_eq!(receipt["delivery"], delivery);
    receipt["status"].as_str().unwrap().to_owned()
}

/// Whether `GET /api/post/{id}` (no preview cookie) finds the post.
async fn is_public(app: &TestApp, id: i64) -> bool {
    app.get(&format!("/api/post/{id}")).await.status() == StatusCode::OK
}

#[tokio::test]
async fn a_signed_publish_delivery_makes_a_draft_public() {
    let app = spawn_with_webhook().await;
    let draft = app.create_draft("Draft", "Body").await;
    assert!(!is_public(&app, draft).await);

    let status = deliver(
        &app,
        json!({ "type": "post.published", "id": draft }),
        "d-1",
    )
    .await;

    assert_eq!(status, "applied");
    assert!(is_public(&app, draft).await);
}

#[tokio::test]
async fn a_signed_delete_delivery_removes_the_post_and_its_comments() {
    let app = spawn_with_webhook().await;
    let post = app.create_post("Doomed", "Body").await;
    app.add_comment(post, "Bye").await;

    let status = deliver(&app, json!({ "type": "post.deleted", "id": post }), "d-1").await;

    assert_eq!(status, "applied");
    assert_eq!(app.count("posts").await, 0);
    assert_eq!(app.count("comments").await, 0);
}

#[tokio::test]
async fn a_replayed_delivery_changes_nothing() {
    let app = spawn_with_webhook().await;
    let first = app.create_post("First", "Body").await;
    let second = app.create_post("Second", "Body").await;
    let delete_first = json!({ "type": "post.deleted", "id": first });
    assert_eq!(
        deliver(&app, delete_first.clone(), "same-id").await,
        "applied"
    );

    // The same delivery again, and another body under the same delivery id.
    assert_eq!(deliver(&app, delete_first, "same-id").await, "replayed");
    let delete_second = json!({ "type": "post.deleted", "id": second });
    assert_eq!(deliver(&app, delete_second, "same-id").await, "replayed");

    assert!(is_public(&app, second).await);
    assert_eq!(app.count("posts").await, 1);
}

#[tokio::test]
async fn a_wrong_or_missing_signature_is_refused_with_401_and_changes_nothing() {
    let app = spawn_with_webhook().await;
    let draft = app.create_draft("Draft", "Body").await;
    let body = json!({ "type": "post.published", "id": draft }).to_string();
    let other_body = json!({ "type": "post.published", "id": draft + 1 }).to_string();
    let uppercase = signature("d-1", &body).replace("sha256=", "SHA256=");

    for signature in [
        None,
        Some(""),
        Some("sha256="),
        Some("sha256=zz"),
        Some(uppercase.as_str()),
        Some(&signature("d-1", &other_body)),
        Some(&format!("{}00", signature("d-1", &body))),
        Some(&signature("d-1", &body).replace("sha256=", "sha1=")),
    ] {
        let response = deliver_with(&app, &body, signature, Some("d-1")).await;
        assert_problem(response, StatusCode::UNAUTHORIZED).await;
    }
    assert!(!is_public(&app, draft).await);
    assert_eq!(app.count("webhook_deliveries").await, 0);
}

#[tokio::test]
async fn the_signature_covers_the_exact_bytes_of_the_body() {
    let app = spawn_with_webhook().await;
    let draft = app.create_draft("Draft", "Body").await;
    let signed = format!(r#"{{"type":"post.published","id":{draft}}}"#);
    // The same JSON value, other bytes: a parser-then-reserializer would accept it.
    let respaced = format!(r#"{{ "type": "post.published", "id": {draft} }}"#);

    let response = deliver_with(
        &app,
        &respaced,
        Some(&signature("d-1", &signed)),
        Some("d-1"),
    )
    .await;

    assert_problem(response, StatusCode::UNAUTHORIZED).await;
    assert!(!is_public(&app, draft).await);
}

#[tokio::test]
async fn the_webhook_is_404_when_no_secret_is_configured() {
    let app = TestApp::spawn().await;
    let body = json!({ "type": "post.deleted", "id": 1 }).to_string();

    let response = deliver_with(&app, &body, Some(&signature("d-1", &body)), Some("d-1")).await;

    assert_problem(response, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn a_signed_delivery_without_a_delivery_id_is_a_400() {
    let app = spawn_with_webhook().await;
    let post = app.create_post("Post", "Body").await;
    let body = json!({ "type": "post.deleted", "id": post }).to_string();
    let too_long = "x".repeat(129);

    for delivery in [None, Some(""), Some("  "), Some(too_long.as_str())] {
        let signature = signature(delivery.unwrap_or_default(), &body);
        let response = deliver_with(&app, &body, Some(&signature), delivery).await;
        assert_problem(response, StatusCode::BAD_REQUEST).await;
    }
    assert!(is_public(&app, post).await);
}

#[tokio::test]
async fn signed_bodies_that_are_not_a_known_event_are_refused() {
    let app = spawn_with_webhook().await;
    let post = app.create_post("Post", "Body").await;

    for (body, status) in [
        ("{not json".to_owned(), StatusCode::BAD_REQUEST),
        (
            json!({ "type": "post.renamed", "id": post }).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "type": "post.deleted" }).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "type": "post.deleted", "id": 0 }).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!(["post.deleted", post]).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let response = deliver_with(&app, &body, Some(&signature("d-1", &body)), Some("d-1")).await;
        assert_problem(response, status).await;
    }
    assert!(is_public(&app, post).await);
    assert_eq!(app.count("webhook_deliveries").await, 0);
}

#[tokio::test]
async fn a_delivery_for_a_missing_post_is_404_and_not_recorded() {
    let app = spawn_with_webhook().await;
    let body = json!({ "type": "post.published", "id": 4242 }).to_string();

    let response = deliver_with(&app, &body, Some(&signature("d-1", &body)), Some("d-1")).await;

    assert_problem(response, StatusCode::NOT_FOUND).await;
    assert_eq!(app.count("webhook_deliveries").await, 0);
}

#[tokio::test]
async fn a_body_over_64_kib_is_a_413() {
    let app = spawn_with_webhook().await;
    let body = format!(
        r#"{{"type":"post.deleted","id":1,"pad":"{}"}}"#,
        "x".repeat(65 * 1024)
    );

    let response = deliver_with(&app, &body, Some(&signature("d-1", &body)), Some("d-1")).await;

    assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE).await;
}

#[tokio::test]
async fn the_webhook_answers_only_post() {
    let app = spawn_with_webhook().await;

    let response = app.request(Method::GET, "/api/webhook").await;

    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(allowed_methods(&response), ["POST"]);
}

#[tokio::test]
async fn the_webhook_is_exempt_from_the_cross_site_check_its_signature_replaces() {
    let app = spawn_with_webhook().await;
    let post = app.create_post("Post", "Body").await;
    let body = json!({ "type": "post.deleted", "id": post }).to_string();

    let response = app
        .client
        .post(app.url("/api/webhook"))
        .header(reqwest::header::CONTENT_TYPE, JSON)
        .header("origin", "https://publisher.example")
        .header("sec-fetch-site", "cross-site")
        .header("x-signature-256", signature("d-1", &body))
        .header("x-delivery-id", "d-1")
        .header("x-webhook-timestamp", unix_now().to_string())
        .body(body)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(app.count("posts").await, 0);
}

#[tokio::test]
async fn a_signature_of_the_body_alone_is_refused_with_401() {
    let app = spawn_with_webhook().await;
    let draft = app.create_draft("Draft", "Body").await;
    let body = json!({ "type": "post.published", "id": draft }).to_string();
    // The scheme before timestamps: the HMAC of the body only.
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    let body_only = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));

    let response = deliver_with(&app, &body, Some(&body_only), Some("d-1")).await;

    assert_problem(response, StatusCode::UNAUTHORIZED).await;
    assert!(!is_public(&app, draft).await);
}

#[tokio::test]
async fn a_captured_delivery_sent_again_under_a_new_delivery_id_is_refused() {
    let app = spawn_with_webhook().await;
    let draft = app.create_draft("Draft", "Body").await;
    let body = json!({ "type": "post.published", "id": draft }).to_string();
    let captured = signed_delivery_headers(SECRET, "d-1", &body);
    let under_a_new_id = captured.clone().map(|(name, value)| match name {
        "x-delivery-id" => (name, "d-2".to_owned()),
        _ => (name, value),
    });

    let replayed = deliver_with_headers(&app, &body, &under_a_new_id).await;

    assert_problem(replayed, StatusCode::UNAUTHORIZED).await;
    assert!(!is_public(&app, draft).await);
    assert_eq!(app.count("webhook_deliveries").await, 0);
    let original = deliver_with_headers(&app, &body, &captured).await;
    assert_eq!(original.status(), StatusCode::OK);
    assert!(is_public(&app, draft).await);
}

#[tokio::test]
async fn a_delivery_signed_more_than_five_minutes_away_from_now_is_refused() {
    let app = spawn_with_webhook().await;
    let post = app.create_post("Post", "Body").await;
    let body = json!({ "type": "post.deleted", "id": post }).to_string();

    for timestamp in [unix_now() - 301, unix_now() + 301, 0] {
        let headers = signed_delivery_headers_at(SECRET, timestamp, "d-1", &body);
        let response = deliver_with_headers(&app, &body, &headers).await;
        let problem = assert_problem(response, StatusCode::UNAUTHORIZED).await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("X-Webhook-Timestamp"),
            "{problem}"
        );
    }
    assert!(is_public(&app, post).await);
    assert_eq!(app.count("webhook_deliveries").await, 0);
}

#[tokio::test]
async fn a_delivery_without_a_timestamp_or_with_one_not_in_plain_digits_is_refused() {
    let app = spawn_with_webhook().await;
    let post = app.create_post("Post", "Body").await;
    let body = json!({ "type": "post.deleted", "id": post }).to_string();
    let now = unix_now();

    let missing: Vec<_> = signed_delivery_headers(SECRET, "d-1", &body)
        .into_iter()
        .filter(|(name, _)| *name != "x-webhook-timestamp")
        .collect();
    assert_problem(
        deliver_with_headers(&app, &body, &missing).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    for spelling in [
        format!("+{now}"),
        format!("{now}.0"),
        format!("-{now}"),
        "soon".to_owned(),
    ] {
        let headers = signed_delivery_headers_at(SECRET, &spelling, "d-1", &body);
        let response = deliver_with_headers(&app, &body, &headers).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{spelling}");
    }
    assert!(is_public(&app, post).await);
}

#[tokio::test]
async fn a_fresh_delivery_a_little_off_the_clock_is_applied() {
    let app = spawn_with_webhook().await;
    let post = app.create_post("Post", "Body").await;
    let body = json!({ "type": "post.deleted", "id": post }).to_string();
    let timestamp = unix_now() - 240;
    let headers = signed_delivery_headers_at(SECRET, timestamp, "d-1", &body);

    let response = deliver_with_headers(&app, &body, &headers).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert!(!is_public(&app, post).await);
}
