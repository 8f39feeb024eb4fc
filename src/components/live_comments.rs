//! The post page's live comments, once the comment form's island runs (docs/live-comments.md#the-page).
//! The server says whether to follow at all: the comments section carries `data-live` only where
//! streams are on (not with `SSE_MAX_STREAMS=0`, not on AWS Lambda) and only on the post's last
//! page of comments while it has room (`data-after`: the newest comment it shows). Then an
//! `EventSource` on
//! `/api/comments/{id}/events` puts each `comment` event's `data` (the comment as the API answers
//! it) in the list, in id order, as text nodes (never as HTML: a comment is anyone's input), unless
//! the list has it already: the one this page just posted goes in the same way from its 201 answer.
//! A comment that would make the list longer than a page belongs on the next page: the server renders
//! the section again (once: it is no longer the last page) and the stream is closed.
//!
//! When the stream fails the source is closed (the browser's own reconnects, every `retry:`, are not
//! used) and opened again after the last id the page has, waiting 1 s, then twice as long after
//! each failure up to a minute (back to 1 s once a stream brings a comment or stays open 30 s: a
//! stream that opens and ends at once, as when the database cannot be read, keeps backing off). An `EventSource` cannot see why it
//! was refused, so a refusal is asked once with `fetch`: a 4xx (the post is gone) or 501 (no
//! streams here) stops for good; a 503 or another 5xx waits and tries again. `event: deleted` (the
//! post was deleted) stops too. Compiled on the server too, never called there.

use std::{
    cell::{Cell, OnceCell, RefCell},
    rc::Rc,
    time::Duration,
};

use leptos::{
    prelude::{document, set_timeout},
    task::spawn_local,
};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use web_sys::{Element, EventSource, MessageEvent};

use super::{api_client, form::refresh_section, post_list::shown_time};
use crate::model::{COMMENT_PAGE_SIZE_DEFAULT, PostId};

/// The first wait before opening a failed stream again; doubled after each failure.
const FIRST_WAIT: Duration = Duration::from_secs(1);

/// The longest wait between two tries.
const LONGEST_WAIT: Duration = Duration::from_secs(60);

/// How long a stream must stay open to count as working (its failure then waits [`FIRST_WAIT`]).
const WORKED_FOR_MS: f64 = 30_000.0;

/// Follows `post`'s new comments in the section `section`, if the server rendered it for that.
pub fn follow(post: PostId, section: &'static str) {
    let Some(element) = document().get_element_by_id(section) else {
        return;
    };
    if !element.has_attribute("data-live") {
        return;
    }
    let Some(after) = newest_shown(&element) else {
        return;
    };
    let follower = Rc::new(Follower {
        post,
        section,
        last: Cell::new(after),
        wait: Cell::new(FIRST_WAIT),
        opened_at: Cell::new(None),
        source: RefCell::new(None),
        handlers: OnceCell::new(),
    });
    let _ = follower.handlers.set(Handlers::new(&follower));
    follower.open();
}

/// Shows `comment` (the JSON `POST /api/comments/{id}` answered) in the section `section`, as a
/// comment event would: `false` when the section does not show the post's last page with room for
/// it (then only the server knows where it goes).
pub fn show_posted(section: &str, comment: &JsValue) -> bool {
    Shown::from_json(comment).is_some_and(|comment| comment.put(section) == Put::Shown)
}

/// Where [`Shown::put`] left a comment.
#[derive(PartialEq, Eq)]
enum Put {
    /// In the list (or there already).
    Shown,
    /// The section does not show the post's last page.
    NotHere,
    /// The list is a full page: the comment goes on the next one.
    Full,
}

struct Follower {
    post: PostId,
    section: &'static str,
    /// The newest comment the page shows (from the stream, or from the page itself).
    last: Cell<i64>,
    /// How long to wait before the next try.
    wait: Cell<Duration>,
    /// When the current source opened (`Date.now()`), if it did.
    opened_at: Cell<Option<f64>>,
    source: RefCell<Option<EventSource>>,
    /// Made once, for every source: they live as long as the page.
    handlers: OnceCell<Handlers>,
}

struct Handlers {
    comment: Closure<dyn Fn(MessageEvent)>,
    deleted: Closure<dyn Fn()>,
    open: Closure<dyn Fn()>,
    error: Closure<dyn Fn()>,
}

impl Handlers {
    fn new(follower: &Rc<Follower>) -> Self {
        let comment = {
            let follower = Rc::clone(follower);
            Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
                let comment = event
                    .data()
                    .as_string()
                    .and_then(|data| js_sys::JSON::parse(&data).ok());
                if let Some(comment) = comment.as_ref().and_then(Shown::from_json) {
                    // The stream works: its next failure is tried again soon.
                    follower.wait.set(FIRST_WAIT);
                    follower.last.set(follower.last.get().max(comment.id));
                    if comment.put(follower.section) == Put::Full {
                        // The page is no longer the last: the server shows where things are now.
                        follower.close();
                        mark("stopped");
                        refresh_section(follower.section);
                    }
                }
            })
        };
        let deleted = {
            let follower = Rc::clone(follower);
            Closure::<dyn Fn()>::new(move || {
                follower.close();
                mark("ended");
                if let Some(section) = document().get_element_by_id(follower.section) {
                    let note = text_element("p", "This post was deleted.");
                    let _ = note.set_attribute("class", "muted");
                    let _ = note.set_attribute("role", "status");
                    let _ = section.append_child(&note);
                }
            })
        };
        let open = {
            let follower = Rc::clone(follower);
            Closure::<dyn Fn()>::new(move || {
                follower.opened_at.set(Some(js_sys::Date::now()));
                mark("open");
            })
        };
        let error = {
            let follower = Rc::clone(follower);
            Closure::<dyn Fn()>::new(move || {
                // CLOSED: the server answered something else than a stream. CONNECTING: the
                // connection failed or ended, and the browser would retry by itself.
                let refused = follower
                    .source
                    .borrow()
                    .as_ref()
                    .is_some_and(|source| source.ready_state() == EventSource::CLOSED);
                follower.close();
                if let Some(opened_at) = follower.opened_at.take()
                    && js_sys::Date::now() - opened_at >= WORKED_FOR_MS
                {
                    follower.wait.set(FIRST_WAIT);
                }
                mark("connecting");
                let follower = Rc::clone(&follower);
                if refused {
                    spawn_local(async move { follower.after_refusal().await });
                } else {
                    follower.open_later();
                }
            })
        };
        Self {
            comment,
            deleted,
            open,
            error,
        }
    }
}

impl Follower {
    fn url(&self) -> String {
        format!(
            "/api/comments/{}/events?after={}",
            self.post,
            self.last.get()
        )
    }

    fn open(&self) {
        let Some(handlers) = self.handlers.get() else {
            return;
        };
        let Ok(source) = EventSource::new(&self.url()) else {
            return;
        };
        let _ = source
            .add_event_listener_with_callback("comment", handlers.comment.as_ref().unchecked_ref());
        let _ = source
            .add_event_listener_with_callback("deleted", handlers.deleted.as_ref().unchecked_ref());
        source.set_onopen(Some(handlers.open.as_ref().unchecked_ref()));
        source.set_onerror(Some(handlers.error.as_ref().unchecked_ref()));
        self.close();
        *self.source.borrow_mut() = Some(source);
    }

    fn close(&self) {
        if let Some(source) = self.source.borrow_mut().take() {
            source.close();
        }
    }

    /// Opens the stream again after the wait, which doubles for the next time (up to a minute),
    /// give or take a quarter, so pages cut off together do not come back together.
    fn open_later(self: &Rc<Self>) {
        let wait = self.wait.get();
        self.wait.set((wait * 2).min(LONGEST_WAIT));
        let this = Rc::clone(self);
        set_timeout(
            move || this.open(),
            wait.mul_f64(0.75 + js_sys::Math::random() / 2.0),
        );
    }

    /// The stream was refused: asks why, then stops (4xx, 501) or tries again later.
    async fn after_refusal(self: Rc<Self>) {
        match api_client::status_of(&self.url()).await {
            Some(status) if (400..500).contains(&status) || status == 501 => mark("stopped"),
            _ => self.open_later(),
        }
    }
}

/// A comment as the page shows it.
struct Shown {
    id: i64,
    text: String,
    created_at: String,
    author: Option<String>,
}

impl Shown {
    /// From the API's JSON comment (`model::Comment`).
    fn from_json(comment: &JsValue) -> Option<Self> {
        let field = |name| js_sys::Reflect::get(comment, &JsValue::from_str(name)).ok();
        // A JavaScript number holds every id below 2^53 exactly.
        Some(Self {
            id: field("id")?.as_f64()? as i64,
            text: field("comment")?.as_string()?,
            created_at: field("created_at")?.as_string()?,
            author: field("author").and_then(|author| author.as_string()),
        })
    }

    /// Puts the comment in the section's list, in id order, once, and counts it in the heading.
    fn put(&self, section: &str) -> Put {
        let Some(section) = document().get_element_by_id(section) else {
            return Put::NotHere;
        };
        let Some(newest) = newest_shown(&section) else {
            return Put::NotHere;
        };
        let list = match section.query_selector("ol.comment-list").ok().flatten() {
            Some(list) => list,
            None => {
                let list = element("ol");
                let _ = list.set_attribute("class", "comment-list");
                match section.query_selector("p.empty").ok().flatten() {
                    Some(empty) => _ = empty.replace_with_with_node_1(&list),
                    None => _ = section.append_child(&list),
                }
                list
            }
        };
        let mut next = None;
        let items = list.children();
        for index in 0..items.length() {
            let Some(item) = items.item(index) else {
                continue;
            };
            match comment_id(&item) {
                Some(id) if id == self.id => return Put::Shown,
                Some(id) if id > self.id => {
                    next = Some(item);
                    break;
                }
                _ => {}
            }
        }
        if items.length() >= COMMENT_PAGE_SIZE_DEFAULT {
            return Put::Full;
        }
        let _ = list.insert_before(&self.item(), next.as_ref().map(AsRef::as_ref));
        let _ = section.set_attribute("data-after", &newest.max(self.id).to_string());
        if let Some(heading) = section.query_selector("#comments").ok().flatten() {
            let count = heading.text_content().and_then(|text| {
                text.strip_prefix("Comments (")?
                    .strip_suffix(')')?
                    .parse::<u64>()
                    .ok()
            });
            if let Some(count) = count {
                heading.set_text_content(Some(&format!("Comments ({})", count + 1_u64)));
            }
        }
        Put::Shown
    }

    /// `<li>` as `CommentList` renders one (components/comments.rs), made of text nodes only.
    fn item(&self) -> Element {
        let item = element("li");
        let _ = item.set_attribute("data-comment-id", &self.id.to_string());
        let body = text_element("p", &self.text);
        let _ = body.set_attribute("class", "comment-body");
        let time = text_element("time", &format!("{} UTC", shown_time(&self.created_at)));
        let _ = time.set_attribute("datetime", &self.created_at);
        let (name, class) = match &self.author {
            Some(author) => (author.as_str(), "author"),
            None => ("anonymous", "author anonymous"),
        };
        let author = text_element("span", name);
        let _ = author.set_attribute("class", class);
        let _ = item.append_child(&body);
        let _ = item.append_child(&time);
        let _ = item.append_child(&document().create_text_node(" by "));
        let _ = item.append_child(&author);
        item
    }
}

/// The newest comment a section shows (`data-after`), when it shows the post's last page.
fn newest_shown(section: &Element) -> Option<i64> {
    section.get_attribute("data-after")?.parse().ok()
}

fn comment_id(item: &Element) -> Option<i64> {
    item.get_attribute("data-comment-id")?.parse().ok()
}

fn element(name: &str) -> Element {
    document()
        .create_element(name)
        .unwrap_or_else(|_| unreachable!("{name} is a valid element name"))
}

/// `<name>` holding `text` as a text node.
fn text_element(name: &str, text: &str) -> Element {
    let element = element(name);
    element.set_text_content(Some(text));
    element
}

/// `data-live-comments` on `<html>`: `open` while the stream is, `connecting` while waiting to try
/// again, `stopped` once refused for good, `ended` once the post was deleted. What end-to-end tests
/// wait for (a comment added before the stream is open would only come at a reconnect).
fn mark(state: &str) {
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("data-live-comments", state);
    }
}
