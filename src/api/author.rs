//! Who writes, for the routes that create, edit and delete: the signed-in user (a session cookie
//! or a bearer token, `auth::CurrentUser`) and `POSTING`'s rule for anonymous writes. A refusal is
//! a 401 problem for the API and a 303 to `/signin` for a plain form, which cannot show JSON.

use axum::{
    extract::FromRequestParts,
    http::{HeaderValue, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};

use super::extract::media_type;
use crate::{
    auth::{CurrentUser, User},
    config::Posting,
    problem::ApiError,
    state::AppState,
};

/// Where a plain form goes when it needs a signed-in user.
pub const SIGN_IN_PAGE: &str = "/signin";

/// The writer of a new post or comment: `None` for an anonymous one, which `POSTING=members`
/// refuses.
pub struct Author(pub Option<User>);

/// The user changing or deleting a post: anonymous requests are refused whatever `POSTING` says.
pub struct Editor(pub User);

impl FromRequestParts<AppState> for Author {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let user = signed_in(parts, state).await?;
        if user.is_none() && state.posting == Posting::Members {
            return Err(sign_in_first(
                parts,
                "Posting takes an account here: sign in first.",
            ));
        }
        Ok(Self(user))
    }
}

impl FromRequestParts<AppState> for Editor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match signed_in(parts, state).await? {
            Some(user) => Ok(Self(user)),
            None => Err(sign_in_first(
                parts,
                "Only a post's author may change it: sign in first.",
            )),
        }
    }
}

async fn signed_in(parts: &mut Parts, state: &AppState) -> Result<Option<User>, Response> {
    let CurrentUser(user) = CurrentUser::from_request_parts(parts, state)
        .await
        .map_err(IntoResponse::into_response)?;
    Ok(user)
}

/// 303 to the sign-in page for a plain form (its `Content-Type`), else a 401 problem naming the
/// scheme that would do, as `auth`'s own 401s.
fn sign_in_first(parts: &Parts, detail: &str) -> Response {
    if media_type(&parts.headers).as_deref() == Some("application/x-www-form-urlencoded") {
        return Redirect::to(SIGN_IN_PAGE).into_response();
    }
    let mut response = ApiError::Unauthorized(detail.to_owned()).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"api\""),
    );
    response
}
