//! GraphQL over HTTP (<https://graphql.github.io/graphql-over-http/draft/>): the answer's media
//! type by `Accept` (406 for neither), its status (400 for a request that failed before execution,
//! only in `application/graphql-response+json`), and what is a request at all (else a 400 problem).
//! GET runs queries only: a mutation is 405. Hand-written: async-graphql-axum takes malformed
//! parameters for defaults, reads bodies past the limit and answers plain-text errors.

use std::collections::BTreeMap;

use async_graphql::{ServerError, Variables, parser::types::OperationType};
use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::{
    IntoParams, ToSchema,
    openapi::{Object, ObjectBuilder, Type},
};

use super::nesting;
use crate::{
    api::extract::{JsonRefusal, media_type, parse_json, parse_json_object},
    problem::{self, ApiError},
    qvalue,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaType {
    /// `application/json`: every GraphQL answer is a 200.
    Json,
    /// `application/graphql-response+json`: the status tells whether the request ran.
    GraphQLResponseJson,
}

impl MediaType {
    const ALL: [Self; 2] = [Self::Json, Self::GraphQLResponseJson];

    fn essence(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::GraphQLResponseJson => "application/graphql-response+json",
        }
    }

    /// The `Content-Type`, with the encoding, as the specification recommends.
    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::Json => "application/json; charset=utf-8",
            Self::GraphQLResponseJson => "application/graphql-response+json; charset=utf-8",
        })
    }

    /// The type `Accept` prefers: highest `q`, then the more specific match, then listed first;
    /// `Json` when only a wildcard matches or there is no `Accept`; `None` when it accepts neither.
    pub fn negotiate(headers: &HeaderMap) -> Option<Self> {
        let ranges: Vec<AcceptedRange> = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(AcceptedRange::parse)
            .collect();
        if ranges.is_empty() {
            return Some(Self::Json);
        }
        Self::ALL
            .into_iter()
            .filter_map(|media_type| {
                // The most specific range that matches decides the type's quality (RFC 9110, 12.5.1).
                let (position, range) = ranges
                    .iter()
                    .enumerate()
                    .filter(|(_, range)| range.matches(media_type))
                    .max_by_key(|(position, range)| (range.specificity, usize::MAX - position))?;
                (range.quality > 0).then_some((
                    media_type,
                    range.quality,
                    range.specificity,
                    position,
                ))
            })
            // Ties on the same range go to `Json`, first in `ALL`.
            .min_by_key(|&(_, quality, specificity, position)| {
                (u16::MAX - quality, u8::MAX - specificity, position)
            })
            .map(|(media_type, ..)| media_type)
    }
}

/// One entry of an `Accept` header: a media range and its quality (`q`, in thousandths).
struct AcceptedRange {
    essence: String,
    quality: u16,
    /// 2 for `type/subtype`, 1 for `type/*`, 0 for `*/*`.
    specificity: u8,
}

impl AcceptedRange {
    fn parse(entry: &str) -> Option<Self> {
        let mut parts = entry.split(';');
        let essence = parts.next()?.trim().to_ascii_lowercase();
        let (kind, subtype) = essence.split_once('/')?;
        let specificity = match (kind, subtype) {
            ("*", "*") => 0,
            (_, "*") => 1,
            _ => 2,
        };
        let quality = parts
            .filter_map(|parameter| parameter.split_once('='))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("q"))
            .map_or(Some(qvalue::FULL), |(_, value)| qvalue::parse(value.trim()))?;
        Some(Self {
            essence,
            quality,
            specificity,
        })
    }

    fn matches(&self, media_type: MediaType) -> bool {
        let essence = media_type.essence();
        match self.specificity {
            0 => true,
            1 => essence.split('/').next() == self.essence.split('/').next(),
            _ => essence == self.essence,
        }
    }
}

/// The media type the client accepts, read before anything else: 406 when it accepts neither.
pub struct Negotiated(pub MediaType);

impl<S: Send + Sync> FromRequestParts<S> for Negotiated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        MediaType::negotiate(&parts.headers)
            .map(Self)
            .ok_or_else(|| {
                ApiError::NotAcceptable(
                    "GraphQL answers are application/graphql-response+json or application/json; \
                     the Accept header allows neither."
                        .to_owned(),
                )
            })
    }
}

/// A POST body: the request's parameters as a JSON object. Fields of other names are ignored (the
/// specification reserves them).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GraphQLParameters {
    /// The GraphQL document (it does not have to parse to be a request; parse errors are answers).
    query: String,
    /// Which operation of the document to run, when it has several.
    #[serde(default)]
    operation_name: Option<String>,
    /// The operation's variables, by name.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    variables: Option<Variables>,
    /// Reserved by the specification for servers to extend it; this one defines none. Read only so
    /// that anything but a map is refused, as the specification asks.
    #[serde(default, rename = "extensions")]
    #[schema(value_type = Option<Object>)]
    _extensions: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A GET query string: the same parameters, `variables` and `extensions` as JSON text.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct QueryString {
    /// The GraphQL document (queries only: a mutation is 405).
    query: String,
    /// Which operation of the document to run, when it has several (empty: none given).
    #[serde(default)]
    operation_name: Option<String>,
    /// The operation's variables, as a JSON object (empty: none given).
    #[serde(default)]
    #[param(schema_with = json_object_text)]
    variables: Option<String>,
    /// Reserved by the specification, a JSON object; this server defines none.
    #[serde(default)]
    #[param(schema_with = json_object_text)]
    extensions: Option<String>,
}

/// A JSON object carried as query-string text (`api/openapi.rs` writes it with `content`).
fn json_object_text() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .content_media_type("application/json")
        .build()
}

impl QueryString {
    fn into_parameters(self) -> Result<GraphQLParameters, ApiError> {
        let variables = json_map(self.variables.as_deref(), "variables")?;
        let extensions = json_map(self.extensions.as_deref(), "extensions")?;
        Ok(GraphQLParameters {
            query: self.query,
            // An empty operationName is the same as none (the specification says so for GET).
            operation_name: self.operation_name.filter(|name| !name.is_empty()),
            variables,
            _extensions: extensions,
        })
    }
}

/// A query-string parameter that holds a JSON object (or `null`; empty is the same as absent).
fn json_map<T: serde::de::DeserializeOwned>(
    text: Option<&str>,
    name: &str,
) -> Result<Option<T>, ApiError> {
    text.filter(|text| !text.is_empty())
        .map(|text| parse_json::<Option<T>>(text.as_bytes()))
        .transpose()
        .map(Option::flatten)
        .map_err(|error| not_graphql(format!("{name} must be a JSON object: {error}")))
}

fn not_graphql(reason: impl std::fmt::Display) -> ApiError {
    ApiError::BadRequest(format!("Not a GraphQL request: {reason}."))
}

/// One well-formed GraphQL request, from the query string (GET) or a JSON body (POST), read like
/// every other route's body so its errors are problem+json (see the module header).
pub struct GraphQLRequest(pub async_graphql::Request);

impl<S: Send + Sync> FromRequest<S> for GraphQLRequest {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        if request.method() == Method::GET || request.method() == Method::HEAD {
            let query = request.uri().query().unwrap_or_default();
            let parameters = serde_urlencoded::from_str::<QueryString>(query)
                .map_err(|error| {
                    not_graphql(format!(
                        "the query string needs `query`, the document ({error})"
                    ))
                })
                .and_then(QueryString::into_parameters)
                .map_err(IntoResponse::into_response)?;
            let mut graphql = parameters.into_request();
            if is_mutation(&mut graphql) {
                return Err(mutation_over_get());
            }
            return Ok(Self(graphql));
        }
        match media_type(request.headers()).as_deref() {
            Some("application/json") => {}
            other => {
                let sent = other.map_or("no Content-Type".to_owned(), |other| {
                    format!("Content-Type {other}")
                });
                let detail = format!("A GraphQL request is application/json, not {sent}.");
                return Err(ApiError::UnsupportedMediaType(detail).into_response());
            }
        }
        // Reading the body enforces the route's size limit (413).
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| ApiError::from(rejection).into_response())?;
        let parameters: GraphQLParameters = parse_json_object(&body).map_err(|refusal| {
            match refusal {
                JsonRefusal::WrongShape(error) => not_graphql(error),
                malformed => ApiError::from(malformed),
            }
            .into_response()
        })?;
        Ok(Self(parameters.into_request()))
    }
}

impl GraphQLParameters {
    fn into_request(self) -> async_graphql::Request {
        let mut request = async_graphql::Request::new(self.query);
        request.operation_name = self.operation_name;
        request.variables = self.variables.unwrap_or_default();
        request
    }
}

/// Whether the requested operation is a mutation. A document that is refused by the nesting guard
/// or does not parse is left to the executor, which answers it with a GraphQL error.
fn is_mutation(request: &mut async_graphql::Request) -> bool {
    let wanted = request.operation_name.clone();
    if nesting::check(&request.query).is_err() {
        return false;
    }
    let Ok(document) = request.parsed_query() else {
        return false;
    };
    document
        .operations
        .iter()
        .filter(|(name, _)| wanted.is_none() || name.map(|name| name.as_str()) == wanted.as_deref())
        .any(|(_, operation)| operation.node.ty == OperationType::Mutation)
}

fn mutation_over_get() -> Response {
    let mut response = problem::problem(
        StatusCode::METHOD_NOT_ALLOWED,
        "A mutation must be sent with POST; GET runs queries only.",
        None,
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    response
}

/// A GraphQL answer as the specification shapes it: `data` only when the operation ran.
#[derive(Serialize, ToSchema)]
pub struct GraphQLAnswer {
    /// What the operation selected; `null` when a field that may not be null failed. Absent when
    /// the request failed before it ran (parse, validation, variables, an unknown operation).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    data: Option<async_graphql::Value>,
    /// What went wrong, each with a `message` and `extensions.code` (see the schema module).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    errors: Vec<ServerError>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = Object)]
    extensions: BTreeMap<String, async_graphql::Value>,
}

/// Whether the operation ran: a request error (parse, validation, operation, variables) carries no
/// path and leaves no data; a field error always has a path.
fn ran(response: &async_graphql::Response) -> bool {
    response.data != async_graphql::Value::Null
        || response.errors.is_empty()
        || response.errors.iter().any(|error| !error.path.is_empty())
}

/// async-graphql's response, answered in `media_type` with the status the specification gives it.
pub fn answer(media_type: MediaType, response: async_graphql::Response) -> Response {
    let ran = ran(&response);
    let status = match media_type {
        MediaType::GraphQLResponseJson if !ran => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    let body = GraphQLAnswer {
        data: ran.then_some(response.data),
        errors: response.errors,
        extensions: response.extensions,
    };
    let mut response = (status, axum::Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, media_type.content_type());
    // The same URL answers in two types: caches must key on Accept.
    headers.insert(header::VARY, HeaderValue::from_static("accept"));
    response
}
