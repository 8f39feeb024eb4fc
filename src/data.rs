//! Where pages get their data, and how the islands talk to the server.
//!
//! Pages are rendered on the server only (islands mode), so they read the data layer (`db.rs`)
//! directly — pages never call their own API over HTTP. The islands run in the browser: the forms
//! send JSON to the API routes with `fetch`, and a part of the page that changed (the post list after
//! a new post, say) is rendered again by the server and put in place. (The islands are compiled into
//! the server too, to render their first HTML, but the event handlers that make these requests never
//! run there.)
//!
//! The browser reads JSON with its own `JSON.parse`, not serde_json: serde_json's parser and its
//! error messages (which bring all of Rust's float formatting) would be a quarter of the wasm, for
//! the two small answers read here.

use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};

use crate::model::{FieldErrors, NewComment, NewPost, PostCreated, PostId};

#[cfg(feature = "ssr")]
pub use reads::{
    LoadError, LoadResult, PostWithComments, in_preview_mode, list_posts, post_with_comments,
    trivia,
};

#[cfg(feature = "ssr")]
mod reads {
    //! The server's reads: straight to the data layer, with the database (`db::Db`) the router put in
    //! the context.
    //!
    //! Each read takes what it needs from the page's context when it is made, during the render, and
    //! returns a future that needs nothing more. A page's reads run as tasks of their own, which can
    //! first run after their request is gone (a visitor who leaves mid-render, a timeout), when the
    //! page's context has been torn down; and asking for a context from such a task can deadlock the
    //! thread that runs it: reactive_graph 0.2 walks up to the page's owner holding the lock of the
    //! owner below, and if that walk drops the last reference to the page's owner, dropping it locks
    //! the owner below again. Under load a worker thread froze for good that way, and with it the
    //! tasks it held (bench/README.md).
    use std::future::Future;

    use leptos::prelude::expect_context;
    use serde::{Deserialize, Serialize};

    use crate::{
        db::{self, Visibility},
        model::{
            COMMENT_PAGE_SIZE_DEFAULT, CommentId, CommentsForPost, PAGE_SIZE_DEFAULT, Post, PostId,
            PostPage, Trivia,
        },
        preview::visibility_in_page,
        trivia::TriviaService,
    };

    /// A page's data, or why it could not be loaded.
    pub type LoadResult<T> = Result<T, LoadError>;

    /// Why a page's data could not be loaded.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, thiserror::Error)]
    pub enum LoadError {
        /// The database is not answering: the page answers 503, try again shortly
        /// (`pages/unavailable.rs`).
        #[error("The database is not answering right now. Please try again in a few seconds.")]
        Unavailable,
        /// Anything else (logged): the page says so where the data would be.
        #[error("The data for this page could not be loaded. Please try again.")]
        Failed,
    }

    /// A post with one page of its comments, oldest first, and how many it has in all: what
    /// `/posts/{id}` shows.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct PostWithComments {
        pub post: Post,
        pub comments: CommentsForPost,
        pub comment_count: i64,
    }

    /// An outage is not a bug: logged as a warning, as the API does (`api/error.rs`).
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
        async move {
            db::list_posts(&db, visibility, PAGE_SIZE_DEFAULT, cursor)
                .await
                .map_err(failed)
        }
    }

    /// `cursor`: the page of comments after it (`None`: the first page).
    pub fn post_with_comments(
        id: PostId,
        cursor: Option<CommentId>,
    ) -> impl Future<Output = LoadResult<Option<PostWithComments>>> + Send + 'static {
        let db = expect_context::<db::Db>();
        let visibility = visibility_in_page();
        async move {
            let Some(post) = db::get_post(&db, visibility, id).await.map_err(failed)? else {
                return Ok(None);
            };
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
            }))
        }
    }

    pub fn trivia(number: i64) -> impl Future<Output = LoadResult<Trivia>> + Send + 'static {
        let db = expect_context::<db::Db>();
        let service = expect_context::<TriviaService>();
        async move { service.lookup(&db, number).await.map_err(failed) }
    }

    /// Whether the page is rendered for a request in preview mode (a valid preview cookie).
    pub fn in_preview_mode() -> bool {
        visibility_in_page() == Visibility::WithDrafts
    }

    #[cfg(test)]
    mod tests {
        use leptos::prelude::{Owner, provide_context};

        use super::*;

        #[tokio::test]
        async fn a_read_still_answers_when_it_first_runs_after_its_page_is_gone() {
            let folder = tempfile::tempdir().expect("a temporary folder");
            let url = format!("sqlite://{}", folder.path().join("app.db").display());
            let url = url.parse().expect("a SQLite URL");
            let db = db::open(&crate::config::DatabaseConfig::new(url))
                .await
                .expect("a fresh database");
            let page = Owner::new();
            let read = page.with(|| {
                provide_context(db.clone());
                list_posts(None)
            });

            drop(page);
            let posts = read.await.expect("the posts");

            assert!(posts.posts.is_empty());
            db.close().await;
        }
    }
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
const UNREADABLE: &str = "The server's answer could not be read. Please try again.";

/// An answer from the server: its status and its whole body.
struct Answer {
    status: u16,
    body: String,
}

impl Answer {
    /// The body parsed as JSON, or `undefined`.
    fn json(&self) -> JsValue {
        js_sys::JSON::parse(&self.body).unwrap_or(JsValue::UNDEFINED)
    }

    /// A sentence for a failed request: the server's own `detail` (problem+json) for a client error,
    /// a generic one for a server error (whose detail says nothing useful to a reader).
    fn failure_message(&self) -> String {
        let detail = field(&self.json(), "detail")
            .as_string()
            .unwrap_or_default();
        match self.status {
            413 => "That is too large to send. Please shorten it.".to_owned(),
            400..=499 if !detail.is_empty() => detail,
            status => format!(
                "The server could not complete the request (error {status}). Please try again."
            ),
        }
    }
}

/// `json[name]`, `undefined` when absent.
fn field(json: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(json, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// The `errors` of a problem+json answer: messages per field.
fn field_errors(problem: &JsValue) -> FieldErrors {
    let mut errors = FieldErrors::new();
    let given = field(problem, "errors");
    if given.is_object() {
        // Inserted one by one: collecting into the map would sort first, and bring a sort to the wasm.
        for entry in js_sys::Object::entries(given.unchecked_ref()).iter() {
            let entry = js_sys::Array::from(&entry);
            if let Some(name) = entry.get(0).as_string() {
                let messages = js_sys::Array::from(&entry.get(1));
                let messages = messages.iter().filter_map(|message| message.as_string());
                errors.insert(name, messages.collect());
            }
        }
    }
    errors
}

/// Sends a request with the browser's `fetch` (with a JSON body if `json` is given) and reads the
/// whole answer; `None` when no answer came (the network, or a server that is down).
///
/// Straight on `web_sys` rather than a wrapper crate such as gloo-net: this is all the app needs of
/// `fetch`, and every byte of the wasm counts.
async fn fetch(method: &str, url: &str, json: Option<String>) -> Option<Answer> {
    use wasm_bindgen_futures::JsFuture;

    let init = web_sys::RequestInit::new();
    init.set_method(method);
    if let Some(json) = json {
        let headers = web_sys::Headers::new().ok()?;
        headers.set("content-type", "application/json").ok()?;
        init.set_headers(&headers);
        init.set_body(&json.into());
    }
    let request = web_sys::Request::new_with_str_and_init(url, &init).ok()?;
    let response = JsFuture::from(leptos::prelude::window().fetch_with_request(&request))
        .await
        .ok()?
        .dyn_into::<web_sys::Response>()
        .ok()?;
    let body = JsFuture::from(response.text().ok()?).await.ok()?;
    Some(Answer {
        status: response.status(),
        body: body.as_string().unwrap_or_default(),
    })
}

/// `POST` JSON to an API route: its 201 answer, parsed.
async fn post_json(url: &str, body: &impl Serialize) -> Result<JsValue, SubmitError> {
    let json =
        serde_json::to_string(body).map_err(|error| SubmitError::Failed(error.to_string()))?;
    let answer = fetch("POST", url, Some(json))
        .await
        .ok_or_else(|| SubmitError::Failed(UNREACHABLE.to_owned()))?;
    match answer.status {
        201 => Ok(answer.json()),
        422 => {
            let problem = answer.json();
            Err(SubmitError::Invalid {
                detail: field(&problem, "detail").as_string().unwrap_or_default(),
                errors: field_errors(&problem),
            })
        }
        _ => Err(SubmitError::Failed(answer.failure_message())),
    }
}

/// `POST /api/post`.
pub async fn create_post(post: &NewPost) -> Result<PostCreated, SubmitError> {
    let created = post_json("/api/post", post).await?;
    // A JavaScript number holds every id below 2^53 exactly: far more posts than SQLite will see.
    match (
        field(&created, "id").as_f64(),
        field(&created, "message").as_string(),
    ) {
        (Some(id), Some(message)) => Ok(PostCreated {
            id: PostId(id as i64),
            message,
        }),
        _ => Err(SubmitError::Failed(UNREADABLE.to_owned())),
    }
}

/// `POST /api/comments/{id}`.
pub async fn add_comment(id: PostId, comment: &NewComment) -> Result<(), SubmitError> {
    post_json(&format!("/api/comments/{id}"), comment)
        .await
        .map(|_| ())
}

/// The element with id `id` in the page at `url`, as the server renders that page now. Put it in
/// place with [`put_in_place`].
pub async fn render_on_server(url: &str, id: &str) -> Result<web_sys::Element, String> {
    let answer = fetch("GET", url, None)
        .await
        .ok_or_else(|| UNREACHABLE.to_owned())?;
    if answer.status != 200 {
        return Err(answer.failure_message());
    }
    // A document parsed this way runs no scripts and loads nothing: it is only read.
    let page = web_sys::DomParser::new()
        .and_then(|parser| parser.parse_from_string(&answer.body, web_sys::SupportedType::TextHtml))
        .map_err(|_| UNREADABLE.to_owned())?;
    page.get_element_by_id(id)
        .ok_or_else(|| UNREADABLE.to_owned())
}

/// Puts `element` in the place of the page's element with the same id.
pub fn put_in_place(element: &web_sys::Element) {
    if let Some(current) = leptos::prelude::document().get_element_by_id(&element.id()) {
        _ = current.replace_with_with_node_1(element);
    }
}
