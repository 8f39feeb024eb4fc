//! The SQLite room: the embedded default, a file one server process owns, so the write rate limit
//! is counted in its memory. Timestamps are stored as the API's text and read as is.

mod accounts;
mod connections;
mod export;
mod idempotent;
pub mod write_limit;

use std::{net::IpAddr, num::NonZero, path::Path, str::FromStr, sync::Arc};

use tokio::sync::broadcast;

use sqlx::{
    Connection, QueryBuilder, Sqlite, SqliteConnection,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous},
};

use super::{
    CachedTrivia, DeliveryOutcome, EditCheck, Edited, Error, OpenError, PostChange, WriteAllowance,
    WriteLimit,
    feed::{Feed, Notice},
    idempotency::{IdempotencyKey, Once},
    post_batch::{InsertPosts, NewPostRow, PostBatcher},
    rows::{PostComment, PostToEdit},
    session_cache::SessionCache,
    store::Store,
    sweeps::Sweeps,
};
use crate::{
    config::{DatabaseConfig, DatabaseUrl},
    model::{
        Comment, CommentId, Post, PostId, PostSummary, UserId, ValidComment, ValidPatch, ValidPost,
    },
};
use connections::{Connections, Lease};
use write_limit::WriteTimes;

/// Read-only connections for reads, one for writes: SQLite runs one writer at a time, so writes
/// queue for it instead of sleeping in the busy handler, and reads (WAL) never wait for it.
#[derive(Clone, Debug)]
pub struct Db {
    readers: Arc<Connections>,
    writer: Arc<Connections>,
    posts: PostBatcher,
    write_times: Arc<WriteTimes>,
    comments: Feed,
    /// Expired idempotency keys (`idempotent.rs`).
    key_sweeps: Arc<Sweeps>,
    /// Sign-in attempts per username and per address (`db/accounts.rs`).
    signin_times: Arc<WriteTimes<String>>,
    /// Live sessions, for what pages show: every sign-out is this process's, so it is always on.
    sessions: SessionCache,
}

impl Db {
    /// Tells the feed of a new comment. Called while the one writer is still held, so notices
    /// come in commit order (db/feed.rs).
    fn tell_added(&self, post: PostId, added: Option<&Comment>) {
        if let Some(added) = added {
            self.comments.tell(Notice::Added {
                post,
                comment: added.id,
            });
        }
    }

    async fn reader(&self) -> Result<Lease<'_>, sqlx::Error> {
        self.readers.acquire().await
    }

    async fn writer(&self) -> Result<Lease<'_>, sqlx::Error> {
        self.writer.acquire().await
    }

    /// On the one writer, so no other write comes between the read and the write.
    async fn post_to_edit(
        transaction: &mut sqlx::SqliteConnection,
        drafts: bool,
        id: PostId,
    ) -> Result<Option<PostToEdit>, sqlx::Error> {
        sqlx::query_as!(
            PostToEdit,
            r#"SELECT p.id AS "id!: PostId", p.title, p.body, p.created_at, p.draft AS "draft: bool",
                      u.username AS "author?: String", p.author_id AS "author_id?: i64"
               FROM posts p LEFT JOIN users u ON u.id = p.author_id
               WHERE p.id = $1 AND (p.draft = 0 OR $2)"#,
            id,
            drafts,
        )
        .fetch_optional(transaction)
        .await
    }
}

impl Store for Db {
    /// `synchronous=NORMAL` survives process crashes in WAL mode, far cheaper than `FULL`; foreign
    /// keys are off by default in SQLite; the busy timeout bounds waiting on another process.
    async fn open(config: &DatabaseConfig) -> Result<Self, OpenError> {
        let options = SqliteConnectOptions::from_str(config.url.as_str())
            .map_err(|source| OpenError::Url {
                backend: "SQLite",
                source: source.into(),
            })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(config.timeout);
        create_parent_folder(options.get_filename())?;

        // The writer first: it creates the file and migrates it for the readers.
        let writer = Arc::new(
            Connections::open("sqlite_writer", &options, 1)
                .await
                .map_err(OpenError::connect)?,
        );
        sqlx::migrate!("migrations/sqlite")
            .run(&mut *writer.acquire().await.map_err(OpenError::connect)?)
            .await
            .map_err(OpenError::migrate)?;
        let readers =
            Connections::open("sqlite_readers", &options.read_only(true), readers_count())
                .await
                .map_err(OpenError::connect)?;
        Ok(Self {
            posts: PostBatcher::start(Arc::clone(&writer)),
            readers: Arc::new(readers),
            writer,
            write_times: Arc::default(),
            comments: Feed::default(),
            key_sweeps: Arc::default(),
            signin_times: Arc::default(),
            sessions: SessionCache::new(true),
        })
    }

    /// The writer last: closing the last connection checkpoints the WAL.
    async fn close(&self) {
        self.readers.close().await;
        self.writer.close().await;
    }

    fn record_pool_metrics(&self) {
        self.readers.record_metrics();
        self.writer.record_metrics();
    }

    async fn ping(&self) -> Result<(), Error> {
        sqlx::query("SELECT 1")
            .execute(&mut *self.reader().await?)
            .await?;
        Ok(())
    }

    async fn create_post(&self, post: &ValidPost, author: Option<UserId>) -> Result<PostId, Error> {
        self.posts.create(post.clone(), author).await
    }

    async fn update_post(
        &self,
        drafts: bool,
        id: PostId,
        patch: &ValidPatch,
        check: &EditCheck,
    ) -> Result<Edited<Post>, Error> {
        let mut writer = self.writer().await?;
        let mut transaction = writer.begin().await?;
        let row = Self::post_to_edit(&mut transaction, drafts, id).await?;
        let post = match check.patched(row, patch, drafts) {
            Ok(post) => post,
            Err(refused) => return Ok(refused),
        };
        sqlx::query!(
            "UPDATE posts SET title = $2, body = $3 WHERE id = $1",
            id,
            post.title,
            post.body,
        )
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(Edited::Done(post))
    }

    async fn delete_post(
        &self,
        drafts: bool,
        id: PostId,
        check: &EditCheck,
    ) -> Result<Edited<()>, Error> {
        let mut writer = self.writer().await?;
        let mut transaction = writer.begin().await?;
        let row = Self::post_to_edit(&mut transaction, drafts, id).await?;
        if let Err(refused) = check.deletion(row, drafts) {
            return Ok(refused);
        }
        // `ON DELETE CASCADE` (foreign keys are on) takes its comments in the same statement.
        sqlx::query!(
            "DELETE FROM posts WHERE id = $1 AND author_id = $2",
            id,
            check.editor.0
        )
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        // The writer still held: in commit order with the comments' notices.
        self.comments.tell(Notice::Deleted { post: id });
        Ok(Edited::Done(()))
    }

    async fn list_posts(
        &self,
        drafts: bool,
        before: i64,
        fetch: i64,
    ) -> Result<Vec<PostSummary>, Error> {
        Ok(sqlx::query_as!(
            PostSummary,
            r#"SELECT p.id AS "id!: PostId", p.title, p.body, p.created_at, p.draft AS "draft: bool",
                      (SELECT COUNT(*) FROM comments c WHERE c.post_id = p.id) AS "comment_count!: i64",
                      u.username AS "author?: String"
               FROM posts p LEFT JOIN users u ON u.id = p.author_id
               WHERE p.id < $1 AND (p.draft = 0 OR $2)
               ORDER BY p.id DESC
               LIMIT $3"#,
            before,
            drafts,
            fetch,
        )
        .fetch_all(&mut *self.reader().await?)
        .await?)
    }

    async fn get_post(&self, drafts: bool, id: PostId) -> Result<Option<Post>, Error> {
        Ok(sqlx::query_as!(
            Post,
            r#"SELECT p.id AS "id!: PostId", p.title, p.body, p.created_at, p.draft AS "draft: bool",
                      u.username AS "author?: String"
               FROM posts p LEFT JOIN users u ON u.id = p.author_id
               WHERE p.id = $1 AND (p.draft = 0 OR $2)"#,
            id,
            drafts,
        )
        .fetch_optional(&mut *self.reader().await?)
        .await?)
    }

    /// The join walks the `comments_by_post` index in order: no sort, no row past the page read.
    async fn list_comments(
        &self,
        drafts: bool,
        post: PostId,
        after: i64,
        fetch: i64,
    ) -> Result<Vec<PostComment>, Error> {
        Ok(sqlx::query_as!(
            PostComment,
            r#"SELECT c.id AS "id?: CommentId", c.body AS "comment?: String", c.created_at AS "created_at?: String",
                      u.username AS "author?: String"
               FROM posts p LEFT JOIN comments c ON c.post_id = p.id AND c.id > $2
                    LEFT JOIN users u ON u.id = c.author_id
               WHERE p.id = $1 AND (p.draft = 0 OR $3)
               ORDER BY c.id
               LIMIT $4"#,
            post,
            after,
            drafts,
            fetch,
        )
        .fetch_all(&mut *self.reader().await?)
        .await?)
    }

    async fn count_comments(&self, post: PostId) -> Result<i64, Error> {
        Ok(sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "count!: i64" FROM comments WHERE post_id = $1"#,
            post,
        )
        .fetch_one(&mut *self.reader().await?)
        .await?)
    }

    async fn last_comment_id(
        &self,
        drafts: bool,
        post: PostId,
    ) -> Result<Option<Option<i64>>, Error> {
        Ok(sqlx::query_scalar!(
            r#"SELECT (SELECT MAX(c.id) FROM comments c WHERE c.post_id = p.id) AS "last?: i64"
               FROM posts p WHERE p.id = $1 AND (p.draft = 0 OR $2)"#,
            post,
            drafts,
        )
        .fetch_optional(&mut *self.reader().await?)
        .await?)
    }

    /// One process: every change is made here.
    async fn listen(&self, _listen_url: Option<&DatabaseUrl>) -> Result<(), Error> {
        Ok(())
    }

    /// One process: the feed is in memory.
    async fn follow_comments(
        &self,
        _listen_url: Option<&DatabaseUrl>,
    ) -> Result<broadcast::Receiver<Notice>, Error> {
        Ok(self.comments.follow())
    }

    async fn add_comment(
        &self,
        drafts: bool,
        post: PostId,
        comment: &ValidComment,
        author: Option<UserId>,
    ) -> Result<Option<Comment>, Error> {
        let mut writer = self.writer().await?;
        let added = insert_comment(&mut writer, drafts, post, comment, author).await?;
        self.tell_added(post, added.as_ref());
        drop(writer);
        Ok(added)
    }

    async fn create_post_once(
        &self,
        post: &ValidPost,
        author: Option<UserId>,
        key: &IdempotencyKey,
    ) -> Result<Once<PostId>, Error> {
        Ok(Db::create_post_once(self, post, author, key).await?)
    }

    async fn add_comment_once(
        &self,
        drafts: bool,
        post: PostId,
        comment: &ValidComment,
        author: Option<UserId>,
        key: &IdempotencyKey,
    ) -> Result<Once<Option<Comment>>, Error> {
        Ok(Db::add_comment_once(self, drafts, post, comment, author, key).await?)
    }

    async fn apply_delivery(
        &self,
        delivery: &str,
        post: PostId,
        change: PostChange,
    ) -> Result<DeliveryOutcome, Error> {
        let mut writer = self.writer().await?;
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
        if change == PostChange::Delete {
            self.comments.tell(Notice::Deleted { post });
        }
        Ok(DeliveryOutcome::Applied)
    }

    async fn cached_trivia(&self, number: i64) -> Result<Option<CachedTrivia>, Error> {
        Ok(sqlx::query_as!(
            CachedTrivia,
            r#"SELECT text, unixepoch() - fetched_at AS "age_seconds!: i64"
               FROM trivia_cache WHERE number = $1"#,
            number,
        )
        .fetch_optional(&mut *self.reader().await?)
        .await?)
    }

    /// Fetches of the same second are evicted by number; the answer just kept never goes.
    async fn cache_trivia(&self, number: i64, text: &str, max_entries: i64) -> Result<(), Error> {
        let mut writer = self.writer().await?;
        let mut transaction = writer.begin().await?;
        sqlx::query!(
            r#"INSERT INTO trivia_cache (number, text, fetched_at) VALUES ($1, $2, unixepoch())
               ON CONFLICT (number) DO UPDATE SET text = excluded.text, fetched_at = excluded.fetched_at"#,
            number,
            text,
        )
        .execute(&mut *transaction)
        .await?;
        sqlx::query!(
            r#"DELETE FROM trivia_cache WHERE number IN (
                   SELECT number FROM trivia_cache WHERE number <> $1
                   ORDER BY fetched_at, number
                   LIMIT max(0, (SELECT COUNT(*) FROM trivia_cache) - $2))"#,
            number,
            max_entries,
        )
        .execute(&mut *transaction)
        .await?;
        Ok(transaction.commit().await?)
    }

    async fn count_write(
        &self,
        address: IpAddr,
        limit: WriteLimit,
    ) -> Result<WriteAllowance, Error> {
        Ok(self
            .write_times
            .count(address, limit, std::time::Instant::now()))
    }
}

impl InsertPosts for Arc<Connections> {
    async fn insert(&self, posts: &[NewPostRow]) -> Result<Vec<PostId>, Error> {
        let mut query =
            QueryBuilder::<Sqlite>::new("INSERT INTO posts (title, body, draft, author_id) ");
        query.push_values(posts, |mut row, NewPostRow { post, author }| {
            row.push_bind(&post.title)
                .push_bind(&post.body)
                .push_bind(post.draft)
                .push_bind(author.map(|author| author.0));
        });
        query.push(" RETURNING id");
        let mut ids: Vec<PostId> = query
            .build_query_scalar()
            .fetch_all(&mut *self.acquire().await?)
            .await?;
        // RETURNING rows come in no order, but one INSERT inserts in VALUES order and `posts.id` is
        // AUTOINCREMENT, so the sorted ids are the batch's posts in order.
        ids.sort_unstable();
        Ok(ids)
    }
}

/// Two per core: each has a thread of its own, and more add no throughput, only contention.
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

#[cfg(test)]
#[path = "../../../tests/unit/private/db_sqlite.rs"]
mod tests;

/// The one INSERT of a comment, for the plain and the keyed path; `None`: no such post (or a draft
/// the caller may not see). The existence check is part of the insert, so the post cannot vanish
/// in between. `fetch_all`, not `fetch_optional`: SQLite hands out the RETURNING row before the
/// statement commits, and `fetch_optional` stops there, so a failed commit (a full disk) was
/// answered 201 and rolled back.
async fn insert_comment(
    connection: &mut SqliteConnection,
    drafts: bool,
    post: PostId,
    comment: &ValidComment,
    author: Option<UserId>,
) -> Result<Option<Comment>, sqlx::Error> {
    let author = author.map(|author| author.0);
    let inserted = sqlx::query_as!(
        Comment,
        r#"INSERT INTO comments (post_id, body, author_id)
           SELECT id, $2, $4 FROM posts WHERE id = $1 AND (draft = 0 OR $3)
           RETURNING id AS "id!: CommentId", body AS comment, created_at,
                     (SELECT username FROM users WHERE id = $4) AS "author?: String""#,
        post,
        comment.body,
        drafts,
        author,
    )
    .fetch_all(connection)
    .await?;
    Ok(inserted.into_iter().next())
}
