//! The comments the database took, as `(post, comment)` ids, and the posts it deleted, told after
//! their commit to whoever follows them (src/live/). SQLite tells from its one writer, so in commit order; PostgreSQL's
//! one `LISTEN` connection (`postgres/listener.rs`) passes on what the comments' `NOTIFY` trigger
//! sends, which PostgreSQL delivers in commit order too. A follower that may have missed notices
//! (it lagged, or the listener reconnected) gets [`Notice::Missed`] and reads the database again.

use tokio::sync::broadcast;

use crate::model::{CommentId, PostId};

/// Notices held for a slow follower before it lags (and then resyncs): one hub per instance
/// follows, and it keeps up, so this is only a cushion for a burst.
const CAPACITY: usize = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// `comment` was committed on `post`.
    Added { post: PostId, comment: CommentId },
    /// `post` was deleted (with its comments).
    Deleted { post: PostId },
    /// Notices may have been lost (the listener's connection was lost and is back): read again.
    Missed,
}

/// The sending side, one per open database.
#[derive(Clone, Debug)]
pub struct Feed(broadcast::Sender<Notice>);

impl Default for Feed {
    fn default() -> Self {
        Self(broadcast::Sender::new(CAPACITY))
    }
}

impl Feed {
    /// Tells the followers, if any (none is not an error: nobody is watching).
    pub fn tell(&self, notice: Notice) {
        let _ = self.0.send(notice);
    }

    pub fn follow(&self) -> broadcast::Receiver<Notice> {
        self.0.subscribe()
    }
}
