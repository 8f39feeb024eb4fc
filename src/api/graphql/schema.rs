//! The GraphQL schema behind `/api/graphql` (docs/graphql.md): the REST routes' posts and comments,
//! through the same `db` functions and `model` rules. Reads answer a missing post with `null`,
//! writes `NOT_FOUND`. Every error has an `extensions.code` (`VALIDATION` with `errors`,
//! `BAD_USER_INPUT`, `NOT_FOUND`, `UNAUTHENTICATED`, `FORBIDDEN`, `PRECONDITION_FAILED`,
//! `INSUFFICIENT_STORAGE`, `UNAVAILABLE`, `INTERNAL_SERVER_ERROR`). Resolvers stay thin; the
//! database, visibility, the signed-in user and `POSTING` come from the request's data.

use async_graphql::{
    ComplexObject, Context, EmptySubscription, ErrorExtensionValues, InputType, InputValueError,
    InputValueResult, Name, Object, Scalar, ScalarType, Schema, SimpleObject, Value,
};

use super::{
    complexity::{TypenameComplexity, page_complexity},
    introspection::IntrospectionOff,
    nesting::NestingGuard,
};
use crate::{
    api::extract::parse_entity_tags,
    auth::{CurrentUser, User},
    config::Posting,
    db::{self, EditCheck, Edited, Precondition, Visibility},
    model::{
        COMMENT_PAGE_SIZE_DEFAULT, Comment, CommentId, CommentsForPost, FieldErrors, InvalidId,
        NewComment, NewPost, PAGE_SIZE_DEFAULT, Post, PostId, PostPage, PostPatch, page_size,
    },
    problem::ApiError,
};

/// Data queries need 4 at most; GraphiQL's introspection query 13 (15 for graphql-js 17); only
/// nesting `ofType` goes deeper.
pub const MAX_DEPTH: usize = 16;

/// A field (`__typename` too) costs 1, a page its size times what it selects: one full
/// `posts(limit: 100)` with every field (about 700) fits, two under aliases do not.
pub const MAX_COMPLEXITY: usize = 1_000;

pub type GraphQLSchema = Schema<Query, Mutation, EmptySubscription>;

/// Built once at start: the limits are part of the schema.
pub fn build(introspection: bool) -> GraphQLSchema {
    let builder = Schema::build(Query, Mutation, EmptySubscription)
        // Before anything else: the parser must never see a document nested deeper.
        .extension(NestingGuard)
        .extension(TypenameComplexity {
            limit: MAX_COMPLEXITY,
        })
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY);
    if introspection {
        builder.finish()
    } else {
        builder
            .extension(IntrospectionOff)
            .disable_introspection()
            .finish()
    }
}

pub struct Query;

/// The signed-in user, as `GET /api/auth/me` answers it.
#[derive(SimpleObject)]
pub struct Me {
    pub username: String,
}

#[Object]
impl Query {
    /// The signed-in user (a session cookie or a bearer token), or null.
    async fn me(&self, context: &Context<'_>) -> Option<Me> {
        signed_in(context).map(|user| Me {
            username: user.username.clone(),
        })
    }

    /// One page of posts, newest first, each with its comment count. `limit`: 1–100; `cursor`: the
    /// `nextCursor` of the page before.
    #[graphql(complexity = "page_complexity(limit, child_complexity)")]
    async fn posts(
        &self,
        context: &Context<'_>,
        #[graphql(default_with = "PAGE_SIZE_DEFAULT as i32")] limit: i32,
        cursor: Option<PostId>,
    ) -> GraphQLResult<PostPage> {
        let limit = checked_limit(limit)?;
        Ok(db::list_posts(database(context)?, visibility(context), limit, cursor).await?)
    }

    /// The post with this id, or null.
    async fn post(&self, context: &Context<'_>, id: PostId) -> GraphQLResult<Option<Post>> {
        Ok(db::get_post(database(context)?, visibility(context), id).await?)
    }

    /// One page of a post's comments, oldest first, or null when there is no such post. `limit`:
    /// 1–100; `cursor`: the `nextCursor` of the page before.
    #[graphql(complexity = "page_complexity(limit, child_complexity)")]
    async fn comments(
        &self,
        context: &Context<'_>,
        post_id: PostId,
        #[graphql(default_with = "COMMENT_PAGE_SIZE_DEFAULT as i32")] limit: i32,
        cursor: Option<CommentId>,
    ) -> GraphQLResult<Option<CommentsForPost>> {
        let limit = checked_limit(limit)?;
        Ok(db::list_comments(
            database(context)?,
            visibility(context),
            post_id,
            limit,
            cursor,
        )
        .await?)
    }
}

#[ComplexObject]
impl Post {
    /// The post's version, as `GET /api/post/{id}` gives it in `ETag`: pass it as `ifMatch` to
    /// `updatePost` or `deletePost`.
    async fn etag(&self, context: &Context<'_>) -> String {
        db::etag(self, visibility(context))
    }

    /// One page of its comments, oldest first (`Query.comments` tells whether there are more).
    #[graphql(complexity = "page_complexity(limit, child_complexity)")]
    async fn comments(
        &self,
        context: &Context<'_>,
        #[graphql(default_with = "COMMENT_PAGE_SIZE_DEFAULT as i32")] limit: i32,
        cursor: Option<CommentId>,
    ) -> GraphQLResult<Vec<Comment>> {
        let limit = checked_limit(limit)?;
        let page = db::list_comments(
            database(context)?,
            visibility(context),
            self.id,
            limit,
            cursor,
        )
        .await?;
        // The post was read a moment ago; if it has been deleted since, it has no comments left.
        Ok(page.map(|page| page.comments).unwrap_or_default())
    }
}

pub struct Mutation;

#[Object]
impl Mutation {
    /// Creates a post (the rules of `POST /api/post`) and returns it.
    async fn create_post(
        &self,
        context: &Context<'_>,
        title: String,
        post: String,
        #[graphql(default)] draft: bool,
    ) -> GraphQLResult<Post> {
        let database = database(context)?;
        let author = author(context)?;
        let post = NewPost { title, post, draft }.validate()?;
        let id = db::create_post(database, &post, author).await?;
        // Its author sees the new post, draft or not.
        db::get_post(database, Visibility::WithDrafts, id)
            .await?
            .ok_or_else(|| {
                ApiError::Internal(format!("post {id} vanished after its insert").into())
            })
            .map_err(GraphQLError::from)
    }

    /// Adds a comment to a post (the rules of `POST /api/comments/{id}`) and returns it.
    async fn add_comment(
        &self,
        context: &Context<'_>,
        post_id: PostId,
        comment: String,
    ) -> GraphQLResult<Comment> {
        let author = author(context)?;
        let comment = NewComment { comment }.validate()?;
        db::add_comment(
            database(context)?,
            visibility(context),
            post_id,
            &comment,
            author,
        )
        .await?
        .ok_or_else(|| ApiError::no_such_post(post_id).into())
    }

    /// Changes a post (the rules of `PATCH /api/post/{id}`: its author only; `ifMatch`, its
    /// `etag` when read, makes a stale change fail with `PRECONDITION_FAILED`) and returns it.
    async fn update_post(
        &self,
        context: &Context<'_>,
        id: PostId,
        title: Option<String>,
        post: Option<String>,
        if_match: Option<String>,
    ) -> GraphQLResult<Post> {
        let check = edit_check(context, if_match.as_deref())?;
        let patch = PostPatch { title, post }.validate()?;
        let edited = db::update_post(database(context)?, visibility(context), id, &patch, &check);
        done(edited.await?, id)
    }

    /// Deletes a post and its comments (the rules of `DELETE /api/post/{id}`); returns its id.
    async fn delete_post(
        &self,
        context: &Context<'_>,
        id: PostId,
        if_match: Option<String>,
    ) -> GraphQLResult<PostId> {
        let check = edit_check(context, if_match.as_deref())?;
        let deleted = db::delete_post(database(context)?, visibility(context), id, &check);
        done(deleted.await?, id).map(|()| id)
    }
}

fn signed_in<'a>(context: &Context<'a>) -> Option<&'a User> {
    context
        .data_opt::<CurrentUser>()
        .and_then(|CurrentUser(user)| user.as_ref())
}

/// The author of a new post or comment: `None` (anonymous) unless `POSTING=members` refuses it.
fn author(context: &Context<'_>) -> GraphQLResult<Option<crate::model::UserId>> {
    let user = signed_in(context).map(|user| user.id);
    let members_only = context.data_opt::<Posting>() == Some(&Posting::Members);
    if user.is_none() && members_only {
        return Err(ApiError::Unauthorized(
            "Posting takes an account here: sign in first.".to_owned(),
        )
        .into());
    }
    Ok(user)
}

/// Who edits and what they last saw (`ifMatch`: `*` or entity tags, as the HTTP header).
fn edit_check(context: &Context<'_>, if_match: Option<&str>) -> GraphQLResult<EditCheck> {
    let Some(editor) = signed_in(context) else {
        return Err(ApiError::Unauthorized(
            "Only a post's author may change it: sign in first.".to_owned(),
        )
        .into());
    };
    let precondition = match if_match.map(str::trim) {
        None => Precondition::None,
        Some("*") => Precondition::Any,
        Some(tags) => {
            let mut strong = Vec::new();
            parse_entity_tags(tags, &mut strong).ok_or_else(|| {
                ApiError::BadRequest(
                    "ifMatch must be * or a list of entity tags (a post's etag).".to_owned(),
                )
            })?;
            Precondition::OneOf(strong)
        }
    };
    Ok(EditCheck {
        editor: editor.id,
        precondition,
    })
}

fn done<T>(edited: Edited<T>, id: PostId) -> GraphQLResult<T> {
    Err(match edited {
        Edited::Done(value) => return Ok(value),
        Edited::NoSuchPost => ApiError::no_such_post(id),
        Edited::NotAuthor => {
            ApiError::Forbidden(format!("Only the author of post {id} may change it."))
        }
        Edited::Stale { .. } => ApiError::PreconditionFailed(format!(
            "Post {id} has changed since that etag: read it again, then retry."
        )),
    }
    .into())
}

fn database<'a>(context: &Context<'a>) -> GraphQLResult<&'a db::Db> {
    Ok(context.data::<db::Db>()?)
}

/// Whether the request may see drafts.
fn visibility(context: &Context<'_>) -> Visibility {
    context
        .data_opt::<Visibility>()
        .copied()
        .unwrap_or(Visibility::Published)
}

/// The paging rule of every list (`model::page_size`), as a resolver's error.
fn checked_limit(limit: i32) -> Result<u32, ApiError> {
    page_size(limit.into()).map_err(ApiError::BadRequest)
}

/// A post id: a positive integer that fits in 64 bits, as a JSON number (a string of digits is
/// accepted too, for clients that keep ids as strings). No `is_valid`: a literal is then checked by
/// `parse` too, whose message says what is wrong rather than only "invalid value".
#[Scalar(name = "PostId")]
impl ScalarType for PostId {
    fn parse(value: Value) -> InputValueResult<Self> {
        parse_id(value)
    }

    fn to_value(&self) -> Value {
        Value::from(self.0)
    }
}

/// A comment id, read as a [`PostId`] is (the cursor of `comments`).
#[Scalar(name = "CommentId")]
impl ScalarType for CommentId {
    fn parse(value: Value) -> InputValueResult<Self> {
        parse_id(value)
    }

    fn to_value(&self) -> Value {
        Value::from(self.0)
    }
}

/// An id from a JSON number or a string of digits, by the id type's own `FromStr`.
fn parse_id<T>(value: Value) -> InputValueResult<T>
where
    T: InputType + std::str::FromStr<Err = InvalidId>,
{
    let parsed = match &value {
        Value::Number(number) => number.to_string().parse(),
        Value::String(text) => text.parse(),
        _ => return Err(InputValueError::expected_type(value)),
    };
    parsed.map_err(InputValueError::custom)
}

/// A resolver's error, made by `?` from an [`ApiError`]. Deliberately not `Display`, so
/// async-graphql's blanket conversion (which would leak a database error's text) cannot pick it.
#[derive(Clone)]
pub struct GraphQLError(async_graphql::Error);

pub type GraphQLResult<T> = Result<T, GraphQLError>;

impl From<GraphQLError> for async_graphql::Error {
    fn from(error: GraphQLError) -> Self {
        error.0
    }
}

/// Errors of async-graphql itself (missing context data) are bugs: masked like any internal error.
impl From<async_graphql::Error> for GraphQLError {
    fn from(error: async_graphql::Error) -> Self {
        ApiError::Internal(error.message.into()).into()
    }
}

impl From<db::Error> for GraphQLError {
    fn from(error: db::Error) -> Self {
        ApiError::from(error).into()
    }
}

impl From<FieldErrors> for GraphQLError {
    fn from(errors: FieldErrors) -> Self {
        ApiError::Validation(errors).into()
    }
}

/// The REST error as a GraphQL error, with `extensions.code` (and field errors) to branch on.
impl From<ApiError> for GraphQLError {
    fn from(error: ApiError) -> Self {
        let (message, code, field_errors) = match error {
            ApiError::Internal(cause) => {
                tracing::error!(error = %cause, "internal error in a GraphQL resolver");
                (
                    "The server could not complete the request.".to_owned(),
                    "INTERNAL_SERVER_ERROR",
                    None,
                )
            }
            ApiError::Validation(errors) => (
                "The submitted values are not valid.".to_owned(),
                "VALIDATION",
                Some(errors),
            ),
            ApiError::NotFound(message) => (message, "NOT_FOUND", None),
            ApiError::Unauthorized(message) => (message, "UNAUTHENTICATED", None),
            ApiError::Forbidden(message) => (message, "FORBIDDEN", None),
            ApiError::PreconditionFailed(message) => (message, "PRECONDITION_FAILED", None),
            ApiError::StorageFull(message) => (message, "INSUFFICIENT_STORAGE", None),
            ApiError::Unavailable(message) => (message, "UNAVAILABLE", None),
            other => (other.to_string(), "BAD_USER_INPUT", None),
        };
        let mut extensions = ErrorExtensionValues::default();
        extensions.set("code", code);
        if let Some(errors) = field_errors {
            extensions.set("errors", field_errors_value(errors));
        }
        let mut graphql_error = async_graphql::Error::new(message);
        graphql_error.extensions = Some(extensions);
        Self(graphql_error)
    }
}

/// `{"title": ["title is required"]}`, as a GraphQL value.
fn field_errors_value(errors: FieldErrors) -> Value {
    Value::Object(
        errors
            .into_iter()
            .map(|(field, messages)| {
                let messages = messages.into_iter().map(Value::from).collect();
                (Name::new(field), Value::List(messages))
            })
            .collect(),
    )
}
