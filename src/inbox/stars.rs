//! Starred messages: each person stars the messages they want to find again. Stars are private
//! to the person (row-level security checks the person too), so starring changes nothing the
//! rest of the team sees; its event reaches only the person's own tabs.

use crate::auth::authorize;
use crate::db;
use crate::domain::conversation::MessageId;
use crate::domain::event::Event;
use crate::domain::starred::{ChannelOption, StarredCursor, StarredMessage, StarredPage};
use crate::domain::{Actor, ChannelId, Permission};
use crate::{Error, Result, realtime};
use sqlx::PgPool;
use uuid::Uuid;

pub const PAGE_SIZE: i64 = 30;

/// Stars (`starred`) or unstars one of the organization's messages for the acting person.
/// Repeating either is harmless, and tells nobody.
pub async fn set_starred(pool: &PgPool, actor: &Actor, message: MessageId, starred: bool) -> Result<()> {
    let organization = actor.organization_id;
    let mut tx = realtime::writing(pool, actor, Permission::InboxRead).await?;
    let conversation: Option<Uuid> =
        sqlx::query_scalar("SELECT conversation_id FROM messages WHERE organization_id = $1 AND id = $2")
            .bind(organization)
            .bind(message)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(conversation_id) = conversation else {
        return Err(Error::NotFound);
    };
    let sql = if starred {
        "INSERT INTO message_stars (organization_id, user_id, message_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
    } else {
        "DELETE FROM message_stars WHERE organization_id = $1 AND user_id = $2 AND message_id = $3"
    };
    let changed = sqlx::query(sql).bind(organization).bind(actor.user_id).bind(message).execute(&mut *tx).await?;
    if changed.rows_affected() > 0 {
        realtime::publish(&mut tx, organization, &Event::Starred { conversation_id, user_id: actor.user_id }).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The acting person's starred messages, newest first, optionally of one channel, a page at a
/// time, with the organization's channels for the filter. A channel not of the organization is
/// not found.
pub async fn starred(
    pool: &PgPool,
    actor: &Actor,
    channel: Option<ChannelId>,
    after: Option<StarredCursor>,
) -> Result<StarredPage> {
    authorize(actor, Permission::InboxRead)?;
    let organization = actor.organization_id;
    let mut tx = db::scoped(pool, Some(organization), Some(actor.user_id)).await?;
    let channels: Vec<ChannelOption> =
        sqlx::query_as("SELECT id, name FROM channels WHERE organization_id = $1 ORDER BY name, id")
            .bind(organization)
            .fetch_all(&mut *tx)
            .await?;
    if channel.is_some_and(|c| !channels.iter().any(|o| o.id == c.0)) {
        return Err(Error::NotFound);
    }
    let mut messages: Vec<StarredMessage> = sqlx::query_as(
        "SELECT m.id AS message_id, m.conversation_id, ch.name AS channel_name,
                COALESCE(NULLIF(k.name, ''), NULLIF(k.profile_name, ''), '+' || k.wa_id) AS contact_name,
                m.direction, m.kind, m.body, m.created_at, s.starred_at
         FROM message_stars s
         JOIN messages m ON m.organization_id = s.organization_id AND m.id = s.message_id
         JOIN conversations c ON c.organization_id = m.organization_id AND c.id = m.conversation_id
         JOIN contacts k ON k.organization_id = c.organization_id AND k.id = c.contact_id
         JOIN channels ch ON ch.organization_id = m.organization_id AND ch.id = m.channel_id
         WHERE s.organization_id = $1 AND s.user_id = $2
           AND ($3::uuid IS NULL OR m.channel_id = $3)
           AND (m.created_at, m.id) < (COALESCE($4::timestamptz, 'infinity'),
                                       COALESCE($5::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
         ORDER BY m.created_at DESC, m.id DESC
         LIMIT $6",
    )
    .bind(organization)
    .bind(actor.user_id)
    .bind(channel)
    .bind(after.map(|a| a.created_at))
    .bind(after.map(|a| a.message_id))
    .bind(PAGE_SIZE + 1)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let next = if messages.len() as i64 > PAGE_SIZE {
        messages.truncate(PAGE_SIZE as usize);
        messages.last().map(StarredCursor::after)
    } else {
        None
    };
    Ok(StarredPage { messages, next, channels })
}
