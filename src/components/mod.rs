//! UI pieces of the pages. Their `#[island]`s (the forms, the trivia box) are the only code the
//! browser gets (see `lib.rs`); the rest is rendered on the server only.

pub mod account_form;
pub mod api_client;
pub mod comments;
pub mod form;
pub mod hydrated;
pub mod live_comments;
pub mod page_url;
pub mod post_form;
pub mod post_list;
pub mod raw_text;
pub mod trivia_box;
