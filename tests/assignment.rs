//! Who has a conversation: agents take free conversations and release their own; moving one
//! between other people needs `inbox.assign`; only the assignee (or an assigner) replies; status
//! changes; other organizations find nothing.

#![cfg(feature = "ssr")]

mod common;

use common::*;
use parley::Error;
use parley::domain::cloud::{MessageContent, TextMessage};
use parley::domain::conversation::{ConversationId, ConversationStatus};
use parley::domain::inbox::{AssigneeFilter, ListScope, StatusFilter};
use parley::inbox::{assignment, conversations, outbound};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

fn text(body: &str) -> MessageContent {
    MessageContent::Text(TextMessage::new(body, false).unwrap())
}

async fn assignee(db: &Db, conversation: ConversationId) -> Option<uuid::Uuid> {
    sqlx::query_scalar("SELECT assignee_user_id FROM conversations WHERE id = $1")
        .bind(conversation)
        .fetch_one(&db.root)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn agents_take_and_release_only_what_is_theirs_to_move(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Olga Owner", "olga@shop.example", "Shop").await;
    let channel = connected_channel(&db.app, &owner, "Shop", "http://127.0.0.1:9/v21.0").await;
    let conversation = conversation(&db, &channel, "4915112345678", Some(1)).await;
    let (ana, _, ana_actor) = add_agent(&db, &owner, "Ana Agent", "ana@shop.example").await;
    let (ben, _, ben_actor) = add_agent(&db, &owner, "Ben Agent", "ben@shop.example").await;

    assignment::assign(&db.app, &ana_actor, conversation, Some(ana)).await.unwrap();
    assert_eq!(assignee(&db, conversation).await, Some(ana.0));

    // Ben may neither take it from Ana, nor give it to himself over her, nor release it for her.
    for target in [Some(ben), None] {
        assert!(matches!(assignment::assign(&db.app, &ben_actor, conversation, target).await, Err(Error::Forbidden)));
    }
    // Nor reply while Ana has it; Ana may, and so may the owner (who assigns).
    match outbound::send(&db.app, &ben_actor, conversation, text("Ben here"), None).await {
        Err(Error::Conflict(message)) => assert!(message.contains("Ana Agent has this conversation"), "{message}"),
        other => panic!("Ben's reply: {:?}", other.map(|m| m.id)),
    }
    outbound::send(&db.app, &ana_actor, conversation, text("Ana here"), None).await.unwrap();
    outbound::send(&db.app, &owner.actor, conversation, text("Owner here"), None).await.unwrap();

    // The list filters by assignee; the thread tells each viewer what they may do.
    let mine = conversations::list(&db.app, &ana_actor, StatusFilter::All, AssigneeFilter::Mine, "", None, ListScope::default()).await.unwrap();
    assert_eq!(mine.conversations.len(), 1);
    assert_eq!(mine.conversations[0].assignee_name.as_deref(), Some("Ana Agent"));
    let bens = conversations::list(&db.app, &ben_actor, StatusFilter::All, AssigneeFilter::Mine, "", None, ListScope::default()).await.unwrap();
    assert!(bens.conversations.is_empty());
    let thread = conversations::thread(&db.app, &ben_actor, conversation.0, None).await.unwrap();
    assert!(!thread.viewer.may_reply && !thread.viewer.is_assignee && !thread.viewer.may_assign);
    let thread = conversations::thread(&db.app, &ana_actor, conversation.0, None).await.unwrap();
    assert!(thread.viewer.may_reply && thread.viewer.is_assignee);

    // Ana releases it: free again, Ben takes control.
    assignment::assign(&db.app, &ana_actor, conversation, None).await.unwrap();
    let free = conversations::list(&db.app, &ben_actor, StatusFilter::All, AssigneeFilter::Unassigned, "", None, ListScope::default()).await.unwrap();
    assert_eq!(free.conversations.len(), 1);
    assignment::assign(&db.app, &ben_actor, conversation, Some(ben)).await.unwrap();
    assert_eq!(assignee(&db, conversation).await, Some(ben.0));

    // The owner moves it to Ana; only active members can be given a conversation.
    assignment::assign(&db.app, &owner.actor, conversation, Some(ana)).await.unwrap();
    assert_eq!(assignee(&db, conversation).await, Some(ana.0));
    let stranger = register(&db.app, "Sam Stranger", "sam@other.example", "Other").await;
    assert!(matches!(
        assignment::assign(&db.app, &owner.actor, conversation, Some(stranger.user_id)).await,
        Err(Error::Invalid { field: "assignee", .. })
    ));
}

#[sqlx::test(migrations = false)]
async fn status_changes_and_other_organizations_find_nothing(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Olga Owner", "olga@shop.example", "Shop").await;
    let channel = connected_channel(&db.app, &owner, "Shop", "http://127.0.0.1:9/v21.0").await;
    let conversation = conversation(&db, &channel, "4915112345678", Some(1)).await;

    assignment::set_status(&db.app, &owner.actor, conversation, ConversationStatus::Resolved).await.unwrap();
    let resolved = conversations::list(&db.app, &owner.actor, StatusFilter::Resolved, AssigneeFilter::Everyone, "", None, ListScope::default())
        .await
        .unwrap();
    assert_eq!(resolved.conversations.len(), 1);
    let open = conversations::list(&db.app, &owner.actor, StatusFilter::Open, AssigneeFilter::Everyone, "", None, ListScope::default())
        .await
        .unwrap();
    assert!(open.conversations.is_empty());

    let stranger = register(&db.app, "Sam Stranger", "sam@other.example", "Other").await;
    assert!(matches!(
        assignment::set_status(&db.app, &stranger.actor, conversation, ConversationStatus::Open).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        assignment::assign(&db.app, &stranger.actor, conversation, Some(stranger.user_id)).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(conversations::thread(&db.app, &stranger.actor, conversation.0, None).await, Err(Error::NotFound)));
    assert_eq!(count(&db, "SELECT count(*) FROM conversations WHERE status = 'resolved' AND assignee_user_id IS NULL").await, 1);
}

#[sqlx::test(migrations = false)]
async fn conversations_go_to_people_or_teams_with_a_note_and_the_list_narrows_to_them(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    use parley::domain::TeamId;
    use parley::domain::conversation::{TransferNote, TransferTarget};
    use parley::team::teams;
    let db = setup(options).await;
    let owner = register(&db.app, "Olga Owner", "olga@shop.example", "Shop").await;
    let channel = connected_channel(&db.app, &owner, "Shop", "http://127.0.0.1:9/v21.0").await;
    let other = conversation(&db, &channel, "4915112345679", Some(2)).await;
    let conversation = conversation(&db, &channel, "4915112345678", Some(1)).await;
    let (ana, _, ana_actor) = add_agent(&db, &owner, "Ana Agent", "ana@shop.example").await;
    let (_, _, ben_actor) = add_agent(&db, &owner, "Ben Agent", "ben@shop.example").await;
    let support: TeamId = teams::create(&db.app, &owner.actor, "Support").await.unwrap();
    teams::add_member(&db.app, &owner.actor, support, ana).await.unwrap();

    // Agents may not hand conversations around; the owner may.
    let note = TransferNote::parse("Refund approved, please call back").unwrap();
    assert!(matches!(
        assignment::transfer(&db.app, &ben_actor, conversation, TransferTarget::Team(support), note.clone()).await,
        Err(Error::Forbidden)
    ));
    assignment::transfer(&db.app, &owner.actor, conversation, TransferTarget::Team(support), note.clone()).await.unwrap();

    // The team holds it: Ana (a member) may reply, Ben may not; the list narrows to the team.
    let ben_thread = conversations::thread(&db.app, &ben_actor, conversation.0, None).await.unwrap();
    assert_eq!(ben_thread.conversation.team_name.as_deref(), Some("Support"));
    assert_eq!(ben_thread.conversation.transfer_note.as_deref(), Some("Refund approved, please call back"));
    assert_eq!(ben_thread.conversation.transfer_by.as_deref(), Some("Olga Owner"));
    assert!(!ben_thread.viewer.may_reply);
    assert!(conversations::thread(&db.app, &ana_actor, conversation.0, None).await.unwrap().viewer.may_reply);
    match outbound::send(&db.app, &ben_actor, conversation, text("Ben here"), None).await {
        Err(Error::Conflict(message)) => assert!(message.contains("team Support"), "{message}"),
        other => panic!("Ben's reply: {:?}", other.map(|m| m.id)),
    }
    let anas = outbound::send(&db.app, &ana_actor, conversation, text("Ana here"), None).await.unwrap();
    // Ana stars her message: her "starred" view of the list finds the conversation, Ben's does not.
    parley::inbox::stars::set_starred(&db.app, &ana_actor, anas.id, true).await.unwrap();
    let starred = ListScope { starred: true, ..ListScope::default() };
    for (actor, expected) in [(&ana_actor, vec![conversation.0]), (&ben_actor, vec![])] {
        let page = conversations::list(&db.app, actor, StatusFilter::All, AssigneeFilter::Everyone, "", None, starred)
            .await
            .unwrap();
        assert_eq!(page.conversations.iter().map(|c| c.id).collect::<Vec<_>>(), expected);
    }
    let scope = ListScope { team: Some(support.0), ..ListScope::default() };
    let team_list = conversations::list(&db.app, &ben_actor, StatusFilter::All, AssigneeFilter::Everyone, "", None, scope)
        .await
        .unwrap();
    let ids: Vec<_> = team_list.conversations.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![conversation.0]);
    assert_eq!(team_list.conversations[0].team_name.as_deref(), Some("Support"));
    let scope = ListScope { channel: Some(channel.id.0), ..ListScope::default() };
    let by_channel = conversations::list(&db.app, &ben_actor, StatusFilter::All, AssigneeFilter::Everyone, "", None, scope)
        .await
        .unwrap();
    assert_eq!(by_channel.conversations.len(), 2);
    let nowhere = ListScope { channel: Some(uuid::Uuid::now_v7()), ..ListScope::default() };
    assert!(matches!(
        conversations::list(&db.app, &ben_actor, StatusFilter::All, AssigneeFilter::Everyone, "", None, nowhere).await,
        Err(Error::NotFound)
    ));

    // Handed to Ana with a note: she is told, and the note is the latest.
    let note = TransferNote::parse("VIP customer").unwrap();
    assignment::transfer(&db.app, &owner.actor, other, TransferTarget::Person(ana), note).await.unwrap();
    assert_eq!(assignee(&db, other).await, Some(ana.0));
    let page = parley::notifications::list(&db.app, &ana_actor, None).await.unwrap();
    assert_eq!(page.notifications[0].detail.as_deref(), Some("VIP customer"));
    assert_eq!(
        conversations::thread(&db.app, &ana_actor, other.0, None).await.unwrap().conversation.transfer_note.as_deref(),
        Some("VIP customer")
    );

    // Another organization's team is not a target, and its people find nothing.
    let stranger = register(&db.app, "Sam Stranger", "sam@other.example", "Other").await;
    let their_team = teams::create(&db.app, &stranger.actor, "Theirs").await.unwrap();
    assert!(matches!(
        assignment::transfer(&db.app, &owner.actor, other, TransferTarget::Team(their_team), None).await,
        Err(Error::Invalid { field: "team", .. })
    ));
    assert!(matches!(
        assignment::transfer(&db.app, &stranger.actor, other, TransferTarget::Team(their_team), None).await,
        Err(Error::NotFound)
    ));
    let choices = conversations::choices(&db.app, &ben_actor).await.unwrap();
    let names: Vec<_> = choices.people.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["Ana Agent", "Ben Agent", "Olga Owner"]);
    assert_eq!(choices.teams.len(), 1);
    assert_eq!(choices.channels.len(), 1);
}
