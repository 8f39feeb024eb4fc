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

use crate::problem::ApiError;
use crate::{db::Precondition, model::FieldErrors};

/// A body in JSON (`fetch`) or form-encoded (a `<form>` with JavaScript off), remembering which so
/// the route answers each client the way it expects.
pub enum Submitted<T> {
    Json(T),
    Form(T),
}

impl<T> Submitted<T> {
    pub fn is_form(&self) -> bool {
        matches!(self, Self::Form(_))
    }

    pub fn value(&self) -> &T {
        match self {
            Self::Json(value) | Self::Form(value) => value,
        }
    }

    /// 201 with `Location` for `fetch`; 303 for a plain form, so a reload does not post again.
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
    /// Invalid values: a 422 for `fetch`; for a plain form, 303 back to `page#anchor` with the
    /// values in the query, where the page shows them with their errors (too long for a URL: 422).
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

/// A JSON body a plain form can send too. `Form` is its own type so OpenAPI describes it apart (a
/// form's invalid values go back to the form, so its schema has no limits).
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

/// A JSON body into the route's type: broken JSON (or a key twice) is a 400, the wrong shape a 422.
/// Only an object is read: serde would also take a struct from an array of its fields.
pub fn parse_json_object<T: DeserializeOwned>(body: &[u8]) -> Result<T, JsonRefusal> {
    let value = parse_unique_keys(body)?;
    if !value.is_object() {
        return Err(JsonRefusal::WrongShape(
            "the body must be a JSON object".to_owned(),
        ));
    }
    serde_json::from_value(value).map_err(JsonRefusal::shape)
}

/// Any JSON text (GraphQL's query-string `variables` may be `null`), keys unique as above.
pub fn parse_json<T: DeserializeOwned>(text: &[u8]) -> Result<T, JsonRefusal> {
    serde_json::from_value(parse_unique_keys(text)?).map_err(JsonRefusal::shape)
}

/// [`UniqueKeys`] accepts any JSON value, so every error means malformed text.
pub fn parse_unique_keys(text: &[u8]) -> Result<Value, JsonRefusal> {
    serde_json::from_slice(text)
        .map(|UniqueKeys(value)| value)
        .map_err(|error| JsonRefusal::Malformed(error.to_string()))
}

/// Why a body was refused: an [`ApiError`] through `?`; the GraphQL route words it its own way.
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

/// Any JSON value, with no key twice in an object: serde_json keeps the last, another reader may
/// keep the first, so a signed body could mean two things. Checked while parsing: no second pass.
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
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next()?.trim();
    (!essence.is_empty()).then(|| essence.to_ascii_lowercase())
}

/// A route's one dynamic segment (`{id}`), by the type's `FromStr`; else a 400 with its message.
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

/// An optional query parameter by `FromStr`, for types whose `Deserialize` reads JSON numbers
/// (`PostId`): `#[serde(default, deserialize_with = …)]`.
pub fn optional_from_str<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: FromStr<Err: Display>,
{
    let text = String::deserialize(deserializer)?;
    text.parse().map(Some).map_err(serde::de::Error::custom)
}

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

/// `If-Match` (RFC 9110 §13.1.1): `*`, or entity tags compared strongly (a weak `W/` tag never
/// matches), over every `If-Match` line. Anything else is a 400: guessing could lose an update.
pub struct IfMatch(pub Precondition);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let mut lines = parts
            .headers
            .get_all(header::IF_MATCH)
            .iter()
            // An empty line names nothing, as if it were not there.
            .filter(|line| {
                !line
                    .as_bytes()
                    .iter()
                    .all(|byte| matches!(byte, b' ' | b'\t'))
            })
            .peekable();
        if lines.peek().is_none() {
            return Ok(Self(Precondition::None));
        }
        let mut tags = Vec::new();
        for line in lines {
            let line = line.to_str().map_err(|_| bad_if_match())?;
            if line.trim() == "*" {
                return Ok(Self(Precondition::Any));
            }
            parse_entity_tags(line, &mut tags).ok_or_else(bad_if_match)?;
        }
        Ok(Self(Precondition::OneOf(tags)))
    }
}

fn bad_if_match() -> ApiError {
    ApiError::BadRequest(
        "If-Match must be * or a list of entity tags (the ETag of GET /api/post/{id}).".to_owned(),
    )
}

/// `"a", W/"b"` → the strong tags (`"a"`, quotes kept) into `tags`; `None` if it is not such a list.
/// (The OpenAPI document states the same rule as a pattern, in `api/post.rs`.)
pub fn parse_entity_tags(line: &str, tags: &mut Vec<String>) -> Option<()> {
    let mut rest = line.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let (weak, tail) = match rest.strip_prefix("W/") {
            Some(tail) => (true, tail),
            None => (false, rest),
        };
        let tail = tail.strip_prefix('"')?;
        let end = tail.find('"')?;
        let opaque = &tail[..end];
        // etagc: %x21 / %x23-7E / obs-text; the header is visible ASCII already (`to_str`).
        if opaque.bytes().any(|byte| byte <= b' ' || byte == 0x7F) {
            return None;
        }
        if !weak {
            tags.push(format!("\"{opaque}\""));
        }
        rest = tail[end + 1..].trim_start();
        if let Some(next) = rest.strip_prefix(',') {
            rest = next.trim_start();
            if rest.is_empty() {
                return None;
            }
        } else if !rest.is_empty() {
            return None;
        }
    }
    Some(())
}
