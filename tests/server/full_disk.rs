//! A full disk: the database lives on a small tmpfs, which a filler file then fills to the last block.
//! Writes must be answered 507 Insufficient Storage (a problem that names the cause, not a file), on
//! every write path — JSON, the no-JavaScript form, batched posts, comments, GraphQL —; reads must keep
//! working; and once space returns, writes work again and every post that was answered 201 is there.
//!
//! Mounting needs root (CI runs as root). Where it is not allowed, each test prints why and passes
//! without checking anything.

use std::{
    fs::File,
    io::{ErrorKind, Write},
    ops::ControlFlow,
    path::{Path, PathBuf},
    process::Command,
};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::{TestApp, TestDatabase, assert_problem, detail};

/// Room for the database and its write-ahead log, and little more: filled in a few milliseconds.
const FILE_SYSTEM_SIZE: &str = "2m";

/// Posts long enough that each needs pages of its own (they cannot hide in a page's free space).
const LONG_TEXT_CHARS: usize = 9_000;

/// The most writes sent while waiting for the first 507: SQLite can still reuse the space of its
/// write-ahead log for a while after the disk is full.
const MAX_WRITES_UNTIL_FULL: usize = 300;

/// A tmpfs mounted on a temporary folder; unmounted when dropped.
struct SmallFileSystem {
    mount_point: TempDir,
}

impl SmallFileSystem {
    /// Mounts one, or says why it cannot.
    fn mount() -> Result<Self, String> {
        let mount_point = tempfile::tempdir().map_err(|error| error.to_string())?;
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={FILE_SYSTEM_SIZE},mode=0700"))
            .arg("tmpfs")
            .arg(mount_point.path())
            .output()
            .map_err(|error| format!("cannot run mount: {error}"))?;
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).trim().to_owned());
        }
        Ok(Self { mount_point })
    }

    fn path(&self) -> &Path {
        self.mount_point.path()
    }

    /// Writes a file until the file system has no block left; returns its path.
    fn fill(&self) -> PathBuf {
        let path = self.path().join("filler");
        let mut filler = File::create(&path).expect("the filler file is created");
        let chunk = vec![0u8; 64 * 1024];
        loop {
            match filler.write_all(&chunk) {
                Ok(()) => {}
                Err(error) if error.kind() == ErrorKind::StorageFull => break,
                Err(error) => panic!("filling the file system failed otherwise: {error}"),
            }
        }
        // Smaller writes take the last partial chunk's worth of space too.
        while filler.write_all(&[0u8; 512]).is_ok() {}
        path
    }
}

impl Drop for SmallFileSystem {
    fn drop(&mut self) {
        // Lazily: the server may still be closing its database files.
        let _ = Command::new("umount").arg("-l").arg(self.path()).status();
    }
}

/// The server with its database on a full file system, and the path of the filler that fills it.
/// `None` (and a line saying why) where a file system cannot be mounted.
struct FullDisk {
    app: TestApp,
    filler: PathBuf,
    /// Ids of the posts answered 201, before and while the disk was full.
    acknowledged: Vec<i64>,
    /// Ids of the comments (on the first post) answered 201 while the disk was full.
    acknowledged_comments: Vec<i64>,
    // Dropped last: the server's files are on it.
    _file_system: SmallFileSystem,
}

impl FullDisk {
    async fn prepare(test: &str) -> Option<Self> {
        let file_system = match SmallFileSystem::mount() {
            Ok(file_system) => file_system,
            Err(reason) => {
                eprintln!("skipped {test}: cannot mount a tmpfs here (it needs root): {reason}");
                return None;
            }
        };
        let database = TestDatabase::sqlite_in(file_system.path());
        let app = TestApp::spawn_on(database, |_| {}).await;
        let acknowledged = vec![
            app.create_post("Before", "Written while there was room")
                .await,
        ];
        let filler = file_system.fill();
        Some(Self {
            app,
            filler,
            acknowledged,
            acknowledged_comments: Vec::new(),
            _file_system: file_system,
        })
    }

    /// Sends long posts until one is refused: returns the refusal. Every post in between must be
    /// saved (201); they are remembered as acknowledged.
    async fn post_until_refused(&mut self) -> reqwest::Response {
        let (refusal, saved) = self.create_until_refused("/api/post", long_post).await;
        self.acknowledged.extend(saved);
        refusal
    }

    /// Sends long comments on the first post until one is refused, as [`Self::post_until_refused`].
    async fn comment_until_refused(&mut self) -> reqwest::Response {
        let path = format!("/api/comments/{}", self.acknowledged[0]);
        let comment = |_| json!({ "comment": "y".repeat(2_000) });
        let (refusal, saved) = self.create_until_refused(&path, comment).await;
        self.acknowledged_comments.extend(saved);
        refusal
    }

    /// POSTs `body(attempt)` to `path` until an answer is not 201; returns that answer and the ids
    /// of the rows created before it.
    async fn create_until_refused(
        &self,
        path: &str,
        body: impl Fn(usize) -> Value,
    ) -> (reqwest::Response, Vec<i64>) {
        let mut saved = Vec::new();
        let refusal = until_refused(StatusCode::CREATED, async |attempt| {
            let response = self.app.post_json(path, &body(attempt)).await;
            if response.status() != StatusCode::CREATED {
                return ControlFlow::Break(response);
            }
            let created: Value = response.json().await.expect("a JSON body");
            saved.push(created["id"].as_i64().expect("a numeric id"));
            ControlFlow::Continue(())
        })
        .await;
        (refusal, saved)
    }

    /// Deletes the filler: the file system has room again.
    fn free_space(&self) {
        std::fs::remove_file(&self.filler).expect("the filler is deleted");
    }
}

/// Sends writes (`send`'s attempt number tells them apart) until one is refused, and returns that
/// answer. Even on a full disk, a write can still succeed where an earlier failed one left room in the
/// write-ahead log: only the first refusal says the disk is full for this kind of write.
async fn until_refused(
    saved: StatusCode,
    mut send: impl AsyncFnMut(usize) -> ControlFlow<reqwest::Response>,
) -> reqwest::Response {
    for attempt in 0..MAX_WRITES_UNTIL_FULL {
        if let ControlFlow::Break(refusal) = send(attempt).await {
            return refusal;
        }
    }
    panic!("{MAX_WRITES_UNTIL_FULL} writes were all {saved} on a full file system");
}

/// Go on when `response` has the status of a saved write; stop with it otherwise.
fn saved_as(saved: StatusCode, response: reqwest::Response) -> ControlFlow<reqwest::Response> {
    if response.status() == saved {
        ControlFlow::Continue(())
    } else {
        ControlFlow::Break(response)
    }
}

fn long_post(n: usize) -> Value {
    json!({ "title": format!("Long post {n}"), "post": "x".repeat(LONG_TEXT_CHARS) })
}

#[tokio::test]
async fn a_post_on_a_full_disk_is_answered_507_naming_the_cause_without_a_path() {
    let Some(mut disk) = FullDisk::prepare("a_post_on_a_full_disk_is_answered_507").await else {
        return;
    };

    let refused = disk.post_until_refused().await;

    let problem = assert_problem(refused, StatusCode::INSUFFICIENT_STORAGE).await;
    assert!(detail(&problem).contains("out of storage"), "{problem}");
    assert!(!detail(&problem).contains('/'), "no path: {problem}");
}

#[tokio::test]
async fn reads_keep_working_while_the_disk_is_full() {
    let Some(mut disk) = FullDisk::prepare("reads_keep_working_while_the_disk_is_full").await
    else {
        return;
    };
    disk.post_until_refused().await;

    let list = disk.app.get("/api/post?limit=100").await;
    let one = disk
        .app
        .get(&format!("/api/post/{}", disk.acknowledged[0]))
        .await;
    let page = disk.app.get("/").await;

    assert_eq!(list.status(), StatusCode::OK);
    let listed: Value = list.json().await.expect("a JSON page");
    assert_eq!(
        listed["posts"].as_array().map(Vec::len),
        Some(disk.acknowledged.len())
    );
    assert_eq!(one.status(), StatusCode::OK);
    assert_eq!(page.status(), StatusCode::OK);
}

#[tokio::test]
async fn posts_saved_together_on_a_full_disk_are_each_answered_201_or_507() {
    let Some(mut disk) = FullDisk::prepare("posts_saved_together_on_a_full_disk").await else {
        return;
    };
    disk.post_until_refused().await;

    // Sent at once, so they queue behind each other and are saved in batches (db/post_batch.rs).
    let mut posts = tokio::task::JoinSet::new();
    for n in 0..20 {
        let request = disk.app.client.post(disk.app.url("/api/post"));
        let request = request.json(&long_post(1_000 + n));
        posts.spawn(async move { request.send().await.map(|response| response.status()) });
    }
    let mut statuses = Vec::new();
    while let Some(status) = posts.join_next().await {
        statuses.push(status.expect("the task ends").expect("the server answers"));
    }

    assert!(
        statuses
            .iter()
            .all(|status| [StatusCode::CREATED, StatusCode::INSUFFICIENT_STORAGE].contains(status)),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&StatusCode::INSUFFICIENT_STORAGE),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn a_form_post_on_a_full_disk_is_answered_507_not_500() {
    let Some(mut disk) = FullDisk::prepare("a_form_post_on_a_full_disk").await else {
        return;
    };
    disk.post_until_refused().await;
    let long = "x".repeat(LONG_TEXT_CHARS);

    let response = until_refused(StatusCode::SEE_OTHER, async |_| {
        let form = [("title", "From a form"), ("post", long.as_str())];
        saved_as(
            StatusCode::SEE_OTHER,
            disk.app.post_form("/api/post", &form).await,
        )
    })
    .await;

    assert_eq!(response.status(), StatusCode::INSUFFICIENT_STORAGE);
}

#[tokio::test]
async fn a_comment_on_a_full_disk_is_answered_507() {
    let Some(mut disk) = FullDisk::prepare("a_comment_on_a_full_disk").await else {
        return;
    };
    disk.post_until_refused().await;

    let refused = disk.comment_until_refused().await;

    assert_problem(refused, StatusCode::INSUFFICIENT_STORAGE).await;
}

#[tokio::test]
async fn a_graphql_mutation_on_a_full_disk_fails_with_the_insufficient_storage_code() {
    let Some(mut disk) = FullDisk::prepare("a_graphql_mutation_on_a_full_disk").await else {
        return;
    };
    disk.post_until_refused().await;
    let mutation =
        "mutation($post: String!) { createPost(title: \"GraphQL\", post: $post) { id } }";

    let request =
        json!({ "query": mutation, "variables": { "post": "z".repeat(LONG_TEXT_CHARS) } });

    let mut answer = Value::Null;
    for _ in 0..MAX_WRITES_UNTIL_FULL {
        let response = disk.app.post_json("/api/graphql", &request).await;
        assert_eq!(response.status(), StatusCode::OK);
        answer = response.json().await.expect("a GraphQL answer");
        if answer.get("errors").is_some() {
            break;
        }
    }
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "INSUFFICIENT_STORAGE",
        "{answer}"
    );
}

#[tokio::test]
async fn writes_succeed_again_once_space_returns_and_nothing_acknowledged_is_lost() {
    let Some(mut disk) = FullDisk::prepare("writes_succeed_again_once_space_returns").await else {
        return;
    };
    disk.post_until_refused().await;
    disk.comment_until_refused().await;

    disk.free_space();
    let after = disk.app.create_post("After", "Room again").await;
    let comment_after = disk.app.add_comment(after, "Room again").await;

    let mut posts = disk.acknowledged.clone();
    posts.push(after);
    for id in posts {
        let response = disk.app.get(&format!("/api/post/{id}")).await;
        assert_eq!(response.status(), StatusCode::OK, "post {id}");
    }
    let comments: Value = disk
        .app
        .get(&format!("/api/comments/{}", disk.acknowledged[0]))
        .await
        .json()
        .await
        .expect("the first post's comments");
    let listed: Vec<i64> = comments["comments"]
        .as_array()
        .expect("a comments list")
        .iter()
        .filter_map(|comment| comment["id"].as_i64())
        .collect();
    assert_eq!(listed, disk.acknowledged_comments);
    assert!(comment_after > 0);
    let integrity: Vec<String> = disk.app.database().column("PRAGMA integrity_check").await;
    assert_eq!(integrity, ["ok"]);
}
