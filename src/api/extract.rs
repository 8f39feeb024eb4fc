//! Extractors for API handlers whose rejections are [`ApiError`]s, so a bad request gets the same
//! problem+json answer whichever part of it was wrong.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Path, Query, Request},
    http::{HeaderMap, StatusCode, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::{fmt::Display, str::FromStr};

use super::error::ApiError;
use crate::model::FieldErrors;

/// A request body in JSON (what `fetch` sends) or form-encoded (what a `<form>` posts with JavaScript
/// off). The variant remembers which, so the route can answer each the way its client expects.
pub enum Submitted<T> {
    Json(T),
    Form(T),
}

impl<T> Submitted<T> {
    /// Sent by a plain `<form>` (JavaScript off), not by `fetch`.
    pub fn is_form(&self) -> bool {
        matches!(self, Self::Form(_))
    }

    pub fn value(&self) -> &T {
        match self {
            Self::Json(value) | Self::Form(value) => value,
        }
    }

    /// 201 with `Location` and `body` for `fetch`; 303 to `location` for a plain form, so the
    /// browser lands on the page it created (and a reload does not post again).
    pub fn created(&self, location: &str, body: impl Serialize) -> Response {
        match self {
            Self::Json(_) => (
                StatusCode::CREATED,
                [(header::LOCATION, location)],
                axum::Json(body),
            )
                .into_response(),
            Self::Form(_) => Redirect::to(location).into_response(),
        }
    }
}

impl<T: Serialize> Submitted<T> {
    /// The answer to values that fail validation: a 422 problem with the field errors for `fetch`;
    /// for a plain form, 303 back to the form at `page#anchor` with the typed values in the query,
    /// where the page validates them again (same rules, same messages) and shows them with their
    /// errors. Values too long to travel in a URL get the 422 instead.
    pub fn invalid(&self, errors: FieldErrors, page: &str, anchor: &str) -> Response {
        if let Self::Form(value) = self
            && let Ok(query) = serde_urlencoded::to_string(value)
            && query.len() <= MAX_RETURNED_QUERY
        {
            return Redirect::to(&format!("{page}?{query}#{anchor}")).into_response();
        }
        ApiError::Validation(errors).into_response()
    }
}

/// Well under the 64 KiB a URI may have, on the server (the `http` crate) as in browsers.
const MAX_RETURNED_QUERY: usize = 32 * 1024;

const ACCEPTED_TYPES: &str = "application/json or application/x-www-form-urlencoded";

/// A JSON body that a plain HTML form can send too. `Form` is the form's fields as the browser sends
/// them, read into the body type: its own type, because the OpenAPI document must describe it apart
/// (a form's invalid values are not refused but sent back to the form, so its schema has no limits).
pub trait FormFields: Sized {
    type Form: DeserializeOwned + Into<Self>;
}

impl<S, T> FromRequest<S> for Submitted<T>
where
    S: Send + Sync,
    T: DeserializeOwned + FormFields,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = match media_type(request.headers()).as_deref() {
            Some("application/json") => true,
            Some("application/x-www-form-urlencoded") => false,
            Some(other) => {
                return Err(ApiError::UnsupportedMediaType(format!(
                    "Content-Type {other} is not accepted; send {ACCEPTED_TYPES}."
                )));
            }
            None => {
                return Err(ApiError::UnsupportedMediaType(format!(
                    "The request has no Content-Type; send {ACCEPTED_TYPES}."
                )));
            }
        };
        // Reading the body enforces the route's size limit (413).
        let body = Bytes::from_request(request, state).await?;
        if is_json {
            parse_json_object(&body).map(Self::Json)
        } else {
            serde_urlencoded::from_bytes::<T::Form>(&body)
                .map(|form| Self::Form(form.into()))
                .map_err(|error| ApiError::Unprocessable(format!("Invalid form data: {error}.")))
        }
    }
}

/// A JSON body into the route's type: broken JSON is a 400, the wrong shape a 422.
///
/// serde also reads a struct from an array of its fields (`["Hello","Body"]`); the API's bodies are
/// objects, so only an object gets as far as the route's type.
pub fn parse_json_object<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(body).map_err(json_error)?;
    serde_json::from_value(object.into()).map_err(json_error)
}

/// The media type without parameters (`charset` is accepted whatever it says), lower-cased.
pub(super) fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next()?.trim();
    (!essence.is_empty()).then(|| essence.to_ascii_lowercase())
}

/// Broken JSON is a 400; JSON of the wrong shape (a number for a string, an array) is a 422.
fn json_error(error: serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match error.classify() {
        Category::Data => ApiError::Unprocessable(format!("JSON of the wrong shape: {error}.")),
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::BadRequest(format!("Malformed JSON: {error}."))
        }
    }
}

/// A route's one dynamic segment (`{id}`, `{number}`), parsed with the type's own `FromStr`; a
/// segment that does not parse is a 400 with the parser's message.
pub struct Segment<T>(pub T);

impl<S, T> FromRequestParts<S> for Segment<T>
where
    S: Send + Sync,
    T: FromStr<Err: Display>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state).await?;
        raw.parse()
            .map(Self)
            .map_err(|error: T::Err| ApiError::BadRequest(format!("{error}.")))
    }
}

/// An optional query-string parameter read with the type's own `FromStr` (for types whose
/// `Deserialize` reads JSON numbers, such as `PostId`): `#[serde(default, deserialize_with = …)]`.
pub fn optional_from_str<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: FromStr<Err: Display>,
{
    let text = String::deserialize(deserializer)?;
    text.parse().map(Some).map_err(serde::de::Error::custom)
}

/// The query string, deserialized; unknown or malformed parameters are a 400.
pub struct QueryParams<T>(pub T);

impl<S, T> FromRequestParts<S> for QueryParams<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(value) = Query::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}
