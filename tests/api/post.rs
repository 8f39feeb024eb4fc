//! `/api/post`: creating a post (POST, JSON or form) and listing posts (GET, paginated).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{
    JSON, TestApp, allowed_methods, assert_problem, content_type, detail, location,
};

/// Creates posts titled `Post 1` … `Post {count}`, oldest first, and returns their ids in that order.
async fn create_posts(app: &TestApp, count: usize) -> Vec<i64> {
    let mut ids = Vec::with_capacity(count);
    for number in 1..=count {
        ids.push(app.create_post(&format!("Post {number}"), "Body").await);
    }
    ids
}

/// The ids of the posts on one page of `GET /api/post`, in the order given.
fn ids_on(page: &Value) -> Vec<i64> {
    page["posts"]
        .as_array()
        .expect("a posts array")
        .iter()
        .map(|post| post["id"].as_i64().expect("a numeric id"))
        .collect()
}

/// Sends `POST /api/post` a body it must refuse with `status`; checks nothing was written and
/// returns the problem.
async fn refused(
    app: &TestApp,
    content_type: &str,
    body: impl Into<reqwest::Body>,
    status: StatusCode,
) -> Value {
    app.assert_refused(Method::POST, "/api/post", content_type, body, status)
        .await
}

/// Sends `POST /api/post` JSON whose values break the rules; checks the 422 and that nothing was
/// written, and returns the per-field `errors`.
async fn field_errors(app: &TestApp, body: Value) -> Value {
    let problem = refused(
        app,
        JSON,
        body.to_string(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem["errors"].clone()
}

/// The newest post, as `GET /api/post` lists it.
async fn newest_post(app: &TestApp) -> Value {
    let page: Value = app.get("/api/post?limit=1").await.json().await.unwrap();
    page["posts"][0].clone()
}

// ---- POST /api/post ----

#[tokio::test]
async fn create_post_answers_201_with_the_id_the_message_and_the_location() {
    let app = TestApp::spawn().await;

    let response = app
        .post_json(
            "/api/post",
            &json!({ "title": "Hello", "post": "First post" }),
        )
        .await;

    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(content_type(&response).starts_with("application/json"));
    let location_header = location(&response);
    let body: Value = response.json().await.unwrap();
    let id = body["id"].as_i64().expect("a numeric id");
    assert!(id > 0);
    assert_eq!(
        body,
        json!({ "id": id, "message": "Post created successfully", "author": null })
    );
    assert_eq!(location_header, format!("/posts/{id}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_sent_at_once_each_answer_the_id_of_their_own_post() {
    let app = std::sync::Arc::new(TestApp::spawn().await);

    // Sent together, most of them queue behind the first and are saved in batches.
    let mut sends = tokio::task::JoinSet::new();
    for number in 0..120 {
        let app = std::sync::Arc::clone(&app);
        sends.spawn(async move {
            let title = format!("Post {number}");
            let body = format!("Body of post {number}");
            let id = app.create_post(&title, &body).await;
            (id, title, body)
        });
    }
    let answered = sends.join_all().await;

    let mut ids: Vec<i64> = answered.iter().map(|(id, ..)| *id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 120, "each post has an id of its own");
    for (id, title, body) in answered {
        let post: Value = app
            .get(&format!("/api/post/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            (&post["title"], &post["body"]),
            (&json!(title), &json!(body))
        );
    }
}

#[tokio::test]
async fn create_post_stores_the_trimmed_title_and_post() {
    let app = TestApp::spawn().await;

    let id = app.create_post("  Hello  ", "\n First post \n").await;

    let post = newest_post(&app).await;
    assert_eq!(post["id"], id);
    assert_eq!(post["title"], "Hello");
    assert_eq!(post["body"], "First post");
    assert_eq!(app.count("posts").await, 1);
}

#[tokio::test]
async fn create_post_accepts_json_with_a_charset_parameter() {
    let app = TestApp::spawn().await;

    let response = app
        .send(
            Method::POST,
            "/api/post",
            "application/json; charset=utf-8",
            r#"{"title":"Hello","post":"With a charset"}"#,
        )
        .await;

    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(app.count("posts").await, 1);
}

#[tokio::test]
async fn create_post_from_a_form_redirects_303_to_the_new_post() {
    let app = TestApp::spawn().await;

    let response = app
        .post_form("/api/post", &[("title", "From a form"), ("post", "No JS")])
        .await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let post = newest_post(&app).await;
    assert_eq!(location(&response), format!("/posts/{}", post["id"]));
    assert_eq!(post["title"], "From a form");
    assert_eq!(post["body"], "No JS");
}

#[tokio::test]
async fn create_post_stores_unicode_text_exactly() {
    let app = TestApp::spawn().await;
    // Emoji (with a ZWJ sequence), CJK, right-to-left scripts and decomposed combining marks.
    let title = "Héllo 😀 👨‍👩‍👧 漢字 שלום";
    let body = "مرحبا بالعالم — A\u{30A}stro\u{308}m e\u{301} 𝄞 中文テキスト";

    let id = app.create_post(title, body).await;

    let post = newest_post(&app).await;
    assert_eq!(post["id"], id);
    assert_eq!(post["title"], title);
    assert_eq!(post["body"], body);
}

#[tokio::test]
async fn create_post_stores_an_sql_injection_looking_title_as_plain_text() {
    let app = TestApp::spawn().await;
    let title = "Robert'); DROP TABLE posts;--";

    app.create_post(title, "Little Bobby Tables").await;

    let post = newest_post(&app).await;
    assert_eq!(post["title"], title);
    assert_eq!(
        app.count("posts").await,
        1,
        "the posts table is still there"
    );
}

#[tokio::test]
async fn create_post_counts_characters_not_bytes_so_a_title_of_200_emoji_fits() {
    let app = TestApp::spawn().await;
    let title = "😀".repeat(200);

    app.create_post(&title, "Body").await;

    assert_eq!(newest_post(&app).await["title"], title);
}

#[tokio::test]
async fn create_post_answers_400_when_the_json_is_malformed() {
    let app = TestApp::spawn().await;

    let problem = refused(&app, JSON, r#"{"title":"Hello","#, StatusCode::BAD_REQUEST).await;

    assert!(detail(&problem).starts_with("Malformed JSON"), "{problem}");
}

#[tokio::test]
async fn create_post_answers_422_when_the_title_is_a_number() {
    let app = TestApp::spawn().await;
    let body = json!({ "title": 5, "post": "Body" });

    let problem = refused(
        &app,
        JSON,
        body.to_string(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    assert!(detail(&problem).contains("wrong shape"), "{problem}");
}

#[tokio::test]
async fn create_post_answers_422_when_the_json_is_an_array() {
    let app = TestApp::spawn().await;

    for array in ["[]", r#"["Hello","Body"]"#] {
        let problem = refused(&app, JSON, array, StatusCode::UNPROCESSABLE_ENTITY).await;

        assert!(detail(&problem).contains("wrong shape"), "{problem}");
    }
}

#[tokio::test]
async fn create_post_answers_422_with_an_error_for_each_missing_field() {
    let app = TestApp::spawn().await;

    let errors = field_errors(&app, json!({})).await;

    assert_eq!(
        errors,
        json!({ "title": ["title is required"], "post": ["post is required"] })
    );
}

#[tokio::test]
async fn create_post_answers_422_when_the_title_is_only_whitespace() {
    let app = TestApp::spawn().await;

    let errors = field_errors(&app, json!({ "title": " \t\n ", "post": "Body" })).await;

    assert_eq!(errors, json!({ "title": ["title is required"] }));
}

#[tokio::test]
async fn create_post_answers_422_when_the_title_is_over_200_characters() {
    let app = TestApp::spawn().await;

    let errors = field_errors(&app, json!({ "title": "x".repeat(201), "post": "Body" })).await;

    assert_eq!(
        errors,
        json!({ "title": ["title must be at most 200 characters (it has 201)"] })
    );
}

#[tokio::test]
async fn create_post_answers_422_when_the_post_is_over_10000_characters() {
    let app = TestApp::spawn().await;

    let errors = field_errors(&app, json!({ "title": "Long", "post": "x".repeat(10_001) })).await;

    assert_eq!(
        errors,
        json!({ "post": ["post must be at most 10000 characters (it has 10001)"] })
    );
}

#[tokio::test]
async fn create_post_answers_413_when_the_body_is_over_1_mib() {
    let app = TestApp::spawn().await;
    let body = json!({ "title": "Big", "post": "x".repeat(2 * 1024 * 1024) });

    refused(&app, JSON, body.to_string(), StatusCode::PAYLOAD_TOO_LARGE).await;
}

#[tokio::test]
async fn create_post_answers_415_naming_the_accepted_types_for_a_text_plain_body() {
    let app = TestApp::spawn().await;

    let problem = refused(
        &app,
        "text/plain",
        "title=Hello&post=Body",
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;

    assert!(detail(&problem).contains("application/json"), "{problem}");
    assert!(
        detail(&problem).contains("application/x-www-form-urlencoded"),
        "{problem}"
    );
}

#[tokio::test]
async fn the_post_route_answers_405_with_allow_for_delete() {
    let app = TestApp::spawn().await;
    app.create_post("Keep me", "Body").await;

    let response = app.request(Method::DELETE, "/api/post").await;

    assert_eq!(allowed_methods(&response), ["GET", "HEAD", "POST"]);
    let problem = assert_problem(response, StatusCode::METHOD_NOT_ALLOWED).await;
    assert_eq!(
        problem["detail"],
        "This route does not answer DELETE; the Allow header lists the methods it does."
    );
    assert_eq!(app.count("posts").await, 1);
}

// ---- GET /api/post ----

#[tokio::test]
async fn list_posts_answers_an_empty_last_page_when_there_are_no_posts() {
    let app = TestApp::spawn().await;

    let response = app.get("/api/post").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert!(content_type(&response).starts_with("application/json"));
    let page: Value = response.json().await.unwrap();
    assert_eq!(page, json!({ "posts": [] }));
}

#[tokio::test]
async fn list_posts_returns_the_newest_post_first() {
    let app = TestApp::spawn().await;
    let ids = create_posts(&app, 3).await;

    let page: Value = app.get("/api/post").await.json().await.unwrap();

    assert_eq!(ids_on(&page), [ids[2], ids[1], ids[0]]);
    assert_eq!(page["posts"][0]["title"], "Post 3");
    assert!(page["posts"][0]["created_at"].is_string());
}

#[tokio::test]
async fn list_posts_gives_each_post_its_comment_count() {
    let app = TestApp::spawn().await;
    let quiet = app.create_post("Quiet", "No comments").await;
    let busy = app.create_post("Busy", "Two comments").await;
    app.add_comment(busy, "One").await;
    app.add_comment(busy, "Two").await;

    let page: Value = app.get("/api/post").await.json().await.unwrap();

    assert_eq!(page["posts"][0]["id"], busy);
    assert_eq!(page["posts"][0]["comment_count"], 2);
    assert_eq!(page["posts"][1]["id"], quiet);
    assert_eq!(page["posts"][1]["comment_count"], 0);
}

#[tokio::test]
async fn list_posts_returns_20_posts_and_a_cursor_by_default() {
    let app = TestApp::spawn().await;
    let ids = create_posts(&app, 21).await;

    let page: Value = app.get("/api/post").await.json().await.unwrap();

    assert_eq!(ids_on(&page).len(), 20);
    assert_eq!(page["next_cursor"], ids[1], "the oldest post on the page");
}

#[tokio::test]
async fn list_posts_gives_no_cursor_when_the_posts_exactly_fill_the_page() {
    let app = TestApp::spawn().await;
    create_posts(&app, 3).await;

    let page: Value = app.get("/api/post?limit=3").await.json().await.unwrap();

    assert_eq!(ids_on(&page).len(), 3);
    assert!(page.get("next_cursor").is_none(), "{page}");
}

#[tokio::test]
async fn list_posts_accepts_the_limits_1_and_100() {
    let app = TestApp::spawn().await;
    create_posts(&app, 2).await;

    let smallest: Value = app.get("/api/post?limit=1").await.json().await.unwrap();
    let largest: Value = app.get("/api/post?limit=100").await.json().await.unwrap();

    assert_eq!(ids_on(&smallest).len(), 1);
    assert_eq!(ids_on(&largest).len(), 2);
}

#[tokio::test]
async fn list_posts_pages_through_every_post_once_with_next_cursor() {
    let app = TestApp::spawn().await;
    let created = create_posts(&app, 7).await;
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut path = "/api/post?limit=3".to_owned();

    loop {
        let response = app.get(&path).await;
        assert_eq!(response.status(), StatusCode::OK);
        let page: Value = response.json().await.unwrap();
        seen.extend(ids_on(&page));
        pages += 1;
        match page.get("next_cursor") {
            Some(cursor) => path = format!("/api/post?limit=3&cursor={cursor}"),
            None => break,
        }
        assert!(pages < 10, "the pages end");
    }

    let newest_first: Vec<i64> = created.into_iter().rev().collect();
    assert_eq!(seen, newest_first, "no duplicates, no gaps");
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn list_posts_answers_400_when_limit_is_not_between_1_and_100() {
    let app = TestApp::spawn().await;

    for limit in ["0", "101", "abc", "-1", ""] {
        let response = app.get(&format!("/api/post?limit={limit}")).await;

        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "limit={limit}");
        assert_problem(response, StatusCode::BAD_REQUEST).await;
    }
}

#[tokio::test]
async fn list_posts_answers_400_when_the_cursor_is_not_a_post_id() {
    let app = TestApp::spawn().await;

    for cursor in ["0", "-1", "abc", "99999999999999999999"] {
        let response = app.get(&format!("/api/post?cursor={cursor}")).await;

        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "cursor={cursor}"
        );
        assert_problem(response, StatusCode::BAD_REQUEST).await;
    }
}

#[tokio::test]
async fn list_posts_answers_400_for_an_unknown_query_parameter() {
    let app = TestApp::spawn().await;

    let response = app.get("/api/post?page=2").await;

    assert_problem(response, StatusCode::BAD_REQUEST).await;
}

// ---- the no-JavaScript form, refused ----

#[tokio::test]
async fn create_post_from_an_invalid_form_redirects_303_back_to_the_form_with_the_typed_values() {
    let app = TestApp::spawn().await;

    let response = app
        .post_form(
            "/api/post",
            &[("title", " "), ("post", "What I typed & more")],
        )
        .await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&response),
        "/?title=+&post=What+I+typed+%26+more#new-post"
    );
    assert_eq!(app.rows().await, [0, 0, 0]);
}

#[tokio::test]
async fn create_post_from_an_invalid_form_too_long_for_a_url_answers_422_instead() {
    let app = TestApp::spawn().await;
    let long_post = "語".repeat(11_000);

    let response = app
        .post_form("/api/post", &[("title", "Fine"), ("post", &long_post)])
        .await;

    let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        problem["errors"]["post"][0],
        "post must be at most 10000 characters (it has 11000)"
    );
    assert_eq!(app.rows().await, [0, 0, 0]);
}

// ---- GET /api/post/{id} ----

#[tokio::test]
async fn get_post_answers_200_with_the_post() {
    let app = TestApp::spawn().await;
    let id = app.create_post("One post", "Its body").await;

    let response = app.get(&format!("/api/post/{id}")).await;

    assert_eq!(response.status(), StatusCode::OK);
    let post: Value = response.json().await.unwrap();
    assert_eq!(post["id"], id);
    assert_eq!(post["title"], "One post");
    assert_eq!(post["body"], "Its body");
    assert!(post["created_at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn created_at_is_utc_to_the_millisecond_in_one_format_on_every_route_and_backend() {
    let app = TestApp::spawn().await;
    let id = app.create_post("Dated", "Body").await;
    app.add_comment(id, "Dated too").await;
    let post: Value = app
        .get(&format!("/api/post/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let list: Value = app.get("/api/post").await.json().await.unwrap();
    let comments: Value = app
        .get(&format!("/api/comments/{id}"))
        .await
        .json()
        .await
        .unwrap();

    let stamps = [
        &post["created_at"],
        &list["posts"][0]["created_at"],
        &comments["comments"][0]["created_at"],
    ];

    for stamp in stamps {
        let stamp = stamp.as_str().expect("a text timestamp");
        assert!(is_api_timestamp(stamp), "YYYY-MM-DDTHH:MM:SS.mmmZ: {stamp}");
    }
    assert_eq!(
        stamps[0], stamps[1],
        "the same instant, written the same way"
    );
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, exactly.
fn is_api_timestamp(stamp: &str) -> bool {
    const SHAPE: &str = "dddd-dd-ddTdd:dd:dd.dddZ";
    stamp.len() == SHAPE.len()
        && stamp
            .chars()
            .zip(SHAPE.chars())
            .all(|(c, shape)| match shape {
                'd' => c.is_ascii_digit(),
                other => c == other,
            })
}

#[tokio::test]
async fn get_post_answers_404_for_a_missing_post_and_400_for_a_bad_id() {
    let app = TestApp::spawn().await;

    let missing = assert_problem(app.get("/api/post/42").await, StatusCode::NOT_FOUND).await;
    assert_eq!(missing["detail"], "There is no post 42.");
    for bad in ["0", "-1", "+1", "abc", "99999999999999999999"] {
        let response = app.get(&format!("/api/post/{bad}")).await;
        assert_problem(response, StatusCode::BAD_REQUEST).await;
    }
}
