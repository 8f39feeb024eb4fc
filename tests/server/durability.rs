//! Durability: what the server has confirmed stays written when its process dies without warning.
//!
//! Clients stream `POST /api/post` at the real binary, which is killed with SIGKILL in the middle of
//! the stream (no graceful shutdown, no pool close, no WAL checkpoint) and started again on the same
//! database. SQLite in WAL mode with `synchronous=NORMAL` loses nothing a process crash can reach (only
//! a power cut could), and PostgreSQL answers a commit only once it is its own to keep, so every post
//! that was answered 201 must be there (and a SQLite file must be sound).

use std::{
    sync::{Arc, atomic::AtomicUsize},
    time::Duration,
};

use leptos_api_routes::config::Backend;
use reqwest::{Client, StatusCode};

use crate::support::{
    ServerProcess, TestDatabase, lost_posts, post_until_the_server_is_gone, wait_for_confirmed,
};

/// How many clients post at the same time.
const WRITERS: usize = 4;

/// Confirmed posts to wait for before the kill, so that it lands mid-stream.
const CONFIRMED_BEFORE_KILL: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_post_answered_201_survives_a_sigkill_mid_stream() {
    let database = TestDatabase::fresh().await;
    let folder = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::on_database(folder.path(), database.url(), &[]);
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
    let restarted = ServerProcess::on_database(folder.path(), database.url(), &[]);

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
