//! The data layer, the only code that knows the database. This file is the door: [`open`] opens the
//! room `DATABASE_URL` names, and each query has one function here, so callers never learn which
//! room answered. Rooms implement [`store::Store`] and fail with [`Error`]: [`sqlite`] for one
//! process, [`postgres`] for several instances. Both answer identical values (`i64` ids, UTC text
//! timestamps with milliseconds, lists by id), so JSON, order and cursors match. Each query is a
//! `debug` span named `db` (exported as a trace's child span when traces are on: issue 24).

// While scripts/sqlx-prepare.sh checks one room, the other is left out, and what only it used is idle.
#![cfg_attr(
    any(sqlx_prepare = "sqlite", sqlx_prepare = "postgres"),
    allow(dead_code, unused_imports)
)]

pub mod copy;
pub mod error;
pub mod feed;
pub mod idempotency;
mod post_batch;
pub mod post_edit;
mod rows;
pub mod session_cache;
mod store;
mod sweeps;
pub mod write_limit;

#[cfg(not(sqlx_prepare = "sqlite"))]
mod postgres;
#[cfg(not(sqlx_prepare = "postgres"))]
mod sqlite;

pub use crate::config::Backend;
pub use error::{Cause, Error};
pub use idempotency::{IdempotencyKey, Once};
pub use post_edit::{EditCheck, Edited, Precondition, etag};
#[cfg(not(sqlx_prepare = "sqlite"))]
pub use postgres::lost_connections;
pub use rows::CachedTrivia;
#[cfg(not(sqlx_prepare = "postgres"))]
pub use sqlite::write_limit::WriteTimes;
pub use write_limit::{WriteAllowance, WriteLimit};

use std::{net::IpAddr, num::NonZeroU32};

use store::Store;

use crate::{
    config::DatabaseConfig,
    model::{
        Comment, CommentId, CommentsForPost, Post, PostId, PostPage, UserId, ValidComment,
        ValidPatch, ValidPost,
    },
};

/// The open database, whichever backend it is. Cheap to clone (shared handles).
#[derive(Clone, Debug)]
pub struct Db(Room);

#[derive(Clone, Debug)]
enum Room {
    #[cfg(not(sqlx_prepare = "postgres"))]
    Sqlite(sqlite::Db),
    #[cfg(not(sqlx_prepare = "sqlite"))]
    Postgres(postgres::Db),
}

/// `in_room!(db, room => room.method(args).await)`: static dispatch, no box, no vtable.
macro_rules! in_room {
    ($db:expr, $room:ident => $call:expr) => {
        match &$db.0 {
            #[cfg(not(sqlx_prepare = "postgres"))]
            Room::Sqlite($room) => $call,
            #[cfg(not(sqlx_prepare = "sqlite"))]
            Room::Postgres($room) => $call,
        }
    };
}

// Below `in_room!`, which it uses.
pub mod accounts;

/// Why the database could not be opened: each names `DATABASE_URL` (or the migrations) in one line.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("DATABASE_URL is not a usable {backend} URL: {source}")]
    Url {
        backend: &'static str,
        #[source]
        source: Cause,
    },
    #[error("DATABASE_URL: cannot create the database folder {folder}: {source}")]
    Folder {
        folder: String,
        #[source]
        source: std::io::Error,
    },
    #[error("DATABASE_URL: cannot connect to the database: {0}")]
    Connect(#[source] Cause),
    #[error("DATABASE_MIGRATION_URL: cannot connect to the database: {0}")]
    MigrationConnect(#[source] Cause),
    #[error("cannot apply the migrations: {0}")]
    Migrate(#[source] Cause),
    #[error("DATABASE_URL names {0}, which this build leaves out (sqlx_prepare)")]
    LeftOut(&'static str),
}

impl OpenError {
    fn connect(error: sqlx::Error) -> Self {
        Self::Connect(error.into())
    }

    fn migrate(error: sqlx::migrate::MigrateError) -> Self {
        Self::Migrate(Cause(std::sync::Arc::new(error)))
    }
}

/// Opens the database and migrates it. PostgreSQL's migrations run under a lock, so instances that
/// start at once apply each exactly once.
pub async fn open(config: &DatabaseConfig) -> Result<Db, OpenError> {
    let room = match config.url.backend() {
        #[cfg(not(sqlx_prepare = "postgres"))]
        Backend::Sqlite => Room::Sqlite(sqlite::Db::open(config).await?),
        #[cfg(not(sqlx_prepare = "sqlite"))]
        Backend::Postgres => Room::Postgres(postgres::Db::open(config).await?),
        #[allow(unreachable_patterns)]
        other => return Err(OpenError::LeftOut(other.name())),
    };
    tracing::info!(backend = config.url.backend().name(), "database ready");
    Ok(Db(room))
}

impl Db {
    pub fn backend(&self) -> Backend {
        match &self.0 {
            #[cfg(not(sqlx_prepare = "postgres"))]
            Room::Sqlite(_) => Backend::Sqlite,
            #[cfg(not(sqlx_prepare = "sqlite"))]
            Room::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn close(&self) {
        in_room!(self, room => room.close().await)
    }

    /// Sets the connection pools' gauges (size, idle) in the metrics; called before each scrape.
    pub fn record_pool_metrics(&self) {
        in_room!(self, room => room.record_pool_metrics())
    }
}

/// What `/api/health` reports.
#[tracing::instrument(level = "debug", name = "db", skip_all, fields(otel.name = "db ping", otel.kind = "client"))]
pub async fn ping(db: &Db) -> Result<(), Error> {
    in_room!(db, room => room.ping().await)
}

/// Which posts a read may see: drafts only in preview mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    Published,
    WithDrafts,
}

impl Visibility {
    fn drafts(self) -> bool {
        self == Self::WithDrafts
    }
}

/// `author`: the signed-in user who writes it (`None`: an anonymous post, which nobody may edit).
#[tracing::instrument(level = "debug", name = "db", skip_all, fields(otel.name = "db create_post", otel.kind = "client"))]
pub async fn create_post(
    db: &Db,
    post: &ValidPost,
    author: Option<UserId>,
) -> Result<PostId, Error> {
    in_room!(db, room => room.create_post(post, author).await)
}

/// Changes what `patch` names, if `check` allows it; answers the post as it is now.
pub async fn update_post(
    db: &Db,
    visibility: Visibility,
    id: PostId,
    patch: &ValidPatch,
    check: &EditCheck,
) -> Result<Edited<Post>, Error> {
    in_room!(db, room => room.update_post(visibility.drafts(), id, patch, check).await)
}

/// Deletes the post and its comments (one statement: the foreign key cascades), if `check` allows.
pub async fn delete_post(
    db: &Db,
    visibility: Visibility,
    id: PostId,
    check: &EditCheck,
) -> Result<Edited<()>, Error> {
    in_room!(db, room => room.delete_post(visibility.drafts(), id, check).await)
}

/// One page of posts, newest first; `cursor` is the previous page's `next_cursor`.
#[tracing::instrument(level = "debug", name = "db", skip_all, fields(otel.name = "db list_posts", otel.kind = "client"))]
pub async fn list_posts(
    db: &Db,
    visibility: Visibility,
    limit: u32,
    cursor: Option<PostId>,
) -> Result<PostPage, Error> {
    let before = cursor.map_or(i64::MAX, |id| id.0);
    let posts =
        in_room!(db, room => room.list_posts(visibility.drafts(), before, fetch(limit)).await)?;
    let (posts, next_cursor) = one_page(posts, limit, |post| post.id);
    Ok(PostPage { posts, next_cursor })
}

/// One row more than asked tells whether there is a next page, without a COUNT(*).
fn fetch(limit: u32) -> i64 {
    i64::from(limit) + 1
}

/// The first `limit` of `rows`, and the next page's cursor when [`fetch`] found one row more.
fn one_page<T, K>(mut rows: Vec<T>, limit: u32, key: impl Fn(&T) -> K) -> (Vec<T>, Option<K>) {
    let limit = limit as usize;
    if rows.len() <= limit {
        return (rows, None);
    }
    rows.truncate(limit);
    let next_cursor = rows.last().map(key);
    (rows, next_cursor)
}

#[tracing::instrument(level = "debug", name = "db", skip_all, fields(otel.name = "db get_post", otel.kind = "client"))]
pub async fn get_post(db: &Db, visibility: Visibility, id: PostId) -> Result<Option<Post>, Error> {
    in_room!(db, room => room.get_post(visibility.drafts(), id).await)
}

/// One page of a post's comments, oldest first; `None` when the post is not there for this reader.
#[tracing::instrument(level = "debug", name = "db", skip_all, fields(otel.name = "db list_comments", otel.kind = "client"))]
pub async fn list_comments(
    db: &Db,
    visibility: Visibility,
    post: PostId,
    limit: u32,
    cursor: Option<CommentId>,
) -> Result<Option<CommentsForPost>, Error> {
    let after = cursor.map_or(0, |id| id.0);
    let rows = in_room!(db, room => room.list_comments(visibility.drafts(), post, after, fetch(limit)).await)?;
    if rows.is_empty() {
        return Ok(None);
    }
    let comments = rows
        .into_iter()
        .filter_map(|row| {
            Some(Comment {
                id: row.id?,
                comment: row.comment?,
                created_at: row.created_at?,
                author: row.author,
            })
        })
        .collect();
    let (comments, next_cursor) = one_page(comments, limit, |comment| comment.id);
    Ok(Some(CommentsForPost {
        post,
        comments,
        next_cursor,
    }))
}

#[tracing::instrument(level = "debug", name = "db", skip_all, fields(otel.name = "db count_comments", otel.kind = "client"))]
pub async fn count_comments(db: &Db, post: PostId) -> Result<i64, Error> {
    in_room!(db, room => room.count_comments(post).await)
}

/// `None` when the post does not exist (for this reader); else the id of its newest comment, if any.
pub async fn last_comment_id(
    db: &Db,
    visibility: Visibility,
    post: PostId,
) -> Result<Option<Option<CommentId>>, Error> {
    let last = in_room!(db, room => room.last_comment_id(visibility.drafts(), post).await)?;
    Ok(last.map(|last| last.map(CommentId)))
}

/// Starts hearing what other instances commit: on PostgreSQL the one `LISTEN` connection (on
/// `listen_url`, else `DATABASE_URL`) for new comments and ended sessions, which turns the sessions
/// cache on (`session_cache.rs`); returns once it listens. A server calls it at its start.
pub async fn listen(db: &Db, listen_url: Option<&crate::config::DatabaseUrl>) -> Result<(), Error> {
    in_room!(db, room => room.listen(listen_url).await)
}

/// The comments committed from now on, as ids ([`feed::Notice`]). On PostgreSQL it starts the
/// instance's one `LISTEN` connection first if the server has not ([`listen`]).
pub async fn follow_comments(
    db: &Db,
    listen_url: Option<&crate::config::DatabaseUrl>,
) -> Result<tokio::sync::broadcast::Receiver<feed::Notice>, Error> {
    in_room!(db, room => room.follow_comments(listen_url).await)
}

/// `None` when the post does not exist (for this reader).
#[tracing::instrument(level = "debug", name = "db", skip_all, fields(otel.name = "db add_comment", otel.kind = "client"))]
pub async fn add_comment(
    db: &Db,
    visibility: Visibility,
    post: PostId,
    comment: &ValidComment,
    author: Option<UserId>,
) -> Result<Option<Comment>, Error> {
    in_room!(db, room => room.add_comment(visibility.drafts(), post, comment, author).await)
}

/// [`create_post`] with an `Idempotency-Key`: the post and its key commit together, so a retry
/// with the key answers the first post (docs/high-availability.md).
pub async fn create_post_once(
    db: &Db,
    post: &ValidPost,
    author: Option<UserId>,
    key: &IdempotencyKey,
) -> Result<Once<PostId>, Error> {
    in_room!(db, room => room.create_post_once(post, author, key).await)
}

/// [`add_comment`] with an `Idempotency-Key`; `None` inside when the post does not exist.
pub async fn add_comment_once(
    db: &Db,
    visibility: Visibility,
    post: PostId,
    comment: &ValidComment,
    author: Option<UserId>,
    key: &IdempotencyKey,
) -> Result<Once<Option<Comment>>, Error> {
    in_room!(db, room => room.add_comment_once(visibility.drafts(), post, comment, author, key).await)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PostChange {
    Publish,
    Delete,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Applied,
    /// This delivery id was applied before (through any instance); nothing changed.
    Replayed,
    /// No such post; nothing changed and the delivery is not recorded, so a retry can still apply.
    NoSuchPost,
}

/// Applies `change` once per `delivery`: the id is recorded in the same transaction, so a replay
/// (even a concurrent one, through another instance) changes nothing.
#[tracing::instrument(level = "debug", name = "db", skip_all, fields(otel.name = "db apply_delivery", otel.kind = "client"))]
pub async fn apply_delivery(
    db: &Db,
    delivery: &str,
    post: PostId,
    change: PostChange,
) -> Result<DeliveryOutcome, Error> {
    in_room!(db, room => room.apply_delivery(delivery, post, change).await)
}

#[tracing::instrument(level = "debug", name = "db", skip_all, fields(otel.name = "db cached_trivia", otel.kind = "client"))]
pub async fn cached_trivia(db: &Db, number: i64) -> Result<Option<CachedTrivia>, Error> {
    in_room!(db, room => room.cached_trivia(number).await)
}

/// Keeps an upstream answer; past `max_entries`, the oldest fetches go in the same transaction.
#[tracing::instrument(level = "debug", name = "db", skip_all, fields(otel.name = "db cache_trivia", otel.kind = "client"))]
pub async fn cache_trivia(
    db: &Db,
    number: i64,
    text: &str,
    max_entries: NonZeroU32,
) -> Result<(), Error> {
    let max_entries = i64::from(max_entries.get());
    in_room!(db, room => room.cache_trivia(number, text, max_entries).await)
}

/// Counts a write from `address` (IPv6 by its /64); instances on one PostgreSQL database share it.
#[tracing::instrument(level = "debug", name = "db", skip_all, fields(otel.name = "db count_write", otel.kind = "client"))]
pub async fn count_write(
    db: &Db,
    address: IpAddr,
    limit: WriteLimit,
) -> Result<WriteAllowance, Error> {
    let address = write_limit::counted_address(address);
    in_room!(db, room => room.count_write(address, limit).await)
}
