//! The pages as a browser without JavaScript gets them: server-rendered HTML read straight from the
//! database.

use serde_json::{Value, json};

use crate::support::{TestApp, content_type};

async fn create_post(app: &TestApp, title: &str, post: &str) -> i64 {
    let response = app
        .client
        .post(app.url("/api/post"))
        .json(&json!({ "title": title, "post": post }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["id"].as_i64().unwrap()
}

async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let response = app.get(path).await;
    let status = response.status().as_u16();
    assert!(content_type(&response).starts_with("text/html"));
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn the_home_page_is_server_rendered_with_the_title() {
    let app = TestApp::spawn().await;

    let (status, html) = page(&app, "/").await;

    assert_eq!(status, 200);
    assert!(
        html.contains("<title>Home · Leptos API Routes</title>"),
        "{html}"
    );
    // Leptos adds hydration markers after text nodes, hence no closing tags in these checks.
    assert!(html.contains("<h1>Leptos API Routes"), "{html}");
    assert!(html.contains(r#"action="/api/post""#), "{html}");
}

#[tokio::test]
async fn the_home_page_lists_posts_newest_first_with_their_comment_counts() {
    let app = TestApp::spawn().await;
    let older = create_post(&app, "Older post", "a").await;
    let newer = create_post(&app, "Newer post", "b").await;
    app.client
        .post(app.url(&format!("/api/comments/{older}")))
        .json(&json!({ "comment": "hi" }))
        .send()
        .await
        .unwrap();

    let (_, html) = page(&app, "/").await;

    let newer_at = html
        .find(&format!("/posts/{newer}"))
        .expect("newer post listed");
    let older_at = html
        .find(&format!("/posts/{older}"))
        .expect("older post listed");
    assert!(newer_at < older_at, "newest first");
    assert!(html.contains("1 comment<"), "{html}");
    assert!(html.contains("0 comments<"), "{html}");
}

#[tokio::test]
async fn the_post_page_shows_the_post_and_its_comments_on_the_server() {
    let app = TestApp::spawn().await;
    let id = create_post(&app, "Über 🦀", "Body text").await;
    for comment in ["first", "second"] {
        app.client
            .post(app.url(&format!("/api/comments/{id}")))
            .json(&json!({ "comment": comment }))
            .send()
            .await
            .unwrap();
    }

    let (status, html) = page(&app, &format!("/posts/{id}")).await;

    assert_eq!(status, 200);
    assert!(
        html.contains("<title>Über 🦀 · Leptos API Routes</title>"),
        "{html}"
    );
    assert!(html.contains("Body text"));
    let first = html.find(">first<").expect("first comment");
    let second = html.find(">second<").expect("second comment");
    assert!(first < second, "oldest first");
    assert!(html.contains(&format!(r#"action="/api/comments/{id}""#)));
}

/// The `href` of the page's "Later comments" link, if it has one.
fn later_comments_link(html: &str) -> Option<String> {
    let link = html.find("Later comments")?;
    let start = html[..link].rfind("href=\"")? + "href=\"".len();
    let end = start + html[start..].find('"')?;
    Some(html[start..end].to_owned())
}

#[tokio::test]
async fn the_post_page_shows_one_page_of_50_comments_and_links_to_the_next_without_javascript() {
    let app = TestApp::spawn().await;
    let id = create_post(&app, "Busy", "Body").await;
    let ids = app.add_comments_directly(id, 120).await;

    let (_, first) = page(&app, &format!("/posts/{id}")).await;
    let next = later_comments_link(&first).expect("a link to the next page");
    let (status, second) = page(&app, &next).await;
    let (_, last) = page(&app, &later_comments_link(&second).expect("a third page")).await;

    assert!(
        first.contains("Comments (120)"),
        "the count is of every page"
    );
    assert!(first.contains(">Comment 1<") && first.contains(">Comment 50<"));
    assert!(!first.contains(">Comment 51<"), "one page only");
    assert_eq!(next, format!("/posts/{id}?cursor={}#comments", ids[49]));
    assert_eq!(status, 200);
    assert!(second.contains(">Comment 51<") && second.contains(">Comment 100<"));
    assert!(!second.contains(">Comment 50<") && !second.contains(">Comment 101<"));
    assert!(
        second.contains(&format!(r#"action="/api/comments/{id}""#)),
        "the form stays"
    );
    assert!(last.contains(">Comment 120<"));
    assert_eq!(
        later_comments_link(&last),
        None,
        "the last page links nowhere"
    );
}

#[tokio::test]
async fn a_later_page_of_comments_links_back_to_the_first_and_the_first_does_not() {
    let app = TestApp::spawn().await;
    let id = create_post(&app, "Busy", "Body").await;
    app.add_comments_directly(id, 60).await;
    let back = format!(r#"href="/posts/{id}#comments" class="older">← First comments"#);

    let (_, first) = page(&app, &format!("/posts/{id}")).await;
    let next = later_comments_link(&first).expect("a link to the next page");
    let (_, second) = page(&app, &next).await;

    assert!(!first.contains(&back), "the first page needs no way back");
    assert!(second.contains(&back), "a later page links back: {second}");
}

#[tokio::test]
async fn a_post_page_for_a_missing_or_malformed_id_answers_404() {
    let app = TestApp::spawn().await;

    for path in [
        "/posts/424242",
        "/posts/0",
        "/posts/abc",
        "/posts/99999999999999999999",
    ] {
        let (status, html) = page(&app, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(html.contains("Page not found"), "{path}");
    }
}

#[tokio::test]
async fn user_text_is_escaped_in_the_html_never_interpreted() {
    let app = TestApp::spawn().await;
    let id = create_post(&app, "<script>alert(1)</script>", "<b>bold</b>").await;

    let (_, html) = page(&app, &format!("/posts/{id}")).await;

    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(html.contains("&lt;b&gt;bold&lt;/b&gt;"), "{html}");
}

#[tokio::test]
async fn a_title_cannot_break_out_of_the_title_element() {
    let app = TestApp::spawn().await;
    let id = create_post(&app, "</title><script>alert(1)</script>", "x").await;

    let (_, html) = page(&app, &format!("/posts/{id}")).await;

    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert!(
        html.contains(
            "<title>&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; · Leptos API Routes</title>"
        ),
        "{html}"
    );
}

#[tokio::test]
async fn a_submission_sent_back_as_invalid_is_shown_with_its_errors_and_values() {
    let app = TestApp::spawn().await;

    let (status, html) = page(&app, "/?title=+&post=what+I+typed").await;

    assert_eq!(status, 200);
    assert!(html.contains("title is required"), "{html}");
    assert!(html.contains("what I typed"), "{html}");
}

#[tokio::test]
async fn the_trivia_box_answers_on_the_server_when_the_url_asks() {
    let app = TestApp::spawn().await;

    let (_, html) = page(&app, "/?number=42").await;

    assert!(html.contains("42 is an even positive number."), "{html}");
}

#[tokio::test]
async fn an_unknown_page_answers_404_with_the_not_found_page() {
    let app = TestApp::spawn().await;

    let (status, html) = page(&app, "/no/such/page").await;

    assert_eq!(status, 404);
    assert!(html.contains("Page not found"), "{html}");
}
