//! Posts: the body of `POST /api/post` and its validation, and the answers that show posts.

use serde::{Deserialize, Serialize};

use super::{FieldErrors, PostId, text::check_text};

/// Characters (not bytes), after trimming.
pub const TITLE_MAX: usize = 200;
pub const POST_MAX: usize = 10_000;

/// Body of `POST /api/post`. Missing fields read as empty, so they fail validation with a message on
/// the field rather than a parse error.
///
/// The OpenAPI schema states the text rule exactly (see [`text_schema`]), so that a client can check
/// a value before sending it, and so that the server accepts every value the schema allows and
/// refuses every value it does not.
///
/// `#[serde(default)]` is on each field rather than on the struct: on the struct, utoipa would
/// write each field's default (`""`) into the schema, a default its own rules refuse.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewPost {
    /// 1–200 characters after trimming.
    #[cfg_attr(
        feature = "ssr",
        schema(required = true, schema_with = super::text_schema::title)
    )]
    #[serde(default)]
    pub title: String,
    /// 1–10 000 characters after trimming.
    #[cfg_attr(
        feature = "ssr",
        schema(required = true, schema_with = super::text_schema::post)
    )]
    #[serde(default)]
    pub post: String,
    /// Save as a draft: hidden everywhere except in preview mode, until the publishing webhook
    /// publishes it. Left out when false, so an invalid no-JavaScript submission sent back to the
    /// form carries only what was typed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub draft: bool,
}

fn is_false(value: &bool) -> bool {
    !value
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidPost {
    pub title: String,
    pub body: String,
    pub draft: bool,
}

impl NewPost {
    pub fn validate(&self) -> Result<ValidPost, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = check_text(&mut errors, "title", &self.title, TITLE_MAX);
        let body = check_text(&mut errors, "post", &self.post, POST_MAX);
        match (title, body) {
            (Some(title), Some(body)) => Ok(ValidPost {
                title,
                body,
                draft: self.draft,
            }),
            _ => Err(errors),
        }
    }
}

/// Answer to `POST /api/post`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PostCreated {
    pub id: PostId,
    pub message: String,
    /// The signed-in user who wrote it; `null` for an anonymous post.
    pub author: Option<String>,
}

/// One post, as `/posts/{id}` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
// The GraphQL `Post` type (fields in camelCase); `comments` is resolved in `api/graphql/schema.rs`.
#[cfg_attr(feature = "ssr", derive(async_graphql::SimpleObject), graphql(complex))]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Post {
    pub id: PostId,
    pub title: String,
    pub body: String,
    /// UTC, RFC 3339 with milliseconds (`2026-11-21T09:30:00.123Z`).
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub created_at: String,
    /// Not published yet: only requests in preview mode see it.
    pub draft: bool,
    /// The username of whoever wrote it while signed in; `null` for an anonymous post.
    pub author: Option<String>,
}

/// One post in a list, with how many comments it has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(async_graphql::SimpleObject))]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PostSummary {
    pub id: PostId,
    pub title: String,
    pub body: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub created_at: String,
    pub draft: bool,
    pub comment_count: i64,
    /// The username of whoever wrote it while signed in; `null` for an anonymous post.
    pub author: Option<String>,
}

/// Answer to `GET /api/post`: one page of posts, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(async_graphql::SimpleObject))]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PostPage {
    pub posts: Vec<PostSummary>,
    /// Pass as `?cursor=` to get the next (older) page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<PostId>,
}

/// Body of `PATCH /api/post/{id}`: what to change, each as `POST /api/post` checks it. A field left
/// out keeps its value, so `{}` changes nothing (JSON Merge Patch, RFC 7396); an unknown field or a
/// `null` is refused, as a misspelt name would otherwise change nothing without a word.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PostPatch {
    /// The new title: 1–200 characters after trimming.
    #[cfg_attr(feature = "ssr", schema(schema_with = super::text_schema::title))]
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub title: Option<String>,
    /// The new post: 1–10 000 characters after trimming.
    #[cfg_attr(feature = "ssr", schema(schema_with = super::text_schema::post))]
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub post: Option<String>,
}

/// A field that, when given, is a string (`null` is refused rather than read as "left out").
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    String::deserialize(deserializer).map(Some)
}

/// A checked [`PostPatch`]: `None` keeps the field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidPatch {
    pub title: Option<String>,
    pub body: Option<String>,
}

impl PostPatch {
    pub fn validate(&self) -> Result<ValidPatch, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = self
            .title
            .as_deref()
            .map(|title| check_text(&mut errors, "title", title, TITLE_MAX));
        let body = self
            .post
            .as_deref()
            .map(|post| check_text(&mut errors, "post", post, POST_MAX));
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ValidPatch {
            title: title.flatten(),
            body: body.flatten(),
        })
    }
}
