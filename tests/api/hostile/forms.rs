//! What users type, sent back at the pages and the API by hand: markup that would end a `<textarea>`
//! (the no-JavaScript forms show invalid input again from the URL), control characters PostgreSQL
//! cannot store, and JSON objects with a key twice.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{RawAnswer, assert_still_serving, send_raw};
use crate::support::{TestApp, silent_trivia_upstream};

/// Sends one request with `body` (and `Content-Type: content_type` when there is a body) on a raw
/// connection, then checks the server still serves.
async fn send(
    app: &TestApp,
    method: &str,
    target: &str,
    content_type: &str,
    body: &[u8],
) -> RawAnswer {
    let mut request = format!(
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    let answer = send_raw(app.addr, &request).await;
    assert_still_serving(app).await;
    answer
}

async fn get(app: &TestApp, target: &str) -> RawAnswer {
    let request = format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    let answer = send_raw(app.addr, request.as_bytes()).await;
    assert_still_serving(app).await;
    answer
}

/// Markup that ends the textarea and then does something: shows, redirects, runs.
const BREAKOUTS: [(&str, &str); 3] = [
    (
        "%3C%2Ftextarea%3E%3Cb%3Ex%3C%2Fb%3E",
        "&lt;/textarea&gt;&lt;b&gt;x&lt;/b&gt;",
    ),
    (
        "%3C%2FTEXTAREA%20%3E%3Cmeta%20http-equiv%3D%22refresh%22%20content%3D%220%3Burl%3Dhttps%3A%2F%2Fevil.example%2F%22%3E",
        "&lt;/TEXTAREA &gt;&lt;meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\"&gt;",
    ),
    (
        "%3C%2Ftextarea%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E%26amp%3B",
        "&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;amp;",
    ),
];

/// The page at `target` shows `escaped` as the textarea's text and no element the text could have
/// made: one textarea, which ends once, no `<b>`, no `<meta http-equiv>`, no script but the page's own.
fn assert_shown_as_text(page: &RawAnswer, escaped: &str, baseline: &RawAnswer) {
    assert_eq!(page.status, 200, "{page:?}");
    let html = page.text().to_ascii_lowercase();
    assert!(
        page.text().contains(escaped),
        "{escaped} in {}",
        page.text()
    );
    assert_eq!(html.matches("<textarea").count(), 1, "{html}");
    assert_eq!(html.matches("</textarea").count(), 1, "{html}");
    assert!(!html.contains("<b>"), "{html}");
    assert!(!html.contains("<meta http-equiv"), "{html}");
    let scripts = |html: &str| html.matches("<script").count();
    assert_eq!(
        scripts(&html),
        scripts(&baseline.text().to_ascii_lowercase()),
        "{html}"
    );
}

#[tokio::test]
async fn markup_sent_back_to_the_post_form_is_shown_as_text_in_its_textarea() {
    let app = TestApp::spawn().await;
    let baseline = get(&app, "/?title=x&post=plain").await;

    for (encoded, escaped) in BREAKOUTS {
        let page = get(&app, &format!("/?title=x&post={encoded}")).await;

        assert_shown_as_text(&page, escaped, &baseline);
    }
}

#[tokio::test]
async fn markup_sent_back_to_the_comment_form_is_shown_as_text_in_its_textarea() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Post", "Body").await;
    let baseline = get(&app, &format!("/posts/{post}?comment=plain")).await;

    for (encoded, escaped) in BREAKOUTS {
        let page = get(&app, &format!("/posts/{post}?comment={encoded}")).await;

        assert_shown_as_text(&page, escaped, &baseline);
    }
}

#[tokio::test]
async fn text_sent_back_to_an_input_stays_inside_its_value_attribute() {
    let app = TestApp::spawn().await;

    for target in [
        "/?title=%22%3E%3Cb%3Ex%3C%2Fb%3E&post=",
        "/?number=%22%3E%3Cb%3Ex%3C%2Fb%3E",
    ] {
        let page = get(&app, target).await;

        assert_eq!(page.status, 200, "{target}");
        assert!(
            page.text()
                .contains("value=\"&quot;&gt;&lt;b&gt;x&lt;/b&gt;\""),
            "{target}: {}",
            page.text()
        );
        assert!(!page.text().contains("<b>"), "{target}");
    }
}

#[tokio::test]
async fn markup_saved_in_a_post_and_a_comment_is_shown_as_text_in_every_page() {
    let app = TestApp::spawn().await;
    let markup = r#"</title></textarea>"><b>x</b><meta http-equiv="refresh" content="0">"#;
    let post = app.create_post(markup, markup).await;
    app.add_comment(post, markup).await;

    for target in ["/".to_owned(), format!("/posts/{post}")] {
        let page = get(&app, &target).await;

        assert_eq!(page.status, 200, "{target}");
        let html = page.text();
        assert!(!html.contains("<b>"), "{target}: {html}");
        assert!(!html.contains("<meta http-equiv"), "{target}: {html}");
        assert_eq!(html.matches("</title>").count(), 1, "{target}: {html}");
    }
}

/// A text with U+0000, as JSON writes it, and the message its field gets.
const NUL: &str = "before\u{0}after";

#[tokio::test]
async fn a_nul_character_in_a_json_post_or_comment_is_a_422_naming_the_field() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Post", "Body").await;

    for (target, body, field) in [
        (
            "/api/post".to_owned(),
            json!({ "title": NUL, "post": "x" }),
            "title",
        ),
        (
            "/api/post".to_owned(),
            json!({ "title": "x", "post": "a\u{1b}[31m" }),
            "post",
        ),
        (
            format!("/api/comments/{post}"),
            json!({ "comment": NUL }),
            "comment",
        ),
    ] {
        let answer = send(
            &app,
            "POST",
            &target,
            "application/json",
            body.to_string().as_bytes(),
        )
        .await;

        assert_eq!(answer.status, 422, "{target}: {answer:?}");
        let message = &answer.problem()["errors"][field][0];
        assert!(
            message
                .as_str()
                .is_some_and(|message| message.contains("control characters")),
            "{message}"
        );
    }
    assert_eq!(app.rows().await, [1, 0, 0]);
}

#[tokio::test]
async fn a_nul_character_in_a_form_goes_back_to_the_form_with_the_field_s_message() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Post", "Body").await;

    for (target, body) in [
        ("/api/post".to_owned(), "title=a%00b&post=x"),
        (format!("/api/comments/{post}"), "comment=a%00b"),
    ] {
        let answer = send(
            &app,
            "POST",
            &target,
            "application/x-www-form-urlencoded",
            body.as_bytes(),
        )
        .await;

        assert_eq!(answer.status, 303, "{target}: {answer:?}");
        let location = answer.header("location").expect("a Location").to_owned();
        assert!(location.contains("a%00b"), "{location}");
        let form = get(&app, &location).await;
        assert_eq!(form.status, 200);
        assert!(
            form.text()
                .contains("must not contain control characters (it has U+0000)")
        );
    }
    assert_eq!(app.rows().await, [1, 0, 0]);
}

#[tokio::test]
async fn a_nul_character_in_a_graphql_mutation_is_a_validation_error() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Post", "Body").await;

    for (query, field) in [
        (
            r#"mutation { createPost(title: "a\u0000b", post: "x") { id } }"#.to_owned(),
            "title",
        ),
        (
            format!(r#"mutation {{ addComment(postId: {post}, comment: "a\u0000b") {{ id }} }}"#),
            "comment",
        ),
    ] {
        let body = json!({ "query": query }).to_string();
        let answer = send(
            &app,
            "POST",
            "/api/graphql",
            "application/json",
            body.as_bytes(),
        )
        .await;

        assert_eq!(answer.status, 200, "{answer:?}");
        let answer: Value = serde_json::from_slice(&answer.body).expect("a JSON answer");
        let error = &answer["errors"][0]["extensions"];
        assert_eq!(error["code"], "VALIDATION", "{answer}");
        assert!(
            error["errors"][field][0]
                .as_str()
                .is_some_and(|m| m.contains("U+0000")),
            "{answer}"
        );
    }
    assert_eq!(app.rows().await, [1, 0, 0]);
}

#[tokio::test]
async fn a_json_body_with_a_key_twice_is_a_400_naming_the_key_at_any_depth() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Post", "Body").await;

    for (target, body, key) in [
        (
            "/api/post".to_owned(),
            r#"{"title":"a","post":"x","title":"b"}"#,
            "title",
        ),
        (
            "/api/post".to_owned(),
            r#"{"title":"a","post":"x","more":[{"k":1,"k":2}]}"#,
            "k",
        ),
        (
            format!("/api/comments/{post}"),
            r#"{"comment":"a","comment":"b"}"#,
            "comment",
        ),
        (
            "/api/graphql".to_owned(),
            r#"{"query":"{ posts { posts { id } } }","query":"x"}"#,
            "query",
        ),
        (
            "/api/graphql".to_owned(),
            r#"{"query":"query($id: PostId!) { post(id: $id) { id } }","variables":{"id":1,"id":2}}"#,
            "id",
        ),
    ] {
        let answer = send(&app, "POST", &target, "application/json", body.as_bytes()).await;

        assert_eq!(answer.status, 400, "{target} {body}: {answer:?}");
        let detail = answer.problem()["detail"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            detail.contains(&format!("the key {key:?} appears twice")),
            "{detail}"
        );
    }
    assert_eq!(app.rows().await, [1, 0, 0]);
}

#[tokio::test]
async fn graphql_variables_in_a_query_string_with_a_key_twice_are_a_400() {
    let app = TestApp::spawn().await;

    let answer = get(
        &app,
        "/api/graphql?query=query(%24id%3A%20PostId!)%7Bpost(id%3A%24id)%7Bid%7D%7D&variables=%7B%22id%22%3A1%2C%22id%22%3A2%7D",
    )
    .await;

    assert_eq!(answer.status, 400, "{answer:?}");
    let detail = answer.problem()["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(detail.contains("the key \"id\" appears twice"), "{detail}");
}

#[tokio::test]
async fn the_same_key_in_different_objects_is_not_a_duplicate() {
    let app = TestApp::spawn().await;

    let body = r#"{"title":"a","post":"x","a":{"title":1},"b":[{"title":2},{"title":3}]}"#;
    let answer = send(
        &app,
        "POST",
        "/api/post",
        "application/json",
        body.as_bytes(),
    )
    .await;

    assert_eq!(answer.status, 201, "{answer:?}");
}

#[tokio::test]
async fn an_upstream_trivia_text_with_a_nul_is_neither_served_nor_cached() {
    let (upstream, trivia) = silent_trivia_upstream(Duration::from_secs(5)).await;
    let app = TestApp::spawn_with_trivia(trivia).await;
    // The upstream answers every request with a text PostgreSQL cannot store.
    tokio::spawn(async move {
        while let Ok((mut connection, _)) = upstream.accept().await {
            let mut request = [0u8; 4096];
            let _ = connection.read(&mut request).await;
            let text = "7 is\0 prime.";
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
            let _ = connection.write_all(answer.as_bytes()).await;
        }
    });

    let answer = get(&app, "/api/trivia/7").await;

    assert_eq!(answer.status, 200, "{answer:?}");
    let trivia: Value = serde_json::from_slice(&answer.body).expect("a JSON answer");
    assert_eq!(trivia["source"], "builtin", "{trivia}");
    assert_eq!(app.rows().await, [0, 0, 0]);
}
