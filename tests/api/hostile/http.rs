//! The HTTP layer: bodies over a route's limit or slower than the request timeout, request targets
//! without a path, transfer codings other than `chunked`, and the rejections hyper makes itself
//! (src/api/body_limit.rs, src/middleware/request_form.rs, src/middleware/timeout.rs).

use std::time::{Duration, Instant};

use tokio::{io::AsyncWriteExt, net::TcpStream};

use super::{RawAnswer, assert_still_serving, read_answer, send_raw};
use crate::support::TestApp;

/// The methods the server answers, as its `Allow` lists them.
const SERVER_METHODS: &str = "GET, HEAD, POST, OPTIONS";

/// A request timeout short enough for a test to outlast it.
const SHORT_TIMEOUT: Duration = Duration::from_millis(500);

/// `POST path` with `headers` (each line ending in CRLF) and no body sent.
fn post_head(path: &str, headers: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{headers}\r\n"
    )
    .into_bytes()
}

fn assert_problem(answer: &RawAnswer, status: u16) -> serde_json::Value {
    assert_eq!(answer.status, status, "{answer:?}");
    let problem = answer.problem();
    assert_eq!(problem["status"], status, "{problem}");
    problem
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_a_413_at_once_without_100_continue() {
    let app = TestApp::spawn().await;
    for expect in ["Expect: 100-continue\r\n", ""] {
        for length in ["2000000", "10737418240"] {
            let started = Instant::now();

            let answer = send_raw(
                app.addr,
                &post_head(
                    "/api/post",
                    &format!("Content-Length: {length}\r\n{expect}"),
                ),
            )
            .await;

            assert_problem(&answer, 413);
            assert!(answer.interim.is_empty(), "no 100 Continue: {answer:?}");
            assert_eq!(answer.header("connection"), Some("close"));
            // At once, not when the request timeout (10 s) runs out.
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{expect}{length}"
            );
            assert_still_serving(&app).await;
        }
    }
}

#[tokio::test]
async fn every_route_that_reads_a_body_refuses_a_length_over_its_own_limit() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Limits", "Each route has its own").await;
    let routes = [
        ("/api/post".to_owned(), 1024 * 1024),
        (format!("/api/comments/{post}"), 1024 * 1024),
        ("/api/graphql".to_owned(), 1024 * 1024),
        ("/api/webhook".to_owned(), 64 * 1024),
    ];
    for (path, limit) in routes {
        let over = limit + 1;

        let answer = send_raw(
            app.addr,
            &post_head(
                &path,
                &format!("Content-Length: {over}\r\nExpect: 100-continue\r\n"),
            ),
        )
        .await;

        let problem = assert_problem(&answer, 413);
        assert!(answer.interim.is_empty(), "{path}: {answer:?}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or_default()
                .contains(&limit.to_string()),
            "{path}: {problem}"
        );
        assert_still_serving(&app).await;
    }
}

#[tokio::test]
async fn a_body_of_exactly_the_limit_is_read() {
    let app = TestApp::spawn().await;
    let limit = 1024 * 1024;
    let frame = r#"{"title":"At the limit","post":""}"#;
    let body = format!(
        r#"{{"title":"At the limit","post":"{}"}}"#,
        "a".repeat(limit - frame.len())
    );
    assert_eq!(body.len(), limit);
    let mut request = post_head("/api/post", &format!("Content-Length: {limit}\r\n"));
    request.extend_from_slice(body.as_bytes());

    let answer = send_raw(app.addr, &request).await;

    // Read and judged by its content: a post of a million characters is too long.
    assert_problem(&answer, 422);
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_chunked_body_is_a_413_as_soon_as_it_passes_the_limit() {
    let app = TestApp::spawn().await;
    let chunk = vec![b' '; 64 * 1024];
    let mut stream = TcpStream::connect(app.addr).await.expect("connected");
    stream
        .write_all(&post_head("/api/post", "Transfer-Encoding: chunked\r\n"))
        .await
        .expect("head sent");

    // 17 chunks of 64 KiB pass 1 MiB; the last chunk, which would end the body, never comes.
    for _ in 0..17 {
        let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
        framed.extend_from_slice(&chunk);
        framed.extend_from_slice(b"\r\n");
        if stream.write_all(&framed).await.is_err() {
            break;
        }
    }
    let answer = read_answer(&mut stream).await;

    assert_problem(&answer, 413);
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_body_that_stalls_is_a_408_that_closes_the_connection() {
    let app = TestApp::spawn_with(|config| config.http.request_timeout = SHORT_TIMEOUT).await;
    let mut request = post_head("/api/post", "Content-Length: 100\r\n");
    request.extend_from_slice(br#"{"title":"#);

    let answer = send_raw(app.addr, &request).await;

    let problem = assert_problem(&answer, 408);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("500 ms"),
        "{problem}"
    );
    assert_eq!(answer.header("connection"), Some("close"));
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_body_that_never_follows_its_100_continue_is_a_408() {
    let app = TestApp::spawn_with(|config| config.http.request_timeout = SHORT_TIMEOUT).await;

    let answer = send_raw(
        app.addr,
        &post_head(
            "/api/post",
            "Content-Length: 100\r\nExpect: 100-continue\r\n",
        ),
    )
    .await;

    assert_eq!(answer.interim, [100], "{answer:?}");
    assert_problem(&answer, 408);
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn connect_is_a_405_with_the_servers_methods() {
    let app = TestApp::spawn().await;
    for target in ["127.0.0.1:443", "/api/hello"] {
        let request = format!("CONNECT {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

        let answer = send_raw(app.addr, request.as_bytes()).await;

        assert_problem(&answer, 405);
        assert_eq!(answer.header("allow"), Some(SERVER_METHODS), "{target}");
        assert_still_serving(&app).await;
    }
}

#[tokio::test]
async fn options_asterisk_is_a_204_with_the_servers_methods() {
    let app = TestApp::spawn().await;

    let answer = send_raw(
        app.addr,
        b"OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .await;

    assert_eq!(answer.status, 204, "{answer:?}");
    assert_eq!(answer.header("allow"), Some(SERVER_METHODS));
    assert_eq!(answer.text(), "", "{answer:?}");
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_target_without_a_path_for_any_other_method_is_a_400() {
    let app = TestApp::spawn().await;
    for request in [
        "GET * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "POST * HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n",
        "GET 127.0.0.1:80 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    ] {
        let answer = send_raw(app.addr, request.as_bytes()).await;

        assert_problem(&answer, 400);
        assert_still_serving(&app).await;
    }
}

#[tokio::test]
async fn an_absolute_form_target_is_served_as_its_path() {
    let app = TestApp::spawn().await;

    let api = send_raw(
        app.addr,
        b"GET http://127.0.0.1/api/hello HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .await;
    let page = send_raw(
        app.addr,
        b"GET http://127.0.0.1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .await;

    assert_eq!(api.status, 200, "{api:?}");
    assert_eq!(api.body, br#"{"name":"John Doe"}"#);
    assert_eq!(page.status, 200, "{page:?}");
    assert!(page.text().contains("</html>"), "{page:?}");
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_transfer_coding_other_than_chunked_is_a_501_before_the_body_is_read() {
    let app = TestApp::spawn().await;
    for codings in [
        "Transfer-Encoding: gzip, chunked\r\n",
        "Transfer-Encoding: GZIP,CHUNKED\r\n",
        "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n",
        "Transfer-Encoding: x-custom, chunked\r\n",
    ] {
        // The body never comes: a 501 must not wait for it.
        let answer = send_raw(app.addr, &post_head("/api/post", codings)).await;

        let problem = assert_problem(&answer, 501);
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("chunked"),
            "{problem}"
        );
        assert_eq!(answer.header("connection"), Some("close"), "{codings}");
        assert_still_serving(&app).await;
    }
}

#[tokio::test]
async fn chunked_applied_twice_is_a_400() {
    let app = TestApp::spawn().await;

    let answer = send_raw(
        app.addr,
        &post_head("/api/post", "Transfer-Encoding: chunked, chunked\r\n"),
    )
    .await;

    assert_problem(&answer, 400);
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn chunked_alone_in_any_case_is_read() {
    let app = TestApp::spawn().await;
    let body = br#"{"title":"Chunked","post":"In one chunk"}"#;
    let mut request = post_head("/api/post", "Transfer-Encoding: Chunked\r\n");
    request.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
    request.extend_from_slice(body);
    request.extend_from_slice(b"\r\n0\r\n\r\n");

    let answer = send_raw(app.addr, &request).await;

    assert_eq!(answer.status, 201, "{answer:?}");
    assert_still_serving(&app).await;
}

/// hyper answers these itself, from the request's head, before any of the app's code runs: the
/// status is right, the body empty (there is no hook to give it one).
#[tokio::test]
async fn hyper_refuses_a_malformed_or_oversize_head_itself() {
    let app = TestApp::spawn().await;
    let long_uri = format!("/api/hello?{}", "a".repeat(64 * 1024));
    let many_headers: String = (0..101).map(|n| format!("X-Header-{n}: x\r\n")).collect();
    let huge_header = format!("X-Huge: {}\r\n", "a".repeat(512 * 1024));
    let cases = [
        (
            "GET /api/hello HTTP/1.1 extra\r\nHost: 127.0.0.1\r\n\r\n".to_owned(),
            400,
        ),
        (
            "G@T /api/hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".to_owned(),
            400,
        ),
        (
            "POST /api/post HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ten\r\n\r\n".to_owned(),
            400,
        ),
        (
            "POST /api/post HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"
                .to_owned(),
            400,
        ),
        (
            format!("GET {long_uri} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
            414,
        ),
        (
            format!("GET /api/hello HTTP/1.1\r\nHost: 127.0.0.1\r\n{many_headers}\r\n"),
            431,
        ),
        (
            format!("GET /api/hello HTTP/1.1\r\nHost: 127.0.0.1\r\n{huge_header}\r\n"),
            431,
        ),
    ];
    for (request, status) in cases {
        let answer = send_raw(app.addr, request.as_bytes()).await;

        assert_eq!(answer.status, status, "{answer:?}");
        assert_eq!(answer.text(), "", "{answer:?}");
        assert_still_serving(&app).await;
    }
}
