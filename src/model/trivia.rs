//! The answer of `GET /api/trivia/{number}` (and the trivia box), and where it came from.

use serde::{Deserialize, Serialize};

/// Answer to `GET /api/trivia/{number}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Trivia {
    pub number: i64,
    pub text: String,
    pub source: TriviaSource,
}

/// Where a trivia answer came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum TriviaSource {
    /// Fetched just now from `TRIVIA_API_URL`.
    Upstream,
    /// An earlier upstream answer, kept in SQLite.
    Cache,
    /// Computed by the server itself (no upstream configured, or it failed and nothing was cached).
    Builtin,
}
