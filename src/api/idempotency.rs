//! The `Idempotency-Key` request header of the create routes (`POST /api/post`,
//! `POST /api/comments/{id}`), IETF httpapi draft: a retry with the same key answers the first
//! result; the same key with other values is a 422; a malformed key a 400. Storage: `db/idempotency.rs`.

use axum::{extract::FromRequestParts, http::request::Parts};

use crate::db::{IdempotencyKey, Once};
use crate::problem::ApiError;

pub const HEADER: &str = "idempotency-key";

/// The header's description in the OpenAPI document, shared by both routes.
pub const DESCRIPTION: &str = "Optional. A key of the client's choosing (a UUID, say), as the IETF \
    httpapi Idempotency-Key draft says: a retry with the same key within 24 hours answers the first \
    result (201, same id) instead of creating again; the same key with other values is refused (422).";

/// `None` when the request has no key.
pub struct OptionalKey(pub Option<IdempotencyKey>);

impl<S: Send + Sync> FromRequestParts<S> for OptionalKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let mut values = parts.headers.get_all(HEADER).iter();
        let Some(value) = values.next() else {
            return Ok(Self(None));
        };
        if values.next().is_some() {
            return Err(ApiError::BadRequest(
                "Send one Idempotency-Key header, not several.".to_owned(),
            ));
        }
        IdempotencyKey::parse(value.as_bytes())
            .map(|key| Self(Some(key)))
            .map_err(ApiError::BadRequest)
    }
}

/// The answer to give: the new row or the first request's; a reused key is the client's mistake.
pub fn first_result<T>(once: Once<T>) -> Result<T, ApiError> {
    match once {
        Once::Created(value) | Once::Replayed(value) => Ok(value),
        Once::KeyReused => Err(ApiError::Unprocessable(
            "This Idempotency-Key was used for a request with other values; use a new key for a \
             new request."
                .to_owned(),
        )),
    }
}
