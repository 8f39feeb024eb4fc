//! Rows as stored: what a query answers before the door shapes it, and what `copy-db` carries.

use crate::model::{CommentId, Post, PostId, UserId};

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
    /// The author's user id; `None`: anonymous.
    pub author_id: Option<i64>,
}

pub struct CommentRow {
    pub id: i64,
    pub post_id: i64,
    pub body: String,
    pub created_at: String,
    pub author_id: Option<i64>,
}

pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub username_key: String,
    pub password_hash: String,
    pub created_at: String,
}

/// Only the hash of the session's secret, as stored: the copy keeps everyone signed in.
pub struct SessionRow {
    pub id_hash: Vec<u8>,
    pub user_id: i64,
    /// Unix seconds.
    pub expires_at: i64,
    pub created_at: String,
}

pub struct TokenRow {
    pub id: i64,
    pub user_id: i64,
    pub token_hash: Vec<u8>,
    pub created_at: String,
    pub last_used_at: Option<String>,
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

/// A live session's owner, and when the session would expire if left alone (Unix seconds): what
/// `accounts.rs` reads and `session_cache.rs` keeps.
#[derive(Clone, Debug)]
pub struct SessionOwner {
    pub id: UserId,
    pub username: String,
    pub expires_at: i64,
}
