//! `Idempotency-Key` on PostgreSQL (see `db/idempotency.rs`): the row and its key in one
//! transaction. Apart from the batched inserts on purpose: a keyed post must commit with its key.
//! A concurrent request with the same key waits on the key's primary key, then replays.

use sqlx::{PgPool, Postgres, Transaction};

use super::{Db, insert_comment};
use crate::db::idempotency::{
    COMMENT_SCOPE, IdempotencyKey, KEY_LIFETIME_SECONDS, Once, POST_SCOPE, SWEEP_BATCH,
    comment_fingerprint, post_fingerprint,
};
use crate::model::{Comment, CommentId, PostId, UserId, ValidComment, ValidPost};

impl Db {
    pub(super) async fn create_post_once(
        &self,
        post: &ValidPost,
        author: Option<UserId>,
        key: &IdempotencyKey,
    ) -> Result<Once<PostId>, sqlx::Error> {
        let fingerprint = post_fingerprint(post, author);
        let author = author.map(|author| author.0);
        let mut transaction = self.pool.begin().await?;
        let id = sqlx::query_scalar!(
            r#"INSERT INTO posts (title, body, draft, author_id) VALUES ($1, $2, $3, $4)
               RETURNING id AS "id: PostId""#,
            post.title,
            post.body,
            post.draft,
            author,
        )
        .fetch_one(&mut *transaction)
        .await?;
        if keep_key(&mut transaction, POST_SCOPE, key, &fingerprint, id.0).await? {
            transaction.commit().await?;
            self.sweep_keys().await;
            return Ok(Once::Created(id));
        }
        transaction.rollback().await?;
        Ok(earlier(&self.pool, POST_SCOPE, key, &fingerprint)
            .await?
            .map_or(Once::KeyReused, |id| Once::Replayed(PostId(id))))
    }

    /// `Created(None)`: no such post, nothing stored.
    pub(super) async fn add_comment_once(
        &self,
        drafts: bool,
        post: PostId,
        comment: &ValidComment,
        author: Option<UserId>,
        key: &IdempotencyKey,
    ) -> Result<Once<Option<Comment>>, sqlx::Error> {
        let fingerprint = comment_fingerprint(post, comment, author);
        let mut transaction = self.pool.begin().await?;
        let added = insert_comment(&mut transaction, drafts, post, comment, author).await?;
        let Some(added) = added else {
            return Ok(Once::Created(None));
        };
        if keep_key(
            &mut transaction,
            COMMENT_SCOPE,
            key,
            &fingerprint,
            added.id.0,
        )
        .await?
        {
            transaction.commit().await?;
            self.sweep_keys().await;
            return Ok(Once::Created(Some(added)));
        }
        transaction.rollback().await?;
        let Some(id) = earlier(&self.pool, COMMENT_SCOPE, key, &fingerprint).await? else {
            return Ok(Once::KeyReused);
        };
        // Gone when its post was deleted since: then there is no such post, as a first try would hear.
        let first = sqlx::query_as!(
            Comment,
            r#"SELECT id AS "id: CommentId", body AS comment, api_timestamp(created_at) AS "created_at!",
                      (SELECT username FROM users WHERE users.id = comments.author_id) AS "author?"
               FROM comments WHERE id = $1"#,
            id,
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(Once::Replayed(first))
    }
}

/// Stores the key unless a live one holds it (an expired one is taken over); false if one does.
async fn keep_key(
    transaction: &mut Transaction<'_, Postgres>,
    scope: &str,
    key: &IdempotencyKey,
    fingerprint: &[u8],
    created_id: i64,
) -> Result<bool, sqlx::Error> {
    let kept = sqlx::query!(
        r#"INSERT INTO idempotency_keys (scope, key, fingerprint, created_id) VALUES ($1, $2, $3, $4)
           ON CONFLICT (scope, key) DO UPDATE
               SET fingerprint = excluded.fingerprint, created_id = excluded.created_id, created_at = now()
               WHERE idempotency_keys.created_at < now() - make_interval(secs => $5)"#,
        scope,
        key.as_str(),
        fingerprint,
        created_id,
        KEY_LIFETIME_SECONDS as f64,
    )
    .execute(&mut **transaction)
    .await?;
    Ok(kept.rows_affected() == 1)
}

/// The id the key's first request made, if it was made with the same values; `None` if not.
async fn earlier(
    pool: &PgPool,
    scope: &str,
    key: &IdempotencyKey,
    fingerprint: &[u8],
) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT fingerprint, created_id FROM idempotency_keys WHERE scope = $1 AND key = $2 -- PostgreSQL",
        scope,
        key.as_str(),
    )
    .fetch_optional(pool)
    .await?;
    Ok(row
        .filter(|row| row.fingerprint == fingerprint)
        .map(|row| row.created_id))
}

impl Db {
    /// Forgets expired keys, at most once a minute per instance and a batch at a time, after the
    /// commit and outside it: its answer is already decided, so a failure here only leaves the
    /// sweep to a later keyed write. A live key's retry never needs it: an expired key is taken
    /// over by `keep_key`.
    async fn sweep_keys(&self) {
        if !self.key_sweeps.due(std::time::Instant::now()) {
            return;
        }
        let swept = sqlx::query!(
            "DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(
                 SELECT ctid FROM idempotency_keys
                 WHERE created_at < now() - make_interval(secs => $1)
                 LIMIT $2 FOR UPDATE SKIP LOCKED))",
            KEY_LIFETIME_SECONDS as f64,
            SWEEP_BATCH,
        )
        .execute(&self.pool)
        .await;
        if let Err(error) = swept {
            tracing::debug!(%error, "expired idempotency keys stay until a later keyed write");
        }
    }
}
