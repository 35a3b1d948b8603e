//! The chatbot's switch in each conversation. Whoever is in control of the conversation decides
//! whether the bot answers there: the assignee, or, while it is unassigned, any agent who may
//! reply. Automations read the switch with [`bot_enabled`].

use crate::domain::conversation::ConversationId;
use crate::domain::event::Event;
use crate::domain::{Actor, OrganizationId, Permission, UserId};
use crate::realtime;
use crate::{Error, Result};
use sqlx::{PgConnection, PgPool};

/// Switches the bot on or off in the conversation; every agent watching sees it change.
pub async fn set_bot_enabled(pool: &PgPool, actor: &Actor, conversation: ConversationId, enabled: bool) -> Result<()> {
    let organization = actor.organization_id;
    let mut tx = realtime::writing(pool, actor, Permission::InboxReply).await?;
    let holder: Option<Option<(UserId, String)>> = sqlx::query_as::<_, (Option<UserId>, Option<String>)>(
        "SELECT c.assignee_user_id, u.name FROM conversations c LEFT JOIN users u ON u.id = c.assignee_user_id
         WHERE c.organization_id = $1 AND c.id = $2 FOR UPDATE OF c",
    )
    .bind(organization)
    .bind(conversation)
    .fetch_optional(&mut *tx)
    .await?
    .map(|(user, name)| user.zip(name));
    match holder.ok_or(Error::NotFound)? {
        Some((user, name)) if user != actor.user_id => {
            return Err(Error::Conflict(format!("{name} has this conversation: only they can switch the bot.")));
        }
        _ => {}
    }
    sqlx::query("UPDATE conversations SET bot_enabled = $3, updated_at = now() WHERE organization_id = $1 AND id = $2")
        .bind(organization)
        .bind(conversation)
        .bind(enabled)
        .execute(&mut *tx)
        .await?;
    realtime::publish(&mut tx, organization, &Event::ConversationUpdated { conversation_id: conversation.0 }).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether the bot may answer in the conversation, for automations working inside the
/// organization's scoped transaction.
pub async fn bot_enabled(conn: &mut PgConnection, organization: OrganizationId, conversation: ConversationId) -> Result<bool> {
    sqlx::query_scalar("SELECT bot_enabled FROM conversations WHERE organization_id = $1 AND id = $2")
        .bind(organization)
        .bind(conversation)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(Error::NotFound)
}
