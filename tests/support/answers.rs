//! Checks on answers the tests share: headers as text, RFC 9457 problem bodies, `Allow` lists.

use reqwest::{Response, StatusCode};
use serde_json::Value;

/// The media type of JSON bodies.
pub const JSON: &str = "application/json";

/// The `Content-Type` of a response, or "" when it has none.
pub fn content_type(response: &Response) -> String {
    header(response, reqwest::header::CONTENT_TYPE)
}

/// A header of a response as text, or "" when it is absent.
pub fn header(response: &Response, name: impl reqwest::header::AsHeaderName) -> String {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Checks that `response` is RFC 9457 problem details for `status` and returns its body.
pub async fn assert_problem(response: Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(content_type(&response), "application/problem+json");
    let body: Value = response.json().await.expect("a JSON problem body");
    assert!(body["type"].is_string(), "a type: {body}");
    assert_eq!(body["status"], status.as_u16(), "{body}");
    assert_eq!(
        body["title"],
        status.canonical_reason().expect("a standard status"),
        "{body}"
    );
    assert!(!detail(&body).is_empty(), "a detail: {body}");
    body
}

/// The `detail` of a problem body, or "" when it has none.
pub fn detail(problem: &Value) -> &str {
    problem["detail"].as_str().unwrap_or_default()
}

/// The methods the `Allow` header of a response lists, sorted.
pub fn allowed_methods(response: &Response) -> Vec<String> {
    let mut methods: Vec<String> = header(response, reqwest::header::ALLOW)
        .split(',')
        .map(|method| method.trim().to_owned())
        .filter(|method| !method.is_empty())
        .collect();
    methods.sort();
    methods
}

/// The `Location` header of a response, or "" when it has none.
pub fn location(response: &Response) -> String {
    header(response, reqwest::header::LOCATION)
}
