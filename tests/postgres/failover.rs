//! Through a PostgreSQL failover (issue 25, docs/high-availability.md): two instances of the built
//! binary over HAProxy and a three-member Patroni cluster (`synchronous_mode`), a stream of posts and
//! comments through both, and the leader's Patroni and postmaster killed mid-stream. Every 201 is on
//! the new leader, no answer is a 500 or a hang, each instance answers 200 again within 20 s without a
//! restart, and a write retried with its `Idempotency-Key` after a 503 is never made twice. Prints
//! the timings it measured (docs/high-availability.md quotes them).

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::support::{HaCluster, ServerProcess, content_type, report};

/// How long a request waits for a connection before its 503 (the app's `DATABASE_TIMEOUT_MS`).
const DATABASE_TIMEOUT: Duration = Duration::from_millis(2000);
/// The longest an answer may take: the database timeout, a connect attempt and a slow machine.
const SLOWEST_ANSWER: Duration = Duration::from_secs(6);
/// The bound on being back.
const BACK_WITHIN: Duration = Duration::from_secs(20);
const WRITERS_PER_INSTANCE: usize = 2;
const POST_BODY: &str = "Through a failover";

/// What the clients saw: every answer's route, status and time taken.
#[derive(Default)]
struct Seen {
    answers: Vec<(String, StatusCode, Duration)>,
    /// When each 503 was answered.
    unavailable_at: Vec<Instant>,
    /// Answers that were not HTTP answers at all (a closed connection, a client timeout).
    failures: Vec<String>,
    /// `(id, title)` of every post answered 201.
    posts: Vec<(i64, String)>,
    /// `(id, text)` of every comment answered 201.
    comments: Vec<(i64, String)>,
    /// Writes answered 503 and sent again with the same key.
    retried: usize,
}

impl Seen {
    fn note(&mut self, route: &str, status: StatusCode, asked: Instant) {
        self.answers
            .push((route.to_owned(), status, asked.elapsed()));
        if status == StatusCode::SERVICE_UNAVAILABLE {
            self.unavailable_at.push(Instant::now());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_killed_mid_stream_loses_no_acknowledged_write_and_answers_no_500() {
    let mut cluster = tokio::task::spawn_blocking(HaCluster::start).await.unwrap();
    let folder = tempfile::tempdir().unwrap();
    let timeout = DATABASE_TIMEOUT.as_millis().to_string();
    let instances: Vec<ServerProcess> = (0..2)
        .map(|_| {
            ServerProcess::on_database(
                folder.path(),
                &cluster.url("postgres"),
                &[("DATABASE_TIMEOUT_MS", &timeout)],
            )
        })
        .collect();
    let client = Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop = Arc::new(AtomicBool::new(false));

    let mut tasks = tokio::task::JoinSet::new();
    for (instance, server) in instances.iter().enumerate() {
        for writer in 0..WRITERS_PER_INSTANCE {
            let (client, seen, stop) = (client.clone(), Arc::clone(&seen), Arc::clone(&stop));
            let base = server.url("");
            tasks.spawn(write_stream(
                client,
                base,
                format!("{instance}.{writer}"),
                seen,
                stop,
            ));
        }
    }
    let mut health = tokio::task::JoinSet::new();
    for server in &instances {
        let (client, seen, stop) = (client.clone(), Arc::clone(&seen), Arc::clone(&stop));
        health.spawn(watch(client, server.url(""), seen, stop));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;

    let leader = cluster.leader().expect("a leader before the kill");
    let killed_at = Instant::now();
    cluster.kill_member(leader);
    let back = until_back(&client, &instances, killed_at).await;
    let all_back = killed_at + back.iter().copied().max().unwrap_or_default();
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    tasks.join_all().await;
    let health_seen: Vec<Vec<(Duration, StatusCode)>> = health.join_all().await;

    let seen = std::mem::take(&mut *seen.lock().unwrap());
    let new_leader = cluster.leader().expect("a new leader");
    let database = crate::support::TestDatabase::postgres_at(&cluster.url("postgres"));
    let stored_posts: HashMap<String, Vec<i64>> = group(
        database
            .column::<String>("SELECT title FROM posts ORDER BY id")
            .await,
        database
            .column::<i64>("SELECT id FROM posts ORDER BY id")
            .await,
    );
    let stored_comments: HashMap<String, Vec<i64>> = group(
        database
            .column::<String>("SELECT body FROM comments ORDER BY id")
            .await,
        database
            .column::<i64>("SELECT id FROM comments ORDER BY id")
            .await,
    );
    let lost_posts: Vec<_> = seen
        .posts
        .iter()
        .filter(|(id, title)| stored_posts.get(title) != Some(&vec![*id]))
        .collect();
    let lost_comments: Vec<_> = seen
        .comments
        .iter()
        .filter(|(id, text)| stored_comments.get(text) != Some(&vec![*id]))
        .collect();
    let twice = stored_posts.values().filter(|ids| ids.len() > 1).count()
        + stored_comments.values().filter(|ids| ids.len() > 1).count();
    let status_count =
        |status: StatusCode| seen.answers.iter().filter(|(_, s, _)| *s == status).count();
    let slowest = seen
        .answers
        .iter()
        .map(|(_, _, took)| *took)
        .max()
        .unwrap_or_default();
    let unexpected: Vec<_> = seen
        .answers
        .iter()
        .filter(|(_, status, _)| {
            ![
                StatusCode::OK,
                StatusCode::CREATED,
                StatusCode::SERVICE_UNAVAILABLE,
            ]
            .contains(status)
        })
        .collect();
    report(&format!(
        "failover: member {} killed, member {} leads; instances serving again after {:.1} s and {:.1} s; \
         answers: {} ({} × 201, {} × 503, {} writes retried with their key), slowest {:.2} s; \
         posts confirmed {}, comments confirmed {}, lost {}, made twice {twice}",
        cluster.member(leader).name,
        cluster.member(new_leader).name,
        back[0].as_secs_f64(),
        back[1].as_secs_f64(),
        seen.answers.len(),
        status_count(StatusCode::CREATED),
        status_count(StatusCode::SERVICE_UNAVAILABLE),
        seen.retried,
        slowest.as_secs_f64(),
        seen.posts.len(),
        seen.comments.len(),
        lost_posts.len() + lost_comments.len(),
    ));
    report(&format!(
        "failover: the causes the instances logged: {:?}",
        causes(&instances)
    ));
    assert!(
        unexpected.is_empty(),
        "only 200, 201 and 503: {unexpected:?}"
    );
    assert!(
        seen.failures.is_empty(),
        "every request answered: {:?}",
        seen.failures
    );
    assert!(slowest < SLOWEST_ANSWER, "no answer took {slowest:?}");
    assert!(
        back.iter().all(|took| *took < BACK_WITHIN),
        "back within {BACK_WITHIN:?}: {back:?}"
    );
    for watched in &health_seen {
        assert!(
            watched
                .iter()
                .any(|(_, status)| *status == StatusCode::SERVICE_UNAVAILABLE),
            "/api/health said 503 while no leader answered: {watched:?}"
        );
    }
    // A dead pooled connection would fail a request after the instance is back.
    let late: Vec<_> = seen
        .unavailable_at
        .iter()
        .filter(|at| **at > all_back + Duration::from_millis(500))
        .collect();
    assert!(
        late.is_empty(),
        "{} answers 503 once both instances were back",
        late.len()
    );
    assert!(lost_posts.is_empty(), "lost posts: {lost_posts:?}");
    assert!(lost_comments.is_empty(), "lost comments: {lost_comments:?}");
    assert_eq!(twice, 0, "no write made twice");
    assert!(
        seen.posts.len() > 50,
        "a real stream: {} posts",
        seen.posts.len()
    );
    for server in &instances {
        assert_eq!(
            client
                .get(server.url("/api/health"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
    }
    // A client that never got its 201 (the answer lost with the connection) sends the write again:
    // through the other instance, on the new leader, it answers the first post and makes none.
    let posts_before = database.count("posts").await;
    let keyed: Vec<_> = seen
        .posts
        .iter()
        .filter(|(_, title)| title.starts_with("writer 0.0") || title.starts_with("writer 1.0"))
        .collect();
    for (id, title) in keyed.iter().rev().take(20) {
        let instance = &instances[usize::from(title.starts_with("writer 0"))];
        let again = client
            .post(instance.url("/api/post"))
            .header("idempotency-key", title.replace(' ', "-"))
            .json(&json!({ "title": title, "post": POST_BODY }))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::CREATED);
        assert_eq!(again.json::<Value>().await.unwrap()["id"], *id, "{title}");
    }
    assert_eq!(database.count("posts").await, posts_before);
    drop(instances);
    drop(cluster);
}

/// Posts (half with an `Idempotency-Key`, retried with it after a 503 until answered) and, with
/// each keyed post, a keyed comment on it, until `stop`.
async fn write_stream(
    client: Client,
    base: String,
    writer: String,
    seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
) {
    let keyed = writer.ends_with('0');
    for number in 0.. {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let title = format!("writer {writer} post {number}");
        let body = json!({ "title": title, "post": POST_BODY });
        let key = keyed.then(|| title.replace(' ', "-"));
        let Some(post) = send_until_answered(
            &client,
            &format!("{base}/api/post"),
            &body,
            key.as_deref(),
            &seen,
            &stop,
        )
        .await
        else {
            continue;
        };
        let id = post["id"].as_i64().expect("an id");
        seen.lock().unwrap().posts.push((id, title.clone()));
        if keyed {
            let text = format!("comment on {title}");
            let key = format!("{title}-comment").replace(' ', "-");
            let comment = send_until_answered(
                &client,
                &format!("{base}/api/comments/{id}"),
                &json!({ "comment": text }),
                Some(&key),
                &seen,
                &stop,
            )
            .await;
            if let Some(comment) = comment {
                seen.lock()
                    .unwrap()
                    .comments
                    .push((comment["id"].as_i64().expect("an id"), text));
            }
        }
    }
}

/// Sends the write; a 503 with a key is sent again with the same key (after 100 ms) until it is
/// answered 201, without a key it is given up. The 201's body, if any.
async fn send_until_answered(
    client: &Client,
    url: &str,
    body: &Value,
    key: Option<&str>,
    seen: &Mutex<Seen>,
    stop: &AtomicBool,
) -> Option<Value> {
    loop {
        let mut request = client.post(url).json(body);
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        let started = Instant::now();
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                seen.lock()
                    .unwrap()
                    .failures
                    .push(format!("{url}: {error}"));
                return None;
            }
        };
        let status = response.status();
        seen.lock().unwrap().note(url, status, started);
        match status {
            StatusCode::CREATED => return response.json().await.ok(),
            StatusCode::SERVICE_UNAVAILABLE if key.is_some() && !stop.load(Ordering::Relaxed) => {
                assert_eq!(content_type(&response), "application/problem+json");
                seen.lock().unwrap().retried += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            // Not retried: the client cannot know whether it was saved. Backs off like the above.
            StatusCode::SERVICE_UNAVAILABLE => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                return None;
            }
            _ => return None,
        }
    }
}

/// `/api/health`, a page and a read, every 100 ms until `stop`: their statuses (a 503 page is
/// HTML, a 503 API answer problem+json); returns the health answers with their times.
async fn watch(
    client: Client,
    base: String,
    seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
) -> Vec<(Duration, StatusCode)> {
    let started = Instant::now();
    let mut health = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        for (path, media_type) in [
            ("/api/health", "application/problem+json"),
            ("/api/post?limit=5", "application/problem+json"),
            ("/", "text/html; charset=utf-8"),
        ] {
            let asked = Instant::now();
            match client.get(format!("{base}{path}")).send().await {
                Ok(response) => {
                    let status = response.status();
                    if status == StatusCode::SERVICE_UNAVAILABLE {
                        assert_eq!(content_type(&response), media_type, "{path}");
                    }
                    if path == "/api/health" {
                        health.push((started.elapsed(), status));
                    }
                    seen.lock().unwrap().note(path, status, asked);
                }
                Err(error) => seen
                    .lock()
                    .unwrap()
                    .failures
                    .push(format!("{path}: {error}")),
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    health
}

/// Waits until every instance's `/api/health` answers 200 after having answered something else
/// since `killed_at` (or at most twice [`BACK_WITHIN`]); returns how long after the kill each did.
async fn until_back(
    client: &Client,
    instances: &[ServerProcess],
    killed_at: Instant,
) -> Vec<Duration> {
    let mut back = vec![None; instances.len()];
    let mut down = vec![false; instances.len()];
    while back.iter().any(Option::is_none) && killed_at.elapsed() < 2 * BACK_WITHIN {
        for (index, server) in instances.iter().enumerate() {
            if back[index].is_some() {
                continue;
            }
            let status = client
                .get(server.url("/api/health"))
                .send()
                .await
                .map(|response| response.status());
            match status {
                Ok(StatusCode::OK) if down[index] => back[index] = Some(killed_at.elapsed()),
                _ if status
                    .as_ref()
                    .map_or(true, |status| *status != StatusCode::OK) =>
                {
                    down[index] = true
                }
                _ => {}
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    back.into_iter()
        .map(|took| took.unwrap_or(2 * BACK_WITHIN))
        .collect()
}

/// Ids by title (or text), in id order.
fn group(texts: Vec<String>, ids: Vec<i64>) -> HashMap<String, Vec<i64>> {
    let mut grouped: HashMap<String, Vec<i64>> = HashMap::new();
    for (text, id) in texts.into_iter().zip(ids) {
        grouped.entry(text).or_default().push(id);
    }
    grouped
}

/// The distinct database errors the instances logged as "not available" (numbers blanked), to show
/// which failures a failover brings (src/db/error.rs classifies them).
fn causes(instances: &[ServerProcess]) -> std::collections::BTreeSet<String> {
    instances
        .iter()
        .flat_map(|server| {
            server
                .process
                .log()
                .lines()
                .filter(|line| line.contains("not available"))
                .filter_map(|line| line.split("error=").nth(1).map(str::to_owned))
                .collect::<Vec<_>>()
        })
        .map(|cause| cause.replace(|c: char| c.is_ascii_digit(), "#"))
        .collect()
}
