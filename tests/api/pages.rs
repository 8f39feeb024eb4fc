use crate::harness::{TestApp, content_type};

#[tokio::test]
async fn the_home_page_is_server_rendered_with_the_title() {
    let app = TestApp::spawn().await;

    let response = app.get("/").await;

    assert_eq!(response.status(), 200);
    assert!(content_type(&response).starts_with("text/html"));
    let html = response.text().await.unwrap();
    assert!(
        html.contains("<title>Home · Leptos API Routes</title>"),
        "{html}"
    );
    // Leptos adds hydration markers after text nodes, hence no closing tag here.
    assert!(html.contains("<h1>Leptos API Routes"), "{html}");
}

#[tokio::test]
async fn an_unknown_page_answers_404_with_the_not_found_page() {
    let app = TestApp::spawn().await;

    let response = app.get("/no/such/page").await;

    assert_eq!(response.status(), 404);
    assert!(content_type(&response).starts_with("text/html"));
    let html = response.text().await.unwrap();
    assert!(html.contains("Page not found"), "{html}");
}
