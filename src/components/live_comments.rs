//! The post page's live comments, once the comment form's island runs: an `EventSource` on
//! `/api/comments/{id}/events`, and on each new comment the comments section rendered again by the
//! server (as after adding one), so comments show in the server's order, each once, the one just
//! posted included. The browser reconnects by itself after a network loss, sending `Last-Event-ID`,
//! and the server catches up from it; when the server refused (a 503 closes an `EventSource` for
//! good), this opens a new one after a pause, with `?after=` the last id it had.
//! Compiled on the server too, never called there.

use std::{cell::Cell, rc::Rc, time::Duration};

use leptos::{prelude::set_timeout, task::spawn_local};
use wasm_bindgen::{JsCast, closure::Closure};
use web_sys::{EventSource, MessageEvent};

use super::{api_client, page_url};
use crate::model::PostId;

/// How long to wait before opening a new stream after the server refused one.
const REOPEN_AFTER: Duration = Duration::from_secs(3);

/// How long to wait before rendering the section again after a failed try.
const RETRY_REFRESH_AFTER: Duration = Duration::from_secs(2);

/// Follows `post`'s new comments, showing them in the section `section` until the page goes.
pub fn follow(post: PostId, section: &'static str) {
    let refresh = Refresh::new(section);
    // After the comments the server rendered (`data-after`), so none committed since is missed.
    let after = leptos::prelude::document()
        .get_element_by_id(section)
        .and_then(|section| section.get_attribute("data-after"))
        .and_then(|after| after.parse().ok());
    open(post, Rc::new(Cell::new(after)), refresh);
}

fn open(post: PostId, last: Rc<Cell<Option<i64>>>, refresh: Refresh) {
    // The browser keeps this URL for its own reconnects, sending `Last-Event-ID` once it has one.
    let url = match last.get() {
        Some(after) => format!("/api/comments/{post}/events?after={after}"),
        None => format!("/api/comments/{post}/events"),
    };
    let Ok(source) = EventSource::new(&url) else {
        return;
    };
    let on_comment = {
        let (last, refresh) = (Rc::clone(&last), refresh.clone());
        Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
            if let Ok(id) = event.last_event_id().parse() {
                last.set(Some(id));
            }
            refresh.run();
        })
    };
    let on_open = Closure::<dyn Fn()>::new(|| mark("open"));
    let on_error = {
        let source = source.clone();
        Closure::<dyn Fn()>::new(move || {
            mark("connecting");
            // CONNECTING: the browser retries by itself. CLOSED: it gave up; start again later.
            if source.ready_state() == EventSource::CLOSED {
                let (last, refresh) = (Rc::clone(&last), refresh.clone());
                set_timeout(move || open(post, last, refresh), REOPEN_AFTER);
            }
        })
    };
    let _ = source.add_event_listener_with_callback("comment", on_comment.as_ref().unchecked_ref());
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    // The handlers live as long as the page (a stream refused gets new ones, rarely).
    on_comment.forget();
    on_open.forget();
    on_error.forget();
}

/// `data-live-comments` on `<html>`: `open` while the stream is, else `connecting`; what end-to-end
/// tests wait for (a comment added before the stream is open would only come at a reconnect).
fn mark(state: &str) {
    if let Some(root) = leptos::prelude::document().document_element() {
        let _ = root.set_attribute("data-live-comments", state);
    }
}

/// The comments section rendered again, at most one request at a time: comments that come while
/// one is under way are shown by one more after it; a failed one is tried again.
#[derive(Clone)]
struct Refresh {
    section: &'static str,
    /// 0: idle; 1: a request under way; 2: and one more wanted after it.
    state: Rc<Cell<u8>>,
}

impl Refresh {
    fn new(section: &'static str) -> Self {
        Self {
            section,
            state: Rc::new(Cell::new(0)),
        }
    }

    fn run(&self) {
        if self.state.get() > 0 {
            self.state.set(2);
            return;
        }
        self.state.set(1);
        let this = self.clone();
        spawn_local(async move {
            loop {
                let url = page_url::in_address_bar();
                match api_client::render_on_server(&url, this.section).await {
                    Ok(section) => api_client::put_in_place(&section),
                    // Offline, or the server busy: the comment is still to show, so try again.
                    Err(_) => {
                        this.state.set(0);
                        let again = this.clone();
                        set_timeout(move || again.run(), RETRY_REFRESH_AFTER);
                        return;
                    }
                }
                if this.state.get() == 2 {
                    this.state.set(1);
                    continue;
                }
                this.state.set(0);
                return;
            }
        });
    }
}
