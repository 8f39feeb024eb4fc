//! Authors (issue 22): posts and comments remember who wrote them while signed in; only the author
//! changes (`PATCH`) or deletes (`DELETE`, and the page's no-JavaScript form) a post, and only the
//! version they saw (`ETag` / `If-Match`); `POSTING=members` keeps anonymous writers out. Each rule
//! on the suite's backend (SQLite, or PostgreSQL with `TEST_DATABASE_URL`).

use leptos_api_routes::config::Posting;
use reqwest::{Method, RequestBuilder, Response, StatusCode, header};
use serde_json::{Value, json};

use crate::support::{JSON, TestApp, assert_problem, location};

const PASSWORD: &str = "correct horse battery staple";

/// A signed-in user: the cookie its sign-up set, sent back as a browser would.
struct Session {
    cookie: String,
}

/// Signs `username` up through the API; the answer signs them in.
async fn sign_up(app: &TestApp, username: &str) -> Session {
    let response = app
        .post_json(
            "/api/auth/signup",
            &json!({ "username": username, "password": PASSWORD }),
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "{username} signs up"
    );
    let cookie = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next())
        .find(|pair| pair.contains('=') && !pair.ends_with('='))
        .expect("a session cookie")
        .to_owned();
    Session { cookie }
}

/// An API token of `session`'s user, for `Authorization: Bearer`.
async fn api_token(app: &TestApp, session: &Session) -> String {
    let response = as_user(app.client.post(app.url("/api/auth/tokens")), session)
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.expect("JSON");
    body["token"].as_str().expect("a token").to_owned()
}

fn as_user(request: RequestBuilder, session: &Session) -> RequestBuilder {
    request.header(header::COOKIE, &session.cookie)
}

async fn send(request: RequestBuilder) -> Response {
    request.send().await.expect("the server answers")
}

/// Creates a post as `session`'s user (anonymously with `None`); returns its id.
async fn post_as(app: &TestApp, session: Option<&Session>, title: &str) -> i64 {
    let mut request = app
        .client
        .post(app.url("/api/post"))
        .json(&json!({ "title": title, "post": "Body" }));
    if let Some(session) = session {
        request = as_user(request, session);
    }
    let response = send(request).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.expect("JSON");
    body["id"].as_i64().expect("an id")
}

/// `GET /api/post/{id}`: the post and its `ETag`.
async fn read(app: &TestApp, id: i64) -> (Value, String) {
    let response = app.get(&format!("/api/post/{id}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let etag = etag_of(&response);
    (response.json().await.expect("JSON"), etag)
}

fn etag_of(response: &Response) -> String {
    response
        .headers()
        .get(header::ETAG)
        .expect("an ETag")
        .to_str()
        .expect("ASCII")
        .to_owned()
}

fn patch(app: &TestApp, id: i64, body: &Value) -> RequestBuilder {
    app.client
        .patch(app.url(&format!("/api/post/{id}")))
        .json(body)
}

fn delete(app: &TestApp, id: i64) -> RequestBuilder {
    app.client.delete(app.url(&format!("/api/post/{id}")))
}

/// The title stored for post `id`, straight from the database.
async fn stored_title(app: &TestApp, id: i64) -> Option<String> {
    app.database()
        .column::<String>(&format!("SELECT title FROM posts WHERE id = {id}"))
        .await
        .into_iter()
        .next()
}

// ---- ETag ----

#[tokio::test]
async fn get_post_carries_a_strong_etag_that_a_get_revalidates_and_an_edit_changes() {
    let app = TestApp::spawn().await;
    let alice = sign_up(&app, "alice").await;
    let id = post_as(&app, Some(&alice), "Title").await;

    let (_, etag) = read(&app, id).await;
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "strong: {etag}"
    );
    let again = app
        .get_with(&format!("/api/post/{id}"), &[("if-none-match", &etag)])
        .await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    let changed = send(as_user(patch(&app, id, &json!({ "title": "New" })), &alice)).await;
    assert_eq!(changed.status(), StatusCode::OK);
    let new_etag = etag_of(&changed);
    assert_ne!(new_etag, etag);
    assert_eq!(
        read(&app, id).await.1,
        new_etag,
        "PATCH answers the tag GET gives"
    );
}

// ---- PATCH ----

#[tokio::test]
async fn patch_by_the_author_with_the_current_etag_answers_200_with_the_changed_post() {
    let app = TestApp::spawn().await;
    let alice = sign_up(&app, "alice").await;
    let id = post_as(&app, Some(&alice), "Title").await;
    let (_, etag) = read(&app, id).await;

    let response = send(
        as_user(patch(&app, id, &json!({ "post": "  New body  " })), &alice)
            .header(header::IF_MATCH, &etag),
    )
    .await;

    assert_eq!(response.status(), StatusCode::OK);
    let post: Value = response.json().await.expect("JSON");
    assert_eq!(post["title"], "Title", "a field left out keeps its value");
    assert_eq!(post["body"], "New body", "trimmed, as on create");
    assert_eq!(post["author"], "alice");
    assert_eq!(read(&app, id).await.0, post);
}

#[tokio::test]
async fn patch_form_encoded_follows_the_same_rules() {
    let app = TestApp::spawn().await;
    let alice = sign_up(&app, "alice").await;
    let id = post_as(&app, Some(&alice), "Title").await;

    let response = send(as_user(
        app.client
            .patch(app.url(&format!("/api/post/{id}")))
            .form(&[("title", "From a form")]),
        &alice,
    ))
    .await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(stored_title(&app, id).await.as_deref(), Some("From a form"));
}

#[tokio::test]
async fn an_empty_patch_changes_nothing_and_answers_the_post() {
    let app = TestApp::spawn().await;
    let alice = sign_up(&app, "alice").await;
    let id = post_as(&app, Some(&alice), "Title").await;
    let (before, etag) = read(&app, id).await;

    let response = send(as_user(patch(&app, id, &json!({})), &alice)).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(etag_of(&response), etag);
    assert_eq!(response.json::<Value>().await.expect("JSON"), before);
}

#[tokio::test]
async fn patch_with_a_stale_if_match_is_412_names_the_current_etag_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let alice = sign_up(&app, "alice").await;
    let id = post_as(&app, Some(&alice), "Title").await;
    let (_, first_tab) = read(&app, id).await;
    let saved = send(
        as_user(patch(&app, id, &json!({ "title": "Second tab" })), &alice)
            .header(header::IF_MATCH, &first_tab),
    )
    .await;
    assert_eq!(saved.status(), StatusCode::OK);
    let current = etag_of(&saved);

    let stale = send(
        as_user(patch(&app, id, &json!({ "title": "First tab" })), &alice)
            .header(header::IF_MATCH, &first_tab),
    )
    .await;

    assert_eq!(etag_of(&stale), current);
    assert_problem(stale, StatusCode::PRECONDITION_FAILED).await;
    assert_eq!(stored_title(&app, id).await.as_deref(), Some("Second tab"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_edits_sent_at_once_from_the_same_version_exactly_one_wins_and_the_rest_get_412() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let alice = std::sync::Arc::new(sign_up(&app, "alice").await);
    let id = post_as(&app, Some(&alice), "Title").await;
    let (_, etag) = read(&app, id).await;

    let mut tabs = tokio::task::JoinSet::new();
    for tab in 0..12 {
        let (app, alice, etag) = (app.clone(), alice.clone(), etag.clone());
        tabs.spawn(async move {
            let title = format!("Tab {tab}");
            let response = send(
                as_user(patch(&app, id, &json!({ "title": title })), &alice)
                    .header(header::IF_MATCH, etag),
            )
            .await;
            (response.status(), title)
        });
    }
    let answers = tabs.join_all().await;

    let winners: Vec<&String> = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::OK)
        .map(|(_, title)| title)
        .collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    assert!(
        answers
            .iter()
            .all(|(status, _)| [StatusCode::OK, StatusCode::PRECONDITION_FAILED].contains(status))
    );
    assert_eq!(stored_title(&app, id).await.as_ref(), Some(winners[0]));
}

#[tokio::test]
async fn if_match_star_matches_any_version_a_weak_tag_never_and_an_empty_one_is_absent() {
    let app = TestApp::spawn().await;
    let alice = sign_up(&app, "alice").await;
    let id = post_as(&app, Some(&alice), "Title").await;
    let (_, etag) = read(&app, id).await;

    let weak = send(
        as_user(patch(&app, id, &json!({ "title": "Weak" })), &alice)
            .header(header::IF_MATCH, format!("W/{etag}")),
    )
    .await;
    assert_problem(weak, StatusCode::PRECONDITION_FAILED).await;

    let listed = send(
        as_user(patch(&app, id, &json!({ "title": "Listed" })), &alice)
            .header(header::IF_MATCH, format!("\"other\", {etag}")),
    )
    .await;
    assert_eq!(listed.status(), StatusCode::OK);

    let empty = send(
        as_user(patch(&app, id, &json!({ "title": "Empty" })), &alice).header(header::IF_MATCH, ""),
    )
    .await;
    assert_eq!(
        empty.status(),
        StatusCode::OK,
        "an empty If-Match names nothing"
    );
    let star = send(
        as_user(patch(&app, id, &json!({ "title": "Star" })), &alice).header(header::IF_MATCH, "*"),
    )
    .await;
    assert_eq!(star.status(), StatusCode::OK);
    assert_eq!(stored_title(&app, id).await.as_deref(), Some("Star"));
}

#[tokio::test]
async fn a_malformed_if_match_is_400_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let alice = sign_up(&app, "alice").await;
    let id = post_as(&app, Some(&alice), "Title").await;

    for bad in [
        "abc",
        "\"open",
        "\"a\" \"b\"",
        "\"a\",",
        "\"a b\"",
        "W/",
        "\"a\", *",
    ] {
        let response = send(
            as_user(patch(&app, id, &json!({ "title": "Bad" })), &alice)
                .header(header::IF_MATCH, bad.as_bytes()),
        )
        .await;
        assert_problem(response, StatusCode::BAD_REQUEST).await;
    }
    let non_ascii = send(
        as_user(patch(&app, id, &json!({ "title": "Bad" })), &alice).header(
            header::IF_MATCH,
            header::HeaderValue::from_bytes(b"\"\xff\"").expect("a header value"),
        ),
    )
    .await;
    assert_problem(non_ascii, StatusCode::BAD_REQUEST).await;
    assert_eq!(stored_title(&app, id).await.as_deref(), Some("Title"));
}

#[tokio::test]
async fn patch_with_values_that_break_the_rules_is_422_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let alice = sign_up(&app, "alice").await;
    let id = post_as(&app, Some(&alice), "Title").await;

    for body in [
        json!({ "title": "   " }),
        json!({ "title": "x".repeat(201) }),
        json!({ "post": "" }),
        json!({ "title": "NUL \u{0} inside" }),
        json!({ "title": null }),
        json!({ "title": 7 }),
        json!({ "body": "a misspelt field" }),
        json!(["title", "Array"]),
    ] {
        let response = send(as_user(patch(&app, id, &body), &alice)).await;
        assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let malformed = send(as_user(
        app.client
            .patch(app.url(&format!("/api/post/{id}")))
            .header(header::CONTENT_TYPE, JSON)
            .body("{\"title\": \"a\", \"title\": \"b\"}"),
        &alice,
    ))
    .await;
    assert_problem(malformed, StatusCode::BAD_REQUEST).await;
    let too_large = send(as_user(
        app.client
            .patch(app.url(&format!("/api/post/{id}")))
            .header(header::CONTENT_TYPE, JSON)
            .body(vec![b' '; 2 * 1024 * 1024]),
        &alice,
    ))
    .await;
    assert_problem(too_large, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(stored_title(&app, id).await.as_deref(), Some("Title"));
}

#[tokio::test]
async fn patch_and_delete_from_anonymous_requests_are_401() {
    let app = TestApp::spawn().await;
    let alice = sign_up(&app, "alice").await;
    let id = post_as(&app, Some(&alice), "Title").await;

    let patched = send(patch(&app, id, &json!({ "title": "Anonymous" }))).await;
    assert_problem(patched, StatusCode::UNAUTHORIZED).await;
    let deleted = send(delete(&app, id)).await;
    assert_problem(deleted, StatusCode::UNAUTHORIZED).await;
    let unknown_cookie = send(patch(&app, id, &json!({ "title": "Forged" })).header(
        header::COOKIE,
        "session=not-a-session; __Host-session=nor-this",
    ))
    .await;
    assert_problem(unknown_cookie, StatusCode::UNAUTHORIZED).await;
    assert_eq!(stored_title(&app, id).await.as_deref(), Some("Title"));
}

#[tokio::test]
async fn patch_and_delete_of_another_users_post_are_403() {
    let app = TestApp::spawn().await;
    let alice = sign_up(&app, "alice").await;
    let bob = sign_up(&app, "bob").await;
    let id = post_as(&app, Some(&alice), "Alice's").await;

    let patched = send(as_user(patch(&app, id, &json!({ "title": "Bob's" })), &bob)).await;
    assert_problem(patched, StatusCode::FORBIDDEN).await;
    let deleted = send(as_user(delete(&app, id), &bob)).await;
    assert_problem(deleted, StatusCode::FORBIDDEN).await;
    assert_eq!(stored_title(&app, id).await.as_deref(), Some("Alice's"));
}

#[tokio::test]
async fn an_anonymous_post_may_be_changed_or_deleted_by_nobody() {
    let app = TestApp::spawn().await;
    let alice = sign_up(&app, "alice").await;
    let id = post_as(&app, None, "Nobody's").await;

    let patched = send(as_user(
        patch(&app, id, &json!({ "title": "Mine" })),
        &alice,
    ))
    .await;
    assert_problem(patched, StatusCode::FORBIDDEN).await;
    let deleted = send(as_user(delete(&app, id), &alice)).await;
    assert_problem(deleted, StatusCode::FORBIDDEN).await;
    assert_eq!(stored_title(&app, id).await.as_deref(), Some("Nobody's"));
}

#[tokio::test]
async fn patch_and_delete_of_a_missing_post_are_404_and_of_a_bad_id_400() {
    let app = TestApp::spawn().await;
    let alice = sign_up(&app, "alice").await;

    let patched = send(as_user(patch(&app, 999, &json!({ "title": "x" })), &alice)).await;
    assert_problem(patched, StatusCode::NOT_FOUND).await;
    let deleted = send(as_user(delete(&app, 999), &alice)).await;
    assert_problem(deleted, StatusCode::NOT_FOUND).await;
    for bad in ["0", "-1", "abc", "9223372036854775808", "1.5"] {
        let response = send(as_user(
            app.client.delete(app.url(&format!("/api/post/{bad}"))),
            &alice,
        ))
        .await;
        assert_problem(response, StatusCode::BAD_REQUEST).await;
    }
}

// ---- DELETE ----

#[tokio::test]
async fn delete_by_the_author_answers_204_and_the_post_and_its_comments_are_gone() {
    let app = TestApp::spawn().await;
    let alice = sign_up(&app, "alice").await;
    let id = post_as(&app, Some(&alice), "Doomed").await;
    let kept = post_as(&app, Some(&alice), "Kept").await;
    app.add_comment(id, "First").await;
    app.add_comment(id, "Second").await;
    app.add_comment(kept, "Stays").await;
    let (_, etag) = read(&app, id).await;

    let response = send(as_user(delete(&app, id), &alice).header(header::IF_MATCH, etag)).await;

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.bytes().await.expect("a body").is_empty());
    assert_problem(
        app.get(&format!("/api/post/{id}")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get(&format!("/api/comments/{id}")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let comments_left = app
        .database()
        .column::<i64>(&format!(
            "SELECT COUNT(*) FROM comments WHERE post_id = {id}"
        ))
        .await;
    assert_eq!(comments_left, [0]);
    assert_eq!(app.count("comments").await, 1, "other posts keep theirs");
    let again = send(as_user(delete(&app, id), &alice)).await;
    assert_problem(again, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn delete_with_a_stale_if_match_is_412_and_deletes_nothing() {
    let app = TestApp::spawn().await;
    let alice = sign_up(&app, "alice").await;
    let id = post_as(&app, Some(&alice), "Title").await;
    let (_, old) = read(&app, id).await;
    let edited = send(as_user(
        patch(&app, id, &json!({ "title": "Edited" })),
        &alice,
    ))
    .await;
    assert_eq!(edited.status(), StatusCode::OK);

    let response = send(as_user(delete(&app, id), &alice).header(header::IF_MATCH, old)).await;

    assert_problem(response, StatusCode::PRECONDITION_FAILED).await;
    assert_eq!(stored_title(&app, id).await.as_deref(), Some("Edited"));
}

// ---- Authors shown ----

#[tokio::test]
async fn posts_and_comments_made_while_signed_in_name_their_author_everywhere() {
    let app = TestApp::spawn().await;
    let alice = sign_up(&app, "Alice_1").await;
    let created = send(as_user(
        app.client
            .post(app.url("/api/post"))
            .json(&json!({ "title": "Signed", "post": "Body" })),
        &alice,
    ))
    .await;
    let created: Value = created.json().await.expect("JSON");
    assert_eq!(created["author"], "Alice_1", "the name as typed");
    let id = created["id"].as_i64().expect("an id");
    let anonymous = post_as(&app, None, "Anonymous").await;
    let comment = send(as_user(
        app.client
            .post(app.url(&format!("/api/comments/{id}")))
            .json(&json!({ "comment": "Mine" })),
        &alice,
    ))
    .await;
    assert_eq!(comment.status(), StatusCode::CREATED);
    assert_eq!(
        comment.json::<Value>().await.expect("JSON")["author"],
        "Alice_1"
    );
    app.add_comment(id, "Anonymous comment").await;

    assert_eq!(read(&app, id).await.0["author"], "Alice_1");
    assert_eq!(read(&app, anonymous).await.0["author"], Value::Null);
    let list: Value = app.get("/api/post").await.json().await.expect("JSON");
    let authors: Vec<&Value> = list["posts"]
        .as_array()
        .expect("posts")
        .iter()
        .map(|post| &post["author"])
        .collect();
    assert_eq!(authors, [&Value::Null, &json!("Alice_1")]);
    let comments: Value = app
        .get(&format!("/api/comments/{id}"))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(comments["comments"][0]["author"], "Alice_1");
    assert_eq!(comments["comments"][1]["author"], Value::Null);
    let page = app
        .get(&format!("/posts/{id}"))
        .await
        .text()
        .await
        .expect("HTML");
    assert!(page.contains("Alice_1"), "the page names the author");
}

#[tokio::test]
async fn a_bearer_token_writes_as_its_user_and_may_edit_their_posts() {
    let app = TestApp::spawn().await;
    let alice = sign_up(&app, "alice").await;
    let token = api_token(&app, &alice).await;

    let created = send(
        app.client
            .post(app.url("/api/post"))
            .bearer_auth(&token)
            .json(&json!({ "title": "From a script", "post": "Body" })),
    )
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let id = created.json::<Value>().await.expect("JSON")["id"]
        .as_i64()
        .expect("an id");
    assert_eq!(read(&app, id).await.0["author"], "alice");

    let patched = send(patch(&app, id, &json!({ "title": "Scripted" })).bearer_auth(&token)).await;
    assert_eq!(patched.status(), StatusCode::OK);
    let deleted = send(delete(&app, id).bearer_auth(&token)).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
}

// ---- POSTING=members ----

async fn members_only() -> TestApp {
    TestApp::spawn_with(|config| config.posting = Posting::Members).await
}

#[tokio::test]
async fn posting_members_refuses_anonymous_api_writes_with_401_and_writes_nothing() {
    let app = members_only().await;
    let alice = sign_up(&app, "alice").await;
    let id = post_as(&app, Some(&alice), "Members' post").await;

    app.assert_refused(
        Method::POST,
        "/api/post",
        JSON,
        json!({ "title": "Anonymous", "post": "Body" }).to_string(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    app.assert_refused(
        Method::POST,
        &format!("/api/comments/{id}"),
        JSON,
        json!({ "comment": "Anonymous" }).to_string(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn posting_members_sends_anonymous_no_javascript_forms_to_sign_in() {
    let app = members_only().await;
    let alice = sign_up(&app, "alice").await;
    let id = post_as(&app, Some(&alice), "Members' post").await;
    let rows = app.rows().await;

    let post = app
        .post_form("/api/post", &[("title", "Anonymous"), ("post", "Body")])
        .await;
    assert_eq!(post.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&post), "/signin");
    let comment = app
        .post_form(&format!("/api/comments/{id}"), &[("comment", "Anonymous")])
        .await;
    assert_eq!(comment.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&comment), "/signin");
    assert_eq!(app.rows().await, rows, "nothing is written");
}

#[tokio::test]
async fn posting_members_accepts_writes_with_a_session_or_a_bearer_token() {
    let app = members_only().await;
    let alice = sign_up(&app, "alice").await;
    let token = api_token(&app, &alice).await;

    let with_session = post_as(&app, Some(&alice), "With a session").await;
    let with_token = send(
        app.client
            .post(app.url(&format!("/api/comments/{with_session}")))
            .bearer_auth(&token)
            .json(&json!({ "comment": "With a token" })),
    )
    .await;
    assert_eq!(with_token.status(), StatusCode::CREATED);
    let form = send(as_user(
        app.client
            .post(app.url("/api/post"))
            .form(&[("title", "From a form"), ("post", "Body")]),
        &alice,
    ))
    .await;
    assert_eq!(form.status(), StatusCode::SEE_OTHER);
    assert!(location(&form).starts_with("/posts/"));
}

// ---- The page's no-JavaScript forms (POST /api/post/{id}) ----

#[tokio::test]
async fn the_edit_form_of_the_author_saves_and_lands_on_the_post() {
    let app = TestApp::spawn().await;
    let alice = sign_up(&app, "alice").await;
    let id = post_as(&app, Some(&alice), "Title").await;
    let (_, etag) = read(&app, id).await;

    let response = send(as_user(
        app.client.post(app.url(&format!("/api/post/{id}"))).form(&[
            ("action", "edit"),
            ("title", "Edited without JavaScript"),
            ("post", "Body"),
            ("etag", &etag),
        ]),
        &alice,
    ))
    .await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("/posts/{id}"));
    assert_eq!(
        stored_title(&app, id).await.as_deref(),
        Some("Edited without JavaScript")
    );
}

#[tokio::test]
async fn a_stale_or_invalid_edit_form_goes_back_to_the_editor_with_what_was_typed() {
    let app = TestApp::spawn().await;
    let alice = sign_up(&app, "alice").await;
    let id = post_as(&app, Some(&alice), "Title").await;
    let (_, old) = read(&app, id).await;
    send(as_user(
        patch(&app, id, &json!({ "title": "Other tab" })),
        &alice,
    ))
    .await;

    let stale = send(as_user(
        app.client.post(app.url(&format!("/api/post/{id}"))).form(&[
            ("action", "edit"),
            ("title", "This tab"),
            ("post", "Body"),
            ("etag", &old),
        ]),
        &alice,
    ))
    .await;
    assert_eq!(stale.status(), StatusCode::SEE_OTHER);
    let back = location(&stale);
    assert!(
        back.starts_with(&format!("/posts/{id}?edit=stale&title=This+tab")),
        "{back}"
    );
    let page = send(as_user(app.client.get(app.url(&back)), &alice))
        .await
        .text()
        .await
        .expect("HTML");
    assert!(page.contains("changed since"), "the page tells why");
    assert!(page.contains("This tab"), "what was typed is kept");
    assert_eq!(stored_title(&app, id).await.as_deref(), Some("Other tab"));

    let invalid = send(as_user(
        app.client.post(app.url(&format!("/api/post/{id}"))).form(&[
            ("action", "edit"),
            ("title", ""),
            ("post", "Body"),
            ("etag", ""),
        ]),
        &alice,
    ))
    .await;
    assert_eq!(invalid.status(), StatusCode::SEE_OTHER);
    assert!(location(&invalid).starts_with(&format!("/posts/{id}?edit=invalid")));
    assert_eq!(stored_title(&app, id).await.as_deref(), Some("Other tab"));
}

#[tokio::test]
async fn the_delete_form_of_the_author_deletes_and_lands_on_the_home_page() {
    let app = TestApp::spawn().await;
    let alice = sign_up(&app, "alice").await;
    let id = post_as(&app, Some(&alice), "Title").await;
    app.add_comment(id, "Goes too").await;
    let (_, etag) = read(&app, id).await;

    let response = send(as_user(
        app.client
            .post(app.url(&format!("/api/post/{id}")))
            .form(&[("action", "delete"), ("etag", &etag)]),
        &alice,
    ))
    .await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("/?deleted={id}"));
    assert_eq!(app.rows().await[..2], [0, 0], "no post, no comment");
}

#[tokio::test]
async fn the_page_forms_send_anonymous_users_to_sign_in_and_refuse_other_users() {
    let app = TestApp::spawn().await;
    let alice = sign_up(&app, "alice").await;
    let bob = sign_up(&app, "bob").await;
    let id = post_as(&app, Some(&alice), "Title").await;
    let form = [("action", "delete"), ("etag", "")];

    let anonymous = app.post_form(&format!("/api/post/{id}"), &form).await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&anonymous), "/signin");
    let other = send(as_user(
        app.client
            .post(app.url(&format!("/api/post/{id}")))
            .form(&form),
        &bob,
    ))
    .await;
    assert_problem(other, StatusCode::FORBIDDEN).await;
    let json = send(as_user(
        app.client
            .post(app.url(&format!("/api/post/{id}")))
            .json(&json!({ "action": "delete" })),
        &alice,
    ))
    .await;
    assert_problem(json, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    let unknown_action = send(as_user(
        app.client
            .post(app.url(&format!("/api/post/{id}")))
            .form(&[("action", "publish")]),
        &alice,
    ))
    .await;
    assert_problem(unknown_action, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(stored_title(&app, id).await.as_deref(), Some("Title"));
}

#[tokio::test]
async fn the_post_page_shows_edit_and_delete_to_its_author_only() {
    let app = TestApp::spawn().await;
    let alice = sign_up(&app, "alice").await;
    let bob = sign_up(&app, "bob").await;
    let id = post_as(&app, Some(&alice), "Title").await;
    let path = format!("/posts/{id}");
    let page_for = |session: Option<&Session>| {
        let mut request = app.client.get(app.url(&path));
        if let Some(session) = session {
            request = as_user(request, session);
        }
        async move { send(request).await.text().await.expect("HTML") }
    };

    let (_, etag) = read(&app, id).await;
    let author_page = page_for(Some(&alice)).await;
    assert!(author_page.contains("name=\"action\" value=\"edit\""));
    assert!(author_page.contains("name=\"action\" value=\"delete\""));
    assert!(
        author_page.contains(&etag.replace('"', "&quot;")),
        "the form carries the ETag"
    );
    for other in [page_for(Some(&bob)).await, page_for(None).await] {
        assert!(!other.contains("value=\"edit\""));
        assert!(!other.contains("value=\"delete\""));
    }
}

// ---- GraphQL ----

async fn graphql(app: &TestApp, session: Option<&Session>, query: &str, variables: Value) -> Value {
    let mut request = app
        .client
        .post(app.url("/api/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(session) = session {
        request = as_user(request, session);
    }
    let response = send(request).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("JSON")
}

fn error_code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("an error with a code: {answer}"))
}

const UPDATE: &str = "mutation($id: PostId!, $title: String, $ifMatch: String) {
    updatePost(id: $id, title: $title, ifMatch: $ifMatch) { id title author etag } }";
const DELETE: &str =
    "mutation($id: PostId!, $ifMatch: String) { deletePost(id: $id, ifMatch: $ifMatch) }";

#[tokio::test]
async fn graphql_me_names_the_signed_in_user_or_is_null() {
    let app = TestApp::spawn().await;
    let alice = sign_up(&app, "alice").await;

    let signed_in = graphql(&app, Some(&alice), "{ me { username } }", json!({})).await;
    assert_eq!(signed_in["data"]["me"]["username"], "alice");
    let anonymous = graphql(&app, None, "{ me { username } }", json!({})).await;
    assert_eq!(anonymous["data"]["me"], Value::Null);
}

#[tokio::test]
async fn graphql_update_post_follows_the_rules_of_patch() {
    let app = TestApp::spawn().await;
    let alice = sign_up(&app, "alice").await;
    let bob = sign_up(&app, "bob").await;
    let id = post_as(&app, Some(&alice), "Title").await;
    let (_, etag) = read(&app, id).await;
    let vars =
        |title: &str, if_match: &str| json!({ "id": id, "title": title, "ifMatch": if_match });

    let anonymous = graphql(&app, None, UPDATE, vars("x", &etag)).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    let other = graphql(&app, Some(&bob), UPDATE, vars("x", &etag)).await;
    assert_eq!(error_code(&other), "FORBIDDEN");
    let invalid = graphql(&app, Some(&alice), UPDATE, vars(" ", &etag)).await;
    assert_eq!(error_code(&invalid), "VALIDATION");
    let done = graphql(&app, Some(&alice), UPDATE, vars("New", &etag)).await;
    assert_eq!(done["data"]["updatePost"]["title"], "New", "{done}");
    assert_eq!(done["data"]["updatePost"]["author"], "alice");
    assert_eq!(
        done["data"]["updatePost"]["etag"],
        json!(read(&app, id).await.1)
    );
    let stale = graphql(&app, Some(&alice), UPDATE, vars("Stale", &etag)).await;
    assert_eq!(error_code(&stale), "PRECONDITION_FAILED");
    let missing = graphql(
        &app,
        Some(&alice),
        UPDATE,
        json!({ "id": 999, "title": "x" }),
    )
    .await;
    assert_eq!(error_code(&missing), "NOT_FOUND");
    assert_eq!(stored_title(&app, id).await.as_deref(), Some("New"));
}

#[tokio::test]
async fn graphql_delete_post_follows_the_rules_of_delete() {
    let app = TestApp::spawn().await;
    let alice = sign_up(&app, "alice").await;
    let bob = sign_up(&app, "bob").await;
    let id = post_as(&app, Some(&alice), "Title").await;
    app.add_comment(id, "Goes too").await;

    let anonymous = graphql(&app, None, DELETE, json!({ "id": id })).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    let other = graphql(&app, Some(&bob), DELETE, json!({ "id": id })).await;
    assert_eq!(error_code(&other), "FORBIDDEN");
    let stale = graphql(
        &app,
        Some(&alice),
        DELETE,
        json!({ "id": id, "ifMatch": "\"old\"" }),
    )
    .await;
    assert_eq!(error_code(&stale), "PRECONDITION_FAILED");
    assert_eq!(app.count("posts").await, 1);

    let done = graphql(&app, Some(&alice), DELETE, json!({ "id": id })).await;
    assert_eq!(done["data"]["deletePost"], id, "{done}");
    assert_eq!(app.rows().await[..2], [0, 0], "no post, no comment");
}

#[tokio::test]
async fn graphql_create_post_records_the_author_and_posting_members_refuses_anonymous_ones() {
    let app = members_only().await;
    let alice = sign_up(&app, "alice").await;
    let create = "mutation { createPost(title: \"T\", post: \"B\") { id author } }";

    let anonymous = graphql(&app, None, create, json!({})).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    assert_eq!(app.count("posts").await, 0);
    let signed_in = graphql(&app, Some(&alice), create, json!({})).await;
    assert_eq!(
        signed_in["data"]["createPost"]["author"], "alice",
        "{signed_in}"
    );
}

#[tokio::test]
async fn the_edit_form_holds_hostile_text_as_text() {
    let app = TestApp::spawn().await;
    let alice = sign_up(&app, "alice").await;
    let title = "\"><script>alert(1)</script>";
    let body = "</textarea><script>alert(2)</script>&amp;";
    let created = send(as_user(
        app.client
            .post(app.url("/api/post"))
            .json(&json!({ "title": title, "post": body })),
        &alice,
    ))
    .await;
    let id = created.json::<Value>().await.expect("JSON")["id"]
        .as_i64()
        .expect("an id");

    let page = send(as_user(
        app.client.get(app.url(&format!("/posts/{id}"))),
        &alice,
    ))
    .await
    .text()
    .await
    .expect("HTML");

    assert!(
        page.contains("name=\"action\" value=\"edit\""),
        "the author's form"
    );
    assert!(
        !page.contains("<script>alert"),
        "no markup injected: {page}"
    );
    assert!(page.contains("&lt;/textarea&gt;&lt;script&gt;alert(2)&lt;/script&gt;&amp;amp;"));
}
