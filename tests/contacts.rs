//! The contact panel's engine: the contact of a conversation with its history counts; renaming
//! (announced to the live inbox, shown in the list and the thread), tags, custom fields, consent
//! and notes, each validated; agents may edit, a role without contacts.write may only read; other
//! organizations find nothing.

#![cfg(feature = "ssr")]

mod common;

use common::*;
use parley::Error;
use parley::contacts;
use parley::domain::contact::OptIn;
use parley::domain::inbox::{AssigneeFilter, ListScope, StatusFilter};
use parley::domain::{BuiltInRole, LoginTab};
use parley::inbox::conversations;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

async fn contact_of(db: &Db, conversation: uuid::Uuid) -> uuid::Uuid {
    sqlx::query_scalar("SELECT contact_id FROM conversations WHERE id = $1").bind(conversation).fetch_one(&db.root).await.unwrap()
}

/// The names of the conversations the inbox finds for `term`.
async fn searched(db: &Db, actor: &parley::domain::Actor, term: &str) -> Vec<String> {
    let page = conversations::list(&db.app, actor, StatusFilter::All, AssigneeFilter::Everyone, term, None, ListScope::default()).await.unwrap();
    page.conversations.into_iter().map(|c| c.contact_name).collect()
}

#[sqlx::test(migrations = false)]
async fn renaming_shows_everywhere_and_is_announced(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Olga Owner", "olga@shop.example", "Shop").await;
    let shop = whatsapp_channel(&db.app, &owner, "Shop line", APP_SECRET).await;
    let support = whatsapp_channel(&db.app, &owner, "Support line", APP_SECRET).await;
    let first = conversation(&db, &shop, "4915112345678", Some(1)).await;
    let contact = contact_of(&db, first.0).await;
    let second = customer_conversation(&db, &support, "4915112345678").await;
    sqlx::query(
        "INSERT INTO messages (id, organization_id, conversation_id, channel_id, wamid, direction, kind, body, content, status)
         VALUES (gen_random_uuid(), $1, $2, $3, 'wamid.c1', 'inbound', 'text', 'hi', '{}', 'received'),
                (gen_random_uuid(), $1, $2, $3, 'wamid.c2', 'inbound', 'text', 'again', '{}', 'received')",
    )
    .bind(owner.organization_id)
    .bind(first.0)
    .bind(shop.id)
    .execute(&db.root)
    .await
    .unwrap();
    let (_, _, agent) = add_agent(&db, &owner, "Ana Agent", "ana@shop.example").await;

    let details = contacts::for_conversation(&db.app, &agent, first.0).await.unwrap();
    assert_eq!((details.id, details.display_name().as_str(), details.wa_id.as_str()), (contact, "Zoë", "4915112345678"));
    assert_eq!((details.conversation_count, details.message_count), (2, 2));
    assert_eq!(details.opt_in, OptIn::Unknown);
    assert!(details.may_edit, "the Agent role edits contacts");

    let events_before = count(&db, "SELECT count(*) FROM events WHERE kind = 'conversation_updated'").await;
    contacts::rename(&db.app, &agent, contact, "  Zoë Zeta ").await.unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM events WHERE kind = 'conversation_updated'").await, events_before + 2);
    let thread = conversations::thread(&db.app, &agent, first.0, None).await.unwrap();
    assert_eq!(thread.conversation.contact_name, "Zoë Zeta");
    let list = conversations::list(&db.app, &agent, StatusFilter::All, AssigneeFilter::Everyone, "", None, ListScope::default()).await.unwrap();
    assert_eq!(list.conversations[0].contact_name, "Zoë Zeta");
    let other = contacts::for_conversation(&db.app, &agent, second).await.unwrap();
    assert_eq!(other.name.as_deref(), Some("Zoë Zeta"), "one contact across channels");
    let found = searched(&db, &agent, "zeta").await;
    assert!(!found.is_empty() && found.iter().all(|name| name == "Zoë Zeta"), "the inbox finds the new name: {found:?}");

    // An empty name falls back to the WhatsApp profile name.
    contacts::rename(&db.app, &agent, contact, " ").await.unwrap();
    let thread = conversations::thread(&db.app, &agent, first.0, None).await.unwrap();
    assert_eq!(thread.conversation.contact_name, "Zoë");
    assert_eq!(searched(&db, &agent, "zeta").await, Vec::<String>::new(), "nor the name it no longer has");
    assert_err!(contacts::rename(&db.app, &agent, contact, &"n".repeat(81)).await, Error::Invalid { field: "name", .. });
}

#[sqlx::test(migrations = false)]
async fn tags_fields_consent_and_notes(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Olga Owner", "olga@shop.example", "Shop").await;
    let channel = whatsapp_channel(&db.app, &owner, "Shop line", APP_SECRET).await;
    let conversation = customer_conversation(&db, &channel, "4915112345678").await;
    let contact = contact_of(&db, conversation).await;
    let (_, _, ana) = add_agent(&db, &owner, "Ana Agent", "ana@shop.example").await;
    let details = || contacts::for_conversation(&db.app, &ana, conversation);

    contacts::add_tag(&db.app, &ana, contact, " VIP ").await.unwrap();
    contacts::add_tag(&db.app, &ana, contact, "#vip").await.unwrap();
    contacts::add_tag(&db.app, &ana, contact, "Wholesale lead").await.unwrap();
    assert_eq!(details().await.unwrap().tags, ["vip", "wholesale-lead"]);
    contacts::remove_tag(&db.app, &ana, contact, "vip").await.unwrap();
    assert_eq!(details().await.unwrap().tags, ["wholesale-lead"]);
    assert_err!(contacts::add_tag(&db.app, &ana, contact, &"t".repeat(33)).await, Error::Invalid { field: "tag", .. });
    for i in 0..19 {
        contacts::add_tag(&db.app, &ana, contact, &format!("t{i}")).await.unwrap();
    }
    assert_err!(
        contacts::add_tag(&db.app, &ana, contact, "one-too-many").await,
        Error::Invalid { field: "tag", message } if message.contains("20")
    );

    contacts::set_field(&db.app, &ana, contact, "Plan", "Gold").await.unwrap();
    contacts::set_field(&db.app, &ana, contact, "Customer no", "A-17").await.unwrap();
    contacts::set_field(&db.app, &ana, contact, "Plan", "Platinum").await.unwrap();
    assert_eq!(
        details().await.unwrap().custom_fields,
        [("Customer no".to_owned(), "A-17".to_owned()), ("Plan".to_owned(), "Platinum".to_owned())]
    );
    contacts::remove_field(&db.app, &ana, contact, "Customer no").await.unwrap();
    assert_eq!(details().await.unwrap().custom_fields.len(), 1);
    assert_err!(contacts::set_field(&db.app, &ana, contact, &"k".repeat(41), "v").await, Error::Invalid { field: "key", .. });
    assert_err!(contacts::set_field(&db.app, &ana, contact, "Plan", " ").await, Error::Invalid { field: "value", .. });

    contacts::set_opt_in(&db.app, &ana, contact, OptIn::OptedIn, "Web form").await.unwrap();
    let consent = details().await.unwrap();
    assert_eq!((consent.opt_in, consent.opt_in_source.as_deref()), (OptIn::OptedIn, Some("Web form")));
    assert!(consent.opt_in_changed_at.is_some());
    contacts::set_opt_in(&db.app, &ana, contact, OptIn::OptedOut, "").await.unwrap();
    let consent = details().await.unwrap();
    assert_eq!((consent.opt_in, consent.opt_in_source.as_deref()), (OptIn::OptedOut, Some("Set by Ana Agent")));

    let note = contacts::add_note(&db.app, &ana, contact, "Prefers mornings").await.unwrap();
    contacts::add_note(&db.app, &owner.actor, contact, "Paid late once").await.unwrap();
    assert_err!(contacts::add_note(&db.app, &ana, contact, "  ").await, Error::Invalid { field: "note", .. });
    let notes = details().await.unwrap().notes;
    assert_eq!(notes.iter().map(|n| n.body.as_str()).collect::<Vec<_>>(), ["Paid late once", "Prefers mornings"]);
    assert_eq!(notes[1].author_name.as_deref(), Some("Ana Agent"));
    assert!(notes[1].own && !notes[0].own);
    // Only the author deletes a note.
    assert_err!(contacts::delete_note(&db.app, &owner.actor, note).await, Error::Forbidden);
    contacts::delete_note(&db.app, &ana, note).await.unwrap();
    assert_eq!(details().await.unwrap().notes.len(), 1);
    assert_err!(contacts::delete_note(&db.app, &ana, note).await, Error::NotFound);

    // Every edit that went through told the agents looking at the conversation (tags added 3 + 19
    // times and removed once, fields set 3 times and removed once, consent twice, 2 notes written
    // and one deleted); refused edits told nobody.
    let announced = count(&db, "SELECT count(*) FROM events WHERE kind = 'conversation_updated'").await;
    assert_eq!(announced, 3 + 19 + 1 + 3 + 1 + 2 + 2 + 1);
}

#[sqlx::test(migrations = false)]
async fn readers_cannot_edit_and_other_organizations_find_nothing(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Olga Owner", "olga@shop.example", "Shop").await;
    let channel = whatsapp_channel(&db.app, &owner, "Shop line", APP_SECRET).await;
    let conversation = customer_conversation(&db, &channel, "4915112345678").await;
    let contact = contact_of(&db, conversation).await;
    let note = contacts::add_note(&db.app, &owner.actor, contact, "Owner's note").await.unwrap();

    let role = parley::team::roles::create(&db.app, &owner.actor, "Viewer", &["contacts.read".to_owned()]).await.unwrap();
    let (_, _, viewer) = add_member_and_log_in(&db, &owner, "Vic Viewer", "vic@shop.example", role, LoginTab::Agent).await;
    assert!(!contacts::for_conversation(&db.app, &viewer, conversation).await.unwrap().may_edit);
    assert_err!(contacts::rename(&db.app, &viewer, contact, "Renamed").await, Error::Forbidden);
    assert_err!(contacts::add_tag(&db.app, &viewer, contact, "x").await, Error::Forbidden);
    assert_err!(contacts::set_field(&db.app, &viewer, contact, "k", "v").await, Error::Forbidden);
    assert_err!(contacts::set_opt_in(&db.app, &viewer, contact, OptIn::OptedIn, "").await, Error::Forbidden);
    assert_err!(contacts::add_note(&db.app, &viewer, contact, "n").await, Error::Forbidden);
    let no_contacts = parley::team::roles::create(&db.app, &owner.actor, "Inbox only", &["inbox.read".to_owned()]).await.unwrap();
    let (_, _, inbox_only) =
        add_member_and_log_in(&db, &owner, "Ian Inbox", "ian@shop.example", no_contacts, LoginTab::Agent).await;
    assert_err!(contacts::for_conversation(&db.app, &inbox_only, conversation).await, Error::Forbidden);
    assert!(BuiltInRole::Agent.permissions().contains(parley::domain::Permission::ContactsWrite));

    let stranger = register(&db.app, "Sam Stranger", "sam@other.example", "Other").await;
    let s = &stranger.actor;
    assert_err!(contacts::for_conversation(&db.app, s, conversation).await, Error::NotFound);
    assert_err!(contacts::rename(&db.app, s, contact, "Hijacked").await, Error::NotFound);
    assert_err!(contacts::add_tag(&db.app, s, contact, "hijacked").await, Error::NotFound);
    assert_err!(contacts::remove_tag(&db.app, s, contact, "x").await, Error::NotFound);
    assert_err!(contacts::set_field(&db.app, s, contact, "k", "v").await, Error::NotFound);
    assert_err!(contacts::remove_field(&db.app, s, contact, "k").await, Error::NotFound);
    assert_err!(contacts::set_opt_in(&db.app, s, contact, OptIn::OptedOut, "").await, Error::NotFound);
    assert_err!(contacts::add_note(&db.app, s, contact, "hijacked").await, Error::NotFound);
    assert_err!(contacts::delete_note(&db.app, s, note).await, Error::NotFound);
    assert_eq!(count(&db, "SELECT count(*) FROM contacts WHERE name IS NULL AND tags = '{}' AND opt_in = 'unknown'").await, 1);
    assert_eq!(count(&db, "SELECT count(*) FROM contact_notes").await, 1);
}
