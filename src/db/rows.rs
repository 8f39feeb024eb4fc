//! Rows as stored: what a query answers before the door shapes it, and what `copy-db` carries.

use crate::model::CommentId;

pub struct CachedTrivia {
    pub text: String,
    pub age_seconds: i64,
}

/// A post `LEFT JOIN` its comments after the cursor: a row per comment, one row of `None`s for
/// none, no row for no (visible) post: one query tells whether the post exists, and its comments.
pub struct PostComment {
    pub id: Option<CommentId>,
    pub comment: Option<String>,
    pub created_at: Option<String>,
}

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
