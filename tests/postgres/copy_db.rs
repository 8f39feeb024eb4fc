//! `copy-db`: a SQLite database with posts, drafts, comments, webhook deliveries and cached trivia,
//! copied into an empty PostgreSQL database by the real binary; the API answers the same bytes from
//! both, and a copy into a database that holds rows is refused.

use std::process::{Command, Output};

use leptos_api_routes::config::Config;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::support::{DEBUG_BINARY, TestApp, TestDatabase, signed_delivery_headers};

const PREVIEW_SECRET: &str = "copy-preview-secret";
const WEBHOOK_SECRET: &str = "copy-webhook-secret";

fn secrets(config: &mut Config) {
    config.preview_secret = Some(PREVIEW_SECRET.parse().unwrap());
    config.webhook_secret = Some(WEBHOOK_SECRET.parse().unwrap());
}

fn copy_db(from: &TestDatabase, to: &TestDatabase) -> Output {
    Command::new(DEBUG_BINARY)
        .env_clear()
        .args(["copy-db", "--from", from.url(), "--to", to.url()])
        .output()
        .expect("the binary runs")
}

/// A SQLite database filled through the API: posts (one a draft, one published by the webhook),
/// comments, a webhook delivery, a cached trivia answer. Returns it with the ids of its posts.
async fn filled_sqlite_database() -> (TestDatabase, Vec<i64>) {
    let app = TestApp::spawn_on(TestDatabase::sqlite(), secrets).await;
    let first = app.create_post("First", "The oldest post").await;
    let draft = app.create_draft("Draft", "Still a draft").await;
    let published = app.create_draft("Published", "By the webhook").await;
    let last = app.create_post("Ünïcödé 👍", "Line one\nline two").await;
    app.add_comment(first, "First comment").await;
    app.add_comment(first, "Second comment").await;
    app.add_comment(last, "Another").await;
    let event = json!({ "type": "post.published", "id": published }).to_string();
    let delivered = deliver(&app, &event, "delivery-7").await;
    assert_eq!(delivered["status"], "applied");
    let cached = app
        .database()
        .execute("INSERT INTO trivia_cache (number, text, fetched_at) VALUES (42, '42 is the answer.', unixepoch())")
        .await;
    assert_eq!(cached, 1);
    let database = app.stop_keeping_database().await;
    (database, vec![first, draft, published, last])
}

async fn deliver(app: &TestApp, body: &str, delivery: &str) -> Value {
    let request = app
        .client
        .post(app.url("/api/webhook"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.to_owned());
    let response = signed_delivery_headers(WEBHOOK_SECRET, delivery, body)
        .into_iter()
        .fold(request, |request, (name, value)| {
            request.header(name, value)
        })
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// The status and body of `GET path`, in preview mode (drafts included) when `cookie` is set.
async fn answer(app: &TestApp, path: &str, cookie: Option<&str>) -> (StatusCode, Vec<u8>) {
    let mut request = app.client.get(app.url(path));
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.bytes().await.unwrap().to_vec())
}

async fn preview_cookie(app: &TestApp, post: i64) -> String {
    let response = app
        .get(&format!(
            "/api/preview?secret={PREVIEW_SECRET}&slug=/posts/{post}"
        ))
        .await;
    response.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copied_database_answers_the_same_json_byte_for_byte_and_keeps_its_deliveries() {
    let (sqlite, posts) = filled_sqlite_database().await;
    let postgres = TestDatabase::postgres().await;

    let output = copy_db(&sqlite, &postgres);

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for progress in [
        "copy-db: posts: 4 of 4",
        "copy-db: comments: 3 of 3",
        "copy-db: webhook deliveries: 1 of 1",
        "copy-db: cached trivia: 1 of 1",
    ] {
        assert!(stdout.contains(progress), "{progress} in {stdout}");
    }
    let from = TestApp::spawn_on(sqlite, secrets).await;
    let to = TestApp::spawn_on(postgres, secrets).await;
    let (from_cookie, to_cookie) = (
        preview_cookie(&from, posts[1]).await,
        preview_cookie(&to, posts[1]).await,
    );
    let mut paths = vec![
        "/api/post".to_owned(),
        "/api/post?limit=2".to_owned(),
        format!("/api/post?limit=2&cursor={}", posts[2]),
        "/api/trivia/42".to_owned(),
    ];
    for post in &posts {
        paths.push(format!("/api/post/{post}"));
        paths.push(format!("/api/comments/{post}"));
    }
    for path in &paths {
        assert_eq!(
            answer(&from, path, None).await,
            answer(&to, path, None).await,
            "GET {path}"
        );
        assert_eq!(
            answer(&from, path, Some(&from_cookie)).await,
            answer(&to, path, Some(&to_cookie)).await,
            "GET {path} in preview mode"
        );
    }
    let trivia: Value = to.get("/api/trivia/42").await.json().await.unwrap();
    assert_eq!(trivia["source"], "cache");
    let event = json!({ "type": "post.published", "id": posts[2] }).to_string();
    assert_eq!(
        deliver(&to, &event, "delivery-7").await["status"],
        "replayed"
    );
    let next = to.create_post("Next", "After the copy").await;
    assert_eq!(next, posts[3] + 1, "ids go on after the copied ones");
}

#[tokio::test]
async fn a_copy_into_a_database_that_holds_rows_is_refused_and_writes_nothing() {
    let (sqlite, _) = filled_sqlite_database().await;
    let postgres = TestDatabase::postgres().await;
    assert!(copy_db(&sqlite, &postgres).status.success());
    let rows_before = postgres.count("posts").await;

    let again = copy_db(&sqlite, &postgres);

    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("already holds 4 posts"), "{stderr}");
    assert_eq!(postgres.count("posts").await, rows_before);
}

#[tokio::test]
async fn copy_db_names_what_is_wrong_with_its_arguments() {
    let sqlite = TestDatabase::sqlite();
    for arguments in [
        vec!["copy-db"],
        vec!["copy-db", "--from", sqlite.url()],
        vec!["copy-db", "--from", sqlite.url(), "--to", sqlite.url()],
        vec!["copy-db", "--from", sqlite.url(), "--to", "mysql://host/db"],
        vec!["copy-db", "--into", "postgres://host/db"],
    ] {
        let output = Command::new(DEBUG_BINARY)
            .env_clear()
            .args(&arguments)
            .output()
            .unwrap();

        assert!(!output.status.success(), "{arguments:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.starts_with("error: usage: copy-db"),
            "{arguments:?}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{arguments:?}: {stderr}");
    }
}

/// Accounts (issue 22): users, their live sessions, API tokens and the authors of posts and
/// comments are copied; after the copy the same cookie and token sign the same user in, the same
/// password works, and an expired session is left behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_keeps_users_signed_in_with_their_sessions_tokens_and_authorship() {
    let app = TestApp::spawn_on(TestDatabase::sqlite(), secrets).await;
    let cookie = app.sign_up("Alice").await;
    let expired = app.sign_up("bob").await;
    let token: Value = app
        .client
        .post(app.url("/api/auth/tokens"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let post = app.create_post("Authored", "by Alice").await;
    let comment = app.add_comment(post, "also by Alice").await;
    let database = app.database();
    database
        .execute(&format!("UPDATE posts SET author_id = 1 WHERE id = {post}"))
        .await;
    database
        .execute(&format!(
            "UPDATE comments SET author_id = 1 WHERE id = {comment}"
        ))
        .await;
    database
        .execute("UPDATE sessions SET expires_at = 1 WHERE user_id = 2")
        .await;
    let sqlite = app.stop_keeping_database().await;
    let postgres = TestDatabase::postgres().await;

    let output = copy_db(&sqlite, &postgres);

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for progress in [
        "copy-db: users: 2 of 2",
        "copy-db: sessions: 1 of 2",
        "copy-db: API tokens: 1 of 1",
    ] {
        assert!(stdout.contains(progress), "{progress} in {stdout}");
    }
    let to = TestApp::spawn_on(postgres, secrets).await;
    assert_eq!(to.me(&cookie).await, StatusCode::OK);
    assert_eq!(to.me(&expired).await, StatusCode::UNAUTHORIZED);
    let bearer = format!("Bearer {}", token["token"].as_str().unwrap());
    let me = to
        .client
        .get(to.url("/api/auth/me"))
        .header(header::AUTHORIZATION, bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.json::<Value>().await.unwrap(),
        json!({ "username": "Alice" })
    );
    assert_eq!(
        to.sign_in("alice", crate::support::PASSWORD).await.status(),
        StatusCode::OK
    );
    let authors: Vec<i64> = to
        .database()
        .column("SELECT author_id FROM posts WHERE author_id IS NOT NULL UNION ALL SELECT author_id FROM comments WHERE author_id IS NOT NULL")
        .await;
    assert_eq!(authors, vec![1, 1]);
    // New users get ids after the copied ones.
    to.sign_up("carol").await;
    let ids: Vec<i64> = to
        .database()
        .column("SELECT id FROM users ORDER BY id")
        .await;
    assert_eq!(ids, vec![1, 2, 3]);
}
