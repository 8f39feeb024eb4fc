use serde_json::Value;

use crate::support::{TestApp, content_type};

#[tokio::test]
async fn an_unknown_api_path_answers_a_problem_json_404() {
    let app = TestApp::spawn().await;

    let response = app.get("/api/x").await;

    assert_eq!(response.status(), 404);
    assert_eq!(content_type(&response), "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], 404);
    assert_eq!(body["title"], "Not Found");
    assert_eq!(body["detail"], "No API route matches /api/x.");
}

#[tokio::test]
async fn an_unknown_nested_api_path_answers_json_not_the_html_page() {
    let app = TestApp::spawn().await;

    let response = app.get("/api/does/not/exist").await;

    assert_eq!(response.status(), 404);
    assert_eq!(content_type(&response), "application/problem+json");
}

#[tokio::test]
async fn the_api_folder_itself_answers_a_problem_json_404() {
    let app = TestApp::spawn().await;

    for path in ["/api", "/api/"] {
        let response = app.get(path).await;

        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(
            content_type(&response),
            "application/problem+json",
            "{path}"
        );
    }
}
