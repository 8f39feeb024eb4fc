//! The database going away under a running server, and coming back: requests get 503 problem+json
//! (pages: the HTML 503 page) within `DATABASE_TIMEOUT_MS` (no hang, no 500), nothing is
//! half-written, and the same process serves again once the database answers. On a cluster of the test's own, which it stops.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{PgCluster, TestApp, TestDatabase, assert_problem};

const DATABASE_TIMEOUT: Duration = Duration::from_millis(1500);

/// The longest a request may take while the database is down: the timeout, and some slack for a
/// machine that is busy with other tests.
const ANSWER_WITHIN: Duration = Duration::from_millis(1500 + 2500);

async fn app_on_its_own_cluster() -> TestApp {
    let cluster = tokio::task::spawn_blocking(|| PgCluster::start(&[]))
        .await
        .unwrap();
    TestApp::spawn_on(TestDatabase::on_cluster(cluster, ""), |config| {
        config.database.timeout = DATABASE_TIMEOUT;
    })
    .await
}

async fn stop_the_database(app: &TestApp) {
    let database = app.database().cluster().expect("a cluster of its own");
    tokio::task::block_in_place(|| database.stop());
}

async fn start_the_database_again(app: &TestApp) {
    let database = app.database().cluster().expect("a cluster of its own");
    tokio::task::block_in_place(|| database.start_again());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_database_is_down_reads_writes_and_health_answer_503_within_the_timeout() {
    let app = app_on_its_own_cluster().await;
    let post = app.create_post("Before", "the outage").await;
    assert_eq!(app.get("/api/health").await.status(), StatusCode::OK);

    stop_the_database(&app).await;

    let comments = format!("/api/comments/{post}");
    let requests = [
        app.get("/api/health"),
        app.get("/api/post"),
        app.get(&comments),
    ];
    for request in requests {
        let started = Instant::now();
        let response = request.await;
        assert!(started.elapsed() < ANSWER_WITHIN, "{:?}", started.elapsed());
        assert_problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
    }
    let (new_post, new_comment) = (
        json!({ "title": "During", "post": "the outage" }),
        json!({ "comment": "Lost?" }),
    );
    for write in [
        app.post_json("/api/post", &new_post),
        app.post_json(&comments, &new_comment),
    ] {
        let started = Instant::now();
        let response = write.await;
        assert!(started.elapsed() < ANSWER_WITHIN, "{:?}", started.elapsed());
        assert_problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
    }
    start_the_database_again(&app).await;
    assert_eq!(app.count("posts").await, 1, "nothing was half-written");
    assert_eq!(app.count("comments").await, 0, "nothing was half-written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_database_is_down_pages_answer_an_html_503_page_with_retry_after() {
    let app = app_on_its_own_cluster().await;
    let post = app.create_post("Before", "the outage").await;

    stop_the_database(&app).await;

    for page in ["/".to_owned(), format!("/posts/{post}")] {
        let started = Instant::now();
        let response = app.get(&page).await;
        assert!(started.elapsed() < ANSWER_WITHIN, "{:?}", started.elapsed());
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{page}");
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(header("retry-after").as_deref(), Some("5"), "{page}");
        assert_eq!(
            header("cache-control").as_deref(),
            Some("no-store"),
            "{page}"
        );
        let content_type = header("content-type").unwrap_or_default();
        assert!(
            content_type.starts_with("text/html"),
            "{page}: {content_type}"
        );
        let html = response.text().await.unwrap();
        assert!(html.contains("Temporarily unavailable"), "{page}: {html}");
        assert!(!html.contains("the outage"), "{page}: no stale content");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_the_database_is_back_the_same_process_serves_again() {
    let app = app_on_its_own_cluster().await;
    app.create_post("Before", "the outage").await;
    stop_the_database(&app).await;
    assert_eq!(
        app.get("/api/health").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );

    start_the_database_again(&app).await;

    // Connections the restart broke are found before they fail a request (pinged when idle for a
    // second, and a read whose connection was lost runs once more): the first request answers.
    assert_eq!(app.get("/api/health").await.status(), StatusCode::OK);
    assert_eq!(app.get("/api/post").await.status(), StatusCode::OK);
    let after = app.create_post("After", "the outage").await;
    assert_eq!(
        app.get(&format!("/api/post/{after}")).await.status(),
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_right_after_the_server_dropped_every_pooled_connection_still_answer_200() {
    let app = app_on_its_own_cluster().await;
    let post = app.create_post("Before", "the drop").await;
    let path = format!("/api/post/{post}");
    // Several connections in the pool, all just used: lent again within a second, unchecked.
    let warm = tokio::join!(
        app.get(&path),
        app.get(&path),
        app.get(&path),
        app.get(&path)
    );
    for response in [warm.0, warm.1, warm.2, warm.3] {
        assert_eq!(response.status(), StatusCode::OK);
    }

    // What a restart or a failover does to them, without the downtime.
    let dropped: Vec<bool> = app
        .database()
        .column(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = 'leptos-api-routes'",
        )
        .await;
    assert!(!dropped.is_empty(), "the server had connections to drop");

    for _ in 0..dropped.len() + 1 {
        assert_eq!(app.get(&path).await.status(), StatusCode::OK);
    }
    assert_eq!(
        app.get(&format!("/posts/{post}")).await.status(),
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graphql_query_while_the_database_is_down_fails_with_the_code_unavailable() {
    let app = app_on_its_own_cluster().await;
    stop_the_database(&app).await;

    let response = app
        .post_json(
            "/api/graphql",
            &json!({ "query": "{ posts { posts { id } } }" }),
        )
        .await;

    assert_eq!(
        response.status(),
        StatusCode::OK,
        "GraphQL answers errors in its body"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAVAILABLE",
        "{body}"
    );
}
