//! Hostile request headers (`src/middleware/request_id.rs`, `src/middleware/hosts.rs`): a request
//! id that is huge or not text is replaced, not echoed and logged; a `Host` not served, two of
//! them, none, or an absolute-form target naming another host, is a 400 problem; a DNS-rebinding
//! write (its `Origin` the same rebound name as its `Host`) is refused from its head, with no
//! `100 Continue`, and creates nothing.

use super::{RawAnswer, assert_still_serving, send_raw};
use crate::support::TestApp;

/// `GET /api/hello` with `headers` (each line ending in CRLF) and nothing else.
async fn hello_with(app: &TestApp, headers: &[u8]) -> RawAnswer {
    let mut request = b"GET /api/hello HTTP/1.1\r\n".to_vec();
    request.extend_from_slice(headers);
    request.extend_from_slice(b"Connection: close\r\n\r\n");
    send_raw(app.addr, &request).await
}

/// The answer is a 400 problem saying why.
fn assert_bad_request(answer: &RawAnswer) {
    assert_eq!(answer.status, 400, "{answer:?}");
    let problem = answer.problem();
    assert_eq!(problem["status"], 400, "{problem}");
}

/// The id the answer carries is a new one: a UUID, not what was sent.
fn assert_new_request_id(answer: &RawAnswer) {
    let id = answer.header("x-request-id").expect("an x-request-id");
    assert!(id.len() <= 128, "{} bytes", id.len());
    assert!(uuid::Uuid::parse_str(id).is_ok(), "a new UUID: {id}");
}

#[tokio::test]
async fn a_64_kib_request_id_is_replaced_by_a_new_one_and_the_request_served() {
    let app = TestApp::spawn().await;
    let huge = format!("x-request-id: {}\r\n", "a".repeat(64 * 1024));

    let answer = hello_with(&app, format!("Host: 127.0.0.1\r\n{huge}").as_bytes()).await;

    assert_eq!(answer.status, 200, "{:?}", answer.headers);
    assert_new_request_id(&answer);
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_request_id_with_a_byte_above_ascii_is_replaced() {
    let app = TestApp::spawn().await;

    let answer = hello_with(&app, b"Host: 127.0.0.1\r\nx-request-id: ticket-\xff-7\r\n").await;

    assert_eq!(answer.status, 200);
    assert_new_request_id(&answer);
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_request_id_with_a_space_is_replaced() {
    let app = TestApp::spawn().await;

    let answer = hello_with(&app, b"Host: 127.0.0.1\r\nx-request-id: a b\r\n").await;

    assert_eq!(answer.status, 200);
    assert_new_request_id(&answer);
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_host_not_served_gets_400_problem_json_with_its_request_id() {
    let app = TestApp::spawn().await;

    let answer = hello_with(&app, b"Host: evil.example\r\nx-request-id: rebind-1\r\n").await;

    assert_bad_request(&answer);
    assert!(answer.text().contains("ALLOWED_HOSTS"), "{}", answer.text());
    assert_eq!(answer.header("x-request-id"), Some("rebind-1"));
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn two_host_headers_get_400_even_when_both_are_served() {
    let app = TestApp::spawn().await;

    let answer = hello_with(&app, b"Host: 127.0.0.1\r\nHost: 127.0.0.1\r\n").await;

    assert_bad_request(&answer);
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_served_host_and_another_get_400() {
    let app = TestApp::spawn().await;

    let answer = hello_with(&app, b"Host: 127.0.0.1\r\nHost: evil.example\r\n").await;

    assert_bad_request(&answer);
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn an_http_1_1_request_without_host_gets_400() {
    let app = TestApp::spawn().await;

    let answer = hello_with(&app, b"").await;

    assert_bad_request(&answer);
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_host_that_is_not_a_host_name_gets_400() {
    let app = TestApp::spawn().await;

    for host in [
        &b"Host: user@127.0.0.1\r\n"[..],
        b"Host: 127.0.0.1:http\r\n",
        b"Host: \xff.example\r\n",
        b"Host: \r\n",
    ] {
        let answer = hello_with(&app, host).await;
        assert_bad_request(&answer);
        assert_still_serving(&app).await;
    }
}

#[tokio::test]
async fn an_absolute_form_target_for_another_host_gets_400_whatever_the_host_header() {
    let app = TestApp::spawn().await;

    let answer = send_raw(
        app.addr,
        b"GET http://evil.example/api/hello HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .await;

    assert_bad_request(&answer);
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn an_absolute_form_target_for_a_served_host_is_answered() {
    let app = TestApp::spawn().await;
    let request = format!(
        "GET http://127.0.0.1:{}/api/hello HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        app.addr.port()
    );

    let answer = send_raw(app.addr, request.as_bytes()).await;

    assert_eq!(answer.status, 200, "{answer:?}");
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_dns_rebinding_write_gets_400_and_creates_no_post() {
    let app = TestApp::spawn().await;
    let body = r#"{"title":"Rebound","post":"Same-site by DNS"}"#;
    let request = format!(
        "POST /api/post HTTP/1.1\r\nHost: evil.example:{port}\r\n\
         Origin: http://evil.example:{port}\r\nSec-Fetch-Site: same-origin\r\n\
         Content-Type: application/json\r\nContent-Length: {length}\r\n\
         Expect: 100-continue\r\nConnection: close\r\n\r\n{body}",
        port = app.addr.port(),
        length = body.len(),
    );

    let answer = send_raw(app.addr, request.as_bytes()).await;

    assert_bad_request(&answer);
    assert!(
        answer.interim.is_empty(),
        "refused from its head: {answer:?}"
    );
    assert_eq!(app.count("posts").await, 0, "no post is created");
    assert_still_serving(&app).await;
}
