//! `copy-db --from sqlite://… --to postgres://…`: every row into an empty PostgreSQL database, ids
//! and timestamps kept; users with their live sessions and API tokens too, so everyone stays signed
//! in. It refuses a non-empty target rather than merge; one transaction on the target, so it lands
//! whole or not at all and can simply be run again.

use super::{Db, Error, OpenError, open};
use crate::config::{Backend, DatabaseConfig, DatabaseUrl};

const CHUNK: i64 = 1000;

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("usage: copy-db --from sqlite://… --to postgres://… ({0})")]
    Usage(String),
    #[error("--from: {0}")]
    Source(#[source] OpenError),
    #[error("--to: {0}")]
    Target(#[source] OpenError),
    #[error(
        "--to already holds {posts} posts, {comments} comments, {deliveries} webhook deliveries, \
         {trivia} cached trivia answers and {users} users: copy-db only copies into an empty \
         database, it never merges (nothing was written)"
    )]
    NotEmpty {
        posts: i64,
        comments: i64,
        deliveries: i64,
        trivia: i64,
        users: i64,
    },
    #[error("the copy failed, and nothing was written: {0}")]
    Failed(#[from] Error),
}

pub fn parse_arguments(
    arguments: impl IntoIterator<Item = String>,
) -> Result<(DatabaseUrl, DatabaseUrl), CopyError> {
    let (mut from, mut to) = (None, None);
    let mut arguments = arguments.into_iter();
    while let Some(flag) = arguments.next() {
        let slot = match flag.as_str() {
            "--from" => &mut from,
            "--to" => &mut to,
            other => return Err(CopyError::Usage(format!("unknown argument {other:?}"))),
        };
        let value = arguments
            .next()
            .ok_or_else(|| CopyError::Usage(format!("{flag} needs a URL")))?;
        let url: DatabaseUrl = value
            .parse()
            .map_err(|reason| CopyError::Usage(format!("{flag}: {reason}")))?;
        *slot = Some(url);
    }
    let from = from.ok_or_else(|| CopyError::Usage("--from is missing".to_owned()))?;
    let to = to.ok_or_else(|| CopyError::Usage("--to is missing".to_owned()))?;
    if from.backend() != Backend::Sqlite || to.backend() != Backend::Postgres {
        return Err(CopyError::Usage(
            "it copies from a SQLite database into a PostgreSQL one".to_owned(),
        ));
    }
    Ok((from, to))
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Copied {
    pub posts: u64,
    pub comments: u64,
    pub deliveries: u64,
    pub trivia: u64,
    pub users: u64,
    pub sessions: u64,
    pub tokens: u64,
}

/// `progress` hears (table, copied, total) after each chunk.
pub async fn copy_database(
    from: &DatabaseConfig,
    to: &DatabaseConfig,
    progress: &mut dyn FnMut(&str, u64, u64),
) -> Result<Copied, CopyError> {
    let source = open(from).await.map_err(CopyError::Source)?;
    let target = open(to).await.map_err(CopyError::Target)?;
    let copied = copy_between(&source, &target, progress).await;
    source.close().await;
    target.close().await;
    copied
}

#[cfg(not(any(sqlx_prepare = "sqlite", sqlx_prepare = "postgres")))]
async fn copy_between(
    source: &Db,
    target: &Db,
    progress: &mut dyn FnMut(&str, u64, u64),
) -> Result<Copied, CopyError> {
    use super::{Room, postgres::ImportRefused};

    let (Room::Sqlite(source), Room::Postgres(target)) = (&source.0, &target.0) else {
        return Err(CopyError::Usage(
            "it copies from a SQLite database into a PostgreSQL one".to_owned(),
        ));
    };
    let mut import = target
        .begin_import()
        .await
        .map_err(|refused| match refused {
            ImportRefused::NotEmpty([posts, comments, deliveries, trivia, users]) => {
                CopyError::NotEmpty {
                    posts,
                    comments,
                    deliveries,
                    trivia,
                    users,
                }
            }
            ImportRefused::Failed(error) => CopyError::Failed(error),
        })?;
    let [posts, comments, deliveries, trivia, users, sessions, tokens] =
        source.table_sizes().await?.map(|n| n as u64);
    let mut copied = Copied::default();

    // Users first: posts, comments, sessions and tokens refer to them.
    let mut after = 0;
    loop {
        let rows = source.export_users(after, CHUNK).await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        import.users(&rows).await?;
        copied.users += rows.len() as u64;
        progress("users", copied.users, users);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs() as i64);
    let mut after = Vec::new();
    loop {
        let rows = source.export_sessions(&after, CHUNK, now).await?;
        let Some(last) = rows.last() else { break };
        after.clone_from(&last.id_hash);
        import.sessions(&rows).await?;
        copied.sessions += rows.len() as u64;
        progress("sessions", copied.sessions, sessions);
    }
    let mut after = 0;
    loop {
        let rows = source.export_tokens(after, CHUNK).await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        import.tokens(&rows).await?;
        copied.tokens += rows.len() as u64;
        progress("API tokens", copied.tokens, tokens);
    }
    let mut after = 0;
    loop {
        let rows = source.export_posts(after, CHUNK).await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        import.posts(&rows).await?;
        copied.posts += rows.len() as u64;
        progress("posts", copied.posts, posts);
    }
    let mut after = 0;
    loop {
        let rows = source.export_comments(after, CHUNK).await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        import.comments(&rows).await?;
        copied.comments += rows.len() as u64;
        progress("comments", copied.comments, comments);
    }
    let mut after = String::new();
    loop {
        let rows = source.export_deliveries(&after, CHUNK).await?;
        let Some(last) = rows.last() else { break };
        after.clone_from(&last.id);
        import.deliveries(&rows).await?;
        copied.deliveries += rows.len() as u64;
        progress("webhook deliveries", copied.deliveries, deliveries);
    }
    let mut after = None;
    loop {
        let rows = source.export_trivia(after, CHUNK).await?;
        let Some(last) = rows.last() else { break };
        after = Some(last.number);
        import.trivia(&rows).await?;
        copied.trivia += rows.len() as u64;
        progress("cached trivia", copied.trivia, trivia);
    }
    import.finish().await?;
    Ok(copied)
}

#[cfg(any(sqlx_prepare = "sqlite", sqlx_prepare = "postgres"))]
async fn copy_between(
    _: &Db,
    _: &Db,
    _: &mut dyn FnMut(&str, u64, u64),
) -> Result<Copied, CopyError> {
    Err(CopyError::Usage("left out of this build".to_owned()))
}
