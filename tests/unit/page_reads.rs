//! The pages' reads (`src/pages/reads.rs`): what a page loads, outside any request.

use leptos::prelude::{Owner, provide_context};
use leptos_api_routes::{config::DatabaseConfig, db, pages::reads::list_posts};

#[tokio::test]
async fn a_read_still_answers_when_it_first_runs_after_its_page_is_gone() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let url = format!("sqlite://{}", folder.path().join("app.db").display());
    let url = url.parse().expect("a SQLite URL");
    let db = db::open(&DatabaseConfig::new(url))
        .await
        .expect("a fresh database");
    let page = Owner::new();
    let read = page.with(|| {
        provide_context(db.clone());
        list_posts(None)
    });

    drop(page);
    let posts = read.await.expect("the posts");

    assert!(posts.posts.is_empty());
    db.close().await;
}
