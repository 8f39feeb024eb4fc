//! Live comments (issue 23): one hub per instance follows the database's feed of new comments
//! (`db/feed.rs`: SQLite's in-process broadcast, PostgreSQL's `LISTEN`) and fans each out to the
//! streams open on its post (`stream.rs`): read once per instance, serialized once, one
//! `tokio::sync::broadcast` channel per watched post. Nothing is dropped: a stream that lags (by
//! count or by bytes), or a hub that missed notices, reads the database again from the last id it
//! has.
//! Design and limits: docs/live-comments.md.

mod stream;

pub use stream::Reader;

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, PoisonError, Weak,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use tokio::sync::{Notify, OnceCell, broadcast};

use crate::{
    config::{DatabaseUrl, LiveConfig},
    db::{self, Visibility, feed::Notice},
    model::{Comment, CommentId, PostId},
};

/// Comments a stream may fall behind its post's channel before it lags and reads the database
/// instead: the channel keeps this many, shared by all of the post's streams.
/// At least the hub's [`PAGE`], so one page published at once does not make every stream lag.
const CHANNEL_CAPACITY: usize = 2 * PAGE as usize;

/// Comments read from the database at a time by the hub.
const PAGE: u32 = 100;

/// The bytes of comments (their JSON) a post's channel keeps for its streams that have not taken
/// them yet, at least the newest comment: beyond, the oldest are let go, and a stream that comes to
/// one reads the database after its last id instead (`stream.rs`). So a reader that never reads
/// holds no more than this through its channel, whatever the comments' size: by count alone
/// ([`CHANNEL_CAPACITY`]) 200 comments of 8 KiB each stayed.
const CHANNEL_BYTES: usize = 64 * 1024;

/// The live comments of one instance. Cheap to clone.
#[derive(Clone)]
pub struct Live(Arc<Hub>);

struct Hub {
    db: db::Db,
    listen_url: Option<DatabaseUrl>,
    max_streams: usize,
    lifetime: Option<Duration>,
    open: AtomicUsize,
    /// False where responses cannot stream (a Lambda function): the route answers 501.
    streaming: AtomicBool,
    /// `SSE_MAX_STREAMS=0`: the route answers 501.
    off: bool,
    closed: AtomicBool,
    closing: Notify,
    /// The posts with open streams.
    topics: Mutex<HashMap<PostId, Topic>>,
    following: OnceCell<()>,
}

struct Topic {
    sender: broadcast::Sender<Message>,
    /// The newest comment sent on the channel; `None` until the first.
    last: Option<CommentId>,
    /// Until the first comment is sent: the lowest id a stream had when it last caught up from the
    /// database and began waiting on the channel. Where the hub reads from when notices were lost
    /// (`missed`): once, for every such stream. `None`: no stream waits yet (they all read).
    floor: Option<CommentId>,
    /// How many times the hub read for this channel's streams after lost notices: a stream whose
    /// catch-up began before one cannot know whether the hub's read covered it, so reads again.
    resyncs: u64,
    /// What the channel's messages point to, newest last: only the comments a stream may not have
    /// taken yet, within [`CHANNEL_BYTES`].
    recent: std::collections::VecDeque<Arc<Published>>,
    recent_bytes: usize,
}

impl Topic {
    fn send(&mut self, comment: Arc<Published>) {
        self.last = Some(comment.id);
        let message = Message::Comment(comment.id, Arc::downgrade(&comment));
        self.recent_bytes += comment.json.len();
        self.recent.push_back(comment);
        let _ = self.sender.send(message);
        // The channel's values every receiver took are gone from it: so are theirs here.
        let queued = self.sender.len();
        while self.recent.len() > 1
            && (self.recent.len() > queued || self.recent_bytes > CHANNEL_BYTES)
        {
            if let Some(old) = self.recent.pop_front() {
                self.recent_bytes -= old.json.len();
            }
        }
    }
}

/// What a post's channel carries.
#[derive(Clone, Debug)]
pub enum Message {
    /// A comment's id, and its event while the channel keeps it ([`CHANNEL_BYTES`]).
    Comment(CommentId, Weak<Published>),
    /// The hub may have missed comments: each stream reads after its own last id.
    Missed,
    /// The post was deleted: the streams say so (`event: deleted`) and end. The last message: the
    /// channel closes after it.
    Deleted,
}

/// A comment as its event's `data:`, serialized once for every stream.
#[derive(Debug)]
pub struct Published {
    pub id: CommentId,
    /// The comment as the API answers it (`model::Comment`, serde_json).
    pub json: String,
}

impl Published {
    fn new(comment: &Comment) -> Result<Arc<Self>, serde_json::Error> {
        Ok(Arc::new(Self {
            id: comment.id,
            json: serde_json::to_string(comment)?,
        }))
    }
}

/// Why a stream was not opened.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error(
        "{0} event streams are open, the most this server keeps (SSE_MAX_STREAMS); try again later."
    )]
    Full(usize),
    #[error("The server is shutting down; reconnect to another instance or try again shortly.")]
    ShuttingDown,
    #[error(
        "This deployment cannot stream responses (an AWS Lambda function); poll GET /api/comments/{{id}} instead."
    )]
    NotStreaming,
    #[error(
        "This server streams no events (SSE_MAX_STREAMS=0); poll GET /api/comments/{{id}} instead."
    )]
    Off,
    #[error(transparent)]
    Database(#[from] db::Error),
}

impl Live {
    /// The hub of `db`, with `config`'s settings and at most `max_streams` open at once.
    pub fn new(db: db::Db, config: &LiveConfig, max_streams: usize) -> Self {
        Self(Arc::new(Hub {
            db,
            listen_url: config.listen_url.clone(),
            max_streams,
            lifetime: config.stream_lifetime,
            open: AtomicUsize::new(0),
            streaming: AtomicBool::new(true),
            off: config.off,
            closed: AtomicBool::new(false),
            closing: Notify::new(),
            topics: Mutex::default(),
            following: OnceCell::new(),
        }))
    }

    /// Where responses cannot stream: every stream is refused with [`Refused::NotStreaming`].
    pub fn without_streaming(&self) {
        self.0.streaming.store(false, Ordering::Release);
    }

    /// Whether this server streams at all: what the post page tells its island (no stream is
    /// opened where the route answers 501).
    pub fn streams(&self) -> bool {
        !self.0.off && self.0.streaming.load(Ordering::Acquire)
    }

    pub fn max_streams(&self) -> usize {
        self.0.max_streams
    }

    /// Ends every stream (their channels close) and refuses new ones: at shutdown, since a stream
    /// never ends on its own and the server waits for its connections.
    pub fn close(&self) {
        // Under the topics' lock, which a new subscription takes to check the flag: none can be
        // added after the clear.
        let mut topics = self.0.topics();
        self.0.closed.store(true, Ordering::Release);
        self.0.closing.notify_one();
        topics.clear();
    }

    /// A stream of `post`'s comments after `after` (else after its newest now); `None` when the post
    /// is not there for this reader. Subscribed before the database is read, so a comment committed
    /// meanwhile comes in the catch-up, on the channel, or both (the stream skips ids it sent).
    pub async fn open(
        &self,
        visibility: Visibility,
        post: PostId,
        after: Option<CommentId>,
    ) -> Result<Option<Reader>, Refused> {
        let hub = &self.0;
        if hub.off {
            return Err(Refused::Off);
        }
        if !hub.streaming.load(Ordering::Acquire) {
            return Err(Refused::NotStreaming);
        }
        if hub.closed.load(Ordering::Acquire) {
            return Err(Refused::ShuttingDown);
        }
        let slot = Slot::take(hub).ok_or(Refused::Full(hub.max_streams))?;
        hub.following
            .get_or_try_init(|| async {
                let notices = db::follow_comments(&hub.db, hub.listen_url.as_ref()).await?;
                tokio::spawn(follow(Arc::downgrade(hub), notices));
                Ok::<_, db::Error>(())
            })
            .await?;
        let subscription = Subscription::new(hub, post).ok_or(Refused::ShuttingDown)?;
        let Some(last) = db::last_comment_id(&hub.db, visibility, post).await? else {
            return Ok(None);
        };
        let after = after.or(last).unwrap_or(CommentId(0));
        Ok(Some(Reader::new(
            hub.db.clone(),
            visibility,
            subscription,
            slot,
            after,
            hub.lifetime,
        )))
    }
}

impl Hub {
    fn topics(&self) -> std::sync::MutexGuard<'_, HashMap<PostId, Topic>> {
        // A panic elsewhere cannot leave the map half-changed: every change is one call.
        self.topics.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `comment` was committed on `post`: sends it, and any before it the channel lacks.
    async fn added(&self, post: PostId, comment: CommentId) {
        let after = {
            let topics = self.topics();
            let Some(topic) = topics.get(&post) else {
                return;
            };
            match topic.last {
                Some(last) if last >= comment => return,
                Some(last) => last,
                None => CommentId(comment.0.saturating_sub(1)),
            }
        };
        self.publish(post, after).await;
    }

    /// Notices may have been lost: each channel gets what was committed after its last comment,
    /// read once for all of its streams. A channel that never carried a comment is read after the
    /// lowest id its waiting streams had (`Topic::floor`); its streams still catching up read the
    /// database anyway, so none of them reads again (issue 23's review: every stream of such a
    /// channel used to read for itself).
    async fn missed(&self) {
        let watched: Vec<(PostId, CommentId)> = self
            .topics()
            .iter_mut()
            .filter_map(|(post, topic)| {
                let from = match topic.last {
                    Some(last) => last,
                    None => {
                        topic.resyncs += 1;
                        topic.floor?
                    }
                };
                Some((*post, from))
            })
            .collect();
        for (post, from) in watched {
            self.publish(post, from).await;
        }
    }

    /// Reads `post`'s comments after `after` and sends them, oldest first. A post gone (deleted,
    /// and its notice missed) is [`Hub::deleted`].
    async fn publish(&self, post: PostId, mut after: CommentId) {
        loop {
            let cursor = (after.0 > 0).then_some(after);
            let page = match db::list_comments(&self.db, Visibility::WithDrafts, post, PAGE, cursor)
                .await
            {
                Ok(Some(page)) => page,
                Ok(None) => {
                    self.deleted(post);
                    return;
                }
                Err(error) => {
                    // Nothing may wait for the next notice (a quiet post has none): the streams
                    // read for themselves, each after its own last comment.
                    tracing::warn!(%error, %post, "cannot read the new comments of a watched post");
                    self.send(post, Message::Missed);
                    return;
                }
            };
            for comment in &page.comments {
                let published = match Published::new(comment) {
                    Ok(published) => published,
                    Err(error) => {
                        tracing::error!(%error, "cannot serialize a comment");
                        return;
                    }
                };
                let mut topics = self.topics();
                let Some(topic) = topics.get_mut(&post) else {
                    return;
                };
                topic.send(published);
                after = comment.id;
            }
            if page.next_cursor.is_none() {
                return;
            }
        }
    }

    /// `post` was deleted: its streams are told, and its channel closes (they end).
    fn deleted(&self, post: PostId) {
        if let Some(topic) = self.topics().remove(&post) {
            let _ = topic.sender.send(Message::Deleted);
        }
    }

    fn send(&self, post: PostId, message: Message) {
        if let Some(topic) = self.topics().get(&post) {
            let _ = topic.sender.send(message);
        }
    }
}

/// The hub's task: the database's notices, one at a time (so in commit order), until the hub is
/// closed or gone.
async fn follow(hub: Weak<Hub>, mut notices: broadcast::Receiver<Notice>) {
    loop {
        let notice = {
            let Some(hub) = hub.upgrade() else { return };
            tokio::select! {
                notice = notices.recv() => notice,
                () = hub.closing.notified() => return,
            }
        };
        let Some(hub) = hub.upgrade() else { return };
        match notice {
            Ok(Notice::Added { post, comment }) => hub.added(post, comment).await,
            Ok(Notice::Deleted { post }) => hub.deleted(post),
            Ok(Notice::Missed) | Err(broadcast::error::RecvError::Lagged(_)) => hub.missed().await,
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// One of the `SSE_MAX_STREAMS` places, given back when its stream ends.
pub struct Slot(Arc<Hub>);

impl Slot {
    fn take(hub: &Arc<Hub>) -> Option<Self> {
        hub.open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < hub.max_streams).then_some(open + 1)
            })
            .ok()
            .map(|open| {
                streams_open(open + 1);
                Self(Arc::clone(hub))
            })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let open = self.0.open.fetch_sub(1, Ordering::AcqRel);
        streams_open(open - 1);
    }
}

/// The `app_event_streams_open` gauge (a no-op until a metrics recorder is installed).
fn streams_open(open: usize) {
    metrics::gauge!("app_event_streams_open").set(open as f64);
}

/// A stream's receiver on its post's channel; the channel goes with its last receiver.
pub struct Subscription {
    hub: Arc<Hub>,
    post: PostId,
    receiver: Option<broadcast::Receiver<Message>>,
}

impl Subscription {
    /// `None` once the hub is closed (checked under the lock [`Live::close`] clears the topics in).
    fn new(hub: &Arc<Hub>, post: PostId) -> Option<Self> {
        let mut topics = hub.topics();
        if hub.closed.load(Ordering::Acquire) {
            return None;
        }
        let receiver = topics
            .entry(post)
            .or_insert_with(|| Topic {
                sender: broadcast::Sender::new(CHANNEL_CAPACITY),
                last: None,
                floor: None,
                resyncs: 0,
                recent: std::collections::VecDeque::new(),
                recent_bytes: 0,
            })
            .sender
            .subscribe();
        drop(topics);
        Some(Self {
            hub: Arc::clone(hub),
            post,
            receiver: Some(receiver),
        })
    }

    pub fn post(&self) -> PostId {
        self.post
    }

    /// [`Topic::resyncs`], read before a catch-up.
    fn resyncs(&self) -> u64 {
        self.hub
            .topics()
            .get(&self.post)
            .map_or(0, |topic| topic.resyncs)
    }

    /// The stream read the database up to `last` in a catch-up that began at `resyncs` and now
    /// waits on the channel: noted as the channel's floor if the hub has sent nothing yet. `false`
    /// when the hub read for lost notices meanwhile: the stream must read again.
    fn caught_up(&self, resyncs: u64, last: CommentId) -> bool {
        let mut topics = self.hub.topics();
        let Some(topic) = topics.get_mut(&self.post) else {
            return true;
        };
        if topic.resyncs != resyncs {
            return false;
        }
        if topic.last.is_none() {
            topic.floor = Some(topic.floor.map_or(last, |floor| floor.min(last)));
        }
        true
    }

    async fn recv(&mut self) -> Result<Message, broadcast::error::RecvError> {
        match &mut self.receiver {
            Some(receiver) => receiver.recv().await,
            None => Err(broadcast::error::RecvError::Closed),
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        drop(self.receiver.take());
        let mut topics = self.hub.topics();
        if topics
            .get(&self.post)
            .is_some_and(|topic| topic.sender.receiver_count() == 0)
        {
            topics.remove(&self.post);
        }
    }
}

#[cfg(test)]
#[path = "../../tests/unit/private/live.rs"]
mod tests;
