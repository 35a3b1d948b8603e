//! The webhook worker: claims stored deliveries (`FOR UPDATE SKIP LOCKED`, under a lease) and
//! processes them in transactions of their own organization, several deliveries to each. Delivery
//! to Parley is at-least-once and processing is idempotent, so a crash anywhere loses nothing and
//! doubles nothing.

use super::ingest::NOTIFY_CHANNEL;
use super::process;
use crate::db;
use crate::domain::{ChannelId, OrganizationId};
use crate::{Error, Result};
use serde_json::Value;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::task::JoinSet;

/// How long a claimed delivery is reserved for its worker; after that another one may take it.
pub const LEASE: Duration = Duration::from_secs(60);
/// A delivery that failed this many times is left alone, its last error kept for an operator.
pub const MAX_ATTEMPTS: i32 = 10;
const BATCH: i64 = 100;
/// Transactions of one batch run at once (each on its own connection). Those of one organization
/// wait for each other's ordering lock; other organizations' run alongside.
const PARALLEL: usize = 4;
/// At most this many deliveries share a transaction: the first of a burst reach browsers before
/// the last are written, and each delivery's savepoint stays within the 64 subtransactions
/// Postgres tracks per transaction without spilling to disk.
const PER_TRANSACTION: usize = 32;
/// Besides notifications, how often the worker looks for work: deliveries whose retry backoff or
/// lease has run out, pending statuses, and everything when notifications are unavailable.
pub const POLL: Duration = Duration::from_secs(1);

/// A delivery reserved for this worker until its lease expires.
#[derive(Debug, Clone)]
pub struct ClaimedEvent {
    pub id: i64,
    pub organization: OrganizationId,
    pub channel: ChannelId,
    pub payload: Value,
    pub attempts: i32,
}

/// Reserves up to `limit` due deliveries for `lease`, counting an attempt for each; oldest first,
/// the order they are processed in.
pub async fn claim(pool: &PgPool, limit: i64, lease: Duration) -> Result<Vec<ClaimedEvent>> {
    let lease_seconds = i32::try_from(lease.as_secs()).map_err(|_| Error::Internal("lease too long".into()))?;
    let rows: Vec<(i64, OrganizationId, ChannelId, Value, i32)> = sqlx::query_as(
        "SELECT id, organization_id, channel_id, payload, attempts FROM claim_webhook_events($1, $2, $3) ORDER BY id",
    )
    .bind(i32::try_from(limit).unwrap_or(i32::MAX))
    .bind(lease_seconds)
    .bind(MAX_ATTEMPTS)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, organization, channel, payload, attempts)| ClaimedEvent { id, organization, channel, payload, attempts })
        .collect())
}

/// Claims and processes one batch; returns how many deliveries it claimed. A delivery that fails
/// keeps its error and is retried after a backoff that grows with its attempts.
pub async fn process_batch(pool: &PgPool, limit: i64) -> Result<usize> {
    let events = claim(pool, limit, LEASE).await?;
    let claimed = events.len();
    let mut running = JoinSet::new();
    for (organization, deliveries) in transactions(events) {
        if running.len() >= PARALLEL {
            finished(running.join_next().await);
        }
        let pool = pool.clone();
        running.spawn(async move { handle(&pool, organization, &deliveries).await });
    }
    while let Some(done) = running.join_next().await {
        finished(Some(done));
    }
    Ok(claimed)
}

/// The claimed deliveries grouped by organization, in claim order, at most [`PER_TRANSACTION`] a
/// group: what each transaction processes.
fn transactions(events: Vec<ClaimedEvent>) -> Vec<(OrganizationId, Vec<ClaimedEvent>)> {
    let mut by_organization: BTreeMap<OrganizationId, Vec<ClaimedEvent>> = BTreeMap::new();
    for event in events {
        by_organization.entry(event.organization).or_default().push(event);
    }
    let mut groups = Vec::new();
    for (organization, mut events) in by_organization {
        while !events.is_empty() {
            let rest = events.split_off(events.len().min(PER_TRANSACTION));
            groups.push((organization, std::mem::replace(&mut events, rest)));
        }
    }
    groups
}

fn finished(done: Option<std::result::Result<(), tokio::task::JoinError>>) {
    if let Some(Err(e)) = done {
        tracing::error!(error = %e, "webhook processing task panicked; its deliveries are retried after the lease");
    }
}

async fn handle(pool: &PgPool, organization: OrganizationId, events: &[ClaimedEvent]) {
    match process::process(pool, organization, events).await {
        Ok(failures) => {
            for (event, error) in failures {
                failed(pool, event, &error).await;
            }
        }
        // The transaction failed as a whole: nothing of it was committed.
        Err(error) => {
            for event in events {
                failed(pool, event, &error).await;
            }
        }
    }
}

async fn failed(pool: &PgPool, event: &ClaimedEvent, error: &Error) {
    tracing::warn!(event = event.id, attempts = event.attempts, %error, "webhook delivery not processed");
    if let Err(e) = record_failure(pool, event, error).await {
        tracing::error!(event = event.id, error = %e, "could not record a webhook processing failure");
    }
}

async fn record_failure(pool: &PgPool, event: &ClaimedEvent, error: &Error) -> Result<()> {
    let mut tx = db::scoped(pool, Some(event.organization), None).await?;
    sqlx::query(
        "UPDATE webhook_events SET last_error = $2,
             locked_until = now() + make_interval(secs => least(power(2, attempts), 3600))
         WHERE id = $1",
    )
    .bind(event.id)
    .bind(error.to_string())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Runs forever: drains due deliveries, applies statuses whose message has appeared, then sleeps
/// until an ingest commit notifies (any instance's, through Postgres) or `poll` has passed.
pub async fn run(pool: PgPool, poll: Duration) {
    let mut listener = listen(&pool).await;
    loop {
        loop {
            match process_batch(&pool, BATCH).await {
                Ok(n) if n as i64 == BATCH => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::error!(error = %e, "claiming webhook deliveries failed");
                    break;
                }
            }
        }
        if let Err(e) = process::retry_pending_statuses(&pool, BATCH).await {
            tracing::error!(error = %e, "applying pending statuses failed");
        }
        match listener.as_mut() {
            Some(l) => {
                if let Ok(Err(e)) = tokio::time::timeout(poll, l.recv()).await {
                    tracing::warn!(error = %e, "webhook notifications interrupted, polling meanwhile");
                    tokio::time::sleep(poll).await;
                }
            }
            None => tokio::time::sleep(poll).await,
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
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for webhook notifications, polling instead");
            None
        }
    }
}
