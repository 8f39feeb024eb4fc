//! Slow and idle clients (src/runtime/serve.rs): a client that trickles its headers, sends nothing,
//! or keeps an idle connection is cut off once its time is up, ordinary requests are answered
//! meanwhile, and connections over the cap wait instead of failing. Raw TCP on 127.0.0.1, with
//! timeouts of a second or so, every wait bounded.

use std::{
    num::NonZeroUsize,
    time::{Duration, Instant},
};

use leptos_api_routes::config::HttpConfig;
use reqwest::StatusCode;
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    task::JoinSet,
};

use crate::support::{TestApp, test_http_config};

const HEADER_TIMEOUT: Duration = Duration::from_millis(1_000);
const IDLE_TIMEOUT: Duration = Duration::from_millis(2_000);

/// How long any wait in these tests may take before it counts as "never".
const NEVER: Duration = Duration::from_secs(10);

/// A request head, complete.
const HELLO: &[u8] = b"GET /api/hello HTTP/1.1\r\nHost: localhost\r\n\r\n";

/// The server with short header and idle timeouts (and `max_connections`, when given).
async fn app_with_short_timeouts(max_connections: Option<usize>) -> TestApp {
    TestApp::spawn_with_http(HttpConfig {
        header_timeout: HEADER_TIMEOUT,
        idle_timeout: IDLE_TIMEOUT,
        max_connections: max_connections.and_then(NonZeroUsize::new),
        ..test_http_config()
    })
    .await
}

/// Waits until the server closes `stream` (a read of 0 bytes, or an error), reading and dropping
/// whatever it sends before; returns when, counted from `since`.
async fn closed_after(stream: &mut (impl AsyncRead + Unpin), since: Instant) -> Duration {
    let mut buffer = [0u8; 1024];
    let closed = tokio::time::timeout(NEVER, async {
        while let Ok(read) = stream.read(&mut buffer).await {
            if read == 0 {
                break;
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the server never closed the connection");
    since.elapsed()
}

/// Reads one response to `GET /api/hello` (its head and its JSON body) from `stream`.
async fn read_hello_response(stream: &mut TcpStream) -> String {
    let mut response = Vec::new();
    let mut buffer = [0u8; 1024];
    tokio::time::timeout(NEVER, async {
        while !response.ends_with(b"}") {
            let read = stream
                .read(&mut buffer)
                .await
                .expect("the response arrives");
            assert!(read > 0, "closed before the response ended");
            response.extend_from_slice(&buffer[..read]);
        }
    })
    .await
    .expect("the response arrives in time");
    String::from_utf8(response).expect("a text response")
}

/// A client that sends a request head a header line at a time, every 100 ms, and never ends it.
/// Returns how long the server kept the connection open.
async fn trickle_headers(addr: std::net::SocketAddr) -> Duration {
    let started = Instant::now();
    let stream = TcpStream::connect(addr).await.expect("connected");
    let (mut reader, mut writer) = stream.into_split();
    let trickle = tokio::spawn(async move {
        let _ = writer
            .write_all(b"GET /api/hello HTTP/1.1\r\nHost: localhost\r\n")
            .await;
        for line in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if writer
                .write_all(format!("X-Slow-{line}: yes\r\n").as_bytes())
                .await
                .is_err()
            {
                break;
            }
        }
    });
    let held = closed_after(&mut reader, started).await;
    trickle.abort();
    held
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_trickle_their_headers_are_cut_off_while_others_are_answered() {
    let app = app_with_short_timeouts(None).await;
    let started = Instant::now();
    let mut slow = JoinSet::new();
    for _ in 0..200 {
        slow.spawn(trickle_headers(app.addr));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut statuses = Vec::new();
    for _ in 0..20 {
        statuses.push(app.get("/api/hello").await.status());
    }
    let ordinary_done = started.elapsed();
    let mut held = Vec::new();
    while let Some(duration) = slow.join_next().await {
        held.push(duration.expect("the slow client ends"));
    }

    assert!(
        statuses.iter().all(|status| *status == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(held.len(), 200);
    let first_cut = held.iter().min().copied().unwrap_or_default();
    assert!(
        ordinary_done < first_cut,
        "answered meanwhile: {ordinary_done:?} vs {first_cut:?}"
    );
    for duration in held {
        assert!(
            duration >= HEADER_TIMEOUT,
            "cut off before its time: {duration:?}"
        );
        assert!(duration < 3 * HEADER_TIMEOUT, "held for {duration:?}");
    }
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_header_timeout() {
    let app = app_with_short_timeouts(None).await;
    let connected = Instant::now();
    let mut stream = TcpStream::connect(app.addr).await.expect("connected");

    let held = closed_after(&mut stream, connected).await;

    assert!(held >= HEADER_TIMEOUT, "{held:?}");
    assert!(
        held < IDLE_TIMEOUT,
        "held for the idle timeout, not the header timeout: {held:?}"
    );
}

#[tokio::test]
async fn a_kept_alive_connection_is_closed_after_the_idle_timeout() {
    let app = app_with_short_timeouts(None).await;
    let mut stream = TcpStream::connect(app.addr).await.expect("connected");
    stream.write_all(HELLO).await.expect("sent");
    let response = read_hello_response(&mut stream).await;
    let answered = Instant::now();

    let idle = closed_after(&mut stream, answered).await;

    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(idle >= IDLE_TIMEOUT - Duration::from_millis(50), "{idle:?}");
    assert!(idle < 2 * IDLE_TIMEOUT, "{idle:?}");
}

#[tokio::test]
async fn a_kept_alive_connection_takes_a_next_request_sent_after_the_header_timeout() {
    let app = app_with_short_timeouts(None).await;
    let mut stream = TcpStream::connect(app.addr).await.expect("connected");
    stream.write_all(HELLO).await.expect("sent");
    read_hello_response(&mut stream).await;

    // Longer than the header timeout, within the idle timeout.
    tokio::time::sleep(HEADER_TIMEOUT + Duration::from_millis(300)).await;
    stream.write_all(HELLO).await.expect("sent again");
    let second = read_hello_response(&mut stream).await;

    assert!(second.starts_with("HTTP/1.1 200 OK"), "{second}");
}

#[tokio::test]
async fn a_request_whose_body_is_slower_than_the_header_timeout_is_still_answered() {
    let app = app_with_short_timeouts(None).await;
    let body = br#"{"title":"Slowly","post":"Sent a few bytes at a time"}"#;
    let mut stream = TcpStream::connect(app.addr).await.expect("connected");
    let head = format!(
        "POST /api/post HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("head sent");

    // The body over twice the header timeout: it is not part of the head.
    for chunk in body.chunks(body.len().div_ceil(10)) {
        tokio::time::sleep(HEADER_TIMEOUT / 5).await;
        stream.write_all(chunk).await.expect("body sent");
    }
    let mut response = vec![0u8; 1024];
    let read = tokio::time::timeout(NEVER, stream.read(&mut response))
        .await
        .expect("an answer in time")
        .expect("an answer");

    let response = String::from_utf8_lossy(&response[..read]);
    assert!(response.starts_with("HTTP/1.1 201 Created"), "{response}");
}

#[tokio::test]
async fn connections_over_the_cap_wait_for_a_free_one_instead_of_failing() {
    let app = app_with_short_timeouts(Some(2)).await;
    let mut silent = Vec::new();
    for _ in 0..2 {
        silent.push(TcpStream::connect(app.addr).await.expect("connected"));
    }
    // Both are accepted before the next one connects.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let client = reqwest::Client::new();

    let started = Instant::now();
    let response = tokio::time::timeout(NEVER, client.get(app.url("/api/hello")).send())
        .await
        .expect("answered in time")
        .expect("answered");
    let waited = started.elapsed();

    assert_eq!(response.status(), StatusCode::OK);
    // Answered once the header timeout freed a place, not before.
    assert!(
        waited >= HEADER_TIMEOUT - Duration::from_millis(200),
        "{waited:?}"
    );
    drop(silent);
}

#[tokio::test]
async fn a_request_in_flight_when_shutdown_begins_is_answered_before_the_server_stops() {
    let app = app_with_short_timeouts(None).await;
    let addr = app.addr;
    let body = br#"{"title":"Last","post":"Sent while the server shuts down"}"#;
    let (first_half, second_half) = body.split_at(body.len() / 2);
    let mut stream = TcpStream::connect(addr).await.expect("connected");
    let head = format!(
        "POST /api/post HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("head sent");
    stream
        .write_all(first_half)
        .await
        .expect("half the body sent");
    tokio::time::sleep(Duration::from_millis(200)).await;

    let shutdown = tokio::spawn(app.shut_down());
    tokio::time::sleep(Duration::from_millis(200)).await;
    stream.write_all(second_half).await.expect("the rest sent");
    let mut response = vec![0u8; 1024];
    let read = tokio::time::timeout(NEVER, stream.read(&mut response))
        .await
        .expect("an answer in time")
        .expect("an answer");
    let stopped = tokio::time::timeout(NEVER, shutdown).await;

    let response = String::from_utf8_lossy(&response[..read]);
    assert!(response.starts_with("HTTP/1.1 201 Created"), "{response}");
    let stopped = stopped
        .expect("the server stops in time")
        .expect("the task ends");
    assert!(stopped.is_ok(), "a clean shutdown: {stopped:?}");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no longer accepting"
    );
}
