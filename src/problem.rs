//! The API's one error type and the one place that decides status codes. Every failure under `/api`
//! leaves as RFC 9457 `application/problem+json`; internal errors are logged with their cause (in
//! the request's span, so the line names the request) and answered generically, so nothing leaks.

use axum::{
    Json,
    extract::rejection::{BytesRejection, PathRejection, QueryRejection},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    db,
    model::{FieldErrors, PostId},
    telemetry::trace_context::current_trace_id,
};

/// `Result` for API handlers, so they can use `?` on anything that converts into [`ApiError`].
pub type ApiResult<T, E = ApiError> = Result<T, E>;

/// Everything an API route can answer besides success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request itself is wrong: malformed JSON, a bad path segment or query parameter.
    #[error("{0}")]
    BadRequest(String),
    /// Missing or wrong credentials (the preview secret, the webhook signature).
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but not allowed: another user's post.
    #[error("{0}")]
    Forbidden(String),
    /// No route, or no row, behind the requested path.
    #[error("{0}")]
    NotFound(String),
    /// `If-Match` names a version that is not the current one (another edit came first).
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    NotAcceptable(String),
    /// Well-formed, but not the shape the route expects (a number where text belongs, not an object).
    #[error("{0}")]
    Unprocessable(String),
    /// The right shape, but the values break the rules in `model.rs`.
    #[error("the submitted values are not valid")]
    Validation(FieldErrors),
    /// An error axum's own extractors found (body too large, unreadable body…), with axum's status.
    #[error("{detail}")]
    Rejected { status: StatusCode, detail: String },
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    StorageFull(String),
    /// A bug or an unexpected failure: logged in full, answered with a generic 500.
    #[error(transparent)]
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// The 404 of every route under a post's id.
    pub fn no_such_post(id: PostId) -> Self {
        Self::NotFound(format!("There is no post {id}."))
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            Self::Unprocessable(_) | Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Rejected { status, .. } => *status,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::StorageFull(_) => StatusCode::INSUFFICIENT_STORAGE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// A full disk (507) and a database that does not answer (503) are named to the client, who can
/// retry later; anything else is a 500. The detail never holds the database's message (it may name
/// files).
impl From<db::Error> for ApiError {
    fn from(error: db::Error) -> Self {
        match error {
            db::Error::StorageFull(_) => {
                tracing::error!(%error, "a write failed: the database's storage is full");
                Self::StorageFull(
                    "The server is out of storage space, so nothing was saved. Reading still \
                     works; try the write again later."
                        .to_owned(),
                )
            }
            db::Error::Unavailable(_) => {
                tracing::warn!(%error, "the database is not available");
                Self::Unavailable("The database is not answering; try again later.".to_owned())
            }
            db::Error::Other(_) => Self::Internal(error.into()),
        }
    }
}

impl From<FieldErrors> for ApiError {
    fn from(errors: FieldErrors) -> Self {
        Self::Validation(errors)
    }
}

/// axum's rejections carry their own status and a readable text; keep both, change the format.
macro_rules! from_axum_rejection {
    ($($rejection:ty),+) => {$(
        impl From<$rejection> for ApiError {
            fn from(rejection: $rejection) -> Self {
                Self::Rejected { status: rejection.status(), detail: rejection.body_text() }
            }
        }
    )+};
}
from_axum_rejection!(BytesRejection, PathRejection, QueryRejection);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match self {
            Self::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                problem(status, "The server could not complete the request.", None)
            }
            Self::Validation(errors) => problem(status, validation_detail(&errors), Some(errors)),
            other => problem(status, other.to_string(), None),
        }
    }
}

fn validation_detail(errors: &FieldErrors) -> String {
    let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
    format!("Invalid value for {}.", fields.join(", "))
}

/// The problem+json body, field for field as RFC 9457 names them.
#[derive(Serialize, ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    kind: &'static str,
    /// The status's standard reason phrase (`Unprocessable Entity`).
    title: &'static str,
    /// The HTTP status, repeated.
    #[schema(minimum = 400, maximum = 599)]
    status: u16,
    /// What went wrong with this request, in a sentence.
    detail: String,
    /// Validation failures only (422): messages per field name.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(inline)]
    errors: Option<FieldErrors>,
    /// The W3C trace id of the request (32 hex digits), when it came with a `traceparent` or traces
    /// are exported: the key to its spans and log lines (the `x-request-id` header is the other).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[0-9a-f]{32}$")]
    trace_id: Option<String>,
}

/// A problem+json response: `status`, its reason as the title, `detail`, per-field `errors`.
pub fn problem(
    status: StatusCode,
    detail: impl Into<String>,
    errors: Option<FieldErrors>,
) -> Response {
    let body = Problem {
        kind: "about:blank",
        title: status.canonical_reason().unwrap_or("Error"),
        status: status.as_u16(),
        detail: detail.into(),
        errors,
        trace_id: current_trace_id().map(|id| id.to_string()),
    };
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

/// For an answer given before the body was read to its end: the rest may still come, so the
/// connection cannot carry another request.
pub fn closing_connection(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// The OpenAPI error answers, one per status, listed in a route's `responses(...)` as
/// `(status = 404, response = NotFound)`. Each doc comment is the response's description.
pub mod responses {
    use utoipa::ToResponse;

    use super::Problem;

    macro_rules! problem_responses {
        ($($(#[doc = $doc:literal])+ $name:ident;)+) => {$(
            $(#[doc = $doc])+
            #[derive(ToResponse)]
            #[response(content_type = "application/problem+json")]
            pub struct $name(pub Problem);
        )+};
    }

    problem_responses! {
        /// Malformed JSON, or a path segment or query parameter that does not parse.
        BadRequest;
        /// Missing or wrong credentials: the preview secret, the webhook's signature.
        Unauthorized;
        /// A write from another site (`Sec-Fetch-Site: cross-site`, or an `Origin` that is not this
        /// host), refused by the cross-site request protection.
        Forbidden;
        /// No such post.
        NotFound;
        /// Anonymous: sign in (a session cookie or a bearer token) first.
        SignInFirst;
        /// Signed in, but not the post's author (anonymous posts have none: nobody may change them);
        /// or a write from another site, refused by the cross-site request protection.
        NotTheAuthor;
        /// `If-Match` does not name the post's current version: another edit came first. The
        /// `ETag` header names the current one; read the post again before retrying.
        PreconditionFailed;
        /// The `Accept` header allows none of the media types the route answers in.
        NotAcceptable;
        /// The body is larger than the route's limit.
        PayloadTooLarge;
        /// The body is neither `application/json` nor `application/x-www-form-urlencoded`.
        UnsupportedMediaType;
        /// JSON of the wrong shape, or values that break the rules (`errors` says which, per field).
        Unprocessable;
        /// Too many writes from this address: wait the `Retry-After` seconds (`RATE_LIMIT_PER_MINUTE`).
        TooManyRequests;
        /// A bug or an unexpected failure, answered with a generic detail that leaks nothing.
        Internal;
        /// A dependency (the database) is not answering; try again later.
        Unavailable;
        /// This deployment cannot answer the route (an event stream from an AWS Lambda function).
        NotImplemented;
        /// The server's storage is full: the write was not saved (reads still work); try again later.
        InsufficientStorage;
    }

    /// What every route taking a body from a browser can answer besides success, declared once.
    #[derive(utoipa::IntoResponses)]
    pub enum WriteErrors {
        #[response(status = 400)]
        BadRequest(#[ref_response] BadRequest),
        #[response(status = 403)]
        Forbidden(#[ref_response] Forbidden),
        #[response(status = 413)]
        PayloadTooLarge(#[ref_response] PayloadTooLarge),
        #[response(status = 415)]
        UnsupportedMediaType(#[ref_response] UnsupportedMediaType),
        #[response(status = 422)]
        Unprocessable(#[ref_response] Unprocessable),
        #[response(status = 429)]
        TooManyRequests(#[ref_response] TooManyRequests),
        #[response(status = 500)]
        Internal(#[ref_response] Internal),
        #[response(status = 503)]
        Unavailable(#[ref_response] Unavailable),
        #[response(status = 507)]
        InsufficientStorage(#[ref_response] InsufficientStorage),
    }

    /// What the author-only routes of a post (`PATCH`, `DELETE`, the page's form) can answer
    /// besides success: [`WriteErrors`], with 401, 403 for another user, 404 and 412.
    #[derive(utoipa::IntoResponses)]
    pub enum AuthorWriteErrors {
        #[response(status = 400)]
        BadRequest(#[ref_response] BadRequest),
        #[response(status = 401)]
        SignInFirst(#[ref_response] SignInFirst),
        #[response(status = 403)]
        NotTheAuthor(#[ref_response] NotTheAuthor),
        #[response(status = 404)]
        NotFound(#[ref_response] NotFound),
        #[response(status = 412)]
        PreconditionFailed(#[ref_response] PreconditionFailed),
        #[response(status = 413)]
        PayloadTooLarge(#[ref_response] PayloadTooLarge),
        #[response(status = 415)]
        UnsupportedMediaType(#[ref_response] UnsupportedMediaType),
        #[response(status = 422)]
        Unprocessable(#[ref_response] Unprocessable),
        #[response(status = 429)]
        TooManyRequests(#[ref_response] TooManyRequests),
        #[response(status = 500)]
        Internal(#[ref_response] Internal),
        #[response(status = 503)]
        Unavailable(#[ref_response] Unavailable),
        #[response(status = 507)]
        InsufficientStorage(#[ref_response] InsufficientStorage),
    }
}

/// 401 for a request that must be signed in (or whose token is not valid); a database failure as
/// any other.
impl From<crate::auth::AuthRejection> for ApiError {
    fn from(rejection: crate::auth::AuthRejection) -> Self {
        match rejection {
            crate::auth::AuthRejection::SignInRequired
            | crate::auth::AuthRejection::InvalidToken => Self::Unauthorized(rejection.to_string()),
            crate::auth::AuthRejection::Database(error) => error.into(),
        }
    }
}

/// A 401 names the schemes that would do (RFC 9110 §11.6.1); `Bearer`, not `Basic`, so a browser
/// shows no password dialog.
impl IntoResponse for crate::auth::AuthRejection {
    fn into_response(self) -> Response {
        let mut response = ApiError::from(self).into_response();
        if response.status() == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"api\""),
            );
        }
        response
    }
}
