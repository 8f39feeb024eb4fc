//! Rate limiting: `RATE_LIMIT_PER_MINUTE` writes per client address, then 429 with `Retry-After`;
//! reads are never limited, and no limit means none.

use std::num::NonZeroU32;

use leptos_api_routes::config::HttpConfig;
use reqwest::{StatusCode, header};
use serde_json::json;

use crate::support::{TestApp, assert_problem, header, test_http_config};

const LIMIT: u32 = 3;

async fn app_with_limit(limit: Option<NonZeroU32>) -> TestApp {
    TestApp::spawn_with_http(HttpConfig {
        rate_limit_per_minute: limit,
        ..test_http_config()
    })
    .await
}

async fn post(app: &TestApp) -> reqwest::Response {
    app.post_json("/api/post", &json!({ "title": "Hello", "post": "Again" }))
        .await
}

#[tokio::test]
async fn the_write_after_the_limit_gets_429_with_retry_after() {
    let app = app_with_limit(NonZeroU32::new(LIMIT)).await;
    for _ in 0..LIMIT {
        assert_eq!(post(&app).await.status(), StatusCode::CREATED);
    }

    let response = post(&app).await;

    let retry_after: u64 = header(&response, header::RETRY_AFTER)
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_problem(response, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(app.count("posts").await, i64::from(LIMIT));
}

#[tokio::test]
async fn reads_are_not_limited() {
    let app = app_with_limit(NonZeroU32::new(LIMIT)).await;
    for _ in 0..LIMIT {
        post(&app).await;
    }

    for _ in 0..3 * LIMIT {
        assert_eq!(app.get("/api/post").await.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn without_a_limit_writes_are_not_limited() {
    let app = app_with_limit(None).await;

    for _ in 0..70 {
        assert_eq!(post(&app).await.status(), StatusCode::CREATED);
    }
}
