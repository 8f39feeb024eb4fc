//! The accounts' queries (issue 22): users, sessions, API tokens, and the sign-in attempts' limit.
//! The door's functions for them, and the [`AccountStore`] each room implements. Secrets never reach
//! the database: sessions and tokens are looked up by the SHA-256 of theirs (`auth/`). What a page
//! shows may come from the room's cache of live sessions instead ([`session_owner_to_show`]).

pub use super::rows::SessionOwner;
use super::{
    Db, Error, Room, WriteAllowance, WriteLimit,
    session_cache::{Lookup, SessionCache, SessionKey},
};
use crate::model::{TokenId, TokenInfo, UserId};

/// A user as stored, with the hash a sign-in is checked against.
pub struct Account {
    pub id: UserId,
    pub username: String,
    pub password_hash: String,
}

/// The owner of a live session or token.
pub struct Owner {
    pub id: UserId,
    pub username: String,
}

/// A live token's owner; `stale`: its `last_used_at` is over a minute old (or unset).
pub struct TokenOwner {
    pub token: TokenId,
    pub id: UserId,
    pub username: String,
    pub stale: bool,
}

pub(super) trait AccountStore {
    /// The room's cache of live sessions (`session_cache.rs`), for what pages show.
    fn session_cache(&self) -> &SessionCache;
    /// `None`: the key is taken.
    async fn create_user(
        &self,
        username: &str,
        key: &str,
        password_hash: &str,
    ) -> Result<Option<UserId>, Error>;
    async fn find_user(&self, key: &str) -> Result<Option<Account>, Error>;
    async fn create_session(
        &self,
        id_hash: &[u8],
        user: UserId,
        expires_at: i64,
    ) -> Result<(), Error>;
    /// Only a session that expires after `now`.
    async fn session_owner(&self, id_hash: &[u8], now: i64) -> Result<Option<SessionOwner>, Error>;
    async fn extend_session(&self, id_hash: &[u8], expires_at: i64) -> Result<(), Error>;
    async fn delete_session(&self, id_hash: &[u8]) -> Result<(), Error>;
    async fn delete_sessions_of(&self, user: UserId) -> Result<u64, Error>;
    async fn delete_expired_sessions(&self, now: i64) -> Result<u64, Error>;
    async fn create_token(&self, user: UserId, token_hash: &[u8]) -> Result<TokenId, Error>;
    async fn token_owner(&self, token_hash: &[u8]) -> Result<Option<TokenOwner>, Error>;
    async fn touch_token(&self, token: TokenId) -> Result<(), Error>;
    async fn list_tokens(&self, user: UserId) -> Result<Vec<TokenInfo>, Error>;
    /// Whether `user` had the token `token`.
    async fn delete_token(&self, user: UserId, token: TokenId) -> Result<bool, Error>;
    /// The sign-in limiter's count, the write limiter's rule, on keys of its own (`signin:…`).
    async fn count_attempt(&self, key: &str, limit: WriteLimit) -> Result<WriteAllowance, Error>;
}

/// `None`: another account already has this username in some case.
pub async fn create_user(
    db: &Db,
    username: &str,
    key: &str,
    password_hash: &str,
) -> Result<Option<UserId>, Error> {
    in_room!(db, room => room.create_user(username, key, password_hash).await)
}

pub async fn find_user(db: &Db, key: &str) -> Result<Option<Account>, Error> {
    in_room!(db, room => room.find_user(key).await)
}

pub async fn create_session(
    db: &Db,
    id_hash: &[u8],
    user: UserId,
    expires_at: i64,
) -> Result<(), Error> {
    in_room!(db, room => room.create_session(id_hash, user, expires_at).await)
}

pub async fn session_owner(
    db: &Db,
    id_hash: &[u8],
    now: i64,
) -> Result<Option<SessionOwner>, Error> {
    in_room!(db, room => room.session_owner(id_hash, now).await)
}

/// The owner of a live session, for what a page shows alone: from this instance's cache when it
/// has the session, else from the database (and then kept). It may lag a sign-out on another
/// instance by a moment, so nothing is ever decided on it: decisions take [`session_owner`].
pub async fn session_owner_to_show(
    db: &Db,
    id_hash: &SessionKey,
    now: i64,
) -> Result<Option<SessionOwner>, Error> {
    let cache = session_cache(db);
    let ticket = match cache.lookup(id_hash, now) {
        Lookup::Hit(owner) => return Ok(Some(owner)),
        Lookup::Miss(ticket) => Some(ticket),
        Lookup::Off => None,
    };
    let owner = session_owner(db, id_hash, now).await?;
    if let (Some(ticket), Some(owner)) = (ticket, &owner) {
        cache.fill(ticket, *id_hash, owner.clone());
    }
    Ok(owner)
}

/// The cached entry goes too: the next page reads the new expiry from the database.
pub async fn extend_session(db: &Db, id_hash: &SessionKey, expires_at: i64) -> Result<(), Error> {
    let extended = in_room!(db, room => room.extend_session(id_hash, expires_at).await);
    session_cache(db).forget(id_hash);
    extended
}

/// Forgotten by this instance's cache at once, whatever the answer (the delete may have committed
/// before an error); other instances hear of it from PostgreSQL (`postgres/listener.rs`).
pub async fn delete_session(db: &Db, id_hash: &SessionKey) -> Result<(), Error> {
    let deleted = in_room!(db, room => room.delete_session(id_hash).await);
    session_cache(db).forget(id_hash);
    deleted
}

/// Every session of `user`, on every instance: sign-out everywhere. This instance's cache is
/// emptied (it knows its entries by session, not by user; this is rare).
pub async fn delete_sessions_of(db: &Db, user: UserId) -> Result<u64, Error> {
    let deleted = in_room!(db, room => room.delete_sessions_of(user).await);
    session_cache(db).clear();
    deleted
}

fn session_cache(db: &Db) -> &SessionCache {
    in_room!(db, room => room.session_cache())
}

pub async fn delete_expired_sessions(db: &Db, now: i64) -> Result<u64, Error> {
    in_room!(db, room => room.delete_expired_sessions(now).await)
}

pub async fn create_token(db: &Db, user: UserId, token_hash: &[u8]) -> Result<TokenId, Error> {
    in_room!(db, room => room.create_token(user, token_hash).await)
}

pub async fn token_owner(db: &Db, token_hash: &[u8]) -> Result<Option<TokenOwner>, Error> {
    in_room!(db, room => room.token_owner(token_hash).await)
}

/// Sets `last_used_at` to now.
pub async fn touch_token(db: &Db, token: TokenId) -> Result<(), Error> {
    in_room!(db, room => room.touch_token(token).await)
}

pub async fn list_tokens(db: &Db, user: UserId) -> Result<Vec<TokenInfo>, Error> {
    in_room!(db, room => room.list_tokens(user).await)
}

pub async fn delete_token(db: &Db, user: UserId, token: TokenId) -> Result<bool, Error> {
    in_room!(db, room => room.delete_token(user, token).await)
}

/// Counts one sign-in attempt against `key` (a username or an address): where every instance sees
/// it, as the write limit.
pub async fn count_attempt(db: &Db, key: &str, limit: WriteLimit) -> Result<WriteAllowance, Error> {
    in_room!(db, room => room.count_attempt(key, limit).await)
}
