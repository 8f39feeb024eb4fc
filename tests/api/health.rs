use serde_json::{Value, json};

use crate::support::{TestApp, TestDatabase};

#[tokio::test]
async fn health_answers_200_and_names_the_backend_when_the_database_answers() {
    let app = TestApp::spawn().await;

    let response = app.get("/api/health").await;

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({ "status": "ok", "database": app.backend().name() })
    );
}

#[tokio::test]
async fn the_sqlite_database_file_and_its_folder_are_created_on_first_start() {
    let app = TestApp::spawn_on(TestDatabase::sqlite(), |_| {}).await;

    let file = app.database().sqlite_file().expect("a SQLite file");

    assert!(file.is_file(), "{} exists", file.display());
}

#[tokio::test]
async fn shutdown_finishes_cleanly_and_closes_the_database() {
    let app = TestApp::spawn().await;
    let addr = app.addr;
    assert_eq!(app.get("/api/health").await.status(), 200);

    app.shut_down().await.expect("a clean shutdown");

    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "the port no longer accepts connections"
    );
}
