//! `/api/webhook`: the publishing webhook, a route that reads its body raw — Next.js's
//! `export const config = { api: { bodyParser: false } }` use case. The signature covers the exact
//! bytes sent, so they are verified before anything parses them.
//!
//! A delivery is `{"type":"post.published","id":N}` (publish a draft) or `{"type":"post.deleted",
//! "id":N}`, signed with `X-Signature-256: sha256=<hex HMAC-SHA256 of the body keyed by
//! WEBHOOK_SECRET>` and named by `X-Delivery-Id`; a delivery id seen before changes nothing.
//!
//! ```sh
//! body='{"type":"post.published","id":1}'
//! signature=$(printf %s "$body" | openssl dgst -sha256 -hmac "$WEBHOOK_SECRET" | sed 's/^.* //')
//! curl -i -X POST http://127.0.0.1:3000/api/webhook -H 'Content-Type: application/json' \
//!      -H "X-Signature-256: sha256=$signature" -H 'X-Delivery-Id: 1f6e…' -d "$body"
//! ```

use std::sync::Arc;

use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, State, rejection::BytesRejection},
    http::HeaderMap,
    routing::post,
};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use sqlx::SqlitePool;

use super::{
    error::{ApiError, ApiResult},
    extract::parse_json_object,
};
use crate::{
    config::Secret,
    db::{self, DeliveryOutcome, PostChange},
    model::PostId,
    server::AppState,
};

/// Deliveries are a few dozen bytes; nothing near this is legitimate.
const BODY_LIMIT: usize = 64 * 1024;
/// The longest `X-Delivery-Id` kept (a UUID has 36 characters).
const DELIVERY_ID_MAX: usize = 128;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhook", post(receive_delivery))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

/// The webhook's key; `None` (no `WEBHOOK_SECRET`) and the route answers 404.
#[derive(Clone)]
pub struct WebhookKey(Option<Arc<Secret>>);

impl WebhookKey {
    pub fn new(secret: Option<Secret>) -> Self {
        Self(secret.map(Arc::new))
    }
}

/// What a delivery asks for.
#[derive(Deserialize)]
#[serde(tag = "type")]
enum Delivery {
    #[serde(rename = "post.published")]
    Published { id: PostId },
    #[serde(rename = "post.deleted")]
    Deleted { id: PostId },
}

/// The answer to a delivery: `applied`, or `replayed` when this delivery id was applied before.
#[derive(Serialize)]
struct Receipt {
    delivery: String,
    status: &'static str,
}

/// `POST /api/webhook`.
#[tracing::instrument(skip_all, fields(delivery))]
async fn receive_delivery(
    State(pool): State<SqlitePool>,
    State(WebhookKey(key)): State<WebhookKey>,
    headers: HeaderMap,
    // Taken as a `Result` so a body over the limit gets the API's 413 problem, not axum's text.
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<Receipt>> {
    let body = body?;
    let Some(key) = key else {
        return Err(ApiError::NotFound(
            "No API route matches /api/webhook.".to_owned(),
        ));
    };
    verify_signature(&key, &headers, &body)?;
    let delivery_id = delivery_id(&headers)?;
    tracing::Span::current().record("delivery", delivery_id);
    let (id, change) = match parse_json_object::<Delivery>(&body)? {
        Delivery::Published { id } => (id, PostChange::Publish),
        Delivery::Deleted { id } => (id, PostChange::Delete),
    };
    let status = match db::apply_delivery(&pool, delivery_id, id, change).await? {
        DeliveryOutcome::Applied => "applied",
        DeliveryOutcome::Replayed => "replayed",
        DeliveryOutcome::NoSuchPost => return Err(ApiError::no_such_post(id)),
    };
    Ok(Json(Receipt {
        delivery: delivery_id.to_owned(),
        status,
    }))
}

/// Checks `X-Signature-256: sha256=<hex>` against the HMAC-SHA256 of the raw body, in constant time.
fn verify_signature(key: &Secret, headers: &HeaderMap, body: &[u8]) -> ApiResult<()> {
    let signature = headers
        .get("x-signature-256")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("sha256="))
        .and_then(|hex| hex::decode(hex).ok())
        .ok_or_else(|| {
            ApiError::Unauthorized(
                "A valid X-Signature-256: sha256=<hex> header is required.".to_owned(),
            )
        })?;
    let mut mac = Hmac::<Sha256>::new_from_slice(key.expose())
        .map_err(|error| ApiError::Internal(error.into()))?;
    mac.update(body);
    mac.verify_slice(&signature)
        .map_err(|_| ApiError::Unauthorized("The signature does not match the body.".to_owned()))
}

/// `X-Delivery-Id`: required, printable ASCII, at most [`DELIVERY_ID_MAX`] characters.
fn delivery_id(headers: &HeaderMap) -> ApiResult<&str> {
    headers
        .get("x-delivery-id")
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.len() <= DELIVERY_ID_MAX)
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "An X-Delivery-Id header of 1 to {DELIVERY_ID_MAX} printable characters is required."
            ))
        })
}
