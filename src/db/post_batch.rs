//! Group commit for new posts: posts submitted while a batch is saved go together into the next
//! one (one `INSERT`, one commit: the commit is what a write costs); nothing waits on purpose.
//! If the database is away, the batch and the queue behind it get that answer at once; any other
//! failure retries the posts one by one, so one bad post cannot fail the others.

use std::future::Future;

use tokio::sync::{mpsc, oneshot};

use super::Error;
use crate::model::{PostId, UserId, ValidPost};

/// SQLite allows 32 766 bound values per statement (4 a post); it also keeps a transaction short.
const MAX_BATCH: usize = 256;

/// A post to insert and who wrote it (`None`: anonymous).
#[derive(Clone, Debug)]
pub struct NewPostRow {
    pub post: ValidPost,
    pub author: Option<UserId>,
}

pub trait InsertPosts: Send + Sync + 'static {
    /// One statement, whole or not at all; the new ids in the order of `posts`.
    fn insert(
        &self,
        posts: &[NewPostRow],
    ) -> impl Future<Output = Result<Vec<PostId>, Error>> + Send;
}

#[derive(Clone, Debug)]
pub struct PostBatcher {
    queue: mpsc::Sender<Job>,
}

#[derive(Debug)]
struct Job {
    post: NewPostRow,
    reply: Reply,
}

type Reply = oneshot::Sender<Result<PostId, Error>>;

impl PostBatcher {
    /// The task ends when the last handle is dropped.
    pub fn start(room: impl InsertPosts) -> Self {
        let (queue, jobs) = mpsc::channel(MAX_BATCH);
        tokio::spawn(save_batches(room, jobs));
        Self { queue }
    }

    pub async fn create(&self, post: ValidPost, author: Option<UserId>) -> Result<PostId, Error> {
        let post = NewPostRow { post, author };
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

/// Each post alone, unless the database goes away meanwhile (then the rest get that at once).
async fn save_one_by_one(
    room: &impl InsertPosts,
    posts: &[NewPostRow],
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

async fn insert(room: &impl InsertPosts, posts: &[NewPostRow]) -> Result<Vec<PostId>, Error> {
    let ids = room.insert(posts).await?;
    if ids.len() != posts.len() {
        let wrong = format!("inserted {} posts, got {} ids back", posts.len(), ids.len());
        return Err(sqlx::Error::Protocol(wrong).into());
    }
    Ok(ids)
}

fn answer_unavailable(replies: impl Iterator<Item = Reply>, error: &Error) {
    for reply in replies {
        let _ = reply.send(Err(error.clone()));
    }
}
