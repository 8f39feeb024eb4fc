//! `/api/health`: 200 once the database answers a query, 503 otherwise — for load balancers
//! deciding whether to send traffic here. It also says which backend runs.

use axum::{Json, extract::State};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::problem::{ApiError, ApiResult, responses::Unavailable};
use crate::{db, state::AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`: any other state is a 503.
    #[schema(example = "ok")]
    pub status: &'static str,
    /// The backend `DATABASE_URL` chose: `sqlite` or `postgres`.
    #[schema(example = "sqlite")]
    pub database: &'static str,
}

#[utoipa::path(
    get,
    path = "/api/health",
    summary = "Check that the server and its database answer",
    responses(
        (status = 200, description = "The database answers.", body = Health),
        (status = 503, response = Unavailable),
    )
)]
async fn health(State(db): State<db::Db>) -> ApiResult<Json<Health>> {
    db::ping(&db).await.map_err(|error| {
        tracing::warn!(%error, "health check: the database did not answer");
        ApiError::Unavailable("The database is not answering.".to_owned())
    })?;
    Ok(Json(Health {
        status: "ok",
        database: db.backend().name(),
    }))
}
