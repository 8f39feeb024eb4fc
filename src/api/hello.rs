//! `/api/hello`: the smallest API route, as in the Next.js docs (`{"name":"John Doe"}`).

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(hello))
}

#[derive(Serialize, ToSchema)]
pub struct Hello {
    pub name: &'static str,
}

#[utoipa::path(
    get,
    path = "/api/hello",
    summary = "Say hello (the smallest API route)",
    responses((status = 200, description = "A greeting.", body = Hello)),
)]
async fn hello() -> Json<Hello> {
    Json(Hello { name: "John Doe" })
}
