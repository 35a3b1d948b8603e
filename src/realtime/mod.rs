//! The live inbox's engine. Whatever changes a conversation [`publish`]es an event inside its own
//! transaction: the row in `events` and the NOTIFY both exist only once it commits. Every instance
//! runs one [`Hub`], which LISTENs and fans events out to its subscribers; a [`Feed`] is what one
//! browser connection reads: the events it missed since its last one, then live ones, each once.
//!
//! Typing and presence are ephemeral ([`publish_ephemeral`]): NOTIFY only, never stored.

mod feed;
mod hub;

pub use crate::domain::event::{ClientSignal, Delivery, Event, EventId, Reset};
pub use feed::Feed;
pub use hub::{Hub, Next, Subscription};

use crate::db;
use crate::domain::{Actor, OrganizationId, Permission};
use crate::{Error, Result};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

/// The Postgres channel instances LISTEN on. A payload is `<organization>:<event id>` for a stored
/// event, `<organization>:<event JSON>` for an ephemeral one.
pub const NOTIFY_CHANNEL: &str = "parley_events";

/// Takes the organization's event lock for the rest of the transaction (again is free). Call it at
/// the start of a transaction that will [`publish`], before it locks any row.
pub async fn lock_order(conn: &mut PgConnection, organization: OrganizationId) -> Result<()> {
    sqlx::query("SELECT lock_event_order($1)")
        .bind(organization)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A transaction for a person's change that will [`publish`]: their permission checked, scoped to
/// their organization and to them, and holding the organization's event lock before any row lock.
pub async fn writing(pool: &PgPool, actor: &Actor, permission: Permission) -> Result<Transaction<'static, Postgres>> {
    crate::auth::authorize(actor, permission)?;
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    lock_order(&mut tx, actor.organization_id).await?;
    Ok(tx)
}

/// Stores the event and notifies every instance, both taking effect when the caller's transaction
/// commits (nothing if it rolls back). The transaction must be scoped to `organization`.
///
/// Event ids are what browsers resume from, so within an organization they must be in commit
/// order: a transaction that publishes holds the organization's event lock until it ends, so
/// another one cannot take a later id yet commit first and be skipped by a browser resuming
/// meanwhile. A transaction that will publish takes that lock first, with [`lock_order`], before
/// any row lock: taken after row locks, two writers could each hold what the other waits for.
pub async fn publish(conn: &mut PgConnection, organization: OrganizationId, event: &Event) -> Result<EventId> {
    let ids = publish_all(conn, organization, std::slice::from_ref(event)).await?;
    ids.first().copied().ok_or_else(|| Error::Internal("an event was published without an id".into()))
}

/// [`publish`] for several events, in order, in one round trip.
pub async fn publish_all(conn: &mut PgConnection, organization: OrganizationId, events: &[Event]) -> Result<Vec<EventId>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let publication = Publication::of(events)?;
    let ids: Vec<i64> = sqlx::query_scalar("SELECT publish_events($1, $2, $3, $4, $5)")
        .bind(organization)
        .bind(&publication.conversations)
        .bind(&publication.kinds)
        .bind(&publication.payloads)
        .bind(publication.channel)
        .fetch_one(&mut *conn)
        .await?;
    Ok(ids.into_iter().map(EventId).collect())
}

/// Events as the arguments of `publish_events(organization, conversations, kinds, payloads,
/// channel)`, for a statement that publishes as part of its own work (in its select list, so only
/// for the rows it produces), as [`publish`] would.
pub struct Publication {
    pub conversations: Vec<Uuid>,
    pub kinds: Vec<&'static str>,
    pub payloads: Vec<serde_json::Value>,
    pub channel: &'static str,
}

impl Publication {
    pub fn of(events: &[Event]) -> Result<Self> {
        let mut publication = Self {
            conversations: Vec::with_capacity(events.len()),
            kinds: Vec::with_capacity(events.len()),
            payloads: Vec::with_capacity(events.len()),
            channel: NOTIFY_CHANNEL,
        };
        for event in events {
            if event.is_ephemeral() {
                return Err(Error::Internal(format!("{} events are not stored: publish them as ephemeral", event.kind())));
            }
            publication.conversations.push(event.conversation_id());
            publication.kinds.push(event.kind());
            publication.payloads.push(serde_json::to_value(event).map_err(|e| Error::Internal(format!("event to JSON: {e}")))?);
        }
        Ok(publication)
    }
}

/// Tells every agent looking at these conversations that they changed (lists, headers and
/// panels read them again), when the caller's transaction commits. `sql` selects the conversation
/// ids from the caller's organization (`$1`) and `key` (`$2`): a contact's, a file's…
pub async fn announce_conversations(
    conn: &mut PgConnection,
    organization: OrganizationId,
    sql: &str,
    key: Uuid,
) -> Result<()> {
    let conversations: Vec<Uuid> = sqlx::query_scalar(sql).bind(organization).bind(key).fetch_all(&mut *conn).await?;
    let updates: Vec<Event> = conversations.into_iter().map(|conversation_id| Event::ConversationUpdated { conversation_id }).collect();
    publish_all(conn, organization, &updates).await?;
    Ok(())
}

/// Tells the organization's connected browsers, on every instance, right now; nothing is kept.
pub async fn publish_ephemeral(pool: &PgPool, organization: OrganizationId, event: &Event) -> Result<()> {
    if !event.is_ephemeral() {
        return Err(Error::Internal(format!("{} events are stored: publish them in their transaction", event.kind())));
    }
    let json = serde_json::to_string(event).map_err(|e| Error::Internal(format!("event to JSON: {e}")))?;
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(NOTIFY_CHANNEL)
        .bind(format!("{organization}:{json}"))
        .execute(pool)
        .await?;
    Ok(())
}

/// Whether the person may follow this conversation. Today whoever may read the inbox sees every
/// conversation of their organization; an "only assigned conversations" rule would belong here,
/// and live events and catch-up both go through it.
pub fn may_follow(actor: &Actor, organization: OrganizationId, _conversation: Uuid) -> bool {
    actor.organization_id == organization && actor.can(Permission::InboxRead)
}

/// Whether the event reaches the person: they may follow its conversation, and it is not someone
/// else's personal notification.
pub fn may_see(actor: &Actor, organization: OrganizationId, event: &Event) -> bool {
    may_follow(actor, organization, event.conversation_id()) && event.recipient().is_none_or(|to| to == actor.user_id)
}

/// Whether the conversation exists in the actor's organization and the actor may see it: what a
/// browser's typing or viewing signal is checked against before it is passed on.
pub async fn visible_conversation(pool: &PgPool, actor: &Actor, conversation: Uuid) -> Result<bool> {
    if !may_follow(actor, actor.organization_id, conversation) {
        return Ok(false);
    }
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM conversations WHERE organization_id = $1 AND id = $2")
        .bind(actor.organization_id)
        .bind(conversation)
        .fetch_optional(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(found.is_some())
}

/// One page of what happened after an event: the events the actor may see, and how far the page
/// looked (events the actor may not see are skipped, but looked past).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatchUp {
    pub events: Vec<(EventId, Event)>,
    /// The last event id examined; the next page starts after it.
    pub until: EventId,
    /// Nothing after `until` yet.
    pub complete: bool,
}

/// The stored events after `after`, oldest first, at most `limit` examined.
pub async fn events_since(pool: &PgPool, actor: &Actor, after: EventId, limit: i64) -> Result<CatchUp> {
    if !actor.can(Permission::InboxRead) {
        return Ok(CatchUp { events: Vec::new(), until: after, complete: true });
    }
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    let rows: Vec<(i64, serde_json::Value)> = sqlx::query_as(
        "SELECT id, payload FROM events WHERE organization_id = $1 AND id > $2 ORDER BY id LIMIT $3",
    )
    .bind(actor.organization_id)
    .bind(after.0)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let complete = (rows.len() as i64) < limit;
    let until = rows.last().map_or(after, |(id, _)| EventId(*id));
    let mut events = Vec::with_capacity(rows.len());
    for (id, payload) in rows {
        let event: Event = serde_json::from_value(payload)
            .map_err(|e| Error::Internal(format!("stored event {id} is unreadable: {e}")))?;
        if may_see(actor, actor.organization_id, &event) {
            events.push((EventId(id), event));
        }
    }
    Ok(CatchUp { events, until, complete })
}

/// The organization's latest stored event: where a page that has just loaded the inbox starts
/// following it (`EventId(0)` when there is none yet).
pub async fn latest_event(pool: &PgPool, actor: &Actor) -> Result<EventId> {
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    let id: Option<i64> = sqlx::query_scalar("SELECT max(id) FROM events WHERE organization_id = $1")
        .bind(actor.organization_id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(EventId(id.unwrap_or(0)))
}

/// Whether resuming after `after` is still possible: false when events after it may have been
/// deleted by the retention.
pub async fn can_resume(pool: &PgPool, after: EventId) -> Result<bool> {
    let deleted_through: i64 = sqlx::query_scalar("SELECT deleted_through FROM event_horizon").fetch_one(pool).await?;
    Ok(after.0 >= deleted_through)
}

/// Deletes events past their retention (two days); returns how many. Hubs call it hourly.
pub async fn delete_expired(pool: &PgPool) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT delete_expired_events()").fetch_one(pool).await?)
}

/// A NOTIFY payload, read back.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Notice {
    Stored(OrganizationId, EventId),
    Ephemeral(OrganizationId, Event),
}

fn parse_notice(payload: &str) -> Option<Notice> {
    let (organization, rest) = payload.split_once(':')?;
    let organization = OrganizationId(Uuid::parse_str(organization).ok()?);
    if rest.starts_with('{') {
        let event: Event = serde_json::from_str(rest).ok()?;
        event.is_ephemeral().then_some(Notice::Ephemeral(organization, event))
    } else {
        rest.parse().ok().map(|id| Notice::Stored(organization, EventId(id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{BuiltInRole, UserId};

    const ORG: OrganizationId = OrganizationId(Uuid::from_u128(10));
    const C: Uuid = Uuid::from_u128(1);

    fn actor(role: BuiltInRole) -> Actor {
        Actor { user_id: UserId(Uuid::from_u128(5)), organization_id: ORG, built_in_role: Some(role), permissions: role.permissions() }
    }

    #[test]
    fn notices_read_back_what_publish_writes() {
        assert_eq!(parse_notice(&format!("{ORG}:42")), Some(Notice::Stored(ORG, EventId(42))));
        let typing = Event::Typing { conversation_id: C, user_id: UserId(C), name: "Ana: \"hi\"".into() };
        let payload = format!("{ORG}:{}", serde_json::to_string(&typing).unwrap());
        assert_eq!(parse_notice(&payload), Some(Notice::Ephemeral(ORG, typing)));
    }

    #[test]
    fn malformed_or_forged_notices_are_ignored() {
        assert_eq!(parse_notice("42"), None);
        assert_eq!(parse_notice("not-an-org:42"), None);
        assert_eq!(parse_notice(&format!("{ORG}:forty-two")), None);
        let stored = serde_json::to_string(&Event::ConversationUpdated { conversation_id: C }).unwrap();
        assert_eq!(parse_notice(&format!("{ORG}:{stored}")), None, "stored events travel by id only");
    }

    #[test]
    fn a_publication_keeps_its_events_in_order_and_refuses_ephemeral_ones() {
        let m = Uuid::from_u128(2);
        let events = [Event::MessageCreated { conversation_id: C, message_id: m }, Event::ConversationUpdated { conversation_id: C }];
        let publication = Publication::of(&events).unwrap();
        assert_eq!(publication.conversations, [C, C]);
        assert_eq!(publication.kinds, ["message_created", "conversation_updated"]);
        let read_back: Vec<Event> = publication.payloads.into_iter().map(|p| serde_json::from_value(p).unwrap()).collect();
        assert_eq!(read_back, events);
        let typing = Event::Typing { conversation_id: C, user_id: UserId(C), name: "Ana".into() };
        assert!(Publication::of(&[typing]).is_err());
    }

    #[test]
    fn only_inbox_readers_of_the_organization_see_its_conversations() {
        let updated = Event::ConversationUpdated { conversation_id: C };
        assert!(may_see(&actor(BuiltInRole::Agent), ORG, &updated));
        assert!(!may_see(&actor(BuiltInRole::Agent), OrganizationId(Uuid::from_u128(11)), &updated));
        let mut no_inbox = actor(BuiltInRole::Agent);
        no_inbox.permissions = [Permission::ContactsRead].into_iter().collect();
        assert!(!may_see(&no_inbox, ORG, &updated));
    }

    #[test]
    fn a_notification_reaches_only_its_recipient() {
        let me = actor(BuiltInRole::Owner);
        assert!(may_see(&me, ORG, &Event::Notified { conversation_id: C, user_id: me.user_id }));
        assert!(!may_see(&me, ORG, &Event::Notified { conversation_id: C, user_id: UserId(Uuid::from_u128(6)) }));
    }
}
