//! Rows as stored: what a query answers before the door shapes it, and what `copy-db` carries.

use crate::model::{CommentId, Post, PostId};

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
    pub author: Option<String>,
}

/// A post as an edit reads it: as the API answers it, and who wrote it.
pub struct PostToEdit {
    pub id: PostId,
    pub title: String,
    pub body: String,
    pub created_at: String,
    pub draft: bool,
    pub author: Option<String>,
    pub author_id: Option<i64>,
}

impl PostToEdit {
    pub fn split(self) -> (Post, Option<i64>) {
        let post = Post {
            id: self.id,
            title: self.title,
            body: self.body,
            created_at: self.created_at,
            draft: self.draft,
            author: self.author,
        };
        (post, self.author_id)
    }
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
