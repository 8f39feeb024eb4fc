//! The PostgreSQL room: several instances over one database server (or a Postgres-wire one). What
//! instances must agree on lives in the database: the write rate limit, webhook deliveries, the
//! trivia cache. Timestamps leave as the API's text through `api_timestamp()` (first migration).
//! `.sqlx/` names a query by its SQL text alone, so statements that read as SQLite's do end in a
//! `-- PostgreSQL` comment (scripts/sqlx-prepare.sh checks this).

mod accounts;
mod import;
pub mod lost_connections;
mod write_limit;

pub use import::ImportRefused;

use std::{net::IpAddr, str::FromStr, sync::Arc};

use sqlx::{
    Connection, PgPool,
    postgres::{PgConnectOptions, PgPoolOptions},
};

use super::{
    CachedTrivia, DeliveryOutcome, EditCheck, Edited, Error, OpenError, PostChange, WriteAllowance,
    WriteLimit,
    post_batch::{InsertPosts, NewPostRow, PostBatcher},
    rows::{PostComment, PostToEdit},
    store::Store,
};
use crate::{
    config::DatabaseConfig,
    model::{
        Comment, CommentId, Post, PostId, PostSummary, UserId, ValidComment, ValidPatch, ValidPost,
    },
};
use lost_connections::LostConnections;

#[derive(Clone, Debug)]
pub struct Db {
    pool: PgPool,
    lost: Arc<LostConnections>,
    posts: PostBatcher,
    sweeps: Arc<write_limit::Sweeps>,
}

impl Db {
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
        let Some(row) = Self::post_to_edit(&mut transaction, drafts, id).await? else {
            return Ok(Edited::NoSuchPost);
        };
        let (mut post, author) = row.split();
        if let Some(refusal) = check.refusal(&post, author, drafts) {
            return Ok(refusal);
        }
        if let Some(title) = &patch.title {
            post.title.clone_from(title);
        }
        if let Some(body) = &patch.body {
            post.body.clone_from(body);
        }
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
        let Some(row) = Self::post_to_edit(&mut transaction, drafts, id).await? else {
            return Ok(Edited::NoSuchPost);
        };
        let (post, author) = row.split();
        if let Some(refusal) = check.refusal(&post, author, drafts) {
            return Ok(refusal);
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
        let options = PgConnectOptions::from_str(config.url.as_str())
            .map_err(|source| OpenError::Url {
                backend: "PostgreSQL",
                source: source.into(),
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
            .map_err(OpenError::connect)?;
        sqlx::migrate!("migrations/postgres")
            .run(&pool)
            .await
            .map_err(OpenError::migrate)?;
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

    async fn close(&self) {
        self.pool.close().await;
    }

    async fn ping(&self) -> Result<(), Error> {
        let ping = || async { self.pool.acquire().await?.ping().await };
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
        Ok(self.lost.read(|| sqlx::query_as!(
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
        .fetch_all(&self.pool)).await?)
    }

    async fn get_post(&self, drafts: bool, id: PostId) -> Result<Option<Post>, Error> {
        Ok(self.lost.read(|| sqlx::query_as!(
            Post,
            r#"SELECT p.id AS "id: PostId", p.title, p.body, api_timestamp(p.created_at) AS "created_at!",
                      p.draft, u.username AS "author?"
               FROM posts p LEFT JOIN users u ON u.id = p.author_id
               WHERE p.id = $1 AND (NOT p.draft OR $2)"#,
            id as PostId,
            drafts,
        )
        .fetch_optional(&self.pool)).await?)
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
        Ok(self.lost.read(|| sqlx::query_as!(
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
        .fetch_all(&self.pool)).await?)
    }

    async fn count_comments(&self, post: PostId) -> Result<i64, Error> {
        let count = || {
            sqlx::query_scalar!(
                r#"SELECT COUNT(*) AS "count!" FROM comments WHERE post_id = $1"#,
                post as PostId,
            )
            .fetch_one(&self.pool)
        };
        Ok(self.lost.read(count).await?)
    }

    async fn add_comment(
        &self,
        drafts: bool,
        post: PostId,
        comment: &ValidComment,
        author: Option<UserId>,
    ) -> Result<Option<Comment>, Error> {
        let author = author.map(|author| author.0);
        // The existence check is part of the insert. Another instance may delete the post between
        // its read and its write: the foreign key then refuses, which means "no such post" too.
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
        .fetch_optional(&self.pool)
        .await;
        match self.lost.noting(added) {
            Err(sqlx::Error::Database(error)) if error.is_foreign_key_violation() => Ok(None),
            added => Ok(added?),
        }
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
        let cached = || {
            sqlx::query_as!(
                CachedTrivia,
                r#"SELECT text, EXTRACT(EPOCH FROM now() - fetched_at)::bigint AS "age_seconds!"
               FROM trivia_cache WHERE number = $1"#,
                number,
            )
            .fetch_optional(&self.pool)
        };
        Ok(self.lost.read(cached).await?)
    }

    /// One statement, all of it seeing the table as before: the count leaves out `number`, which
    /// stays either way.
    async fn cache_trivia(&self, number: i64, text: &str, max_entries: i64) -> Result<(), Error> {
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
