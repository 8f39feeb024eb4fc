//! `/api/health`: 200 once the database answers a query, 503 otherwise — for load balancers and
//! orchestrators deciding whether to send traffic here.
//!
//! `curl http://127.0.0.1:3000/api/health` → `{"status":"ok"}`

use axum::{Json, Router, extract::State, routing::get};
use serde::Serialize;
use sqlx::SqlitePool;

use super::error::{ApiError, ApiResult};
use crate::{db, server::AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health))
}

#[derive(Serialize)]
pub struct Health {
    pub status: &'static str,
}

async fn health(State(pool): State<SqlitePool>) -> ApiResult<Json<Health>> {
    db::ping(&pool).await.map_err(|error| {
        tracing::warn!(%error, "health check: the database did not answer");
        ApiError::Unavailable("The database is not answering.".to_owned())
    })?;
    Ok(Json(Health { status: "ok" }))
}
