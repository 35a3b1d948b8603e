//! The notification center's engine. Whatever deserves a person's attention calls [`notify`]
//! inside its own transaction: the row and the live event (to that person only) exist once it
//! commits. Reading happens per person; nobody sees another's notifications.

use crate::auth::authorize;
use crate::db;
use crate::domain::conversation::MessageId;
use crate::domain::event::Event;
use crate::domain::notification::{Notification, NotificationCursor, NotificationKind, NotificationPage};
use crate::domain::{Actor, OrganizationId, Permission, UserId};
use crate::realtime;
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

pub const PAGE_SIZE: i64 = 20;

/// Tells `user` about the conversation. An unread notification of the same kind about the same
/// conversation is brought to the top with its count raised instead of adding another.
pub async fn notify(
    conn: &mut PgConnection,
    organization: OrganizationId,
    user: UserId,
    kind: NotificationKind,
    conversation: Uuid,
    by: Option<UserId>,
    detail: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO notifications (id, organization_id, user_id, kind, conversation_id, by_user_id, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (user_id, conversation_id, kind) WHERE read_at IS NULL DO UPDATE SET
             count = notifications.count + 1, created_at = now(),
             by_user_id = EXCLUDED.by_user_id, detail = EXCLUDED.detail",
    )
    .bind(db::new_id())
    .bind(organization)
    .bind(user)
    .bind(kind.key())
    .bind(conversation)
    .bind(by)
    .bind(detail)
    .execute(&mut *conn)
    .await?;
    realtime::publish(conn, organization, &Event::Notified { conversation_id: conversation, user_id: user }).await?;
    Ok(())
}

/// The message failed: the person who wrote it hears why. Automations' messages have no author to
/// tell.
pub async fn message_failed(conn: &mut PgConnection, organization: OrganizationId, message: MessageId) -> Result<()> {
    // Only an author still active in the organization is told.
    let row: Option<(Option<UserId>, Uuid, Option<String>)> = sqlx::query_as(
        "SELECT s.user_id, m.conversation_id, COALESCE(NULLIF(m.error->>'message', ''), m.error->>'title')
         FROM messages m
         LEFT JOIN memberships s ON s.organization_id = m.organization_id AND s.user_id = m.sent_by AND s.active
         WHERE m.organization_id = $1 AND m.id = $2 AND m.direction = 'outbound'",
    )
    .bind(organization)
    .bind(message)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((Some(author), conversation, reason)) = row else { return Ok(()) };
    notify(conn, organization, author, NotificationKind::Failed, conversation, None, reason.as_deref()).await
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    kind: String,
    conversation_id: Uuid,
    contact_name: String,
    by_name: Option<String>,
    count: i32,
    detail: Option<String>,
    created_at: DateTime<Utc>,
    read_at: Option<DateTime<Utc>>,
}

/// The person's notifications, newest first, a page at a time, with their unread count.
pub async fn list(pool: &PgPool, actor: &Actor, after: Option<NotificationCursor>) -> Result<NotificationPage> {
    authorize(actor, Permission::InboxRead)?;
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT n.id, n.kind, n.conversation_id,
                COALESCE(NULLIF(k.name, ''), NULLIF(k.profile_name, ''), '+' || k.wa_id) AS contact_name,
                u.name AS by_name, n.count, n.detail, n.created_at, n.read_at
         FROM notifications n
         JOIN conversations c ON c.organization_id = n.organization_id AND c.id = n.conversation_id
         JOIN contacts k ON k.organization_id = c.organization_id AND k.id = c.contact_id
         LEFT JOIN users u ON u.id = n.by_user_id
         WHERE n.organization_id = $1 AND n.user_id = $2
           AND (n.created_at, n.id) < (COALESCE($3::timestamptz, 'infinity'),
                                       COALESCE($4::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
         ORDER BY n.created_at DESC, n.id DESC
         LIMIT $5",
    )
    .bind(actor.organization_id)
    .bind(actor.user_id)
    .bind(after.map(|c| c.created_at))
    .bind(after.map(|c| c.id))
    .bind(PAGE_SIZE + 1)
    .fetch_all(&mut *tx)
    .await?;
    let unread = count_unread(&mut tx, actor).await?;
    tx.commit().await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    let mut notifications = Vec::with_capacity(rows.len());
    for row in rows.into_iter().take(PAGE_SIZE as usize) {
        let kind = NotificationKind::from_key(&row.kind)
            .ok_or_else(|| Error::Internal(format!("notification {} has the unknown kind {:?}", row.id, row.kind)))?;
        notifications.push(Notification {
            id: row.id,
            kind,
            conversation_id: row.conversation_id,
            contact_name: row.contact_name,
            by_name: row.by_name,
            count: row.count,
            detail: row.detail,
            created_at: row.created_at,
            read: row.read_at.is_some(),
        });
    }
    let next = if more {
        notifications.last().map(|n| NotificationCursor { created_at: n.created_at, id: n.id })
    } else {
        None
    };
    Ok(NotificationPage { notifications, unread, next })
}

/// How many of the person's notifications are unread: the badge.
pub async fn unread(pool: &PgPool, actor: &Actor) -> Result<i64> {
    authorize(actor, Permission::InboxRead)?;
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    let unread = count_unread(&mut tx, actor).await?;
    tx.commit().await?;
    Ok(unread)
}

async fn count_unread(conn: &mut PgConnection, actor: &Actor) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM notifications WHERE organization_id = $1 AND user_id = $2 AND read_at IS NULL",
    )
    .bind(actor.organization_id)
    .bind(actor.user_id)
    .fetch_one(&mut *conn)
    .await?)
}

/// What the person has read: one notification, every notification about a conversation they
/// opened, or all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadScope {
    One(Uuid),
    Conversation(Uuid),
    All,
}

/// Marks notifications read; returns how many were unread. Another person's notification is
/// simply not found (nothing changes).
pub async fn mark_read(pool: &PgPool, actor: &Actor, scope: ReadScope) -> Result<u64> {
    authorize(actor, Permission::InboxRead)?;
    let (one, conversation) = match scope {
        ReadScope::One(id) => (Some(id), None),
        ReadScope::Conversation(id) => (None, Some(id)),
        ReadScope::All => (None, None),
    };
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    if let Some(id) = one {
        let found: Option<i32> =
            sqlx::query_scalar("SELECT 1 FROM notifications WHERE organization_id = $1 AND user_id = $2 AND id = $3")
                .bind(actor.organization_id)
                .bind(actor.user_id)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        found.ok_or(Error::NotFound)?;
    }
    let done = sqlx::query(
        "UPDATE notifications SET read_at = now()
         WHERE organization_id = $1 AND user_id = $2 AND read_at IS NULL
           AND ($3::uuid IS NULL OR id = $3) AND ($4::uuid IS NULL OR conversation_id = $4)",
    )
    .bind(actor.organization_id)
    .bind(actor.user_id)
    .bind(one)
    .bind(conversation)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(done)
}
