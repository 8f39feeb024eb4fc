//! Durability: what the server has confirmed stays written when its process dies without warning.
//!
//! Clients stream `POST /api/post` at the real binary, which is killed with SIGKILL in the middle of
//! the stream (no graceful shutdown, no pool close, no WAL checkpoint) and started again on the same
//! database. SQLite in WAL mode with `synchronous=NORMAL` loses nothing a process crash can reach (only
//! a power cut could), and PostgreSQL answers a commit only once it is its own to keep, so every post
//! that was answered 201 must be there (and a SQLite file must be sound).

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use leptos_api_routes::config::Backend;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::harness::{ServerProcess, TestDatabase};

/// How many clients post at the same time.
const WRITERS: usize = 4;

/// Confirmed posts to wait for before the kill, so that it lands mid-stream.
const CONFIRMED_BEFORE_KILL: usize = 200;

/// Posts one new post after another until the server stops answering; returns the `(id, title)` of
/// every post it confirmed with a 201 and a body.
pub async fn post_until_the_server_is_gone(
    client: Client,
    url: String,
    writer: usize,
    confirmed_so_far: Arc<AtomicUsize>,
) -> Vec<(i64, String)> {
    let mut confirmed = Vec::new();
    for number in 0.. {
        let title = format!("Writer {writer}, post {number}");
        let request = client
            .post(&url)
            .json(&json!({ "title": title, "post": "Still here after a crash?" }));
        let Ok(response) = request.send().await else {
            break;
        };
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "while the server runs"
        );
        // A 201 whose body never arrived told the client nothing it could keep.
        let Ok(body) = response.json::<Value>().await else {
            break;
        };
        let id = body["id"].as_i64().expect("a numeric id");
        confirmed.push((id, title));
        confirmed_so_far.fetch_add(1, Ordering::Relaxed);
    }
    confirmed
}

/// Waits (at most 10 s) until the writers have had `count` posts confirmed in all.
pub async fn wait_for_confirmed(confirmed_so_far: &AtomicUsize, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while confirmed_so_far.load(Ordering::Relaxed) < count {
        assert!(
            Instant::now() < deadline,
            "{count} posts are confirmed within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The `(id, title)` pairs of `confirmed` that `database` does not hold.
pub async fn lost_posts<'a>(
    database: &TestDatabase,
    confirmed: &'a [(i64, String)],
) -> Vec<&'a (i64, String)> {
    let ids = database
        .column::<i64>("SELECT id FROM posts ORDER BY id")
        .await;
    let titles = database
        .column::<String>("SELECT title FROM posts ORDER BY id")
        .await;
    let stored: HashMap<i64, String> = ids.into_iter().zip(titles).collect();
    confirmed
        .iter()
        .filter(|(id, title)| stored.get(id) != Some(title))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_post_answered_201_survives_a_sigkill_mid_stream() {
    let database = TestDatabase::fresh().await;
    let folder = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(folder.path(), database.url(), &[]);
    let client = Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let confirmed_so_far = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            tokio::spawn(post_until_the_server_is_gone(
                client.clone(),
                server.url("/api/post"),
                writer,
                confirmed_so_far.clone(),
            ))
        })
        .collect();
    wait_for_confirmed(&confirmed_so_far, CONFIRMED_BEFORE_KILL).await;

    server.kill();
    let mut confirmed = Vec::new();
    for writer in writers {
        confirmed.extend(writer.await.expect("a writer does not panic"));
    }
    let restarted = ServerProcess::start(folder.path(), database.url(), &[]);

    let lost = lost_posts(&database, &confirmed).await;
    assert!(
        lost.is_empty(),
        "{} of {} confirmed posts are gone: {lost:?}",
        lost.len(),
        confirmed.len()
    );
    if database.backend() == Backend::Sqlite {
        let integrity = database.column::<String>("PRAGMA integrity_check").await;
        assert_eq!(integrity, ["ok"]);
    }
    let (newest, _) = confirmed.iter().max().expect("confirmed posts");
    let response = client
        .get(restarted.url(&format!("/api/post/{newest}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the restarted server serves them"
    );
}
