//! Tests of `live` that need its private items (the hub, a stream's reads): compiled inside it
//! (`#[path]`), kept out of `src/`. On SQLite; PostgreSQL's side is in tests/postgres/live_comments.rs.

use std::time::Duration;

use sqlx::Connection;
use tempfile::TempDir;

use super::{stream::Item, *};
use crate::{
    config::DatabaseConfig,
    model::{NewComment, NewPost},
};

/// How long a stream is given to show that it waits (nothing to send).
const WAITS: Duration = Duration::from_millis(200);
const WITHIN: Duration = Duration::from_secs(5);

struct Fixture {
    _folder: TempDir,
    url: String,
    db: db::Db,
    live: Live,
}

async fn fixture() -> Fixture {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let url = format!("sqlite://{}", folder.path().join("app.db").display());
    let db = db::open(&DatabaseConfig::new(url.parse().expect("a SQLite URL")))
        .await
        .expect("the database opens");
    let live = Live::new(db.clone(), &LiveConfig::default(), 100);
    Fixture {
        _folder: folder,
        url,
        db,
        live,
    }
}

impl Fixture {
    async fn post(&self) -> PostId {
        let post = NewPost {
            title: "Live".into(),
            post: "Comments as they come".into(),
            draft: false,
        };
        db::create_post(&self.db, &post.validate().expect("valid"), None)
            .await
            .expect("saved")
    }

    async fn comment(&self, post: PostId, text: &str) -> CommentId {
        let comment = NewComment {
            comment: text.into(),
        };
        db::add_comment(
            &self.db,
            Visibility::Published,
            post,
            &comment.validate().expect("valid"),
            None,
        )
        .await
        .expect("saved")
        .expect("the post is there")
        .id
    }

    /// A comment the feed is not told of, as one committed while PostgreSQL's listener was away.
    async fn unnoticed_comment(&self, post: PostId, text: &str) -> CommentId {
        let mut connection = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
        let id: i64 =
            sqlx::query_scalar("INSERT INTO comments (post_id, body) VALUES (?, ?) RETURNING id")
                .bind(post.0)
                .bind(text)
                .fetch_one(&mut connection)
                .await
                .unwrap();
        CommentId(id)
    }

    async fn open(&self, post: PostId) -> Reader {
        self.live
            .open(Visibility::Published, post, None)
            .await
            .expect("opened")
            .expect("the post is there")
    }
}

/// The next comment's id; panics if something else comes, or nothing.
async fn next_comment(reader: &mut Reader) -> CommentId {
    match tokio::time::timeout(WITHIN, reader.next()).await {
        Ok(Some(Item::Comment(comment))) => comment.id,
        other => panic!("not a comment: {other:?}"),
    }
}

/// Whether `reader` has nothing to send for a while (it waits on its channel).
async fn waits(reader: &mut Reader) -> bool {
    tokio::time::timeout(WAITS, reader.next()).await.is_err()
}

async fn retry(reader: &mut Reader) {
    assert!(matches!(reader.next().await, Some(Item::Retry)));
}

#[tokio::test]
async fn after_lost_notices_the_hub_reads_once_for_a_quiet_posts_streams_and_none_reads_again() {
    let fixture = fixture().await;
    let post = fixture.post().await;
    fixture.comment(post, "Before").await;
    let mut waiting = Vec::new();
    for _ in 0..3 {
        let mut reader = fixture.open(post).await;
        retry(&mut reader).await;
        assert!(waits(&mut reader).await);
        waiting.push(reader);
    }
    // Opened, not read yet: it will read the database anyway.
    let mut catching_up = fixture.open(post).await;

    let lost = fixture
        .unnoticed_comment(post, "While the listener was away")
        .await;
    fixture.live.0.missed().await;

    for reader in &mut waiting {
        assert_eq!(next_comment(reader).await, lost);
        assert!(waits(reader).await);
        assert_eq!(reader.reads, 1, "a stream read the database again");
    }
    retry(&mut catching_up).await;
    assert_eq!(next_comment(&mut catching_up).await, lost);
    assert!(waits(&mut catching_up).await);
    assert_eq!(catching_up.reads, 1);
    // And the channel goes on from there.
    let live = fixture.comment(post, "Live").await;
    for reader in waiting.iter_mut().chain([&mut catching_up]) {
        assert_eq!(next_comment(reader).await, live);
    }
}

#[tokio::test]
async fn lost_notices_on_a_post_whose_streams_all_catch_up_cost_no_read_at_all() {
    let fixture = fixture().await;
    let post = fixture.post().await;
    let mut reader = fixture.open(post).await;

    fixture.live.0.missed().await;

    assert_eq!(reader.reads, 0);
    retry(&mut reader).await;
    assert!(waits(&mut reader).await);
    assert_eq!(reader.reads, 1);
}

#[tokio::test]
async fn a_catch_up_that_began_before_the_hubs_read_is_read_again() {
    let fixture = fixture().await;
    let post = fixture.post().await;
    let reader = fixture.open(post).await;
    let began = reader.subscription.resyncs();
    // A stream already waits, so the hub has somewhere to read from.
    let mut waiting = fixture.open(post).await;
    retry(&mut waiting).await;
    assert!(waits(&mut waiting).await);

    fixture.live.0.missed().await;

    assert!(!reader.subscription.caught_up(began, CommentId(1)));
    assert!(
        reader
            .subscription
            .caught_up(reader.subscription.resyncs(), CommentId(1))
    );
}

/// A comment with the largest JSON there is: 2 000 four-byte characters, about 8 KiB.
fn large() -> String {
    "\u{1F600}".repeat(2_000)
}

#[tokio::test]
async fn a_stream_catching_up_holds_at_most_its_bytes_yet_sends_every_comment_in_order() {
    let fixture = fixture().await;
    let post = fixture.post().await;
    let mut ids = Vec::new();
    for _ in 0..12 {
        ids.push(fixture.comment(post, &large()).await);
    }
    let mut reader = fixture
        .live
        .open(Visibility::Published, post, Some(CommentId(0)))
        .await
        .expect("opened")
        .expect("the post is there");
    retry(&mut reader).await;

    let mut got = Vec::new();
    while got.len() < ids.len() {
        got.push(next_comment(&mut reader).await);
        let held: usize = reader.read.iter().map(|comment| comment.json.len()).sum();
        assert!(held <= stream::CATCH_UP_BYTES, "{held} bytes held");
    }
    assert_eq!(got, ids);
    assert_eq!(reader.page, 2, "pages of what fits");
    assert!(waits(&mut reader).await);
}

#[tokio::test]
async fn a_channel_keeps_its_bytes_for_a_reader_that_never_reads_which_then_reads_the_database() {
    let fixture = fixture().await;
    let post = fixture.post().await;
    let mut stalled = fixture.open(post).await;
    retry(&mut stalled).await;
    assert!(waits(&mut stalled).await);

    let mut ids = Vec::new();
    for _ in 0..30 {
        ids.push(fixture.comment(post, &large()).await);
    }
    let newest = ids.last().copied();
    let mut kept = None;
    for _ in 0..500 {
        if let Some(topic) = fixture.live.0.topics().get(&post)
            && topic.last == newest
        {
            kept = Some((topic.recent.len(), topic.recent_bytes));
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (count, bytes) = kept.expect("the hub sent them all");
    assert!(bytes <= CHANNEL_BYTES, "{bytes} bytes kept");
    assert!(count < ids.len(), "{count} comments kept");

    let mut got = Vec::new();
    for _ in 0..ids.len() {
        got.push(next_comment(&mut stalled).await);
    }
    assert_eq!(got, ids, "every comment, once, in order");
    assert!(waits(&mut stalled).await);
}
