//! The rows the rooms read and write as they are stored: what a query answers before the door shapes
//! it into the model's types, and what `copy-db` carries from one backend to the other.

use crate::model::CommentId;

/// A trivia text kept from the upstream, with its age.
pub struct CachedTrivia {
    pub text: String,
    pub age_seconds: i64,
}

/// A row of a post joined to its comments after the cursor (a `LEFT JOIN`): one per comment, or a
/// single row of `None`s for a post that has none there; no row at all when there is no such
/// (visible) post. One query tells both whether the post exists and what its comments are.
pub struct PostComment {
    pub id: Option<CommentId>,
    pub comment: Option<String>,
    pub created_at: Option<String>,
}

/// A post as stored, for the copy.
pub struct PostRow {
    pub id: i64,
    pub title: String,
    pub body: String,
    /// UTC, `YYYY-MM-DDTHH:MM:SS.mmmZ`, as the API answers it.
    pub created_at: String,
    pub draft: bool,
}

pub struct CommentRow {
    pub id: i64,
    pub post_id: i64,
    pub body: String,
    pub created_at: String,
}

pub struct DeliveryRow {
    pub id: String,
    pub received_at: String,
}

pub struct TriviaRow {
    pub number: i64,
    pub text: String,
    /// Unix seconds, UTC.
    pub fetched_at: i64,
}
