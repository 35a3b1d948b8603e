//! Durable intake with group commit. Each delivery must be committed before Meta gets its 200, and
//! one commit (one fsync) per delivery would cap throughput at the disk's flush rate. So a single
//! task takes every delivery waiting at that moment, inserts them with one INSERT per organization
//! in one transaction, commits once, and only then answers each waiting request. Under load the
//! batches grow by themselves; when idle a delivery is committed alone, without waiting.

use crate::domain::{ChannelId, OrganizationId};
use crate::{Error, Result};
use bytes::Bytes;
use sqlx::PgPool;
use std::collections::BTreeMap;
use tokio::sync::{mpsc, oneshot};

/// The Postgres channel workers LISTEN on; notified by every ingest commit.
pub const NOTIFY_CHANNEL: &str = "parley_webhook_events";

/// At most this many deliveries share one commit.
const MAX_BATCH: usize = 512;
/// Deliveries waiting for the ingest task; beyond, requests wait for room (back-pressure).
const QUEUE: usize = 8192;

#[derive(Clone)]
pub struct Ingestor {
    queue: mpsc::Sender<Delivery>,
}

struct Delivery {
    organization: OrganizationId,
    channel: ChannelId,
    payload: String,
    committed: oneshot::Sender<Result<(), String>>,
}

impl Ingestor {
    /// Spawns the ingest task; it ends when the last clone of the returned handle is dropped.
    pub fn start(pool: PgPool) -> Self {
        let (queue, deliveries) = mpsc::channel(QUEUE);
        tokio::spawn(run(pool, deliveries));
        Self { queue }
    }

    /// Stores a (signature-checked) payload; returns once it is committed. The body must be a JSON
    /// document, so that one malformed delivery cannot fail the commit it shares with others.
    pub async fn accept(&self, organization: OrganizationId, channel: ChannelId, raw: Bytes) -> Result<()> {
        let payload = std::str::from_utf8(&raw).map_err(|_| Error::invalid("payload", "not UTF-8"))?;
        serde_json::from_str::<serde::de::IgnoredAny>(payload).map_err(|_| Error::invalid("payload", "not JSON"))?;
        let (committed, outcome) = oneshot::channel();
        let delivery = Delivery { organization, channel, payload: payload.to_owned(), committed };
        self.queue.send(delivery).await.map_err(|_| Error::Internal("the webhook ingest task has stopped".into()))?;
        match outcome.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(Error::Internal(reason)),
            Err(_) => Err(Error::Internal("the webhook ingest task has stopped".into())),
        }
    }
}

async fn run(pool: PgPool, mut deliveries: mpsc::Receiver<Delivery>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while deliveries.recv_many(&mut batch, MAX_BATCH).await > 0 {
        match insert(&pool, &batch).await {
            Ok(()) => answer(batch.drain(..), &Ok(())),
            // A delivery Postgres refuses (jsonb rejects \u0000, say) must not fail its neighbours:
            // retry each alone, so only the bad one is refused (and Meta retries it later).
            Err(e) if batch.len() > 1 => {
                tracing::warn!(error = %e, deliveries = batch.len(), "webhook group commit failed, committing one by one");
                for delivery in batch.drain(..) {
                    let outcome = insert(&pool, std::slice::from_ref(&delivery)).await.map_err(|e| e.to_string());
                    answer(std::iter::once(delivery), &outcome);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "webhook delivery could not be stored");
                answer(batch.drain(..), &Err(e.to_string()));
            }
        }
    }
}

fn answer(deliveries: impl Iterator<Item = Delivery>, outcome: &Result<(), String>) {
    for delivery in deliveries {
        // The request may have gone (client hung up): its payload is stored all the same.
        let _ = delivery.committed.send(outcome.clone());
    }
}

/// One transaction: per organization (row-level security checks each row against the
/// transaction's organization) one multi-row INSERT, then the wake-up for workers, then the commit.
async fn insert(pool: &PgPool, batch: &[Delivery]) -> Result<(), sqlx::Error> {
    let mut by_organization: BTreeMap<OrganizationId, (Vec<uuid::Uuid>, Vec<&str>)> = BTreeMap::new();
    for d in batch {
        let (channels, payloads) = by_organization.entry(d.organization).or_default();
        channels.push(d.channel.0);
        payloads.push(&d.payload);
    }
    let mut tx = pool.begin().await?;
    for (organization, (channels, payloads)) in by_organization {
        sqlx::query("SELECT set_config('parley.org_id', $1, true)")
            .bind(organization.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO webhook_events (organization_id, channel_id, payload)
             SELECT $1, channel, payload::jsonb FROM unnest($2::uuid[], $3::text[]) AS t(channel, payload)",
        )
        .bind(organization)
        .bind(channels)
        .bind(payloads)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("SELECT pg_notify($1, '')").bind(NOTIFY_CHANNEL).execute(&mut *tx).await?;
    tx.commit().await
}
