//! Quick replies: the team's canned answers. Writers (templates.write) create, edit and delete
//! them; every inbox reader lists them; a conversation offers those for all channels and those
//! for its own; shortcuts are unique per organization whatever their case; other organizations
//! find nothing.

#![cfg(feature = "ssr")]

mod common;

use common::*;
use parley::Error;
use parley::quick_replies::{self, QuickReplyForm};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

fn form(shortcut: &str, text: &str, channel: Option<parley::domain::ChannelId>) -> QuickReplyForm {
    QuickReplyForm { shortcut: shortcut.into(), text: text.into(), channel }
}

#[sqlx::test(migrations = false)]
async fn writers_create_edit_and_delete_quick_replies(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Olga Owner", "olga@shop.example", "Shop").await;

    let id = quick_replies::create(&db.app, &owner.actor, &form("/ship", " It ships today. ", None)).await.unwrap();
    let all = quick_replies::list(&db.app, &owner.actor, "").await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!((all[0].id, all[0].shortcut.as_str(), all[0].text.as_str()), (id, "ship", "It ships today."));

    quick_replies::update(&db.app, &owner.actor, id, &form("shipping", "It ships tomorrow.", None)).await.unwrap();
    quick_replies::create(&db.app, &owner.actor, &form("hours", "We are open 9 to 5.", None)).await.unwrap();
    let found = quick_replies::list(&db.app, &owner.actor, "/ship").await.unwrap();
    assert_eq!(found.iter().map(|r| r.shortcut.as_str()).collect::<Vec<_>>(), ["shipping"]);
    let by_text = quick_replies::list(&db.app, &owner.actor, "OPEN 9").await.unwrap();
    assert_eq!(by_text.iter().map(|r| r.shortcut.as_str()).collect::<Vec<_>>(), ["hours"]);

    quick_replies::delete(&db.app, &owner.actor, id).await.unwrap();
    assert_eq!(quick_replies::list(&db.app, &owner.actor, "").await.unwrap().len(), 1);
    assert_err!(quick_replies::delete(&db.app, &owner.actor, id).await, Error::NotFound);
    assert_err!(quick_replies::update(&db.app, &owner.actor, id, &form("x", "y", None)).await, Error::NotFound);
}

#[sqlx::test(migrations = false)]
async fn invalid_input_and_duplicate_shortcuts_are_refused_on_their_field(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Olga Owner", "olga@shop.example", "Shop").await;
    let a = &owner.actor;

    assert_err!(quick_replies::create(&db.app, a, &form("two words", "x", None)).await, Error::Invalid { field: "shortcut", .. });
    assert_err!(quick_replies::create(&db.app, a, &form(&"s".repeat(33), "x", None)).await, Error::Invalid { field: "shortcut", .. });
    assert_err!(quick_replies::create(&db.app, a, &form("ok", "   ", None)).await, Error::Invalid { field: "text", .. });
    assert_err!(quick_replies::create(&db.app, a, &form("ok", &"t".repeat(4097), None)).await, Error::Invalid { field: "text", .. });

    quick_replies::create(&db.app, a, &form("ship", "Ships today", None)).await.unwrap();
    let other = quick_replies::create(&db.app, a, &form("hours", "9 to 5", None)).await.unwrap();
    assert_err!(
        quick_replies::create(&db.app, a, &form("SHIP", "Shouting", None)).await,
        Error::Invalid { field: "shortcut", message } if message.contains("already used")
    );
    assert_err!(quick_replies::update(&db.app, a, other, &form("/Ship", "9 to 5", None)).await, Error::Invalid { field: "shortcut", .. });
    assert_eq!(count(&db, "SELECT count(*) FROM quick_replies").await, 2);
}

#[sqlx::test(migrations = false)]
async fn a_conversation_offers_replies_for_all_channels_and_its_own(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Olga Owner", "olga@shop.example", "Shop").await;
    let shop = whatsapp_channel(&db.app, &owner, "Shop line", APP_SECRET).await;
    let support = whatsapp_channel(&db.app, &owner, "Support line", APP_SECRET).await;
    let at_shop = customer_conversation(&db, &shop, "4915112345678").await;
    let at_support = customer_conversation(&db, &support, "4915187654321").await;

    quick_replies::create(&db.app, &owner.actor, &form("hello", "Hello!", None)).await.unwrap();
    quick_replies::create(&db.app, &owner.actor, &form("ship", "Your order ships today.", Some(shop.id))).await.unwrap();
    quick_replies::create(&db.app, &owner.actor, &form("ticket", "Your ticket is open.", Some(support.id))).await.unwrap();

    let shortcuts = |replies: Vec<parley::domain::quick_reply::QuickReply>| {
        replies.into_iter().map(|r| r.shortcut).collect::<Vec<_>>()
    };
    assert_eq!(shortcuts(quick_replies::for_conversation(&db.app, &owner.actor, at_shop).await.unwrap()), ["hello", "ship"]);
    assert_eq!(shortcuts(quick_replies::for_conversation(&db.app, &owner.actor, at_support).await.unwrap()), ["hello", "ticket"]);
    let listed = quick_replies::list(&db.app, &owner.actor, "ship").await.unwrap();
    assert_eq!(listed[0].channel_name.as_deref(), Some("Shop line"));
}

#[sqlx::test(migrations = false)]
async fn agents_use_but_do_not_write_and_other_organizations_find_nothing(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Olga Owner", "olga@shop.example", "Shop").await;
    let channel = whatsapp_channel(&db.app, &owner, "Shop line", APP_SECRET).await;
    let conversation = customer_conversation(&db, &channel, "4915112345678").await;
    let id = quick_replies::create(&db.app, &owner.actor, &form("ship", "Ships today", Some(channel.id))).await.unwrap();

    // The Agent role reads the inbox but does not write templates.
    let (_, _, agent) = add_agent(&db, &owner, "Ana Agent", "ana@shop.example").await;
    assert_eq!(quick_replies::for_conversation(&db.app, &agent, conversation).await.unwrap().len(), 1);
    assert_eq!(quick_replies::list(&db.app, &agent, "").await.unwrap().len(), 1);
    assert_err!(quick_replies::create(&db.app, &agent, &form("mine", "x", None)).await, Error::Forbidden);
    assert_err!(quick_replies::update(&db.app, &agent, id, &form("mine", "x", None)).await, Error::Forbidden);
    assert_err!(quick_replies::delete(&db.app, &agent, id).await, Error::Forbidden);

    // Another organization sees none of it, changes none of it, and cannot point at its channel.
    let stranger = register(&db.app, "Sam Stranger", "sam@other.example", "Other").await;
    assert!(quick_replies::list(&db.app, &stranger.actor, "").await.unwrap().is_empty());
    assert_err!(quick_replies::for_conversation(&db.app, &stranger.actor, conversation).await, Error::NotFound);
    assert_err!(quick_replies::update(&db.app, &stranger.actor, id, &form("hijack", "x", None)).await, Error::NotFound);
    assert_err!(quick_replies::delete(&db.app, &stranger.actor, id).await, Error::NotFound);
    assert_err!(
        quick_replies::create(&db.app, &stranger.actor, &form("theirs", "x", Some(channel.id))).await,
        Error::Invalid { field: "channel", .. }
    );
    // Their own shortcut may be the same word: uniqueness is per organization.
    quick_replies::create(&db.app, &stranger.actor, &form("ship", "Ours ships too", None)).await.unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM quick_replies WHERE shortcut = 'ship' AND text = 'Ships today'").await, 1);
}
