//! Agents' replies. [`send`] stores a message (status `pending`) and its queue row in one
//! transaction and returns at once: the [`worker`] then delivers it to Meta, retrying what Meta
//! asks to retry, so nothing an agent wrote is lost while the Cloud API is down. Statuses then
//! arrive by webhook (see `webhooks::process`).

pub mod throttle;
pub mod worker;

use crate::auth::authorize;
use crate::channels;
use crate::cloud::{CloudClient, GraphAccount};
use crate::db;
use crate::domain::cloud::{MediaKind, MediaMessage, MediaSource, MessageContent, OutboundMessage};
use crate::domain::conversation::{ConversationId, ConversationWindow, MessageId, OutboundStatus};
use crate::domain::event::Event;
use crate::domain::{Actor, ChannelId, OrganizationId, Permission, PhoneNumber, UserId};
use crate::realtime;
use crate::secrets::SecretKey;
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};

/// A stored message, inbound or outbound, as the inbox shows it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StoredMessage {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub channel_id: ChannelId,
    /// Meta's id; None until Meta accepted an outbound message.
    pub wamid: Option<String>,
    pub direction: String,
    pub kind: String,
    /// The searchable text: the text, a caption, a template's name…
    pub body: String,
    /// The message as Meta's JSON: as sent to Meta (outbound) or as received (inbound).
    pub content: Value,
    pub context_wamid: Option<String>,
    pub status: String,
    /// Meta's error for a failed message (code, title, message, details), or why its fate is unknown.
    pub error: Option<Value>,
    pub sent_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

impl StoredMessage {
    /// None for an inbound message.
    pub fn outbound_status(&self) -> Option<OutboundStatus> {
        OutboundStatus::from_key(&self.status)
    }
}

const COLUMNS: &str = "id, conversation_id, channel_id, wamid, direction, kind, body, content, context_wamid, status,
    error, sent_by, created_at";

/// Postgres channel that wakes outbound workers (of every instance) when a message is queued.
pub const NOTIFY_CHANNEL: &str = "parley_outbound";

/// The message a reply quotes: one of the conversation's, or any WhatsApp message by its wamid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyTo {
    Message(MessageId),
    Wamid(String),
}

pub const WINDOW_CLOSED: &str = "The 24-hour window is closed: only templates can be sent";

/// Queues a message from the acting agent to the conversation's customer and returns it stored
/// (`pending`). Free-form content needs the customer's 24-hour window open; templates do not.
pub async fn send(
    pool: &PgPool,
    actor: &Actor,
    conversation: ConversationId,
    content: MessageContent,
    reply_to: Option<ReplyTo>,
) -> Result<StoredMessage> {
    send_shown_as(pool, actor, conversation, content, reply_to, None).await
}

/// [`send`], shown and searched in the inbox as `shown` (a template as the customer reads it)
/// rather than as the text taken from the message sent to Meta.
pub async fn send_shown_as(
    pool: &PgPool,
    actor: &Actor,
    conversation: ConversationId,
    content: MessageContent,
    reply_to: Option<ReplyTo>,
    shown: Option<String>,
) -> Result<StoredMessage> {
    let organization = actor.organization_id;
    let mut tx = realtime::writing(pool, actor, Permission::InboxReply).await?;
    // Locked so the window checked is the window the message is queued under.
    let (channel, wa_id, last_inbound_at): (ChannelId, String, Option<DateTime<Utc>>) = sqlx::query_as(
        "SELECT c.channel_id, k.wa_id, c.last_inbound_at FROM conversations c
         JOIN contacts k ON k.organization_id = c.organization_id AND k.id = c.contact_id
         WHERE c.organization_id = $1 AND c.id = $2
         FOR UPDATE OF c",
    )
    .bind(organization)
    .bind(conversation)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    super::assignment::ensure_may_reply(&mut tx, actor, conversation).await?;
    let is_template = matches!(content, MessageContent::Template(_));
    if !is_template && !ConversationWindow::new(last_inbound_at).allows_free_form(Utc::now()) {
        return Err(Error::Conflict(WINDOW_CLOSED.into()));
    }
    let to = PhoneNumber::parse(&wa_id)
        .map_err(|e| Error::Internal(format!("conversation {conversation}: contact number {wa_id:?}: {}", e.0)))?;
    let kind = content.type_name();
    let mut message = OutboundMessage::new(to, content);
    if let Some(reply_to) = reply_to {
        let wamid = quoted_wamid(&mut tx, organization, conversation, reply_to).await?;
        message = message.replying_to(&wamid).map_err(|e| Error::invalid("reply_to", e.to_string()))?;
    }
    let json = serde_json::to_value(&message).map_err(|e| Error::Internal(format!("outbound message JSON: {e}")))?;
    let stored: StoredMessage = sqlx::query_as(&format!(
        "INSERT INTO messages (id, organization_id, conversation_id, channel_id, direction, kind, body, content,
             context_wamid, status, sent_by, media_id)
         VALUES ($1, $2, $3, $4, 'outbound', $5, $6, $7, $8, 'pending', $9, $10)
         RETURNING {COLUMNS}"
    ))
    .bind(MessageId(db::new_id()))
    .bind(organization)
    .bind(conversation)
    .bind(channel)
    .bind(kind)
    .bind(shown.unwrap_or_else(|| searchable_text(kind, &json)))
    .bind(&json)
    .bind(message.reply_to())
    .bind(actor.user_id)
    .bind(message.stored_file())
    .fetch_one(&mut *tx)
    .await?;
    enqueue(&mut tx, organization, channel, stored.id).await?;
    sqlx::query(
        "UPDATE conversations SET last_message_at = GREATEST(last_message_at, now()), updated_at = now()
         WHERE organization_id = $1 AND id = $2",
    )
    .bind(organization)
    .bind(conversation)
    .execute(&mut *tx)
    .await?;
    realtime::publish(&mut tx, organization, &Event::MessageCreated { conversation_id: conversation.0, message_id: stored.id.0 })
        .await?;
    tx.commit().await?;
    Ok(stored)
}

/// Queues one of the organization's stored files (an agent's upload or a customer's file) with an
/// optional caption. The worker puts the file on Meta, for the conversation's number, just before
/// the message goes.
pub async fn send_file(
    pool: &PgPool,
    actor: &Actor,
    conversation: ConversationId,
    file: uuid::Uuid,
    caption: &str,
    reply_to: Option<ReplyTo>,
) -> Result<StoredMessage> {
    authorize(actor, Permission::InboxReply)?;
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    let (mime_type, filename): (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT mime_type, filename FROM media WHERE organization_id = $1 AND id = $2 AND download_state = 'stored'",
    )
    .bind(actor.organization_id)
    .bind(file)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    tx.commit().await?;
    let kind = mime_type
        .as_deref()
        .and_then(MediaKind::of_mime)
        .ok_or_else(|| Error::invalid("file", "WhatsApp does not take files of this type from businesses"))?;
    let filename = filename.filter(|_| kind == MediaKind::Document);
    let media = MediaMessage::new(kind, MediaSource::Stored(file), Some(caption), filename.as_deref())
        .map_err(|e| Error::invalid("caption", e.to_string()))?;
    send(pool, actor, conversation, MessageContent::Media(media), reply_to).await
}

async fn quoted_wamid(
    conn: &mut PgConnection,
    organization: OrganizationId,
    conversation: ConversationId,
    reply_to: ReplyTo,
) -> Result<String> {
    match reply_to {
        ReplyTo::Wamid(wamid) => Ok(wamid),
        ReplyTo::Message(id) => {
            let wamid: Option<String> = sqlx::query_scalar(
                "SELECT wamid FROM messages WHERE organization_id = $1 AND conversation_id = $2 AND id = $3",
            )
            .bind(organization)
            .bind(conversation)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(Error::NotFound)?;
            wamid.ok_or_else(|| {
                Error::Conflict("That message has not reached WhatsApp yet, so it cannot be quoted".into())
            })
        }
    }
}

/// Queues the message and wakes the workers once the transaction commits.
async fn enqueue(
    conn: &mut PgConnection,
    organization: OrganizationId,
    channel: ChannelId,
    message: MessageId,
) -> Result<()> {
    sqlx::query("INSERT INTO outbound_queue (message_id, organization_id, channel_id) VALUES ($1, $2, $3)")
        .bind(message)
        .bind(organization)
        .bind(channel)
        .execute(&mut *conn)
        .await?;
    sqlx::query("SELECT pg_notify($1, '')").bind(NOTIFY_CHANNEL).execute(&mut *conn).await?;
    Ok(())
}

/// What search and previews read, taken from the Meta JSON that is sent.
fn searchable_text(kind: &str, message: &Value) -> String {
    let object = &message[kind];
    let texts: Vec<&Value> = match kind {
        "text" => vec![&object["body"]],
        "location" => vec![&object["name"], &object["address"]],
        "contacts" => object.as_array().into_iter().flatten().map(|card| &card["name"]["formatted_name"]).collect(),
        "reaction" => vec![&object["emoji"]],
        "template" => vec![&object["name"]],
        "interactive" => vec![&object["header"]["text"], &object["body"]["text"], &object["footer"]["text"]],
        _ => vec![&object["caption"], &object["filename"]],
    };
    texts.into_iter().filter_map(Value::as_str).filter(|t| !t.is_empty()).collect::<Vec<_>>().join(" ")
}

/// Sends again a message that failed, or whose fate is unknown, at a person's request. A message
/// of unknown fate may then reach the customer twice: that is the person's call, not the worker's.
pub async fn retry(pool: &PgPool, actor: &Actor, message: MessageId) -> Result<StoredMessage> {
    authorize(actor, Permission::InboxReply)?;
    let organization = actor.organization_id;
    let mut tx = db::scoped(pool, Some(organization), Some(actor.user_id)).await?;
    let (status, channel): (String, ChannelId) = sqlx::query_as(
        "SELECT status, channel_id FROM messages
         WHERE organization_id = $1 AND id = $2 AND direction = 'outbound' FOR UPDATE",
    )
    .bind(organization)
    .bind(message)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    if !OutboundStatus::from_key(&status).is_some_and(OutboundStatus::can_retry) {
        return Err(Error::Conflict("Only a message that failed or was not confirmed can be sent again".into()));
    }
    // The old wamid (of a message Meta accepted, then failed) belongs to the old attempt.
    let stored: StoredMessage = sqlx::query_as(&format!(
        "UPDATE messages SET status = 'pending', error = NULL, wamid = NULL
         WHERE organization_id = $1 AND id = $2
         RETURNING {COLUMNS}"
    ))
    .bind(organization)
    .bind(message)
    .fetch_one(&mut *tx)
    .await?;
    enqueue(&mut tx, organization, channel, message).await?;
    tx.commit().await?;
    Ok(stored)
}

/// The agent has read the conversation: their own unread count goes to zero (others keep theirs),
/// the conversation's "unread by anyone" count too, and the customer's latest message is marked
/// read at Meta (the customer sees blue ticks). The counts are reset even when Meta cannot be
/// told, which is then reported as `Upstream`.
pub async fn mark_read(
    pool: &PgPool,
    secrets: &SecretKey,
    cloud: &CloudClient,
    actor: &Actor,
    conversation: ConversationId,
) -> Result<()> {
    authorize(actor, Permission::InboxRead)?;
    let organization = actor.organization_id;
    let mut tx = db::scoped(pool, Some(organization), Some(actor.user_id)).await?;
    let channel: ChannelId = sqlx::query_scalar(
        "UPDATE conversations SET unread_count = 0, updated_at = now()
         WHERE organization_id = $1 AND id = $2 RETURNING channel_id",
    )
    .bind(organization)
    .bind(conversation)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    sqlx::query(
        "INSERT INTO conversation_reads (organization_id, conversation_id, user_id, read_at)
         VALUES ($1, $2, $3, clock_timestamp())
         ON CONFLICT (conversation_id, user_id) DO UPDATE SET read_at = EXCLUDED.read_at",
    )
    .bind(organization)
    .bind(conversation)
    .bind(actor.user_id)
    .execute(&mut *tx)
    .await?;
    let latest: Option<String> = sqlx::query_scalar(
        "SELECT wamid FROM messages
         WHERE organization_id = $1 AND conversation_id = $2 AND direction = 'inbound'
         ORDER BY sent_at DESC NULLS LAST, created_at DESC LIMIT 1",
    )
    .bind(organization)
    .bind(conversation)
    .fetch_optional(&mut *tx)
    .await?
    .flatten();
    tx.commit().await?;
    let Some(wamid) = latest else { return Ok(()) };
    let (graph, phone_number_id) = connected(pool, secrets, organization, channel).await?.map_err(Error::Conflict)?;
    cloud.mark_read(&graph, &phone_number_id, &wamid).await.map_err(|e| Error::Upstream(e.to_string()))
}

/// The channel's Graph account and phone number id, or why it cannot send.
async fn connected(
    pool: &PgPool,
    secrets: &SecretKey,
    organization: OrganizationId,
    channel: ChannelId,
) -> Result<std::result::Result<(GraphAccount, String), String>> {
    let account = channels::account(pool, secrets, organization, channel).await?;
    Ok(match (account.phone_number_id, account.access_token) {
        (Some(phone_number_id), Some(access_token)) => {
            Ok((GraphAccount { base_url: account.graph_api_base_url, access_token }, phone_number_id))
        }
        _ => Err("The channel is not connected: it needs a phone number id and an access token".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn searchable_text_is_what_a_person_would_search_for() {
        let text = json!({"type": "text", "text": {"body": "Your cake is ready"}});
        assert_eq!(searchable_text("text", &text), "Your cake is ready");
        let image = json!({"type": "image", "image": {"link": "https://x.example/a.png", "caption": "The cake"}});
        assert_eq!(searchable_text("image", &image), "The cake");
        let document = json!({"document": {"id": "1", "caption": "Invoice", "filename": "invoice.pdf"}});
        assert_eq!(searchable_text("document", &document), "Invoice invoice.pdf");
        let template = json!({"template": {"name": "order_ready", "language": {"code": "en_US"}}});
        assert_eq!(searchable_text("template", &template), "order_ready");
        let buttons = json!({"interactive": {"type": "button", "body": {"text": "Pick one"}, "action": {}}});
        assert_eq!(searchable_text("interactive", &buttons), "Pick one");
        let contacts = json!({"contacts": [{"name": {"formatted_name": "Ann"}}, {"name": {"formatted_name": "Bo"}}]});
        assert_eq!(searchable_text("contacts", &contacts), "Ann Bo");
        assert_eq!(searchable_text("audio", &json!({"audio": {"id": "9"}})), "");
    }
}
