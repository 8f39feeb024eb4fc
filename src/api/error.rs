//! The one error type of the API, and the one place that decides status codes.
//!
//! Every failure under `/api` leaves as RFC 9457 problem details (`application/problem+json`):
//! `type`, `title`, `status`, `detail`, plus `errors` (field → messages) for validation failures.
//! Internal errors are logged with their cause — inside the request's tracing span, so the log line
//! names the request — and answered with a generic message, so nothing about the server leaks out.

use axum::{
    Json,
    extract::rejection::{BytesRejection, PathRejection, QueryRejection},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

use crate::model::{FieldErrors, PostId};

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
    /// No route, or no row, behind the requested path.
    #[error("{0}")]
    NotFound(String),
    /// The body is neither of the content types the route accepts.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Well-formed, but not the shape the route expects (a number where text belongs, not an object).
    #[error("{0}")]
    Unprocessable(String),
    /// The right shape, but the values break the rules in `model.rs`.
    #[error("the submitted values are not valid")]
    Validation(FieldErrors),
    /// An error axum's own extractors found (body too large, unreadable body…), with axum's status.
    #[error("{detail}")]
    Rejected { status: StatusCode, detail: String },
    /// A dependency (the database) is not answering; the client may retry.
    #[error("{0}")]
    Unavailable(String),
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
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unprocessable(_) | Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Rejected { status, .. } => *status,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        Self::Internal(error.into())
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
#[derive(Serialize)]
struct Problem {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'static str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<FieldErrors>,
}

/// A problem+json response: `status`, its standard reason as the title, `detail`, and per-field
/// `errors` for validation failures.
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
    };
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}
