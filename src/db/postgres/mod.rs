//! The PostgreSQL room: several instances over one database server (or a Postgres-wire one). What
//! instances must agree on lives in the database: the write rate limit, webhook deliveries, the
//! trivia cache. Timestamps leave as the API's text through `api_timestamp()` (first migration).
//! `.sqlx/` names a query by its SQL text alone, so statements that read as SQLite's do end in a
//! `-- PostgreSQL` comment (scripts/sqlx-prepare.sh checks this).

mod accounts;
mod idempotent;
mod import;
mod listener;
pub mod lost_connections;
mod write_limit;

pub use import::ImportRefused;

use std::{net::IpAddr, str::FromStr, sync::Arc, time::Instant};

use tokio::sync::broadcast;

use sqlx::{
    Connection, PgConnection, PgPool, Postgres,
    pool::PoolConnection,
    postgres::{PgConnectOptions, PgPoolOptions},
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
    telemetry::metrics as telemetry,
};
use lost_connections::LostConnections;

#[derive(Clone, Debug)]
pub struct Db {
    pool: PgPool,
    lost: Arc<LostConnections>,
    posts: PostBatcher,
    /// Write allowances whose time has passed (`write_limit.rs`).
    sweeps: Arc<Sweeps>,
    /// Expired idempotency keys (`idempotent.rs`).
    key_sweeps: Arc<Sweeps>,
    url: DatabaseUrl,
    comments: Feed,
    /// The listener's pool of one, once the server or the first follower started it.
    listening: Arc<tokio::sync::OnceCell<PgPool>>,
    /// Live sessions, for what pages show: on while the listener hears every instance's sign-outs.
    sessions: SessionCache,
}

impl Db {
    /// A connection from the pool, how long it took in the metrics, and whether none was free
    /// (no-ops without `METRICS_ADDR`). Every query takes its connection here.
    async fn connection(&self) -> Result<PoolConnection<Postgres>, sqlx::Error> {
        if !telemetry::on() {
            return self.pool.acquire().await;
        }
        let started = Instant::now();
        let none_free = self.pool.num_idle() == 0;
        let connection = self.pool.acquire().await;
        if none_free {
            metrics::counter!(telemetry::DB_POOL_WAITS, "pool" => "postgres").increment(1);
        }
        metrics::histogram!(telemetry::DB_POOL_ACQUIRE, "pool" => "postgres")
            .record(started.elapsed().as_secs_f64());
        connection
    }

    async fn apply_delivery_once(
        &self,
        delivery: &str,
        post: PostId,
        change: PostChange,
    ) -> Result<DeliveryOutcome, sqlx::Error> {
        let mut connection = self.connection().await?;
        let mut transaction = connection.begin().await?;
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
}

impl Db {
    /// `FOR UPDATE` locks the row until the transaction ends: a concurrent edit (through any
    /// instance) waits here, then reads what this one wrote.
    async fn post_to_edit(
        transaction: &mut sqlx::PgConnection,
        drafts: bool,
        id: PostId,
    ) -> Result<Option<PostToEdit>, sqlx::Error> {
        sqlx::query_as!(
            PostToEdit,
            r#"SELECT p.id AS "id: PostId", p.title, p.body, api_timestamp(p.created_at) AS "created_at!",
                      p.draft, u.username AS "author?", p.author_id AS "author_id?"
               FROM posts p LEFT JOIN users u ON u.id = p.author_id
               WHERE p.id = $1 AND (NOT p.draft OR $2)
               FOR UPDATE OF p"#,
            id as PostId,
            drafts,
        )
        .fetch_optional(transaction)
        .await
    }

    async fn update_post_once(
        &self,
        drafts: bool,
        id: PostId,
        patch: &ValidPatch,
        check: &EditCheck,
    ) -> Result<Edited<Post>, sqlx::Error> {
        let mut transaction = self.pool.begin().await?;
        let row = Self::post_to_edit(&mut transaction, drafts, id).await?;
        let post = match check.patched(row, patch, drafts) {
            Ok(post) => post,
            Err(refused) => return Ok(refused),
        };
        sqlx::query!(
            "UPDATE posts SET title = $2, body = $3 WHERE id = $1 -- PostgreSQL",
            id as PostId,
            post.title,
            post.body,
        )
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(Edited::Done(post))
    }

    async fn delete_post_once(
        &self,
        drafts: bool,
        id: PostId,
        check: &EditCheck,
    ) -> Result<Edited<()>, sqlx::Error> {
        let mut transaction = self.pool.begin().await?;
        let row = Self::post_to_edit(&mut transaction, drafts, id).await?;
        if let Err(refused) = check.deletion(row, drafts) {
            return Ok(refused);
        }
        // `ON DELETE CASCADE` takes its comments in the same statement.
        sqlx::query!(
            "DELETE FROM posts WHERE id = $1 AND author_id = $2 -- PostgreSQL",
            id as PostId,
            check.editor.0,
        )
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(Edited::Done(()))
    }
}

impl Store for Db {
    async fn open(config: &DatabaseConfig) -> Result<Self, OpenError> {
        let options = connect_options(config.url.as_str()).map_err(|source| OpenError::Url {
            backend: "PostgreSQL",
            source: source.into(),
        })?;
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
            .map_err(OpenError::connect)?;
        migrate(&pool, config.migration_url.as_ref()).await?;
        Ok(Self {
            posts: PostBatcher::start(PostWriter {
                pool: pool.clone(),
                lost: Arc::clone(&lost),
            }),
            pool,
            lost,
            sweeps: Arc::default(),
            key_sweeps: Arc::default(),
            url: config.url.clone(),
            comments: Feed::default(),
            listening: Arc::default(),
            sessions: SessionCache::new(false),
        })
    }

    async fn close(&self) {
        if let Some(listening) = self.listening.get() {
            listening.close().await;
        }
        self.pool.close().await;
    }

    fn record_pool_metrics(&self) {
        metrics::gauge!(telemetry::DB_POOL_SIZE, "pool" => "postgres").set(self.pool.size());
        metrics::gauge!(telemetry::DB_POOL_IDLE, "pool" => "postgres")
            .set(self.pool.num_idle() as f64);
    }

    async fn ping(&self) -> Result<(), Error> {
        let ping = || async { self.connection().await?.ping().await };
        Ok(self.lost.read(ping).await?)
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
        let updated = self.update_post_once(drafts, id, patch, check).await;
        Ok(self.lost.noting(updated)?)
    }

    async fn delete_post(
        &self,
        drafts: bool,
        id: PostId,
        check: &EditCheck,
    ) -> Result<Edited<()>, Error> {
        let deleted = self.delete_post_once(drafts, id, check).await;
        Ok(self.lost.noting(deleted)?)
    }

    async fn list_posts(
        &self,
        drafts: bool,
        before: i64,
        fetch: i64,
    ) -> Result<Vec<PostSummary>, Error> {
        Ok(self.lost.read(|| async { sqlx::query_as!(
            PostSummary,
            r#"SELECT p.id AS "id: PostId", p.title, p.body, api_timestamp(p.created_at) AS "created_at!",
                      p.draft, (SELECT COUNT(*) FROM comments c WHERE c.post_id = p.id) AS "comment_count!",
                      u.username AS "author?"
               FROM posts p LEFT JOIN users u ON u.id = p.author_id
               WHERE p.id < $1 AND (NOT p.draft OR $2)
               ORDER BY p.id DESC
               LIMIT $3"#,
            before,
            drafts,
            fetch,
        )
        .fetch_all(&mut *self.connection().await?).await }).await?)
    }

    async fn get_post(&self, drafts: bool, id: PostId) -> Result<Option<Post>, Error> {
        Ok(self.lost.read(|| async { sqlx::query_as!(
            Post,
            r#"SELECT p.id AS "id: PostId", p.title, p.body, api_timestamp(p.created_at) AS "created_at!",
                      p.draft, u.username AS "author?"
               FROM posts p LEFT JOIN users u ON u.id = p.author_id
               WHERE p.id = $1 AND (NOT p.draft OR $2)"#,
            id as PostId,
            drafts,
        )
        .fetch_optional(&mut *self.connection().await?).await }).await?)
    }

    /// `LATERAL` walks the `comments_by_post` index and stops after the page: a plain
    /// `LEFT JOIN … LIMIT` read and sorted every comment of the post (60 ms for 50 000).
    async fn list_comments(
        &self,
        drafts: bool,
        post: PostId,
        after: i64,
        fetch: i64,
    ) -> Result<Vec<PostComment>, Error> {
        Ok(self.lost.read(|| async { sqlx::query_as!(
            PostComment,
            r#"SELECT c.id AS "id?: CommentId", c.body AS "comment?", api_timestamp(c.created_at) AS "created_at?",
                      u.username AS "author?"
               FROM posts p LEFT JOIN LATERAL (
                   SELECT id, body, created_at, author_id FROM comments
                   WHERE post_id = p.id AND id > $2
                   ORDER BY id
                   LIMIT $4
               ) c ON true
               LEFT JOIN users u ON u.id = c.author_id
               WHERE p.id = $1 AND (NOT p.draft OR $3)
               ORDER BY c.id"#,
            post as PostId,
            after,
            drafts,
            fetch,
        )
        .fetch_all(&mut *self.connection().await?).await }).await?)
    }

    async fn count_comments(&self, post: PostId) -> Result<i64, Error> {
        let count = || async {
            sqlx::query_scalar!(
                r#"SELECT COUNT(*) AS "count!" FROM comments WHERE post_id = $1"#,
                post as PostId,
            )
            .fetch_one(&mut *self.connection().await?)
            .await
        };
        Ok(self.lost.read(count).await?)
    }

    async fn last_comment_id(
        &self,
        drafts: bool,
        post: PostId,
    ) -> Result<Option<Option<i64>>, Error> {
        Ok(self
            .lost
            .read(|| {
                sqlx::query_scalar!(
                    r#"SELECT (SELECT MAX(c.id) FROM comments c WHERE c.post_id = p.id) AS "last?"
               FROM posts p WHERE p.id = $1 AND (NOT p.draft OR $2)"#,
                    post as PostId,
                    drafts,
                )
                .fetch_optional(&self.pool)
            })
            .await?)
    }

    /// Subscribed before the listener starts, so nothing it passes on is missed.
    async fn listen(&self, listen_url: Option<&DatabaseUrl>) -> Result<(), Error> {
        let url = listen_url.unwrap_or(&self.url).as_str();
        self.listening
            .get_or_try_init(|| async {
                let pool = listener::pool(url, self.pool.options().get_acquire_timeout())?;
                listener::start(pool.clone(), self.comments.clone(), self.sessions.clone()).await?;
                Ok::<_, sqlx::Error>(pool)
            })
            .await?;
        Ok(())
    }

    async fn follow_comments(
        &self,
        listen_url: Option<&DatabaseUrl>,
    ) -> Result<broadcast::Receiver<Notice>, Error> {
        let follower = self.comments.follow();
        self.listen(listen_url).await?;
        Ok(follower)
    }

    async fn add_comment(
        &self,
        drafts: bool,
        post: PostId,
        comment: &ValidComment,
        author: Option<UserId>,
    ) -> Result<Option<Comment>, Error> {
        let added = async {
            insert_comment(
                &mut *self.connection().await?,
                drafts,
                post,
                comment,
                author,
            )
            .await
        }
        .await;
        Ok(self.lost.noting(added)?)
    }

    async fn create_post_once(
        &self,
        post: &ValidPost,
        author: Option<UserId>,
        key: &IdempotencyKey,
    ) -> Result<Once<PostId>, Error> {
        let created = Db::create_post_once(self, post, author, key).await;
        Ok(self.lost.noting(created)?)
    }

    async fn add_comment_once(
        &self,
        drafts: bool,
        post: PostId,
        comment: &ValidComment,
        author: Option<UserId>,
        key: &IdempotencyKey,
    ) -> Result<Once<Option<Comment>>, Error> {
        let added = Db::add_comment_once(self, drafts, post, comment, author, key).await;
        Ok(self.lost.noting(added)?)
    }

    /// A concurrent delivery waits for the other: replayed if that commits, applied if not.
    async fn apply_delivery(
        &self,
        delivery: &str,
        post: PostId,
        change: PostChange,
    ) -> Result<DeliveryOutcome, Error> {
        let applied = self.apply_delivery_once(delivery, post, change).await;
        Ok(self.lost.noting(applied)?)
    }

    async fn cached_trivia(&self, number: i64) -> Result<Option<CachedTrivia>, Error> {
        let cached = || async {
            sqlx::query_as!(
                CachedTrivia,
                r#"SELECT text, EXTRACT(EPOCH FROM now() - fetched_at)::bigint AS "age_seconds!"
               FROM trivia_cache WHERE number = $1"#,
                number,
            )
            .fetch_optional(&mut *self.connection().await?)
            .await
        };
        Ok(self.lost.read(cached).await?)
    }

    /// One statement, all of it seeing the table as before: the count leaves out `number`, which
    /// stays either way.
    async fn cache_trivia(&self, number: i64, text: &str, max_entries: i64) -> Result<(), Error> {
        let cached = async {
            sqlx::query!(
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
            .execute(&mut *self.connection().await?)
            .await
        }
        .await;
        self.lost.noting(cached)?;
        Ok(())
    }

    async fn count_write(
        &self,
        address: IpAddr,
        limit: WriteLimit,
    ) -> Result<WriteAllowance, Error> {
        let counted =
            write_limit::count(&self.pool, &self.sweeps, &address.to_string(), limit).await;
        Ok(self.lost.noting(counted)?)
    }
}

/// `extra_float_digits` off: PgBouncer refuses a startup parameter it does not know, and this app
/// reads no floating-point column (`EXTRACT(EPOCH …)` is cast to `bigint`).
pub(super) fn connect_options(url: &str) -> Result<PgConnectOptions, sqlx::Error> {
    Ok(PgConnectOptions::from_str(url)?
        .application_name(env!("CARGO_PKG_NAME"))
        .extra_float_digits(None))
}

/// On `DATABASE_MIGRATION_URL`'s server when set (the migrator's advisory lock needs a session,
/// which a pooler in transaction mode does not keep), else on the pool.
async fn migrate(
    pool: &PgPool,
    migration_url: Option<&crate::config::DatabaseUrl>,
) -> Result<(), OpenError> {
    let migrator = sqlx::migrate!("migrations/postgres");
    let Some(url) = migration_url else {
        return migrator.run(pool).await.map_err(OpenError::migrate);
    };
    let connection = match connect_options(url.as_str()) {
        Ok(options) => sqlx::PgConnection::connect_with(&options).await,
        Err(error) => Err(error),
    };
    let mut connection = connection.map_err(|error| OpenError::MigrationConnect(error.into()))?;
    let migrated = migrator.run(&mut connection).await;
    let _ = connection.close().await;
    migrated.map_err(OpenError::migrate)
}

impl InsertPosts for PostWriter {
    async fn insert(&self, posts: &[NewPostRow]) -> Result<Vec<PostId>, Error> {
        let inserted = self.insert_once(posts).await;
        Ok(self.lost.noting(inserted)?)
    }
}

struct PostWriter {
    pool: PgPool,
    lost: Arc<LostConnections>,
}

impl PostWriter {
    /// `INSERT … RETURNING` promises no row order, so each id is drawn next to its post's place
    /// (`WITH ORDINALITY`) and the statement answers those pairs. `MATERIALIZED` draws the ids
    /// once; a data-modifying `WITH` runs to completion, read or not.
    async fn insert_once(&self, posts: &[NewPostRow]) -> Result<Vec<PostId>, sqlx::Error> {
        let titles: Vec<&str> = posts.iter().map(|row| row.post.title.as_str()).collect();
        let bodies: Vec<&str> = posts.iter().map(|row| row.post.body.as_str()).collect();
        let drafts: Vec<bool> = posts.iter().map(|row| row.post.draft).collect();
        let authors: Vec<Option<i64>> = posts
            .iter()
            .map(|row| row.author.map(|author| author.0))
            .collect();
        let saved = sqlx::query!(
            r#"WITH new AS MATERIALIZED (
                   SELECT nextval(pg_get_serial_sequence('posts', 'id')) AS id, title, body, draft,
                          author_id, place
                   FROM UNNEST($1::text[], $2::text[], $3::boolean[], $4::bigint[])
                        WITH ORDINALITY AS post (title, body, draft, author_id, place)
               ), inserted AS (
                   INSERT INTO posts (id, title, body, draft, author_id) OVERRIDING SYSTEM VALUE
                   SELECT id, title, body, draft, author_id FROM new
               )
               SELECT place AS "place!", id AS "id!: PostId" FROM new"#,
            &titles as &[&str],
            &bodies as &[&str],
            &drafts,
            &authors as &[Option<i64>],
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

/// The one INSERT of a comment, for the plain and the keyed path; `None`: no such post (or a draft
/// the caller may not see). The existence check is part of the insert. Another instance may delete
/// the post between its read and its write: the foreign key then refuses, which means "no such
/// post" too.
async fn insert_comment(
    connection: &mut PgConnection,
    drafts: bool,
    post: PostId,
    comment: &ValidComment,
    author: Option<UserId>,
) -> Result<Option<Comment>, sqlx::Error> {
    let author = author.map(|author| author.0);
    let added = sqlx::query_as!(
        Comment,
        r#"INSERT INTO comments (post_id, body, author_id)
           SELECT id, $2, $4 FROM posts WHERE id = $1 AND (NOT draft OR $3)
           RETURNING id AS "id: CommentId", body AS comment, api_timestamp(created_at) AS "created_at!",
                     (SELECT username FROM users WHERE id = $4) AS "author?""#,
        post as PostId,
        comment.body,
        drafts,
        author,
    )
    .fetch_optional(connection)
    .await;
    match added {
        Err(sqlx::Error::Database(error)) if error.is_foreign_key_violation() => Ok(None),
        added => added,
    }
}
