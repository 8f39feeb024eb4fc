//! The hostile-input suite: requests an attacker would send, written byte for byte on a raw TCP
//! connection so that no client library normalises them, each with the answer it must get — and,
//! after it, proof that the server still serves everyone else (`/api/health` answers 200).
//!
//! One file per layer that owns the defence; every test runs on SQLite and, with
//! `TEST_DATABASE_URL`, on PostgreSQL.

use std::{net::SocketAddr, time::Duration};

use serde_json::Value;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::support::TestApp;

/// Longer than any answer here may take; a test that waits this long has failed.
const PATIENCE: Duration = Duration::from_secs(20);

/// One HTTP/1.1 answer as it came off the wire.
#[derive(Debug)]
pub struct RawAnswer {
    /// The status line's code, e.g. 413.
    pub status: u16,
    /// The interim `1xx` status lines that came before the final one (`100 Continue`…).
    pub interim: Vec<u16>,
    /// Header names lower-cased, values as sent, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawAnswer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The body as problem+json, asserting that is what it is.
    pub fn problem(&self) -> Value {
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "a problem+json answer: {self:?}"
        );
        serde_json::from_slice(&self.body).expect("a JSON problem body")
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `request` exactly as given on a new connection, then reads until the server closes it
/// (or, when the answer says its length, until the body is whole) and parses what came.
pub async fn send_raw(addr: SocketAddr, request: &[u8]) -> RawAnswer {
    let mut stream = TcpStream::connect(addr).await.expect("connected");
    // A server may answer and stop reading before the whole request is sent (a 413 from the head):
    // what it answered is what the test checks, so a failed write is not a failure here.
    let _ = stream.write_all(request).await;
    read_answer(&mut stream).await
}

/// Reads one final answer (after any `1xx`) from `stream`.
pub async fn read_answer(stream: &mut TcpStream) -> RawAnswer {
    let mut received = Vec::new();
    tokio::time::timeout(PATIENCE, async {
        let mut buffer = [0u8; 8192];
        loop {
            if let Some(answer) = parse(&received) {
                return answer;
            }
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => {
                    return parse_closed(&received).unwrap_or_else(|| {
                        panic!(
                            "the connection closed without an answer: {:?}",
                            String::from_utf8_lossy(&received)
                        )
                    });
                }
                Ok(read) => received.extend_from_slice(&buffer[..read]),
            }
        }
    })
    .await
    .expect("an answer in time")
}

/// A whole answer in `bytes`, if one is there: the head and, by `Content-Length` or chunks, the body.
fn parse(bytes: &[u8]) -> Option<RawAnswer> {
    let (mut answer, body) = parse_head(bytes)?;
    if let Some(length) = answer.header("content-length") {
        let length: usize = length.parse().expect("a numeric Content-Length");
        if body.len() < length {
            return None;
        }
        answer.body = body[..length].to_vec();
        return Some(answer);
    }
    if answer
        .header("transfer-encoding")
        .is_some_and(|coding| coding.eq_ignore_ascii_case("chunked"))
    {
        answer.body = dechunk(body)?;
        return Some(answer);
    }
    if answer.status == 204 || answer.status == 304 {
        return Some(answer);
    }
    None
}

/// The answer once the server closed the connection: the body is whatever came after the head.
fn parse_closed(bytes: &[u8]) -> Option<RawAnswer> {
    parse(bytes).or_else(|| {
        let (mut answer, body) = parse_head(bytes)?;
        answer.body = body.to_vec();
        Some(answer)
    })
}

/// The final status line and headers (skipping interim `1xx` answers), and the bytes after them.
fn parse_head(mut bytes: &[u8]) -> Option<(RawAnswer, &[u8])> {
    let mut interim = Vec::new();
    loop {
        let end = bytes.windows(4).position(|window| window == b"\r\n\r\n")?;
        let head = std::str::from_utf8(&bytes[..end]).expect("a text head");
        let mut lines = head.split("\r\n");
        let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        bytes = &bytes[end + 4..];
        if (100..200).contains(&status) {
            interim.push(status);
            continue;
        }
        let answer = RawAnswer {
            status,
            interim,
            headers,
            body: Vec::new(),
        };
        return Some((answer, bytes));
    }
}

/// A chunked body decoded, once its last chunk has come.
fn dechunk(mut bytes: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = bytes.windows(2).position(|window| window == b"\r\n")?;
        let size_text = std::str::from_utf8(&bytes[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        bytes = &bytes[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        if bytes.len() < size + 2 {
            return None;
        }
        body.extend_from_slice(&bytes[..size]);
        bytes = &bytes[size + 2..];
    }
}

/// After a hostile request, the server must still answer everyone else.
pub async fn assert_still_serving(app: &TestApp) {
    let answer = send_raw(
        app.addr,
        b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(
        answer.status, 200,
        "/api/health after the attack: {answer:?}"
    );
}

#[tokio::test]
async fn a_plain_request_on_a_raw_connection_is_read_back_whole() {
    let app = TestApp::spawn().await;
    let answer = send_raw(
        app.addr,
        b"GET /api/hello HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, br#"{"name":"John Doe"}"#);
    assert_still_serving(&app).await;
}
mod forms;
mod graphql;
mod growth;
mod headers;
mod http;
