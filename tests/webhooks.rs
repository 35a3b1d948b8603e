//! WhatsApp webhooks end to end against real Postgres: Meta's documented payloads (fixtures) are
//! signed, received, committed, then processed by the worker into contacts, conversations,
//! messages, statuses, templates and channel errors. Replays, out-of-order statuses, a worker that
//! dies mid-batch and a channel key of another organization must not change the outcome.

#![cfg(feature = "ssr")]

mod common;

use bytes::Bytes;
use common::*;
use parley::domain::cloud::webhook::{Change, MessageContent, MessageStatus, Notification};
use parley::domain::inbox::{AssigneeFilter, ListScope, StatusFilter};
use parley::domain::{ChannelId, OrganizationId};
use parley::inbox::conversations;
use parley::realtime::{self, Event, EventId};
use parley::webhooks::signature::{SignatureError, sign};
use parley::webhooks::{Receiver, Refusal, process, worker};
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::time::Duration;
use uuid::Uuid;

const OUTBOUND_WAMID: &str = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA";
const CUSTOMER: &str = "16505551234";

/// Every inbound fixture: (fixture, stored kind, stored body).
const INBOUND: &[(&str, &str, &str)] = &[
    ("message_text", "text", "Does it come in another color? Grüße 😀"),
    ("message_image", "image", "The damaged box"),
    ("message_video", "video", "Unboxing"),
    ("message_audio", "audio", ""),
    ("message_document", "document", "My invoice invoice-1234.pdf"),
    ("message_sticker", "sticker", ""),
    ("message_location", "location", "Main Office 1 Hacker Way, Menlo Park, CA 94025"),
    ("message_contacts", "contacts", "Barbara J. Johnson"),
    ("message_button_reply", "button_reply", "Cancel order"),
    ("message_list_reply", "list_reply", "Express Next day to 2 days"),
    ("message_button", "button", "Unsubscribe from Promos"),
    ("message_reaction", "reaction", "👍"),
    ("message_reply_with_context", "text", "Yes, the blue one please"),
    ("message_unsupported", "unsupported", ""),
    ("message_unknown_type", "unsupported", ""),
];

const ALL_FIXTURES: &[&str] = &[
    "status_sent",
    "status_delivered",
    "status_read",
    "status_failed",
    "template_approved",
    "template_rejected",
    "errors",
    "batch",
];

fn parse(name: &str) -> Notification {
    serde_json::from_slice(&webhook_fixture(name)).unwrap_or_else(|e| panic!("{name} does not parse: {e}"))
}

fn only_messages_change(notification: &Notification) -> &parley::domain::cloud::webhook::MessagesValue {
    match &notification.entry[0].changes[0] {
        Change::Messages(v) => v,
        other => panic!("expected a messages change, got {other:?}"),
    }
}

#[test]
fn every_fixture_parses_into_the_documented_shape() {
    for (name, kind, _) in INBOUND {
        let n = parse(name);
        assert_eq!(n.object, "whatsapp_business_account");
        let value = only_messages_change(&n);
        assert_eq!(value.messages.len(), 1, "{name}");
        assert_eq!(value.messages[0].content.kind(), *kind, "{name}");
        assert_eq!(value.profile_name(CUSTOMER), Some("Zoë Nelson"), "{name}: \\u00eb is unescaped");
    }
    for name in ALL_FIXTURES {
        parse(name);
    }

    let image = parse("message_image");
    let MessageContent::Image(media) = &only_messages_change(&image).messages[0].content else { panic!("image") };
    assert_eq!(media.id, "1003383421387256");
    assert_eq!(media.mime_type.as_deref(), Some("image/jpeg"));
    assert!(media.sha256.is_some());

    let reply = parse("message_reply_with_context");
    let context = only_messages_change(&reply).messages[0].context.clone().unwrap();
    assert_eq!(context.id, OUTBOUND_WAMID);

    let unsupported = parse("message_unsupported");
    assert_eq!(only_messages_change(&unsupported).messages[0].errors[0].code, 131051);
    let order = parse("message_unknown_type");
    assert_eq!(
        only_messages_change(&order).messages[0].content,
        MessageContent::Unsupported { kind: "order".into() }
    );

    let failed = parse("status_failed");
    let status = &only_messages_change(&failed).statuses[0];
    assert_eq!(status.status, Some(MessageStatus::Failed));
    assert_eq!(status.errors[0].code, 131047);
    assert!(status.errors[0].details().contains("24 hours"));
    let sent = parse("status_sent");
    let pricing = only_messages_change(&sent).statuses[0].pricing.clone().unwrap();
    assert!(pricing.billable);
    assert_eq!(pricing.category.as_deref(), Some("utility"));

    let template = parse("template_rejected");
    let Change::TemplateStatus(update) = &template.entry[0].changes[0] else { panic!("template update") };
    assert_eq!(update.message_template_id, "1689556908129832", "a numeric id is kept as text");
    assert_eq!(update.event, "REJECTED");
    assert_eq!(update.reason.as_deref(), Some("INCORRECT_CATEGORY"));

    let batch = parse("batch");
    assert_eq!(batch.entry.len(), 2);
    assert!(matches!(&batch.entry[1].changes[2], Change::Other { field } if field == "phone_number_quality_update"));
}

struct World {
    db: Db,
    receiver: Receiver,
    owner: Owner,
    channel: TestChannel,
}

async fn world(options: PgConnectOptions) -> World {
    let db = setup(options).await;
    let owner = register(&db.app, "Olga Owner", "olga@alpha.example", "Alpha").await;
    let channel = whatsapp_channel(&db.app, &owner, "Main number", APP_SECRET).await;
    let receiver = Receiver::start(db.app.clone(), secret_key());
    World { db, receiver, owner, channel }
}

impl World {
    async fn deliver(&self, name: &str) {
        deliver_to(&self.receiver, &self.channel.key, APP_SECRET, &webhook_fixture(name)).await.unwrap();
    }

    /// Runs the worker until no delivery is due.
    async fn process(&self) {
        while worker::process_batch(&self.db.app, 50).await.unwrap() > 0 {}
    }

    async fn count(&self, sql: &str) -> i64 {
        count(&self.db, sql).await
    }

    /// An outbound message Meta accepted, as the sender will have stored it.
    async fn outbound(&self, wamid: &str) -> Uuid {
        outbound_message(&self.db, self.channel.organization_id, self.channel.id, wamid).await
    }

    async fn message_status(&self, id: Uuid) -> (String, Option<Value>) {
        sqlx::query_as("SELECT status, error FROM messages WHERE id = $1").bind(id).fetch_one(&self.db.root).await.unwrap()
    }
}

async fn deliver_to(receiver: &Receiver, key: &str, secret: &str, body: &[u8]) -> Result<(), Refusal> {
    receiver.receive(key, Some(&sign(secret, body)), Bytes::copy_from_slice(body)).await
}

async fn outbound_message(db: &Db, organization: OrganizationId, channel: ChannelId, wamid: &str) -> Uuid {
    let contact = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO contacts (id, organization_id, wa_id) VALUES ($1, $2, $3)
         ON CONFLICT (organization_id, wa_id) DO NOTHING",
    )
    .bind(contact)
    .bind(organization)
    .bind(CUSTOMER)
    .execute(&db.root)
    .await
    .unwrap();
    let contact: Uuid = sqlx::query_scalar("SELECT id FROM contacts WHERE organization_id = $1 AND wa_id = $2")
        .bind(organization)
        .bind(CUSTOMER)
        .fetch_one(&db.root)
        .await
        .unwrap();
    let conversation: Uuid = sqlx::query_scalar(
        "INSERT INTO conversations (id, organization_id, contact_id, channel_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (contact_id, channel_id) DO UPDATE SET contact_id = EXCLUDED.contact_id RETURNING id",
    )
    .bind(Uuid::now_v7())
    .bind(organization)
    .bind(contact)
    .bind(channel)
    .fetch_one(&db.root)
    .await
    .unwrap();
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO messages (id, organization_id, conversation_id, channel_id, wamid, direction, kind, body, content, status)
         VALUES ($1, $2, $3, $4, $5, 'outbound', 'text', 'Your order shipped', '{}', 'accepted')",
    )
    .bind(id)
    .bind(organization)
    .bind(conversation)
    .bind(channel)
    .bind(wamid)
    .execute(&db.root)
    .await
    .unwrap();
    id
}

#[sqlx::test(migrations = false)]
async fn every_inbound_message_type_is_stored_as_one_message(_: PgPoolOptions, options: PgConnectOptions) {
    let w = world(options).await;
    for (name, _, _) in INBOUND {
        w.deliver(name).await;
    }
    assert_eq!(w.count("SELECT count(*) FROM webhook_events WHERE processed_at IS NULL").await, INBOUND.len() as i64);
    w.process().await;
    assert_eq!(w.count("SELECT count(*) FROM webhook_events WHERE processed_at IS NULL").await, 0);

    for (name, kind, body) in INBOUND {
        let raw: Value = serde_json::from_slice(&webhook_fixture(name)).unwrap();
        let message = &raw["entry"][0]["changes"][0]["value"]["messages"][0];
        let wamid = message["id"].as_str().unwrap();
        let (stored_kind, stored_body, content, status, context, sent_at): (String, String, Value, String, Option<String>, i64) =
            sqlx::query_as(
                "SELECT kind, body, content, status, context_wamid, extract(epoch FROM sent_at)::bigint
                 FROM messages WHERE wamid = $1 AND direction = 'inbound'",
            )
            .bind(wamid)
            .fetch_one(&w.db.root)
            .await
            .unwrap_or_else(|e| panic!("{name} not stored: {e}"));
        assert_eq!(stored_kind, *kind, "{name}");
        assert_eq!(stored_body, *body, "{name}");
        assert_eq!(&content, message, "{name}: the message object is kept as Meta sent it");
        assert_eq!(status, "received");
        assert_eq!(sent_at.to_string(), message["timestamp"].as_str().unwrap(), "{name}");
        assert_eq!(context.as_deref(), message["context"]["id"].as_str(), "{name}");
    }

    // One contact, one conversation, every message counted unread, the window opened.
    let (profile_name,): (Option<String>,) = sqlx::query_as("SELECT profile_name FROM contacts WHERE wa_id = $1")
        .bind(CUSTOMER)
        .fetch_one(&w.db.root)
        .await
        .unwrap();
    assert_eq!(profile_name.as_deref(), Some("Zoë Nelson"));
    for term in ["Zoë Nel", "nelson", CUSTOMER] {
        let found = conversations::list(&w.db.app, &w.owner.actor, StatusFilter::All, AssigneeFilter::Everyone, term, None, ListScope::default())
            .await
            .unwrap();
        assert_eq!(found.conversations.len(), 1, "the inbox finds the new conversation by {term:?}");
    }
    let (status, unread, last_inbound): (String, i32, i64) = sqlx::query_as(
        "SELECT status, unread_count, extract(epoch FROM last_inbound_at)::bigint FROM conversations",
    )
    .fetch_one(&w.db.root)
    .await
    .unwrap();
    assert_eq!((status.as_str(), unread), ("open", INBOUND.len() as i32));
    assert_eq!(last_inbound, 1749416383 + 15, "the latest message's time, whatever the processing order");

    // Media waits for its download, linked from its message.
    type MediaRow = (String, String, Option<String>, Option<String>, String);
    let media: Vec<MediaRow> = sqlx::query_as(
        "SELECT m.kind, d.meta_media_id, d.mime_type, d.caption, d.download_state
         FROM messages m JOIN media d ON d.id = m.media_id ORDER BY m.sent_at",
    )
    .fetch_all(&w.db.root)
    .await
    .unwrap();
    let kinds: Vec<_> = media.iter().map(|m| m.0.as_str()).collect();
    assert_eq!(kinds, ["image", "video", "audio", "document", "sticker"]);
    assert!(media.iter().all(|m| m.4 == "pending"));
    assert_eq!(media[0].1, "1003383421387256");
    assert_eq!(media[0].3.as_deref(), Some("The damaged box"));
    let pending = parley::webhooks::media::pending(&w.db.app, 10).await.unwrap();
    assert_eq!(pending.len(), 5);
    assert!(pending.iter().all(|p| p.organization_id == w.channel.organization_id && p.channel_id == w.channel.id));
    parley::webhooks::media::stored(&w.db.app, pending[0].organization_id, pending[0].id, "media/abc", 42).await.unwrap();
    assert_eq!(parley::webhooks::media::pending(&w.db.app, 10).await.unwrap().len(), 4);
    let kept: (Option<String>, Option<i64>) = sqlx::query_as("SELECT storage_key, file_size FROM media WHERE id = $1")
        .bind(pending[0].id)
        .fetch_one(&w.db.root)
        .await
        .unwrap();
    assert_eq!(kept, (Some("media/abc".to_owned()), Some(42)), "the stored files picker shows its size");
}

#[sqlx::test(migrations = false)]
async fn signatures_are_checked_and_nothing_is_stored_on_failure(_: PgPoolOptions, options: PgConnectOptions) {
    let w = world(options).await;
    let body = webhook_fixture("message_text");
    let missing = w.receiver.receive(&w.channel.key, None, Bytes::from(body.clone())).await;
    assert!(matches!(missing, Err(Refusal::Signature(SignatureError::Missing))), "{missing:?}");
    let wrong = deliver_to(&w.receiver, &w.channel.key, "another-app-secret", &body).await;
    assert!(matches!(wrong, Err(Refusal::Signature(SignatureError::Invalid))), "{wrong:?}");
    let mut tampered = body.clone();
    tampered[40] ^= 1;
    let header = sign(APP_SECRET, &body);
    let altered = w.receiver.receive(&w.channel.key, Some(&header), Bytes::from(tampered)).await;
    assert!(matches!(altered, Err(Refusal::Signature(SignatureError::Invalid))), "{altered:?}");
    let unknown = deliver_to(&w.receiver, "no-such-key", APP_SECRET, &body).await;
    assert!(matches!(unknown, Err(Refusal::UnknownChannel)), "{unknown:?}");
    let not_json = deliver_to(&w.receiver, &w.channel.key, APP_SECRET, b"not json").await;
    assert!(matches!(not_json, Err(Refusal::NotJson)), "{not_json:?}");
    assert_eq!(w.count("SELECT count(*) FROM webhook_events").await, 0);

    deliver_to(&w.receiver, &w.channel.key, APP_SECRET, &body).await.unwrap();
    let stored: Vec<(Value, Uuid, Uuid)> =
        sqlx::query_as("SELECT payload, organization_id, channel_id FROM webhook_events").fetch_all(&w.db.root).await.unwrap();
    assert_eq!(stored.len(), 1, "committed before the answer");
    assert_eq!(stored[0].0, serde_json::from_slice::<Value>(&body).unwrap());
    assert_eq!((stored[0].1, stored[0].2), (w.channel.organization_id.0, w.channel.id.0));
}

#[sqlx::test(migrations = false)]
async fn concurrent_deliveries_share_commits_and_each_is_stored(_: PgPoolOptions, options: PgConnectOptions) {
    let w = world(options).await;
    let other_owner = register(&w.db.app, "Bea Beta", "bea@beta.example", "Beta").await;
    let other = whatsapp_channel(&w.db.app, &other_owner, "Beta number", "beta-app-secret-987").await;
    let body = webhook_fixture("message_text");
    let mut deliveries = tokio::task::JoinSet::new();
    for i in 0..60 {
        let receiver = w.receiver.clone();
        let (key, secret) =
            if i % 3 == 0 { (other.key.clone(), "beta-app-secret-987") } else { (w.channel.key.clone(), APP_SECRET) };
        let body = body.clone();
        deliveries.spawn(async move { deliver_to(&receiver, &key, secret, &body).await });
    }
    while let Some(result) = deliveries.join_next().await {
        result.unwrap().unwrap();
    }
    let per_org: Vec<(Uuid, i64)> =
        sqlx::query_as("SELECT organization_id, count(*) FROM webhook_events GROUP BY 1 ORDER BY 2").fetch_all(&w.db.root).await.unwrap();
    assert_eq!(per_org, vec![(other.organization_id.0, 20), (w.channel.organization_id.0, 40)]);
    w.process().await;
    assert_eq!(w.count("SELECT count(*) FROM messages").await, 2, "one message per organization's channel");
}

#[sqlx::test(migrations = false)]
async fn a_replayed_delivery_stores_one_message_and_one_transition(_: PgPoolOptions, options: PgConnectOptions) {
    let w = world(options).await;
    let outbound = w.outbound(OUTBOUND_WAMID).await;
    for _ in 0..3 {
        w.deliver("message_text").await;
        w.deliver("status_delivered").await;
    }
    w.process().await;
    assert_eq!(w.count("SELECT count(*) FROM webhook_events WHERE processed_at IS NOT NULL").await, 6);
    assert_eq!(w.count("SELECT count(*) FROM messages WHERE direction = 'inbound'").await, 1);
    assert_eq!(w.count("SELECT unread_count::bigint FROM conversations").await, 1, "counted once");
    assert_eq!(w.count("SELECT count(*) FROM message_status_events").await, 1);
    assert_eq!(w.message_status(outbound).await.0, "delivered");
}

#[sqlx::test(migrations = false)]
async fn statuses_never_go_backwards_and_failed_is_terminal(_: PgPoolOptions, options: PgConnectOptions) {
    let w = world(options).await;
    let outbound = w.outbound(OUTBOUND_WAMID).await;
    w.deliver("status_read").await;
    w.process().await;
    w.deliver("status_delivered").await;
    w.deliver("status_sent").await;
    w.process().await;
    assert_eq!(w.message_status(outbound).await.0, "read", "a late delivered never downgrades read");
    let history: Vec<String> =
        sqlx::query_scalar("SELECT status FROM message_status_events WHERE message_id = $1 ORDER BY occurred_at")
            .bind(outbound)
            .fetch_all(&w.db.root)
            .await
            .unwrap();
    assert_eq!(history, ["sent", "delivered", "read"], "each reported status is kept once, at Meta's time");

    let second = w.outbound("wamid.second").await;
    let failed = String::from_utf8(webhook_fixture("status_failed")).unwrap().replace(OUTBOUND_WAMID, "wamid.second");
    let read = String::from_utf8(webhook_fixture("status_read")).unwrap().replace(OUTBOUND_WAMID, "wamid.second");
    deliver_to(&w.receiver, &w.channel.key, APP_SECRET, failed.as_bytes()).await.unwrap();
    w.process().await;
    deliver_to(&w.receiver, &w.channel.key, APP_SECRET, read.as_bytes()).await.unwrap();
    w.process().await;
    let (status, error) = w.message_status(second).await;
    assert_eq!(status, "failed", "nothing moves a failed message");
    let error = error.unwrap();
    assert_eq!(error["code"], 131047);
    assert_eq!(error["title"], "Re-engagement message");
    assert!(error["details"].as_str().unwrap().contains("24 hours"));
}

#[sqlx::test(migrations = false)]
async fn a_status_before_its_message_is_kept_and_applied_later(_: PgPoolOptions, options: PgConnectOptions) {
    let w = world(options).await;
    w.deliver("status_sent").await;
    w.deliver("status_delivered").await;
    w.process().await;
    assert_eq!(w.count("SELECT count(*) FROM pending_statuses").await, 2);
    assert_eq!(process::retry_pending_statuses(&w.db.app, 100).await.unwrap(), 0, "no message yet");

    let outbound = w.outbound(OUTBOUND_WAMID).await;
    assert_eq!(process::retry_pending_statuses(&w.db.app, 100).await.unwrap(), 2);
    assert_eq!(w.message_status(outbound).await.0, "delivered");
    assert_eq!(w.count("SELECT count(*) FROM message_status_events").await, 2);
    assert_eq!(w.count("SELECT count(*) FROM pending_statuses").await, 0);
}

#[sqlx::test(migrations = false)]
async fn a_new_message_reopens_a_resolved_conversation(_: PgPoolOptions, options: PgConnectOptions) {
    let w = world(options).await;
    w.deliver("message_text").await;
    w.process().await;
    sqlx::query("UPDATE conversations SET status = 'resolved', unread_count = 0").execute(&w.db.root).await.unwrap();
    w.deliver("message_text").await;
    w.process().await;
    let status: String = sqlx::query_scalar("SELECT status FROM conversations").fetch_one(&w.db.root).await.unwrap();
    assert_eq!(status, "resolved", "a replay of a known message changes nothing");
    w.deliver("message_image").await;
    w.process().await;
    let (status, unread): (String, i32) =
        sqlx::query_as("SELECT status, unread_count FROM conversations").fetch_one(&w.db.root).await.unwrap();
    assert_eq!((status.as_str(), unread), ("open", 1));
}

#[sqlx::test(migrations = false)]
async fn template_reviews_and_channel_errors_are_recorded(_: PgPoolOptions, options: PgConnectOptions) {
    let w = world(options).await;
    w.deliver("template_approved").await;
    w.deliver("errors").await;
    w.process().await;
    let template: (String, String, String, String, Option<String>) = sqlx::query_as(
        "SELECT meta_template_id, name, language, status, reason FROM templates WHERE channel_id = $1",
    )
    .bind(w.channel.id)
    .fetch_one(&w.db.root)
    .await
    .unwrap();
    assert_eq!(template, ("1689556908129832".into(), "order_confirmation".into(), "en_US".into(), "APPROVED".into(), None));
    w.deliver("template_rejected").await;
    w.process().await;
    let (status, reason): (String, Option<String>) =
        sqlx::query_as("SELECT status, reason FROM templates").fetch_one(&w.db.root).await.unwrap();
    assert_eq!((status.as_str(), reason.as_deref()), ("REJECTED", Some("INCORRECT_CATEGORY")));
    assert_eq!(w.count("SELECT count(*) FROM templates").await, 1);

    let error: (Uuid, i64, String, String) =
        sqlx::query_as("SELECT organization_id, code, title, details FROM channel_errors").fetch_one(&w.db.root).await.unwrap();
    assert_eq!(error.0, w.owner.organization_id.0);
    assert_eq!(error.1, 131042);
    assert_eq!(error.2, "Business eligibility payment issue");
    assert!(error.3.contains("payment method"));
}

#[sqlx::test(migrations = false)]
async fn a_batch_of_entries_changes_and_messages_is_stored_whole(_: PgPoolOptions, options: PgConnectOptions) {
    let w = world(options).await;
    let outbound = w.outbound(OUTBOUND_WAMID).await;
    w.deliver("batch").await;
    w.process().await;
    let bodies: Vec<String> =
        sqlx::query_scalar("SELECT body FROM messages WHERE direction = 'inbound' ORDER BY sent_at").fetch_all(&w.db.root).await.unwrap();
    assert_eq!(bodies, ["First of two", "Second of two", "Hallo aus Berlin"]);
    let contacts: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT wa_id, profile_name FROM contacts ORDER BY wa_id").fetch_all(&w.db.root).await.unwrap();
    assert_eq!(contacts, [(CUSTOMER.to_owned(), Some("Zoë Nelson".to_owned())), ("4915123456789".to_owned(), Some("Jürgen".to_owned()))]);
    assert_eq!(w.count("SELECT count(*) FROM conversations").await, 2);
    assert_eq!(w.message_status(outbound).await.0, "read");
    assert_eq!(w.count("SELECT count(*) FROM message_status_events").await, 2);
    assert_eq!(w.count("SELECT count(*) FROM templates WHERE name = 'welcome' AND status = 'APPROVED'").await, 1);
}

#[sqlx::test(migrations = false)]
async fn a_killed_workers_batch_is_processed_once_after_its_lease(_: PgPoolOptions, options: PgConnectOptions) {
    let w = world(options).await;
    w.deliver("message_text").await;
    w.deliver("message_image").await;
    // A worker claims the batch, then dies without processing it.
    let abandoned = worker::claim(&w.db.app, 10, Duration::from_secs(300)).await.unwrap();
    assert_eq!(abandoned.len(), 2);
    drop(abandoned);
    assert_eq!(worker::process_batch(&w.db.app, 10).await.unwrap(), 0, "leased rows are skipped");
    assert_eq!(w.count("SELECT count(*) FROM messages").await, 0);

    sqlx::query("UPDATE webhook_events SET locked_until = now() - interval '1 second'").execute(&w.db.root).await.unwrap();
    assert_eq!(worker::process_batch(&w.db.app, 10).await.unwrap(), 2, "expired leases are taken over");
    assert_eq!(worker::process_batch(&w.db.app, 10).await.unwrap(), 0, "and processed exactly once");
    assert_eq!(w.count("SELECT count(*) FROM messages").await, 2);
    assert_eq!(w.count("SELECT count(*) FROM webhook_events WHERE attempts = 2 AND processed_at IS NOT NULL").await, 2);
}

#[sqlx::test(migrations = false)]
async fn a_delivery_that_fails_keeps_its_error_and_is_retried_later(_: PgPoolOptions, options: PgConnectOptions) {
    let w = world(options).await;
    deliver_to(&w.receiver, &w.channel.key, APP_SECRET, br#"{"object":"whatsapp_business_account","entry":"oops"}"#)
        .await
        .unwrap();
    assert_eq!(worker::process_batch(&w.db.app, 10).await.unwrap(), 1);
    let (attempts, error, backed_off): (i32, Option<String>, bool) = sqlx::query_as(
        "SELECT attempts, last_error, locked_until > now() FROM webhook_events",
    )
    .fetch_one(&w.db.root)
    .await
    .unwrap();
    assert_eq!(attempts, 1);
    assert!(error.unwrap().contains("unreadable notification"));
    assert!(backed_off, "retried after a backoff, not in a hot loop");
    assert_eq!(worker::process_batch(&w.db.app, 10).await.unwrap(), 0);
}

#[sqlx::test(migrations = false)]
async fn a_channel_key_of_organization_b_cannot_write_into_organization_a(_: PgPoolOptions, options: PgConnectOptions) {
    let w = world(options).await;
    let b_owner = register(&w.db.app, "Bea Beta", "bea@beta.example", "Beta").await;
    let b = whatsapp_channel(&w.db.app, &b_owner, "Beta number", "beta-app-secret-987").await;
    let body = webhook_fixture("message_text");
    // A's app secret does not open B's key, and B's key only ever writes into B.
    let refused = deliver_to(&w.receiver, &b.key, APP_SECRET, &body).await;
    assert!(matches!(refused, Err(Refusal::Signature(SignatureError::Invalid))), "{refused:?}");
    deliver_to(&w.receiver, &b.key, "beta-app-secret-987", &body).await.unwrap();
    w.process().await;
    let owners: Vec<(Uuid, Uuid)> =
        sqlx::query_as("SELECT organization_id, channel_id FROM messages").fetch_all(&w.db.root).await.unwrap();
    assert_eq!(owners, [(b.organization_id.0, b.id.0)]);
    for table in ["contacts", "conversations", "messages", "webhook_events"] {
        let in_a: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table} WHERE organization_id = $1"))
            .bind(w.owner.organization_id)
            .fetch_one(&w.db.root)
            .await
            .unwrap();
        assert_eq!(in_a, 0, "{table} of A untouched");
    }
    // And row-level security keeps B's rows out of a transaction scoped to A.
    let mut tx = parley::db::scoped(&w.db.app, Some(w.owner.organization_id), None).await.unwrap();
    let visible: i64 = sqlx::query_scalar("SELECT count(*) FROM messages").fetch_one(&mut *tx).await.unwrap();
    assert_eq!(visible, 0);
    let forged = sqlx::query("INSERT INTO webhook_events (organization_id, channel_id, payload) VALUES ($1, $2, '{}')")
        .bind(b.organization_id)
        .bind(b.id)
        .execute(&mut *tx)
        .await;
    assert!(forged.is_err(), "A's transaction cannot insert B's rows");
}

#[sqlx::test(migrations = false)]
async fn the_running_worker_wakes_on_each_ingest_commit(_: PgPoolOptions, options: PgConnectOptions) {
    let w = world(options).await;
    // Polling once a minute: only the ingest's notification can make it act within the test.
    let running = tokio::spawn(worker::run(w.db.app.clone(), Duration::from_secs(60)));
    tokio::time::sleep(Duration::from_millis(500)).await;
    w.deliver("message_text").await;
    let mut processed = 0;
    for _ in 0..50 {
        processed = w.count("SELECT count(*) FROM webhook_events WHERE processed_at IS NOT NULL").await;
        if processed == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    running.abort();
    assert_eq!(processed, 1, "processed within 5 s of its commit");
    assert_eq!(w.count("SELECT count(*) FROM messages").await, 1);
}

#[sqlx::test(migrations = false)]
async fn a_delivery_postgres_refuses_does_not_fail_the_commit_it_shares(_: PgPoolOptions, options: PgConnectOptions) {
    let w = world(options).await;
    // Valid JSON that jsonb cannot hold: stored by nobody, but only its own sender hears so.
    let poison = br#"{"object":"whatsapp_business_account","entry":[],"x":"\u0000"}"#.to_vec();
    let good = webhook_fixture("message_text");
    let mut deliveries = tokio::task::JoinSet::new();
    for i in 0..30 {
        let receiver = w.receiver.clone();
        let key = w.channel.key.clone();
        let body = if i == 15 { poison.clone() } else { good.clone() };
        deliveries.spawn(async move { (i, deliver_to(&receiver, &key, APP_SECRET, &body).await) });
    }
    while let Some(result) = deliveries.join_next().await {
        let (i, outcome) = result.unwrap();
        if i == 15 {
            assert!(matches!(outcome, Err(Refusal::Unavailable(_))), "{outcome:?}");
        } else {
            outcome.unwrap();
        }
    }
    assert_eq!(w.count("SELECT count(*) FROM webhook_events").await, 29);
}

/// The text fixture as message `wamid`; with `broken`, a second message follows whose timestamp
/// no calendar holds, so the delivery fails after its first message was written.
fn text_delivery(wamid: &str, broken: bool) -> Vec<u8> {
    let mut body: Value = serde_json::from_slice(&webhook_fixture("message_text")).unwrap();
    let messages = &mut body["entry"][0]["changes"][0]["value"]["messages"];
    messages[0]["id"] = wamid.into();
    if broken {
        let mut late = messages[0].clone();
        late["id"] = format!("{wamid}-late").into();
        late["timestamp"] = "99999999999999".into();
        messages.as_array_mut().unwrap().push(late);
    }
    serde_json::to_vec(&body).unwrap()
}

#[sqlx::test(migrations = false)]
async fn one_bad_delivery_rolls_back_alone_in_its_organizations_transaction(_: PgPoolOptions, options: PgConnectOptions) {
    let w = world(options).await;
    let wamids = ["wamid.burst-1", "wamid.burst-2", "wamid.burst-bad", "wamid.burst-4", "wamid.burst-5"];
    for wamid in wamids {
        let body = text_delivery(wamid, wamid.ends_with("bad"));
        deliver_to(&w.receiver, &w.channel.key, APP_SECRET, &body).await.unwrap();
    }
    assert_eq!(worker::process_batch(&w.db.app, 50).await.unwrap(), 5, "one batch, one organization");

    let stored: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT id, wamid FROM messages ORDER BY wamid").fetch_all(&w.db.root).await.unwrap();
    let stored_wamids: Vec<&str> = stored.iter().map(|(_, wamid)| wamid.as_str()).collect();
    let good = ["wamid.burst-1", "wamid.burst-2", "wamid.burst-4", "wamid.burst-5"];
    assert_eq!(stored_wamids, good, "the bad delivery's first message is rolled back with it");
    let outcomes: Vec<(bool, i32, Option<String>, bool)> = sqlx::query_as(
        "SELECT processed_at IS NOT NULL, attempts, last_error, coalesce(locked_until > now(), false) FROM webhook_events ORDER BY id",
    )
    .fetch_all(&w.db.root)
    .await
    .unwrap();
    assert_eq!(
        w.count("SELECT count(DISTINCT processed_at) FROM webhook_events WHERE processed_at IS NOT NULL").await,
        1,
        "the good ones share one transaction (now() is its start)"
    );
    for (i, (processed, attempts, error, backed_off)) in outcomes.into_iter().enumerate() {
        assert_eq!(attempts, 1);
        if i == 2 {
            assert!(!processed && backed_off, "the bad one waits for its retry");
            assert!(error.unwrap().contains("timestamp"), "and keeps why");
        } else {
            assert!(processed && error.is_none() && !backed_off, "delivery {i} processed");
        }
    }

    // Events of the batch in the deliveries' order; a browser resuming after any of them gets
    // exactly the ones after it.
    let all = realtime::events_since(&w.db.app, &w.owner.actor, EventId(0), 100).await.unwrap().events;
    let created: Vec<Uuid> = all
        .iter()
        .filter_map(|(_, event)| match event {
            Event::MessageCreated { message_id, .. } => Some(*message_id),
            _ => None,
        })
        .collect();
    let by_wamid = |wamid: &str| stored.iter().find(|(_, w)| w == wamid).unwrap().0;
    let expected: Vec<Uuid> = good.map(by_wamid).into();
    assert_eq!(created, expected);
    assert_eq!(all.len(), 8, "MessageCreated and ConversationUpdated of each stored message");
    for (n, (id, _)) in all.iter().enumerate() {
        let rest = realtime::events_since(&w.db.app, &w.owner.actor, *id, 100).await.unwrap();
        assert!(rest.complete);
        assert_eq!(rest.events, all[n + 1..], "resuming after event {id}");
    }

    // Retried once its backoff has passed, alone, and failing alone again.
    assert_eq!(worker::process_batch(&w.db.app, 50).await.unwrap(), 0, "backing off");
    sqlx::query("UPDATE webhook_events SET locked_until = now() - interval '1 second' WHERE processed_at IS NULL")
        .execute(&w.db.root)
        .await
        .unwrap();
    assert_eq!(worker::process_batch(&w.db.app, 50).await.unwrap(), 1);
    assert_eq!(w.count("SELECT count(*) FROM webhook_events WHERE attempts = 2 AND last_error LIKE '%timestamp%'").await, 1);
    assert_eq!(w.count("SELECT count(*) FROM messages").await, 4);
}
