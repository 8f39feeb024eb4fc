//! Where pages get their data, and how forms send theirs.
//!
//! Reads have two halves behind one signature: on the server they call the data layer (`db.rs`)
//! directly — pages never call their own API over HTTP — and in the browser (client-side navigation)
//! they `fetch` the API routes. Writes only ever happen in the browser, as JSON to the API routes.

use gloo_net::http::{Request, Response};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::model::{Comment, FieldErrors, NewComment, NewPost, Post, PostCreated, PostId};

/// What a page shows when its data could not be loaded.
pub type LoadResult<T> = Result<T, String>;

/// A post with its comments, oldest first: what `/posts/{id}` shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostWithComments {
    pub post: Post,
    pub comments: Vec<Comment>,
}

#[cfg(feature = "ssr")]
mod reads {
    //! Server half: straight to the data layer, with the database (`db::Db`) the router put in the context.
    use leptos::prelude::expect_context;

    use super::{LoadResult, PostWithComments};
    use crate::{
        db,
        model::{PAGE_SIZE_DEFAULT, PostId, PostPage, Trivia},
        preview::visibility_in_page,
        trivia::TriviaService,
    };

    fn failed(error: sqlx::Error) -> String {
        tracing::error!(%error, "a page could not read the database");
        "The data for this page could not be loaded. Please try again.".to_owned()
    }

    pub async fn list_posts(cursor: Option<PostId>) -> LoadResult<PostPage> {
        let db = expect_context::<db::Db>();
        db::list_posts(&db, visibility_in_page(), PAGE_SIZE_DEFAULT, cursor)
            .await
            .map_err(failed)
    }

    pub async fn post_with_comments(id: PostId) -> LoadResult<Option<PostWithComments>> {
        let db = expect_context::<db::Db>();
        let visibility = visibility_in_page();
        let Some(post) = db::get_post(&db, visibility, id).await.map_err(failed)? else {
            return Ok(None);
        };
        let comments = db::list_comments(&db, visibility, id)
            .await
            .map_err(failed)?
            .unwrap_or_default();
        Ok(Some(PostWithComments { post, comments }))
    }

    pub async fn trivia(number: i64) -> LoadResult<Trivia> {
        let db = expect_context::<db::Db>();
        let service = expect_context::<TriviaService>();
        service.lookup(&db, number).await.map_err(failed)
    }
}

#[cfg(not(feature = "ssr"))]
mod reads {
    //! Browser half: the API routes, over `fetch`.
    use gloo_net::http::Request;
    use send_wrapper::SendWrapper;
    use serde::de::DeserializeOwned;

    use super::{LoadResult, PostWithComments, UNREACHABLE, failure_message};
    use crate::model::{CommentsForPost, Post, PostId, PostPage, Trivia};

    /// `GET` JSON from an API route; `Ok(None)` for a 404.
    async fn get_json<T: DeserializeOwned>(url: &str) -> LoadResult<Option<T>> {
        let response = Request::get(url)
            .send()
            .await
            .map_err(|_| UNREACHABLE.to_owned())?;
        match response.status() {
            200 => response
                .json()
                .await
                .map(Some)
                .map_err(|error| error.to_string()),
            404 => Ok(None),
            _ => Err(failure_message(response).await),
        }
    }

    /// `Resource` needs `Send` futures (the server runs them on many threads); the browser's fetch
    /// futures are not, but the browser runs everything on one thread, so wrapping them is sound.
    fn on_this_thread<F: Future>(future: F) -> impl Future<Output = F::Output> + Send {
        SendWrapper::new(future)
    }

    pub fn list_posts(cursor: Option<PostId>) -> impl Future<Output = LoadResult<PostPage>> + Send {
        let url = match cursor {
            Some(cursor) => format!("/api/post?cursor={cursor}"),
            None => "/api/post".to_owned(),
        };
        on_this_thread(async move {
            let empty = || PostPage {
                posts: vec![],
                next_cursor: None,
            };
            get_json(&url).await.map(|page| page.unwrap_or_else(empty))
        })
    }

    pub fn post_with_comments(
        id: PostId,
    ) -> impl Future<Output = LoadResult<Option<PostWithComments>>> + Send {
        on_this_thread(async move {
            let Some(post) = get_json::<Post>(&format!("/api/post/{id}")).await? else {
                return Ok(None);
            };
            let comments = get_json::<CommentsForPost>(&format!("/api/comments/{id}"))
                .await?
                .map(|found| found.comments)
                .unwrap_or_default();
            Ok(Some(PostWithComments { post, comments }))
        })
    }

    pub fn trivia(number: i64) -> impl Future<Output = LoadResult<Trivia>> + Send {
        on_this_thread(async move {
            get_json(&format!("/api/trivia/{number}"))
                .await?
                .ok_or_else(|| "No trivia for that number.".to_owned())
        })
    }
}

pub use reads::{list_posts, post_with_comments, trivia};

/// Whether the page is rendered for a request in preview mode (a valid preview cookie). Read on the
/// server only: the browser receives the answer with the page (see `App`).
pub fn in_preview_mode() -> bool {
    #[cfg(feature = "ssr")]
    {
        crate::preview::visibility_in_page() == crate::db::Visibility::WithDrafts
    }
    #[cfg(not(feature = "ssr"))]
    {
        false
    }
}

/// The parts of a problem+json answer a form shows.
#[derive(Default, Deserialize)]
struct Problem {
    #[serde(default)]
    detail: String,
    #[serde(default)]
    errors: FieldErrors,
}

/// Why a form submission did not go through, in words for the person who sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubmitError {
    /// The server refused the values (422): messages per field.
    Invalid { detail: String, errors: FieldErrors },
    /// Anything else: the network, a 413, a 500.
    Failed(String),
}

const UNREACHABLE: &str = "The server could not be reached. Check your connection and try again.";

/// `POST` JSON to an API route and read its 201 answer.
async fn post_json<T: DeserializeOwned>(
    url: &str,
    body: &impl Serialize,
) -> Result<T, SubmitError> {
    let request = Request::post(url)
        .json(body)
        .map_err(|error| SubmitError::Failed(error.to_string()))?;
    let response = request
        .send()
        .await
        .map_err(|_| SubmitError::Failed(UNREACHABLE.to_owned()))?;
    match response.status() {
        201 => response
            .json()
            .await
            .map_err(|error| SubmitError::Failed(error.to_string())),
        422 => {
            let problem: Problem = response.json().await.unwrap_or_default();
            Err(SubmitError::Invalid {
                detail: problem.detail,
                errors: problem.errors,
            })
        }
        _ => Err(SubmitError::Failed(failure_message(response).await)),
    }
}

/// A sentence for a failed request: the server's own `detail` for a client error, a generic one for
/// a server error (whose detail says nothing useful to a reader).
async fn failure_message(response: Response) -> String {
    let status = response.status();
    let problem: Problem = response.json().await.unwrap_or_default();
    match status {
        413 => "That is too large to send. Please shorten it.".to_owned(),
        400..=499 if !problem.detail.is_empty() => problem.detail,
        _ => {
            format!("The server could not complete the request (error {status}). Please try again.")
        }
    }
}

/// `POST /api/post`.
pub async fn create_post(post: &NewPost) -> Result<PostCreated, SubmitError> {
    post_json("/api/post", post).await
}

/// `POST /api/comments/{id}`.
pub async fn add_comment(id: PostId, comment: &NewComment) -> Result<Comment, SubmitError> {
    post_json(&format!("/api/comments/{id}"), comment).await
}
