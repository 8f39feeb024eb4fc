//! The account pages as a browser without JavaScript gets them (issue 22): `/signup` and `/signin`
//! forms posting to the API, errors sent back with the typed username kept (escaped), and the header
//! naming the signed-in user with a sign-out form, and no one on the next page once that session ends.

use reqwest::{StatusCode, header};

use crate::support::{PASSWORD, TestApp, header, session_cookie};

async fn page_as(app: &TestApp, path: &str, cookie: Option<&str>) -> (StatusCode, String, String) {
    let headers: Vec<(&str, &str)> = cookie
        .map(|cookie| ("cookie", cookie))
        .into_iter()
        .collect();
    let response = app.get_with(path, &headers).await;
    let status = response.status();
    let cache = header(&response, header::CACHE_CONTROL);
    (status, cache, response.text().await.unwrap())
}

#[tokio::test]
async fn the_sign_up_and_sign_in_pages_are_forms_posting_to_the_api() {
    let app = TestApp::spawn().await;
    for (path, action, autocomplete) in [
        ("/signup", "/api/auth/signup", "new-password"),
        ("/signin", "/api/auth/signin", "current-password"),
    ] {
        let (status, _, html) = page_as(&app, path, None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains(&format!(r#"method="post" action="{action}""#)),
            "{html}"
        );
        assert!(html.contains(r#"name="username""#) && html.contains(r#"type="password""#));
        assert!(
            html.contains(&format!(r#"autocomplete="{autocomplete}""#)),
            "{html}"
        );
    }
}

#[tokio::test]
async fn an_anonymous_header_links_to_sign_in_and_sign_up() {
    let app = TestApp::spawn().await;

    let (_, cache, html) = page_as(&app, "/", None).await;

    assert!(html.contains(r#"<a href="/signin">Sign in"#), "{html}");
    assert!(html.contains(r#"<a href="/signup">Sign up"#), "{html}");
    assert!(!cache.contains("private"), "{cache}");
}

#[tokio::test]
async fn a_signed_in_header_names_the_user_with_a_sign_out_form_and_the_page_is_private() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("Alice_1").await;

    for path in ["/", "/signin", "/no-such-page"] {
        let (_, cache, html) = page_as(&app, path, Some(&cookie)).await;
        assert!(
            html.contains("Signed in as <strong>Alice_1"),
            "{path}: {html}"
        );
        assert!(
            html.contains(r#"<form class="sign-out" method="post" action="/api/auth/signout">"#),
            "{html}"
        );
        assert!(cache.contains("private"), "{path}: {cache}");
    }
}

#[tokio::test]
async fn a_refused_sign_in_comes_back_with_the_username_escaped_and_the_message() {
    let app = TestApp::spawn().await;

    let (_, _, html) = page_as(
        &app,
        "/signin?username=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E&error=credentials",
        None,
    )
    .await;

    assert!(
        html.contains("Unknown username or wrong password."),
        "{html}"
    );
    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert!(
        html.contains("&quot;&gt;&lt;script&gt;") || html.contains("\"&gt;&lt;script&gt;"),
        "{html}"
    );
}

#[tokio::test]
async fn a_refused_sign_up_shows_the_shared_rules_message_for_the_field() {
    let app = TestApp::spawn().await;

    let (_, _, username) = page_as(&app, "/signup?username=ab&error=username", None).await;
    let (_, _, password) = page_as(&app, "/signup?username=abc&error=password", None).await;
    let (_, _, taken) = page_as(&app, "/signup?username=abc&error=taken", None).await;

    assert!(
        username.contains("username must be 3 to 32 characters (it has 2)"),
        "{username}"
    );
    assert!(username.contains(r#"value="ab""#), "{username}");
    assert!(
        password.contains("password must be 8 to 128 characters"),
        "{password}"
    );
    assert!(
        taken.contains("That username is taken; choose another."),
        "{taken}"
    );
}

// Pages name their reader from the instance's cache of live sessions (src/db/session_cache.rs):
// each test below fills it with page reads, then ends the session, and the next page must know.

#[tokio::test]
async fn after_signing_out_the_next_page_names_no_one() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;
    for _ in 0..2 {
        assert_eq!(app.shown_name(&cookie).await.as_deref(), Some("alice"));
    }

    let signed_out = app
        .client
        .post(app.url("/api/auth/signout"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();

    assert_eq!(signed_out.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.shown_name(&cookie).await, None);
}

#[tokio::test]
async fn after_signing_out_everywhere_the_next_page_of_each_session_names_no_one() {
    let app = TestApp::spawn().await;
    let first = app.sign_up("alice").await;
    let second = session_cookie(&app.sign_in("alice", PASSWORD).await).unwrap();
    for cookie in [&first, &second] {
        assert_eq!(app.shown_name(cookie).await.as_deref(), Some("alice"));
    }

    app.client
        .post(app.url("/api/auth/signout?everywhere=true"))
        .header(header::COOKIE, &first)
        .send()
        .await
        .unwrap();

    assert_eq!(app.shown_name(&second).await, None);
    assert_eq!(app.shown_name(&first).await, None);
}

#[tokio::test]
async fn after_signing_in_again_the_old_session_s_next_page_names_no_one() {
    let app = TestApp::spawn().await;
    let old = app.sign_up("alice").await;
    assert_eq!(app.shown_name(&old).await.as_deref(), Some("alice"));

    let signed_in = app
        .client
        .post(app.url("/api/auth/signin"))
        .header(header::COOKIE, &old)
        .json(&serde_json::json!({ "username": "alice", "password": PASSWORD }))
        .send()
        .await
        .unwrap();

    let new = session_cookie(&signed_in).expect("a new session");
    assert_eq!(app.shown_name(&old).await, None);
    assert_eq!(app.shown_name(&new).await.as_deref(), Some("alice"));
}
