//! Who is asking: the signed-in [`User`] of a request, from its `Authorization: Bearer` API token or
//! else its session cookie (issue 22, docs/accounts.md). Handlers take [`CurrentUser`] (anyone) or
//! [`RequireUser`] (401 problem+json when anonymous); both resolve once per request. [`Accounts`],
//! the state's part, signs up, in and out: `password.rs` hashes, `session.rs` makes the secrets and
//! the cookie, and the database keeps sessions, so every instance over it sees them.
//! Hand-written rather than tower-sessions + axum-login: their sqlx store keeps session ids in the
//! clear and has no user column for sign-out everywhere (docs/accounts.md#why-not-tower-sessions-and-axum-login).

pub mod password;
pub mod session;

use std::{
    net::IpAddr,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
};

use crate::{
    config::AccountsConfig,
    db::{
        self, WriteAllowance, WriteLimit,
        accounts::{self as store},
        write_limit::counted_address,
    },
    model::{TokenCreated, TokenId, TokenInfo, UserId, ValidCredentials, username_key},
};
use password::{HashError, Hasher};
use session::hash_secret;

/// A signed-in user: the id the database knows, the name as it was typed at sign-up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: String,
}

/// The request's user, `None` when it carries no live session (a cookie that is unknown, expired
/// or signed out is the same as none). A request with an `Authorization` header is judged by its
/// token alone: an unknown or revoked token is refused (401), never read as anonymous.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurrentUser(pub Option<User>);

/// The request's user, or the request is answered 401 problem+json ([`AuthRejection::SignInRequired`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequireUser(pub User);

/// Why [`CurrentUser`] or [`RequireUser`] could not be had; `problem.rs` answers each as problem+json.
#[derive(Debug, thiserror::Error)]
pub enum AuthRejection {
    /// 401: no session and no token, or a session that is no longer valid.
    #[error("Sign in first: this needs a session or an API token.")]
    SignInRequired,
    /// 401: an `Authorization` header whose token is malformed, unknown or revoked.
    #[error("The API token is not valid (malformed, unknown or revoked).")]
    InvalidToken,
    /// 503 / 500, as any database error: the session could not be looked up.
    #[error(transparent)]
    Database(#[from] db::Error),
}

/// What signing in (or up) came to.
pub enum SignIn {
    /// Signed in: the user, and the new session's secret for the cookie.
    Started(User, String),
    /// Unknown username or wrong password: one answer for both.
    Refused,
    /// Over the sign-in limit: try again after this long.
    Limited(Duration),
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Database(#[from] db::Error),
    #[error(transparent)]
    Hash(#[from] HashError),
}

/// The accounts' part of the state: cheap to clone.
#[derive(Clone)]
pub struct Accounts(Arc<AccountsInner>);

struct AccountsInner {
    db: db::Db,
    hasher: Hasher,
    idle: Duration,
    per_username: Option<WriteLimit>,
    per_address: Option<WriteLimit>,
}

impl Accounts {
    pub fn new(db: db::Db, config: &AccountsConfig) -> Result<Self, HashError> {
        Ok(Self(Arc::new(AccountsInner {
            db,
            hasher: Hasher::new()?,
            idle: config.session_idle,
            per_username: config.signin_limit_per_minute.map(WriteLimit::per_minute),
            per_address: config
                .signin_address_limit_per_minute
                .map(WriteLimit::per_minute),
        })))
    }

    pub fn db(&self) -> &db::Db {
        &self.0.db
    }

    /// `Limited` when the address is over its limit; `None` (taken) when the username is.
    pub async fn sign_up(
        &self,
        credentials: ValidCredentials,
        address: Option<IpAddr>,
        old_session: Option<&str>,
    ) -> Result<Option<SignIn>, AccountError> {
        if let Some(wait) = self.over_limit(None, address).await? {
            return Ok(Some(SignIn::Limited(wait)));
        }
        let ValidCredentials {
            username,
            key,
            password,
        } = credentials;
        let hash = self.0.hasher.hash(password).await?;
        let Some(id) = store::create_user(self.db(), &username, &key, &hash).await? else {
            return Ok(None);
        };
        let user = User { id, username };
        let secret = self.start_session(&user, old_session).await?;
        Ok(Some(SignIn::Started(user, secret)))
    }

    /// Counted against the username and the address first; an unknown username verifies a dummy
    /// hash, so it answers as a wrong password does, in the same time.
    pub async fn sign_in(
        &self,
        credentials: ValidCredentials,
        address: Option<IpAddr>,
        old_session: Option<&str>,
    ) -> Result<SignIn, AccountError> {
        if let Some(wait) = self.over_limit(Some(&credentials.key), address).await? {
            return Ok(SignIn::Limited(wait));
        }
        let account = store::find_user(self.db(), &credentials.key).await?;
        let (stored, user) = match account {
            Some(account) => (
                Some(account.password_hash),
                Some(User {
                    id: account.id,
                    username: account.username,
                }),
            ),
            None => (None, None),
        };
        let matches = self.0.hasher.verify(credentials.password, stored).await?;
        match user {
            Some(user) if matches => {
                let secret = self.start_session(&user, old_session).await?;
                Ok(SignIn::Started(user, secret))
            }
            _ => Ok(SignIn::Refused),
        }
    }

    /// A new session for `user`, the request's old one ended (no fixation); expired sessions of
    /// everyone are swept on the way.
    async fn start_session(&self, user: &User, old: Option<&str>) -> Result<String, db::Error> {
        if let Some(old) = old {
            store::delete_session(self.db(), &hash_secret(old)).await?;
        }
        let now = now_seconds();
        store::delete_expired_sessions(self.db(), now).await?;
        let secret = session::new_secret();
        store::create_session(self.db(), &hash_secret(&secret), user.id, self.expiry(now)).await?;
        Ok(secret)
    }

    /// Ends the session whose cookie holds `secret` (nothing when it is already gone).
    pub async fn sign_out(&self, secret: &str) -> Result<(), db::Error> {
        store::delete_session(self.db(), &hash_secret(secret)).await
    }

    /// Ends every session of `user`, on every instance.
    pub async fn sign_out_everywhere(&self, user: UserId) -> Result<u64, db::Error> {
        store::delete_sessions_of(self.db(), user).await
    }

    pub async fn create_token(&self, user: UserId) -> Result<TokenCreated, db::Error> {
        let token = format!("{}{}", session::TOKEN_PREFIX, session::new_secret());
        let id = store::create_token(self.db(), user, &hash_secret(&token)).await?;
        Ok(TokenCreated { id, token })
    }

    pub async fn list_tokens(&self, user: UserId) -> Result<Vec<TokenInfo>, db::Error> {
        store::list_tokens(self.db(), user).await
    }

    /// Whether `user` had the token (another user's token id is the same as none).
    pub async fn revoke_token(&self, user: UserId, token: TokenId) -> Result<bool, db::Error> {
        store::delete_token(self.db(), user, token).await
    }

    /// The longest wait either limit asks for, each attempt counted against both.
    async fn over_limit(
        &self,
        username: Option<&str>,
        address: Option<IpAddr>,
    ) -> Result<Option<Duration>, db::Error> {
        let mut wait = None;
        let keys = [
            self.0
                .per_username
                .zip(username)
                .map(|(limit, name)| (limit, format!("signin:user:{}", username_key(name)))),
            self.0.per_address.zip(address).map(|(limit, address)| {
                (limit, format!("signin:addr:{}", counted_address(address)))
            }),
        ];
        for (limit, key) in keys.into_iter().flatten() {
            if let WriteAllowance::RetryAfter(after) =
                store::count_attempt(self.db(), &key, limit).await?
            {
                wait = wait.max(Some(after));
            }
        }
        Ok(wait)
    }

    fn expiry(&self, now: i64) -> i64 {
        now.saturating_add(i64::try_from(self.0.idle.as_secs()).unwrap_or(i64::MAX))
    }

    /// The user behind the request's token, or else its session cookie, looked up as `lookup`
    /// says. A session in use has its expiry moved on, at most once a minute (a write per request
    /// would cost every read).
    async fn resolve(
        &self,
        parts: &Parts,
        lookup: SessionLookup,
    ) -> Result<Option<User>, AuthRejection> {
        if let Some(token) = session::bearer_token(&parts.headers) {
            let token = token.ok_or(AuthRejection::InvalidToken)?;
            let owner = store::token_owner(self.db(), &hash_secret(token))
                .await?
                .ok_or(AuthRejection::InvalidToken)?;
            if owner.stale {
                store::touch_token(self.db(), owner.token).await?;
            }
            return Ok(Some(User {
                id: owner.id,
                username: owner.username,
            }));
        }
        let Some(secret) = session::session_secret(&parts.headers) else {
            return Ok(None);
        };
        let now = now_seconds();
        let id_hash = hash_secret(secret);
        let owner = match lookup {
            SessionLookup::Database => store::session_owner(self.db(), &id_hash, now).await?,
            SessionLookup::CacheToShow => {
                store::session_owner_to_show(self.db(), &id_hash, now).await?
            }
        };
        let Some(owner) = owner else {
            return Ok(None);
        };
        let expiry = self.expiry(now);
        if expiry - owner.expires_at >= 60 {
            store::extend_session(self.db(), &id_hash, expiry).await?;
        }
        Ok(Some(User {
            id: owner.id,
            username: owner.username,
        }))
    }

    /// The request's user, resolved once per request (kept in its extensions).
    pub async fn current_user(&self, parts: &mut Parts) -> Result<CurrentUser, AuthRejection> {
        if let Some(known) = parts.extensions.get::<CurrentUser>() {
            return Ok(known.clone());
        }
        let current = CurrentUser(self.resolve(parts, SessionLookup::Database).await?);
        parts.extensions.insert(current.clone());
        Ok(current)
    }

    /// The user a page is rendered for, for what it shows alone (the header's name, the author's
    /// Edit and Delete forms): as [`Self::current_user`], but a session may come from this
    /// instance's cache (`db/session_cache.rs`), so it can outlive a sign-out on another instance
    /// by a moment. Never decide anything on it: the forms it shows post to handlers that take
    /// [`CurrentUser`] or [`RequireUser`], which read the database.
    pub async fn user_to_show(&self, parts: &Parts) -> Result<Option<User>, AuthRejection> {
        if let Some(CurrentUser(known)) = parts.extensions.get::<CurrentUser>() {
            return Ok(known.clone());
        }
        self.resolve(parts, SessionLookup::CacheToShow).await
    }
}

/// Where a session is looked up.
#[derive(Clone, Copy)]
enum SessionLookup {
    /// The database: for every decision.
    Database,
    /// This instance's cache of live sessions first: for what a page shows alone.
    CacheToShow,
}

fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
        })
}

impl<S> FromRequestParts<S> for CurrentUser
where
    S: Send + Sync,
    Accounts: FromRef<S>,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Accounts::from_ref(state).current_user(parts).await
    }
}

impl<S> FromRequestParts<S> for RequireUser
where
    S: Send + Sync,
    Accounts: FromRef<S>,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match CurrentUser::from_request_parts(parts, state).await? {
            CurrentUser(Some(user)) => Ok(Self(user)),
            CurrentUser(None) => Err(AuthRejection::SignInRequired),
        }
    }
}
