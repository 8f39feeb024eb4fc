//! The accounts' queries on SQLite. Sign-in attempts are counted in memory, as writes are: one
//! process owns the file, so it sees every attempt.

use super::Db;
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
        Ok(sqlx::query_scalar!(
            r#"INSERT INTO users (username, username_key, password_hash) VALUES ($1, $2, $3)
               ON CONFLICT (username_key) DO NOTHING
               RETURNING id AS "id: UserId""#,
            username,
            key,
            password_hash,
        )
        .fetch_optional(&mut *self.writer().await?)
        .await?)
    }

    async fn find_user(&self, key: &str) -> Result<Option<Account>, Error> {
        Ok(sqlx::query_as!(
            Account,
            r#"SELECT id AS "id!: UserId", username, password_hash FROM users WHERE username_key = $1"#,
            key,
        )
        .fetch_optional(&mut *self.reader().await?)
        .await?)
    }

    async fn create_session(
        &self,
        id_hash: &[u8],
        user: UserId,
        expires_at: i64,
    ) -> Result<(), Error> {
        sqlx::query!(
            "INSERT INTO sessions (id_hash, user_id, expires_at) VALUES ($1, $2, $3)",
            id_hash,
            user,
            expires_at,
        )
        .execute(&mut *self.writer().await?)
        .await?;
        Ok(())
    }

    async fn session_owner(&self, id_hash: &[u8], now: i64) -> Result<Option<SessionOwner>, Error> {
        Ok(sqlx::query_as!(
            SessionOwner,
            r#"SELECT u.id AS "id!: UserId", u.username, s.expires_at
               FROM sessions s JOIN users u ON u.id = s.user_id
               WHERE s.id_hash = $1 AND s.expires_at > $2"#,
            id_hash,
            now,
        )
        .fetch_optional(&mut *self.reader().await?)
        .await?)
    }

    async fn extend_session(&self, id_hash: &[u8], expires_at: i64) -> Result<(), Error> {
        sqlx::query!(
            "UPDATE sessions SET expires_at = $2 WHERE id_hash = $1 AND expires_at < $2",
            id_hash,
            expires_at,
        )
        .execute(&mut *self.writer().await?)
        .await?;
        Ok(())
    }

    async fn delete_session(&self, id_hash: &[u8]) -> Result<(), Error> {
        sqlx::query!("DELETE FROM sessions WHERE id_hash = $1", id_hash)
            .execute(&mut *self.writer().await?)
            .await?;
        Ok(())
    }

    async fn delete_sessions_of(&self, user: UserId) -> Result<u64, Error> {
        Ok(
            sqlx::query!("DELETE FROM sessions WHERE user_id = $1", user)
                .execute(&mut *self.writer().await?)
                .await?
                .rows_affected(),
        )
    }

    async fn delete_expired_sessions(&self, now: i64) -> Result<u64, Error> {
        Ok(
            sqlx::query!("DELETE FROM sessions WHERE expires_at <= $1", now)
                .execute(&mut *self.writer().await?)
                .await?
                .rows_affected(),
        )
    }

    async fn create_token(&self, user: UserId, token_hash: &[u8]) -> Result<TokenId, Error> {
        Ok(sqlx::query_scalar!(
            r#"INSERT INTO api_tokens (user_id, token_hash) VALUES ($1, $2) RETURNING id AS "id!: TokenId""#,
            user,
            token_hash,
        )
        .fetch_one(&mut *self.writer().await?)
        .await?)
    }

    async fn token_owner(&self, token_hash: &[u8]) -> Result<Option<TokenOwner>, Error> {
        Ok(sqlx::query_as!(
            TokenOwner,
            r#"SELECT t.id AS "token!: TokenId", u.id AS "id!: UserId", u.username,
                      (t.last_used_at IS NULL
                       OR t.last_used_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-60 seconds')) AS "stale!: bool"
               FROM api_tokens t JOIN users u ON u.id = t.user_id
               WHERE t.token_hash = $1"#,
            token_hash,
        )
        .fetch_optional(&mut *self.reader().await?)
        .await?)
    }

    async fn touch_token(&self, token: TokenId) -> Result<(), Error> {
        sqlx::query!(
            "UPDATE api_tokens SET last_used_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = $1",
            token,
        )
        .execute(&mut *self.writer().await?)
        .await?;
        Ok(())
    }

    async fn list_tokens(&self, user: UserId) -> Result<Vec<TokenInfo>, Error> {
        Ok(sqlx::query_as!(
            TokenInfo,
            r#"SELECT id AS "id!: TokenId", created_at, last_used_at
               FROM api_tokens WHERE user_id = $1 ORDER BY id"#,
            user,
        )
        .fetch_all(&mut *self.reader().await?)
        .await?)
    }

    async fn delete_token(&self, user: UserId, token: TokenId) -> Result<bool, Error> {
        Ok(sqlx::query!(
            "DELETE FROM api_tokens WHERE id = $1 AND user_id = $2",
            token,
            user,
        )
        .execute(&mut *self.writer().await?)
        .await?
        .rows_affected()
            == 1)
    }

    async fn count_attempt(&self, key: &str, limit: WriteLimit) -> Result<WriteAllowance, Error> {
        Ok(self
            .signin_times
            .count(key.to_owned(), limit, std::time::Instant::now()))
    }
}
