//! One event stream: `retry:` first, then the post's comments after the id it starts from, each
//! once and in order. It reads the database first (the catch-up, a page at a time), then its post's
//! channel; when it lags behind the channel, or the hub says it missed notices, it reads the
//! database again after the last id it sent. Anything already sent (the catch-up and the channel
//! overlap) is skipped by id. A slow reader holds no more than its place in the channel and one
//! catch-up's bytes: what it has not read stays in the channel (bounded by count and by bytes) or
//! in the database. When its post is gone it says so (`event: deleted`) and ends.

use std::{collections::VecDeque, convert::Infallible, sync::Arc, time::Duration};

use axum::response::sse::Event;
use futures_util::{Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use super::{Message, Published, Slot, Subscription};
use crate::{
    db::{self, Visibility},
    model::{CommentId, PostId},
};

/// Comments read at a time while catching up, at most.
const PAGE: u32 = 20;

/// The bytes of comments (their JSON) a stream holds while it catches up, at least one comment:
/// the most it holds besides its channel's share ([`super::CHANNEL_BYTES`], shared with the post's
/// other streams). A page is kept up to this, the rest read again with the next page, which asks
/// for as many as fit by the largest comment seen (a comment's JSON is at most about 8 KiB).
pub(super) const CATCH_UP_BYTES: usize = 16 * 1024;

/// What `retry:` asks a browser to wait before it reconnects.
pub const RETRY: Duration = Duration::from_secs(2);

pub struct Reader {
    db: db::Db,
    visibility: Visibility,
    pub(super) subscription: Subscription,
    _slot: Slot,
    /// The last comment sent, or the one the stream started after.
    last: CommentId,
    said_retry: bool,
    /// The post is gone and the stream said so: it ends.
    ended: bool,
    /// Whether the database has comments this stream may not have had yet.
    behind: bool,
    pub(super) read: VecDeque<Arc<Published>>,
    /// `SSE_STREAM_LIFETIME_MS`.
    lifetime: Option<Duration>,
    /// The database reads this stream made (its catch-up pages).
    pub(super) reads: u64,
    /// How many comments the next catch-up page asks for.
    pub(super) page: u32,
}

/// What a stream writes next.
#[derive(Debug)]
pub(super) enum Item {
    Retry,
    Comment(Arc<Published>),
    /// The post is gone (deleted, or no longer there for this reader): the stream's last event.
    Deleted(PostId),
}

impl Item {
    fn event(self) -> Event {
        match self {
            Self::Retry => Event::default().retry(RETRY),
            Self::Comment(comment) => Event::default()
                .id(comment.id.to_string())
                .event("comment")
                .data(&comment.json),
            // Data, or a browser would not dispatch it; no `id:`, so `Last-Event-ID` stays the
            // last comment's.
            Self::Deleted(post) => Event::default()
                .event("deleted")
                .data(format!(r#"{{"post":{post}}}"#)),
        }
    }
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
            ended: false,
            behind: true,
            read: VecDeque::new(),
            lifetime,
            reads: 0,
            page: PAGE,
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
            let item = reader.next().await?;
            Some((Ok(item.event()), reader))
        })
        .take_until(ended)
    }

    /// The next event; `None` ends the stream: the server is shutting down, the post is gone (after
    /// [`Item::Deleted`]), or the database cannot be read (the client reconnects, and resumes from
    /// its last id).
    pub(super) async fn next(&mut self) -> Option<Item> {
        if self.ended {
            return None;
        }
        if !self.said_retry {
            self.said_retry = true;
            return Some(Item::Retry);
        }
        loop {
            if let Some(comment) = self.read.pop_front() {
                if let Some(item) = self.send(comment) {
                    return Some(item);
                }
                continue;
            }
            if self.behind {
                match self.catch_up().await? {
                    Ok(()) => continue,
                    Err(Gone) => return Some(self.end()),
                }
            }
            match self.subscription.recv().await {
                Ok(Message::Comment(id, _)) if id <= self.last => {}
                Ok(Message::Comment(_, comment)) => match comment.upgrade() {
                    Some(comment) => {
                        if let Some(item) = self.send(comment) {
                            return Some(item);
                        }
                    }
                    // Let go by the channel: this stream is far behind, the database has it.
                    None => self.behind = true,
                },
                Ok(Message::Missed) | Err(RecvError::Lagged(_)) => self.behind = true,
                Ok(Message::Deleted) => return Some(self.end()),
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// `comment`, unless it was sent already.
    fn send(&mut self, comment: Arc<Published>) -> Option<Item> {
        if comment.id <= self.last {
            return None;
        }
        self.last = comment.id;
        Some(Item::Comment(comment))
    }

    /// The post is gone: what the stream says last.
    fn end(&mut self) -> Item {
        self.ended = true;
        self.read.clear();
        Item::Deleted(self.subscription.post())
    }

    /// One page of the comments after the last sent, from the database; `Err(Gone)` when the post
    /// is not there (any more) for this reader, `None` when the database cannot be read.
    async fn catch_up(&mut self) -> Option<Result<(), Gone>> {
        let post = self.subscription.post();
        let cursor = (self.last.0 > 0).then_some(self.last);
        let resyncs = self.subscription.resyncs();
        self.reads += 1;
        // Boxed: a stream's state has room for its largest step for as long as it is open, and
        // the database read (a pool's wait for a connection, then the query) is the largest,
        // though it only runs while catching up.
        let read = Box::pin(db::list_comments(
            &self.db,
            self.visibility,
            post,
            self.page,
            cursor,
        ));
        let page = match read.await {
            Ok(Some(page)) => page,
            Ok(None) => return Some(Err(Gone)),
            Err(error) => {
                tracing::info!(%error, %post, "an event stream cannot catch up; it ends");
                return None;
            }
        };
        let (mut held, mut largest, mut cut) = (0, 1, false);
        for comment in &page.comments {
            let published = match Published::new(comment) {
                Ok(published) => published,
                Err(error) => {
                    tracing::error!(%error, "cannot serialize a comment");
                    return None;
                }
            };
            let size = published.json.len();
            largest = largest.max(size);
            if held > 0 && held + size > CATCH_UP_BYTES {
                // Read again with the next page.
                cut = true;
                break;
            }
            held += size;
            self.read.push_back(published);
        }
        self.page = u32::try_from(CATCH_UP_BYTES / largest)
            .unwrap_or(PAGE)
            .clamp(1, PAGE);
        self.behind = cut || page.next_cursor.is_some();
        if !self.behind {
            // Caught up: from here the channel brings the rest, unless the hub read for lost
            // notices while this page was read (then whether it covered this stream is unknown).
            let last = self.read.back().map_or(self.last, |comment| comment.id);
            self.behind = !self.subscription.caught_up(resyncs, last);
        }
        Some(Ok(()))
    }
}

/// The post is not there for the stream's reader.
struct Gone;
