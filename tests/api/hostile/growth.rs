//! Answers and tables that anonymous requests could grow without bound: a post with many comments
//! is answered one page at a time (API and page alike), and new trivia numbers asked one after the
//! other never hold more than `TRIVIA_CACHE_MAX_ENTRIES` in the cache.

use std::num::NonZeroU32;

use leptos_api_routes::config::TriviaConfig;
use serde_json::Value;

use super::{RawAnswer, assert_still_serving, send_raw};
use crate::{
    support::TestApp,
    trivia::{Behaviour, PATIENT, StubUpstream},
};

/// More comments than two full pages of the largest size.
const MANY: u32 = 250;

async fn get_raw(app: &TestApp, path: &str) -> RawAnswer {
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    send_raw(app.addr, request.as_bytes()).await
}

fn comments_in(answer: &RawAnswer) -> usize {
    let page: Value = serde_json::from_slice(&answer.body).expect("a JSON page");
    page["comments"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn a_post_with_many_comments_answers_one_page_of_them_on_the_api() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Popular", "Body").await;
    app.add_comments_directly(post, MANY).await;

    let default = get_raw(&app, &format!("/api/comments/{post}")).await;
    assert_still_serving(&app).await;
    let largest = get_raw(&app, &format!("/api/comments/{post}?limit=100")).await;
    assert_still_serving(&app).await;
    let too_many = get_raw(&app, &format!("/api/comments/{post}?limit={MANY}")).await;
    assert_still_serving(&app).await;

    assert_eq!((default.status, comments_in(&default)), (200, 50));
    assert_eq!((largest.status, comments_in(&largest)), (200, 100));
    assert_eq!(too_many.status, 400);
    assert_eq!(
        too_many.problem()["detail"],
        format!("limit must be between 1 and 100, not {MANY}.")
    );
}

#[tokio::test]
async fn a_post_with_many_comments_renders_one_page_of_them() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Popular", "Body").await;
    app.add_comments_directly(post, MANY).await;

    let page = get_raw(&app, &format!("/posts/{post}")).await;
    assert_still_serving(&app).await;

    assert_eq!(page.status, 200);
    let html = page.text();
    assert_eq!(
        html.matches(r#"class="comment-body""#).count(),
        50,
        "{html}"
    );
    assert!(html.contains(&format!("Comments ({MANY})")), "{html}");
}

#[tokio::test]
async fn asking_ever_new_trivia_numbers_keeps_the_cache_to_its_maximum() {
    let upstream = StubUpstream::start(Behaviour::Answer).await;
    let app = TestApp::spawn_with_trivia(TriviaConfig {
        cache_max_entries: NonZeroU32::new(5).expect("a positive maximum"),
        ..upstream.config(PATIENT)
    })
    .await;

    for number in 1..=30 {
        let answer = get_raw(&app, &format!("/api/trivia/{number}")).await;
        assert_eq!(answer.status, 200, "{answer:?}");
    }
    assert_still_serving(&app).await;

    assert_eq!(upstream.requests(), 30);
    assert_eq!(app.count("trivia_cache").await, 5);
}
