//! Accounts over several instances (issue 22): two real server processes, A and B, on one
//! PostgreSQL database. A session made on one works on the other, signing out on one ends it on
//! both, API tokens work on both, and the sign-in limit is counted once for both.

use std::time::Duration;

use reqwest::{Client, StatusCode, header, redirect::Policy};
use tempfile::TempDir;

use crate::support::{
    PASSWORD, ServerProcess, TestDatabase, me_at, session_cookie, sign_in_at, sign_up_at,
};

struct TwoInstances {
    a: ServerProcess,
    b: ServerProcess,
    client: Client,
    _database: TestDatabase,
    _folder: TempDir,
}

impl TwoInstances {
    async fn start(settings: &[(&str, &str)]) -> Self {
        let database = TestDatabase::postgres().await;
        let folder = tempfile::tempdir().unwrap();
        let a = ServerProcess::on_database(folder.path(), database.url(), settings);
        let b = ServerProcess::on_database(folder.path(), database.url(), settings);
        let client = Client::builder()
            .redirect(Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        Self {
            a,
            b,
            client,
            _database: database,
            _folder: folder,
        }
    }
}

fn base(instance: &ServerProcess) -> String {
    instance.url("")
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
