use serde_json::{Value, json};

use crate::support::{TestApp, content_type};

#[tokio::test]
async fn hello_answers_200_with_john_doe() {
    let app = TestApp::spawn().await;

    let response = app.get("/api/hello").await;

    assert_eq!(response.status(), 200);
    assert!(content_type(&response).starts_with("application/json"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({ "name": "John Doe" }));
}
