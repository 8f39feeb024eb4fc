//! Group commit for new posts: posts submitted while the writer is busy are saved together, with one
//! multi-row `INSERT`, and each submitter gets its own id back.
//!
//! Why: sqlx runs every SQLite connection on a thread of its own, so each statement is a round trip
//! between that thread and the runtime's. Under load those thread switches, not SQLite, were most of
//! `POST /api/post`'s CPU time (bench/README.md). A batch pays for one round trip and one commit,
//! whatever its size. Nothing waits on purpose: a batch is whatever arrived during the previous one,
//! so a lone post is saved at once, and batches grow only when posts queue up anyway.
//!
//! A post is answered only after its batch's statement has committed, and a batch is one statement,
//! so it is saved whole or not at all: if it fails, its posts are retried one by one, so that one
//! bad post cannot fail the others and each error reaches the post it belongs to.

use std::sync::Arc;

use sqlx::{QueryBuilder, Sqlite};
use tokio::sync::{mpsc, oneshot};

use super::connections::Connections;
use crate::model::{PostId, ValidPost};

/// The most posts one statement saves (3 bound values each; SQLite allows 32 766 per statement).
const MAX_BATCH: usize = 256;

/// A handle to the task that saves posts; cheap to clone.
#[derive(Clone, Debug)]
pub struct PostBatcher {
    queue: mpsc::Sender<Job>,
}

#[derive(Debug)]
struct Job {
    post: ValidPost,
    reply: oneshot::Sender<Result<PostId, sqlx::Error>>,
}

impl PostBatcher {
    /// Starts the task that saves posts through `writer`. It ends when the last handle is dropped.
    pub fn start(writer: Arc<Connections>) -> Self {
        let (queue, jobs) = mpsc::channel(MAX_BATCH);
        tokio::spawn(save_batches(writer, jobs));
        Self { queue }
    }

    /// Saves `post` with whatever else is waiting; its new id once the batch has committed.
    pub async fn create(&self, post: ValidPost) -> Result<PostId, sqlx::Error> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job { post, reply })
            .await
            .map_err(|_| sqlx::Error::WorkerCrashed)?;
        answer.await.map_err(|_| sqlx::Error::WorkerCrashed)?
    }
}

async fn save_batches(writer: Arc<Connections>, mut jobs: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // Waits for one post, then takes every other one already queued (up to MAX_BATCH).
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        match insert(&writer, &batch).await {
            Ok(ids) => {
                for (job, id) in batch.drain(..).zip(ids) {
                    // The submitter may have gone (its request was cancelled); the post is saved.
                    let _ = job.reply.send(Ok(id));
                }
            }
            Err(error) if batch.len() == 1 => {
                let _ = batch.remove(0).reply.send(Err(error));
            }
            Err(_) => {
                for job in batch.drain(..) {
                    let saved = insert(&writer, std::slice::from_ref(&job)).await;
                    let _ = job.reply.send(saved.map(|ids| ids[0]));
                }
            }
        }
    }
}

/// Inserts the batch's posts in one statement; their ids, in the batch's order.
async fn insert(writer: &Connections, batch: &[Job]) -> Result<Vec<PostId>, sqlx::Error> {
    let mut query = QueryBuilder::<Sqlite>::new("INSERT INTO posts (title, body, draft) ");
    query.push_values(batch, |mut row, Job { post, .. }| {
        row.push_bind(&post.title)
            .push_bind(&post.body)
            .push_bind(post.draft);
    });
    query.push(" RETURNING id");
    let mut ids: Vec<PostId> = query
        .build_query_scalar()
        .fetch_all(&mut *writer.acquire().await?)
        .await?;
    if ids.len() != batch.len() {
        return Err(sqlx::Error::Protocol(format!(
            "inserted {} posts, got {} ids back",
            batch.len(),
            ids.len()
        )));
    }
    // SQLite returns RETURNING rows in no particular order, but the rows of one INSERT are inserted
    // in VALUES order and `posts.id` is AUTOINCREMENT (always larger than every id before it), so the
    // sorted ids are the batch's posts in order.
    ids.sort_unstable();
    Ok(ids)
}
