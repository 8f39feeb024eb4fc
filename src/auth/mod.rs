//! Who is asking: the signed-in [`User`] of a request, from its session cookie or its
//! `Authorization: Bearer` API token (issue 22). Handlers take [`CurrentUser`] (anyone) or
//! [`RequireUser`] (401 problem+json for anonymous requests); both resolve once per request.
//! [`Accounts`] is the state part that holds the settings, the database and the password hasher.

use std::sync::Arc;

use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
};

use crate::{db, model::UserId};

/// A signed-in user: the id the database knows, the name as it was typed at sign-up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: String,
}

/// The request's user, `None` when it carries neither a live session nor a live API token. A cookie
/// or token that is unknown, expired or revoked is the same as none (anonymous), never an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurrentUser(pub Option<User>);

/// The request's user, or the request is answered 401 problem+json ([`AuthRejection::SignInRequired`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequireUser(pub User);

/// Why [`CurrentUser`] or [`RequireUser`] could not be had; `problem.rs` answers each as problem+json.
#[derive(Debug, thiserror::Error)]
pub enum AuthRejection {
    /// 401: no session and no token, or one that is no longer valid.
    #[error("Sign in first: this needs a session or an API token.")]
    SignInRequired,
    /// 503 / 500, as any database error: the session could not be looked up.
    #[error(transparent)]
    Database(#[from] db::Error),
}

/// The accounts' part of the state: cheap to clone.
#[derive(Clone)]
pub struct Accounts(Arc<AccountsInner>);

struct AccountsInner {
    db: db::Db,
}

impl Accounts {
    pub fn new(db: db::Db) -> Self {
        Self(Arc::new(AccountsInner { db }))
    }

    pub fn db(&self) -> &db::Db {
        &self.0.db
    }

    /// The user behind the request's credentials, if any.
    async fn resolve(&self, _parts: &Parts) -> Result<Option<User>, db::Error> {
        Ok(None)
    }
}

impl<S> FromRequestParts<S> for CurrentUser
where
    S: Send + Sync,
    Accounts: FromRef<S>,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // Resolved once per request, however many extractors ask.
        if let Some(known) = parts.extensions.get::<CurrentUser>() {
            return Ok(known.clone());
        }
        let user = Accounts::from_ref(state).resolve(parts).await?;
        let current = CurrentUser(user);
        parts.extensions.insert(current.clone());
        Ok(current)
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
