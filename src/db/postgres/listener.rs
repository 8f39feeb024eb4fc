//! The instance's one `LISTEN comment_added` connection (sqlx `PgListener`, on a pool of one of its
//! own, so it never takes a query's place): each notification's payload, `post,comment`, becomes a
//! [`Notice::Added`]. When the connection is lost, a new one is made (backing off to a second
//! between tries) and [`Notice::Missed`] told once it listens again, so followers read what was
//! committed meanwhile. `DATABASE_LISTEN_URL` points it past a transaction-mode pooler.

use std::time::Duration;

use sqlx::{
    PgPool,
    postgres::{PgListener, PgPoolOptions},
};

use crate::db::feed::{Feed, Notice};

/// The channel the trigger of migrations/postgres/20261208000003_live_comments.sql notifies.
const CHANNEL: &str = "comment_added";

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
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Passes notifications on until the connection is lost (`false`) or the pool closed (`true`).
async fn pass_on(listener: &mut PgListener, feed: &Feed) -> bool {
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => match parse(notification.payload()) {
                Some(notice) => feed.tell(notice),
                None => tracing::warn!(
                    payload = notification.payload(),
                    "a comment_added notification that is not `post,comment`"
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

/// `post,comment`, as the trigger writes it.
fn parse(payload: &str) -> Option<Notice> {
    let (post, comment) = payload.split_once(',')?;
    // Positive ids only (`PostId`'s and `CommentId`'s own parsing): anyone who can `NOTIFY`
    // could send anything.
    Some(Notice::Added {
        post: post.parse().ok()?,
        comment: comment.parse().ok()?,
    })
}
