//! Templates against real Postgres and a scripted stand-in for the Cloud API: a sync copies what
//! Meta lists (adding, updating, removing), a template status webhook gets the channel synced by
//! the worker without ever depending on the Cloud API being up, and sending a template checks its
//! values before anything is queued.

#![cfg(feature = "ssr")]

mod common;

use bytes::Bytes;
use common::*;
use parley::Error;
use parley::cloud::CloudClient;
use parley::domain::cloud::{MessageContent, TextMessage};
use parley::domain::template_fill::SyncReport;
use parley::inbox::outbound::{self, WINDOW_CLOSED, worker};
use parley::templates;
use parley::webhooks::ingest::Ingestor;
use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::time::Duration;

const CUSTOMER: &str = "4915112345678";

fn cloud() -> CloudClient {
    CloudClient::with_timeouts(Duration::from_secs(2), Duration::from_secs(5))
}

fn order_update(body: &str, status: &str) -> Value {
    json!({
        "id": "5001", "name": "order_update", "language": "en_US", "status": status, "category": "UTILITY",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}", "example": {"header_text": ["#1042"]}},
            {"type": "BODY", "text": body, "example": {"body_text": [["Zoë", "#1042", "Friday"]]}},
            {"type": "FOOTER", "text": "Demo Company"}
        ]
    })
}

fn welcome(status: &str) -> Value {
    json!({
        "id": "5002", "name": "welcome", "language": "en", "status": status, "category": "MARKETING",
        "parameter_format": "NAMED",
        "components": [{"type": "BODY", "text": "Hello {{first_name}}, welcome!"}]
    })
}

fn page(templates: Vec<Value>) -> (u16, Value) {
    (200, json!({"data": templates, "paging": {"cursors": {"before": "a", "after": "b"}}}))
}

const ORDER_BODY: &str = "Hi {{1}}, your order {{2}} arrives on {{3}}.";

async fn stored(db: &Db, channel: &TestChannel) -> Vec<(String, String, String, String)> {
    sqlx::query_as(
        "SELECT name, status, coalesce(category, ''), components->1->>'text' FROM templates
         WHERE channel_id = $1 ORDER BY name",
    )
    .bind(channel.id)
    .fetch_all(&db.root)
    .await
    .unwrap()
    .into_iter()
    .map(|(name, status, category, body): (String, String, String, Option<String>)| {
        (name, status, category, body.unwrap_or_default())
    })
    .collect()
}

#[sqlx::test(migrations = false)]
async fn a_sync_adds_updates_and_removes_what_meta_lists(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Olga Owner", "olga@alpha.example", "Alpha").await;
    let graph = FakeGraph::start(vec![
        page(vec![order_update(ORDER_BODY, "APPROVED"), welcome("PENDING")]),
        page(vec![order_update("Hello {{1}}, order {{2}} ships {{3}}.", "PAUSED"), welcome("APPROVED")]),
        page(vec![welcome("APPROVED")]),
    ])
    .await;
    let channel = connected_channel(&db.app, &owner, "Main number", &graph.base_url).await;
    let (secrets, cloud) = (secret_key(), cloud());
    let sync = || templates::refresh(&db.app, &secrets, &cloud, &owner.actor, channel.id);

    assert_eq!(sync().await.unwrap(), SyncReport { total: 2, approved: 1 });
    assert_eq!(
        stored(&db, &channel).await,
        [
            ("order_update".into(), "APPROVED".into(), "UTILITY".into(), ORDER_BODY.into()),
            ("welcome".into(), "PENDING".into(), "MARKETING".into(), String::new()),
        ]
    );
    let meta_id: String = sqlx::query_scalar("SELECT meta_template_id FROM templates WHERE name = 'welcome'")
        .fetch_one(&db.root)
        .await
        .unwrap();
    assert_eq!(meta_id, "5002");

    assert_eq!(sync().await.unwrap(), SyncReport { total: 2, approved: 1 });
    let rows = stored(&db, &channel).await;
    assert_eq!(rows[0].1, "PAUSED");
    assert_eq!(rows[0].3, "Hello {{1}}, order {{2}} ships {{3}}.");
    assert_eq!(rows[1].1, "APPROVED");

    assert_eq!(sync().await.unwrap(), SyncReport { total: 1, approved: 1 });
    let names: Vec<String> = stored(&db, &channel).await.into_iter().map(|r| r.0).collect();
    assert_eq!(names, ["welcome"], "a template Meta no longer lists is removed");
    let synced: bool = sqlx::query_scalar("SELECT templates_synced_at IS NOT NULL FROM channels WHERE id = $1")
        .bind(channel.id)
        .fetch_one(&db.root)
        .await
        .unwrap();
    assert!(synced);

    // Another organization's channel is as missing as one that does not exist.
    let other = register(&db.app, "Bea Beta", "bea@beta.example", "Beta").await;
    assert_err!(templates::refresh(&db.app, &secrets, &cloud, &other.actor, channel.id).await, Error::NotFound);
    assert_eq!(graph.received().len(), 3, "nothing was asked of the Cloud API for the other organization");
}

#[sqlx::test(migrations = false)]
async fn a_template_status_webhook_gets_the_channel_synced_even_after_the_cloud_api_was_down(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let db = setup(options).await;
    let owner = register(&db.app, "Olga Owner", "olga@alpha.example", "Alpha").await;
    let graph = FakeGraph::start(vec![
        graph_error(500, 2, "Service temporarily unavailable", ""),
        page(vec![order_update(ORDER_BODY, "APPROVED")]),
    ])
    .await;
    let channel = connected_channel(&db.app, &owner, "Main number", &graph.base_url).await;
    let (secrets, cloud) = (secret_key(), cloud());
    let requested = || async {
        sqlx::query_scalar::<_, bool>("SELECT templates_sync_requested_at IS NOT NULL FROM channels WHERE id = $1")
            .bind(channel.id)
            .fetch_one(&db.root)
            .await
            .unwrap()
    };
    assert!(!requested().await);

    let ingest = Ingestor::start(db.app.clone());
    ingest
        .accept(channel.organization_id, channel.id, Bytes::from(webhook_fixture("template_approved")))
        .await
        .unwrap();
    while parley::webhooks::worker::process_batch(&db.app, 10).await.unwrap() > 0 {}
    assert_eq!(count(&db, "SELECT count(*) FROM webhook_events WHERE processed_at IS NULL").await, 0);
    assert!(requested().await, "the webhook asks for a sync");
    let names = |rows: Vec<(String, String, String, String)>| rows.into_iter().map(|r| r.0).collect::<Vec<_>>();
    assert_eq!(names(stored(&db, &channel).await), ["order_confirmation"], "the webhook's own row");

    // The Cloud API is down: the flag stays, and the channel waits before the next try.
    assert_eq!(templates::sync_due(&db.app, &secrets, &cloud, Duration::from_secs(60)).await.unwrap(), 1);
    assert!(requested().await);
    assert_eq!(templates::sync_due(&db.app, &secrets, &cloud, Duration::from_secs(60)).await.unwrap(), 0);

    assert_eq!(templates::sync_due(&db.app, &secrets, &cloud, Duration::ZERO).await.unwrap(), 1);
    assert!(!requested().await, "done");
    assert_eq!(names(stored(&db, &channel).await), ["order_update"], "Meta's list replaces the webhook's row");
    assert_eq!(templates::sync_due(&db.app, &secrets, &cloud, Duration::ZERO).await.unwrap(), 0);
}

#[sqlx::test(migrations = false)]
async fn a_template_with_missing_or_invalid_values_is_refused_and_a_valid_one_queued(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let db = setup(options).await;
    let owner = register(&db.app, "Olga Owner", "olga@alpha.example", "Alpha").await;
    let graph = FakeGraph::start(vec![
        page(vec![order_update(ORDER_BODY, "APPROVED"), welcome("PENDING")]),
        send_accepted("wamid.template-1"),
    ])
    .await;
    let channel = connected_channel(&db.app, &owner, "Main number", &graph.base_url).await;
    let (secrets, cloud) = (secret_key(), cloud());
    templates::refresh(&db.app, &secrets, &cloud, &owner.actor, channel.id).await.unwrap();
    // The customer wrote 30 hours ago: free text is refused, templates are not.
    let conversation = conversation(&db, &channel, CUSTOMER, Some(30)).await;
    let text = MessageContent::Text(TextMessage::new("Hello?", false).unwrap());
    assert_err!(
        outbound::send(&db.app, &owner.actor, conversation, text, None).await,
        Error::Conflict(m) if m == WINDOW_CLOSED
    );

    let values = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let send = |name: &'static str, language: &'static str, v: Vec<String>| {
        let (pool, actor) = (db.app.clone(), owner.actor.clone());
        async move { templates::send(&pool, &actor, conversation, name, language, &v).await }
    };
    assert_err!(
        send("order_update", "en_US", values(&["#42", "Zoë"])).await,
        Error::Invalid { field: "values", .. }
    );
    assert_err!(
        send("order_update", "en_US", values(&["#42", "Zoë", " ", "Friday"])).await,
        Error::Invalid { field: "values", message } if message == "Fill in Body {{2}}"
    );
    assert_err!(
        send("order_update", "en_US", values(&["#42", "Zoë", "#42", "Fri\nday"])).await,
        Error::Invalid { field: "values", message } if message.contains("Body {{3}}") && message.contains("line breaks")
    );
    assert_err!(send("welcome", "en", values(&["Zoë"])).await, Error::Invalid { field: "template", .. });
    assert_err!(send("no_such_template", "en_US", vec![]).await, Error::Invalid { field: "template", .. });
    assert_eq!(count(&db, "SELECT count(*) FROM messages").await, 0, "nothing refused was stored");

    let message = send("order_update", "en_US", values(&["#42", "Zoë", "#42", "Friday"])).await.unwrap();
    assert_eq!((message.kind.as_str(), message.status.as_str()), ("template", "pending"));
    assert_eq!(message.body, "Order #42\n\nHi Zoë, your order #42 arrives on Friday.\n\nDemo Company");
    assert_eq!(count(&db, "SELECT count(*) FROM outbound_queue").await, 1);

    worker::send_due(&db.app, &secrets, &cloud, &media_storage(), 10).await.unwrap();
    let sent = graph.received().pop().unwrap();
    assert_eq!(sent["template"]["name"], "order_update");
    assert_eq!(
        sent["template"]["components"],
        json!([
            {"type": "header", "parameters": [{"type": "text", "text": "#42"}]},
            {"type": "body", "parameters": [
                {"type": "text", "text": "Zoë"}, {"type": "text", "text": "#42"}, {"type": "text", "text": "Friday"}
            ]}
        ])
    );
    let status: String = sqlx::query_scalar("SELECT status FROM messages WHERE id = $1")
        .bind(message.id)
        .fetch_one(&db.root)
        .await
        .unwrap();
    assert_eq!(status, "accepted");
}
