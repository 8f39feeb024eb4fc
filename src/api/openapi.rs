//! `/api/openapi.json`: the API's contract as OpenAPI 3.1, generated from the code (Next.js users
//! write it by hand). Each handler's `#[utoipa::path]` gives its operation, `model/` the schemas;
//! `api::router()` collects the paths as it mounts them.

use axum::{
    Extension,
    body::Bytes,
    http::header,
    response::{IntoResponse, Response},
};
use std::sync::{Arc, OnceLock};

use serde_json::{Value, json};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::problem::{
    Problem,
    responses::{
        BadRequest, Forbidden, InsufficientStorage, Internal, NotAcceptable, NotFound,
        NotImplemented, NotTheAuthor, PayloadTooLarge, PreconditionFailed, SignInFirst,
        TooManyRequests, Unauthorized, Unavailable, Unprocessable, UnsupportedMediaType,
    },
};
use crate::state::AppState;

pub fn router(document: Document) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(openapi_json))
        .layer(Extension(document))
}

/// Title, version and licence from Cargo.toml; `servers` is whichever server serves the document;
/// operations need no credential unless they say so (the root `security` is "none").
#[derive(OpenApi)]
#[openapi(
    info(
        description = "The JSON API of leptos-api-routes. Success bodies are `application/json`; \
        every error is RFC 9457 `application/problem+json` (the `Problem` schema). A method a path \
        does not list gets 405 with an `Allow` header; any path not listed here, a 404 problem."
    ),
    servers((url = "/", description = "The server this document comes from")),
    security(()),
    modifiers(&Credentials),
    components(
        schemas(Problem),
        responses(
            BadRequest,
            Unauthorized,
            SignInFirst,
            Forbidden,
            NotTheAuthor,
            NotFound,
            PreconditionFailed,
            NotAcceptable,
            PayloadTooLarge,
            UnsupportedMediaType,
            Unprocessable,
            TooManyRequests,
            Internal,
            Unavailable,
            InsufficientStorage,
            NotImplemented
        )
    )
)]
struct ApiDoc;

/// The credentials operations name in `security`. `preview_cookie` is optional wherever drafts can
/// be seen (without it they are hidden, not refused); `webhook_signature` is a per-delivery HMAC,
/// not a key, but an API key in a header is the nearest OpenAPI scheme.
struct Credentials;

impl Modify for Credentials {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let schemes = [
            (
                PREVIEW_SECRET,
                ApiKey::Query(ApiKeyValue::with_description(
                    "secret",
                    "`PREVIEW_SECRET`: turns preview mode on (`GET /api/preview`).",
                )),
            ),
            (
                PREVIEW_COOKIE,
                ApiKey::Cookie(ApiKeyValue::with_description(
                    "preview",
                    "The signed preview cookie `GET /api/preview` sets: drafts are seen while it \
                     is valid (one hour).",
                )),
            ),
            (
                WEBHOOK_SIGNATURE,
                ApiKey::Header(ApiKeyValue::with_description(
                    "X-Signature-256",
                    "`sha256=<hex HMAC-SHA256 of \"{X-Webhook-Timestamp}.{X-Delivery-Id}.{body}\" \
                     (the exact body bytes), keyed by WEBHOOK_SECRET>`; a timestamp more than 300 \
                     seconds from the server's clock is refused with 401.",
                )),
            ),
        ];
        for (name, key) in schemes {
            components.add_security_scheme(name, SecurityScheme::ApiKey(key));
        }
        components.add_security_scheme(
            SESSION_COOKIE,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "session",
                "The session cookie `POST /api/auth/signin` and `/signup` set (named \
                 `__Host-session` over https). Writes with it must come from this site.",
            ))),
        );
        let mut bearer = Http::new(HttpAuthScheme::Bearer);
        bearer.description = Some(
            "An API token from `POST /api/auth/tokens` (`lar_` and 64 hex digits); requests with \
             it are not subject to the cross-site check."
                .to_owned(),
        );
        components.add_security_scheme(BEARER_TOKEN, SecurityScheme::Http(bearer));
    }
}

const PREVIEW_SECRET: &str = "preview_secret";
const PREVIEW_COOKIE: &str = "preview_cookie";
const WEBHOOK_SIGNATURE: &str = "webhook_signature";
const SESSION_COOKIE: &str = "session_cookie";
const BEARER_TOKEN: &str = "bearer_token";

/// The served JSON, written once at start after the API router is assembled (its route included).
#[derive(Clone, Default)]
pub struct Document(Arc<OnceLock<Bytes>>);

impl Document {
    pub fn describe(&self, paths: utoipa::openapi::OpenApi) {
        let mut document = serde_json::to_value(ApiDoc::openapi().merge_from(paths))
            .expect("an OpenAPI document is JSON");
        write_json_parameters_as_content(&mut document);
        name_link_operations_in_camel_case(&mut document);
        // Set once, by `api::router`, before anything is served.
        let _ = self.0.set(Bytes::from(document.to_string()));
    }
}

/// utoipa 5.5 writes a response link's `operationId` as `operation_id`, which OpenAPI does not know
/// (the links of `POST /api/post` to its post's operations): renamed here.
fn name_link_operations_in_camel_case(document: &mut Value) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    let responses = paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|operations| operations.values_mut())
        .filter_map(|operation| operation.get_mut("responses")?.as_object_mut())
        .flat_map(|responses| responses.values_mut());
    for response in responses {
        let Some(links) = response.get_mut("links").and_then(Value::as_object_mut) else {
            continue;
        };
        for link in links.values_mut().filter_map(Value::as_object_mut) {
            if let Some(operation) = link.remove("operation_id") {
                link.insert("operationId".to_owned(), operation);
            }
        }
    }
}

/// A parameter carrying JSON text (GraphQL's `variables`) belongs in `content`, so tools check it
/// as JSON; utoipa 5 writes `schema`, so one marked `contentMediaType` is moved here.
pub fn write_json_parameters_as_content(document: &mut Value) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    let parameters = paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|operations| operations.values_mut())
        .filter_map(|operation| operation.get_mut("parameters"))
        .filter_map(Value::as_array_mut)
        .flatten()
        .filter_map(Value::as_object_mut);
    for parameter in parameters {
        let carries_json = parameter
            .get("schema")
            .and_then(|schema| schema.get("contentMediaType"))
            .is_some_and(|media_type| media_type == "application/json");
        if !carries_json {
            continue;
        }
        if let Some(Value::Object(mut schema)) = parameter.remove("schema") {
            schema.remove("contentMediaType");
            parameter.insert(
                "content".to_owned(),
                json!({ "application/json": { "schema": schema } }),
            );
        }
    }
}

/// This API's OpenAPI document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    summary = "Get this OpenAPI document",
    responses((status = 200, description = "This document (OpenAPI 3.1).", body = Object)),
)]
async fn openapi_json(Extension(Document(document)): Extension<Document>) -> Response {
    let document = document.get().cloned().unwrap_or_default();
    ([(header::CONTENT_TYPE, "application/json")], document).into_response()
}
