//! Comments: the body of `POST /api/comments/{id}`, its validation, and the answers that list them.

use serde::{Deserialize, Serialize};

use super::{CommentId, FieldErrors, PostId, text::check_text};

pub const COMMENT_MAX: usize = 2_000;

/// Body of `POST /api/comments/{id}` (a missing field reads as empty, as in [`NewPost`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewComment {
    /// 1–2 000 characters after trimming.
    #[cfg_attr(
        feature = "ssr",
        schema(required = true, schema_with = super::text_schema::comment)
    )]
    #[serde(default)]
    pub comment: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidComment {
    pub body: String,
}

impl NewComment {
    pub fn validate(&self) -> Result<ValidComment, FieldErrors> {
        let mut errors = FieldErrors::new();
        match check_text(&mut errors, "comment", &self.comment, COMMENT_MAX) {
            Some(body) => Ok(ValidComment { body }),
            None => Err(errors),
        }
    }
}

/// One comment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(async_graphql::SimpleObject))]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Comment {
    pub id: CommentId,
    pub comment: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub created_at: String,
    /// The username of whoever wrote it while signed in; `null` for an anonymous comment.
    pub author: Option<String>,
}

/// Answer to `GET /api/comments/{id}`: one page of a post's comments, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(async_graphql::SimpleObject))]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CommentsForPost {
    pub post: PostId,
    pub comments: Vec<Comment>,
    /// Pass as `?cursor=` to get the next (newer) page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<CommentId>,
}
