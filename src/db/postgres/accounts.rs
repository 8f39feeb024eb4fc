//! The accounts' queries on PostgreSQL: sessions, tokens and the sign-in attempts' count are in the
//! database, so a session made on one instance works on every other, and signing out on one ends it
//! on all. Statements end in `-- PostgreSQL` so none shares SQLite's text (scripts/sqlx-prepare.sh).

use super::{Db, write_limit};
use crate::{
    db::{
        Error, WriteAllowance, WriteLimit,
        accounts::{Account, AccountStore, SessionOwner, TokenOwner},
        session_cache::SessionCache,
    },
    model::{TokenId, TokenInfo, UserId},
};

impl AccountStore for Db {
    fn session_cache(&self) -> &SessionCache {
        &self.sessions
    }

    async fn create_user(
        &self,
        username: &str,
        key: &str,
        password_hash: &str,
    ) -> Result<Option<UserId>, Error> {
        let created = sqlx::query_scalar!(
            r#"INSERT INTO users (username, username_key, password_hash) VALUES ($1, $2, $3)
               ON CONFLICT (username_key) DO NOTHING
               RETURNING id AS "id: UserId" -- PostgreSQL"#,
            username,
            key,
            password_hash,
        )
        .fetch_optional(&self.pool)
        .await;
        Ok(self.lost.noting(created)?)
    }

    async fn find_user(&self, key: &str) -> Result<Option<Account>, Error> {
        let find = || {
            sqlx::query_as!(
                Account,
                r#"SELECT id AS "id: UserId", username, password_hash FROM users WHERE username_key = $1 -- PostgreSQL"#,
                key,
            )
            .fetch_optional(&self.pool)
        };
        Ok(self.lost.read(find).await?)
    }

    async fn create_session(
        &self,
        id_hash: &[u8],
        user: UserId,
        expires_at: i64,
    ) -> Result<(), Error> {
        let created = sqlx::query!(
            "INSERT INTO sessions (id_hash, user_id, expires_at) VALUES ($1, $2, $3) -- PostgreSQL",
            id_hash,
            user as UserId,
            expires_at,
        )
        .execute(&self.pool)
        .await;
        self.lost.noting(created)?;
        Ok(())
    }

    async fn session_owner(&self, id_hash: &[u8], now: i64) -> Result<Option<SessionOwner>, Error> {
        let find = || {
            sqlx::query_as!(
                SessionOwner,
                r#"SELECT u.id AS "id: UserId", u.username, s.expires_at
                   FROM sessions s JOIN users u ON u.id = s.user_id
                   WHERE s.id_hash = $1 AND s.expires_at > $2 -- PostgreSQL"#,
                id_hash,
                now,
            )
            .fetch_optional(&self.pool)
        };
        Ok(self.lost.read(find).await?)
    }

    async fn extend_session(&self, id_hash: &[u8], expires_at: i64) -> Result<(), Error> {
        let extended = sqlx::query!(
            "UPDATE sessions SET expires_at = $2 WHERE id_hash = $1 AND expires_at < $2 -- PostgreSQL",
            id_hash,
            expires_at,
        )
        .execute(&self.pool)
        .await;
        self.lost.noting(extended)?;
        Ok(())
    }

    async fn delete_session(&self, id_hash: &[u8]) -> Result<(), Error> {
        let deleted = sqlx::query!(
            "DELETE FROM sessions WHERE id_hash = $1 -- PostgreSQL",
            id_hash
        )
        .execute(&self.pool)
        .await;
        self.lost.noting(deleted)?;
        Ok(())
    }

    async fn delete_sessions_of(&self, user: UserId) -> Result<u64, Error> {
        let deleted = sqlx::query!(
            "DELETE FROM sessions WHERE user_id = $1 -- PostgreSQL",
            user as UserId
        )
        .execute(&self.pool)
        .await;
        Ok(self.lost.noting(deleted)?.rows_affected())
    }

    async fn delete_expired_sessions(&self, now: i64) -> Result<u64, Error> {
        let deleted = sqlx::query!(
            "DELETE FROM sessions WHERE expires_at <= $1 -- PostgreSQL",
            now
        )
        .execute(&self.pool)
        .await;
        Ok(self.lost.noting(deleted)?.rows_affected())
    }

    async fn create_token(&self, user: UserId, token_hash: &[u8]) -> Result<TokenId, Error> {
        let created = sqlx::query_scalar!(
            r#"INSERT INTO api_tokens (user_id, token_hash) VALUES ($1, $2) RETURNING id AS "id: TokenId" -- PostgreSQL"#,
            user as UserId,
            token_hash,
        )
        .fetch_one(&self.pool)
        .await;
        Ok(self.lost.noting(created)?)
    }

    async fn token_owner(&self, token_hash: &[u8]) -> Result<Option<TokenOwner>, Error> {
        let find = || {
            sqlx::query_as!(
                TokenOwner,
                r#"SELECT t.id AS "token: TokenId", u.id AS "id: UserId", u.username,
                          (t.last_used_at IS NULL OR t.last_used_at < now() - interval '60 seconds') AS "stale!"
                   FROM api_tokens t JOIN users u ON u.id = t.user_id
                   WHERE t.token_hash = $1 -- PostgreSQL"#,
                token_hash,
            )
            .fetch_optional(&self.pool)
        };
        Ok(self.lost.read(find).await?)
    }

    async fn touch_token(&self, token: TokenId) -> Result<(), Error> {
        let touched = sqlx::query!(
            "UPDATE api_tokens SET last_used_at = now() WHERE id = $1 -- PostgreSQL",
            token as TokenId,
        )
        .execute(&self.pool)
        .await;
        self.lost.noting(touched)?;
        Ok(())
    }

    async fn list_tokens(&self, user: UserId) -> Result<Vec<TokenInfo>, Error> {
        let list = || {
            sqlx::query_as!(
                TokenInfo,
                r#"SELECT id AS "id: TokenId", api_timestamp(created_at) AS "created_at!",
                          api_timestamp(last_used_at) AS last_used_at
                   FROM api_tokens WHERE user_id = $1 ORDER BY id -- PostgreSQL"#,
                user as UserId,
            )
            .fetch_all(&self.pool)
        };
        Ok(self.lost.read(list).await?)
    }

    async fn delete_token(&self, user: UserId, token: TokenId) -> Result<bool, Error> {
        let deleted = sqlx::query!(
            "DELETE FROM api_tokens WHERE id = $1 AND user_id = $2 -- PostgreSQL",
            token as TokenId,
            user as UserId,
        )
        .execute(&self.pool)
        .await;
        Ok(self.lost.noting(deleted)?.rows_affected() == 1)
    }

    async fn count_attempt(&self, key: &str, limit: WriteLimit) -> Result<WriteAllowance, Error> {
        let counted = write_limit::count(&self.pool, &self.sweeps, key, limit).await;
        Ok(self.lost.noting(counted)?)
    }
}
