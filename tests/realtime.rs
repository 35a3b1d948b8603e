//! The live inbox's engine against real Postgres: events exist only once their transaction
//! commits, a feed resumes after its last event with nothing missed and nothing twice while others
//! publish, and nobody follows what they may not see.

#![cfg(feature = "ssr")]

mod common;

use common::*;
use parley::domain::cloud::webhook::MessageStatus;
use parley::domain::{Actor, OrganizationId};
use parley::realtime::{self, Delivery, Event, EventId, Feed, Hub};
use parley::webhooks::{Receiver, signature::sign, worker};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::time::Duration;
use uuid::Uuid;

/// Long enough for a NOTIFY to cross Postgres and the hub when it is going to.
const QUIET: Duration = Duration::from_millis(700);
const ARRIVES: Duration = Duration::from_secs(10);

async fn publish(pool: &PgPool, organization: OrganizationId, event: &Event) -> EventId {
    let mut tx = parley::db::scoped(pool, Some(organization), None).await.unwrap();
    let id = realtime::publish(&mut tx, organization, event).await.unwrap();
    tx.commit().await.unwrap();
    id
}

async fn next(feed: &mut Feed) -> Delivery {
    tokio::time::timeout(ARRIVES, feed.next()).await.expect("an event arrives").unwrap().expect("the hub runs")
}

async fn nothing(feed: &mut Feed) {
    if let Ok(got) = tokio::time::timeout(QUIET, feed.next()).await {
        panic!("expected no event, got {got:?}");
    }
}

struct Org {
    owner: Owner,
    channel: TestChannel,
    conversation: Uuid,
}

async fn org(db: &Db, name: &str, email: &str) -> Org {
    let owner = register(&db.app, name, email, &format!("{name} Org")).await;
    let channel = whatsapp_channel(&db.app, &owner, "Main", APP_SECRET).await;
    let conversation = customer_conversation(db, &channel, "16505551234").await;
    Org { owner, channel, conversation }
}

fn updated(conversation: Uuid) -> Event {
    Event::ConversationUpdated { conversation_id: conversation }
}

#[sqlx::test(migrations = false)]
async fn a_feed_resumes_after_its_last_event_with_no_gap_and_no_duplicate(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let a = org(&db, "Ana", "ana@alpha.example").await;
    let organization = a.owner.organization_id;
    let hub = Hub::start(db.app.clone());

    let mut feed = Feed::open(db.app.clone(), &hub, a.owner.actor.clone(), None).await.unwrap();
    let first = publish(&db.app, organization, &updated(a.conversation)).await;
    let second = publish(&db.app, organization, &updated(a.conversation)).await;
    assert_eq!(next(&mut feed).await.id, Some(first));
    assert_eq!(next(&mut feed).await.id, Some(second));
    drop(feed);

    // Four writers publish concurrently, each event in its own transaction, while the browser
    // is away and while it reconnects.
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let pool = db.app.clone();
            let event = updated(a.conversation);
            tokio::spawn(async move {
                for _ in 0..25 {
                    publish(&pool, organization, &event).await;
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut feed = Feed::open(db.app.clone(), &hub, a.owner.actor.clone(), Some(second)).await.unwrap();
    let mut received = Vec::new();
    while received.len() < 100 {
        received.push(next(&mut feed).await.id.expect("stored events carry their id"));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    nothing(&mut feed).await;
    let stored: Vec<i64> = sqlx::query_scalar("SELECT id FROM events WHERE id > $1 ORDER BY id")
        .bind(second.0)
        .fetch_all(&db.root)
        .await
        .unwrap();
    assert_eq!(received, stored.into_iter().map(EventId).collect::<Vec<_>>(), "each event once, in order");
    assert_eq!(feed.last(), *received.last().unwrap());

    // A page-sized catch-up is read in pages too.
    let page = realtime::events_since(&db.app, &a.owner.actor, second, 30).await.unwrap();
    assert_eq!(page.events.len(), 30);
    assert!(!page.complete);
    assert_eq!(page.until, page.events[29].0);
}

#[sqlx::test(migrations = false)]
async fn events_exist_only_once_their_transaction_commits(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let a = org(&db, "Ana", "ana@alpha.example").await;
    let organization = a.owner.organization_id;
    let hub = Hub::start(db.app.clone());
    let mut feed = Feed::open(db.app.clone(), &hub, a.owner.actor.clone(), None).await.unwrap();

    let mut tx = parley::db::scoped(&db.app, Some(organization), None).await.unwrap();
    realtime::publish(&mut tx, organization, &updated(a.conversation)).await.unwrap();
    tx.rollback().await.unwrap();
    nothing(&mut feed).await;
    assert_eq!(count(&db, "SELECT count(*) FROM events").await, 0);

    let mut tx = parley::db::scoped(&db.app, Some(organization), None).await.unwrap();
    let id = realtime::publish(&mut tx, organization, &updated(a.conversation)).await.unwrap();
    nothing(&mut feed).await;
    tx.commit().await.unwrap();
    assert_eq!(next(&mut feed).await, Delivery { id: Some(id), event: updated(a.conversation) });

    let typing = Event::Typing { conversation_id: a.conversation, user_id: a.owner.user_id, name: "Ana".into() };
    assert!(realtime::publish(&mut db.app.acquire().await.unwrap(), organization, &typing).await.is_err());
    realtime::publish_ephemeral(&db.app, organization, &typing).await.unwrap();
    assert_eq!(next(&mut feed).await, Delivery { id: None, event: typing });
    assert_eq!(count(&db, "SELECT count(*) FROM events").await, 1, "typing is never stored");
}

#[sqlx::test(migrations = false)]
async fn nobody_follows_another_organization_or_an_inbox_they_may_not_read(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let a = org(&db, "Ana", "ana@alpha.example").await;
    let b = org(&db, "Bea", "bea@beta.example").await;
    let (_, _, agent_a) = add_agent(&db, &a.owner, "Agnes Agent", "agnes@alpha.example").await;
    let contacts_only = parley::team::roles::create(&db.app, &a.owner.actor, "Contacts only", &["contacts.read".to_owned()])
        .await
        .unwrap();
    let (_, _, clerk_a): (_, _, Actor) = add_member_and_log_in(
        &db,
        &a.owner,
        "Cleo Clerk",
        "cleo@alpha.example",
        contacts_only,
        parley::domain::LoginTab::Agent,
    )
    .await;
    let hub = Hub::start(db.app.clone());
    let mut agent = Feed::open(db.app.clone(), &hub, agent_a.clone(), None).await.unwrap();
    let mut clerk = Feed::open(db.app.clone(), &hub, clerk_a.clone(), None).await.unwrap();

    let of_b = publish(&db.app, b.owner.organization_id, &updated(b.conversation)).await;
    realtime::publish_ephemeral(
        &db.app,
        b.owner.organization_id,
        &Event::Presence { conversation_id: b.conversation, user_id: b.owner.user_id, name: "Bea".into() },
    )
    .await
    .unwrap();
    nothing(&mut agent).await;
    let of_a = publish(&db.app, a.owner.organization_id, &updated(a.conversation)).await;
    assert_eq!(next(&mut agent).await.id, Some(of_a), "B's events were skipped, A's arrives");
    nothing(&mut clerk).await;

    let since = |actor: Actor| {
        let pool = db.app.clone();
        async move { realtime::events_since(&pool, &actor, EventId(0), 100).await.unwrap().events }
    };
    let seen: Vec<EventId> = since(agent_a.clone()).await.into_iter().map(|(id, _)| id).collect();
    assert_eq!(seen, vec![of_a], "catch-up holds only A's events, not {of_b}");
    assert!(since(clerk_a.clone()).await.is_empty());
    let mut clerk_resuming = Feed::open(db.app.clone(), &hub, clerk_a.clone(), Some(EventId(0))).await.unwrap();
    nothing(&mut clerk_resuming).await;

    assert!(realtime::visible_conversation(&db.app, &agent_a, a.conversation).await.unwrap());
    assert!(!realtime::visible_conversation(&db.app, &agent_a, b.conversation).await.unwrap());
    assert!(!realtime::visible_conversation(&db.app, &clerk_a, a.conversation).await.unwrap());
}

#[sqlx::test(migrations = false)]
async fn processed_webhooks_publish_new_messages_and_status_changes(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let a = org(&db, "Ana", "ana@alpha.example").await;
    let hub = Hub::start(db.app.clone());
    let mut feed = Feed::open(db.app.clone(), &hub, a.owner.actor.clone(), None).await.unwrap();
    let receiver = Receiver::start(db.app.clone(), secret_key());
    let deliver = |name: &'static str| {
        let receiver = receiver.clone();
        let key = a.channel.key.clone();
        let pool = db.app.clone();
        async move {
            let body = webhook_fixture(name);
            receiver.receive(&key, Some(&sign(APP_SECRET, &body)), body.into()).await.unwrap();
            while worker::process_batch(&pool, 50).await.unwrap() > 0 {}
        }
    };

    deliver("message_text").await;
    let message: Uuid = sqlx::query_scalar("SELECT id FROM messages WHERE direction = 'inbound'").fetch_one(&db.root).await.unwrap();
    let created = next(&mut feed).await;
    assert_eq!(created.event, Event::MessageCreated { conversation_id: a.conversation, message_id: message });
    assert_eq!(next(&mut feed).await.event, updated(a.conversation));
    deliver("message_text").await;
    nothing(&mut feed).await;

    let outbound = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO messages (id, organization_id, conversation_id, channel_id, wamid, direction, kind, content, status)
         VALUES ($1, $2, $3, $4, 'wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA', 'outbound', 'text', '{}', 'sent')",
    )
    .bind(outbound)
    .bind(a.owner.organization_id)
    .bind(a.conversation)
    .bind(a.channel.id)
    .execute(&db.root)
    .await
    .unwrap();
    deliver("status_read").await;
    let status = Event::MessageStatus { conversation_id: a.conversation, message_id: outbound, status: MessageStatus::Read };
    assert_eq!(next(&mut feed).await.event, status);
    // A late "delivered" after "read" changes nothing, so it announces nothing.
    deliver("status_delivered").await;
    nothing(&mut feed).await;
}

#[sqlx::test(migrations = false)]
async fn resuming_from_before_the_retention_asks_for_a_reload(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let a = org(&db, "Ana", "ana@alpha.example").await;
    let organization = a.owner.organization_id;
    let hub = Hub::start(db.app.clone());
    let old = publish(&db.app, organization, &updated(a.conversation)).await;
    let recent = publish(&db.app, organization, &updated(a.conversation)).await;
    assert_eq!(realtime::delete_expired(&db.app).await.unwrap(), 0, "both are within the retention");
    sqlx::query("UPDATE events SET created_at = now() - interval '3 days' WHERE id = $1")
        .bind(old.0)
        .execute(&db.root)
        .await
        .unwrap();
    assert_eq!(realtime::delete_expired(&db.app).await.unwrap(), 1);
    assert_eq!(count(&db, "SELECT count(*) FROM events").await, 1);

    let mut kept = Feed::open(db.app.clone(), &hub, a.owner.actor.clone(), Some(old)).await.unwrap();
    assert!(!kept.reset(), "everything after {old} is still there");
    assert_eq!(next(&mut kept).await.id, Some(recent));

    let mut lost = Feed::open(db.app.clone(), &hub, a.owner.actor.clone(), Some(EventId(old.0 - 1))).await.unwrap();
    assert!(lost.reset(), "the event after it is gone: reload");
    nothing(&mut lost).await;
    let live = publish(&db.app, organization, &updated(a.conversation)).await;
    assert_eq!(next(&mut lost).await.id, Some(live), "then it follows from now");
    assert_eq!(next(&mut kept).await.id, Some(live));
}
