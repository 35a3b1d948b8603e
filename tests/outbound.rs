//! Agents' replies against real Postgres and a scripted stand-in for Meta: a message is stored
//! with its queue row before anything is sent, the 24-hour window and permissions are enforced,
//! other organizations find nothing, the worker's lease turns an interrupted send into "unknown"
//! (never resent), Meta's refusals are kept, rate limits wait, and statuses only move forward.

#![cfg(feature = "ssr")]

mod common;

use common::*;
use parley::Error;
use parley::domain::inbox::{AssigneeFilter, StatusFilter};
use parley::cloud::CloudClient;
use parley::domain::cloud::{MessageContent, TemplateLanguage, TemplateMessage, TemplateName, TextMessage};
use parley::domain::conversation::{ConversationId, MessageId, OutboundStatus};
use parley::domain::{Permission, PermissionSet};
use parley::inbox::outbound::{self, ReplyTo, StoredMessage, WINDOW_CLOSED, worker};
use parley::webhooks::process;
use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::time::Duration;

const CUSTOMER: &str = "4915112345678";

fn text(body: &str) -> MessageContent {
    MessageContent::Text(TextMessage::new(body, false).unwrap())
}

fn template() -> MessageContent {
    let name = TemplateName::parse("order_ready").unwrap();
    let language = TemplateLanguage::parse("en_US").unwrap();
    MessageContent::Template(TemplateMessage::new(name, language, vec![]).unwrap())
}

/// An organization with a channel at `graph` (a base URL) and a customer who wrote an hour ago.
async fn setup_with(db: &Db, graph: &str) -> (Owner, TestChannel, ConversationId) {
    let owner = register(&db.app, "Ana Alpha", "ana@alpha.example", "Alpha Bakery").await;
    let channel = connected_channel(&db.app, &owner, "Bakery", graph).await;
    let conversation = conversation(db, &channel, CUSTOMER, Some(1)).await;
    (owner, channel, conversation)
}

async fn message_row(db: &Db, id: MessageId) -> (String, Option<String>, Option<Value>) {
    sqlx::query_as("SELECT status, wamid, error FROM messages WHERE id = $1")
        .bind(id)
        .fetch_one(&db.root)
        .await
        .unwrap()
}

async fn queued(db: &Db) -> i64 {
    count(db, "SELECT count(*) FROM outbound_queue").await
}

fn cloud() -> CloudClient {
    CloudClient::with_timeouts(Duration::from_secs(2), Duration::from_secs(2))
}

#[sqlx::test(migrations = false)]
async fn send_stores_a_pending_message_and_its_queue_row_before_anything_is_sent(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let db = setup(options).await;
    let graph = FakeGraph::start(vec![send_accepted("wamid.never")]).await;
    let (owner, channel, conversation) = setup_with(&db, &graph.base_url).await;

    let stored = outbound::send(&db.app, &owner.actor, conversation, text("Your cake is ready 🎂"), None).await.unwrap();
    assert_eq!(stored.outbound_status(), Some(OutboundStatus::Pending));
    assert_eq!((stored.direction.as_str(), stored.kind.as_str()), ("outbound", "text"));
    assert_eq!(stored.body, "Your cake is ready 🎂");
    assert_eq!(stored.wamid, None);
    assert_eq!(stored.sent_by, Some(owner.user_id));
    assert_eq!((stored.conversation_id, stored.channel_id), (conversation, channel.id));
    assert_eq!(stored.content["to"], CUSTOMER);
    assert_eq!(stored.content["text"]["body"], "Your cake is ready 🎂");

    let queue: (MessageId, parley::domain::OrganizationId, i32) =
        sqlx::query_as("SELECT message_id, organization_id, attempts FROM outbound_queue").fetch_one(&db.root).await.unwrap();
    assert_eq!(queue, (stored.id, owner.organization_id, 0));
    assert!(graph.received().is_empty(), "send only stores: the worker talks to Meta");
    let touched = count(&db, "SELECT count(*) FROM conversations WHERE last_message_at > now() - interval '1 minute'").await;
    assert_eq!(touched, 1, "the conversation moves up the inbox");
}

#[sqlx::test(migrations = false)]
async fn a_reply_quotes_the_customers_message(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let (owner, channel, conversation) = setup_with(&db, "http://127.0.0.1:9/v21.0").await;
    let quoted = uuid::Uuid::now_v7();
    sqlx::query(
        "INSERT INTO messages (id, organization_id, conversation_id, channel_id, wamid, direction, kind, body, content, status)
         VALUES ($1, $2, $3, $4, 'wamid.IN1', 'inbound', 'text', 'Is it ready?', '{}', 'received')",
    )
    .bind(quoted)
    .bind(owner.organization_id)
    .bind(conversation)
    .bind(channel.id)
    .execute(&db.root)
    .await
    .unwrap();

    let reply = ReplyTo::Message(MessageId(quoted));
    let stored = outbound::send(&db.app, &owner.actor, conversation, text("Yes!"), Some(reply)).await.unwrap();
    assert_eq!(stored.context_wamid.as_deref(), Some("wamid.IN1"));
    assert_eq!(stored.content["context"]["message_id"], "wamid.IN1");

    let pending = ReplyTo::Message(stored.id);
    let refused = outbound::send(&db.app, &owner.actor, conversation, text("Again"), Some(pending)).await;
    assert_err!(refused, Error::Conflict(_));
    let unknown = ReplyTo::Message(MessageId(uuid::Uuid::now_v7()));
    assert_err!(outbound::send(&db.app, &owner.actor, conversation, text("?"), Some(unknown)).await, Error::NotFound);
}

#[sqlx::test(migrations = false)]
async fn a_closed_window_refuses_free_form_messages_but_not_templates(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let (owner, channel, _) = setup_with(&db, "http://127.0.0.1:9/v21.0").await;
    let yesterday = conversation(&db, &channel, "4915100000001", Some(25)).await;
    let never = conversation(&db, &channel, "4915100000002", None).await;

    for conversation in [yesterday, never] {
        let refused = outbound::send(&db.app, &owner.actor, conversation, text("Hello again"), None).await;
        assert_err!(refused, Error::Conflict(message) if message == WINDOW_CLOSED);
        let stored = outbound::send(&db.app, &owner.actor, conversation, template(), None).await.unwrap();
        assert_eq!((stored.kind.as_str(), stored.body.as_str()), ("template", "order_ready"));
    }
    assert_eq!(queued(&db).await, 2, "only the templates were queued");
    assert_eq!(count(&db, "SELECT count(*) FROM messages").await, 2);
}

#[sqlx::test(migrations = false)]
async fn another_organizations_conversation_is_not_found(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let graph = FakeGraph::start(vec![send_accepted("wamid.A")]).await;
    let (owner, _, conversation) = setup_with(&db, &graph.base_url).await;
    let other = register(&db.app, "Ben Beta", "ben@beta.example", "Beta Shop").await;
    let stored = outbound::send(&db.app, &owner.actor, conversation, text("Hi"), None).await.unwrap();

    assert_err!(outbound::send(&db.app, &other.actor, conversation, text("Hi"), None).await, Error::NotFound);
    assert_err!(outbound::retry(&db.app, &other.actor, stored.id).await, Error::NotFound);
    let read = outbound::mark_read(&db.app, &secret_key(), &cloud(), &other.actor, conversation).await;
    assert_err!(read, Error::NotFound);
    assert_eq!(queued(&db).await, 1);
}

#[sqlx::test(migrations = false)]
async fn a_member_without_reply_permission_is_forbidden(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let (owner, _, conversation) = setup_with(&db, "http://127.0.0.1:9/v21.0").await;
    let (_, _, agent) = add_agent(&db, &owner, "Carla Agent", "carla@alpha.example").await;
    let stored = outbound::send(&db.app, &agent, conversation, text("Agents reply"), None).await.unwrap();
    assert_eq!(stored.sent_by, Some(agent.user_id));

    let mut viewer = agent.clone();
    viewer.permissions = PermissionSet::from_iter([Permission::InboxRead]);
    assert_err!(outbound::send(&db.app, &viewer, conversation, text("Hi"), None).await, Error::Forbidden);
    assert_err!(outbound::retry(&db.app, &viewer, stored.id).await, Error::Forbidden);
    viewer.permissions = PermissionSet::default();
    let read = outbound::mark_read(&db.app, &secret_key(), &cloud(), &viewer, conversation).await;
    assert_err!(read, Error::Forbidden);
    assert_eq!(queued(&db).await, 1);
}

#[sqlx::test(migrations = false)]
async fn claims_are_leased_and_an_interrupted_send_becomes_unknown_never_resent(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let db = setup(options).await;
    let graph = FakeGraph::start(vec![send_accepted("wamid.X")]).await;
    let (owner, _, conversation) = setup_with(&db, &graph.base_url).await;
    let first = outbound::send(&db.app, &owner.actor, conversation, text("One"), None).await.unwrap();
    let second = outbound::send(&db.app, &owner.actor, conversation, text("Two"), None).await.unwrap();

    let claimed = worker::claim(&db.app, 10, Duration::from_secs(60)).await.unwrap();
    let ids: Vec<MessageId> = claimed.iter().map(|c| c.message_id).collect();
    assert_eq!(ids, vec![first.id, second.id], "oldest first");
    assert!(claimed.iter().all(|c| c.organization_id == owner.organization_id));
    assert!(worker::claim(&db.app, 10, Duration::from_secs(60)).await.unwrap().is_empty(), "leased");

    // The worker holding them died mid-send: Meta may have them. Nobody resends them on its own.
    sqlx::query("UPDATE outbound_queue SET locked_until = now() - interval '1 second'").execute(&db.root).await.unwrap();
    assert!(worker::claim(&db.app, 10, Duration::from_secs(60)).await.unwrap().is_empty());
    for id in [first.id, second.id] {
        let (status, wamid, error) = message_row(&db, id).await;
        assert_eq!((status.as_str(), wamid), ("unknown", None));
        assert!(error.unwrap()["message"].as_str().unwrap().contains("may or may not"));
    }
    assert_eq!(queued(&db).await, 0);
    assert_eq!(worker::send_due(&db.app, &secret_key(), &cloud(), &media_storage(), 10).await.unwrap(), 0);
    assert!(graph.received().is_empty());

    // A person decides to send it again.
    let again = outbound::retry(&db.app, &owner.actor, first.id).await.unwrap();
    assert_eq!(again.outbound_status(), Some(OutboundStatus::Pending));
    assert_eq!(worker::send_due(&db.app, &secret_key(), &cloud(), &media_storage(), 10).await.unwrap(), 1);
    assert_eq!(message_row(&db, first.id).await.0, "accepted");
    assert_eq!(message_row(&db, second.id).await.0, "unknown");
}

#[sqlx::test(migrations = false)]
async fn a_refused_message_fails_with_metas_error_kept(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let refusal = graph_error(400, 131026, "Message undeliverable", "The recipient is not a WhatsApp user");
    let graph = FakeGraph::start(vec![refusal, send_accepted("wamid.RETRIED")]).await;
    let (owner, _, conversation) = setup_with(&db, &graph.base_url).await;
    let stored = outbound::send(&db.app, &owner.actor, conversation, text("Hello"), None).await.unwrap();

    assert_eq!(worker::send_due(&db.app, &secret_key(), &cloud(), &media_storage(), 10).await.unwrap(), 1);
    let (status, wamid, error) = message_row(&db, stored.id).await;
    assert_eq!((status.as_str(), wamid), ("failed", None));
    let error = error.unwrap();
    assert_eq!(error["code"], 131026);
    assert_eq!(error["message"], "Message undeliverable");
    assert_eq!(error["details"], "The recipient is not a WhatsApp user");
    assert_eq!(queued(&db).await, 0, "a refusal is final: not retried by itself");
    assert_eq!(graph.received().len(), 1);
    assert_eq!(graph.received()[0]["text"]["body"], "Hello", "the stored Meta JSON is what is sent");

    let again = outbound::retry(&db.app, &owner.actor, stored.id).await.unwrap();
    assert_eq!((again.outbound_status(), again.error), (Some(OutboundStatus::Pending), None));
    worker::send_due(&db.app, &secret_key(), &cloud(), &media_storage(), 10).await.unwrap();
    assert_eq!(message_row(&db, stored.id).await.1.as_deref(), Some("wamid.RETRIED"));
}

#[sqlx::test(migrations = false)]
async fn a_rate_limited_message_waits_and_is_sent_later(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let limited = graph_error(400, 130429, "Rate limit hit", "Cloud API message throughput has been reached.");
    let graph = FakeGraph::start(vec![limited, send_accepted("wamid.LATER")]).await;
    let (owner, _, conversation) = setup_with(&db, &graph.base_url).await;
    let stored = outbound::send(&db.app, &owner.actor, conversation, text("Soon"), None).await.unwrap();

    assert_eq!(worker::send_due(&db.app, &secret_key(), &cloud(), &media_storage(), 10).await.unwrap(), 1);
    assert_eq!(message_row(&db, stored.id).await.0, "pending");
    let (attempts, error, waits): (i32, Option<String>, bool) = sqlx::query_as(
        "SELECT attempts, last_error, next_attempt_at > now() FROM outbound_queue WHERE locked_until IS NULL",
    )
    .fetch_one(&db.root)
    .await
    .unwrap();
    assert_eq!(attempts, 1);
    assert!(error.unwrap().contains("130429"));
    assert!(waits, "backing off");
    assert_eq!(worker::send_due(&db.app, &secret_key(), &cloud(), &media_storage(), 10).await.unwrap(), 0, "not due yet");

    tokio::time::sleep(worker::backoff(1)).await;
    assert_eq!(worker::send_due(&db.app, &secret_key(), &cloud(), &media_storage(), 10).await.unwrap(), 1);
    assert_eq!(message_row(&db, stored.id).await, ("accepted".into(), Some("wamid.LATER".into()), None));
    assert_eq!(queued(&db).await, 0);
}

async fn early_status(db: &Db, channel: &TestChannel, wamid: &str, status: &str) {
    sqlx::query(
        "INSERT INTO pending_statuses (organization_id, channel_id, wamid, status, occurred_at)
         VALUES ($1, $2, $3, $4, now())",
    )
    .bind(channel.organization_id)
    .bind(channel.id)
    .bind(wamid)
    .bind(status)
    .execute(&db.root)
    .await
    .unwrap();
}

#[sqlx::test(migrations = false)]
async fn statuses_that_overtook_the_send_apply_and_never_move_backwards(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let graph = FakeGraph::start(vec![send_accepted("wamid.FAST")]).await;
    let (owner, channel, conversation) = setup_with(&db, &graph.base_url).await;
    let stored = outbound::send(&db.app, &owner.actor, conversation, text("Quick"), None).await.unwrap();
    // Meta's "sent" webhook was processed before the worker committed the wamid.
    early_status(&db, &channel, "wamid.FAST", "sent").await;

    worker::send_due(&db.app, &secret_key(), &cloud(), &media_storage(), 10).await.unwrap();
    assert_eq!(message_row(&db, stored.id).await.0, "sent", "accepted, then the early status applied");

    early_status(&db, &channel, "wamid.FAST", "read").await;
    early_status(&db, &channel, "wamid.FAST", "delivered").await;
    process::retry_pending_statuses(&db.app, 10).await.unwrap();
    assert_eq!(message_row(&db, stored.id).await.0, "read", "a late delivered does not downgrade read");
    let history: Vec<String> =
        sqlx::query_scalar("SELECT status FROM message_status_events WHERE message_id = $1 ORDER BY status")
            .bind(stored.id)
            .fetch_all(&db.root)
            .await
            .unwrap();
    assert_eq!(history, vec!["accepted", "delivered", "read", "sent"]);
    let refused = outbound::retry(&db.app, &owner.actor, stored.id).await;
    assert_err!(refused, Error::Conflict(_));
}

#[sqlx::test(migrations = false)]
async fn a_channel_without_credentials_fails_its_messages_with_the_reason(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Ana Alpha", "ana@alpha.example", "Alpha Bakery").await;
    let channel = whatsapp_channel(&db.app, &owner, "Unfinished", APP_SECRET).await;
    let conversation = conversation(&db, &channel, CUSTOMER, Some(1)).await;
    let stored: StoredMessage = outbound::send(&db.app, &owner.actor, conversation, text("Hi"), None).await.unwrap();

    worker::send_due(&db.app, &secret_key(), &cloud(), &media_storage(), 10).await.unwrap();
    let (status, _, error) = message_row(&db, stored.id).await;
    assert_eq!(status, "failed");
    assert!(error.unwrap()["message"].as_str().unwrap().contains("not connected"));
}

#[sqlx::test(migrations = false)]
async fn reading_a_conversation_clears_its_unread_count_and_tells_meta(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let graph = FakeGraph::start(vec![(200, json!({"success": true}))]).await;
    let (owner, channel, conversation) = setup_with(&db, &graph.base_url).await;
    for (wamid, minutes_ago) in [("wamid.OLD", 10), ("wamid.NEW", 1)] {
        sqlx::query(
            "INSERT INTO messages (id, organization_id, conversation_id, channel_id, wamid, direction, kind, body, content,
                 status, sent_at)
             VALUES ($1, $2, $3, $4, $5, 'inbound', 'text', 'hi', '{}', 'received', now() - make_interval(mins => $6))",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(owner.organization_id)
        .bind(conversation)
        .bind(channel.id)
        .bind(wamid)
        .bind(minutes_ago)
        .execute(&db.root)
        .await
        .unwrap();
    }
    sqlx::query("UPDATE conversations SET unread_count = 2").execute(&db.root).await.unwrap();
    let (_, _, agent) = add_agent(&db, &owner, "Bo Agent", "bo@alpha.example").await;
    let unread = |actor| {
        let pool = db.app.clone();
        async move {
            let scope = parley::domain::inbox::ListScope::default();
            let page = parley::inbox::conversations::list(&pool, &actor, StatusFilter::All, AssigneeFilter::Everyone, "", None, scope)
                .await
                .unwrap();
            page.conversations[0].unread_count
        }
    };
    assert_eq!((unread(owner.actor.clone()).await, unread(agent.clone()).await), (2, 2));

    outbound::mark_read(&db.app, &secret_key(), &cloud(), &owner.actor, conversation).await.unwrap();
    assert_eq!(count(&db, "SELECT unread_count::bigint FROM conversations").await, 0);
    // Unread is each agent's own: the owner read it, Bo has not.
    assert_eq!((unread(owner.actor.clone()).await, unread(agent.clone()).await), (0, 2));
    let received = graph.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0]["status"], "read");
    assert_eq!(received[0]["message_id"], "wamid.NEW", "the customer's latest message");
}

#[sqlx::test(migrations = false)]
async fn the_running_worker_sends_what_is_queued(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let graph = FakeGraph::start(vec![send_accepted("wamid.RUN")]).await;
    let (owner, _, conversation) = setup_with(&db, &graph.base_url).await;
    let running = tokio::spawn(worker::run(db.app.clone(), secret_key(), cloud(), media_storage()));
    tokio::time::sleep(Duration::from_millis(200)).await;

    let stored = outbound::send(&db.app, &owner.actor, conversation, text("Woken up"), None).await.unwrap();
    let mut status = String::new();
    for _ in 0..100 {
        status = message_row(&db, stored.id).await.0;
        if status == "accepted" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    running.abort();
    assert_eq!(status, "accepted");
    assert_eq!(graph.received().len(), 1);
}

#[sqlx::test(migrations = false)]
async fn a_send_meta_never_answers_is_unknown_and_not_resent(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    // Takes the request and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}/v21.0", silent.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });
    let (owner, _, conversation) = setup_with(&db, &base_url).await;
    let stored = outbound::send(&db.app, &owner.actor, conversation, text("Did it go?"), None).await.unwrap();

    let impatient = CloudClient::with_timeouts(Duration::from_secs(1), Duration::from_millis(300));
    assert_eq!(worker::send_due(&db.app, &secret_key(), &impatient, &media_storage(), 10).await.unwrap(), 1);
    let (status, wamid, error) = message_row(&db, stored.id).await;
    assert_eq!((status.as_str(), wamid), ("unknown", None));
    assert!(error.unwrap()["message"].as_str().unwrap().contains("did not answer"));
    assert_eq!(queued(&db).await, 0, "never resent without a person deciding to");
    assert_eq!(worker::send_due(&db.app, &secret_key(), &impatient, &media_storage(), 10).await.unwrap(), 0);
}
