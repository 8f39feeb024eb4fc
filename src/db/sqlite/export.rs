//! SQLite's side of `copy-db` (`db/copy.rs`): every row of each table, in chunks by key, as stored.

use super::Db;
use crate::db::{
    Error,
    rows::{CommentRow, DeliveryRow, PostRow, TriviaRow},
};

impl Db {
    pub async fn export_posts(&self, after: i64, limit: i64) -> Result<Vec<PostRow>, Error> {
        Ok(sqlx::query_as!(
            PostRow,
            r#"SELECT id AS "id!: i64", title, body, created_at, draft AS "draft: bool"
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
            r#"SELECT id AS "id!: i64", post_id, body, created_at
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

    /// Posts, comments, deliveries, trivia.
    pub async fn table_sizes(&self) -> Result<[i64; 4], Error> {
        let sizes = sqlx::query!(
            r#"SELECT (SELECT COUNT(*) FROM posts) AS "posts!: i64",
                      (SELECT COUNT(*) FROM comments) AS "comments!: i64",
                      (SELECT COUNT(*) FROM webhook_deliveries) AS "deliveries!: i64",
                      (SELECT COUNT(*) FROM trivia_cache) AS "trivia!: i64""#
        )
        .fetch_one(&mut *self.reader().await?)
        .await?;
        Ok([sizes.posts, sizes.comments, sizes.deliveries, sizes.trivia])
    }
}
