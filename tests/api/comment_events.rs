//! `/api/comments/{id}/events`: a post's new comments as server-sent events, resumed from
//! `Last-Event-ID` or `?after=` without a gap or a repeat, and every refusal as problem+json before
//! the stream starts. On SQLite (in-process feed) or PostgreSQL (`LISTEN`/`NOTIFY`).

use std::time::Duration;

use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

use crate::support::{EventReader, TestApp, assert_problem, content_type};

/// Long enough for a busy test machine; an event normally comes in milliseconds.
const WITHIN: Duration = Duration::from_secs(5);

/// How long a test waits to be sure that nothing more comes.
const QUIET: Duration = Duration::from_millis(400);

fn events(post: i64) -> String {
    format!("/api/comments/{post}/events")
}

/// Opens the stream of `post` with `headers`, and reads its first block, `retry:`.
async fn open(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> EventReader {
    let mut reader = EventReader::new(app.get_with(path, headers).await);
    let first = reader.next_block(WITHIN).await.expect("a first block");
    assert!(first.retry.is_some_and(|retry| retry > 0), "{first:?}");
    reader
}

/// The comments of `post` as `GET /api/comments/{post}` lists them (first page).
async fn listed(app: &TestApp, post: i64) -> Vec<Value> {
    let page: Value = app
        .get(&format!("/api/comments/{post}?limit=100"))
        .await
        .json()
        .await
        .unwrap();
    page["comments"].as_array().unwrap().clone()
}

/// The ids of the next `count` comment events.
async fn next_ids(reader: &mut EventReader, count: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for _ in 0..count {
        ids.push(reader.next_comment(WITHIN).await.id());
    }
    ids
}

async fn assert_nothing_more(reader: &mut EventReader) {
    if let Some(Some(block)) = reader.maybe_block(QUIET).await {
        assert!(block.event.is_none(), "an unexpected event: {block:?}");
    }
}

#[tokio::test]
async fn a_stream_gets_a_comment_posted_through_the_api_as_the_api_lists_it() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Live", "Comments as they come").await;
    let mut stream = open(&app, &events(post), &[("accept-encoding", "gzip, br")]).await;
    let response = stream.response();
    assert_eq!(content_type(response), "text/event-stream");
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
    assert!(response.headers().get(header::CONTENT_ENCODING).is_none());
    assert!(response.headers().get(header::ETAG).is_none());

    let id = app.add_comment(post, "Hello, live").await;

    let event = stream.next_comment(WITHIN).await;
    assert_eq!(event.id(), id);
    assert_eq!(event.event.as_deref(), Some("comment"));
    assert_eq!(event.json(), listed(&app, post).await[0]);
    assert_eq!(event.json()["comment"], "Hello, live");
    assert_nothing_more(&mut stream).await;
}

#[tokio::test]
async fn a_stream_gets_a_comment_posted_through_the_form() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Live", "From a plain form").await;
    let mut stream = open(&app, &events(post), &[]).await;

    let response = app
        .post_form(
            &format!("/api/comments/{post}"),
            &[("comment", "Sent without JavaScript")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let event = stream.next_comment(WITHIN).await;
    assert_eq!(event.json()["comment"], "Sent without JavaScript");
}

#[tokio::test]
async fn a_stream_gets_a_comment_posted_with_an_idempotency_key_once_even_when_retried() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Live", "Keyed comments").await;
    let mut stream = open(&app, &events(post), &[]).await;

    let path = format!("/api/comments/{post}");
    let mut ids = Vec::new();
    for _ in 0..2 {
        let response = app
            .client
            .post(app.url(&path))
            .header("idempotency-key", "live-keyed")
            .json(&json!({ "comment": "Sent twice, stored once" }))
            .send()
            .await
            .expect("the server answers");
        assert_eq!(response.status(), StatusCode::CREATED);
        ids.push(
            response.json::<Value>().await.unwrap()["id"]
                .as_i64()
                .unwrap(),
        );
    }
    assert_eq!(ids[0], ids[1]);

    assert_eq!(next_ids(&mut stream, 1).await, vec![ids[0]]);
    assert_nothing_more(&mut stream).await;
}

#[tokio::test]
async fn a_new_stream_starts_after_the_comments_already_there() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Live", "Old comments stay old").await;
    app.add_comment(post, "Before the stream").await;
    let mut stream = open(&app, &events(post), &[]).await;
    assert_nothing_more(&mut stream).await;

    let id = app.add_comment(post, "After").await;

    assert_eq!(stream.next_comment(WITHIN).await.id(), id);
}

#[tokio::test]
async fn last_event_id_replays_exactly_the_comments_after_it_then_the_live_ones() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Live", "Resumed").await;
    let mut ids = Vec::new();
    for n in 1..=4 {
        ids.push(app.add_comment(post, &format!("Comment {n}")).await);
    }
    let last = ids[1].to_string();
    let mut stream = open(&app, &events(post), &[("last-event-id", &last)]).await;

    assert_eq!(next_ids(&mut stream, 2).await, ids[2..]);
    let live = app.add_comment(post, "Live one").await;
    assert_eq!(next_ids(&mut stream, 1).await, [live]);
    assert_nothing_more(&mut stream).await;
}

#[tokio::test]
async fn after_in_the_query_replays_as_last_event_id_does_which_wins_when_both_are_sent() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Live", "Resumed by query").await;
    let first = app.add_comment(post, "One").await;
    let second = app.add_comment(post, "Two").await;
    let third = app.add_comment(post, "Three").await;

    let mut by_query = open(&app, &format!("{}?after={first}", events(post)), &[]).await;
    assert_eq!(next_ids(&mut by_query, 2).await, [second, third]);

    let header = second.to_string();
    let both = format!("{}?after={first}", events(post));
    let mut by_header = open(&app, &both, &[("last-event-id", &header)]).await;
    assert_eq!(next_ids(&mut by_header, 1).await, [third]);
    assert_nothing_more(&mut by_header).await;
}

#[tokio::test]
async fn after_zero_replays_every_comment_of_the_post() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Live", "From the start").await;
    let first = app.add_comment(post, "One").await;
    let second = app.add_comment(post, "Two").await;

    let mut stream = open(&app, &format!("{}?after=0", events(post)), &[]).await;

    assert_eq!(next_ids(&mut stream, 2).await, [first, second]);
}

#[tokio::test]
async fn a_catch_up_longer_than_a_page_arrives_whole_and_in_order() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Live", "Many missed").await;
    let ids = app.add_comments_directly(post, 130).await;

    let after = ids[0].to_string();
    let mut stream = open(&app, &events(post), &[("last-event-id", &after)]).await;

    assert_eq!(next_ids(&mut stream, 129).await, ids[1..]);
    assert_nothing_more(&mut stream).await;
}

#[tokio::test]
async fn comments_posted_at_once_reach_every_stream_each_once_in_id_order() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Live", "A burst").await;
    let mut streams = Vec::new();
    for _ in 0..5 {
        streams.push(open(&app, &events(post), &[]).await);
    }

    let mut writes = tokio::task::JoinSet::new();
    for n in 0..30 {
        let (client, url) = (
            app.client.clone(),
            app.url(&format!("/api/comments/{post}")),
        );
        writes.spawn(async move {
            let response = client
                .post(url)
                .json(&json!({ "comment": format!("Burst {n}") }))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::CREATED);
            response.json::<Value>().await.unwrap()["id"]
                .as_i64()
                .unwrap()
        });
    }
    let mut posted = writes.join_all().await;
    posted.sort_unstable();

    for stream in &mut streams {
        assert_eq!(next_ids(stream, posted.len()).await, posted);
        assert_nothing_more(stream).await;
    }
}

#[tokio::test]
async fn a_stream_gets_only_its_own_posts_comments() {
    let app = TestApp::spawn().await;
    let watched = app.create_post("Watched", "This one").await;
    let other = app.create_post("Other", "Not this one").await;
    let mut stream = open(&app, &events(watched), &[]).await;

    app.add_comment(other, "Elsewhere").await;
    let id = app.add_comment(watched, "Here").await;

    assert_eq!(next_ids(&mut stream, 1).await, [id]);
    assert_nothing_more(&mut stream).await;
}

#[tokio::test]
async fn an_unknown_post_is_404_and_a_bad_id_400_before_any_stream() {
    let app = TestApp::spawn().await;

    assert_problem(app.get(&events(4242)).await, StatusCode::NOT_FOUND).await;
    for bad in ["0", "-1", "abc", "99999999999999999999"] {
        let response = app.get(&format!("/api/comments/{bad}/events")).await;
        assert_problem(response, StatusCode::BAD_REQUEST).await;
    }
}

#[tokio::test]
async fn a_bad_last_event_id_or_after_is_400() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Live", "Picky").await;
    let huge = "9".repeat(4000);

    for bad in [
        "abc",
        "-3",
        "0",
        "1.5",
        "99999999999999999999",
        huge.as_str(),
    ] {
        let response = app.get_with(&events(post), &[("last-event-id", bad)]).await;
        assert_problem(response, StatusCode::BAD_REQUEST).await;
        // `?after=0` is "from the first comment" (a page without comments starts there).
        if bad != "0" {
            let response = app.get(&format!("{}?after={bad}", events(post))).await;
            assert_problem(response, StatusCode::BAD_REQUEST).await;
        }
    }
    let unknown = app.get(&format!("{}?since=3", events(post))).await;
    assert_problem(unknown, StatusCode::BAD_REQUEST).await;
    let not_utf8 = app
        .client
        .get(app.url(&events(post)))
        .header(
            "last-event-id",
            header::HeaderValue::from_bytes(b"\xff\xfe").unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_problem(not_utf8, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn an_empty_last_event_id_is_none() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Live", "Empty header").await;
    app.add_comment(post, "Before").await;
    let mut stream = open(&app, &events(post), &[("last-event-id", "")]).await;

    let id = app.add_comment(post, "After").await;

    assert_eq!(next_ids(&mut stream, 1).await, [id]);
}

#[tokio::test]
async fn other_methods_are_405() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Live", "Read only").await;

    for method in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
        let response = app.request(method, &events(post)).await;
        assert_problem(response, StatusCode::METHOD_NOT_ALLOWED).await;
    }
}

#[tokio::test]
async fn a_drafts_stream_is_404_outside_preview_mode() {
    let secret = "live-preview-secret";
    let app =
        TestApp::spawn_with(|config| config.preview_secret = Some(secret.parse().unwrap())).await;
    let draft = app.create_draft("Draft", "Not yet").await;

    assert_problem(app.get(&events(draft)).await, StatusCode::NOT_FOUND).await;

    let entered = app
        .get(&format!("/api/preview?secret={secret}&slug=/posts/{draft}"))
        .await;
    let cookie = entered.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let mut stream = open(&app, &events(draft), &[("cookie", &cookie)]).await;
    let response = app
        .client
        .post(app.url(&format!("/api/comments/{draft}")))
        .header("cookie", &cookie)
        .json(&json!({ "comment": "On a draft" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        stream.next_comment(WITHIN).await.json()["comment"],
        "On a draft"
    );
}

#[tokio::test]
async fn past_sse_max_streams_a_stream_is_503_until_one_closes() {
    let app =
        TestApp::spawn_with(|config| config.live.max_streams = std::num::NonZeroUsize::new(3))
            .await;
    let post = app.create_post("Live", "Crowded").await;
    let mut open_streams = Vec::new();
    for _ in 0..3 {
        open_streams.push(open(&app, &events(post), &[]).await);
    }

    let refused = assert_problem(
        app.get(&events(post)).await,
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("SSE_MAX_STREAMS"),
        "{refused}"
    );
    // Pages and the API still answer.
    assert_eq!(app.get("/api/hello").await.status(), StatusCode::OK);

    drop(open_streams.pop());
    let mut reopened = None;
    for _ in 0..50 {
        let response = app.get(&events(post)).await;
        if response.status() == StatusCode::OK {
            reopened = Some(EventReader::new(response));
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(reopened.is_some(), "a place frees when a stream closes");
}

#[tokio::test]
async fn many_streams_on_one_post_each_get_every_comment() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Live", "Popular").await;
    let mut streams = Vec::new();
    for _ in 0..200 {
        streams.push(open(&app, &events(post), &[]).await);
    }

    let first = app.add_comment(post, "To all").await;
    let second = app.add_comment(post, "Again").await;

    for stream in &mut streams {
        assert_eq!(next_ids(stream, 2).await, [first, second]);
    }
}

/// How a post is deleted: the API, the page's Delete form, GraphQL (issue 22).
#[derive(Clone, Copy, Debug)]
enum Deletion {
    Api,
    Form,
    GraphQl,
}

/// Deletes `post` as the author whose session is `cookie`, the way `how` does.
async fn delete_post(app: &TestApp, cookie: &str, post: i64, how: Deletion) {
    let request = match how {
        Deletion::Api => app.client.delete(app.url(&format!("/api/post/{post}"))),
        Deletion::Form => app
            .client
            .post(app.url(&format!("/api/post/{post}")))
            .form(&[("action", "delete"), ("etag", "")]),
        Deletion::GraphQl => app.client.post(app.url("/api/graphql")).json(&json!({
            "query": "mutation($id: PostId!) { deletePost(id: $id) }",
            "variables": { "id": post },
        })),
    };
    let response = request
        .header(header::COOKIE, cookie)
        .send()
        .await
        .expect("the server answers");
    assert!(
        response.status().is_success() || response.status().is_redirection(),
        "{how:?}: {}",
        response.status()
    );
    let gone = app.get(&format!("/api/post/{post}")).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND, "{how:?} deleted it");
}

/// The next block is the `deleted` event of `post`, and the stream ends after it.
async fn assert_deleted_then_ended(reader: &mut EventReader, post: i64) {
    let block = loop {
        let block = reader.next_block(WITHIN).await.expect("a deleted event");
        if block.comment.is_none() {
            break block;
        }
    };
    assert_eq!(block.event.as_deref(), Some("deleted"), "{block:?}");
    assert_eq!(block.id, None, "Last-Event-ID stays the last comment's");
    assert_eq!(
        serde_json::from_str::<Value>(block.data.as_deref().unwrap()).unwrap(),
        json!({ "post": post })
    );
    assert!(reader.ends_within(WITHIN).await, "the stream ends");
}

#[tokio::test]
async fn deleting_a_post_ends_its_streams_with_a_deleted_event_and_a_reconnect_is_404() {
    for how in [Deletion::Api, Deletion::Form, Deletion::GraphQl] {
        let app = TestApp::spawn().await;
        let cookie = app.sign_up("author").await;
        let response = app
            .client
            .post(app.url("/api/post"))
            .header(header::COOKIE, &cookie)
            .json(&json!({ "title": "Doomed", "post": "Soon gone" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let post = response.json::<Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap();
        let seen = app.add_comment(post, "Seen").await;
        let mut fresh = open(&app, &events(post), &[]).await;
        let mut resumed = open(&app, &events(post), &[("last-event-id", &seen.to_string())]).await;
        let other = app.create_post("Other", "Stays").await;
        let mut bystander = open(&app, &events(other), &[]).await;

        delete_post(&app, &cookie, post, how).await;

        assert_deleted_then_ended(&mut fresh, post).await;
        assert_deleted_then_ended(&mut resumed, post).await;
        let again = app
            .get_with(&events(post), &[("last-event-id", &seen.to_string())])
            .await;
        assert_problem(again, StatusCode::NOT_FOUND).await;
        let id = app.add_comment(other, "Still live").await;
        assert_eq!(bystander.next_comment(WITHIN).await.id(), id, "{how:?}");
    }
}

#[tokio::test]
async fn the_post_page_has_its_island_follow_the_stream_only_where_the_server_streams() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Live", "Followed").await;
    let comment = app.add_comment(post, "Shown").await;
    let page = app
        .get(&format!("/posts/{post}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("data-live"), "{page}");
    assert!(
        page.contains(&format!(r#"data-after="{comment}""#)),
        "{page}"
    );
    assert!(
        page.contains(&format!(r#"data-comment-id="{comment}""#)),
        "{page}"
    );

    let off = TestApp::spawn_with(|config| config.live.off = true).await;
    let post = off.create_post("Live", "Not followed").await;
    let page = off
        .get(&format!("/posts/{post}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("data-live"), "{page}");
    let refused = assert_problem(off.get(&events(post)).await, StatusCode::NOT_IMPLEMENTED).await;
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("SSE_MAX_STREAMS=0"),
        "{refused}"
    );
}
