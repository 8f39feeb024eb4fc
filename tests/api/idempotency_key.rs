//! The `Idempotency-Key` header of `POST /api/post` and `POST /api/comments/{id}` (issue 25,
//! docs/high-availability.md): a retry answers the first result, other values with the same key are
//! a 422, a malformed key a 400; keys are per route and forgotten after 24 hours.

use leptos_api_routes::config::Backend;
use reqwest::{StatusCode, header::HeaderValue};
use serde_json::{Value, json};

use crate::support::{TestApp, assert_problem, location};

/// `POST path` with `body` as JSON and `key` as the Idempotency-Key.
async fn post_with_key(
    app: &TestApp,
    path: &str,
    key: impl Into<HeaderValue>,
    body: &Value,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("idempotency-key", key.into())
        .json(body)
        .send()
        .await
        .expect("the server answers")
}

/// Status, `Location` and body of an answer.
async fn answer(response: reqwest::Response) -> (StatusCode, String, Value) {
    let status = response.status();
    let location = location(&response);
    (
        status,
        location,
        response.json().await.expect("a JSON body"),
    )
}

#[tokio::test]
async fn a_post_retried_with_its_key_answers_the_first_post_and_creates_no_second() {
    let app = TestApp::spawn().await;
    let post = json!({ "title": "Once", "post": "Only once" });

    let first = answer(
        post_with_key(
            &app,
            "/api/post",
            HeaderValue::from_static("9b1deb4d-3b7d"),
            &post,
        )
        .await,
    )
    .await;
    let retry = answer(
        post_with_key(
            &app,
            "/api/post",
            HeaderValue::from_static("9b1deb4d-3b7d"),
            &post,
        )
        .await,
    )
    .await;

    assert_eq!(first.0, StatusCode::CREATED);
    assert_eq!(retry, first, "same status, Location and body");
    assert_eq!(app.count("posts").await, 1);
}

#[tokio::test]
async fn a_key_reused_for_another_post_is_refused_with_422_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let key = HeaderValue::from_static("reused");
    post_with_key(
        &app,
        "/api/post",
        key.clone(),
        &json!({ "title": "First", "post": "Body" }),
    )
    .await;

    let response = post_with_key(
        &app,
        "/api/post",
        key,
        &json!({ "title": "Other", "post": "Body" }),
    )
    .await;

    let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("Idempotency-Key"),
        "{problem}"
    );
    assert_eq!(app.count("posts").await, 1);
}

#[tokio::test]
async fn a_comment_retried_with_its_key_answers_the_first_comment_and_adds_no_second() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Post", "Body").await;
    let path = format!("/api/comments/{post}");
    let comment = json!({ "comment": "Once" });

    let first =
        answer(post_with_key(&app, &path, HeaderValue::from_static("c-1"), &comment).await).await;
    let retry =
        answer(post_with_key(&app, &path, HeaderValue::from_static("c-1"), &comment).await).await;

    assert_eq!(first.0, StatusCode::CREATED);
    assert_eq!(
        retry, first,
        "same status, Location and body (id, text, time)"
    );
    assert_eq!(app.count("comments").await, 1);
}

#[tokio::test]
async fn a_comment_key_reused_on_another_post_is_refused_with_422() {
    let app = TestApp::spawn().await;
    let (one, two) = (
        app.create_post("One", "Body").await,
        app.create_post("Two", "Body").await,
    );
    let comment = json!({ "comment": "Same words" });
    post_with_key(
        &app,
        &format!("/api/comments/{one}"),
        HeaderValue::from_static("k"),
        &comment,
    )
    .await;

    let response = post_with_key(
        &app,
        &format!("/api/comments/{two}"),
        HeaderValue::from_static("k"),
        &comment,
    )
    .await;

    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(app.count("comments").await, 1);
}

#[tokio::test]
async fn the_same_key_on_the_two_routes_makes_a_post_and_a_comment() {
    let app = TestApp::spawn().await;
    let key = HeaderValue::from_static("shared-key");

    let post = answer(
        post_with_key(
            &app,
            "/api/post",
            key.clone(),
            &json!({ "title": "T", "post": "B" }),
        )
        .await,
    )
    .await;
    let id = post.2["id"].as_i64().expect("an id");
    let comment = post_with_key(
        &app,
        &format!("/api/comments/{id}"),
        key,
        &json!({ "comment": "C" }),
    )
    .await;

    assert_eq!(comment.status(), StatusCode::CREATED);
    assert_eq!(
        (app.count("posts").await, app.count("comments").await),
        (1, 1)
    );
}

#[tokio::test]
async fn concurrent_requests_with_one_key_make_one_post_and_all_answer_it() {
    let app = TestApp::spawn().await;
    let post = json!({ "title": "Raced", "post": "Body" });

    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let request = app
            .client
            .post(app.url("/api/post"))
            .header("idempotency-key", "raced")
            .json(&post);
        racers.spawn(async move { answer(request.send().await.expect("an answer")).await });
    }
    let answers = racers.join_all().await;

    assert!(
        answers.iter().all(|answer| *answer == answers[0]),
        "{answers:?}"
    );
    assert_eq!(answers[0].0, StatusCode::CREATED);
    assert_eq!(app.count("posts").await, 1);
}

#[tokio::test]
async fn a_key_older_than_24_hours_is_forgotten_and_the_retry_creates_anew() {
    let app = TestApp::spawn().await;
    let post = json!({ "title": "Old", "post": "Body" });
    post_with_key(&app, "/api/post", HeaderValue::from_static("old"), &post).await;
    app.database()
        .execute(match app.backend() {
            Backend::Sqlite => "UPDATE idempotency_keys SET created_at = unixepoch() - 86401",
            Backend::Postgres => {
                "UPDATE idempotency_keys SET created_at = now() - interval '86401 seconds'"
            }
        })
        .await;

    let response = post_with_key(&app, "/api/post", HeaderValue::from_static("old"), &post).await;

    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(app.count("posts").await, 2);
    assert_eq!(
        app.count("idempotency_keys").await,
        1,
        "the expired key is gone"
    );
}

#[tokio::test]
async fn a_malformed_key_is_refused_with_400_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let post = json!({ "title": "T", "post": "B" });
    let too_long = "k".repeat(256);
    let huge = "k".repeat(60_000);
    let keys = [
        HeaderValue::from_static(""),
        HeaderValue::from_str(&too_long).unwrap(),
        HeaderValue::from_str(&huge).unwrap(),
        HeaderValue::from_static("has space"),
        HeaderValue::from_bytes(b"\xff\xfebinary").unwrap(),
        HeaderValue::from_bytes("caf\u{e9}".as_bytes()).unwrap(),
    ];

    for key in keys {
        let shown = format!("{key:?}").chars().take(40).collect::<String>();
        let response = post_with_key(&app, "/api/post", key, &post).await;
        assert_problem(response, StatusCode::BAD_REQUEST).await;
        assert_eq!(app.count("posts").await, 0, "{shown}");
    }
}

#[tokio::test]
async fn two_keys_in_one_request_are_refused_with_400() {
    let app = TestApp::spawn().await;

    let response = app
        .client
        .post(app.url("/api/post"))
        .header("idempotency-key", "one")
        .header("idempotency-key", "two")
        .json(&json!({ "title": "T", "post": "B" }))
        .send()
        .await
        .expect("the server answers");

    assert_problem(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(app.count("posts").await, 0);
}

#[tokio::test]
async fn the_draft_s_quoted_key_is_accepted_as_sent() {
    let app = TestApp::spawn().await;
    let post = json!({ "title": "T", "post": "B" });
    let key = HeaderValue::from_static("\"8e03978e-40d5-43e8-bc93-6894a57f9324\"");

    let first = answer(post_with_key(&app, "/api/post", key.clone(), &post).await).await;
    let retry = answer(post_with_key(&app, "/api/post", key, &post).await).await;

    assert_eq!(first.0, StatusCode::CREATED);
    assert_eq!(retry, first);
}

/// `POST path` as the holder of `cookie`, with `key`.
async fn post_as_with_key(
    app: &TestApp,
    cookie: &str,
    path: &str,
    body: &Value,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header(reqwest::header::COOKIE, cookie)
        .header("idempotency-key", "shared-key")
        .json(body)
        .send()
        .await
        .expect("the server answers")
}

#[tokio::test]
async fn a_keyed_write_records_its_author_and_another_user_s_same_key_is_not_a_replay() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (app.sign_up("alice").await, app.sign_up("bob").await);
    let post = json!({ "title": "Keyed", "post": "By alice" });

    let (status, _, first) = answer(post_as_with_key(&app, &alice, "/api/post", &post).await).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(first["author"], "alice");
    let (status, _, again) = answer(post_as_with_key(&app, &alice, "/api/post", &post).await).await;
    assert_eq!((status, &again), (StatusCode::CREATED, &first));
    // Bob's request with the key alice used is another request: never alice's answer.
    let (status, _, _) = answer(post_as_with_key(&app, &bob, "/api/post", &post).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let id = first["id"].as_i64().unwrap();
    let comment = json!({ "comment": "Keyed too" });
    let path = format!("/api/comments/{id}");
    let (status, _, added) = answer(post_as_with_key(&app, &bob, &path, &comment).await).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(added["author"], "bob");
    let (status, _, replayed) = answer(post_as_with_key(&app, &bob, &path, &comment).await).await;
    assert_eq!((status, &replayed), (StatusCode::CREATED, &added));
    let stored: Value = app
        .get(&format!("/api/post/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["author"], "alice");
}

#[tokio::test]
async fn an_instance_s_first_keyed_write_sweeps_the_expired_keys_of_others() {
    let app = TestApp::spawn().await;
    let post = json!({ "title": "Swept", "post": "Body" });
    app.database()
        .execute(match app.backend() {
            Backend::Sqlite => {
                "INSERT INTO idempotency_keys (scope, key, fingerprint, created_id, created_at)
                 VALUES ('post', 'long-gone', x'00', 1, unixepoch() - 86401)"
            }
            Backend::Postgres => {
                "INSERT INTO idempotency_keys (scope, key, fingerprint, created_id, created_at)
                 VALUES ('post', 'long-gone', '\\x00', 1, now() - interval '86401 seconds')"
            }
        })
        .await;

    let response = post_with_key(&app, "/api/post", HeaderValue::from_static("fresh"), &post).await;

    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        app.count("idempotency_keys").await,
        1,
        "only the fresh key is left"
    );
}
