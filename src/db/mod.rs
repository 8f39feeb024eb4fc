//! The data layer: opening the SQLite database (read connections + one writer), applying
//! `migrations/`, and one function per query.
//!
//! This is the only module that knows SQL (and the only one that reads database error codes:
//! [`failure::classify`]). Pages and API routes call these functions; they never build
//! queries of their own, so a move to another database touches this file and `migrations/` only.

use std::{num::NonZero, path::Path, str::FromStr, sync::Arc, time::Duration};

use sqlx::{
    Connection,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous},
};

use crate::model::{Comment, Post, PostId, PostPage, PostSummary, ValidComment, ValidPost};

mod connections;
pub mod failure;
mod post_batch;

use connections::{Connections, Lease};
use post_batch::PostBatcher;

/// How long a connection waits for another writer before giving up with "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("DATABASE_URL must be a sqlite: URL, not {0:?}")]
    NotSqlite(String),
    #[error("DATABASE_URL is not a usable SQLite URL: {0}")]
    Url(#[source] sqlx::Error),
    #[error("DATABASE_URL: cannot create the database folder {folder}: {source}")]
    Folder {
        folder: String,
        #[source]
        source: std::io::Error,
    },
    #[error("DATABASE_URL: cannot open the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("cannot apply the migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// The database: read-only connections for the reads, and one connection for every write.
///
/// SQLite runs one writer at a time. With writes spread over several connections, two that write at
/// once meet in SQLite's busy handler, which sleeps (1, 2, 5… up to 100 ms) before it retries: under
/// load that sleeping was most of `POST /api/post`'s latency (bench/README.md). With a single writer
/// connection, writes queue for it instead and go the moment it is free, while reads, in WAL mode,
/// never wait for it. Read connections are opened read-only, so a write sent to them by mistake
/// fails loudly instead of competing with the writer.
///
/// Cheap to clone (shared handles). Each function below picks the connection it needs.
#[derive(Clone, Debug)]
pub struct Db {
    readers: Arc<Connections>,
    writer: Arc<Connections>,
    /// New posts, saved in batches through `writer` (see `post_batch.rs`).
    posts: PostBatcher,
}

/// Opens (creating if needed) the database at `database_url` and brings its schema up to date.
///
/// WAL lets readers run while one connection writes; `synchronous=NORMAL` is durable across process
/// crashes in WAL mode and much cheaper than `FULL`; foreign keys are off by default in SQLite.
pub async fn open(database_url: &str) -> Result<Db, OpenError> {
    if !database_url.starts_with("sqlite:") {
        return Err(OpenError::NotSqlite(database_url.to_owned()));
    }
    let options = SqliteConnectOptions::from_str(database_url)
        .map_err(OpenError::Url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT);
    create_parent_folder(options.get_filename())?;

    // The writer first: it creates the file and applies the migrations the readers rely on.
    let writer = Arc::new(
        Connections::open(&options, 1)
            .await
            .map_err(OpenError::Connect)?,
    );
    sqlx::migrate!()
        .run(&mut *writer.acquire().await.map_err(OpenError::Connect)?)
        .await?;
    let readers = Connections::open(&options.read_only(true), readers_count())
        .await
        .map_err(OpenError::Connect)?;
    Ok(Db {
        posts: PostBatcher::start(Arc::clone(&writer)),
        readers: Arc::new(readers),
        writer,
    })
}

impl Db {
    /// Closes every connection, the writer last (closing the last connection checkpoints the WAL).
    pub async fn close(&self) {
        self.readers.close().await;
        self.writer.close().await;
    }

    async fn reader(&self) -> Result<Lease<'_>, sqlx::Error> {
        self.readers.acquire().await
    }

    async fn writer(&self) -> Result<Lease<'_>, sqlx::Error> {
        self.writer.acquire().await
    }
}

/// Two read connections per core. Each connection is served by a thread of its own: past a couple
/// per core, more connections add no read throughput, only threads competing for the same cores.
fn readers_count() -> usize {
    2 * std::thread::available_parallelism().map_or(1, NonZero::get)
}

fn create_parent_folder(database_file: &Path) -> Result<(), OpenError> {
    match database_file.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => {
            std::fs::create_dir_all(folder).map_err(|source| OpenError::Folder {
                folder: folder.display().to_string(),
                source,
            })
        }
        _ => Ok(()),
    }
}

/// Succeeds once the database answers a query: what `/api/health` reports.
pub async fn ping(db: &Db) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1")
        .execute(&mut *db.reader().await?)
        .await
        .map(drop)
}

/// Which posts a read may see: drafts only in preview mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    Published,
    WithDrafts,
}

impl Visibility {
    fn drafts(self) -> bool {
        self == Self::WithDrafts
    }
}

/// Saves a validated post; returns its new id. Posts that arrive together are saved together.
pub async fn create_post(db: &Db, post: &ValidPost) -> Result<PostId, sqlx::Error> {
    db.posts.create(post.clone()).await
}

/// One page of posts, newest first, each with its comment count. `cursor` is the `next_cursor` of
/// the page before (posts older than it); `None` starts from the newest.
pub async fn list_posts(
    db: &Db,
    visibility: Visibility,
    limit: u32,
    cursor: Option<PostId>,
) -> Result<PostPage, sqlx::Error> {
    let before = cursor.map_or(i64::MAX, |id| id.0);
    let drafts = visibility.drafts();
    // One row more than asked tells whether there is a next page, without a COUNT(*).
    let fetch = i64::from(limit) + 1;
    let mut posts = sqlx::query_as!(
        PostSummary,
        r#"SELECT p.id AS "id!: PostId", p.title, p.body, p.created_at, p.draft AS "draft: bool",
                  (SELECT COUNT(*) FROM comments c WHERE c.post_id = p.id) AS "comment_count!: i64"
           FROM posts p
           WHERE p.id < $1 AND (p.draft = 0 OR $2)
           ORDER BY p.id DESC
           LIMIT $3"#,
        before,
        drafts,
        fetch,
    )
    .fetch_all(&mut *db.reader().await?)
    .await?;
    let next_cursor = if posts.len() > limit as usize {
        posts.truncate(limit as usize);
        posts.last().map(|post| post.id)
    } else {
        None
    };
    Ok(PostPage { posts, next_cursor })
}

/// The post with this id, if there is one that `visibility` lets the reader see.
pub async fn get_post(
    db: &Db,
    visibility: Visibility,
    id: PostId,
) -> Result<Option<Post>, sqlx::Error> {
    let drafts = visibility.drafts();
    sqlx::query_as!(
        Post,
        r#"SELECT id AS "id!: PostId", title, body, created_at, draft AS "draft: bool"
           FROM posts WHERE id = $1 AND (draft = 0 OR $2)"#,
        id,
        drafts,
    )
    .fetch_optional(&mut *db.reader().await?)
    .await
}

/// The comments of a post, oldest first; `None` when the post does not exist (for this reader).
///
/// One query: the post joined to its comments gives one row per comment, or a single row without a
/// comment for a post that has none, or no row when there is no such (visible) post.
pub async fn list_comments(
    db: &Db,
    visibility: Visibility,
    post: PostId,
) -> Result<Option<Vec<Comment>>, sqlx::Error> {
    let drafts = visibility.drafts();
    let rows = sqlx::query!(
        r#"SELECT c.id AS "id?: i64", c.body AS "comment?: String", c.created_at AS "created_at?: String"
           FROM posts p LEFT JOIN comments c ON c.post_id = p.id
           WHERE p.id = $1 AND (p.draft = 0 OR $2)
           ORDER BY c.id"#,
        post,
        drafts,
    )
    .fetch_all(&mut *db.reader().await?)
    .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let comments = rows
        .into_iter()
        .filter_map(|row| {
            Some(Comment {
                id: row.id?,
                comment: row.comment?,
                created_at: row.created_at?,
            })
        })
        .collect();
    Ok(Some(comments))
}

/// Adds a validated comment to a post; `None` when the post does not exist (for this reader).
pub async fn add_comment(
    db: &Db,
    visibility: Visibility,
    post: PostId,
    comment: &ValidComment,
) -> Result<Option<Comment>, sqlx::Error> {
    let drafts = visibility.drafts();
    // The existence check is part of the insert: one statement, so the post cannot vanish between
    // "is it there" and the write.
    //
    // `fetch_all`, not `fetch_optional`: SQLite hands out a RETURNING row before the statement has
    // finished, and the statement commits only when it finishes. `fetch_optional` stops at the row,
    // so a commit that then fails (a full disk) went unnoticed: the comment was answered 201 with
    // an id, and rolled back. `fetch_all` runs the statement to its end and returns that error.
    let inserted = sqlx::query_as!(
        Comment,
        r#"INSERT INTO comments (post_id, body)
           SELECT id, $2 FROM posts WHERE id = $1 AND (draft = 0 OR $3)
           RETURNING id AS "id!: i64", body AS comment, created_at"#,
        post,
        comment.body,
        drafts,
    )
    .fetch_all(&mut *db.writer().await?)
    .await?;
    Ok(inserted.into_iter().next())
}

/// What a publishing webhook delivery asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PostChange {
    Publish,
    Delete,
}

/// What became of a webhook delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Applied,
    /// This delivery id was applied before; nothing changed.
    Replayed,
    /// No such post; nothing changed and the delivery is not recorded, so a retry can still apply.
    NoSuchPost,
}

/// Applies `change` to `post` once per `delivery`: recording the delivery id and changing the post
/// happen in one transaction, so a replay (even a concurrent one) changes nothing.
pub async fn apply_delivery(
    db: &Db,
    delivery: &str,
    post: PostId,
    change: PostChange,
) -> Result<DeliveryOutcome, sqlx::Error> {
    let mut writer = db.writer().await?;
    let mut transaction = writer.begin().await?;
    let first_time = sqlx::query!(
        "INSERT INTO webhook_deliveries (id) VALUES ($1) ON CONFLICT (id) DO NOTHING",
        delivery,
    )
    .execute(&mut *transaction)
    .await?
    .rows_affected()
        == 1;
    if !first_time {
        return Ok(DeliveryOutcome::Replayed);
    }
    let changed = match change {
        PostChange::Publish => {
            sqlx::query!("UPDATE posts SET draft = 0 WHERE id = $1", post)
                .execute(&mut *transaction)
                .await?
        }
        PostChange::Delete => {
            sqlx::query!("DELETE FROM posts WHERE id = $1", post)
                .execute(&mut *transaction)
                .await?
        }
    };
    if changed.rows_affected() == 0 {
        // Dropping the transaction rolls back the recorded delivery.
        return Ok(DeliveryOutcome::NoSuchPost);
    }
    transaction.commit().await?;
    Ok(DeliveryOutcome::Applied)
}

/// A trivia text kept from the upstream, with its age.
pub struct CachedTrivia {
    pub text: String,
    pub age_seconds: i64,
}

/// The cached upstream answer for `number`, fresh or not.
pub async fn cached_trivia(db: &Db, number: i64) -> Result<Option<CachedTrivia>, sqlx::Error> {
    sqlx::query_as!(
        CachedTrivia,
        r#"SELECT text, unixepoch() - fetched_at AS "age_seconds!: i64"
           FROM trivia_cache WHERE number = $1"#,
        number,
    )
    .fetch_optional(&mut *db.reader().await?)
    .await
}

/// Keeps (or refreshes) an upstream answer for `number`.
pub async fn cache_trivia(db: &Db, number: i64, text: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"INSERT INTO trivia_cache (number, text, fetched_at) VALUES ($1, $2, unixepoch())
           ON CONFLICT (number) DO UPDATE SET text = excluded.text, fetched_at = excluded.fetched_at"#,
        number,
        text,
    )
    .execute(&mut *db.writer().await?)
    .await
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_go_to_read_only_connections_and_writes_to_the_writer() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let url = format!("sqlite://{}", folder.path().join("app.db").display());
        let db = open(&url).await.expect("the database opens");

        let write_on_a_reader = sqlx::query("INSERT INTO posts (title, body) VALUES ('t', 'b')")
            .execute(&mut *db.reader().await.expect("a read connection"))
            .await;
        let post = crate::model::NewPost {
            title: "Title".into(),
            post: "Body".into(),
            draft: false,
        }
        .validate();

        assert!(write_on_a_reader.is_err_and(|error| error.to_string().contains("readonly")));
        let id = create_post(&db, &post.expect("a valid post"))
            .await
            .expect("the writer saves it");
        let read = get_post(&db, Visibility::Published, id).await;
        assert!(read.is_ok_and(|post| post.is_some()));
        db.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn posts_saved_together_each_get_the_id_of_their_own_post() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let url = format!("sqlite://{}", folder.path().join("app.db").display());
        let db = open(&url).await.expect("the database opens");
        let post = |n: usize| ValidPost {
            title: format!("Post {n}"),
            body: format!("Body {n}"),
            draft: n.is_multiple_of(3),
        };

        // Submitted at once, so most of them queue behind the first and are saved in batches.
        let mut saves = tokio::task::JoinSet::new();
        for n in 0..300 {
            let db = db.clone();
            saves.spawn(async move { (n, create_post(&db, &post(n)).await) });
        }

        let mut ids = std::collections::HashSet::new();
        while let Some(result) = saves.join_next().await {
            let (n, id) = result.expect("the task finishes");
            let id = id.expect("the post is saved");
            assert!(ids.insert(id), "id {id:?} handed out twice");
            let stored = get_post(&db, Visibility::WithDrafts, id)
                .await
                .expect("the post reads back")
                .expect("the post exists");
            assert_eq!((stored.title, stored.body), (post(n).title, post(n).body));
            assert_eq!(stored.draft, post(n).draft);
        }
        db.close().await;
    }
}
