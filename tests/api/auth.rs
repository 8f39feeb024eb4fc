//! Accounts (issue 22): sign-up, sign-in, sign-out, `me`, sessions and API tokens, each rule on its
//! own, over HTTP against the real server and database (SQLite, or PostgreSQL with
//! `TEST_DATABASE_URL`). Two instances over one PostgreSQL: tests/postgres/accounts.rs.

use std::num::NonZeroU32;

use leptos_api_routes::config::AccountsConfig;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

use crate::support::{
    PASSWORD, TestApp, assert_problem, detail, header, location, session_cookie, sign_in_at,
    with_headers,
};

async fn sign_up_json(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    app.post_json(
        "/api/auth/signup",
        &json!({ "username": username, "password": password }),
    )
    .await
}

async fn get_with_cookie(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    app.get_with(path, &[("cookie", cookie)]).await
}

async fn post_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    with_headers(app.client.post(app.url(path)), headers)
        .send()
        .await
        .expect("the server answers")
}

fn set_cookie(response: &reqwest::Response) -> String {
    header(response, header::SET_COOKIE)
}

#[tokio::test]
async fn sign_up_answers_201_with_the_username_and_a_session_cookie() {
    let app = TestApp::spawn().await;

    let response = sign_up_json(&app, "Alice", PASSWORD).await;

    assert_eq!(response.status(), StatusCode::CREATED);
    let cookie = session_cookie(&response).expect("a session cookie");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({ "username": "Alice" }));
    assert_eq!(app.me(&cookie).await, StatusCode::OK);
}

#[tokio::test]
async fn the_session_cookie_is_httponly_lax_and_path_root_and_not_secure_over_http() {
    let app = TestApp::spawn().await;

    let response = sign_up_json(&app, "alice", PASSWORD).await;

    let cookie = set_cookie(&response);
    assert!(cookie.starts_with("session="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn over_https_the_cookie_is_secure_and_named_host_session() {
    let app = TestApp::spawn().await;
    let https = [("x-forwarded-proto", "https")];

    let response = with_headers(app.client.post(app.url("/api/auth/signup")), &https)
        .json(&json!({ "username": "alice", "password": PASSWORD }))
        .send()
        .await
        .unwrap();

    let cookie = set_cookie(&response);
    assert!(cookie.starts_with("__Host-session="), "{cookie}");
    assert!(
        cookie.contains("; Secure") && cookie.contains("Path=/"),
        "{cookie}"
    );
    let pair = session_cookie(&response).unwrap();
    let me = app
        .get_with("/api/auth/me", &[("cookie", &pair), https[0]])
        .await;
    assert_eq!(me.status(), StatusCode::OK);
    // The same secret under the plain name over https is not read: only `__Host-` is trusted there.
    let plain = pair.replace("__Host-session=", "session=");
    let me = app
        .get_with("/api/auth/me", &[("cookie", &plain), https[0]])
        .await;
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_username_taken_in_another_case_is_409() {
    let app = TestApp::spawn().await;
    app.sign_up("Alice").await;

    let response = sign_up_json(&app, "aLICE", PASSWORD).await;

    assert!(session_cookie(&response).is_none());
    assert_problem(response, StatusCode::CONFLICT).await;
    assert_eq!(app.count("users").await, 1);
}

#[tokio::test]
async fn usernames_compare_case_insensitively_and_are_kept_as_typed() {
    let app = TestApp::spawn().await;
    app.sign_up("MixedCase_Name").await;

    let response = app.sign_in("mixedcase_name", PASSWORD).await;

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({ "username": "MixedCase_Name" }));
}

#[tokio::test]
async fn usernames_outside_the_rules_are_422_naming_the_field() {
    let app = TestApp::spawn().await;
    let refused = [
        "ab",            // too short
        &"a".repeat(33), // too long
        "jos\u{e9}",     // a letter outside ASCII
        "p\u{430}ypal",  // a Cyrillic а that looks like a Latin a
        "two words",     // a space inside
        "semi;colon",    // punctuation
        "nul\u{0}byte",  // NUL
        "",              // missing
    ];
    for username in refused {
        let response = sign_up_json(&app, username, PASSWORD).await;
        let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(
            problem["errors"]["username"].is_array(),
            "{username:?}: {problem}"
        );
    }
    assert_eq!(app.count("users").await, 0);
}

#[tokio::test]
async fn usernames_of_3_and_32_letters_digits_underscores_and_hyphens_are_accepted() {
    let app = TestApp::spawn().await;
    for username in ["a_1", &format!("Z-{}", "9".repeat(30))] {
        let response = sign_up_json(&app, username, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{username:?}");
    }
}

#[tokio::test]
async fn passwords_outside_8_to_128_characters_or_with_nul_are_422() {
    let app = TestApp::spawn().await;
    let refused = [
        "1234567".to_owned(),
        "x".repeat(129),
        "\u{1F600}".repeat(129),
        "nul\u{0}inside".to_owned(),
    ];
    for (n, password) in refused.iter().enumerate() {
        let response = sign_up_json(&app, &format!("user{n}"), password).await;
        let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(problem["errors"]["password"].is_array(), "{problem}");
    }
    assert_eq!(app.count("users").await, 0);
}

#[tokio::test]
async fn password_length_counts_characters_not_bytes_and_any_character_is_allowed() {
    let app = TestApp::spawn().await;
    // 8 emoji are 32 bytes; 128 of them are 512 bytes, and still 128 characters.
    let accepted = [
        "\u{1F600}".repeat(8),
        "\u{1F600}".repeat(128),
        "        ".to_owned(),
        "pass\tword\u{7f}!".to_owned(),
    ];
    for (n, password) in accepted.iter().enumerate() {
        let username = format!("user{n}");
        let response = sign_up_json(&app, &username, password).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{password:?}");
        let response = app.sign_in(&username, password).await;
        assert_eq!(response.status(), StatusCode::OK, "{password:?}");
    }
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id_at_owasps_19_mib_row_never_in_clear() {
    let app = TestApp::spawn().await;
    app.sign_up("alice").await;

    let hashes: Vec<String> = app
        .database()
        .column("SELECT password_hash FROM users")
        .await;

    assert!(
        hashes[0].starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{}",
        hashes[0]
    );
    assert!(!hashes[0].contains(PASSWORD));
}

#[tokio::test]
async fn sign_in_answers_200_with_the_username_and_a_session_me_recognises() {
    let app = TestApp::spawn().await;
    app.sign_up("alice").await;

    let response = app.sign_in("alice", PASSWORD).await;

    assert_eq!(response.status(), StatusCode::OK);
    let cookie = session_cookie(&response).expect("a session cookie");
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "username": "alice" })
    );
    let me = get_with_cookie(&app, "/api/auth/me", &cookie).await;
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(header(&me, header::CACHE_CONTROL), "no-store");
    assert_eq!(
        me.json::<Value>().await.unwrap(),
        json!({ "username": "alice" })
    );
}

#[tokio::test]
async fn an_unknown_user_and_a_wrong_password_get_the_same_status_and_body() {
    let app = TestApp::spawn().await;
    app.sign_up("alice").await;

    let unknown = app.sign_in("nobody", PASSWORD).await;
    let wrong = app.sign_in("alice", "not the password").await;

    assert!(session_cookie(&unknown).is_none() && session_cookie(&wrong).is_none());
    let unknown = assert_problem(unknown, StatusCode::UNAUTHORIZED).await;
    let wrong = assert_problem(wrong, StatusCode::UNAUTHORIZED).await;
    assert_eq!(unknown, wrong);
    assert_eq!(detail(&unknown), "Unknown username or wrong password.");
}

#[tokio::test]
async fn me_without_a_session_is_a_401_problem_naming_bearer() {
    let app = TestApp::spawn().await;

    let response = app.get("/api/auth/me").await;

    assert_eq!(
        header(&response, header::WWW_AUTHENTICATE),
        "Bearer realm=\"api\""
    );
    assert_problem(response, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn the_old_session_cookie_is_dead_after_sign_in() {
    let app = TestApp::spawn().await;
    let old = app.sign_up("alice").await;

    let response = post_with(&app, "/api/auth/signin", &[("cookie", &old)]).await;
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let response = with_headers(
        app.client.post(app.url("/api/auth/signin")),
        &[("cookie", &old)],
    )
    .json(&json!({ "username": "alice", "password": PASSWORD }))
    .send()
    .await
    .unwrap();

    let new = session_cookie(&response).expect("a new session cookie");
    assert_ne!(new, old, "the session id is renewed");
    assert_eq!(app.me(&old).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.me(&new).await, StatusCode::OK);
}

#[tokio::test]
async fn sign_out_deletes_the_session_on_the_server_and_clears_the_cookie() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;
    assert_eq!(app.count("sessions").await, 1);

    let response = post_with(&app, "/api/auth/signout", &[("cookie", &cookie)]).await;

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(set_cookie(&response).contains("Max-Age=0"));
    assert_eq!(app.count("sessions").await, 0);
    // The browser may keep sending it: the server no longer knows it.
    assert_eq!(app.me(&cookie).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_session_of_the_user_only() {
    let app = TestApp::spawn().await;
    let first = app.sign_up("alice").await;
    let second = session_cookie(&app.sign_in("alice", PASSWORD).await).unwrap();
    let other = app.sign_up("bob").await;

    let response = post_with(
        &app,
        "/api/auth/signout?everywhere=true",
        &[("cookie", &second)],
    )
    .await;

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.me(&first).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.me(&second).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.me(&other).await, StatusCode::OK);
}

#[tokio::test]
async fn sign_out_everywhere_without_a_session_is_401() {
    let app = TestApp::spawn().await;

    let response = post_with(&app, "/api/auth/signout?everywhere=true", &[]).await;

    assert_problem(response, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn the_database_keeps_only_a_hash_of_the_session_secret() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;
    let secret = cookie.trim_start_matches("session=");

    let stored: Vec<Vec<u8>> = app.database().column("SELECT id_hash FROM sessions").await;

    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].len(), 32);
    assert_ne!(hex_of(&stored[0]), secret);
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[tokio::test]
async fn an_expired_session_is_refused_and_swept_at_the_next_sign_in() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;
    app.database()
        .execute("UPDATE sessions SET expires_at = 1")
        .await;

    assert_eq!(app.me(&cookie).await, StatusCode::UNAUTHORIZED);
    app.sign_up("bob").await;
    assert_eq!(app.count("sessions").await, 1, "only bob's");
}

#[tokio::test]
async fn a_session_in_use_has_its_idle_expiry_moved_on() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;
    // As if the session had last been used a day ago.
    app.database()
        .execute("UPDATE sessions SET expires_at = expires_at - 86400")
        .await;
    let before: Vec<i64> = app
        .database()
        .column("SELECT expires_at FROM sessions")
        .await;

    assert_eq!(app.me(&cookie).await, StatusCode::OK);

    let after: Vec<i64> = app
        .database()
        .column("SELECT expires_at FROM sessions")
        .await;
    assert!(after[0] >= before[0] + 86_000, "{before:?} -> {after:?}");
}

#[tokio::test]
async fn the_idle_time_is_session_idle_minutes() {
    let app = TestApp::spawn_with(|config| {
        config.accounts.session_idle = std::time::Duration::from_secs(5 * 60);
    })
    .await;
    app.sign_up("alice").await;

    let left: Vec<i64> = app
        .database()
        .column("SELECT expires_at FROM sessions")
        .await;

    let now = crate::support::unix_now() as i64;
    assert!(
        (now + 290..=now + 310).contains(&left[0]),
        "{} s left",
        left[0] - now
    );
}

async fn app_with_signin_limits(per_user: u32, per_address: Option<u32>) -> TestApp {
    TestApp::spawn_with(|config| {
        config.accounts = AccountsConfig {
            signin_limit_per_minute: NonZeroU32::new(per_user),
            signin_address_limit_per_minute: per_address.and_then(NonZeroU32::new),
            ..AccountsConfig::default()
        };
    })
    .await
}

#[tokio::test]
async fn the_sixth_sign_in_of_a_minute_for_one_username_is_429_with_retry_after() {
    let app = app_with_signin_limits(5, None).await;
    app.sign_up("alice").await;
    for attempt in 0..5 {
        let password = if attempt % 2 == 0 {
            "wrong password"
        } else {
            PASSWORD
        };
        let status = app.sign_in("alice", password).await.status();
        assert_ne!(status, StatusCode::TOO_MANY_REQUESTS, "attempt {attempt}");
    }

    // In another case: the same username.
    let response = app.sign_in("ALICE", PASSWORD).await;

    let retry_after: u64 = header(&response, header::RETRY_AFTER).parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert!(session_cookie(&response).is_none());
    assert_problem(response, StatusCode::TOO_MANY_REQUESTS).await;
    // Another username is not limited by alice's attempts.
    assert_eq!(
        app.sign_in("bob", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn unknown_usernames_are_limited_like_known_ones() {
    let app = app_with_signin_limits(5, None).await;
    for _ in 0..5 {
        assert_eq!(
            app.sign_in("nobody", PASSWORD).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }

    let response = app.sign_in("nobody", PASSWORD).await;

    assert_problem(response, StatusCode::TOO_MANY_REQUESTS).await;
}

#[tokio::test]
async fn sign_ins_from_one_address_are_limited_across_usernames() {
    let app = app_with_signin_limits(100, Some(3)).await;
    for n in 0..3 {
        let status = app.sign_in(&format!("user{n}"), PASSWORD).await.status();
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    let response = app.sign_in("user9", PASSWORD).await;

    assert_problem(response, StatusCode::TOO_MANY_REQUESTS).await;
}

#[tokio::test]
async fn a_zero_sign_in_limit_means_none() {
    let app = app_with_signin_limits(0, None).await;
    for _ in 0..8 {
        assert_eq!(
            app.sign_in("nobody", PASSWORD).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
}

async fn create_token(app: &TestApp, cookie: &str) -> (i64, String) {
    let response = post_with(app, "/api/auth/tokens", &[("cookie", cookie)]).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    (
        body["id"].as_i64().unwrap(),
        body["token"].as_str().unwrap().to_owned(),
    )
}

async fn me_with_token(app: &TestApp, token: &str) -> reqwest::Response {
    app.get_with(
        "/api/auth/me",
        &[("authorization", &format!("Bearer {token}"))],
    )
    .await
}

#[tokio::test]
async fn a_bearer_token_works_and_stops_after_revocation() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;
    let (id, token) = create_token(&app, &cookie).await;
    assert!(token.starts_with("lar_") && token.len() == 68, "{token}");

    let me = me_with_token(&app, &token).await;
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(
        me.json::<Value>().await.unwrap(),
        json!({ "username": "alice" })
    );

    let revoked = with_headers(
        app.client
            .delete(app.url(&format!("/api/auth/tokens/{id}"))),
        &[("cookie", &cookie)],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);

    let me = me_with_token(&app, &token).await;
    assert_problem(me, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn tokens_are_listed_without_their_secret_and_stored_only_as_a_hash() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;
    let (id, token) = create_token(&app, &cookie).await;
    me_with_token(&app, &token).await;

    let response = get_with_cookie(&app, "/api/auth/tokens", &cookie).await;

    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(!text.contains(&token[4..]), "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    let tokens = body["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0]["id"], id);
    assert!(tokens[0]["created_at"].as_str().unwrap().ends_with('Z'));
    assert!(tokens[0]["last_used_at"].is_string(), "used once: {body}");
    let stored: Vec<Vec<u8>> = app
        .database()
        .column("SELECT token_hash FROM api_tokens")
        .await;
    assert_eq!(stored[0].len(), 32);
}

#[tokio::test]
async fn another_users_token_cannot_be_revoked_or_seen() {
    let app = TestApp::spawn().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let (id, token) = create_token(&app, &alice).await;

    let response = with_headers(
        app.client
            .delete(app.url(&format!("/api/auth/tokens/{id}"))),
        &[("cookie", &bob)],
    )
    .send()
    .await
    .unwrap();

    assert_problem(response, StatusCode::NOT_FOUND).await;
    let listed: Value = get_with_cookie(&app, "/api/auth/tokens", &bob)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!({ "tokens": [] }));
    assert_eq!(me_with_token(&app, &token).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn token_routes_need_a_session_or_token() {
    let app = TestApp::spawn().await;
    for (method, path) in [
        (Method::POST, "/api/auth/tokens"),
        (Method::GET, "/api/auth/tokens"),
        (Method::DELETE, "/api/auth/tokens/1"),
    ] {
        let response = app.request(method.clone(), path).await;
        assert_problem(response, StatusCode::UNAUTHORIZED).await;
    }
}

#[tokio::test]
async fn a_malformed_or_unknown_bearer_token_is_401_never_anonymous() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;
    let unknown = format!("lar_{}", "0".repeat(64));
    for authorization in [
        "Bearer nonsense",
        &format!("Bearer {unknown}"),
        "Basic YTpi",
    ] {
        // With a valid cookie too: the header alone decides.
        let response = app
            .get_with(
                "/api/auth/me",
                &[("authorization", authorization), ("cookie", &cookie)],
            )
            .await;
        assert_problem(response, StatusCode::UNAUTHORIZED).await;
    }
}

#[tokio::test]
async fn bearer_requests_skip_the_cross_site_check_and_cookie_requests_keep_it() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;
    let (_, token) = create_token(&app, &cookie).await;
    let cross_site = ("origin", "https://evil.example");

    let with_cookie = post_with(&app, "/api/auth/tokens", &[("cookie", &cookie), cross_site]).await;
    let bearer = format!("Bearer {token}");
    let with_token = post_with(
        &app,
        "/api/auth/tokens",
        &[("authorization", &bearer), cross_site],
    )
    .await;

    assert_problem(with_cookie, StatusCode::FORBIDDEN).await;
    assert_eq!(with_token.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_form_sign_up_answers_303_home_with_the_cookie() {
    let app = TestApp::spawn().await;

    let response = app
        .post_form(
            "/api/auth/signup",
            &[("username", "alice"), ("password", PASSWORD)],
        )
        .await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/");
    let cookie = session_cookie(&response).expect("a session cookie");
    assert_eq!(app.me(&cookie).await, StatusCode::OK);
}

#[tokio::test]
async fn form_errors_go_back_to_the_forms_own_page_with_the_username_but_never_the_password() {
    let app = TestApp::spawn().await;
    app.sign_up("alice").await;
    let cases = [
        (
            "/api/auth/signup",
            "al",
            PASSWORD,
            "/signup?username=al&error=username",
        ),
        (
            "/api/auth/signup",
            "bob",
            "short",
            "/signup?username=bob&error=password",
        ),
        (
            "/api/auth/signup",
            "ALICE",
            PASSWORD,
            "/signup?username=ALICE&error=taken",
        ),
        (
            "/api/auth/signin",
            "alice",
            "wrong password",
            "/signin?username=alice&error=credentials",
        ),
        (
            "/api/auth/signin",
            "<b>x</b>",
            PASSWORD,
            "/signin?username=%3Cb%3Ex%3C%2Fb%3E&error=username",
        ),
    ];
    for (path, username, password, expected) in cases {
        // A `Referer` and a `next` are ignored: the target is the form's own page.
        let response = with_headers(
            app.client
                .post(app.url(&format!("{path}?next=https://evil.example"))),
            &[("referer", "https://evil.example/")],
        )
        .form(&[("username", username), ("password", password)])
        .send()
        .await
        .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{path} {username}"
        );
        assert_eq!(location(&response), expected);
        assert!(!location(&response).contains(password));
    }
}

#[tokio::test]
async fn a_form_sign_out_answers_303_home() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;

    let response = with_headers(
        app.client.post(app.url("/api/auth/signout")),
        &[("cookie", &cookie)],
    )
    .form(&[] as &[(&str, &str)])
    .send()
    .await
    .unwrap();

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/");
    assert_eq!(app.me(&cookie).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_huge_password_is_413_before_it_is_read_or_hashed() {
    let app = TestApp::spawn().await;
    let body = json!({ "username": "alice", "password": "x".repeat(1024 * 1024) }).to_string();

    let response = app
        .send(Method::POST, "/api/auth/signin", "application/json", body)
        .await;

    assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(app.count("users").await, 0);
}

#[tokio::test]
async fn invalid_utf8_and_broken_json_are_refused_and_nothing_is_created() {
    let app = TestApp::spawn().await;
    let json_cases: [&[u8]; 2] = [
        b"{\"username\":\"al\xffce\",\"password\":\"12345678\"}",
        b"{\"username\":",
    ];
    for body in json_cases {
        let response = app
            .send(
                Method::POST,
                "/api/auth/signup",
                "application/json",
                body.to_vec(),
            )
            .await;
        assert_problem(response, StatusCode::BAD_REQUEST).await;
    }
    // A form's invalid byte reads as U+FFFD, which no username holds: back to the form.
    let response = app
        .send(
            Method::POST,
            "/api/auth/signup",
            "application/x-www-form-urlencoded",
            b"username=al%FFce&password=12345678".to_vec(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        location(&response).ends_with("&error=username"),
        "{}",
        location(&response)
    );
    assert_eq!(app.count("users").await, 0);
}

async fn sign_in_in_parallel(app: &TestApp, count: usize) -> Vec<StatusCode> {
    let base = app.url("");
    let mut attempts = tokio::task::JoinSet::new();
    for n in 0..count {
        let (client, base) = (app.client.clone(), base.clone());
        let password = if n % 2 == 0 {
            PASSWORD
        } else {
            "wrong password"
        };
        let username = if n % 3 == 0 { "nobody" } else { "alice" };
        attempts.spawn(async move {
            sign_in_at(&client, &base, username, password)
                .await
                .status()
        });
    }
    let mut statuses = Vec::with_capacity(count);
    while let Some(status) = attempts.join_next().await {
        statuses.push(status.unwrap());
    }
    statuses
}

#[tokio::test]
async fn a_hundred_parallel_sign_ins_all_get_their_answer() {
    // A request timeout no loaded test machine reaches: each sign-in waits its turn to hash.
    let app = TestApp::spawn_with(|config| {
        config.accounts.signin_limit_per_minute = None;
        config.http.request_timeout = std::time::Duration::from_secs(120);
    })
    .await;
    app.sign_up("alice").await;

    let statuses = sign_in_in_parallel(&app, 100).await;

    assert_eq!(statuses.len(), 100);
    for status in statuses {
        assert!(
            matches!(status, StatusCode::OK | StatusCode::UNAUTHORIZED),
            "{status}"
        );
    }
}

#[tokio::test]
async fn sign_ins_waiting_for_a_hash_longer_than_the_request_timeout_get_503_not_a_hang() {
    let app = TestApp::spawn_with(|config| {
        config.accounts.signin_limit_per_minute = None;
        config.http.request_timeout = std::time::Duration::from_millis(150);
    })
    .await;

    // No account at all: each attempt verifies the dummy hash. 40 hashes of tens of milliseconds each, one per core at a time: the last wait far longer.
    let statuses = sign_in_in_parallel(&app, 40).await;

    assert!(
        statuses.contains(&StatusCode::SERVICE_UNAVAILABLE),
        "{statuses:?}"
    );
    for status in &statuses {
        assert!(
            matches!(
                *status,
                StatusCode::OK | StatusCode::UNAUTHORIZED | StatusCode::SERVICE_UNAVAILABLE
            ),
            "{status}"
        );
    }
}
