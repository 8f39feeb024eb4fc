//! `/api/graphql`: posts and comments as a GraphQL API (async-graphql) over the same data layer as
//! REST, like Next.js's `pages/api/graphql.js` (docs/graphql.md). [`schema`]; guards before
//! async-graphql's own checks in [`nesting`], `complexity.rs`, `introspection.rs`; HTTP in
//! [`transport`]. GET runs queries only (405 for a mutation, so a link cannot write); no batches.

use axum::{Extension, extract::State, response::Response};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{DEFAULT_BODY_LIMIT, body_limit::BodyLimit};
use crate::problem::{
    Problem,
    responses::{Forbidden, NotAcceptable, PayloadTooLarge, TooManyRequests, UnsupportedMediaType},
};
use crate::{
    auth::CurrentUser,
    config::Posting,
    db::{Db, Visibility},
    state::AppState,
};

mod complexity;
mod introspection;
pub mod nesting;
pub mod schema;
pub mod transport;

use schema::GraphQLSchema;
use transport::{
    GraphQLAnswer, GraphQLParameters, GraphQLRequest, MediaType, Negotiated, QueryString,
};

/// Enough for a `createPost` at the 10 000-character limit, however escaped (see `post.rs`).
const BODY_LIMIT: usize = DEFAULT_BODY_LIMIT;

/// `schema` is an `Extension` of these routes only: it is the API's own part, not the app state's.
pub fn router(schema: GraphQLSchema) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(query_over_get, query_or_mutation_over_post))
        .layer(BodyLimit::max(BODY_LIMIT))
        .layer(Extension(schema))
}

/// `GET /api/graphql?query=…`: a query (not a mutation) from the query string. `operationName` and
/// `variables` (a JSON object, as text) may be given too, as in a POST body.
#[utoipa::path(
    get,
    path = "/api/graphql",
    summary = "Run a GraphQL query from the query string",
    security((), ("preview_cookie" = [])),
    params(QueryString),
    responses(
        (status = 200, description = "The GraphQL answer. With `application/json`, every answer, \
            errors included; with `application/graphql-response+json`, an operation that ran.",
            content(
                (GraphQLAnswer = "application/json"),
                (GraphQLAnswer = "application/graphql-response+json"),
            ),
            headers(("vary" = String, description = "`accept`: the answer's type depends on it"))),
        (status = 400, description = "Not a GraphQL request (no `query`, `variables` that are not a \
            JSON object: a problem); or, with `application/graphql-response+json`, a document that \
            does not parse or validate or variables that do not fit (a GraphQL answer without `data`).",
            content(
                (Problem = "application/problem+json"),
                (GraphQLAnswer = "application/graphql-response+json"),
            )),
        (status = 405, description = "A mutation sent with GET.", content_type = "application/problem+json", body = Problem,
            headers(("allow" = String, description = "`POST`"))),
        (status = 406, response = NotAcceptable),
    )
)]
async fn query_over_get(
    State(db): State<Db>,
    State(posting): State<Posting>,
    visibility: Visibility,
    user: CurrentUser,
    Extension(schema): Extension<GraphQLSchema>,
    Negotiated(media_type): Negotiated,
    GraphQLRequest(request): GraphQLRequest,
) -> Response {
    let request = request.data(user).data(posting);
    execute(&schema, request, db, visibility, media_type).await
}

/// `POST /api/graphql` with `{"query", "operationName", "variables"}`: queries and mutations.
#[utoipa::path(
    post,
    path = "/api/graphql",
    summary = "Run a GraphQL query or mutation",
    security((), ("preview_cookie" = [])),
    request_body(content = GraphQLParameters, content_type = "application/json"),
    responses(
        (status = 200, description = "The GraphQL answer. With `application/json`, every answer, \
            errors included; with `application/graphql-response+json`, an operation that ran.",
            content(
                (GraphQLAnswer = "application/json"),
                (GraphQLAnswer = "application/graphql-response+json"),
            ),
            headers(("vary" = String, description = "`accept`: the answer's type depends on it"))),
        (status = 400, description = "Broken JSON, or not a GraphQL request (`query` missing or not \
            a string, `variables` not an object…: a problem); or, with \
            `application/graphql-response+json`, a document that does not parse or validate or \
            variables that do not fit (a GraphQL answer without `data`).",
            content(
                (Problem = "application/problem+json"),
                (GraphQLAnswer = "application/graphql-response+json"),
            )),
        (status = 403, response = Forbidden),
        (status = 406, response = NotAcceptable),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 429, response = TooManyRequests),
    )
)]
async fn query_or_mutation_over_post(
    State(db): State<Db>,
    State(posting): State<Posting>,
    visibility: Visibility,
    user: CurrentUser,
    Extension(schema): Extension<GraphQLSchema>,
    Negotiated(media_type): Negotiated,
    GraphQLRequest(request): GraphQLRequest,
) -> Response {
    let request = request.data(user).data(posting);
    execute(&schema, request, db, visibility, media_type).await
}

/// Runs one request with the database, the request's visibility (drafts in preview only), and
/// (put in by the routes) its signed-in user and `POSTING`.
#[tracing::instrument(skip_all)]
async fn execute(
    schema: &GraphQLSchema,
    request: async_graphql::Request,
    db: Db,
    visibility: Visibility,
    media_type: MediaType,
) -> Response {
    let response = schema.execute(request.data(db).data(visibility)).await;
    transport::answer(media_type, response)
}
