//! Group commit for new posts, in both rooms: posts submitted while a batch is being saved go
//! together into the next one, one multi-row `INSERT` and one commit, and each submitter gets the id
//! of its own post back. A commit is what a write costs (a thread round trip for SQLite, a disk flush
//! for PostgreSQL); nothing waits on purpose, so a lone post is saved at once. A batch is saved
//! whole or not at all. If the database is away, every post in it and queued behind it gets that
//! answer at once; on any other failure its posts are retried one by one, so one bad post cannot
//! fail the others. Each room says how it inserts a batch ([`InsertPosts`]).

use std::future::Future;

use tokio::sync::{mpsc, oneshot};

use super::Error;
use crate::model::{PostId, ValidPost};

/// The most posts one statement saves: SQLite allows 32 766 bound values per statement (3 a post);
/// PostgreSQL gets each column as one array, and this keeps a batch's transaction short.
const MAX_BATCH: usize = 256;

/// How a room saves a batch of posts.
pub trait InsertPosts: Send + Sync + 'static {
    /// Inserts `posts` with one statement, saved whole or not at all; their new ids, in the same
    /// order as `posts`.
    fn insert(
        &self,
        posts: &[ValidPost],
    ) -> impl Future<Output = Result<Vec<PostId>, Error>> + Send;
}

/// A handle to the task that saves posts; cheap to clone.
#[derive(Clone, Debug)]
pub struct PostBatcher {
    queue: mpsc::Sender<Job>,
}

#[derive(Debug)]
struct Job {
    post: ValidPost,
    reply: Reply,
}

type Reply = oneshot::Sender<Result<PostId, Error>>;

impl PostBatcher {
    /// Starts the task that saves posts through `room`. It ends when the last handle is dropped.
    pub fn start(room: impl InsertPosts) -> Self {
        let (queue, jobs) = mpsc::channel(MAX_BATCH);
        tokio::spawn(save_batches(room, jobs));
        Self { queue }
    }

    /// Saves `post` with whatever else is waiting; its new id once the batch has committed.
    pub async fn create(&self, post: ValidPost) -> Result<PostId, Error> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job { post, reply })
            .await
            .map_err(|_| sqlx::Error::WorkerCrashed)?;
        answer.await.map_err(|_| sqlx::Error::WorkerCrashed)?
    }
}

async fn save_batches(room: impl InsertPosts, mut jobs: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let (mut posts, mut replies) = (Vec::with_capacity(MAX_BATCH), Vec::with_capacity(MAX_BATCH));
    // Waits for one post, then takes every other one already queued (up to MAX_BATCH).
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        for Job { post, reply } in batch.drain(..) {
            posts.push(post);
            replies.push(reply);
        }
        match insert(&room, &posts).await {
            Ok(ids) => {
                for (reply, id) in replies.drain(..).zip(ids) {
                    // The submitter may have gone (its request was cancelled); the post is saved.
                    let _ = reply.send(Ok(id));
                }
            }
            Err(error @ Error::Unavailable(_)) => {
                let queued = std::iter::from_fn(|| jobs.try_recv().ok()).map(|job| job.reply);
                answer_unavailable(replies.drain(..).chain(queued), &error);
            }
            Err(error) if posts.len() == 1 => {
                if let Some(reply) = replies.pop() {
                    let _ = reply.send(Err(error));
                }
            }
            Err(_) => save_one_by_one(&room, &posts, replies.drain(..)).await,
        }
        posts.clear();
    }
}

/// After a batch failed for a reason of its own: each post alone, each answered with its own outcome,
/// unless the database goes away meanwhile (then the rest get that answer at once).
async fn save_one_by_one(
    room: &impl InsertPosts,
    posts: &[ValidPost],
    replies: impl Iterator<Item = Reply>,
) {
    let mut replies = replies.zip(posts);
    while let Some((reply, post)) = replies.next() {
        match insert(room, std::slice::from_ref(post)).await {
            Ok(ids) => {
                let _ = reply.send(Ok(ids[0]));
            }
            Err(error @ Error::Unavailable(_)) => {
                let rest = replies.map(|(reply, _)| reply);
                answer_unavailable(std::iter::once(reply).chain(rest), &error);
                return;
            }
            Err(error) => {
                let _ = reply.send(Err(error));
            }
        }
    }
}

/// `room.insert(posts)`, with one id for each post, or an error.
async fn insert(room: &impl InsertPosts, posts: &[ValidPost]) -> Result<Vec<PostId>, Error> {
    let ids = room.insert(posts).await?;
    if ids.len() != posts.len() {
        let wrong = format!("inserted {} posts, got {} ids back", posts.len(), ids.len());
        return Err(sqlx::Error::Protocol(wrong).into());
    }
    Ok(ids)
}

/// Answers each of `replies` that the database is away, as `error` said.
fn answer_unavailable(replies: impl Iterator<Item = Reply>, error: &Error) {
    for reply in replies {
        let _ = reply.send(Err(error.clone()));
    }
}
