//! `/api/comments/{id}`: a post's comments (GET) and adding one (POST, JSON or form).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{
    JSON, TestApp, allowed_methods, assert_problem, content_type, detail, location,
};

/// Ids that are not a positive integer fitting i64, each of which the route must refuse with 400.
const BAD_IDS: [&str; 4] = ["0", "-1", "abc", "99999999999999999999"];

/// An id no post has in a fresh database.
const MISSING_POST: i64 = 4242;

/// Sends `POST /api/comments/{post}` a JSON body it must refuse with `status`; checks nothing was
/// written and returns the problem.
async fn refused(
    app: &TestApp,
    post: i64,
    body: impl Into<reqwest::Body>,
    status: StatusCode,
) -> Value {
    let path = format!("/api/comments/{post}");
    app.assert_refused(Method::POST, &path, JSON, body, status)
        .await
}

/// Sends `POST /api/comments/{post}` JSON whose values break the rules; checks the 422 and that
/// nothing was written, and returns the per-field `errors`.
async fn field_errors(app: &TestApp, post: i64, body: Value) -> Value {
    let problem = refused(
        app,
        post,
        body.to_string(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem["errors"].clone()
}

/// The comments of `post`, as `GET /api/comments/{post}` lists them.
async fn comments_of(app: &TestApp, post: i64) -> Value {
    let response = app.get(&format!("/api/comments/{post}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["comments"].clone()
}

// ---- GET /api/comments/{id} ----

#[tokio::test]
async fn list_comments_answers_an_empty_list_for_a_post_without_comments() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Quiet", "Nobody said anything").await;

    let response = app.get(&format!("/api/comments/{post}")).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert!(content_type(&response).starts_with("application/json"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({ "post": post, "comments": [] }));
}

#[tokio::test]
async fn list_comments_returns_the_comments_oldest_first() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Busy", "Talk to me").await;
    let first = app.add_comment(post, "First!").await;
    let second = app.add_comment(post, "Second").await;

    let comments = comments_of(&app, post).await;

    assert_eq!(comments[0]["id"], first);
    assert_eq!(comments[0]["comment"], "First!");
    assert_eq!(comments[1]["id"], second);
    assert_eq!(comments[1]["comment"], "Second");
    assert_eq!(comments.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn list_comments_gives_each_comment_its_id_text_creation_time_and_author_only() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Post", "Body").await;
    app.add_comment(post, "Hello").await;

    let comments = comments_of(&app, post).await;

    let comment = comments[0].as_object().unwrap();
    let mut fields: Vec<&str> = comment.keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["author", "comment", "created_at", "id"]);
    assert!(comment["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(comment["author"], Value::Null, "an anonymous comment");
}

#[tokio::test]
async fn list_comments_shows_only_the_comments_of_the_requested_post() {
    let app = TestApp::spawn().await;
    let mine = app.create_post("Mine", "Body").await;
    let other = app.create_post("Other", "Body").await;
    app.add_comment(other, "Not yours").await;

    let comments = comments_of(&app, mine).await;

    assert_eq!(comments, json!([]));
}

#[tokio::test]
async fn list_comments_answers_404_when_the_post_does_not_exist() {
    let app = TestApp::spawn().await;

    let response = app.get(&format!("/api/comments/{MISSING_POST}")).await;

    let problem = assert_problem(response, StatusCode::NOT_FOUND).await;
    assert_eq!(
        problem["detail"],
        format!("There is no post {MISSING_POST}.")
    );
}

#[tokio::test]
async fn list_comments_answers_400_when_the_id_is_not_a_positive_64_bit_integer() {
    let app = TestApp::spawn().await;

    for id in BAD_IDS {
        let response = app.get(&format!("/api/comments/{id}")).await;

        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "id {id}");
        assert_problem(response, StatusCode::BAD_REQUEST).await;
    }
}

// ---- paging: ?limit= and ?cursor= ----

/// The page `path` answers, after checking it is a 200.
async fn page_at(app: &TestApp, path: &str) -> Value {
    let response = app.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

/// The ids of a page's comments, in its order.
fn ids_in(page: &Value) -> Vec<i64> {
    page["comments"]
        .as_array()
        .expect("a list of comments")
        .iter()
        .map(|comment| comment["id"].as_i64().expect("an id"))
        .collect()
}

#[tokio::test]
async fn list_comments_answers_the_50_oldest_and_a_cursor_by_default() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Busy", "Body").await;
    let ids = app.add_comments_directly(post, 120).await;

    let page = page_at(&app, &format!("/api/comments/{post}")).await;

    assert_eq!(ids_in(&page), ids[..50]);
    assert_eq!(
        page["next_cursor"], ids[49],
        "the newest comment on the page"
    );
    assert_eq!(page["comments"][0]["comment"], "Comment 1");
}

#[tokio::test]
async fn list_comments_accepts_the_limits_1_and_100() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Busy", "Body").await;
    let ids = app.add_comments_directly(post, 120).await;

    let smallest = page_at(&app, &format!("/api/comments/{post}?limit=1")).await;
    let largest = page_at(&app, &format!("/api/comments/{post}?limit=100")).await;

    assert_eq!(ids_in(&smallest), ids[..1]);
    assert_eq!(ids_in(&largest), ids[..100]);
    assert_eq!(largest["next_cursor"], ids[99]);
}

#[tokio::test]
async fn list_comments_pages_through_every_comment_once_oldest_first() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Busy", "Body").await;
    let ids = app.add_comments_directly(post, 7).await;

    let mut seen = Vec::new();
    let mut path = format!("/api/comments/{post}?limit=3");
    loop {
        let page = page_at(&app, &path).await;
        seen.extend(ids_in(&page));
        match page.get("next_cursor") {
            Some(cursor) => path = format!("/api/comments/{post}?limit=3&cursor={cursor}"),
            None => break,
        }
    }

    assert_eq!(seen, ids);
}

#[tokio::test]
async fn list_comments_gives_no_cursor_when_the_comments_exactly_fill_the_page() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Busy", "Body").await;
    app.add_comments_directly(post, 3).await;

    let page = page_at(&app, &format!("/api/comments/{post}?limit=3")).await;

    assert_eq!(ids_in(&page).len(), 3);
    assert!(page.get("next_cursor").is_none(), "{page}");
}

#[tokio::test]
async fn list_comments_after_the_newest_comment_is_an_empty_page_of_the_post() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Busy", "Body").await;
    let ids = app.add_comments_directly(post, 2).await;

    let page = page_at(&app, &format!("/api/comments/{post}?cursor={}", ids[1])).await;

    assert_eq!(page, json!({ "post": post, "comments": [] }));
}

#[tokio::test]
async fn list_comments_answers_400_when_limit_is_not_between_1_and_100() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Busy", "Body").await;

    for limit in ["0", "101", "abc", "-1", ""] {
        let response = app
            .get(&format!("/api/comments/{post}?limit={limit}"))
            .await;

        let problem = assert_problem(response, StatusCode::BAD_REQUEST).await;
        assert!(!detail(&problem).is_empty(), "limit={limit}");
    }
    let response = app.get(&format!("/api/comments/{post}?limit=101")).await;
    let problem = assert_problem(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(
        detail(&problem),
        "limit must be between 1 and 100, not 101."
    );
}

#[tokio::test]
async fn list_comments_answers_400_when_the_cursor_is_not_a_comment_id() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Busy", "Body").await;

    for cursor in BAD_IDS.into_iter().chain(["+1", ""]) {
        let response = app
            .get(&format!("/api/comments/{post}?cursor={cursor}"))
            .await;

        let problem = assert_problem(response, StatusCode::BAD_REQUEST).await;
        assert!(
            detail(&problem).contains("comment id"),
            "cursor={cursor}: {problem}"
        );
    }
}

#[tokio::test]
async fn list_comments_answers_400_for_an_unknown_query_parameter() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Busy", "Body").await;

    let response = app.get(&format!("/api/comments/{post}?page=2")).await;

    assert_problem(response, StatusCode::BAD_REQUEST).await;
}

// ---- POST /api/comments/{id} ----

#[tokio::test]
async fn add_comment_answers_201_with_the_comment_and_the_posts_location() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Post", "Body").await;

    let response = app
        .post_json(
            &format!("/api/comments/{post}"),
            &json!({ "comment": "  Nice post  " }),
        )
        .await;

    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(content_type(&response).starts_with("application/json"));
    assert_eq!(location(&response), format!("/posts/{post}"));
    let comment: Value = response.json().await.unwrap();
    assert!(comment["id"].as_i64().is_some_and(|id| id > 0), "{comment}");
    assert_eq!(comment["comment"], "Nice post", "stored trimmed");
    assert!(comment["created_at"].is_string(), "{comment}");
    assert_eq!(comments_of(&app, post).await, json!([comment]));
}

#[tokio::test]
async fn add_comment_accepts_json_with_a_charset_parameter() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Post", "Body").await;

    let response = app
        .send(
            Method::POST,
            &format!("/api/comments/{post}"),
            "application/json; charset=utf-8",
            r#"{"comment":"With a charset"}"#,
        )
        .await;

    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(app.count("comments").await, 1);
}

#[tokio::test]
async fn add_comment_from_a_form_on_a_post_with_more_than_a_page_of_comments_lands_where_it_shows()
{
    let app = TestApp::spawn().await;
    let post = app.create_post("Busy", "Body").await;
    app.add_comments_directly(post, 60).await;

    let response = app
        .post_form(&format!("/api/comments/{post}"), &[("comment", "Mine")])
        .await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let landing = location(&response);
    let html = app.get(&landing).await.text().await.expect("the page");
    assert!(
        landing.starts_with(&format!("/posts/{post}?cursor=")),
        "{landing}"
    );
    assert!(
        html.contains(">Mine<"),
        "the new comment is on the page it lands on"
    );
    assert!(html.contains("Comments (61)"), "the count is of every page");
}

#[tokio::test]
async fn add_comment_from_a_form_redirects_303_to_the_post() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Post", "Body").await;

    let response = app
        .post_form(
            &format!("/api/comments/{post}"),
            &[("comment", "Sent without JS")],
        )
        .await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("/posts/{post}"));
    assert_eq!(
        comments_of(&app, post).await[0]["comment"],
        "Sent without JS"
    );
}

#[tokio::test]
async fn add_comment_stores_unicode_text_exactly() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Post", "Body").await;
    let text = "👍🏽 很好 ممتاز שלום n\u{303}o\u{308} 👩‍💻";

    app.add_comment(post, text).await;

    assert_eq!(comments_of(&app, post).await[0]["comment"], text);
}

#[tokio::test]
async fn add_comment_stores_an_sql_injection_looking_comment_as_plain_text() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Post", "Body").await;
    let text = "Robert'); DROP TABLE comments;--";

    app.add_comment(post, text).await;

    assert_eq!(comments_of(&app, post).await[0]["comment"], text);
    assert_eq!(app.count("comments").await, 1, "the table is still there");
}

#[tokio::test]
async fn add_comment_accepts_exactly_2000_characters() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Post", "Body").await;
    let text = "é".repeat(2000);

    app.add_comment(post, &text).await;

    assert_eq!(comments_of(&app, post).await[0]["comment"], text);
}

#[tokio::test]
async fn add_comment_answers_404_and_writes_nothing_when_the_post_does_not_exist() {
    let app = TestApp::spawn().await;
    let body = json!({ "comment": "Anyone there?" });

    let problem = refused(&app, MISSING_POST, body.to_string(), StatusCode::NOT_FOUND).await;

    assert_eq!(
        problem["detail"],
        format!("There is no post {MISSING_POST}.")
    );
}

#[tokio::test]
async fn add_comment_answers_400_when_the_id_is_not_a_positive_64_bit_integer() {
    let app = TestApp::spawn().await;
    let rows_before = app.rows().await;

    for id in BAD_IDS {
        let response = app
            .post_json(&format!("/api/comments/{id}"), &json!({ "comment": "Hi" }))
            .await;

        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "id {id}");
        assert_problem(response, StatusCode::BAD_REQUEST).await;
    }
    assert_eq!(app.rows().await, rows_before, "nothing is written");
}

#[tokio::test]
async fn add_comment_answers_400_when_the_json_is_malformed() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Post", "Body").await;

    let problem = refused(&app, post, r#"{"comment":"#, StatusCode::BAD_REQUEST).await;

    assert!(detail(&problem).starts_with("Malformed JSON"), "{problem}");
}

#[tokio::test]
async fn add_comment_answers_422_when_the_comment_is_a_number() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Post", "Body").await;

    let problem = refused(
        &app,
        post,
        r#"{"comment":5}"#,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    assert!(detail(&problem).contains("wrong shape"), "{problem}");
}

#[tokio::test]
async fn add_comment_answers_422_when_the_json_is_an_array() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Post", "Body").await;

    for array in ["[]", r#"["Nice post"]"#] {
        let problem = refused(&app, post, array, StatusCode::UNPROCESSABLE_ENTITY).await;

        assert!(detail(&problem).contains("wrong shape"), "{problem}");
    }
}

#[tokio::test]
async fn add_comment_answers_422_with_an_error_on_the_field_when_the_comment_is_missing() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Post", "Body").await;

    let errors = field_errors(&app, post, json!({})).await;

    assert_eq!(errors, json!({ "comment": ["comment is required"] }));
}

#[tokio::test]
async fn add_comment_answers_422_when_the_comment_is_only_whitespace() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Post", "Body").await;

    let errors = field_errors(&app, post, json!({ "comment": "\u{a0} \t\n" })).await;

    assert_eq!(errors, json!({ "comment": ["comment is required"] }));
}

#[tokio::test]
async fn add_comment_answers_422_when_the_comment_is_over_2000_characters() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Post", "Body").await;

    let errors = field_errors(&app, post, json!({ "comment": "x".repeat(2001) })).await;

    assert_eq!(
        errors,
        json!({ "comment": ["comment must be at most 2000 characters (it has 2001)"] })
    );
}

#[tokio::test]
async fn add_comment_answers_413_when_the_body_is_over_1_mib() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Post", "Body").await;
    let body = json!({ "comment": "x".repeat(2 * 1024 * 1024) });

    refused(&app, post, body.to_string(), StatusCode::PAYLOAD_TOO_LARGE).await;
}

#[tokio::test]
async fn add_comment_answers_415_for_a_text_plain_body() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Post", "Body").await;

    let problem = app
        .assert_refused(
            Method::POST,
            &format!("/api/comments/{post}"),
            "text/plain",
            "comment=Hi",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        )
        .await;

    assert!(detail(&problem).contains("text/plain"), "{problem}");
}

#[tokio::test]
async fn the_comments_route_answers_405_with_allow_for_put() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Post", "Body").await;

    let response = app
        .request(Method::PUT, &format!("/api/comments/{post}"))
        .await;

    assert_eq!(allowed_methods(&response), ["GET", "HEAD", "POST"]);
    assert_problem(response, StatusCode::METHOD_NOT_ALLOWED).await;
    assert_eq!(app.count("comments").await, 0);
}

#[tokio::test]
async fn add_comment_from_an_invalid_form_redirects_303_back_to_the_post_with_the_typed_value() {
    let app = TestApp::spawn().await;
    let post = app.create_post("A post", "Body").await;

    let response = app
        .post_form(&format!("/api/comments/{post}"), &[("comment", "   ")])
        .await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&response),
        format!("/posts/{post}?comment=+++#new-comment")
    );
    assert_eq!(app.count("comments").await, 0);
}
