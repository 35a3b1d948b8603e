//! What one stored delivery means, written in a transaction scoped to its organization (shared with
//! that organization's other deliveries of the batch): contacts
//! and conversations of inbound messages, the messages themselves, statuses of outbound messages,
//! template reviews and channel errors. Everything here is safe to repeat: Meta delivers the same
//! payload more than once, and a worker may die after its work but before its commit.

use super::worker::ClaimedEvent;
use crate::db;
use crate::domain::conversation::MessageId;
use crate::domain::event::Event;
use crate::domain::cloud::webhook::{
    Change, CloudError, InboundMessage, MessageStatus, MessagesValue, Notification, Status, TemplateStatusUpdate,
};
use crate::domain::notification::NotificationKind;
use crate::domain::{ChannelId, OrganizationId, UserId};
use crate::{Error, Result, notifications, realtime};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::{Acquire, PgConnection, PgPool};
use std::collections::HashSet;
use uuid::Uuid;

/// The organization and channel a delivery came in through: everything it writes belongs to them.
#[derive(Clone, Copy)]
struct Scope {
    organization: OrganizationId,
    channel: ChannelId,
}

/// Processes deliveries of one organization in one transaction: one ordering lock and one commit
/// for all of them, instead of each waiting for the previous one's. A delivery that fails rolls
/// back alone; returns those, with why. An `Err` means the transaction itself failed and none of
/// them was processed.
pub(crate) async fn process<'a>(
    pool: &PgPool,
    organization: OrganizationId,
    events: &'a [ClaimedEvent],
) -> Result<Vec<(&'a ClaimedEvent, Error)>> {
    // Deliveries rarely fail, and a savepoint costs two round trips a delivery, paid under the
    // ordering lock. So the first attempt takes none; should a delivery fail, the transaction is
    // redone with a savepoint each, so that the failing one is rolled back alone.
    match attempt(pool, organization, events, Isolation::Together).await? {
        Some(failed) => Ok(failed),
        None => Ok(attempt(pool, organization, events, Isolation::Savepoints).await?.unwrap_or_default()),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Isolation {
    /// No savepoints: a failing delivery fails the attempt (`Ok(None)`), which writes nothing.
    Together,
    /// A savepoint each: a failing delivery is rolled back alone and returned.
    Savepoints,
}

async fn attempt<'a>(
    pool: &PgPool,
    organization: OrganizationId,
    events: &'a [ClaimedEvent],
    isolation: Isolation,
) -> Result<Option<Vec<(&'a ClaimedEvent, Error)>>> {
    let mut tx = db::scoped(pool, Some(organization), None).await?;
    // Everything written here is derived from the deliveries, which were committed durably before
    // Meta got its 200. Should a crash lose this commit, it loses processed_at with it and the
    // deliveries are processed again (idempotently), so the commit need not wait for the disk.
    sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?;
    realtime::lock_order(&mut tx, organization).await?;
    let due = lock_due(&mut tx, events).await?;
    let mut processed = Vec::with_capacity(due.len());
    let mut failed = Vec::new();
    for event in events.iter().filter(|e| due.contains(&e.id)) {
        match isolation {
            Isolation::Together => {
                if store_delivery(&mut tx, organization, event).await.is_err() {
                    return Ok(None);
                }
            }
            Isolation::Savepoints => {
                let mut savepoint = tx.begin().await?;
                if let Err(error) = store_delivery(&mut savepoint, organization, event).await {
                    savepoint.rollback().await?;
                    failed.push((event, error));
                    continue;
                }
                savepoint.commit().await?;
            }
        }
        processed.push(event.id);
    }
    sqlx::query("UPDATE webhook_events SET processed_at = now(), locked_until = NULL, last_error = NULL WHERE id = ANY($1)")
        .bind(&processed)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some(failed))
}

/// Locks the deliveries not processed yet and returns their ids. Should a lease have expired
/// while this worker was slow, the next worker waits here and then finds them processed, instead
/// of processing them a second time.
async fn lock_due(conn: &mut PgConnection, events: &[ClaimedEvent]) -> Result<HashSet<i64>> {
    let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    let due: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM webhook_events WHERE id = ANY($1) AND processed_at IS NULL ORDER BY id FOR UPDATE")
            .bind(&ids)
            .fetch_all(&mut *conn)
            .await?;
    Ok(due.into_iter().collect())
}

/// What one delivery says: messages, statuses and errors of its channel, template reviews.
async fn store_delivery(conn: &mut PgConnection, organization: OrganizationId, event: &ClaimedEvent) -> Result<()> {
    let notification =
        Notification::deserialize(&event.payload).map_err(|e| Error::invalid("payload", format!("unreadable notification: {e}")))?;
    let scope = Scope { organization, channel: event.channel };
    for (e, entry) in notification.entry.iter().enumerate() {
        for (c, change) in entry.changes.iter().enumerate() {
            match change {
                Change::Messages(value) => {
                    let raw_messages = &event.payload["entry"][e]["changes"][c]["value"]["messages"];
                    store_messages_value(conn, scope, value, raw_messages).await?;
                }
                Change::TemplateStatus(update) => store_template_status(conn, scope, update).await?,
                Change::Other { field } => tracing::debug!(field, event = event.id, "webhook field not processed"),
            }
        }
    }
    Ok(())
}

async fn store_messages_value(conn: &mut PgConnection, scope: Scope, value: &MessagesValue, raw_messages: &Value) -> Result<()> {
    for (i, message) in value.messages.iter().enumerate() {
        store_inbound(conn, scope, value.profile_name(&message.from), message, &raw_messages[i]).await?;
    }
    for status in &value.statuses {
        match StatusFact::from_webhook(status) {
            Some(fact) => apply_status(conn, scope, &fact).await?,
            None => tracing::debug!("status not tracked by Parley, ignored"),
        }
    }
    for error in &value.errors {
        sqlx::query(
            "INSERT INTO channel_errors (organization_id, channel_id, code, title, message, details)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(scope.organization)
        .bind(scope.channel)
        .bind(error.code)
        .bind(&error.title)
        .bind(&error.message)
        .bind(error.details())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn at(time: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp(time, 0).ok_or_else(|| Error::invalid("timestamp", format!("out of range: {time}")))
}

/// Contact, conversation, media and message of one inbound message. The message is inserted at
/// most once per channel and wamid; only a message new to Parley touches the conversation.
async fn store_inbound(
    conn: &mut PgConnection,
    scope: Scope,
    profile_name: Option<&str>,
    message: &InboundMessage,
    raw: &Value,
) -> Result<()> {
    let sent_at = at(message.timestamp.0)?;
    // Contact and conversation in one statement: under a burst, each round trip here is paid by
    // every message of the organization waiting for its ordering lock.
    let conversation: Uuid = sqlx::query_scalar(
        "WITH contact AS (
             INSERT INTO contacts (id, organization_id, wa_id, profile_name) VALUES ($1, $2, $3, $4)
             ON CONFLICT (organization_id, wa_id) DO UPDATE
                 SET profile_name = COALESCE(EXCLUDED.profile_name, contacts.profile_name), updated_at = now()
             RETURNING id
         )
         INSERT INTO conversations (id, organization_id, contact_id, channel_id)
         SELECT $5, $2, contact.id, $6 FROM contact
         ON CONFLICT (contact_id, channel_id) DO UPDATE SET contact_id = EXCLUDED.contact_id
         RETURNING id",
    )
    .bind(db::new_id())
    .bind(scope.organization)
    .bind(&message.from)
    .bind(profile_name)
    .bind(db::new_id())
    .bind(scope.channel)
    .fetch_one(&mut *conn)
    .await?;
    let media: Option<Uuid> = match message.content.media() {
        Some(m) => Some(
            sqlx::query_scalar(
                "INSERT INTO media (id, organization_id, channel_id, meta_media_id, mime_type, sha256, caption, filename)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (channel_id, meta_media_id) DO UPDATE SET meta_media_id = EXCLUDED.meta_media_id
                 RETURNING id",
            )
            .bind(db::new_id())
            .bind(scope.organization)
            .bind(scope.channel)
            .bind(&m.id)
            .bind(&m.mime_type)
            .bind(&m.sha256)
            .bind(&m.caption)
            .bind(&m.filename)
            .fetch_one(&mut *conn)
            .await?,
        ),
        None => None,
    };
    // Only a message new to Parley touches its conversation (a customer writing again reopens a
    // resolved one) and is published, all in this one statement.
    let message_id = db::new_id();
    let publication = realtime::Publication::of(&[
        Event::MessageCreated { conversation_id: conversation, message_id },
        Event::ConversationUpdated { conversation_id: conversation },
    ])?;
    let published: Option<(Option<UserId>, Vec<i64>)> = sqlx::query_as(
        "WITH inserted AS (
             INSERT INTO messages (id, organization_id, conversation_id, channel_id, wamid, direction, kind, body,
                 content, context_wamid, media_id, status, sent_at)
             VALUES ($1, $2, $3, $4, $5, 'inbound', $6, $7, $8, $9, $10, 'received', $11)
             ON CONFLICT (channel_id, wamid) DO NOTHING
             RETURNING id
         ), updated AS (
             UPDATE conversations SET
                 last_message_at = GREATEST(last_message_at, $11),
                 last_inbound_at = GREATEST(last_inbound_at, $11),
                 unread_count = unread_count + 1,
                 status = CASE WHEN status = 'resolved' THEN 'open' ELSE status END,
                 updated_at = now()
             FROM inserted
             WHERE conversations.organization_id = $2 AND conversations.id = $3
             RETURNING conversations.assignee_user_id
         )
         SELECT assignee_user_id, publish_events($2, $12, $13, $14, $15) FROM updated",
    )
    .bind(message_id)
    .bind(scope.organization)
    .bind(conversation)
    .bind(scope.channel)
    .bind(&message.id)
    .bind(message.content.kind())
    .bind(message.content.searchable_text())
    .bind(raw)
    .bind(message.context.as_ref().map(|c| &c.id))
    .bind(media)
    .bind(sent_at)
    .bind(&publication.conversations)
    .bind(&publication.kinds)
    .bind(&publication.payloads)
    .bind(publication.channel)
    .fetch_optional(&mut *conn)
    .await?;
    // Whoever has the conversation hears of it.
    if let Some((Some(user), _)) = published {
        notifications::notify(conn, scope.organization, user, NotificationKind::Message, conversation, None, None).await?;
    }
    Ok(())
}

/// A status of an outbound message, from a webhook or kept pending.
struct StatusFact {
    wamid: String,
    status: MessageStatus,
    occurred_at: DateTime<Utc>,
    /// Meta's error for a failed message: code, title, message, details.
    error: Option<Value>,
}

impl StatusFact {
    fn from_webhook(status: &Status) -> Option<Self> {
        Some(Self {
            wamid: status.id.clone(),
            status: status.status?,
            occurred_at: at(status.timestamp.0).ok()?,
            error: status.errors.first().map(error_json),
        })
    }
}

fn error_json(e: &CloudError) -> Value {
    json!({ "code": e.code, "title": e.title, "message": e.message, "details": e.details() })
}

/// Records the status once in the message's history, and moves the message forward when the
/// status is ahead of it (never backwards, never out of failed). A status whose message is not
/// known is kept in pending_statuses until it is.
async fn apply_status(conn: &mut PgConnection, scope: Scope, fact: &StatusFact) -> Result<()> {
    let message: Option<(Uuid, String, Uuid)> = sqlx::query_as(
        "SELECT id, status, conversation_id FROM messages
         WHERE organization_id = $1 AND channel_id = $2 AND wamid = $3 AND direction = 'outbound'
         FOR UPDATE",
    )
    .bind(scope.organization)
    .bind(scope.channel)
    .bind(&fact.wamid)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((message, current, conversation)) = message else {
        sqlx::query(
            "INSERT INTO pending_statuses (organization_id, channel_id, wamid, status, occurred_at, error)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(scope.organization)
        .bind(scope.channel)
        .bind(&fact.wamid)
        .bind(fact.status.key())
        .bind(fact.occurred_at)
        .bind(&fact.error)
        .execute(&mut *conn)
        .await?;
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO message_status_events (organization_id, message_id, status, occurred_at)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(scope.organization)
    .bind(message)
    .bind(fact.status.key())
    .bind(fact.occurred_at)
    .execute(&mut *conn)
    .await?;
    let current = MessageStatus::from_key(&current)
        .ok_or_else(|| Error::Internal(format!("message {message} has the unknown status {current:?}")))?;
    if let Some(next) = current.advance(fact.status) {
        sqlx::query("UPDATE messages SET status = $3, error = COALESCE($4, error) WHERE organization_id = $1 AND id = $2")
            .bind(scope.organization)
            .bind(message)
            .bind(next.key())
            .bind(&fact.error)
            .execute(&mut *conn)
            .await?;
        let status = Event::MessageStatus { conversation_id: conversation, message_id: message, status: next };
        realtime::publish(conn, scope.organization, &status).await?;
        if next == MessageStatus::Failed {
            notifications::message_failed(conn, scope.organization, MessageId(message)).await?;
        }
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct PendingStatus {
    channel_id: ChannelId,
    wamid: String,
    status: String,
    occurred_at: DateTime<Utc>,
    error: Option<Value>,
}

/// Applies pending statuses (of the last day) whose outbound message has appeared since; returns
/// how many.
pub async fn retry_pending_statuses(pool: &PgPool, limit: i64) -> Result<usize> {
    let organizations: Vec<OrganizationId> =
        sqlx::query_scalar("SELECT organization_id FROM organizations_with_resolvable_statuses($1::integer)")
            .bind(limit)
            .fetch_all(pool)
            .await?;
    let mut applied = 0;
    for organization in organizations {
        let mut tx = db::scoped(pool, Some(organization), None).await?;
        realtime::lock_order(&mut tx, organization).await?;
        let pending: Vec<PendingStatus> = sqlx::query_as(
            "SELECT p.channel_id, p.wamid, p.status, p.occurred_at, p.error FROM pending_statuses p
             WHERE p.organization_id = $1 AND p.received_at > now() - interval '1 day' AND EXISTS (
                 SELECT 1 FROM messages m
                 WHERE m.channel_id = p.channel_id AND m.wamid = p.wamid AND m.direction = 'outbound')
             ORDER BY p.occurred_at
             LIMIT $2
             FOR UPDATE OF p SKIP LOCKED",
        )
        .bind(organization)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        for PendingStatus { channel_id: channel, wamid, status, occurred_at, error } in pending {
            let Some(status) = MessageStatus::from_key(&status) else { continue };
            let fact = StatusFact { wamid, status, occurred_at, error };
            apply_status(&mut tx, Scope { organization, channel }, &fact).await?;
            sqlx::query("DELETE FROM pending_statuses WHERE channel_id = $1 AND wamid = $2 AND status = $3")
                .bind(channel)
                .bind(&fact.wamid)
                .bind(status.key())
                .execute(&mut *tx)
                .await?;
            applied += 1;
        }
        tx.commit().await?;
    }
    Ok(applied)
}

/// Meta's review of a template: its status and reason, the template row created if Parley did not
/// know it yet (made in WhatsApp Manager, say).
async fn store_template_status(conn: &mut PgConnection, scope: Scope, update: &TemplateStatusUpdate) -> Result<()> {
    let reason = update.reason.as_deref().filter(|r| !r.is_empty() && *r != "NONE");
    sqlx::query(
        "INSERT INTO templates (id, organization_id, channel_id, meta_template_id, name, language, status, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (channel_id, name, language) DO UPDATE SET
             meta_template_id = EXCLUDED.meta_template_id, status = EXCLUDED.status, reason = EXCLUDED.reason,
             updated_at = now()",
    )
    .bind(db::new_id())
    .bind(scope.organization)
    .bind(scope.channel)
    .bind(&update.message_template_id)
    .bind(&update.message_template_name)
    .bind(&update.message_template_language)
    .bind(&update.event)
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    // The webhook carries no texts: the template sync worker fetches them from the Cloud API.
    crate::templates::request_sync(conn, scope.organization, scope.channel).await
}
