//! The write rate limit's table on PostgreSQL (`write_allowances`, one row per client address) keeps
//! only addresses whose allowance is still in use: expired rows are pruned.

use std::num::NonZeroU32;

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestApp, TestDatabase};

#[tokio::test]
async fn the_first_write_of_an_instance_prunes_the_allowances_that_have_expired() {
    let app = TestApp::spawn_on(TestDatabase::postgres().await, |config| {
        config.http.rate_limit_per_minute = NonZeroU32::new(60);
    })
    .await;
    // Left by earlier instances, each of which stopped before it swept.
    app.database()
        .execute(
            "INSERT INTO write_allowances (address, next_at) \
             SELECT '2001:db8::' || to_hex(i), now() - interval '1 hour' FROM generate_series(1, 500) i",
        )
        .await;
    app.database()
        .execute("INSERT INTO write_allowances VALUES ('192.0.2.1', now() + interval '30 seconds')")
        .await;

    let response = app
        .post_json("/api/post", &json!({ "title": "Hello", "post": "Body" }))
        .await;

    assert_eq!(response.status(), StatusCode::CREATED);
    let addresses: Vec<String> = app
        .database()
        .column("SELECT address FROM write_allowances ORDER BY address")
        .await;
    assert_eq!(addresses, ["127.0.0.1", "192.0.2.1"], "the live ones stay");
}
