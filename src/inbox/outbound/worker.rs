//! The outbound worker: claims queued messages under a lease (`claim_outbound`, across
//! organizations), sends each to Meta and records Meta's answer in the message's own organization.
//!
//! - accepted: the wamid is stored, status `accepted`; statuses that overtook it are applied;
//! - "retry later" (rate limits, maintenance) or Meta unreachable: the message waits, its backoff
//!   doubling per attempt, and fails after [`MAX_ATTEMPTS`];
//! - refused (permanent, token, unknown codes): `failed`, with Meta's code, title, message, details;
//! - no answer (timeout), or a worker that died mid-send: `unknown`, never resent automatically,
//!   because Meta may have accepted it; a person may [`super::retry`] it.
//!
//! Messages of a batch are sent one after the other, oldest first, so a conversation's messages
//! leave in order unless one of them has to wait for a retry.

use super::throttle::Throttle;
use super::{NOTIFY_CHANNEL, connected};
use crate::cloud::{CloudClient, CloudError, GraphAccount};
use crate::db;
use crate::media::{self, MediaStorage};
use crate::domain::cloud::{ErrorClass, GraphError, OutboundMessage};
use crate::domain::conversation::MessageId;
use crate::domain::event::Event;
use crate::domain::{ChannelId, OrganizationId};
use crate::notifications;
use crate::realtime;
use crate::secrets::SecretKey;
use crate::webhooks::process;
use crate::{Error, Result};
use serde_json::{Value, json};
use sqlx::{PgConnection, PgPool};
use sqlx::postgres::PgListener;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::time::{Duration, Instant};

/// How long a claimed message is reserved for its worker: longer than any send may take, so an
/// expired lease means the worker is gone.
pub const LEASE: Duration = Duration::from_secs(120);
/// Besides notifications, how often the worker looks for messages whose retry is due.
pub const POLL: Duration = Duration::from_secs(1);
/// Attempts Meta refused with "retry later" (or could not be reached for) before a message fails.
pub const MAX_ATTEMPTS: i32 = 20;
/// The longest wait between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(600);
const BATCH: i64 = 100;

/// A queued message reserved for this worker until its lease expires.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClaimedMessage {
    pub message_id: MessageId,
    pub organization_id: OrganizationId,
    pub channel_id: ChannelId,
    /// Earlier attempts Meta asked to retry.
    pub attempts: i32,
}

/// Reserves up to `limit` due messages for `lease`. Messages whose earlier lease expired become
/// `unknown` first: their worker died while sending them.
pub async fn claim(pool: &PgPool, limit: i64, lease: Duration) -> Result<Vec<ClaimedMessage>> {
    let lease_seconds = i32::try_from(lease.as_secs()).map_err(|_| Error::Internal("lease too long".into()))?;
    let claimed = sqlx::query_as(
        "SELECT message_id, organization_id, channel_id, attempts FROM claim_outbound($1::integer, $2)",
    )
    .bind(i32::try_from(limit).unwrap_or(i32::MAX))
    .bind(lease_seconds)
    .fetch_all(pool)
    .await?;
    Ok(claimed)
}

/// The wait before attempt `attempts + 1`: 1 s, 2 s, 4 s … up to [`MAX_BACKOFF`].
pub fn backoff(attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(16);
    Duration::from_secs(1u64 << exponent).min(MAX_BACKOFF)
}

/// What sending needs: the database, the channels' secrets, Meta, and the stored files that
/// attachments carry.
#[derive(Clone, Copy)]
struct Outbox<'a> {
    pool: &'a PgPool,
    secrets: &'a SecretKey,
    cloud: &'a CloudClient,
    storage: &'a MediaStorage,
}

/// Sends up to `limit` due messages once; returns how many it claimed.
pub async fn send_due(
    pool: &PgPool,
    secrets: &SecretKey,
    cloud: &CloudClient,
    storage: &MediaStorage,
    limit: i64,
) -> Result<usize> {
    pass(Outbox { pool, secrets, cloud, storage }, limit, &mut Throttle::default()).await
}

/// Runs forever: sends what is due, then sleeps until a message is queued (any instance's, through
/// Postgres) or [`POLL`] has passed.
pub async fn run(pool: PgPool, secrets: SecretKey, cloud: CloudClient, storage: MediaStorage) {
    let mut throttle = Throttle::default();
    let mut listener = listen(&pool).await;
    let outbox = Outbox { pool: &pool, secrets: &secrets, cloud: &cloud, storage: &storage };
    loop {
        loop {
            match pass(outbox, BATCH, &mut throttle).await {
                Ok(n) if n as i64 == BATCH => continue,
                Ok(_) => break,
                Err(error) => {
                    tracing::error!(%error, "outbound worker: claiming messages failed");
                    break;
                }
            }
        }
        match listener.as_mut() {
            Some(l) => {
                if let Ok(Err(error)) = tokio::time::timeout(POLL, l.recv()).await {
                    tracing::warn!(%error, "outbound notifications interrupted, polling meanwhile");
                    tokio::time::sleep(POLL).await;
                }
            }
            None => tokio::time::sleep(POLL).await,
        }
    }
}

async fn listen(pool: &PgPool) -> Option<PgListener> {
    let listener = async {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(NOTIFY_CHANNEL).await?;
        Ok::<_, sqlx::Error>(listener)
    };
    match listener.await {
        Ok(l) => Some(l),
        Err(error) => {
            tracing::warn!(%error, "cannot listen for outbound notifications, polling instead");
            None
        }
    }
}

/// What became of one attempt.
#[derive(Debug)]
enum Outcome {
    Accepted { wamid: String },
    /// The channel's throughput is used up: not an attempt, just a wait.
    Throttled(Duration),
    RetryLater(String),
    Failed(Value),
    Unknown(String),
}

type Accounts = HashMap<ChannelId, std::result::Result<(GraphAccount, String), String>>;

async fn pass(outbox: Outbox<'_>, limit: i64, throttle: &mut Throttle) -> Result<usize> {
    let pool = outbox.pool;
    let claimed = claim(pool, limit, LEASE).await?;
    let mut accounts = Accounts::new();
    let mut accepted = 0;
    for message in &claimed {
        let outcome = match attempt(outbox, throttle, &mut accounts, message).await {
            Ok(outcome) => outcome,
            Err(error) => Outcome::RetryLater(error.to_string()),
        };
        if matches!(outcome, Outcome::Accepted { .. }) {
            accepted += 1;
        }
        if let Err(error) = record(pool, message, outcome).await {
            // The lease runs out and the message becomes unknown: Meta may have it already.
            tracing::error!(message = %message.message_id, %error, "outbound worker: could not record an attempt");
        }
    }
    if accepted > 0 {
        process::retry_pending_statuses(pool, BATCH).await?;
    }
    Ok(claimed.len())
}

async fn attempt(
    outbox: Outbox<'_>,
    throttle: &mut Throttle,
    accounts: &mut Accounts,
    claimed: &ClaimedMessage,
) -> Result<Outcome> {
    let Outbox { pool, secrets, cloud, .. } = outbox;
    let account = match accounts.entry(claimed.channel_id) {
        Entry::Occupied(known) => known.into_mut(),
        Entry::Vacant(new) => new.insert(connected(pool, secrets, claimed.organization_id, claimed.channel_id).await?),
    };
    let (graph, phone_number_id) = match account {
        Ok(account) => &*account,
        Err(reason) => return Ok(Outcome::Failed(json!({ "message": reason }))),
    };
    let mut tx = db::scoped(pool, Some(claimed.organization_id), None).await?;
    let content: Value = sqlx::query_scalar("SELECT content FROM messages WHERE organization_id = $1 AND id = $2")
        .bind(claimed.organization_id)
        .bind(claimed.message_id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    let message: OutboundMessage = match serde_json::from_value(content) {
        Ok(message) => message,
        Err(error) => return Ok(Outcome::Failed(json!({ "message": format!("Cannot be sent as stored: {error}") }))),
    };
    let message = match message.stored_file() {
        None => message,
        Some(file) => match on_meta(outbox, graph, phone_number_id, claimed, file).await? {
            Ok(meta_media_id) => match message.with_uploaded_file(&meta_media_id) {
                Ok(message) => message,
                Err(rejected) => return Ok(Outcome::Failed(json!({ "message": rejected.to_string() }))),
            },
            Err(outcome) => return Ok(outcome),
        },
    };
    if let Err(wait) = throttle.take(claimed.channel_id, Instant::now()) {
        return Ok(Outcome::Throttled(wait));
    }
    Ok(match cloud.send(graph, phone_number_id, &message).await {
        Ok(accepted) => Outcome::Accepted { wamid: accepted.wamid },
        Err(error @ (CloudError::Graph(_) | CloudError::Rejected(_) | CloudError::Unreachable(_))) => refused(error),
        // Meta (or a proxy before it) may have taken the message before the answer got lost.
        Err(error @ (CloudError::Timeout | CloudError::UnexpectedResponse { .. })) => {
            Outcome::Unknown(error.to_string())
        }
    })
}

/// What an answer that is not a success means for the message (a lost answer aside).
fn refused(error: CloudError) -> Outcome {
    match error {
        CloudError::Graph(error) => match error.class() {
            ErrorClass::RetryLater => Outcome::RetryLater(error.describe()),
            ErrorClass::Permanent | ErrorClass::Auth | ErrorClass::Other => Outcome::Failed(graph_error(&error)),
        },
        CloudError::Rejected(rejected) => Outcome::Failed(json!({ "message": rejected.to_string() })),
        error => Outcome::RetryLater(error.to_string()),
    }
}

/// Meta's id for the stored file on the sending number: this channel's upload of the last 29 days
/// (Meta keeps uploads for 30), or a new upload. An upload whose answer is lost is simply done
/// again: unlike a message, a second copy of a file reaches no customer.
async fn on_meta(
    outbox: Outbox<'_>,
    graph: &GraphAccount,
    phone_number_id: &str,
    claimed: &ClaimedMessage,
    file: uuid::Uuid,
) -> Result<std::result::Result<String, Outcome>> {
    let organization = claimed.organization_id;
    let mut tx = db::scoped(outbox.pool, Some(organization), None).await?;
    let uploaded: Option<String> = sqlx::query_scalar(
        "SELECT meta_media_id FROM media_uploads
         WHERE organization_id = $1 AND media_id = $2 AND channel_id = $3 AND uploaded_at > now() - interval '29 days'",
    )
    .bind(organization)
    .bind(file)
    .bind(claimed.channel_id)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    if let Some(meta_media_id) = uploaded {
        return Ok(Ok(meta_media_id));
    }
    let kept = match media::kept_file(outbox.pool, outbox.storage, organization, None, file).await {
        Ok(kept) => kept,
        Err(Error::NotFound) => {
            return Ok(Err(Outcome::Failed(json!({ "message": "The attached file is no longer stored" }))));
        }
        Err(error) => return Ok(Err(Outcome::RetryLater(format!("Reading the attached file: {error}")))),
    };
    let filename = kept.filename.unwrap_or_else(|| "file".to_owned());
    let meta_media_id = match outbox.cloud.upload_media(graph, phone_number_id, &kept.content_type, &filename, kept.bytes).await {
        Ok(id) => id,
        Err(error) => return Ok(Err(refused(error))),
    };
    let mut tx = db::scoped(outbox.pool, Some(organization), None).await?;
    sqlx::query(
        "INSERT INTO media_uploads (organization_id, media_id, channel_id, meta_media_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (media_id, channel_id) DO UPDATE SET meta_media_id = EXCLUDED.meta_media_id, uploaded_at = now()",
    )
    .bind(organization)
    .bind(file)
    .bind(claimed.channel_id)
    .bind(&meta_media_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Ok(meta_media_id))
}

/// Meta's error as a failed message keeps it, in the shape status webhooks report errors.
fn graph_error(error: &GraphError) -> Value {
    json!({
        "code": error.code,
        "title": error.error_type,
        "message": error.message,
        "details": error.details,
        "subcode": error.subcode,
        "fbtrace_id": error.fbtrace_id,
    })
}

async fn record(pool: &PgPool, claimed: &ClaimedMessage, outcome: Outcome) -> Result<()> {
    let (organization, message) = (claimed.organization_id, claimed.message_id);
    let mut tx = db::scoped(pool, Some(organization), None).await?;
    // Agents watching the conversation see the ticks move, or the reason it failed.
    let visible = !matches!(outcome, Outcome::Throttled(_))
        && !matches!(outcome, Outcome::RetryLater(_) if claimed.attempts + 1 < MAX_ATTEMPTS);
    if visible {
        realtime::lock_order(&mut tx, organization).await?;
    }
    match outcome {
        Outcome::Accepted { wamid } => {
            // Also from unknown: a slow answer that still came is the truth.
            sqlx::query(
                "UPDATE messages SET wamid = $3, status = 'accepted', error = NULL, sent_at = now()
                 WHERE organization_id = $1 AND id = $2 AND status IN ('pending', 'unknown')",
            )
            .bind(organization)
            .bind(message)
            .bind(&wamid)
            .execute(&mut *tx)
            .await?;
            status_event(&mut tx, organization, message, "accepted").await?;
            dequeue(&mut tx, message).await?;
        }
        Outcome::Throttled(wait) => {
            sqlx::query(
                "UPDATE outbound_queue SET locked_until = NULL, next_attempt_at = now() + $2 WHERE message_id = $1",
            )
            .bind(message)
            .bind(wait)
            .execute(&mut *tx)
            .await?;
        }
        Outcome::RetryLater(reason) if claimed.attempts + 1 < MAX_ATTEMPTS => {
            let attempts = claimed.attempts + 1;
            tracing::info!(message = %message, attempts, reason, "outbound message retried later");
            sqlx::query(
                "UPDATE outbound_queue SET attempts = attempts + 1, last_error = $2, locked_until = NULL,
                     next_attempt_at = now() + $3
                 WHERE message_id = $1",
            )
            .bind(message)
            .bind(&reason)
            .bind(backoff(claimed.attempts + 1))
            .execute(&mut *tx)
            .await?;
        }
        Outcome::RetryLater(reason) => {
            let error = json!({ "message": format!("Gave up after {MAX_ATTEMPTS} attempts: {reason}") });
            fail(&mut tx, organization, message, &error).await?;
        }
        Outcome::Failed(error) => fail(&mut tx, organization, message, &error).await?,
        Outcome::Unknown(reason) => {
            tracing::warn!(message = %message, reason, "outbound message: outcome unknown, not resent");
            sqlx::query(
                "UPDATE messages SET status = 'unknown', error = $3
                 WHERE organization_id = $1 AND id = $2 AND status = 'pending'",
            )
            .bind(organization)
            .bind(message)
            .bind(json!({ "message": reason }))
            .execute(&mut *tx)
            .await?;
            dequeue(&mut tx, message).await?;
        }
    }
    if visible {
        announce(&mut tx, organization, message).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Tells the organization's open inboxes that the message's conversation changed.
async fn announce(tx: &mut PgConnection, organization: OrganizationId, message: MessageId) -> Result<()> {
    let conversation: Option<uuid::Uuid> =
        sqlx::query_scalar("SELECT conversation_id FROM messages WHERE organization_id = $1 AND id = $2")
            .bind(organization)
            .bind(message)
            .fetch_optional(&mut *tx)
            .await?;
    if let Some(conversation_id) = conversation {
        realtime::publish(tx, organization, &Event::ConversationUpdated { conversation_id }).await?;
    }
    Ok(())
}

async fn fail(tx: &mut PgConnection, organization: OrganizationId, message: MessageId, error: &Value) -> Result<()> {
    sqlx::query(
        "UPDATE messages SET status = 'failed', error = $3
         WHERE organization_id = $1 AND id = $2 AND status IN ('pending', 'unknown')",
    )
    .bind(organization)
    .bind(message)
    .bind(error)
    .execute(&mut *tx)
    .await?;
    status_event(tx, organization, message, "failed").await?;
    dequeue(tx, message).await?;
    notifications::message_failed(tx, organization, message).await
}

async fn status_event(
    tx: &mut PgConnection,
    organization: OrganizationId,
    message: MessageId,
    status: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO message_status_events (organization_id, message_id, status, occurred_at)
         VALUES ($1, $2, $3, now()) ON CONFLICT DO NOTHING",
    )
    .bind(organization)
    .bind(message)
    .bind(status)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn dequeue(tx: &mut PgConnection, message: MessageId) -> Result<()> {
    sqlx::query("DELETE FROM outbound_queue WHERE message_id = $1").bind(message).execute(&mut *tx).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_ten_minutes() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(2), Duration::from_secs(2));
        assert_eq!(backoff(5), Duration::from_secs(16));
        assert_eq!(backoff(10), Duration::from_secs(512));
        assert_eq!(backoff(11), MAX_BACKOFF);
        assert_eq!(backoff(MAX_ATTEMPTS), MAX_BACKOFF);
        assert_eq!(backoff(0), Duration::from_secs(1));
    }
}
