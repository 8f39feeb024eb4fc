//! `/api/trivia/{number}`: a fact about a number. Masks the upstream `TRIVIA_API_URL` (its address
//! never reaches the browser), with a cache and built-in facts when it is unset, slow or down;
//! `source` in the answer tells which one spoke.

use std::{fmt, str::FromStr};

use axum::{Json, extract::State};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::Segment;
use crate::problem::{
    ApiResult,
    responses::{BadRequest, Internal, Unavailable},
};
use crate::{db::Db, model::Trivia, state::AppState, trivia::TriviaService};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(trivia))
}

/// `GET /api/trivia/{number}`.
#[utoipa::path(
    get,
    path = "/api/trivia/{number}",
    summary = "Get a fact about a number",
    params(("number" = i64, Path, description = "Any integer that fits in 64 bits")),
    responses(
        (status = 200, description = "A fact about the number, and where it came from.", body = Trivia),
        (status = 400, response = BadRequest),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
#[tracing::instrument(skip(db, service))]
async fn trivia(
    State(db): State<Db>,
    State(service): State<TriviaService>,
    Segment(TriviaNumber(number)): Segment<TriviaNumber>,
) -> ApiResult<Json<Trivia>> {
    Ok(Json(service.lookup(&db, number).await?))
}

#[derive(Debug)]
struct TriviaNumber(i64);

impl FromStr for TriviaNumber {
    type Err = InvalidNumber;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        // An optional minus and digits: `i64::from_str` would also take a leading `+`.
        let digits = text.strip_prefix('-').unwrap_or(text);
        let well_formed = !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit());
        match text.parse() {
            Ok(number) if well_formed => Ok(Self(number)),
            _ => Err(InvalidNumber(text.to_owned())),
        }
    }
}

struct InvalidNumber(String);

impl fmt::Display for InvalidNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "number must be an integer that fits in 64 bits, not {:?}",
            self.0
        )
    }
}
