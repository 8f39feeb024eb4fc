//! What the pages read, straight from `db/` (never their own API over HTTP). Each read takes what
//! it needs from the context during the render and returns a future that needs nothing more: it may
//! first run after its request is gone, and asking for a context then can deadlock its thread
//! (docs/performance.md). It also keeps the request's trace (`in_current_trace`): it runs as a task
//! of its own, where its queries' spans would otherwise start traces of their own.

use std::future::Future;

use std::sync::Arc;

use axum::http::{HeaderValue, header, request::Parts};
use leptos::prelude::{expect_context, use_context};
use serde::{Deserialize, Serialize};

use crate::{
    auth::{Accounts, User},
    db::{self, Visibility},
    model::{
        COMMENT_PAGE_SIZE_DEFAULT, CommentId, CommentsForPost, PAGE_SIZE_DEFAULT, Post, PostId,
        PostPage, Trivia,
    },
    preview::visibility_in_page,
    telemetry::trace_context::in_current_trace,
    trivia::TriviaService,
};

pub type LoadResult<T> = Result<T, LoadError>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, thiserror::Error)]
pub enum LoadError {
    /// The database is not answering: the page answers 503 (`pages/unavailable.rs`).
    #[error("The database is not answering right now. Please try again in a few seconds.")]
    Unavailable,
    /// Anything else (logged): the page says so where the data would be.
    #[error("The data for this page could not be loaded. Please try again.")]
    Failed,
}

/// What `/posts/{id}` shows: a post, one page of its comments, and how many it has in all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostWithComments {
    pub post: Post,
    pub comments: CommentsForPost,
    pub comment_count: i64,
    /// The post's `ETag` when the page is rendered for its author, who gets Edit and Delete.
    pub author_etag: Option<String>,
}

/// An outage is not a bug: logged as a warning, as the API does.
fn failed(error: db::Error) -> LoadError {
    match error {
        db::Error::Unavailable(_) => {
            tracing::warn!(%error, "the database is not answering");
            LoadError::Unavailable
        }
        db::Error::StorageFull(_) | db::Error::Other(_) => {
            tracing::error!(%error, "a page could not read the database");
            LoadError::Failed
        }
    }
}

pub fn list_posts(
    cursor: Option<PostId>,
) -> impl Future<Output = LoadResult<PostPage>> + Send + 'static {
    let db = expect_context::<db::Db>();
    let visibility = visibility_in_page();
    in_current_trace(async move {
        db::list_posts(&db, visibility, PAGE_SIZE_DEFAULT, cursor)
            .await
            .map_err(failed)
    })
}

/// `cursor`: the page of comments after it (`None`: the first page).
pub fn post_with_comments(
    id: PostId,
    cursor: Option<CommentId>,
) -> impl Future<Output = LoadResult<Option<PostWithComments>>> + Send + 'static {
    let db = expect_context::<db::Db>();
    let visibility = visibility_in_page();
    let reader = signed_in();
    in_current_trace(async move {
        let (post, reader) = tokio::join!(db::get_post(&db, visibility, id), reader);
        let Some(post) = post.map_err(failed)? else {
            return Ok(None);
        };
        let is_author = reader.is_some_and(|reader| post.author.as_ref() == Some(&reader.username));
        let author_etag = is_author.then(|| db::etag(&post, visibility));
        let page = db::list_comments(&db, visibility, id, COMMENT_PAGE_SIZE_DEFAULT, cursor);
        let (comments, comment_count) =
            tokio::try_join!(page, db::count_comments(&db, id)).map_err(failed)?;
        // The post was read a moment ago; if it has been deleted since, it has no comments left.
        let comments = comments.unwrap_or(CommentsForPost {
            post: id,
            comments: Vec::new(),
            next_cursor: None,
        });
        Ok(Some(PostWithComments {
            post,
            comments,
            comment_count,
            author_etag,
        }))
    })
}

pub fn trivia(number: i64) -> impl Future<Output = LoadResult<Trivia>> + Send + 'static {
    let db = expect_context::<db::Db>();
    let service = expect_context::<TriviaService>();
    in_current_trace(async move { service.lookup(&db, number).await.map_err(failed) })
}

/// Whether the page is rendered for a request in preview mode (a valid preview cookie).
pub fn in_preview_mode() -> bool {
    visibility_in_page() == Visibility::WithDrafts
}

/// Who a page is for, looked up once per render however many parts ask (the header's name, the
/// post's Edit and Delete): the router gives each render a fresh one.
#[derive(Clone, Default)]
pub struct Reader(Arc<tokio::sync::OnceCell<Option<User>>>);

/// The user the page is rendered for; `None` when anonymous (or the lookup failed: the page is then
/// shown as to anyone, and the API still decides). For what the page shows alone: it may come from
/// the instance's cache of live sessions ([`Accounts::user_to_show`]). A page for a user is the
/// reader's own: `Cache-Control: private` keeps it out of shared caches.
pub fn signed_in() -> impl Future<Output = Option<User>> + Send + 'static {
    let accounts = use_context::<Accounts>();
    let request = use_context::<Parts>();
    let response = use_context::<leptos_axum::ResponseOptions>();
    let reader = use_context::<Reader>().unwrap_or_default();
    in_current_trace(async move {
        let lookup = async move {
            let (accounts, request) = (accounts?, request?);
            let user = match accounts.user_to_show(&request).await {
                Ok(user) => user?,
                Err(error) => {
                    tracing::warn!(%error, "a page could not tell who is signed in");
                    return None;
                }
            };
            if let Some(response) = response {
                response.insert_header(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("private, no-cache"),
                );
            }
            Some(user)
        };
        reader.0.get_or_init(|| lookup).await.clone()
    })
}

/// The signed-in user's name, for the header.
pub fn signed_in_username() -> impl Future<Output = Option<String>> + Send + 'static {
    let user = signed_in();
    async move { user.await.map(|user| user.username) }
}
