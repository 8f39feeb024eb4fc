//! PostgreSQL's side of `copy-db` (`db/copy.rs`): rows written with their own ids and timestamps,
//! in one transaction that first checks the tables are empty and keeps other writers out.

use sqlx::{Postgres, Transaction};

use super::Db;
use crate::db::{
    Error,
    rows::{CommentRow, DeliveryRow, PostRow, SessionRow, TokenRow, TriviaRow, UserRow},
};

impl Db {
    pub async fn begin_import(&self) -> Result<Import, ImportRefused> {
        let mut transaction = self.pool.begin().await?;
        sqlx::query!(
            "LOCK TABLE posts, comments, webhook_deliveries, trivia_cache, users, sessions, api_tokens IN EXCLUSIVE MODE"
        )
        .execute(&mut *transaction)
        .await?;
        let sizes = sqlx::query!(
            r#"SELECT (SELECT COUNT(*) FROM posts) AS "posts!",
                      (SELECT COUNT(*) FROM comments) AS "comments!",
                      (SELECT COUNT(*) FROM webhook_deliveries) AS "deliveries!",
                      (SELECT COUNT(*) FROM trivia_cache) AS "trivia!",
                      (SELECT COUNT(*) FROM users) AS "users!""#
        )
        .fetch_one(&mut *transaction)
        .await?;
        let sizes = [
            sizes.posts,
            sizes.comments,
            sizes.deliveries,
            sizes.trivia,
            sizes.users,
        ];
        if sizes.iter().any(|&rows| rows > 0) {
            return Err(ImportRefused::NotEmpty(sizes));
        }
        Ok(Import { transaction })
    }
}

#[derive(Debug)]
pub enum ImportRefused {
    /// Rows already there: posts, comments, deliveries, cached trivia, users (sessions and tokens
    /// need a user).
    NotEmpty([i64; 5]),
    Failed(Error),
}

impl From<sqlx::Error> for ImportRefused {
    fn from(error: sqlx::Error) -> Self {
        Self::Failed(error.into())
    }
}

/// Nothing is visible until [`Import::finish`], nor at all if dropped before.
pub struct Import {
    transaction: Transaction<'static, Postgres>,
}

impl Import {
    pub async fn posts(&mut self, rows: &[PostRow]) -> Result<(), Error> {
        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        let titles: Vec<&str> = rows.iter().map(|row| row.title.as_str()).collect();
        let bodies: Vec<&str> = rows.iter().map(|row| row.body.as_str()).collect();
        let created: Vec<&str> = rows.iter().map(|row| row.created_at.as_str()).collect();
        let drafts: Vec<bool> = rows.iter().map(|row| row.draft).collect();
        let authors: Vec<Option<i64>> = rows.iter().map(|row| row.author_id).collect();
        sqlx::query!(
            r#"INSERT INTO posts (id, title, body, created_at, draft, author_id) OVERRIDING SYSTEM VALUE
               SELECT id, title, body, created_at::timestamptz, draft, author_id
               FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::bigint[])
                    AS row (id, title, body, created_at, draft, author_id)"#,
            &ids,
            &titles as &[&str],
            &bodies as &[&str],
            &created as &[&str],
            &drafts,
            &authors as &[Option<i64>],
        )
        .execute(&mut *self.transaction)
        .await?;
        Ok(())
    }

    pub async fn comments(&mut self, rows: &[CommentRow]) -> Result<(), Error> {
        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        let posts: Vec<i64> = rows.iter().map(|row| row.post_id).collect();
        let bodies: Vec<&str> = rows.iter().map(|row| row.body.as_str()).collect();
        let created: Vec<&str> = rows.iter().map(|row| row.created_at.as_str()).collect();
        let authors: Vec<Option<i64>> = rows.iter().map(|row| row.author_id).collect();
        sqlx::query!(
            r#"INSERT INTO comments (id, post_id, body, created_at, author_id) OVERRIDING SYSTEM VALUE
               SELECT id, post_id, body, created_at::timestamptz, author_id
               FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[])
                    AS row (id, post_id, body, created_at, author_id)"#,
            &ids,
            &posts,
            &bodies as &[&str],
            &created as &[&str],
            &authors as &[Option<i64>],
        )
        .execute(&mut *self.transaction)
        .await?;
        Ok(())
    }

    pub async fn deliveries(&mut self, rows: &[DeliveryRow]) -> Result<(), Error> {
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
        .await?;
        Ok(())
    }

    pub async fn trivia(&mut self, rows: &[TriviaRow]) -> Result<(), Error> {
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
        .await?;
        Ok(())
    }

    pub async fn users(&mut self, rows: &[UserRow]) -> Result<(), Error> {
        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        let names: Vec<&str> = rows.iter().map(|row| row.username.as_str()).collect();
        let keys: Vec<&str> = rows.iter().map(|row| row.username_key.as_str()).collect();
        let hashes: Vec<&str> = rows.iter().map(|row| row.password_hash.as_str()).collect();
        let created: Vec<&str> = rows.iter().map(|row| row.created_at.as_str()).collect();
        sqlx::query!(
            r#"INSERT INTO users (id, username, username_key, password_hash, created_at) OVERRIDING SYSTEM VALUE
               SELECT id, username, username_key, password_hash, created_at::timestamptz
               FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[])
                    AS row (id, username, username_key, password_hash, created_at)"#,
            &ids,
            &names as &[&str],
            &keys as &[&str],
            &hashes as &[&str],
            &created as &[&str],
        )
        .execute(&mut *self.transaction)
        .await?;
        Ok(())
    }

    pub async fn sessions(&mut self, rows: &[SessionRow]) -> Result<(), Error> {
        let hashes: Vec<Vec<u8>> = rows.iter().map(|row| row.id_hash.clone()).collect();
        let users: Vec<i64> = rows.iter().map(|row| row.user_id).collect();
        let expiries: Vec<i64> = rows.iter().map(|row| row.expires_at).collect();
        let created: Vec<&str> = rows.iter().map(|row| row.created_at.as_str()).collect();
        sqlx::query!(
            r#"INSERT INTO sessions (id_hash, user_id, expires_at, created_at)
               SELECT id_hash, user_id, expires_at, created_at::timestamptz
               FROM UNNEST($1::bytea[], $2::bigint[], $3::bigint[], $4::text[])
                    AS row (id_hash, user_id, expires_at, created_at)"#,
            &hashes,
            &users,
            &expiries,
            &created as &[&str],
        )
        .execute(&mut *self.transaction)
        .await?;
        Ok(())
    }

    pub async fn tokens(&mut self, rows: &[TokenRow]) -> Result<(), Error> {
        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        let users: Vec<i64> = rows.iter().map(|row| row.user_id).collect();
        let hashes: Vec<Vec<u8>> = rows.iter().map(|row| row.token_hash.clone()).collect();
        let created: Vec<&str> = rows.iter().map(|row| row.created_at.as_str()).collect();
        let used: Vec<Option<&str>> = rows.iter().map(|row| row.last_used_at.as_deref()).collect();
        sqlx::query!(
            r#"INSERT INTO api_tokens (id, user_id, token_hash, created_at, last_used_at) OVERRIDING SYSTEM VALUE
               SELECT id, user_id, token_hash, created_at::timestamptz, last_used_at::timestamptz
               FROM UNNEST($1::bigint[], $2::bigint[], $3::bytea[], $4::text[], $5::text[])
                    AS row (id, user_id, token_hash, created_at, last_used_at)"#,
            &ids,
            &users,
            &hashes,
            &created as &[&str],
            &used as &[Option<&str>],
        )
        .execute(&mut *self.transaction)
        .await?;
        Ok(())
    }

    /// Moves the identity sequences past the copied ids, then commits.
    pub async fn finish(mut self) -> Result<(), Error> {
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
        sqlx::query!(
            "SELECT setval(pg_get_serial_sequence('users', 'id'), GREATEST(MAX(id), 1), MAX(id) IS NOT NULL) FROM users"
        )
        .fetch_one(&mut *self.transaction)
        .await?;
        sqlx::query!(
            "SELECT setval(pg_get_serial_sequence('api_tokens', 'id'), GREATEST(MAX(id), 1), MAX(id) IS NOT NULL) FROM api_tokens"
        )
        .fetch_one(&mut *self.transaction)
        .await?;
        Ok(self.transaction.commit().await?)
    }
}
