//! Emoji reactions on messages. A reaction is a message of its own at WhatsApp (kind
//! `reaction`, pointing at the wamid it reacts to), so the team's goes out like any reply —
//! stored first, sent by the worker — and the customer's arrives by webhook; the thread then
//! shows each side's latest reaction under the message it is on, and an empty emoji takes it
//! back.

use super::outbound::{self, StoredMessage};
use crate::auth::authorize;
use crate::db;
use crate::domain::cloud::{MessageContent, Reaction};
use crate::domain::conversation::{ConversationId, MessageId};
use crate::domain::{Actor, Permission};
use crate::{Error, Result};
use sqlx::PgPool;

/// Reacts with `emoji` to one of the organization's messages on behalf of the team, or removes
/// the team's reaction (`emoji` empty). Returns the queued reaction message.
pub async fn react(pool: &PgPool, actor: &Actor, message: MessageId, emoji: &str) -> Result<StoredMessage> {
    authorize(actor, Permission::InboxReply)?;
    let organization = actor.organization_id;
    let mut tx = db::scoped(pool, Some(organization), Some(actor.user_id)).await?;
    let (conversation, wamid): (ConversationId, Option<String>) =
        sqlx::query_as("SELECT conversation_id, wamid FROM messages WHERE organization_id = $1 AND id = $2 AND kind <> 'reaction'")
            .bind(organization)
            .bind(message)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(Error::NotFound)?;
    tx.commit().await?;
    let wamid = wamid.ok_or_else(|| Error::Conflict("That message has not reached WhatsApp yet, so it cannot be reacted to".into()))?;
    let reaction = Reaction::new(&wamid, emoji).map_err(|e| Error::invalid("emoji", e.to_string()))?;
    outbound::send(pool, actor, conversation, MessageContent::Reaction(reaction), None).await
}
