//! `/posts/{id}`: one post, its comments oldest first, and the comment form; the 404 page for a bad
//! or unknown id, the 503 page while the database is not answering. Query: `cursor` pages on
//! through newer comments; `comment` is an invalid no-JavaScript submission sent back (the form
//! reads it); `edit` (`invalid` or `stale`), `title`, `post`, `etag`: an edit sent back to the
//! author's edit form (see `api/post.rs`).

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    components::{
        comments::{CommentForm, CommentList},
        post_list::{Byline, DraftBadge, Timestamp},
        raw_text::textarea_text,
    },
    model::{CommentId, FieldErrors, PostId, PostPatch},
    pages::reads::{self, LoadError, PostWithComments},
    pages::{not_found::NotFound, unavailable::Unavailable},
};

#[component]
pub fn PostPage() -> impl IntoView {
    // Read once: the page is rendered on the server only, for one URL.
    let id = use_params_map().with_untracked(|params| params.get("id")?.parse::<PostId>().ok());
    // A cursor that does not parse starts from the first comment, as `/?cursor=` does for posts.
    let cursor =
        use_query_map().with_untracked(|query| query.get("cursor")?.parse::<CommentId>().ok());
    let returned = use_query_map().with_untracked(ReturnedEdit::from_query);
    let lookup = id.map(|id| reads::post_with_comments(id, cursor));
    let found = OnceResource::new(async move {
        match lookup {
            Some(lookup) => lookup.await,
            None => Ok(None),
        }
    });

    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let returned = returned.clone();
                Suspend::new(async move {
                match found.await {
                    Ok(Some(found)) => {
                        view! { <PostView found later_page=cursor.is_some() returned /> }
                            .into_any()
                    }
                    Ok(None) => view! { <NotFound /> }.into_any(),
                    Err(LoadError::Unavailable) => view! { <Unavailable /> }.into_any(),
                    Err(error) => view! { <p class="failed">{error.to_string()}</p> }.into_any(),
                }
                })
            }}
        </Suspense>
    }
}

#[component]
fn PostView(
    found: PostWithComments,
    later_page: bool,
    returned: Option<ReturnedEdit>,
) -> impl IntoView {
    let PostWithComments {
        post,
        comments,
        comment_count,
        author_etag,
    } = found;
    let description: String = post.body.chars().take(160).collect();
    let editor = author_etag.map(|etag| {
        let start = EditStart {
            id: post.id,
            title: post.title.clone(),
            body: post.body.clone(),
            etag,
        };
        view! { <EditPost start returned /> }
    });

    view! {
        <Title text=post.title.clone() />
        <Meta name="description" content=description />
        <article class="post">
            <h1>{post.title} {post.draft.then_some(view! { <DraftBadge /> })}</h1>
            <p class="meta"><Timestamp utc=post.created_at /> <Byline author=post.author /></p>
            <div class="post-body">{post.body}</div>
        </article>
        {editor}
        <CommentList page=comments count=comment_count later_page />
        <section aria-labelledby="new-comment" id="new-comment-section">
            <h2 id="new-comment">"Add a comment"</h2>
            <CommentForm />
        </section>
        <p><a href="/">"← All posts"</a></p>
    }
}

/// An edit the server sent back to the form (JavaScript off): what was typed, and why.
#[derive(Clone, Debug)]
struct ReturnedEdit {
    /// Another version was saved first (`stale`), else the values break the rules (`invalid`).
    stale: bool,
    title: String,
    post: String,
    etag: String,
}

impl ReturnedEdit {
    fn from_query(query: &leptos_router::params::ParamsMap) -> Option<Self> {
        let stale = match query.get("edit")?.as_str() {
            "stale" => true,
            "invalid" => false,
            _ => return None,
        };
        Some(Self {
            stale,
            title: query.get("title").unwrap_or_default(),
            post: query.get("post").unwrap_or_default(),
            etag: query.get("etag").unwrap_or_default(),
        })
    }
}

/// The post as its author opens the editor.
struct EditStart {
    id: PostId,
    title: String,
    body: String,
    etag: String,
}

/// Edit and Delete for the post's author: plain forms posting to `POST /api/post/{id}`, so they
/// work without JavaScript. Each carries the `ETag` of the version shown: if another tab saved
/// first, the server sends the edit back here (`stale`) with the current version's tag, so saving
/// again is a choice made having seen it.
#[component]
fn EditPost(start: EditStart, returned: Option<ReturnedEdit>) -> impl IntoView {
    let EditStart {
        id,
        title,
        body,
        etag,
    } = start;
    let action = format!("/api/post/{id}");
    let (title, body, form_etag, errors, notice) = match returned {
        Some(returned) if returned.stale => (
            returned.title,
            returned.post,
            etag.clone(),
            FieldErrors::new(),
            Some(
                "This post changed since you opened the editor (in another tab?): above is how it \
                 reads now. Your text is below, not saved; save it again to replace the post.",
            ),
        ),
        Some(returned) => {
            let patch = PostPatch {
                title: Some(returned.title.clone()),
                post: Some(returned.post.clone()),
            };
            let errors = patch.validate().err().unwrap_or_default();
            // The version the editor was opened on, so a stale save is still caught.
            let sent_etag = if returned.etag.is_empty() {
                etag.clone()
            } else {
                returned.etag
            };
            let notice = (!errors.is_empty()).then_some("Not saved: see the fields below.");
            (returned.title, returned.post, sent_etag, errors, notice)
        }
        None => (title, body, etag.clone(), FieldErrors::new(), None),
    };
    let error_of = |field: &str| errors.get(field).map(|messages| messages.join(" "));
    let (title_error, post_error) = (error_of("title"), error_of("post"));
    view! {
        <section aria-labelledby="edit" id="edit-section" class="edit-post">
            <h2 id="edit">"Edit or delete"</h2>
            {notice.map(|notice| view! { <p class="failed" role="alert">{notice}</p> })}
            <form class="stacked-form" method="post" action=action.clone()>
                <input type="hidden" name="action" value="edit" />
                <input type="hidden" name="etag" value=form_etag />
                <label for="edit-title">"Title"</label>
                <input
                    id="edit-title"
                    name="title"
                    type="text"
                    autocomplete="off"
                    value=title
                    aria-invalid=title_error.is_some().then_some("true")
                />
                <p class="field-error">{title_error}</p>
                <label for="edit-post">"Post"</label>
                <textarea
                    id="edit-post"
                    name="post"
                    rows="5"
                    aria-invalid=post_error.is_some().then_some("true")
                >
                    {textarea_text(&body)}
                </textarea>
                <p class="field-error">{post_error}</p>
                <button type="submit">"Save changes"</button>
            </form>
            <form method="post" action=action>
                <input type="hidden" name="action" value="delete" />
                <input type="hidden" name="etag" value=etag />
                <button type="submit" class="danger">"Delete this post and its comments"</button>
            </form>
        </section>
    }
}
