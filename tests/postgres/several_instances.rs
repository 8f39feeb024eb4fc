//! Several instances on one PostgreSQL database: two real server processes, A and B, behind no
//! load balancer — each request goes to the instance a test picks, as a balancer might send it.
//! What one instance writes or decides, the other sees: posts, comments, preview cookies, webhook
//! deliveries, the write rate limit; and one dying (SIGKILL) loses nothing it confirmed.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use reqwest::{Client, StatusCode, header};
use serde_json::{Value, json};

use crate::support::{
    PREVIEW_SECRET, ServerProcess, TwoInstances, WEBHOOK_SECRET, lost_posts,
    post_until_the_server_is_gone, signed_delivery_headers, wait_for_confirmed,
};

async fn post_json(client: &Client, url: String, body: Value) -> reqwest::Response {
    client.post(url).json(&body).send().await.unwrap()
}

async fn create_post(client: &Client, on: &ServerProcess, body: Value) -> i64 {
    let response = post_json(client, on.url("/api/post"), body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap()
}

async fn get(client: &Client, on: &ServerProcess, path: &str) -> reqwest::Response {
    client.get(on.url(path)).send().await.unwrap()
}

#[tokio::test]
async fn a_post_created_through_one_instance_shows_on_the_others_page_and_api() {
    let apps = TwoInstances::start(&[]).await;

    let id = create_post(
        &apps.client,
        &apps.a,
        json!({ "title": "Written on A", "post": "Read on B" }),
    )
    .await;

    let api: Value = get(&apps.client, &apps.b, &format!("/api/post/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(api["title"], "Written on A");
    let list: Value = get(&apps.client, &apps.b, "/api/post")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["posts"][0]["id"], id);
    let page = get(&apps.client, &apps.b, &format!("/posts/{id}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Written on A"));
}

#[tokio::test]
async fn a_comment_added_through_one_instance_shows_on_the_other() {
    let apps = TwoInstances::start(&[]).await;
    let id = create_post(
        &apps.client,
        &apps.a,
        json!({ "title": "Post", "post": "Body" }),
    )
    .await;

    let response = post_json(
        &apps.client,
        apps.b.url(&format!("/api/comments/{id}")),
        json!({ "comment": "Written on B" }),
    )
    .await;

    assert_eq!(response.status(), StatusCode::CREATED);
    let comments: Value = get(&apps.client, &apps.a, &format!("/api/comments/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(comments["comments"][0]["comment"], "Written on B");
    let page = get(&apps.client, &apps.a, &format!("/posts/{id}")).await;
    assert!(page.text().await.unwrap().contains("Written on B"));
}

#[tokio::test]
async fn a_preview_cookie_set_by_one_instance_shows_drafts_on_the_other() {
    let apps = TwoInstances::start(&[]).await;
    let draft = create_post(
        &apps.client,
        &apps.a,
        json!({ "title": "Draft", "post": "Not yet", "draft": true }),
    )
    .await;
    let entered = get(
        &apps.client,
        &apps.a,
        &format!("/api/preview?secret={PREVIEW_SECRET}&slug=/posts/{draft}"),
    )
    .await;
    assert_eq!(entered.status(), StatusCode::TEMPORARY_REDIRECT);
    let cookie = entered.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();

    let with_cookie = apps
        .client
        .get(apps.b.url(&format!("/api/post/{draft}")))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    let without = get(&apps.client, &apps.b, &format!("/api/post/{draft}")).await;

    assert_eq!(with_cookie.status(), StatusCode::OK);
    assert_eq!(with_cookie.json::<Value>().await.unwrap()["draft"], true);
    assert_eq!(without.status(), StatusCode::NOT_FOUND);
}

/// A signed webhook delivery to `on`; returns the receipt's status.
async fn deliver(client: &Client, on: &ServerProcess, event: &Value, delivery: &str) -> String {
    let body = event.to_string();
    let request = client
        .post(on.url("/api/webhook"))
        .header(header::CONTENT_TYPE, "application/json");
    let response = signed_delivery_headers(WEBHOOK_SECRET, delivery, &body)
        .into_iter()
        .fold(request, |request, (name, value)| {
            request.header(name, value)
        })
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<Value>().await.unwrap()["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_webhook_delivery_applied_through_one_instance_is_replayed_on_the_other() {
    let apps = TwoInstances::start(&[]).await;
    let draft = create_post(
        &apps.client,
        &apps.a,
        json!({ "title": "Draft", "post": "Soon", "draft": true }),
    )
    .await;
    let publish = json!({ "type": "post.published", "id": draft });

    let first = deliver(&apps.client, &apps.a, &publish, "delivery-1").await;
    let replay = deliver(&apps.client, &apps.b, &publish, "delivery-1").await;

    assert_eq!((first.as_str(), replay.as_str()), ("applied", "replayed"));
    assert_eq!(apps.database.count("webhook_deliveries").await, 1);
    let public = get(&apps.client, &apps.b, &format!("/api/post/{draft}")).await;
    assert_eq!(public.status(), StatusCode::OK);
}

#[tokio::test]
async fn ten_writes_spread_over_two_instances_use_up_a_limit_of_ten_on_both() {
    let apps = TwoInstances::start(&[("RATE_LIMIT_PER_MINUTE", "10")]).await;
    let post = || json!({ "title": "Counted", "post": "Once, wherever it lands" });
    for n in 0..10 {
        let instance = if n % 2 == 0 { &apps.a } else { &apps.b };
        let response = post_json(&apps.client, instance.url("/api/post"), post()).await;
        assert_eq!(response.status(), StatusCode::CREATED, "write {n}");
    }

    let on_a = post_json(&apps.client, apps.a.url("/api/post"), post()).await;
    let on_b = post_json(&apps.client, apps.b.url("/api/post"), post()).await;

    for refused in [on_a, on_b] {
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry_after: u64 = refused.headers()[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=6).contains(&retry_after), "{retry_after}");
    }
    assert_eq!(apps.database.count("posts").await, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_post_an_instance_answered_201_survives_its_sigkill_and_the_other_answers_throughout()
{
    let mut apps = TwoInstances::start(&[]).await;
    let client = Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let confirmed_so_far = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..4)
        .map(|writer| {
            tokio::spawn(post_until_the_server_is_gone(
                client.clone(),
                apps.a.url("/api/post"),
                writer,
                confirmed_so_far.clone(),
            ))
        })
        .collect();
    // B is read the whole time, A's writes and death included.
    let reading = Arc::new(AtomicBool::new(true));
    let reader = tokio::spawn({
        let (client, url, reading) = (client.clone(), apps.b.url("/api/post"), reading.clone());
        async move {
            let mut answers = Vec::new();
            while reading.load(Ordering::Relaxed) {
                let status = client.get(&url).send().await.map(|r| r.status());
                answers.push(status.map_err(|error| error.to_string()));
            }
            answers
        }
    });
    wait_for_confirmed(&confirmed_so_far, 200).await;

    apps.a.kill();
    let mut confirmed = Vec::new();
    for writer in writers {
        confirmed.extend(writer.await.expect("a writer does not panic"));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    reading.store(false, Ordering::Relaxed);
    let answers = reader.await.unwrap();

    let lost = lost_posts(&apps.database, &confirmed).await;
    assert!(lost.is_empty(), "{} confirmed posts are gone", lost.len());
    assert!(answers.len() > 10, "B was read {} times", answers.len());
    assert!(
        answers.iter().all(|answer| answer == &Ok(StatusCode::OK)),
        "B answered 200 every time: {:?}",
        answers
            .iter()
            .filter(|answer| answer != &&Ok(StatusCode::OK))
            .collect::<Vec<_>>()
    );
    let (newest, title) = confirmed.iter().max().expect("confirmed posts");
    let on_b: Value = get(&apps.client, &apps.b, &format!("/api/post/{newest}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(on_b["title"], title.as_str());
}
