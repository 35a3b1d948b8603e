//! Working a conversation beyond plain replies. Starred messages: each person's own, only of
//! their organization's messages, listed newest first a page at a time, filtered by channel. The
//! chatbot switch: only the person in control changes it. Replies quoting a message carry its
//! wamid as their context, stored and sent. Reactions, the customer's and the team's, are shown
//! on the message they are on, not as messages of their own.

#![cfg(feature = "ssr")]

mod common;

use chrono::{DateTime, Utc};
use common::*;
use parley::Error;
use parley::domain::ChannelId;
use parley::domain::conversation::{ConversationId, MessageId};
use parley::domain::starred::group_by_day;
use parley::cloud::CloudClient;
use parley::domain::cloud::{MessageContent, TextMessage};
use parley::inbox::outbound::{self, ReplyTo, worker};
use parley::inbox::{assignment, bot, conversations, reactions, stars};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use uuid::Uuid;

/// A message of the conversation written `minutes_ago`, as webhook processing or the outbound
/// worker would have stored it.
async fn message(db: &Db, channel: &TestChannel, conversation: ConversationId, inbound: bool, body: &str, minutes_ago: i32) -> MessageId {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO messages (id, organization_id, conversation_id, channel_id, wamid, direction, kind, body, content, status, created_at)
         VALUES ($1, $2, $3, $4, 'wamid.' || $1::text, $5, 'text', $6, '{}', $7, now() - make_interval(mins => $8))",
    )
    .bind(id)
    .bind(channel.organization_id)
    .bind(conversation)
    .bind(channel.id)
    .bind(if inbound { "inbound" } else { "outbound" })
    .bind(body)
    .bind(if inbound { "received" } else { "sent" })
    .bind(minutes_ago)
    .execute(&db.root)
    .await
    .unwrap();
    MessageId(id)
}

#[sqlx::test(migrations = false)]
async fn stars_belong_to_one_person_of_one_organization(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Olga Owner", "olga@shop.example", "Shop").await;
    let channel = connected_channel(&db.app, &owner, "Shop", "http://127.0.0.1:9/v21.0").await;
    let conversation = conversation(&db, &channel, "4915112345678", Some(1)).await;
    let question = message(&db, &channel, conversation, true, "Is the cake ready?", 30).await;
    let answer = message(&db, &channel, conversation, false, "Yes, come by at five", 20).await;
    let (_, _, ana) = add_agent(&db, &owner, "Ana Agent", "ana@shop.example").await;

    stars::set_starred(&db.app, &ana, question, true).await.unwrap();
    stars::set_starred(&db.app, &ana, question, true).await.unwrap();
    stars::set_starred(&db.app, &owner.actor, answer, true).await.unwrap();
    // Each person's other tabs hear of their own stars, once per change; nobody else does.
    let stars_seen_by = |actor: parley::domain::Actor| {
        let pool = db.app.clone();
        async move {
            let seen = parley::realtime::events_since(&pool, &actor, parley::realtime::EventId(0), 100).await.unwrap().events;
            seen.into_iter().filter(|(_, e)| matches!(e, parley::realtime::Event::Starred { .. })).map(|(_, e)| e).collect::<Vec<_>>()
        }
    };
    let starred_event = |actor: &parley::domain::Actor| parley::realtime::Event::Starred { conversation_id: conversation.0, user_id: actor.user_id };
    assert_eq!(stars_seen_by(ana.clone()).await, [starred_event(&ana)]);
    assert_eq!(stars_seen_by(owner.actor.clone()).await, [starred_event(&owner.actor)]);

    let anas = stars::starred(&db.app, &ana, None, None).await.unwrap();
    assert_eq!(anas.messages.len(), 1);
    let starred = &anas.messages[0];
    assert_eq!((starred.message_id, starred.conversation_id), (question.0, conversation.0));
    assert_eq!(starred.label(), "Zoë ▸ You");
    assert_eq!(starred.body, "Is the cake ready?");
    assert_eq!(starred.channel_name, "Shop");
    let owners = stars::starred(&db.app, &owner.actor, None, None).await.unwrap();
    assert_eq!(owners.messages.iter().map(|m| m.label()).collect::<Vec<_>>(), ["You ▸ Zoë"]);

    // The thread shows each person their own stars.
    let starred_in = |thread: parley::domain::inbox::Thread| {
        thread.messages.iter().filter(|m| m.starred).map(|m| m.id).collect::<Vec<_>>()
    };
    assert_eq!(starred_in(conversations::thread(&db.app, &ana, conversation.0, None).await.unwrap()), [question.0]);
    assert_eq!(starred_in(conversations::thread(&db.app, &owner.actor, conversation.0, None).await.unwrap()), [answer.0]);

    stars::set_starred(&db.app, &ana, question, false).await.unwrap();
    assert!(stars::starred(&db.app, &ana, None, None).await.unwrap().messages.is_empty());
    assert_eq!(stars_seen_by(ana.clone()).await.len(), 2, "unstarring is heard too");
    assert_eq!(count(&db, "SELECT count(*) FROM message_stars").await, 1);

    // Another organization's message cannot be starred or unstarred, nor its channel filtered on.
    let stranger = register(&db.app, "Sam Stranger", "sam@other.example", "Other").await;
    for starred in [true, false] {
        assert!(matches!(stars::set_starred(&db.app, &stranger.actor, answer, starred).await, Err(Error::NotFound)));
    }
    assert!(matches!(stars::starred(&db.app, &stranger.actor, Some(channel.id), None).await, Err(Error::NotFound)));
    assert!(stars::starred(&db.app, &stranger.actor, None, None).await.unwrap().messages.is_empty());
    assert_eq!(count(&db, "SELECT count(*) FROM message_stars").await, 1);
}

#[sqlx::test(migrations = false)]
async fn the_list_is_newest_first_by_channel_a_page_at_a_time(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Olga Owner", "olga@shop.example", "Shop").await;
    let shop = connected_channel(&db.app, &owner, "Shop", "http://127.0.0.1:9/v21.0").await;
    let outlet = whatsapp_channel(&db.app, &owner, "Outlet", "outlet-app-secret").await;
    let at_shop = conversation(&db, &shop, "4915112345678", Some(1)).await;
    let at_outlet = conversation(&db, &outlet, "4915187654321", Some(1)).await;
    // One message a day at the shop, over the last 40 days, and one at the outlet yesterday.
    let mut shop_messages = Vec::new();
    for day in 0..40 {
        let id = message(&db, &shop, at_shop, day % 2 == 0, &format!("day {day}"), day * 24 * 60 + 5).await;
        stars::set_starred(&db.app, &owner.actor, id, true).await.unwrap();
        shop_messages.push(id);
    }
    let outlet_message = message(&db, &outlet, at_outlet, true, "outlet", 24 * 60).await;
    stars::set_starred(&db.app, &owner.actor, outlet_message, true).await.unwrap();

    let first = stars::starred(&db.app, &owner.actor, None, None).await.unwrap();
    assert_eq!(first.messages.len() as i64, stars::PAGE_SIZE);
    let times: Vec<DateTime<Utc>> = first.messages.iter().map(|m| m.created_at).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert_eq!(first.messages[0].message_id, shop_messages[0].0);
    assert_eq!(first.channels.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["Outlet", "Shop"]);
    // Days group: today, then yesterday's two messages (the shop's and the outlet's) together.
    let days = group_by_day(&first.messages);
    assert!(days.iter().any(|(_, items)| items.len() == 2), "{:?}", days.iter().map(|d| d.1.len()).collect::<Vec<_>>());

    let second = stars::starred(&db.app, &owner.actor, None, first.next).await.unwrap();
    assert_eq!(second.messages.len(), 41 - stars::PAGE_SIZE as usize);
    assert!(second.next.is_none());
    let mut seen: Vec<Uuid> = first.messages.iter().chain(&second.messages).map(|m| m.message_id).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 41, "every starred message once across the pages");

    let outlet_only = stars::starred(&db.app, &owner.actor, Some(ChannelId(outlet.id.0)), None).await.unwrap();
    assert_eq!(outlet_only.messages.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(), ["outlet"]);
    assert_eq!(outlet_only.messages[0].channel_name, "Outlet");
}

#[sqlx::test(migrations = false)]
async fn only_the_person_in_control_switches_the_bot(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Olga Owner", "olga@shop.example", "Shop").await;
    let channel = connected_channel(&db.app, &owner, "Shop", "http://127.0.0.1:9/v21.0").await;
    let conversation = conversation(&db, &channel, "4915112345678", Some(1)).await;
    let (ana, _, ana_actor) = add_agent(&db, &owner, "Ana Agent", "ana@shop.example").await;
    let (_, _, ben_actor) = add_agent(&db, &owner, "Ben Agent", "ben@shop.example").await;
    let switched_on = |db: &Db| {
        let root = db.root.clone();
        async move {
            let mut conn = root.acquire().await.unwrap();
            bot::bot_enabled(&mut conn, channel.organization_id, conversation).await.unwrap()
        }
    };
    assert!(switched_on(&db).await, "the bot answers by default");
    let events = || count(&db, "SELECT count(*) FROM events WHERE kind = 'conversation_updated'");
    let before = events().await;

    // Unassigned: any agent switches it, and the others are told.
    bot::set_bot_enabled(&db.app, &ben_actor, conversation, false).await.unwrap();
    assert!(!switched_on(&db).await);
    assert_eq!(events().await, before + 1);
    let thread = conversations::thread(&db.app, &ana_actor, conversation.0, None).await.unwrap();
    assert!(!thread.conversation.bot_enabled && thread.viewer.may_switch_bot);

    // Assigned to Ana: only Ana, not Ben, not even the owner who may assign.
    assignment::assign(&db.app, &ana_actor, conversation, Some(ana)).await.unwrap();
    for other in [&ben_actor, &owner.actor] {
        match bot::set_bot_enabled(&db.app, other, conversation, true).await {
            Err(Error::Conflict(message)) => assert!(message.contains("Ana Agent has this conversation"), "{message}"),
            result => panic!("switched by someone not in control: {result:?}"),
        }
        let thread = conversations::thread(&db.app, other, conversation.0, None).await.unwrap();
        assert!(!thread.viewer.may_switch_bot);
    }
    assert!(!switched_on(&db).await);
    bot::set_bot_enabled(&db.app, &ana_actor, conversation, true).await.unwrap();
    assert!(switched_on(&db).await);

    let stranger = register(&db.app, "Sam Stranger", "sam@other.example", "Other").await;
    assert!(matches!(bot::set_bot_enabled(&db.app, &stranger.actor, conversation, false).await, Err(Error::NotFound)));
    assert!(switched_on(&db).await);
}

#[sqlx::test(migrations = false)]
async fn a_reply_quoting_a_message_is_stored_and_sent_with_its_context(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let graph = FakeGraph::start(vec![send_accepted("wamid.REPLY")]).await;
    let owner = register(&db.app, "Olga Owner", "olga@shop.example", "Shop").await;
    let channel = connected_channel(&db.app, &owner, "Shop", &graph.base_url).await;
    let conversation = conversation(&db, &channel, "4915112345678", Some(1)).await;
    let question = message(&db, &channel, conversation, true, "Is the cake ready?", 5).await;
    let wamid = format!("wamid.{}", question.0);

    let text = MessageContent::Text(TextMessage::new("Yes, since noon", false).unwrap());
    let reply = outbound::send(&db.app, &owner.actor, conversation, text, Some(ReplyTo::Message(question))).await.unwrap();
    assert_eq!(reply.context_wamid.as_deref(), Some(wamid.as_str()));
    let cloud = CloudClient::with_timeouts(std::time::Duration::from_secs(2), std::time::Duration::from_secs(2));
    assert_eq!(worker::send_due(&db.app, &secret_key(), &cloud, &media_storage(), 10).await.unwrap(), 1);
    let sent = graph.received();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["context"]["message_id"], wamid.as_str());
    assert_eq!(sent[0]["text"]["body"], "Yes, since noon");

    // The thread carries the context, so the bubble can quote the original.
    let thread = conversations::thread(&db.app, &owner.actor, conversation.0, None).await.unwrap();
    let shown = thread.messages.iter().find(|m| m.id == reply.id.0).unwrap();
    assert_eq!(shown.context_wamid.as_deref(), Some(wamid.as_str()));
    assert!(thread.messages.iter().any(|m| m.wamid.as_deref() == Some(wamid.as_str())));

    // Another organization's message cannot be quoted.
    let stranger = register(&db.app, "Sam Stranger", "sam@other.example", "Other").await;
    let theirs = connected_channel(&db.app, &stranger, "Other", &graph.base_url).await;
    let their_conversation = common::conversation(&db, &theirs, "4915187654321", Some(1)).await;
    let text = MessageContent::Text(TextMessage::new("Hi", false).unwrap());
    let refused = outbound::send(&db.app, &stranger.actor, their_conversation, text, Some(ReplyTo::Message(question))).await;
    assert!(matches!(refused, Err(Error::NotFound)));
}

/// A customer's reaction as webhook processing stores it: the raw message object.
async fn customer_reacts(db: &Db, channel: &TestChannel, conversation: ConversationId, on: MessageId, emoji: &str) {
    let content = serde_json::json!({
        "from": "4915112345678", "id": format!("wamid.R{}", Uuid::now_v7()), "type": "reaction",
        "reaction": {"message_id": format!("wamid.{}", on.0), "emoji": emoji}
    });
    sqlx::query(
        "INSERT INTO messages (id, organization_id, conversation_id, channel_id, wamid, direction, kind, body, content, status)
         VALUES ($1, $2, $3, $4, $5, 'inbound', 'reaction', $6, $7, 'received')",
    )
    .bind(Uuid::now_v7())
    .bind(channel.organization_id)
    .bind(conversation)
    .bind(channel.id)
    .bind(content["id"].as_str())
    .bind(emoji)
    .bind(&content)
    .execute(&db.root)
    .await
    .unwrap();
}

#[sqlx::test(migrations = false)]
async fn reactions_are_attached_to_the_message_they_are_on(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let graph = FakeGraph::start(vec![send_accepted("wamid.REACTION")]).await;
    let owner = register(&db.app, "Olga Owner", "olga@shop.example", "Shop").await;
    let channel = connected_channel(&db.app, &owner, "Shop", &graph.base_url).await;
    let conversation = conversation(&db, &channel, "4915112345678", Some(1)).await;
    let question = message(&db, &channel, conversation, true, "Is the cake ready?", 5).await;
    let answer = message(&db, &channel, conversation, false, "Yes!", 4).await;
    let shown = |db: &Db, owner: &Owner| {
        let (pool, actor) = (db.app.clone(), owner.actor.clone());
        async move {
            let thread = conversations::thread(&pool, &actor, conversation.0, None).await.unwrap();
            thread.messages.iter().map(|m| (m.body.clone(), m.customer_reaction.clone(), m.team_reaction.clone())).collect::<Vec<_>>()
        }
    };

    // The customer reacts to the answer, changes their mind, and the team reacts to the question.
    customer_reacts(&db, &channel, conversation, answer, "👍").await;
    customer_reacts(&db, &channel, conversation, answer, "❤️").await;
    let sent = reactions::react(&db.app, &owner.actor, question, "🙏").await.unwrap();
    assert_eq!((sent.kind.as_str(), sent.status.as_str()), ("reaction", "pending"));
    let cloud = CloudClient::with_timeouts(std::time::Duration::from_secs(2), std::time::Duration::from_secs(2));
    assert_eq!(worker::send_due(&db.app, &secret_key(), &cloud, &media_storage(), 10).await.unwrap(), 1);
    let wire = &graph.received()[0];
    assert_eq!(wire["type"], "reaction");
    assert_eq!(wire["reaction"]["message_id"], format!("wamid.{}", question.0));
    assert_eq!(wire["reaction"]["emoji"], "🙏");
    assert_eq!(
        shown(&db, &owner).await,
        [
            ("Is the cake ready?".to_owned(), None, Some("🙏".to_owned())),
            ("Yes!".to_owned(), Some("❤️".to_owned()), None),
        ],
        "two messages, each with its reactions, and no reaction bubbles"
    );

    // An empty emoji takes a reaction back, on either side.
    customer_reacts(&db, &channel, conversation, answer, "").await;
    reactions::react(&db.app, &owner.actor, question, "").await.unwrap();
    assert_eq!(
        shown(&db, &owner).await,
        [("Is the cake ready?".to_owned(), None, None), ("Yes!".to_owned(), None, None)]
    );

    assert!(matches!(reactions::react(&db.app, &owner.actor, question, "ok").await, Err(Error::Invalid { field: "emoji", .. })));
    let stranger = register(&db.app, "Sam Stranger", "sam@other.example", "Other").await;
    assert!(matches!(reactions::react(&db.app, &stranger.actor, question, "👍").await, Err(Error::NotFound)));
}
