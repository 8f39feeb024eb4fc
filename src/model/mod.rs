//! The API's request and response types and the rules for what users submit, one file per resource.
//! Compiled for the browser too, so the form checks input with the very rules the API enforces.
//! Validation returns a validated type ([`ValidPost`], [`ValidComment`]): past it, invalid text
//! cannot exist. The bottom floor: nothing here imports from the rest of the crate.

mod account;
mod comment;
mod id;
mod paging;
mod post;
mod text;
#[cfg(feature = "ssr")]
pub mod text_schema;
mod trivia;

pub use account::{
    Credentials, PASSWORD_MAX, PASSWORD_MIN, SignedIn, TokenCreated, TokenInfo, TokenList,
    USERNAME_MAX, USERNAME_MIN, ValidCredentials, check_password, check_username, is_username_char,
    username_key,
};
pub use comment::{COMMENT_MAX, Comment, CommentsForPost, NewComment, ValidComment};
pub use id::{CommentId, InvalidId, PostId, TokenId, UserId};
pub use paging::{COMMENT_PAGE_SIZE_DEFAULT, PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX, page_size};
pub use post::{
    NewPost, POST_MAX, Post, PostCreated, PostPage, PostPatch, PostSummary, TITLE_MAX, ValidPatch,
    ValidPost,
};
pub use text::{FieldErrors, check_text, is_refused_control};
pub use trivia::{Trivia, TriviaSource};
