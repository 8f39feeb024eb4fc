//! Live comments' streams through every layer of a real server (src/runtime/serve.rs, the
//! middleware): a stream outlives `REQUEST_TIMEOUT_MS` and `HTTP_IDLE_TIMEOUT_MS`, SIGTERM ends
//! open streams at once, `Last-Event-ID` after a restart gives exactly what was missed, and a
//! reader that never reads costs the server its socket's worth, not the comments it did not take.

use std::time::{Duration, Instant};

use leptos_api_routes::config::HttpConfig;
use reqwest::Client;
use tokio::{io::AsyncWriteExt, net::TcpSocket};

use crate::support::{
    PATIENCE, ServerProcess, TestApp, TestDatabase, add_comment, create_post, send_signal, stream,
    test_http_config,
};

const WITHIN: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_stream_outlives_the_request_timeout_and_the_idle_timeout() {
    let short = Duration::from_millis(300);
    let app = TestApp::spawn_with_http(HttpConfig {
        request_timeout: short,
        idle_timeout: short,
        header_timeout: short,
        ..test_http_config()
    })
    .await;
    let post = app.create_post("Live", "Patient").await;
    let base = app.url("");
    let mut reader = stream(&app.client, &base, post, None).await;

    tokio::time::sleep(short * 5).await;
    let id = app.add_comment(post, "Still there?").await;

    assert_eq!(reader.next_comment(WITHIN).await.id(), id);
}

#[tokio::test]
async fn sigterm_ends_open_streams_within_a_second_and_the_server_exits() {
    let database = TestDatabase::fresh().await;
    let folder = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::on_database(folder.path(), database.url(), &[]);
    let (client, base) = (Client::new(), server.url(""));
    let post = create_post(&client, &base).await;
    let mut readers = Vec::new();
    for _ in 0..3 {
        readers.push(stream(&client, &base, post, None).await);
    }

    send_signal("TERM", server.id());
    let sent = Instant::now();

    for reader in &mut readers {
        assert!(
            reader.ends_within(Duration::from_secs(1)).await,
            "a stream still open"
        );
    }
    assert!(
        sent.elapsed() < Duration::from_secs(1),
        "{:?}",
        sent.elapsed()
    );
    server.wait_for_line("stopped");
    server.kill();
}

#[tokio::test]
async fn sigterm_does_not_wait_forever_for_a_client_that_stopped_reading_its_stream() {
    let database = TestDatabase::fresh().await;
    let folder = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::on_database(
        folder.path(),
        database.url(),
        &[("REQUEST_TIMEOUT_MS", "1000"), ("TRIVIA_TIMEOUT_MS", "500")],
    );
    let (client, base) = (Client::new(), server.url(""));
    let post = create_post(&client, &base).await;
    // 5.6 MB of events, more than both sockets' buffers hold: the stream is stuck writing.
    let text = "\u{1F600}".repeat(2_000);
    for _ in 0..700 {
        add_comment(&client, &base, post, &text).await;
    }
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stalled = socket.connect(server.addr).await.unwrap();
    let request = format!(
        "GET /api/comments/{post}/events?after=0 HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n"
    );
    stalled.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;

    send_signal("TERM", server.id());
    let sent = Instant::now();
    // The request timeout and a second of grace, then the connection is dropped.
    server.wait_for_line("stopped");
    assert!(
        sent.elapsed() < Duration::from_secs(5),
        "the server took {:?} to stop",
        sent.elapsed()
    );
    drop(stalled);
    server.kill();
}

#[tokio::test]
async fn last_event_id_after_a_server_restart_delivers_exactly_the_missed_comments() {
    let database = TestDatabase::fresh().await;
    let folder = tempfile::tempdir().unwrap();
    let client = Client::new();
    let mut first = ServerProcess::on_database(folder.path(), database.url(), &[]);
    let base = first.url("");
    let post = create_post(&client, &base).await;
    let mut reader = stream(&client, &base, post, None).await;
    let seen = add_comment(&client, &base, post, "Seen").await;
    assert_eq!(reader.next_comment(WITHIN).await.id(), seen);
    send_signal("TERM", first.id());
    assert!(reader.ends_within(Duration::from_secs(2)).await);
    first.wait_for_line("stopped");
    first.kill();

    let second = ServerProcess::on_database(folder.path(), database.url(), &[]);
    let base = second.url("");
    let missed = [
        add_comment(&client, &base, post, "Missed 1").await,
        add_comment(&client, &base, post, "Missed 2").await,
    ];
    let mut resumed = stream(&client, &base, post, Some(seen)).await;

    assert_eq!(resumed.next_comment(WITHIN).await.id(), missed[0]);
    assert_eq!(resumed.next_comment(WITHIN).await.id(), missed[1]);
    let live = add_comment(&client, &base, post, "Live again").await;
    assert_eq!(resumed.next_comment(WITHIN).await.id(), live);
}

/// Resident memory of `pid`, from /proc.
fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test]
async fn readers_that_never_read_hold_their_socket_not_the_comments_and_catch_up_when_they_do() {
    const READERS: usize = 20;
    const COMMENTS: usize = 300;
    let database = TestDatabase::fresh().await;
    let folder = tempfile::tempdir().unwrap();
    let server = ServerProcess::on_database(folder.path(), database.url(), &[]);
    let (client, base) = (Client::new(), server.url(""));
    let post = create_post(&client, &base).await;
    // `?after=0`: the server may take these requests after the first comment is in; without it,
    // such a stream would rightly start after that comment.
    let request = format!(
        "GET /api/comments/{post}/events?after=0 HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n"
    );
    let mut stalled = Vec::new();
    for _ in 0..READERS {
        let socket = TcpSocket::new_v4().unwrap();
        // A small window, so the kernel does not read for the client.
        socket.set_recv_buffer_size(4096).unwrap();
        let mut connection = socket.connect(server.addr).await.unwrap();
        connection.write_all(request.as_bytes()).await.unwrap();
        stalled.push(connection);
    }
    let mut reading = stream(&client, &base, post, None).await;
    let before = resident_kib(server.id());

    // 300 comments of about 2 000 bytes: 600 KB of events per reader, 12 MB for all of them.
    let text = "x".repeat(2_000);
    let mut ids = Vec::new();
    for _ in 0..COMMENTS {
        ids.push(add_comment(&client, &base, post, &text).await);
    }
    for id in &ids {
        assert_eq!(reading.next_comment(WITHIN).await.id(), *id);
    }
    let grown = resident_kib(server.id()).saturating_sub(before);

    let unread = READERS * COMMENTS * 2;
    assert!(
        grown < unread as u64 / 4,
        "grew {grown} KiB for {unread} KiB unread"
    );
    // One of them reads at last: every comment, in order, once (the lag is read from the database).
    let mut late = Vec::new();
    let stalled_one = stalled.pop().unwrap();
    let mut buffer = String::new();
    let mut bytes = tokio::io::BufReader::new(stalled_one);
    let deadline = Instant::now() + PATIENCE;
    while late.len() < COMMENTS && Instant::now() < deadline {
        use tokio::io::AsyncBufReadExt;
        buffer.clear();
        let read = tokio::time::timeout(WITHIN, bytes.read_line(&mut buffer))
            .await
            .unwrap()
            .unwrap();
        assert!(read > 0, "the stream ended");
        if let Some(id) = buffer.trim_end().strip_prefix("id: ") {
            late.push(id.parse::<i64>().unwrap());
        }
    }
    assert_eq!(late, ids);
}
