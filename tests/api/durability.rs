//! Durability: what the server has confirmed stays written when its process dies without warning.
//!
//! Clients stream `POST /api/post` at the real binary, which is killed with SIGKILL in the middle of
//! the stream (no graceful shutdown, no pool close, no WAL checkpoint) and started again on the same
//! file. SQLite in WAL mode with `synchronous=NORMAL` loses nothing a process crash can reach (only a
//! power cut could), so every post that was answered 201 must be there and the file must be sound.

use std::{
    collections::HashMap,
    io::{BufRead, BufReader},
    net::SocketAddr,
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sqlx::SqlitePool;
use tempfile::TempDir;

const BINARY: &str = env!("CARGO_BIN_EXE_leptos-api-routes");

/// How many clients post at the same time.
const WRITERS: usize = 4;

/// Confirmed posts to wait for before the kill, so that it lands mid-stream.
const CONFIRMED_BEFORE_KILL: usize = 200;

/// The server binary as a child process on a free port; killed (SIGKILL) when dropped.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl ServerProcess {
    fn start(data_dir: &TempDir, database_url: &str) -> Self {
        let mut child = Command::new(BINARY)
            .current_dir(data_dir.path())
            .env_clear()
            .env("DATABASE_URL", database_url)
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", "info")
            // Hundreds of posts from one address: the write rate limit would refuse most of them.
            .env("RATE_LIMIT_PER_MINUTE", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server binary starts");
        let mut log = BufReader::new(child.stdout.take().expect("a piped stdout")).lines();
        let listening = log
            .by_ref()
            .map_while(Result::ok)
            .find(|line| line.contains("listening on http://"))
            .expect("the server says where it listens");
        // Keep draining the log, so that the server never blocks on a full pipe.
        std::thread::spawn(move || log.for_each(drop));
        let addr = listening
            .rsplit("http://")
            .next()
            .unwrap_or_default()
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
            .collect::<String>()
            .parse()
            .expect("a socket address in the log line");
        Self { child, addr }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// SIGKILL: the process gets no chance to finish requests or close the database.
    fn kill(&mut self) {
        self.child.kill().expect("the server can be killed");
        self.child.wait().expect("the killed server is reaped");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Posts one new post after another until the server stops answering; returns the `(id, title)` of
/// every post it confirmed with a 201 and a body.
async fn post_until_the_server_is_gone(
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_post_answered_201_survives_a_sigkill_mid_stream() {
    let data_dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}", data_dir.path().join("app.db").display());
    let mut server = ServerProcess::start(&data_dir, &database_url);
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
    let deadline = Instant::now() + Duration::from_secs(10);
    while confirmed_so_far.load(Ordering::Relaxed) < CONFIRMED_BEFORE_KILL {
        assert!(
            Instant::now() < deadline,
            "{CONFIRMED_BEFORE_KILL} posts are confirmed within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    server.kill();
    let mut confirmed = Vec::new();
    for writer in writers {
        confirmed.extend(writer.await.expect("a writer does not panic"));
    }
    let restarted = ServerProcess::start(&data_dir, &database_url);

    let pool = SqlitePool::connect(&database_url).await.unwrap();
    let stored: HashMap<i64, String> =
        sqlx::query_as::<_, (i64, String)>("SELECT id, title FROM posts")
            .fetch_all(&pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let lost: Vec<&(i64, String)> = confirmed
        .iter()
        .filter(|(id, title)| stored.get(id) != Some(title))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} confirmed posts are gone: {lost:?}",
        lost.len(),
        confirmed.len()
    );
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(integrity, "ok");
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
