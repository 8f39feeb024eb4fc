//! Accounts over several instances (issue 22): two real server processes, A and B, on one
//! PostgreSQL database. A session made on one works on the other, signing out on one ends it on
//! both (at once for every decision; on the other's pages, whose names come from its sessions
//! cache, as soon as the notice arrives, or its listener reconnects), API tokens work on both, and
//! the sign-in limit is counted once for both.

use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode, header};

use crate::support::{
    PASSWORD, PATIENCE, ServerProcess, TestDatabase, TwoInstances, me_at, session_cookie,
    shown_name_at, sign_in_at, sign_up_at,
};

/// What an instance logs each time its listener listens (src/db/postgres/listener.rs): from then
/// on its sessions cache is on.
const LISTENING: &str = "listening for new comments, deleted posts and ended sessions";

/// How long a page may go on naming a user signed out on another instance: the notice's way.
const NOTICE_WITHIN: Duration = Duration::from_secs(2);

fn base(instance: &ServerProcess) -> String {
    instance.url("")
}

/// Whether `on`'s pages stop naming `cookie`'s user within [`NOTICE_WITHIN`].
async fn name_gone_within(client: &Client, on: &ServerProcess, cookie: &str) -> bool {
    let deadline = Instant::now() + NOTICE_WITHIN;
    loop {
        if shown_name_at(client, &base(on), cookie).await.is_none() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn sign_out_on(client: &Client, on: &ServerProcess, path: &str, cookie: &str) {
    let response = client
        .post(on.url(path))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT, "{path}");
}

#[tokio::test]
async fn a_session_made_on_a_works_on_b_and_signing_out_on_b_ends_it_on_a() {
    let apps = TwoInstances::start(&[]).await;
    let cookie = sign_up_at(&apps.client, &base(&apps.a), "alice").await;
    assert_eq!(
        me_at(&apps.client, &base(&apps.b), &cookie).await,
        StatusCode::OK
    );

    let signed_out = apps
        .client
        .post(apps.b.url("/api/auth/signout"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();

    assert_eq!(signed_out.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        me_at(&apps.client, &base(&apps.a), &cookie).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn signing_in_on_b_ends_the_session_the_request_had_on_a() {
    let apps = TwoInstances::start(&[]).await;
    let old = sign_up_at(&apps.client, &base(&apps.a), "alice").await;

    let response = apps
        .client
        .post(apps.b.url("/api/auth/signin"))
        .header(header::COOKIE, &old)
        .json(&serde_json::json!({ "username": "alice", "password": PASSWORD }))
        .send()
        .await
        .unwrap();

    let new = session_cookie(&response).expect("a new session");
    assert_eq!(
        me_at(&apps.client, &base(&apps.a), &old).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        me_at(&apps.client, &base(&apps.a), &new).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn signing_out_everywhere_on_a_ends_the_sessions_made_on_b() {
    let apps = TwoInstances::start(&[]).await;
    let on_a = sign_up_at(&apps.client, &base(&apps.a), "alice").await;
    let on_b = session_cookie(&sign_in_at(&apps.client, &base(&apps.b), "alice", PASSWORD).await)
        .expect("a session on B");

    apps.client
        .post(apps.a.url("/api/auth/signout?everywhere=true"))
        .header(header::COOKIE, &on_a)
        .send()
        .await
        .unwrap();

    assert_eq!(
        me_at(&apps.client, &base(&apps.b), &on_b).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_sixth_sign_in_of_a_minute_is_429_on_either_instance() {
    let apps = TwoInstances::start(&[("SIGNIN_LIMIT_PER_MINUTE", "5")]).await;
    sign_up_at(&apps.client, &base(&apps.a), "alice").await;
    for attempt in 0..5 {
        let on = if attempt % 2 == 0 { &apps.a } else { &apps.b };
        let status = sign_in_at(&apps.client, &base(on), "alice", "wrong password")
            .await
            .status();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }

    for on in [&apps.a, &apps.b] {
        let response = sign_in_at(&apps.client, &base(on), "alice", PASSWORD).await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(response.headers().contains_key(header::RETRY_AFTER));
    }
}

#[tokio::test]
async fn a_token_made_on_a_works_on_b_until_it_is_revoked_on_a() {
    let apps = TwoInstances::start(&[]).await;
    let cookie = sign_up_at(&apps.client, &base(&apps.a), "alice").await;
    let created: serde_json::Value = apps
        .client
        .post(apps.a.url("/api/auth/tokens"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bearer = format!("Bearer {}", created["token"].as_str().unwrap());
    let me_on_b = || {
        apps.client
            .get(apps.b.url("/api/auth/me"))
            .header(header::AUTHORIZATION, &bearer)
            .send()
    };
    assert_eq!(me_on_b().await.unwrap().status(), StatusCode::OK);

    apps.client
        .delete(apps.a.url(&format!("/api/auth/tokens/{}", created["id"])))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();

    assert_eq!(me_on_b().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn signing_out_on_b_is_401_on_a_at_once_and_a_s_pages_stop_naming_the_user_within_moments() {
    let apps = TwoInstances::start(&[]).await;
    apps.a.wait_for_line(LISTENING);
    let cookie = sign_up_at(&apps.client, &base(&apps.a), "alice").await;
    let shown = shown_name_at(&apps.client, &base(&apps.a), &cookie).await;
    assert_eq!(shown.as_deref(), Some("alice"));

    sign_out_on(&apps.client, &apps.b, "/api/auth/signout", &cookie).await;

    assert_eq!(
        me_at(&apps.client, &base(&apps.a), &cookie).await,
        StatusCode::UNAUTHORIZED
    );
    assert!(name_gone_within(&apps.client, &apps.a, &cookie).await);
}

#[tokio::test]
async fn signing_out_everywhere_on_b_is_401_on_a_at_once_and_a_s_pages_stop_naming_the_user_within_moments()
 {
    let apps = TwoInstances::start(&[]).await;
    apps.a.wait_for_line(LISTENING);
    let on_a = sign_up_at(&apps.client, &base(&apps.a), "alice").await;
    let on_b = session_cookie(&sign_in_at(&apps.client, &base(&apps.b), "alice", PASSWORD).await)
        .expect("a session on B");
    let shown = shown_name_at(&apps.client, &base(&apps.a), &on_a).await;
    assert_eq!(shown.as_deref(), Some("alice"));

    sign_out_on(
        &apps.client,
        &apps.b,
        "/api/auth/signout?everywhere=true",
        &on_b,
    )
    .await;

    assert_eq!(
        me_at(&apps.client, &base(&apps.a), &on_a).await,
        StatusCode::UNAUTHORIZED
    );
    assert!(name_gone_within(&apps.client, &apps.a, &on_a).await);
}

#[tokio::test]
async fn a_session_deleted_unheard_stays_on_a_s_pages_only_until_its_listener_reconnects_and_decides_nothing()
 {
    let apps = TwoInstances::start(&[]).await;
    apps.a.wait_for_line(LISTENING);
    let cookie = sign_up_at(&apps.client, &base(&apps.a), "alice").await;
    let shown = shown_name_at(&apps.client, &base(&apps.a), &cookie).await;
    assert_eq!(shown.as_deref(), Some("alice"));

    let database = &apps.database;
    delete_sessions_unheard(database).await;

    let shown = shown_name_at(&apps.client, &base(&apps.a), &cookie).await;
    assert_eq!(shown.as_deref(), Some("alice"), "from A's sessions cache");
    assert_eq!(
        me_at(&apps.client, &base(&apps.a), &cookie).await,
        StatusCode::UNAUTHORIZED,
        "every decision reads the database"
    );

    let dropped: Vec<bool> = database
        .column(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = 'leptos-api-routes listener'",
        )
        .await;
    assert!(!dropped.is_empty(), "the instances' listeners were dropped");

    assert!(name_gone_within(&apps.client, &apps.a, &cookie).await);
    let deadline = Instant::now() + PATIENCE;
    while apps.a.process.log().matches(LISTENING).count() < 2 {
        assert!(Instant::now() < deadline, "A's listener listens again");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        shown_name_at(&apps.client, &base(&apps.a), &cookie).await,
        None
    );
    // And the cache is on again: a page read fills it.
    let bob = sign_up_at(&apps.client, &base(&apps.a), "bob").await;
    let shown = shown_name_at(&apps.client, &base(&apps.a), &bob).await;
    assert_eq!(shown.as_deref(), Some("bob"));
    delete_sessions_unheard(database).await;
    let shown = shown_name_at(&apps.client, &base(&apps.a), &bob).await;
    assert_eq!(shown.as_deref(), Some("bob"), "from A's sessions cache");
}

/// Deletes every session with no `session_ended` notice, as if each were lost on its way.
async fn delete_sessions_unheard(database: &TestDatabase) {
    database
        .execute("ALTER TABLE sessions DISABLE TRIGGER session_ended")
        .await;
    database.execute("DELETE FROM sessions").await;
    database
        .execute("ALTER TABLE sessions ENABLE TRIGGER session_ended")
        .await;
}
