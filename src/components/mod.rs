//! UI pieces the pages are built from.

pub mod comments;
pub mod form;
pub mod post_form;
pub mod post_list;
pub mod trivia_box;
