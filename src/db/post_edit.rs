//! Editing and deleting a post: its author only, and only the version the editor last saw. The
//! ETag is a strong validator of the post as the API answers it (a hash of every field), so the
//! tag `GET /api/post/{id}` gives is the one `If-Match` is compared with. Each room reads the row
//! and writes it in one transaction holding the write lock (SQLite's one writer, PostgreSQL's
//! `FOR UPDATE`), so two tabs saving at once cannot both pass the check: no lost update. What the
//! rooms decide on the row they read is here, once ([`EditCheck::patched`], [`EditCheck::deletion`]).

use sha2::{Digest, Sha256};

use super::{Visibility, rows::PostToEdit};
use crate::model::{Post, UserId, ValidPatch};

/// What `If-Match` (or the edit form's hidden field) asks of the post's current version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Precondition {
    /// No `If-Match`: the change applies to whatever is there (last write wins).
    None,
    /// `If-Match: *`: any current version.
    Any,
    /// One of these entity tags, quotes included, compared strongly (a weak tag never matches).
    OneOf(Vec<String>),
}

impl Precondition {
    fn holds(&self, current: &str) -> bool {
        match self {
            Self::None | Self::Any => true,
            Self::OneOf(tags) => tags.iter().any(|tag| tag == current),
        }
    }
}

/// Who edits, and what they last saw.
#[derive(Clone, Debug)]
pub struct EditCheck {
    pub editor: UserId,
    pub precondition: Precondition,
}

/// How a change ended; only [`Edited::Done`] changed anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edited<T> {
    Done(T),
    NoSuchPost,
    /// Another user's post, or an anonymous one (which nobody may change).
    NotAuthor,
    /// The post changed since the editor read it; `current` is its ETag now.
    Stale {
        current: String,
    },
}

impl EditCheck {
    /// The post as `patch` leaves it, when the edit may go ahead on `row` (the post as read under
    /// the write lock; `None`: no such post); else what the edit comes to.
    pub(super) fn patched(
        &self,
        row: Option<PostToEdit>,
        patch: &ValidPatch,
        drafts: bool,
    ) -> Result<Post, Edited<Post>> {
        let (mut post, author) = row.ok_or(Edited::NoSuchPost)?.split();
        if let Some(refusal) = self.refusal(&post, author, drafts) {
            return Err(refusal);
        }
        if let Some(title) = &patch.title {
            post.title.clone_from(title);
        }
        if let Some(body) = &patch.body {
            post.body.clone_from(body);
        }
        Ok(post)
    }

    /// `Ok` when the delete may go ahead on `row` (as for [`Self::patched`]); else what it comes to.
    pub(super) fn deletion(&self, row: Option<PostToEdit>, drafts: bool) -> Result<(), Edited<()>> {
        let (post, author) = row.ok_or(Edited::NoSuchPost)?.split();
        self.refusal(&post, author, drafts).map_or(Ok(()), Err)
    }

    /// Why the change may not go ahead on `post`, written by `author`; `None` when it may.
    /// `drafts`: the editor is in preview mode, whose tags differ (see [`etag`]).
    fn refusal<T>(&self, post: &Post, author: Option<i64>, drafts: bool) -> Option<Edited<T>> {
        if author != Some(self.editor.0) {
            return Some(Edited::NotAuthor);
        }
        let visibility = if drafts {
            Visibility::WithDrafts
        } else {
            Visibility::Published
        };
        let current = etag(post, visibility);
        (!self.precondition.holds(&current)).then_some(Edited::Stale { current })
    }
}

/// The strong ETag of `post` as a reader in `visibility` gets it: `"` and 32 hex digits of a
/// SHA-256 over its fields, each length-prefixed so no two posts hash the same text, then `"`. A
/// preview answer never shares a tag with the public one (as the HTTP cache's weak tags), so an
/// edit in preview mode sends the tag it read in preview mode. Content-coding (gzip, br) does not
/// change it: it names the post, which is what `If-Match` asks about.
pub fn etag(post: &Post, visibility: Visibility) -> String {
    let mut hasher = Sha256::new();
    hasher.update(match visibility {
        Visibility::Published => b"public:".as_slice(),
        Visibility::WithDrafts => b"preview:".as_slice(),
    });
    let draft: &[u8] = if post.draft { b"1" } else { b"0" };
    let id = post.id.0.to_be_bytes();
    let author = post.author.as_deref().unwrap_or_default();
    let has_author: &[u8] = if post.author.is_some() { b"1" } else { b"0" };
    for field in [
        id.as_slice(),
        post.title.as_bytes(),
        post.body.as_bytes(),
        post.created_at.as_bytes(),
        draft,
        has_author,
        author.as_bytes(),
    ] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field);
    }
    format!("\"{}\"", hex::encode(&hasher.finalize()[..16]))
}
