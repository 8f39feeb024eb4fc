//! The middleware's layers, each around a handler written here (`src/middleware/`).

use std::{
    collections::VecDeque,
    convert::Infallible,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    body::{Body, Bytes, HttpBody},
    extract::Request,
    http::{StatusCode, header},
    response::Response,
};
use http_body::Frame;
use leptos_api_routes::{
    middleware::{
        catch_panic,
        http_cache::{self, HttpCache},
    },
    preview::PreviewMode,
};
use tower::{Layer, ServiceExt, service_fn};

#[tokio::test]
async fn a_panic_while_answering_is_a_500_problem() {
    let panicking = service_fn(|_: Request| async {
        panic!("a bug");
        #[allow(unreachable_code)]
        Ok::<Response, Infallible>(Response::default())
    });

    let response = catch_panic::layer()
        .layer(panicking)
        .oneshot(Request::new(Body::empty()))
        .await
        .expect("an answer");

    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
}

/// A body of unknown length that sends its frames, then ends or, when `endless`, sends nothing
/// more without ever ending (an event stream).
struct Chunks {
    frames: VecDeque<Bytes>,
    endless: bool,
}

impl Chunks {
    fn of(frames: &[&'static str], endless: bool) -> Self {
        let frames = frames
            .iter()
            .copied()
            .map(|text| Bytes::from_static(text.as_bytes()))
            .collect();
        Self { frames, endless }
    }
}

impl HttpBody for Chunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.frames.pop_front() {
            Some(data) => Poll::Ready(Some(Ok(Frame::data(data)))),
            None if self.endless => Poll::Pending,
            None => Poll::Ready(None),
        }
    }
}

/// The answer of the HTTP cache around a handler that answers a GET with `answer`.
async fn through_the_cache(answer: fn() -> Response) -> Response {
    let handler = service_fn(move |_: Request| async move { Ok::<_, Infallible>(answer()) });
    let request = Request::get("/api/events").body(Body::empty()).unwrap();
    let answer = HttpCache::new(handler, PreviewMode::new(None)).oneshot(request);
    tokio::time::timeout(Duration::from_secs(5), answer)
        .await
        .expect("an answer without waiting for its body to end")
        .unwrap()
}

#[tokio::test]
async fn a_streaming_answer_passes_through_the_cache_at_once_and_untagged() {
    let response =
        through_the_cache(|| Response::new(Body::new(Chunks::of(&["data: 1\n\n"], true)))).await;

    assert_eq!(response.headers().get(header::ETAG), None);
    assert_eq!(response.headers().get(header::CACHE_CONTROL), None);
    let mut body = response.into_body();
    let first = tokio::time::timeout(
        Duration::from_secs(5),
        std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)),
    )
    .await
    .expect("the first chunk while the stream goes on");
    let first = first.expect("a frame").expect("data").into_data().ok();
    assert_eq!(first.as_deref(), Some(b"data: 1\n\n".as_slice()));
}

#[tokio::test]
async fn a_whole_answer_gets_its_etag_from_the_cache() {
    let response = through_the_cache(|| Response::new(Body::from("{\"id\":1}"))).await;

    assert!(response.headers().contains_key(header::ETAG));
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
}

#[tokio::test]
async fn a_rendered_page_of_unknown_length_is_read_whole_and_tagged() {
    let response = through_the_cache(|| {
        let mut page = Response::new(Body::new(Chunks::of(&["<html>", "</html>"], false)));
        page.extensions_mut().insert(http_cache::Finite);
        page
    })
    .await;

    assert!(response.headers().contains_key(header::ETAG));
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await;
    assert_eq!(body.unwrap(), "<html></html>");
}

#[tokio::test]
async fn an_unmarked_body_of_unknown_length_is_not_tagged_even_when_it_ends() {
    let response = through_the_cache(|| Response::new(Body::new(Chunks::of(&["{}"], false)))).await;

    assert_eq!(response.headers().get(header::ETAG), None);
}
