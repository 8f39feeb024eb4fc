//! Draft posts and preview mode: `/api/preview`, `/api/preview/exit`, and what drafts look like to a
//! request with and without the preview cookie.

use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode, header::SET_COOKIE};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::support::{TestApp, assert_problem, detail, header, location};

const SECRET: &str = "preview-secret-for-tests";

async fn spawn_with_preview() -> TestApp {
    TestApp::spawn_with(|config| config.preview_secret = Some(SECRET.parse().unwrap())).await
}

/// Enters preview mode for `slug` and returns the `name=value` pair of the cookie it set.
async fn enter_preview(app: &TestApp, slug: &str) -> String {
    let response = app
        .get(&format!("/api/preview?secret={SECRET}&slug={slug}"))
        .await;
    assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
    let cookie = header(&response, SET_COOKIE);
    cookie.split(';').next().unwrap().to_owned()
}

/// `GET path` with `cookie` (a `name=value` pair), as a browser that holds it would send.
async fn get_with_cookie(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .unwrap()
}

/// A preview cookie for `expires` (Unix seconds), signed the way the server signs it.
fn signed_cookie(expires: u64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("preview-until:{expires}").as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
    format!("preview={expires}.{signature}")
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Whether `GET /api/post` (sent with `cookie`, if any) lists the post `id`.
async fn listed(app: &TestApp, id: i64, cookie: &str) -> bool {
    let page: Value = get_with_cookie(app, "/api/post", cookie)
        .await
        .json()
        .await
        .unwrap();
    page["posts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|post| post["id"] == id)
}

// ---- drafts outside preview mode ----

#[tokio::test]
async fn a_draft_is_hidden_from_every_route_and_page_outside_preview_mode() {
    let app = spawn_with_preview().await;
    let draft = app.create_draft("Secret plans", "Not yet").await;
    let published = app.create_post("Public", "Hello").await;

    assert!(!listed(&app, draft, "").await);
    assert!(listed(&app, published, "").await);
    for path in [
        format!("/api/post/{draft}"),
        format!("/api/comments/{draft}"),
    ] {
        assert_problem(app.get(&path).await, StatusCode::NOT_FOUND).await;
    }
    let comment = app
        .post_json(
            &format!("/api/comments/{draft}"),
            &json!({ "comment": "Hi" }),
        )
        .await;
    assert_problem(comment, StatusCode::NOT_FOUND).await;
    assert_eq!(app.count("comments").await, 0);

    let page = app.get(&format!("/posts/{draft}")).await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    let home = app.get("/").await.text().await.unwrap();
    assert!(home.contains("Public"));
    assert!(!home.contains("Secret plans"));
    assert!(!home.contains("Preview mode"));
}

#[tokio::test]
async fn a_draft_posted_by_a_plain_form_lands_on_the_home_page_not_its_hidden_page() {
    let app = spawn_with_preview().await;

    let response = app
        .post_form(
            "/api/post",
            &[("title", "Draft"), ("post", "Body"), ("draft", "true")],
        )
        .await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/?saved_draft=1#new-post");
    let home = app.get("/?saved_draft=1").await.text().await.unwrap();
    assert!(home.contains("Draft 1 saved"), "{home}");
}

// ---- GET /api/preview ----

#[tokio::test]
async fn the_right_secret_sets_a_signed_http_only_cookie_and_redirects_to_the_post() {
    let app = spawn_with_preview().await;
    let draft = app.create_draft("Draft", "Body").await;

    let response = app
        .get(&format!("/api/preview?secret={SECRET}&slug=/posts/{draft}"))
        .await;

    assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(location(&response), format!("/posts/{draft}"));
    let cookie = header(&response, SET_COOKIE);
    assert!(cookie.starts_with("preview="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=3600"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
}

#[tokio::test]
async fn the_cookie_is_secure_when_the_site_is_served_over_https() {
    let app = spawn_with_preview().await;
    let post = app.create_post("Post", "Body").await;

    let response = app
        .client
        .get(app.url(&format!("/api/preview?secret={SECRET}&slug=/posts/{post}")))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
    assert!(header(&response, SET_COOKIE).contains("; Secure"));
}

#[tokio::test]
async fn a_wrong_or_missing_secret_is_refused_with_invalid_token() {
    let app = spawn_with_preview().await;
    let post = app.create_post("Post", "Body").await;

    for query in [
        format!("secret=wrong&slug=/posts/{post}"),
        format!("secret=&slug=/posts/{post}"),
        format!("slug=/posts/{post}"),
        format!("secret={SECRET}x&slug=/posts/{post}"),
    ] {
        let response = app.get(&format!("/api/preview?{query}")).await;
        assert!(response.headers().get(SET_COOKIE).is_none(), "{query}");
        let problem = assert_problem(response, StatusCode::UNAUTHORIZED).await;
        assert_eq!(detail(&problem), "Invalid token", "{query}");
    }
}

#[tokio::test]
async fn preview_mode_is_off_when_no_secret_is_configured() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Post", "Body").await;

    let response = app
        .get(&format!("/api/preview?secret=&slug=/posts/{post}"))
        .await;

    let problem = assert_problem(response, StatusCode::UNAUTHORIZED).await;
    assert_eq!(detail(&problem), "Invalid token");
}

#[tokio::test]
async fn an_unknown_post_or_a_slug_that_is_not_a_post_is_refused_with_invalid_slug() {
    let app = spawn_with_preview().await;
    app.create_post("Post", "Body").await;

    for slug in ["/posts/999", "/posts/abc", "/posts/", "/", "", "/api/post"] {
        let response = app
            .get(&format!("/api/preview?secret={SECRET}&slug={slug}"))
            .await;
        assert!(response.headers().get(SET_COOKIE).is_none(), "{slug}");
        let problem = assert_problem(response, StatusCode::UNAUTHORIZED).await;
        assert_eq!(detail(&problem), "Invalid slug", "{slug:?}");
    }
}

#[tokio::test]
async fn the_slug_cannot_redirect_to_another_site() {
    let app = spawn_with_preview().await;
    app.create_post("Post", "Body").await;

    for slug in [
        "https://evil.example",
        "https://evil.example/posts/1",
        "//evil.example/posts/1",
        "/posts/1/../../%2F%2Fevil.example",
        "/posts/1%0d%0aLocation:%20https://evil.example",
    ] {
        let encoded: String = url_encode(slug);
        let response = app
            .get(&format!("/api/preview?secret={SECRET}&slug={encoded}"))
            .await;
        let problem = assert_problem(response, StatusCode::UNAUTHORIZED).await;
        assert_eq!(detail(&problem), "Invalid slug", "{slug}");
    }
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

// ---- preview mode, end to end ----

#[tokio::test]
async fn in_preview_mode_drafts_show_on_pages_and_in_the_api_until_exit() {
    let app = spawn_with_preview().await;
    let draft = app.create_draft("Secret plans", "Not yet").await;
    let cookie = enter_preview(&app, &format!("/posts/{draft}")).await;

    let page = get_with_cookie(&app, &format!("/posts/{draft}"), &cookie).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Secret plans"));
    assert!(html.contains("Preview mode"), "the banner");
    assert!(
        html.contains(r#"href="/api/preview/exit""#),
        "the exit link"
    );
    assert!(html.contains("Draft"), "the badge");

    assert!(listed(&app, draft, &cookie).await);
    let post: Value = get_with_cookie(&app, &format!("/api/post/{draft}"), &cookie)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(post["draft"], true);
    let comment = app
        .client
        .post(app.url(&format!("/api/comments/{draft}")))
        .header(reqwest::header::COOKIE, &cookie)
        .json(&json!({ "comment": "Looks good" }))
        .send()
        .await
        .unwrap();
    assert_eq!(comment.status(), StatusCode::CREATED);

    let exit = get_with_cookie(&app, "/api/preview/exit", &cookie).await;
    assert_eq!(exit.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(location(&exit), "/");
    let cleared = header(&exit, SET_COOKIE);
    assert!(cleared.starts_with("preview=;"), "{cleared}");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    // The browser drops the cookie; without it the draft is hidden again.
    assert!(!listed(&app, draft, "").await);
}

#[tokio::test]
async fn a_forged_or_tampered_cookie_is_ignored() {
    let app = spawn_with_preview().await;
    let draft = app.create_draft("Draft", "Body").await;
    let genuine = enter_preview(&app, &format!("/posts/{draft}")).await;
    let (expires, signature) = genuine
        .trim_start_matches("preview=")
        .split_once('.')
        .unwrap();
    let later: u64 = expires.parse::<u64>().unwrap() + 86_400;
    // One hex digit changed (the first), whatever the signature's digits are.
    let first = if signature.starts_with('0') { "1" } else { "0" };
    let altered = format!("{first}{}", &signature[1..]);

    for forged in [
        "preview=1".to_owned(),
        "preview=".to_owned(),
        format!("preview=9999999999.{}", "00".repeat(32)),
        format!("preview={later}.{signature}"),
        format!("preview={expires}.{altered}"),
        format!("preview={expires}.{signature}00"),
    ] {
        assert!(!listed(&app, draft, &forged).await, "{forged}");
        let page = get_with_cookie(&app, &format!("/posts/{draft}"), &forged).await;
        assert_eq!(page.status(), StatusCode::NOT_FOUND, "{forged}");
    }
    assert!(listed(&app, draft, &genuine).await, "the genuine one works");
}

#[tokio::test]
async fn an_expired_cookie_is_ignored_even_with_a_valid_signature() {
    let app = spawn_with_preview().await;
    let draft = app.create_draft("Draft", "Body").await;

    assert!(listed(&app, draft, &signed_cookie(now() + 60)).await);
    assert!(!listed(&app, draft, &signed_cookie(now() - 1)).await);
}

#[tokio::test]
async fn preview_routes_answer_only_get() {
    let app = spawn_with_preview().await;

    for path in ["/api/preview", "/api/preview/exit"] {
        let response = app.request(Method::POST, path).await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
    }
}
