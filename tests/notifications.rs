//! The notification center: an agent hears of a conversation assigned to them, of customers
//! writing in their conversations (folded into one notification while unread) and of their failed
//! messages; nobody reads, receives or clears another person's notifications.

#![cfg(feature = "ssr")]

mod common;

use common::*;
use parley::Error;
use parley::cloud::CloudClient;
use parley::domain::cloud::{MessageContent, TextMessage};
use parley::domain::notification::NotificationKind;
use parley::inbox::{assignment, outbound};
use parley::notifications::{self, ReadScope};
use parley::realtime::{self, Event, EventId};
use parley::webhooks::worker;
use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::time::Duration;

const CUSTOMER: &str = "4915112345678";

/// The customer writes `body`, as Meta's webhook would say it; processed at once.
async fn customer_writes(db: &Db, channel: &TestChannel, wamid: &str, body: &str) {
    let payload = json!({"object": "whatsapp_business_account", "entry": [{"id": "2001", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001001", "phone_number_id": "1001"},
        "contacts": [{"profile": {"name": "Ines Inbox"}, "wa_id": CUSTOMER}],
        "messages": [{"from": CUSTOMER, "id": wamid, "timestamp": "1763800000", "type": "text", "text": {"body": body}}]
    }}]}]});
    sqlx::query("INSERT INTO webhook_events (organization_id, channel_id, payload) VALUES ($1, $2, $3)")
        .bind(channel.organization_id)
        .bind(channel.id)
        .bind(payload)
        .execute(&db.root)
        .await
        .unwrap();
    while worker::process_batch(&db.app, 10).await.unwrap() > 0 {}
}

#[sqlx::test(migrations = false)]
async fn assignment_and_customer_messages_notify_the_assignee_only(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Olga Owner", "olga@shop.example", "Shop").await;
    let channel = connected_channel(&db.app, &owner, "Shop", "http://127.0.0.1:9/v21.0").await;
    let (ana, _, ana_actor) = add_agent(&db, &owner, "Ana Agent", "ana@shop.example").await;
    let (ben, _, ben_actor) = add_agent(&db, &owner, "Ben Agent", "ben@shop.example").await;
    customer_writes(&db, &channel, "wamid.first", "Hello?").await;
    let conversation = parley::domain::conversation::ConversationId(
        sqlx::query_scalar("SELECT id FROM conversations").fetch_one(&db.root).await.unwrap(),
    );
    assert_eq!(notifications::unread(&db.app, &ana_actor).await.unwrap(), 0, "nobody has it yet");
    let before_assignment = realtime::latest_event(&db.app, &ana_actor).await.unwrap();

    // Ben takes it himself: nobody is told. The owner hands it to Ana: she is.
    assignment::assign(&db.app, &ben_actor, conversation, Some(ben)).await.unwrap();
    assert_eq!(notifications::unread(&db.app, &ben_actor).await.unwrap(), 0);
    assignment::assign(&db.app, &owner.actor, conversation, Some(ana)).await.unwrap();
    let page = notifications::list(&db.app, &ana_actor, None).await.unwrap();
    assert_eq!(page.unread, 1);
    assert_eq!(page.notifications[0].kind, NotificationKind::Assigned);
    assert_eq!(page.notifications[0].headline(), "Olga Owner assigned you the conversation with Ines Inbox");

    // The live event goes to Ana alone, on resume too.
    let notified = |events: &[(EventId, Event)]| events.iter().any(|(_, e)| matches!(e, Event::Notified { .. }));
    let anas = realtime::events_since(&db.app, &ana_actor, before_assignment, 100).await.unwrap();
    assert!(notified(&anas.events));
    let bens = realtime::events_since(&db.app, &ben_actor, before_assignment, 100).await.unwrap();
    assert!(!notified(&bens.events), "Ben never receives Ana's notifications");

    // Two more messages fold into one unread notification.
    customer_writes(&db, &channel, "wamid.second", "Anyone there?").await;
    customer_writes(&db, &channel, "wamid.third", "Hello??").await;
    let page = notifications::list(&db.app, &ana_actor, None).await.unwrap();
    assert_eq!(page.unread, 2);
    assert_eq!(page.notifications[0].kind, NotificationKind::Message, "newest first");
    assert_eq!(page.notifications[0].headline(), "2 new messages from Ines Inbox");
    assert!(notifications::list(&db.app, &ben_actor, None).await.unwrap().notifications.is_empty());

    // Ben cannot read Ana's notification; Ana opening the conversation reads both.
    let anas_first = page.notifications[0].id;
    assert!(matches!(notifications::mark_read(&db.app, &ben_actor, ReadScope::One(anas_first)).await, Err(Error::NotFound)));
    assert_eq!(notifications::unread(&db.app, &ana_actor).await.unwrap(), 2);
    assert_eq!(notifications::mark_read(&db.app, &ana_actor, ReadScope::Conversation(conversation.0)).await.unwrap(), 2);
    let page = notifications::list(&db.app, &ana_actor, None).await.unwrap();
    assert_eq!(page.unread, 0);
    assert_eq!(page.notifications.len(), 2, "read notifications stay listed");
    assert!(page.notifications.iter().all(|n| n.read));

    // Once read, the next message starts a new notification.
    customer_writes(&db, &channel, "wamid.fourth", "Thanks").await;
    let page = notifications::list(&db.app, &ana_actor, None).await.unwrap();
    assert_eq!((page.unread, page.notifications.len()), (1, 3));
    assert_eq!(page.notifications[0].headline(), "New message from Ines Inbox");
    assert_eq!(notifications::mark_read(&db.app, &ana_actor, ReadScope::All).await.unwrap(), 1);

    // Another organization sees none of it.
    let stranger = register(&db.app, "Sam Stranger", "sam@other.example", "Other").await;
    assert!(notifications::list(&db.app, &stranger.actor, None).await.unwrap().notifications.is_empty());
    assert!(matches!(
        notifications::mark_read(&db.app, &stranger.actor, ReadScope::One(anas_first)).await,
        Err(Error::NotFound)
    ));
}

#[sqlx::test(migrations = false)]
async fn a_refused_message_notifies_its_author_with_the_reason(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let graph = FakeGraph::start(vec![graph_error(400, 131026, "Message undeliverable", "Receiver is not on WhatsApp")]).await;
    let owner = register(&db.app, "Olga Owner", "olga@shop.example", "Shop").await;
    let channel = connected_channel(&db.app, &owner, "Shop", &graph.base_url).await;
    let conversation = conversation(&db, &channel, CUSTOMER, Some(1)).await;
    let (_, _, ana_actor) = add_agent(&db, &owner, "Ana Agent", "ana@shop.example").await;

    let text = MessageContent::Text(TextMessage::new("Your order shipped", false).unwrap());
    outbound::send(&db.app, &ana_actor, conversation, text, None).await.unwrap();
    let cloud = CloudClient::with_timeouts(Duration::from_secs(2), Duration::from_secs(2));
    outbound::worker::send_due(&db.app, &secret_key(), &cloud, &media_storage(), 10).await.unwrap();

    let page = notifications::list(&db.app, &ana_actor, None).await.unwrap();
    assert_eq!(page.unread, 1);
    let failed = &page.notifications[0];
    assert_eq!(failed.kind, NotificationKind::Failed);
    assert_eq!(failed.headline(), "A message to Zoë could not be sent");
    assert!(failed.detail.as_deref().is_some_and(|d| !d.is_empty()), "{:?}", failed.detail);
    assert_eq!(notifications::unread(&db.app, &owner.actor).await.unwrap(), 0, "only the author is told");
}
