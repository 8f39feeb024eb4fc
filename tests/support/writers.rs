//! Clients that post one post after another until the server dies, and the confirmed posts a
//! database lost: the durability test and the several-instances test kill a server mid-stream.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use super::TestDatabase;

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
