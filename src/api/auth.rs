//! `/api/auth/*`: sign up, sign in, sign out, who am I, and API tokens (issue 22). JSON or
//! form-encoded bodies like every route; a plain form gets a 303 to a fixed page of this site (its
//! own page with the typed username and an error code, or `/`), never to a URL from the request.
//! The work is in `auth/`; `curl` examples: docs/accounts.md.

use std::{
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use axum::{
    Json,
    extract::{ConnectInfo, FromRequestParts, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    body_limit::BodyLimit,
    extract::{FormFields, QueryParams, Segment, Submitted, media_type},
};
use crate::{
    auth::{AccountError, Accounts, CurrentUser, RequireUser, SignIn, User, session},
    model::{
        Credentials, FieldErrors, SignedIn, TokenCreated, TokenId, TokenList, ValidCredentials,
    },
    problem::{
        ApiError, ApiResult, problem,
        responses::{Internal, Unauthorized, Unavailable, WriteErrors},
    },
    state::AppState,
};

/// 128 characters of 4 bytes, a username, JSON's quoting: far below. A larger body is a 413 before
/// a byte of it is read, let alone hashed.
const BODY_LIMIT: usize = 4 * 1024;
/// The longest typed username sent back to a form in its URL; a longer one is not kept.
const RETURNED_USERNAME_MAX: usize = 64;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_up))
        .routes(routes!(sign_in))
        .routes(routes!(sign_out))
        .routes(routes!(me))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .layer(BodyLimit::max(BODY_LIMIT))
}

/// The client's address (the TCP peer's, or a Lambda event's `sourceIp`), for the sign-in limit.
struct ClientAddress(Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>();
        Ok(Self(peer.map(|ConnectInfo(peer)| peer.ip())))
    }
}

/// What the no-JavaScript forms post: any text (the route sends invalid values back to the form).
#[derive(Deserialize, ToSchema)]
pub struct CredentialsForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

impl FormFields for Credentials {
    type Form = CredentialsForm;
}

impl From<CredentialsForm> for Credentials {
    fn from(CredentialsForm { username, password }: CredentialsForm) -> Self {
        Self { username, password }
    }
}

/// Which form a request came from, and so where a plain form goes back to.
#[derive(Clone, Copy)]
enum Page {
    SignUp,
    SignIn,
}

impl Page {
    fn path(self) -> &'static str {
        match self {
            Self::SignUp => "/signup",
            Self::SignIn => "/signin",
        }
    }
}

/// Why a form goes back to its page: the page shows the message for the code (`pages/account.rs`).
#[derive(Clone, Copy)]
enum FormError {
    Username,
    Password,
    Taken,
    Credentials,
    Limited,
}

impl FormError {
    fn code(self) -> &'static str {
        match self {
            Self::Username => "username",
            Self::Password => "password",
            Self::Taken => "taken",
            Self::Credentials => "credentials",
            Self::Limited => "limited",
        }
    }
}

/// 303 back to the form's page with the typed username (never the password) and the error code.
fn back_to_form(page: Page, username: &str, error: FormError) -> Response {
    let mut query = form_urlencoded_pairs(&[("error", error.code())]);
    if username.chars().count() <= RETURNED_USERNAME_MAX {
        query = form_urlencoded_pairs(&[("username", username), ("error", error.code())]);
    }
    Redirect::to(&format!("{}?{query}", page.path())).into_response()
}

fn form_urlencoded_pairs(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// The submitted credentials under the shared rules; else the answer: back to `page` for a plain
/// form post, 422 problem+json for the API.
fn validated(
    submitted: &Submitted<Credentials>,
    page: Page,
) -> Result<ValidCredentials, Box<Response>> {
    submitted.value().validate().map_err(|errors| {
        if submitted.is_form() {
            let typed = &submitted.value().username;
            Box::new(back_to_form(page, typed, first_invalid(&errors)))
        } else {
            Box::new(ApiError::from(errors).into_response())
        }
    })
}

fn first_invalid(errors: &FieldErrors) -> FormError {
    if errors.contains_key("username") {
        FormError::Username
    } else {
        FormError::Password
    }
}

/// Signed in: the cookie on a 303 to `/` (a form) or on `status` with `{"username"}` (JSON).
fn signed_in(
    submitted: &Submitted<Credentials>,
    status: StatusCode,
    user: User,
    secret: &str,
    headers: &HeaderMap,
) -> Response {
    let cookie = session::set_cookie(secret, headers);
    let mut response = if submitted.is_form() {
        Redirect::to("/").into_response()
    } else {
        (
            status,
            Json(SignedIn {
                username: user.username,
            }),
        )
            .into_response()
    };
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    no_store(response)
}

fn too_many_attempts(wait: Duration) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut response = problem(
        StatusCode::TOO_MANY_REQUESTS,
        format!("Too many sign-in attempts; try again in {seconds} s."),
        None,
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// Answers about accounts are for this client only: no shared cache keeps them.
fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

impl From<AccountError> for ApiError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Database(error) => error.into(),
            AccountError::Hash(error) => Self::Internal(error.into()),
        }
    }
}

fn count_signin(outcome: &'static str) {
    metrics::counter!("app_signins_total", "outcome" => outcome).increment(1);
}

/// `POST /api/auth/signup` with `{"username", "password"}`: creates the account and signs it in.
#[utoipa::path(
    post,
    path = "/api/auth/signup",
    summary = "Create an account and sign in",
    request_body(content(
        (Credentials = "application/json"),
        (CredentialsForm = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 201, description = "Created and signed in (JSON request).", body = SignedIn,
            headers(("set-cookie" = String, description = "The session cookie: `session` (`__Host-session`, Secure, over https); HttpOnly, SameSite=Lax, Path=/"))),
        (status = 303, description = "Form request: to `/` when signed up; back to `/signup?username=…&error=…` when not.",
            headers(("location" = String, description = "Where the browser goes next"))),
        (status = 409, description = "The username is taken (in any case).", content_type = "application/problem+json", body = crate::problem::Problem),
        WriteErrors,
    )
)]
#[tracing::instrument(skip_all)]
async fn sign_up(
    State(accounts): State<Accounts>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    submitted: Submitted<Credentials>,
) -> ApiResult<Response> {
    let typed = submitted.value().username.clone();
    let credentials = match validated(&submitted, Page::SignUp) {
        Ok(credentials) => credentials,
        Err(answer) => return Ok(*answer),
    };
    let old = session::session_secret(&headers);
    let answer = match accounts.sign_up(credentials, address, old).await? {
        Some(SignIn::Started(user, secret)) => {
            return Ok(signed_in(
                &submitted,
                StatusCode::CREATED,
                user,
                &secret,
                &headers,
            ));
        }
        Some(SignIn::Limited(wait)) => (FormError::Limited, too_many_attempts(wait)),
        Some(SignIn::Refused) | None => (
            FormError::Taken,
            problem(
                StatusCode::CONFLICT,
                "That username is taken; choose another.",
                None,
            ),
        ),
    };
    Ok(form_or(&submitted, Page::SignUp, &typed, answer))
}

fn form_or(
    submitted: &Submitted<Credentials>,
    page: Page,
    typed: &str,
    (code, response): (FormError, Response),
) -> Response {
    if submitted.is_form() {
        back_to_form(page, typed, code)
    } else {
        response
    }
}

/// `POST /api/auth/signin` with `{"username", "password"}`.
#[utoipa::path(
    post,
    path = "/api/auth/signin",
    summary = "Sign in",
    request_body(content(
        (Credentials = "application/json"),
        (CredentialsForm = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "Signed in (JSON request); any session the request had is ended.", body = SignedIn,
            headers(("set-cookie" = String, description = "A new session cookie: `session` (`__Host-session`, Secure, over https); HttpOnly, SameSite=Lax, Path=/"))),
        (status = 303, description = "Form request: to `/` when signed in; back to `/signin?username=…&error=…` when not.",
            headers(("location" = String, description = "Where the browser goes next"))),
        (status = 401, description = "Unknown username or wrong password: one answer for both, in the same time.", content_type = "application/problem+json", body = crate::problem::Problem),
        WriteErrors,
    )
)]
#[tracing::instrument(skip_all)]
async fn sign_in(
    State(accounts): State<Accounts>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    submitted: Submitted<Credentials>,
) -> ApiResult<Response> {
    let typed = submitted.value().username.clone();
    let credentials = match validated(&submitted, Page::SignIn) {
        Ok(credentials) => credentials,
        Err(answer) => return Ok(*answer),
    };
    let old = session::session_secret(&headers);
    let answer = match accounts.sign_in(credentials, address, old).await? {
        SignIn::Started(user, secret) => {
            count_signin("success");
            return Ok(signed_in(
                &submitted,
                StatusCode::OK,
                user,
                &secret,
                &headers,
            ));
        }
        SignIn::Limited(wait) => {
            count_signin("limited");
            (FormError::Limited, too_many_attempts(wait))
        }
        SignIn::Refused => {
            count_signin("failure");
            (
                FormError::Credentials,
                ApiError::Unauthorized("Unknown username or wrong password.".to_owned())
                    .into_response(),
            )
        }
    };
    Ok(form_or(&submitted, Page::SignIn, &typed, answer))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct SignOut {
    /// `true`: end every session of the signed-in user, on every device (needs a session or token).
    #[serde(default)]
    everywhere: bool,
}

/// `POST /api/auth/signout`: ends this session (or with `?everywhere=true`, all of the user's).
#[utoipa::path(
    post,
    path = "/api/auth/signout",
    summary = "Sign out",
    params(SignOut),
    security((), ("session_cookie" = []), ("bearer_token" = [])),
    responses(
        (status = 204, description = "Signed out (JSON or no body): the session is deleted on the server.",
            headers(("set-cookie" = String, description = "Removes the session cookie"))),
        (status = 303, description = "Form request: to `/`.",
            headers(("location" = String, description = "`/`"))),
        (status = 401, description = "`everywhere=true` without a session or token.", content_type = "application/problem+json", body = crate::problem::Problem),
        WriteErrors,
    )
)]
#[tracing::instrument(skip_all)]
async fn sign_out(
    State(accounts): State<Accounts>,
    QueryParams(query): QueryParams<SignOut>,
    current: CurrentUser,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if query.everywhere {
        let CurrentUser(Some(user)) = current else {
            return Err(crate::auth::AuthRejection::SignInRequired.into());
        };
        accounts.sign_out_everywhere(user.id).await?;
    } else if let Some(secret) = session::session_secret(&headers) {
        accounts.sign_out(secret).await?;
    }
    let is_form = media_type(&headers).as_deref() == Some("application/x-www-form-urlencoded");
    let mut response = if is_form {
        Redirect::to("/").into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    };
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session::clear_cookie(&headers));
    Ok(no_store(response))
}

/// `GET /api/auth/me`: who is signed in.
#[utoipa::path(
    get,
    path = "/api/auth/me",
    summary = "The signed-in user",
    security(("session_cookie" = []), ("bearer_token" = [])),
    responses(
        (status = 200, description = "Signed in.", body = SignedIn),
        (status = 401, response = Unauthorized),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
#[tracing::instrument(skip_all)]
async fn me(RequireUser(user): RequireUser) -> Response {
    no_store(
        Json(SignedIn {
            username: user.username,
        })
        .into_response(),
    )
}

/// `POST /api/auth/tokens`: a new API token for scripts, shown this once.
#[utoipa::path(
    post,
    path = "/api/auth/tokens",
    summary = "Create an API token",
    security(("session_cookie" = []), ("bearer_token" = [])),
    responses(
        (status = 201, description = "Created: send it as `Authorization: Bearer <token>`. The server keeps only its hash.", body = TokenCreated),
        (status = 401, response = Unauthorized),
        WriteErrors,
    )
)]
#[tracing::instrument(skip_all)]
async fn create_token(
    State(accounts): State<Accounts>,
    RequireUser(user): RequireUser,
) -> ApiResult<Response> {
    let created = accounts.create_token(user.id).await?;
    Ok(no_store(
        (StatusCode::CREATED, Json(created)).into_response(),
    ))
}

/// `GET /api/auth/tokens`: the signed-in user's API tokens, without their secrets.
#[utoipa::path(
    get,
    path = "/api/auth/tokens",
    summary = "List your API tokens",
    security(("session_cookie" = []), ("bearer_token" = [])),
    responses(
        (status = 200, description = "Oldest first.", body = TokenList),
        (status = 401, response = Unauthorized),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
#[tracing::instrument(skip_all)]
async fn list_tokens(
    State(accounts): State<Accounts>,
    RequireUser(user): RequireUser,
) -> ApiResult<Response> {
    let tokens = accounts.list_tokens(user.id).await?;
    Ok(no_store(Json(TokenList { tokens }).into_response()))
}

/// `DELETE /api/auth/tokens/{id}`: revokes one of the signed-in user's tokens.
#[utoipa::path(
    delete,
    path = "/api/auth/tokens/{id}",
    summary = "Revoke an API token",
    security(("session_cookie" = []), ("bearer_token" = [])),
    params(("id" = TokenId, Path, description = "The token's id")),
    responses(
        (status = 204, description = "Revoked: requests with it are refused from now on."),
        (status = 401, response = Unauthorized),
        (status = 404, description = "No such token among yours.", content_type = "application/problem+json", body = crate::problem::Problem),
        WriteErrors,
    )
)]
#[tracing::instrument(skip_all)]
async fn revoke_token(
    State(accounts): State<Accounts>,
    RequireUser(user): RequireUser,
    Segment(id): Segment<TokenId>,
) -> ApiResult<StatusCode> {
    if accounts.revoke_token(user.id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("You have no API token {id}.")))
    }
}
