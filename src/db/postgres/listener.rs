//! The instance's one `LISTEN` connection (sqlx `PgListener`, on a pool of one of its own, so it
//! never takes a query's place), on three channels: `comment_added` (payload `post,comment`) becomes
//! a [`Notice::Added`] and `post_deleted` (payload `post`) a [`Notice::Deleted`] (one queue: in
//! commit order); `session_ended` (payload the hex of a session's `id_hash`) is forgotten by the
//! sessions cache, which is on only while this listens. When the connection is lost, the cache goes
//! off and a new connection is made (backing off to a second between tries); once it listens again,
//! [`Notice::Missed`] is told and the cache comes back on empty, since notices were missed.
//! `DATABASE_LISTEN_URL` points it past a transaction-mode pooler.

use std::time::Duration;

use sqlx::{
    PgPool,
    postgres::{PgListener, PgPoolOptions},
};

use crate::db::{
    feed::{Feed, Notice},
    session_cache::{SessionCache, SessionKey},
};

/// The channel the trigger of migrations/postgres/20261208000003_live_comments.sql notifies.
const COMMENT_ADDED: &str = "comment_added";
/// The channel the trigger of migrations/postgres/20261208000006_post_deleted.sql notifies.
const POST_DELETED: &str = "post_deleted";
/// The channel the trigger of migrations/postgres/20261209120000_session_ended.sql notifies.
const SESSION_ENDED: &str = "session_ended";

/// What the listener passes notices on to.
struct Hearers {
    comments: Feed,
    sessions: SessionCache,
}

/// Logged each time the listener listens (tests wait for it).
pub const LISTENING: &str = "listening for new comments, deleted posts and ended sessions";

const RETRY_FIRST: Duration = Duration::from_millis(50);
const RETRY_MAX: Duration = Duration::from_secs(1);

/// A pool of one connection for the listener, on `url` (`DATABASE_LISTEN_URL` or `DATABASE_URL`),
/// with the pool's options (no startup parameter a pooler refuses) and its acquire timeout.
pub fn pool(url: &str, timeout: Duration) -> Result<PgPool, sqlx::Error> {
    let options =
        super::connect_options(url)?.application_name(concat!(env!("CARGO_PKG_NAME"), " listener"));
    Ok(PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(timeout)
        .connect_lazy_with(options))
}

/// Listens on `pool` and tells `comments` and `sessions` until the pool is closed. Returns once the
/// first `LISTEN` is in place, so nothing committed after is missed; its error, if it failed, and
/// then stops.
pub async fn start(
    pool: PgPool,
    comments: Feed,
    sessions: SessionCache,
) -> Result<(), sqlx::Error> {
    let listener = listen(&pool).await?;
    sessions.set_live(true);
    tracing::info!("{LISTENING}");
    let hearers = Hearers { comments, sessions };
    tokio::spawn(async move {
        let mut listener = Some(listener);
        let mut wait = RETRY_FIRST;
        loop {
            let mut current = match listener.take() {
                Some(listener) => listener,
                None => match listen(&pool).await {
                    Ok(listener) => {
                        // Back after a loss: what was committed meanwhile was not notified here.
                        hearers.sessions.set_live(true);
                        hearers.comments.tell(Notice::Missed);
                        tracing::info!("{LISTENING}");
                        wait = RETRY_FIRST;
                        listener
                    }
                    Err(sqlx::Error::PoolClosed) => return,
                    Err(error) => {
                        tracing::warn!(%error, retry_in = ?wait, "cannot LISTEN for new comments and ended sessions");
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(RETRY_MAX);
                        continue;
                    }
                },
            };
            let closed = pass_on(&mut current, &hearers).await;
            hearers.sessions.set_live(false);
            if closed {
                return;
            }
            tracing::info!("the LISTEN connection was lost; listening again");
        }
    });
    Ok(())
}

async fn listen(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    // Each loss is handled here, by a new listener and a `Missed`: sqlx's own quiet reconnect would
    // not say when it is listening again.
    listener.eager_reconnect(false);
    listener
        .listen_all([COMMENT_ADDED, POST_DELETED, SESSION_ENDED])
        .await?;
    Ok(listener)
}

/// Passes notifications on until the connection is lost (`false`) or the pool closed (`true`).
async fn pass_on(listener: &mut PgListener, hearers: &Hearers) -> bool {
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => hear(notification.channel(), notification.payload(), hearers),
            Ok(None) => return false,
            Err(sqlx::Error::PoolClosed) => return true,
            Err(error) => {
                tracing::info!(%error, "the LISTEN connection failed");
                return false;
            }
        }
    }
}

fn hear(channel: &str, payload: &str, hearers: &Hearers) {
    if channel == SESSION_ENDED {
        match session_key(payload) {
            Some(key) => hearers.sessions.forget(&key),
            None => {
                // Anyone who can `NOTIFY` could send anything: forgetting every session is safe.
                tracing::warn!(
                    payload,
                    "a session_ended notification that is not a session's hash"
                );
                hearers.sessions.clear();
            }
        }
        return;
    }
    match parse(channel, payload) {
        Some(notice) => hearers.comments.tell(notice),
        None => tracing::warn!(
            channel,
            payload,
            "a notification that is not `post,comment` (comment_added) or `post` (post_deleted)"
        ),
    }
}

/// `post,comment` on `comment_added`, `post` on `post_deleted`, as the triggers write them.
fn parse(channel: &str, payload: &str) -> Option<Notice> {
    if channel == POST_DELETED {
        return Some(Notice::Deleted {
            post: payload.parse().ok()?,
        });
    }
    let (post, comment) = payload.split_once(',')?;
    // Positive ids only (`PostId`'s and `CommentId`'s own parsing): anyone who can `NOTIFY`
    // could send anything.
    Some(Notice::Added {
        post: post.parse().ok()?,
        comment: comment.parse().ok()?,
    })
}

/// 64 hex digits, as `encode(id_hash, 'hex')` writes them.
fn session_key(payload: &str) -> Option<SessionKey> {
    let mut key = [0u8; 32];
    hex::decode_to_slice(payload, &mut key).ok()?;
    Some(key)
}
