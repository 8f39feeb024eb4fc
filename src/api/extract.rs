//! Extractors for API handlers whose rejections are [`ApiError`]s, so a bad request gets the same
//! problem+json answer whichever part of it was wrong.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Path, Query, Request},
    http::{HeaderMap, StatusCode, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use serde::{
    Deserialize, Serialize,
    de::{DeserializeOwned, MapAccess, SeqAccess, Visitor},
};
use serde_json::{Value, map::Entry};
use std::{
    fmt::{self, Display},
    str::FromStr,
};

use crate::model::FieldErrors;
use crate::problem::ApiError;

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
            Ok(Self::Json(parse_json_object(&body)?))
        } else {
            serde_urlencoded::from_bytes::<T::Form>(&body)
                .map(|form| Self::Form(form.into()))
                .map_err(|error| ApiError::Unprocessable(format!("Invalid form data: {error}.")))
        }
    }
}

/// A JSON body into the route's type: broken JSON (or a key twice in one object) is a 400, the wrong
/// shape a 422.
///
/// serde also reads a struct from an array of its fields (`["Hello","Body"]`); the API's bodies are
/// objects, so only an object gets as far as the route's type.
pub fn parse_json_object<T: DeserializeOwned>(body: &[u8]) -> Result<T, JsonRefusal> {
    let value = parse_unique_keys(body)?;
    if !value.is_object() {
        return Err(JsonRefusal::WrongShape(
            "the body must be a JSON object".to_owned(),
        ));
    }
    serde_json::from_value(value).map_err(JsonRefusal::shape)
}

/// JSON text of any kind (GraphQL's `variables` in a query string may be `null`) into `T`, with the
/// same rule for keys as [`parse_json_object`].
pub fn parse_json<T: DeserializeOwned>(text: &[u8]) -> Result<T, JsonRefusal> {
    serde_json::from_value(parse_unique_keys(text)?).map_err(JsonRefusal::shape)
}

/// Reading into [`UniqueKeys`] accepts any JSON value, so each error is a syntax error or a
/// duplicate key: the text is malformed either way.
pub fn parse_unique_keys(text: &[u8]) -> Result<Value, JsonRefusal> {
    serde_json::from_slice(text)
        .map(|UniqueKeys(value)| value)
        .map_err(|error| JsonRefusal::Malformed(error.to_string()))
}

/// Why [`parse_json_object`] refused a body; an [`ApiError`] of its own status through `?`, while
/// the GraphQL route words it as the GraphQL over HTTP specification does.
#[derive(Debug)]
pub enum JsonRefusal {
    /// Not JSON, or an object with a key twice: 400.
    Malformed(String),
    /// JSON, of the wrong shape: 422.
    WrongShape(String),
}

impl JsonRefusal {
    fn shape(error: serde_json::Error) -> Self {
        Self::WrongShape(error.to_string())
    }
}

impl Display for JsonRefusal {
    fn fmt(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Self::Malformed(error) | Self::WrongShape(error) => formatter.write_str(error),
        }
    }
}

impl From<JsonRefusal> for ApiError {
    fn from(refusal: JsonRefusal) -> Self {
        match refusal {
            JsonRefusal::Malformed(error) => Self::BadRequest(format!("Malformed JSON: {error}.")),
            JsonRefusal::WrongShape(error) => {
                Self::Unprocessable(format!("JSON of the wrong shape: {error}."))
            }
        }
    }
}

/// Any JSON value, read with one rule serde_json leaves out: no object may have the same key twice
/// (serde_json keeps the last, and another reader of the same text may keep the first: a signed or
/// checked body could mean two things). Built while parsing, as serde_json's own `Value` is, so the
/// check costs no second pass.
struct UniqueKeys(Value);

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueKeysVisitor).map(Self)
    }
}

struct UniqueKeysVisitor;

impl<'de> Visitor<'de> for UniqueKeysVisitor {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Value, A::Error> {
        let mut array = Vec::with_capacity(items.size_hint().unwrap_or(0));
        while let Some(UniqueKeys(item)) = items.next_element()? {
            array.push(item);
        }
        Ok(Value::Array(array))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = entries.next_key::<String>()? {
            match object.entry(key) {
                Entry::Occupied(entry) => {
                    return Err(serde::de::Error::custom(format_args!(
                        "the key {:?} appears twice in one object",
                        entry.key()
                    )));
                }
                Entry::Vacant(entry) => {
                    let UniqueKeys(value) = entries.next_value()?;
                    entry.insert(value);
                }
            }
        }
        Ok(Value::Object(object))
    }
}

/// The media type without parameters (`charset` is accepted whatever it says), lower-cased.
pub(super) fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next()?.trim();
    (!essence.is_empty()).then(|| essence.to_ascii_lowercase())
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
