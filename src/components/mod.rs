//! UI pieces the pages are built from. The `#[island]`s among them (the post form, the comment form,
//! the trivia box) are the only code the browser gets (see `lib.rs`); everything else here is
//! rendered on the server only.

pub mod api_client;
pub mod comments;
pub mod form;
pub mod hydrated;
pub mod page_url;
pub mod post_form;
pub mod post_list;
pub mod raw_text;
pub mod trivia_box;
