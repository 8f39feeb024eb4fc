//! `RENDER_LIMIT`: at most that many pages render at once; the next page waits for a free turn, and
//! the API never waits for pages.
//!
//! A page that asks the trivia box for a number renders until the trivia upstream answers; an
//! upstream that accepts the connection and never answers holds that page (and its turn) until the
//! trivia timeout. The tests compare the order in which answers arrive, not how long they take.

use std::{num::NonZeroUsize, time::Duration};

use reqwest::StatusCode;
use tokio::{net::TcpListener, time::Instant};

use crate::support::{TestApp, silent_trivia_upstream};

/// How long the held page waits for the silent upstream before it falls back to built-in facts.
const TRIVIA_TIMEOUT: Duration = Duration::from_secs(2);

/// The app with one render at a time, its trivia upstream a listener that never answers.
async fn app_with_one_render_at_a_time() -> (TestApp, TcpListener) {
    let (silent, trivia) = silent_trivia_upstream(TRIVIA_TIMEOUT).await;
    let app = TestApp::spawn_with(|config| {
        config.trivia = trivia;
        config.http.render_limit = NonZeroUsize::MIN;
    })
    .await;
    (app, silent)
}

#[tokio::test]
async fn with_a_limit_of_one_a_page_waits_until_the_page_rendering_before_it_is_done() {
    let (app, silent) = app_with_one_render_at_a_time().await;

    let held = async {
        let response = app.get("/?number=7").await;
        (response.status(), Instant::now())
    };
    let next = async {
        // Once the held page has asked the upstream, it is rendering: it has the one turn.
        let (_connection, _) = silent
            .accept()
            .await
            .expect("the held page asks the upstream");
        let response = app.get("/").await;
        (response.status(), Instant::now())
    };
    let ((held_status, held_done), (next_status, next_done)) = tokio::join!(held, next);

    assert_eq!(held_status, StatusCode::OK);
    assert_eq!(next_status, StatusCode::OK);
    assert!(
        held_done <= next_done,
        "the second page was answered before the first finished rendering"
    );
}

#[tokio::test]
async fn the_api_answers_while_every_render_turn_is_taken() {
    let (app, silent) = app_with_one_render_at_a_time().await;

    let held = async {
        let response = app.get("/?number=7").await;
        (response.status(), Instant::now())
    };
    let api = async {
        let (_connection, _) = silent
            .accept()
            .await
            .expect("the held page asks the upstream");
        let response = app.get("/api/hello").await;
        (response.status(), Instant::now())
    };
    let ((held_status, held_done), (api_status, api_done)) = tokio::join!(held, api);

    assert_eq!(held_status, StatusCode::OK);
    assert_eq!(api_status, StatusCode::OK);
    assert!(
        api_done < held_done,
        "the API waited for a page to finish rendering"
    );
}
