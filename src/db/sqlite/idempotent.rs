//! `Idempotency-Key` on SQLite (see `db/idempotency.rs`): the row and its key in one transaction on
//! the one writer connection, apart from the batched inserts on purpose (a keyed post must commit
//! with its key). The writer runs one write at a time, so a concurrent retry finds the key stored.

use sqlx::{Connection, Sqlite, Transaction};

use super::{Db, insert_comment};
use crate::db::idempotency::{
    COMMENT_SCOPE, IdempotencyKey, KEY_LIFETIME_SECONDS, Once, POST_SCOPE, SWEEP_BATCH,
    comment_fingerprint, post_fingerprint,
};
use crate::db::sweeps::Sweeps;
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
        let mut writer = self.writer().await?;
        let mut transaction = writer.begin().await?;
        if let Some(id) = earlier(&mut transaction, &self.key_sweeps, POST_SCOPE, key).await? {
            return Ok(
                replay(id, &fingerprint).map_or(Once::KeyReused, |id| Once::Replayed(PostId(id)))
            );
        }
        let id = sqlx::query_scalar!(
            r#"INSERT INTO posts (title, body, draft, author_id) VALUES ($1, $2, $3, $4)
               RETURNING id AS "id!: PostId""#,
            post.title,
            post.body,
            post.draft,
            author,
        )
        .fetch_all(&mut *transaction)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| sqlx::Error::Protocol("a saved post came back without its id".into()))?;
        keep_key(&mut transaction, POST_SCOPE, key, &fingerprint, id.0).await?;
        transaction.commit().await?;
        Ok(Once::Created(id))
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
        let mut writer = self.writer().await?;
        let mut transaction = writer.begin().await?;
        if let Some(earlier) =
            earlier(&mut transaction, &self.key_sweeps, COMMENT_SCOPE, key).await?
        {
            let Some(id) = replay(earlier, &fingerprint) else {
                return Ok(Once::KeyReused);
            };
            // Gone when its post was deleted since: then there is no such post, as a first try
            // would hear.
            let first = sqlx::query_as!(
                Comment,
                r#"SELECT id AS "id!: CommentId", body AS comment, created_at,
                      (SELECT username FROM users WHERE users.id = comments.author_id) AS "author?: String"
               FROM comments WHERE id = $1"#,
                id,
            )
            .fetch_optional(&mut *transaction)
            .await?;
            return Ok(Once::Replayed(first));
        }
        let added = insert_comment(&mut transaction, drafts, post, comment, author).await?;
        let Some(added) = added else {
            return Ok(Once::Created(None));
        };
        keep_key(
            &mut transaction,
            COMMENT_SCOPE,
            key,
            &fingerprint,
            added.id.0,
        )
        .await?;
        transaction.commit().await?;
        self.tell_added(post, Some(&added));
        drop(writer);
        Ok(Once::Created(Some(added)))
    }
}

/// A live key's fingerprint and id (an expired one is none: `keep_key` takes it over). Expired
/// keys are swept here at most once a minute, a batch at a time, in this transaction: one writer,
/// so no other transaction contends for them.
async fn earlier(
    transaction: &mut Transaction<'_, Sqlite>,
    sweeps: &Sweeps,
    scope: &str,
    key: &IdempotencyKey,
) -> Result<Option<(Vec<u8>, i64)>, sqlx::Error> {
    if sweeps.due(std::time::Instant::now()) {
        sqlx::query!(
            "DELETE FROM idempotency_keys WHERE (scope, key) IN (
                 SELECT scope, key FROM idempotency_keys WHERE created_at < unixepoch() - $1 LIMIT $2)",
            KEY_LIFETIME_SECONDS,
            SWEEP_BATCH,
        )
        .execute(&mut **transaction)
        .await?;
    }
    let key = key.as_str();
    let row = sqlx::query!(
        "SELECT fingerprint, created_id FROM idempotency_keys
         WHERE scope = $1 AND key = $2 AND created_at >= unixepoch() - $3",
        scope,
        key,
        KEY_LIFETIME_SECONDS,
    )
    .fetch_optional(&mut **transaction)
    .await?;
    Ok(row.map(|row| (row.fingerprint, row.created_id)))
}

/// The earlier request's id if it had these values.
fn replay((earlier, id): (Vec<u8>, i64), fingerprint: &[u8]) -> Option<i64> {
    (earlier == fingerprint).then_some(id)
}

async fn keep_key(
    transaction: &mut Transaction<'_, Sqlite>,
    scope: &str,
    key: &IdempotencyKey,
    fingerprint: &[u8],
    created_id: i64,
) -> Result<(), sqlx::Error> {
    let key = key.as_str();
    // A row there is an expired key (`earlier` found no live one, and the one writer runs alone).
    sqlx::query!(
        "INSERT INTO idempotency_keys (scope, key, fingerprint, created_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (scope, key) DO UPDATE SET fingerprint = excluded.fingerprint,
             created_id = excluded.created_id, created_at = unixepoch()",
        scope,
        key,
        fingerprint,
        created_id,
    )
    .execute(&mut **transaction)
    .await?;
    Ok(())
}
