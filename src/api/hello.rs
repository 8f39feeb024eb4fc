//! `/api/hello`: the smallest API route, as in the Next.js docs.
//!
//! `curl http://127.0.0.1:3000/api/hello` → `{"name":"John Doe"}`

use axum::{Json, Router, routing::get};
use serde::Serialize;

use crate::server::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/hello", get(hello))
}

#[derive(Serialize)]
pub struct Hello {
    pub name: &'static str,
}

async fn hello() -> Json<Hello> {
    Json(Hello { name: "John Doe" })
}
