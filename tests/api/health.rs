use serde_json::{Value, json};

use crate::harness::TestApp;

#[tokio::test]
async fn health_answers_200_when_the_database_answers() {
    let app = TestApp::spawn().await;

    let response = app.get("/api/health").await;

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({ "status": "ok" }));
}

#[tokio::test]
async fn the_database_file_and_its_folder_are_created_on_first_start() {
    let app = TestApp::spawn().await;

    let path = app.database_url.trim_start_matches("sqlite://").to_owned();

    assert!(std::path::Path::new(&path).is_file(), "{path} exists");
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
