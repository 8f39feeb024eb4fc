//! The PostgreSQL room: for several instances of the server over one database server (or a
//! Postgres-wire distributed database), chosen by a `postgres://` or `postgresql://` `DATABASE_URL`.
//!
//! A connection pool of `DATABASE_MAX_CONNECTIONS`, each acquire bounded by `DATABASE_TIMEOUT_MS`;
//! TLS through rustls as the URL's `sslmode=` asks (`disable`, `prefer` (the default), `require`,
//! `verify-ca`, `verify-full`, with `sslrootcert=`). What the instances must agree on lives in the
//! database: the write rate limit ([`write_limit`]), webhook deliveries, the trivia cache. Nothing here
//! needs a local disk. Schema: `migrations/postgres/`, applied at start under sqlx's advisory lock,
//! so instances that start together apply each migration once.
//!
//! Every statement is one round trip, prepared once per connection and then reused (sqlx caches
//! them). New posts are saved in batches (`db/post_batch.rs`): each commit waits for the disk, and
//! a batch shares one commit among the posts that arrive together (bench/README.md). Timestamps are
//! `timestamptz(3)` and leave as the API's text through `api_timestamp()` (first migration), so both
//! rooms answer the very same JSON.
//!
//! The offline query cache (`.sqlx/`) names each query's file after a hash of its SQL text alone, not
//! of its backend: a query whose text is the same as the SQLite room's would share its file, and one
//! of the two would be checked against the wrong database. The few statements that read the same in
//! both end in a `-- PostgreSQL` comment to tell them apart (scripts/sqlx-prepare.sh checks for this).

mod lost_connections;
mod write_limit;

use std::{net::IpAddr, str::FromStr, sync::Arc};

use sqlx::{
    Connection, PgPool, Postgres, Transaction,
    postgres::{PgConnectOptions, PgPoolOptions},
};

use super::{
    CachedTrivia, DeliveryOutcome, OpenError, PostChange, PostComment, WriteAllowance, WriteLimit,
    copy::{CommentRow, DeliveryRow, PostRow, TriviaRow},
    post_batch::{InsertPosts, PostBatcher},
};
use crate::{
    config::DatabaseConfig,
    model::{Comment, CommentId, Post, PostId, PostSummary, ValidComment, ValidPost},
};
use lost_connections::LostConnections;

/// The database: a pool of connections. Cheap to clone (shared handles).
#[derive(Clone, Debug)]
pub struct Db {
    pool: PgPool,
    /// When a statement last found its connection lost (see `lost_connections.rs`).
    lost: Arc<LostConnections>,
    /// New posts, saved in batches through the pool (see `db/post_batch.rs`).
    posts: PostBatcher,
    /// When this instance last swept the rate limit's table.
    sweeps: Arc<write_limit::Sweeps>,
}

impl Db {
    /// Connects (within `DATABASE_TIMEOUT_MS`) and brings the schema up to date.
    pub async fn open(config: &DatabaseConfig) -> Result<Self, OpenError> {
        let options = PgConnectOptions::from_str(config.url.as_str())
            .map_err(|source| OpenError::Url {
                backend: "PostgreSQL",
                source,
            })?
            .application_name(env!("CARGO_PKG_NAME"));
        let lost = Arc::new(LostConnections::new());
        let check = Arc::clone(&lost);
        let pool = PgPoolOptions::new()
            .max_connections(config.max_connections.get())
            .acquire_timeout(config.timeout)
            .test_before_acquire(false)
            .before_acquire(move |connection, meta| {
                let must_check = check.must_check(meta.idle_for);
                Box::pin(async move {
                    if must_check {
                        connection.ping().await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(options)
            .await
            .map_err(OpenError::Connect)?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(Self {
            posts: PostBatcher::start(PostWriter {
                pool: pool.clone(),
                lost: Arc::clone(&lost),
            }),
            pool,
            lost,
            sweeps: Arc::default(),
        })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        self.lost
            .read(|| async { self.pool.acquire().await?.ping().await })
            .await
    }

    /// Posts that arrive together are saved together (see `db/post_batch.rs`).
    pub async fn create_post(&self, post: &ValidPost) -> Result<PostId, sqlx::Error> {
        self.posts.create(post.clone()).await
    }

    /// Up to `fetch` posts with an id below `before`, newest first.
    pub async fn list_posts(
        &self,
        drafts: bool,
        before: i64,
        fetch: i64,
    ) -> Result<Vec<PostSummary>, sqlx::Error> {
        self.lost.read(|| sqlx::query_as!(
            PostSummary,
            r#"SELECT p.id AS "id: PostId", p.title, p.body, api_timestamp(p.created_at) AS "created_at!",
                      p.draft, (SELECT COUNT(*) FROM comments c WHERE c.post_id = p.id) AS "comment_count!"
               FROM posts p
               WHERE p.id < $1 AND (NOT p.draft OR $2)
               ORDER BY p.id DESC
               LIMIT $3"#,
            before,
            drafts,
            fetch,
        )
        .fetch_all(&self.pool)).await
    }

    pub async fn get_post(&self, drafts: bool, id: PostId) -> Result<Option<Post>, sqlx::Error> {
        self.lost.read(|| sqlx::query_as!(
            Post,
            r#"SELECT id AS "id: PostId", title, body, api_timestamp(created_at) AS "created_at!", draft
               FROM posts WHERE id = $1 AND (NOT draft OR $2)"#,
            id as PostId,
            drafts,
        )
        .fetch_optional(&self.pool)).await
    }

    /// Up to `fetch` comments of the post with an id above `after`, oldest first (see
    /// `PostComment`). The page is taken inside a `LATERAL` subquery, which walks the
    /// `comments_by_post` index and stops after it: a plain `LEFT JOIN … LIMIT` had the planner read
    /// and sort every comment of the post (60 ms for 50 000).
    pub async fn list_comments(
        &self,
        drafts: bool,
        post: PostId,
        after: i64,
        fetch: i64,
    ) -> Result<Vec<PostComment>, sqlx::Error> {
        self.lost.read(|| sqlx::query_as!(
            PostComment,
            r#"SELECT c.id AS "id?: CommentId", c.body AS "comment?", api_timestamp(c.created_at) AS "created_at?"
               FROM posts p LEFT JOIN LATERAL (
                   SELECT id, body, created_at FROM comments
                   WHERE post_id = p.id AND id > $2
                   ORDER BY id
                   LIMIT $4
               ) c ON true
               WHERE p.id = $1 AND (NOT p.draft OR $3)
               ORDER BY c.id"#,
            post as PostId,
            after,
            drafts,
            fetch,
        )
        .fetch_all(&self.pool)).await
    }

    pub async fn count_comments(&self, post: PostId) -> Result<i64, sqlx::Error> {
        self.lost
            .read(|| {
                sqlx::query_scalar!(
                    r#"SELECT COUNT(*) AS "count!" FROM comments WHERE post_id = $1"#,
                    post as PostId,
                )
                .fetch_one(&self.pool)
            })
            .await
    }

    pub async fn add_comment(
        &self,
        drafts: bool,
        post: PostId,
        comment: &ValidComment,
    ) -> Result<Option<Comment>, sqlx::Error> {
        // The existence check is part of the insert, as in the SQLite room. Unlike there, another
        // instance may delete the post between this statement's read and its write: the foreign key
        // then refuses the comment, which is the same answer as "no such post".
        let added = sqlx::query_as!(
            Comment,
            r#"INSERT INTO comments (post_id, body)
               SELECT id, $2 FROM posts WHERE id = $1 AND (NOT draft OR $3)
               RETURNING id AS "id: CommentId", body AS comment, api_timestamp(created_at) AS "created_at!""#,
            post as PostId,
            comment.body,
            drafts,
        )
        .fetch_optional(&self.pool)
        .await;
        match self.lost.noting(added) {
            Err(sqlx::Error::Database(error)) if error.is_foreign_key_violation() => Ok(None),
            added => added,
        }
    }

    /// A delivery another instance is applying at the same moment waits for that transaction: if it
    /// commits, this one finds the id and answers "replayed"; if it rolls back, this one applies.
    pub async fn apply_delivery(
        &self,
        delivery: &str,
        post: PostId,
        change: PostChange,
    ) -> Result<DeliveryOutcome, sqlx::Error> {
        let applied = self.apply_delivery_once(delivery, post, change).await;
        self.lost.noting(applied)
    }

    async fn apply_delivery_once(
        &self,
        delivery: &str,
        post: PostId,
        change: PostChange,
    ) -> Result<DeliveryOutcome, sqlx::Error> {
        let mut transaction = self.pool.begin().await?;
        let first_time = sqlx::query!(
            "INSERT INTO webhook_deliveries (id) VALUES ($1) ON CONFLICT (id) DO NOTHING -- PostgreSQL",
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
                sqlx::query!(
                    "UPDATE posts SET draft = false WHERE id = $1",
                    post as PostId
                )
                .execute(&mut *transaction)
                .await?
            }
            PostChange::Delete => {
                sqlx::query!(
                    "DELETE FROM posts WHERE id = $1 -- PostgreSQL",
                    post as PostId
                )
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

    pub async fn cached_trivia(&self, number: i64) -> Result<Option<CachedTrivia>, sqlx::Error> {
        self.lost
            .read(|| {
                sqlx::query_as!(
                    CachedTrivia,
                    r#"SELECT text, EXTRACT(EPOCH FROM now() - fetched_at)::bigint AS "age_seconds!"
               FROM trivia_cache WHERE number = $1"#,
                    number,
                )
                .fetch_optional(&self.pool)
            })
            .await
    }

    /// The answer and the eviction of the oldest fetches past `max_entries` in one statement, so in
    /// one transaction. Every part of it sees the table as it was before, so the count leaves out
    /// `number`, which is there after it whether it was new or not, and which never goes.
    pub async fn cache_trivia(
        &self,
        number: i64,
        text: &str,
        max_entries: i64,
    ) -> Result<(), sqlx::Error> {
        let cached = sqlx::query!(
            r#"WITH kept AS (
                   INSERT INTO trivia_cache (number, text, fetched_at) VALUES ($1, $2, now())
                   ON CONFLICT (number) DO UPDATE SET text = excluded.text, fetched_at = excluded.fetched_at
               )
               DELETE FROM trivia_cache WHERE number IN (
                   SELECT number FROM trivia_cache WHERE number <> $1
                   ORDER BY fetched_at, number
                   LIMIT GREATEST(0, (SELECT COUNT(*) FROM trivia_cache WHERE number <> $1) + 1 - $3))"#,
            number,
            text,
            max_entries,
        )
        .execute(&self.pool)
        .await;
        self.lost.noting(cached).map(drop)
    }

    /// In the shared table, so that every instance counts against the same allowance.
    pub async fn count_write(
        &self,
        address: IpAddr,
        limit: WriteLimit,
    ) -> Result<WriteAllowance, sqlx::Error> {
        let counted = write_limit::count(&self.pool, &self.sweeps, address, limit).await;
        self.lost.noting(counted)
    }

    /// Starts copying into this database (`copy-db`): in one transaction, which first checks that
    /// the tables are empty and keeps every other writer out until it commits.
    pub async fn begin_import(&self) -> Result<Import, ImportRefused> {
        let mut transaction = self.pool.begin().await?;
        sqlx::query!(
            "LOCK TABLE posts, comments, webhook_deliveries, trivia_cache IN EXCLUSIVE MODE"
        )
        .execute(&mut *transaction)
        .await?;
        let sizes = sqlx::query!(
            r#"SELECT (SELECT COUNT(*) FROM posts) AS "posts!",
                      (SELECT COUNT(*) FROM comments) AS "comments!",
                      (SELECT COUNT(*) FROM webhook_deliveries) AS "deliveries!",
                      (SELECT COUNT(*) FROM trivia_cache) AS "trivia!""#
        )
        .fetch_one(&mut *transaction)
        .await?;
        let sizes = [sizes.posts, sizes.comments, sizes.deliveries, sizes.trivia];
        if sizes.iter().any(|&rows| rows > 0) {
            return Err(ImportRefused::NotEmpty(sizes));
        }
        Ok(Import { transaction })
    }
}

/// A batch of posts through the pool; a connection found lost is recorded (`lost_connections.rs`).
impl InsertPosts for PostWriter {
    async fn insert(&self, posts: &[ValidPost]) -> Result<Vec<PostId>, sqlx::Error> {
        let inserted = self.insert_once(posts).await;
        self.lost.noting(inserted)
    }
}

/// What the post batcher saves through: the pool, and where a lost connection is recorded.
struct PostWriter {
    pool: PgPool,
    lost: Arc<LostConnections>,
}

impl PostWriter {
    /// A batch of posts in one statement, each column as one array.
    ///
    /// The rows of a multi-row `INSERT … RETURNING` come back in no order PostgreSQL promises, so
    /// the ids are drawn first, each next to its post's place in the batch (`WITH ORDINALITY`), and
    /// the statement answers those pairs: the mapping holds by construction, not by the order of
    /// rows. `MATERIALIZED` makes the ids drawn once, for the insert and the answer alike; a
    /// data-modifying `WITH` always runs to completion, read or not.
    async fn insert_once(&self, posts: &[ValidPost]) -> Result<Vec<PostId>, sqlx::Error> {
        let titles: Vec<&str> = posts.iter().map(|post| post.title.as_str()).collect();
        let bodies: Vec<&str> = posts.iter().map(|post| post.body.as_str()).collect();
        let drafts: Vec<bool> = posts.iter().map(|post| post.draft).collect();
        let saved = sqlx::query!(
            r#"WITH new AS MATERIALIZED (
                   SELECT nextval(pg_get_serial_sequence('posts', 'id')) AS id, title, body, draft, place
                   FROM UNNEST($1::text[], $2::text[], $3::boolean[])
                        WITH ORDINALITY AS post (title, body, draft, place)
               ), inserted AS (
                   INSERT INTO posts (id, title, body, draft) OVERRIDING SYSTEM VALUE
                   SELECT id, title, body, draft FROM new
               )
               SELECT place AS "place!", id AS "id!: PostId" FROM new"#,
            &titles as &[&str],
            &bodies as &[&str],
            &drafts,
        )
        .fetch_all(&self.pool)
        .await?;
        let mut ids = vec![None; posts.len()];
        for row in saved {
            let place = usize::try_from(row.place - 1).ok();
            if let Some(slot) = place.and_then(|place| ids.get_mut(place)) {
                *slot = Some(row.id);
            }
        }
        ids.into_iter()
            .collect::<Option<Vec<PostId>>>()
            .ok_or_else(|| sqlx::Error::Protocol("a saved post came back without its id".into()))
    }
}

/// Why `copy-db` may not write into this database.
#[derive(Debug)]
pub enum ImportRefused {
    /// Rows already there: posts, comments, deliveries, cached trivia.
    NotEmpty([i64; 4]),
    Failed(sqlx::Error),
}

impl From<sqlx::Error> for ImportRefused {
    fn from(error: sqlx::Error) -> Self {
        Self::Failed(error)
    }
}

/// A copy into this database under way: rows go in with their ids and timestamps; nothing is
/// visible to others until [`Import::finish`], and nothing at all if it is dropped before.
pub struct Import {
    transaction: Transaction<'static, Postgres>,
}

impl Import {
    /// One statement per call: the rows travel as one array per column.
    pub async fn posts(&mut self, rows: &[PostRow]) -> Result<(), sqlx::Error> {
        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        let titles: Vec<&str> = rows.iter().map(|row| row.title.as_str()).collect();
        let bodies: Vec<&str> = rows.iter().map(|row| row.body.as_str()).collect();
        let created: Vec<&str> = rows.iter().map(|row| row.created_at.as_str()).collect();
        let drafts: Vec<bool> = rows.iter().map(|row| row.draft).collect();
        sqlx::query!(
            r#"INSERT INTO posts (id, title, body, created_at, draft) OVERRIDING SYSTEM VALUE
               SELECT id, title, body, created_at::timestamptz, draft
               FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::boolean[])
                    AS row (id, title, body, created_at, draft)"#,
            &ids,
            &titles as &[&str],
            &bodies as &[&str],
            &created as &[&str],
            &drafts,
        )
        .execute(&mut *self.transaction)
        .await
        .map(drop)
    }

    pub async fn comments(&mut self, rows: &[CommentRow]) -> Result<(), sqlx::Error> {
        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        let posts: Vec<i64> = rows.iter().map(|row| row.post_id).collect();
        let bodies: Vec<&str> = rows.iter().map(|row| row.body.as_str()).collect();
        let created: Vec<&str> = rows.iter().map(|row| row.created_at.as_str()).collect();
        sqlx::query!(
            r#"INSERT INTO comments (id, post_id, body, created_at) OVERRIDING SYSTEM VALUE
               SELECT id, post_id, body, created_at::timestamptz
               FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[])
                    AS row (id, post_id, body, created_at)"#,
            &ids,
            &posts,
            &bodies as &[&str],
            &created as &[&str],
        )
        .execute(&mut *self.transaction)
        .await
        .map(drop)
    }

    pub async fn deliveries(&mut self, rows: &[DeliveryRow]) -> Result<(), sqlx::Error> {
        let ids: Vec<&str> = rows.iter().map(|row| row.id.as_str()).collect();
        let received: Vec<&str> = rows.iter().map(|row| row.received_at.as_str()).collect();
        sqlx::query!(
            r#"INSERT INTO webhook_deliveries (id, received_at)
               SELECT id, received_at::timestamptz
               FROM UNNEST($1::text[], $2::text[]) AS row (id, received_at)"#,
            &ids as &[&str],
            &received as &[&str],
        )
        .execute(&mut *self.transaction)
        .await
        .map(drop)
    }

    pub async fn trivia(&mut self, rows: &[TriviaRow]) -> Result<(), sqlx::Error> {
        let numbers: Vec<i64> = rows.iter().map(|row| row.number).collect();
        let texts: Vec<&str> = rows.iter().map(|row| row.text.as_str()).collect();
        let fetched: Vec<i64> = rows.iter().map(|row| row.fetched_at).collect();
        sqlx::query!(
            r#"INSERT INTO trivia_cache (number, text, fetched_at)
               SELECT number, text, to_timestamp(fetched_at)
               FROM UNNEST($1::bigint[], $2::text[], $3::bigint[]) AS row (number, text, fetched_at)"#,
            &numbers,
            &texts as &[&str],
            &fetched,
        )
        .execute(&mut *self.transaction)
        .await
        .map(drop)
    }

    /// Moves the identity sequences past the copied ids, so that the next post or comment gets the
    /// next id, then commits.
    pub async fn finish(mut self) -> Result<(), sqlx::Error> {
        sqlx::query!(
            "SELECT setval(pg_get_serial_sequence('posts', 'id'), GREATEST(MAX(id), 1), MAX(id) IS NOT NULL) FROM posts"
        )
        .fetch_one(&mut *self.transaction)
        .await?;
        sqlx::query!(
            "SELECT setval(pg_get_serial_sequence('comments', 'id'), GREATEST(MAX(id), 1), MAX(id) IS NOT NULL) FROM comments"
        )
        .fetch_one(&mut *self.transaction)
        .await?;
        self.transaction.commit().await
    }
}
