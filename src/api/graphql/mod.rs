//! `/api/graphql`: the posts and comments as a GraphQL API (async-graphql), beside the REST routes
//! and over the same data layer — the Next.js examples' `pages/api/graphql.js`. The schema, its
//! limits and its error codes are in [`schema`].
//!
//! ```sh
//! curl http://127.0.0.1:3000/api/graphql -H 'Content-Type: application/json' \
//!      -d '{"query":"{ posts(limit: 2) { posts { id title commentCount } nextCursor } }"}'
//! curl -G http://127.0.0.1:3000/api/graphql --data-urlencode 'query={ post(id: 1) { title } }'
//! ```
//!
//! Transport: POST with a JSON body (`query`, `operationName`, `variables`) runs queries and
//! mutations; GET with the same fields in the query string runs queries only (405 for a mutation, so
//! a link or an `<img>` cannot write, and writes stay behind the API's rules for unsafe methods).
//! The answer is always `{"data", "errors"}` with 200, whatever the GraphQL errors; a request that is
//! not GraphQL at all (malformed JSON, another content type, a body over the limit) gets the API's
//! problem+json instead. One request per call: no batches, no multipart uploads.

use async_graphql::parser::types::OperationType;
use async_graphql_axum::GraphQLResponse;
use axum::{
    Extension,
    body::Bytes,
    extract::{DefaultBodyLimit, FromRequest, Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    DEFAULT_BODY_LIMIT,
    error::{
        self, ApiError, Problem,
        responses::{
            BadRequest, Forbidden, PayloadTooLarge, TooManyRequests, Unprocessable,
            UnsupportedMediaType,
        },
    },
    extract::{media_type, parse_json_object},
};
use crate::{
    db::{Db, Visibility},
    server::AppState,
};

pub mod schema;

use schema::GraphQLSchema;

/// The largest body this route reads (see `post.rs`): enough for a `createPost` with a post at its
/// 10 000-character limit, however it is escaped.
const BODY_LIMIT: usize = DEFAULT_BODY_LIMIT;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(query_over_get, query_or_mutation_over_post))
        .layer(Extension(schema::build()))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

/// `GET /api/graphql?query=…`: a query (not a mutation) from the query string. `operationName` and
/// `variables` (a JSON object) may be given too, as in a POST body.
#[utoipa::path(
    get,
    path = "/api/graphql",
    params(("query" = String, Query, description = "The GraphQL query (queries only; a mutation is 405)")),
    responses(
        (status = 200, description = "`{\"data\", \"errors\"}`, whatever the GraphQL errors.",
            content_type = "application/graphql-response+json", body = Object),
        (status = 400, response = BadRequest),
        (status = 405, description = "A mutation sent with GET.", content_type = "application/problem+json", body = Problem),
    )
)]
async fn query_over_get(
    State(db): State<Db>,
    visibility: Visibility,
    Extension(schema): Extension<GraphQLSchema>,
    GraphQLRequest(request): GraphQLRequest,
) -> GraphQLResponse {
    execute(&schema, request, db, visibility).await
}

/// `POST /api/graphql` with `{"query", "operationName", "variables"}`: queries and mutations.
#[utoipa::path(
    post,
    path = "/api/graphql",
    request_body(content = Object, content_type = "application/json",
        description = "`{\"query\", \"operationName\", \"variables\"}`"),
    responses(
        (status = 200, description = "`{\"data\", \"errors\"}`, whatever the GraphQL errors.",
            content_type = "application/graphql-response+json", body = Object),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
    )
)]
async fn query_or_mutation_over_post(
    State(db): State<Db>,
    visibility: Visibility,
    Extension(schema): Extension<GraphQLSchema>,
    GraphQLRequest(request): GraphQLRequest,
) -> GraphQLResponse {
    execute(&schema, request, db, visibility).await
}

/// Runs one GraphQL request with the state's database and the request's visibility (drafts in preview
/// mode only) in its data.
#[tracing::instrument(skip_all)]
async fn execute(
    schema: &GraphQLSchema,
    request: async_graphql::Request,
    db: Db,
    visibility: Visibility,
) -> GraphQLResponse {
    schema
        .execute(request.data(db).data(visibility))
        .await
        .into()
}

/// One GraphQL request, from the query string (GET) or a JSON body (POST). async-graphql-axum's own
/// extractor streams the body past axum's `DefaultBodyLimit`, takes multipart uploads and answers
/// plain-text errors; this one reads the body like every other route, so its errors are problem+json.
struct GraphQLRequest(async_graphql::Request);

impl<S: Send + Sync> FromRequest<S> for GraphQLRequest {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        if request.method() == Method::GET {
            let query = request.uri().query().unwrap_or_default();
            let mut graphql = async_graphql::http::parse_query_string(query).map_err(|error| {
                ApiError::BadRequest(format!("Invalid GraphQL query string: {error}."))
                    .into_response()
            })?;
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
        parse_json_object(&body)
            .map(Self)
            .map_err(IntoResponse::into_response)
    }
}

/// Whether the operation the request asks for is a mutation. A document that does not parse is
/// left to the executor, which answers it with a GraphQL syntax error (and keeps the parse).
fn is_mutation(request: &mut async_graphql::Request) -> bool {
    let wanted = request.operation_name.clone();
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
    let mut response = error::problem(
        StatusCode::METHOD_NOT_ALLOWED,
        "A mutation must be sent with POST; GET runs queries only.",
        None,
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    response
}
