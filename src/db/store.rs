//! What a room must answer, one method per query: a new query or a third backend is then a list of
//! compile errors, not a hunt. The door's functions (`db/mod.rs`) document what each one answers.

use std::net::IpAddr;

use tokio::sync::broadcast;

use super::{
    CachedTrivia, DeliveryOutcome, EditCheck, Edited, Error, OpenError, PostChange, WriteAllowance,
    WriteLimit,
    feed::Notice,
    idempotency::{IdempotencyKey, Once},
    rows::PostComment,
};
use crate::{
    config::{DatabaseConfig, DatabaseUrl},
    model::{Comment, Post, PostId, PostSummary, UserId, ValidComment, ValidPatch, ValidPost},
};

pub trait Store: Sized {
    async fn open(config: &DatabaseConfig) -> Result<Self, OpenError>;
    async fn close(&self);
    /// Sets the gauges of its connections (size, idle) in the metrics.
    fn record_pool_metrics(&self);
    async fn ping(&self) -> Result<(), Error>;
    async fn create_post(&self, post: &ValidPost, author: Option<UserId>) -> Result<PostId, Error>;
    /// The check and the write in one transaction holding the write lock.
    async fn update_post(
        &self,
        drafts: bool,
        id: PostId,
        patch: &ValidPatch,
        check: &EditCheck,
    ) -> Result<Edited<Post>, Error>;
    /// As [`Store::update_post`]; the comments go with the post.
    async fn delete_post(
        &self,
        drafts: bool,
        id: PostId,
        check: &EditCheck,
    ) -> Result<Edited<()>, Error>;
    /// Up to `fetch` posts with an id below `before`, newest first; drafts too if `drafts`.
    async fn list_posts(
        &self,
        drafts: bool,
        before: i64,
        fetch: i64,
    ) -> Result<Vec<PostSummary>, Error>;
    async fn get_post(&self, drafts: bool, id: PostId) -> Result<Option<Post>, Error>;
    /// Up to `fetch` comments with an id above `after`, oldest first (see [`PostComment`]).
    async fn list_comments(
        &self,
        drafts: bool,
        post: PostId,
        after: i64,
        fetch: i64,
    ) -> Result<Vec<PostComment>, Error>;
    async fn count_comments(&self, post: PostId) -> Result<i64, Error>;
    /// `None`: no such post (for this reader); else its newest comment's id, if it has any.
    async fn last_comment_id(
        &self,
        drafts: bool,
        post: PostId,
    ) -> Result<Option<Option<i64>>, Error>;
    /// Starts hearing what other instances commit (PostgreSQL's one `LISTEN` connection, on
    /// `listen_url`, its `DATABASE_LISTEN_URL`); returns once it listens. Nothing to do on SQLite.
    async fn listen(&self, listen_url: Option<&DatabaseUrl>) -> Result<(), Error>;
    /// The comments committed from now on (see `feed.rs`); `listen_url` is PostgreSQL's
    /// `DATABASE_LISTEN_URL`.
    async fn follow_comments(
        &self,
        listen_url: Option<&DatabaseUrl>,
    ) -> Result<broadcast::Receiver<Notice>, Error>;
    /// The existence check is part of the insert.
    async fn add_comment(
        &self,
        drafts: bool,
        post: PostId,
        comment: &ValidComment,
        author: Option<UserId>,
    ) -> Result<Option<Comment>, Error>;
    /// Issue 25: a create with an `Idempotency-Key` (`db/idempotency.rs`).
    async fn create_post_once(
        &self,
        post: &ValidPost,
        author: Option<UserId>,
        key: &IdempotencyKey,
    ) -> Result<Once<PostId>, Error>;
    async fn add_comment_once(
        &self,
        drafts: bool,
        post: PostId,
        comment: &ValidComment,
        author: Option<UserId>,
        key: &IdempotencyKey,
    ) -> Result<Once<Option<Comment>>, Error>;
    async fn apply_delivery(
        &self,
        delivery: &str,
        post: PostId,
        change: PostChange,
    ) -> Result<DeliveryOutcome, Error>;
    async fn cached_trivia(&self, number: i64) -> Result<Option<CachedTrivia>, Error>;
    async fn cache_trivia(&self, number: i64, text: &str, max_entries: i64) -> Result<(), Error>;
    /// `address` is already what it counts as (`write_limit::counted_address`).
    async fn count_write(
        &self,
        address: IpAddr,
        limit: WriteLimit,
    ) -> Result<WriteAllowance, Error>;
}
