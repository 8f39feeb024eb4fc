//! The instance's one `LISTEN comment_added, post_deleted` connection (sqlx `PgListener`, on a pool
//! of one of its own, so it never takes a query's place): each `comment_added` payload,
//! `post,comment`, becomes a [`Notice::Added`], each `post_deleted` payload, `post`, a
//! [`Notice::Deleted`] (one queue: in commit order). When the connection is lost, a new one is made (backing off to a second
//! between tries) and [`Notice::Missed`] told once it listens again, so followers read what was
//! committed meanwhile. `DATABASE_LISTEN_URL` points it past a transaction-mode pooler.

use std::time::Duration;

use sqlx::{
    PgPool,
    postgres::{PgListener, PgPoolOptions},
};

use crate::db::feed::{Feed, Notice};

/// The channel the trigger of migrations/postgres/20261208000003_live_comments.sql notifies.
const ADDED: &str = "comment_added";

/// The channel the trigger of migrations/postgres/20261208000006_post_deleted.sql notifies.
const DELETED: &str = "post_deleted";

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

/// Listens on `pool` and tells `feed` until the pool is closed. Returns once the first `LISTEN` is
/// in place, so nothing committed after is missed; its error, if it failed, and then stops.
pub async fn start(pool: PgPool, feed: Feed) -> Result<(), sqlx::Error> {
    let listener = listen(&pool).await?;
    tokio::spawn(async move {
        let mut listener = Some(listener);
        let mut wait = RETRY_FIRST;
        loop {
            let mut current = match listener.take() {
                Some(listener) => listener,
                None => match listen(&pool).await {
                    Ok(listener) => {
                        // Back after a loss: what was committed meanwhile was not notified here.
                        feed.tell(Notice::Missed);
                        wait = RETRY_FIRST;
                        listener
                    }
                    Err(sqlx::Error::PoolClosed) => return,
                    Err(error) => {
                        tracing::warn!(%error, retry_in = ?wait, "cannot LISTEN for new comments");
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(RETRY_MAX);
                        continue;
                    }
                },
            };
            if pass_on(&mut current, &feed).await {
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
    listener.listen_all([ADDED, DELETED]).await?;
    Ok(listener)
}

/// Passes notifications on until the connection is lost (`false`) or the pool closed (`true`).
async fn pass_on(listener: &mut PgListener, feed: &Feed) -> bool {
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => match parse(notification.channel(), notification.payload()) {
                Some(notice) => feed.tell(notice),
                None => tracing::warn!(
                    channel = notification.channel(),
                    payload = notification.payload(),
                    "a notification that is not `post,comment` (comment_added) or `post` (post_deleted)"
                ),
            },
            Ok(None) => return false,
            Err(sqlx::Error::PoolClosed) => return true,
            Err(error) => {
                tracing::info!(%error, "the LISTEN connection failed");
                return false;
            }
        }
    }
}

/// `post,comment` on `comment_added`, `post` on `post_deleted`, as the triggers write them.
fn parse(channel: &str, payload: &str) -> Option<Notice> {
    if channel == DELETED {
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
