//! Who has a conversation, and its status. An agent takes control of a conversation for
//! themselves; giving it to someone else, or taking it from someone, needs `inbox.assign`.
//! While a conversation is assigned, only its assignee (or someone allowed to assign) replies.

use crate::auth::authorize;
use crate::db;
use crate::domain::conversation::{ConversationId, ConversationStatus};
use crate::domain::event::Event;
use crate::domain::{Actor, Permission, UserId};
use crate::domain::notification::NotificationKind;
use crate::notifications;
use crate::realtime;
use crate::{Error, Result};
use sqlx::{PgConnection, PgPool};

/// Assigns the conversation to `assignee`, or unassigns it (`None`).
pub async fn assign(pool: &PgPool, actor: &Actor, conversation: ConversationId, assignee: Option<UserId>) -> Result<()> {
    authorize(actor, Permission::InboxReply)?;
    let organization = actor.organization_id;
    let mut tx = db::scoped(pool, Some(organization), Some(actor.user_id)).await?;
    realtime::lock_order(&mut tx, organization).await?;
    let current: Option<UserId> = sqlx::query_scalar(
        "SELECT assignee_user_id FROM conversations WHERE organization_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind(organization)
    .bind(conversation)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    // Taking a free conversation, or letting go of one's own, is every agent's; anything that
    // moves it between other people is an assigner's.
    let own_move = match (current, assignee) {
        (None, Some(to)) => to == actor.user_id,
        (Some(from), None) => from == actor.user_id,
        (from, to) => from == to,
    };
    if !own_move {
        authorize(actor, Permission::InboxAssign)?;
    }
    if let Some(to) = assignee {
        let active: Option<bool> =
            sqlx::query_scalar("SELECT active FROM memberships WHERE organization_id = $1 AND user_id = $2")
                .bind(organization)
                .bind(to)
                .fetch_optional(&mut *tx)
                .await?;
        if active != Some(true) {
            return Err(Error::invalid("assignee", "Choose an active member of your organization"));
        }
    }
    sqlx::query(
        "UPDATE conversations SET assignee_user_id = $3, assigned_at = CASE WHEN $3::uuid IS NULL THEN NULL ELSE now() END,
             updated_at = now()
         WHERE organization_id = $1 AND id = $2",
    )
    .bind(organization)
    .bind(conversation)
    .bind(assignee)
    .execute(&mut *tx)
    .await?;
    if let Some(to) = assignee.filter(|to| *to != actor.user_id && current != Some(*to)) {
        notifications::notify(&mut tx, organization, to, NotificationKind::Assigned, conversation.0, Some(actor.user_id), None)
            .await?;
    }
    announce(&mut tx, actor, conversation).await?;
    tx.commit().await?;
    Ok(())
}

/// Open, pending (waiting for the customer) or resolved. A customer writing again reopens a
/// resolved conversation (see the webhook processor).
pub async fn set_status(pool: &PgPool, actor: &Actor, conversation: ConversationId, status: ConversationStatus) -> Result<()> {
    authorize(actor, Permission::InboxReply)?;
    let organization = actor.organization_id;
    let mut tx = db::scoped(pool, Some(organization), Some(actor.user_id)).await?;
    realtime::lock_order(&mut tx, organization).await?;
    let updated = sqlx::query("UPDATE conversations SET status = $3, updated_at = now() WHERE organization_id = $1 AND id = $2")
        .bind(organization)
        .bind(conversation)
        .bind(status.key())
        .execute(&mut *tx)
        .await?;
    if updated.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    announce(&mut tx, actor, conversation).await?;
    tx.commit().await?;
    Ok(())
}

/// Refuses a reply to a conversation someone else has, unless the actor may assign. The
/// caller holds the conversation's row lock.
pub(crate) async fn ensure_may_reply(conn: &mut PgConnection, actor: &Actor, conversation: ConversationId) -> Result<()> {
    let holder: Option<(UserId, String)> = sqlx::query_as(
        "SELECT u.id, u.name FROM conversations c JOIN users u ON u.id = c.assignee_user_id
         WHERE c.organization_id = $1 AND c.id = $2",
    )
    .bind(actor.organization_id)
    .bind(conversation)
    .fetch_optional(&mut *conn)
    .await?;
    match holder {
        Some((user, name)) if user != actor.user_id && !actor.can(Permission::InboxAssign) => {
            Err(Error::Conflict(format!("{name} has this conversation. Take control to reply.")))
        }
        _ => Ok(()),
    }
}

async fn announce(conn: &mut PgConnection, actor: &Actor, conversation: ConversationId) -> Result<()> {
    realtime::publish(conn, actor.organization_id, &Event::ConversationUpdated { conversation_id: conversation.0 }).await?;
    Ok(())
}
