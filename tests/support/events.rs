//! A server-sent events client for the tests: reads a `text/event-stream` response chunk by chunk
//! and parses its events (`id:`, `event:`, `data:`, `retry:`, comment lines), as a browser's
//! `EventSource` does, so a test sees exactly what went over the wire.

use std::time::Duration;

use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};

/// One event as received; `comment` is a `:` line's text (a keep-alive), alone in its block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: Option<String>,
    pub retry: Option<u64>,
    pub comment: Option<String>,
}

impl SseEvent {
    /// The `data:` of a `comment` event, as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(self.data.as_deref().expect("a data line")).expect("JSON data")
    }

    pub fn id(&self) -> i64 {
        self.id
            .as_deref()
            .expect("an id line")
            .parse()
            .expect("a numeric id")
    }
}

pub struct EventReader {
    response: Response,
    buffer: String,
}

impl EventReader {
    pub fn new(response: Response) -> Self {
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        Self {
            response,
            buffer: String::new(),
        }
    }

    pub fn response(&self) -> &Response {
        &self.response
    }

    /// The next block (event or comment), or `None` when the stream ended; panics after `within`.
    pub async fn next_block(&mut self, within: Duration) -> Option<SseEvent> {
        tokio::time::timeout(within, self.read_block())
            .await
            .unwrap_or_else(|_| panic!("no event within {within:?}; so far: {:?}", self.buffer))
    }

    /// The next block, or `None` if none came within `within` (the stream stays usable).
    pub async fn maybe_block(&mut self, within: Duration) -> Option<Option<SseEvent>> {
        tokio::time::timeout(within, self.read_block()).await.ok()
    }

    /// The next `comment` event (skipping `retry:` and keep-alives); panics after `within`.
    pub async fn next_comment(&mut self, within: Duration) -> SseEvent {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let block = self
                .next_block(left)
                .await
                .expect("the stream is still open");
            if block.event.as_deref() == Some("comment") {
                return block;
            }
        }
    }

    /// Whether the stream ends within `within` (nothing but keep-alives before).
    pub async fn ends_within(&mut self, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.maybe_block(left).await {
                None => return false,
                Some(None) => return true,
                Some(Some(block)) => {
                    assert!(block.event.is_none(), "an event before the end: {block:?}")
                }
            }
        }
    }

    async fn read_block(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                return Some(parse(&block));
            }
            match self.response.chunk().await {
                Ok(Some(chunk)) => self
                    .buffer
                    .push_str(std::str::from_utf8(&chunk).expect("UTF-8 events")),
                Ok(None) | Err(_) => return None,
            }
        }
    }
}

fn parse(block: &str) -> SseEvent {
    let mut event = SseEvent::default();
    for line in block.lines().filter(|line| !line.is_empty()) {
        if let Some(comment) = line.strip_prefix(':') {
            event.comment = Some(comment.trim_start().to_owned());
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value).to_owned();
        match field {
            "id" => event.id = Some(value),
            "event" => event.event = Some(value),
            "data" => {
                event.data = Some(match event.data.take() {
                    Some(data) => format!("{data}\n{value}"),
                    None => value,
                })
            }
            "retry" => event.retry = Some(value.parse().expect("a numeric retry")),
            other => panic!("an unknown field {other:?} in {block:?}"),
        }
    }
    event
}

/// How long the helpers below wait for a stream's first block.
const FIRST_BLOCK_WITHIN: Duration = Duration::from_secs(10);

/// `POST {base}/api/post` through `client`, for tests that drive a server by its address: the id.
pub async fn create_post(client: &Client, base: &str) -> i64 {
    created_id(
        client
            .post(format!("{base}/api/post"))
            .json(&json!({ "title": "Live", "post": "Comments as they come" })),
    )
    .await
}

/// `POST {base}/api/comments/{post}`: the new comment's id.
pub async fn add_comment(client: &Client, base: &str, post: i64, comment: &str) -> i64 {
    created_id(
        client
            .post(format!("{base}/api/comments/{post}"))
            .json(&json!({ "comment": comment })),
    )
    .await
}

async fn created_id(request: reqwest::RequestBuilder) -> i64 {
    let response = request.send().await.expect("the server answers");
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<Value>().await.expect("a JSON body")["id"]
        .as_i64()
        .expect("an id")
}

/// The event stream of `post`, resumed after `last` if given, its `retry:` block read.
pub async fn stream(client: &Client, base: &str, post: i64, last: Option<i64>) -> EventReader {
    let mut request = client.get(format!("{base}/api/comments/{post}/events"));
    if let Some(last) = last {
        request = request.header("last-event-id", last.to_string());
    }
    let mut reader = EventReader::new(request.send().await.expect("the server answers"));
    let first = reader
        .next_block(FIRST_BLOCK_WITHIN)
        .await
        .expect("a first block");
    assert!(first.retry.is_some(), "{first:?}");
    reader
}
