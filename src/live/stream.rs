//! One event stream: `retry:` first, then the post's comments after the id it starts from, each
//! once and in order. It reads the database first (the catch-up, a page at a time), then its post's
//! channel; when it lags behind the channel, or the hub says it missed notices, it reads the
//! database again after the last id it sent. Anything already sent (the catch-up and the channel
//! overlap) is skipped by id. A slow reader holds no more than its place in the channel: what it
//! has not read stays in the channel (bounded) or in the database.

use std::{collections::VecDeque, convert::Infallible, sync::Arc, time::Duration};

use axum::response::sse::Event;
use futures_util::{Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use super::{Message, Published, Slot, Subscription};
use crate::{
    db::{self, Visibility},
    model::CommentId,
};

/// Comments read at a time while catching up: the most a stream holds besides its channel (a
/// comment's JSON is at most about 8 KiB).
const PAGE: u32 = 20;

/// What `retry:` asks a browser to wait before it reconnects.
pub const RETRY: Duration = Duration::from_secs(2);

pub struct Reader {
    db: db::Db,
    visibility: Visibility,
    subscription: Subscription,
    _slot: Slot,
    /// The last comment sent, or the one the stream started after.
    last: CommentId,
    said_retry: bool,
    /// Whether the database has comments this stream may not have had yet.
    behind: bool,
    read: VecDeque<Arc<Published>>,
    /// `SSE_STREAM_LIFETIME_MS`.
    lifetime: Option<Duration>,
}

impl Reader {
    pub(super) fn new(
        db: db::Db,
        visibility: Visibility,
        subscription: Subscription,
        slot: Slot,
        after: CommentId,
        lifetime: Option<Duration>,
    ) -> Self {
        Self {
            db,
            visibility,
            subscription,
            _slot: slot,
            last: after,
            said_retry: false,
            behind: true,
            read: VecDeque::new(),
            lifetime,
        }
    }

    /// The events, as axum's `Sse` takes them.
    pub fn events(self) -> impl Stream<Item = Result<Event, Infallible>> + Send + 'static {
        let lifetime = self.lifetime;
        let ended = async move {
            match lifetime {
                Some(lifetime) => tokio::time::sleep(lifetime).await,
                None => std::future::pending().await,
            }
        };
        futures_util::stream::unfold(self, |mut reader| async move {
            let event = reader.next().await?;
            Some((Ok(event), reader))
        })
        .take_until(ended)
    }

    /// The next event; `None` ends the stream: the server is shutting down, the post is gone, or
    /// the database cannot be read (the client reconnects, and resumes from its last id).
    async fn next(&mut self) -> Option<Event> {
        if !self.said_retry {
            self.said_retry = true;
            return Some(Event::default().retry(RETRY));
        }
        loop {
            if let Some(comment) = self.read.pop_front() {
                if let Some(event) = self.send(&comment) {
                    return Some(event);
                }
                continue;
            }
            if self.behind {
                self.catch_up().await?;
                continue;
            }
            match self.subscription.recv().await {
                Ok(Message::Comment(comment)) => {
                    if let Some(event) = self.send(&comment) {
                        return Some(event);
                    }
                }
                Ok(Message::Missed) | Err(RecvError::Lagged(_)) => self.behind = true,
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// The event of `comment`, unless it was sent already.
    fn send(&mut self, comment: &Published) -> Option<Event> {
        if comment.id <= self.last {
            return None;
        }
        self.last = comment.id;
        Some(
            Event::default()
                .id(comment.id.to_string())
                .event("comment")
                .data(&comment.json),
        )
    }

    /// One page of the comments after the last sent, from the database.
    async fn catch_up(&mut self) -> Option<()> {
        let post = self.subscription.post();
        let cursor = (self.last.0 > 0).then_some(self.last);
        // Boxed: a stream's state has room for its largest step for as long as it is open, and
        // the database read (a pool's wait for a connection, then the query) is the largest,
        // though it only runs while catching up.
        let read = Box::pin(db::list_comments(
            &self.db,
            self.visibility,
            post,
            PAGE,
            cursor,
        ));
        let page = match read.await {
            Ok(Some(page)) => page,
            Ok(None) => return None,
            Err(error) => {
                tracing::info!(%error, %post, "an event stream cannot catch up; it ends");
                return None;
            }
        };
        self.behind = page.next_cursor.is_some();
        for comment in &page.comments {
            match Published::new(comment) {
                Ok(published) => self.read.push_back(published),
                Err(error) => {
                    tracing::error!(%error, "cannot serialize a comment");
                    return None;
                }
            }
        }
        Some(())
    }
}
