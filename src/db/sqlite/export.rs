//! SQLite's side of `copy-db` (`db/copy.rs`): every row of each table, in chunks by key, as stored.

use super::Db;
use crate::db::{
    Error,
    rows::{CommentRow, DeliveryRow, PostRow, SessionRow, TokenRow, TriviaRow, UserRow},
};

impl Db {
    pub async fn export_posts(&self, after: i64, limit: i64) -> Result<Vec<PostRow>, Error> {
        Ok(sqlx::query_as!(
            PostRow,
            r#"SELECT id AS "id!: i64", title, body, created_at, draft AS "draft: bool",
                      author_id AS "author_id: i64"
               FROM posts WHERE id > $1 ORDER BY id LIMIT $2"#,
            after,
            limit,
        )
        .fetch_all(&mut *self.reader().await?)
        .await?)
    }

    pub async fn export_comments(&self, after: i64, limit: i64) -> Result<Vec<CommentRow>, Error> {
        Ok(sqlx::query_as!(
            CommentRow,
            r#"SELECT id AS "id!: i64", post_id, body, created_at, author_id AS "author_id: i64"
               FROM comments WHERE id > $1 ORDER BY id LIMIT $2"#,
            after,
            limit,
        )
        .fetch_all(&mut *self.reader().await?)
        .await?)
    }

    pub async fn export_deliveries(
        &self,
        after: &str,
        limit: i64,
    ) -> Result<Vec<DeliveryRow>, Error> {
        Ok(sqlx::query_as!(
            DeliveryRow,
            r#"SELECT id AS "id!: String", received_at
               FROM webhook_deliveries WHERE id > $1 ORDER BY id LIMIT $2"#,
            after,
            limit,
        )
        .fetch_all(&mut *self.reader().await?)
        .await?)
    }

    pub async fn export_trivia(
        &self,
        after: Option<i64>,
        limit: i64,
    ) -> Result<Vec<TriviaRow>, Error> {
        Ok(sqlx::query_as!(
            TriviaRow,
            r#"SELECT number AS "number!: i64", text, fetched_at
               FROM trivia_cache WHERE $1 IS NULL OR number > $1 ORDER BY number LIMIT $2"#,
            after,
            limit,
        )
        .fetch_all(&mut *self.reader().await?)
        .await?)
    }

    pub async fn export_users(&self, after: i64, limit: i64) -> Result<Vec<UserRow>, Error> {
        Ok(sqlx::query_as!(
            UserRow,
            r#"SELECT id AS "id!: i64", username, username_key, password_hash, created_at
               FROM users WHERE id > $1 ORDER BY id LIMIT $2"#,
            after,
            limit,
        )
        .fetch_all(&mut *self.reader().await?)
        .await?)
    }

    /// Live sessions only: an expired one would be swept anyway.
    pub async fn export_sessions(
        &self,
        after: &[u8],
        limit: i64,
        now: i64,
    ) -> Result<Vec<SessionRow>, Error> {
        Ok(sqlx::query_as!(
            SessionRow,
            r#"SELECT id_hash AS "id_hash!: Vec<u8>", user_id, expires_at, created_at
               FROM sessions WHERE id_hash > $1 AND expires_at > $3 ORDER BY id_hash LIMIT $2"#,
            after,
            limit,
            now,
        )
        .fetch_all(&mut *self.reader().await?)
        .await?)
    }

    pub async fn export_tokens(&self, after: i64, limit: i64) -> Result<Vec<TokenRow>, Error> {
        Ok(sqlx::query_as!(
            TokenRow,
            r#"SELECT id AS "id!: i64", user_id, token_hash, created_at, last_used_at
               FROM api_tokens WHERE id > $1 ORDER BY id LIMIT $2"#,
            after,
            limit,
        )
        .fetch_all(&mut *self.reader().await?)
        .await?)
    }

    /// Posts, comments, deliveries, trivia, users, sessions, API tokens.
    pub async fn table_sizes(&self) -> Result<[i64; 7], Error> {
        let sizes = sqlx::query!(
            r#"SELECT (SELECT COUNT(*) FROM posts) AS "posts!: i64",
                      (SELECT COUNT(*) FROM comments) AS "comments!: i64",
                      (SELECT COUNT(*) FROM webhook_deliveries) AS "deliveries!: i64",
                      (SELECT COUNT(*) FROM trivia_cache) AS "trivia!: i64",
                      (SELECT COUNT(*) FROM users) AS "users!: i64",
                      (SELECT COUNT(*) FROM sessions) AS "sessions!: i64",
                      (SELECT COUNT(*) FROM api_tokens) AS "tokens!: i64""#
        )
        .fetch_one(&mut *self.reader().await?)
        .await?;
        Ok([
            sizes.posts,
            sizes.comments,
            sizes.deliveries,
            sizes.trivia,
            sizes.users,
            sizes.sessions,
            sizes.tokens,
        ])
    }
}
