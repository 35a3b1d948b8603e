//! One per instance: a single LISTEN connection for every browser this instance serves.

use super::{Delivery, EventId, NOTIFY_CHANNEL, Notice, delete_expired, may_see, parse_notice};
use crate::db;
use crate::domain::event::Event;
use crate::domain::{Actor, OrganizationId};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot};

/// Events buffered per subscriber; one that falls further behind catches up from the database.
const CAPACITY: usize = 1024;
/// Notifications read from the database together, at most.
const READ_BATCH: usize = 256;
const RECONNECT_AFTER: Duration = Duration::from_secs(1);
const CLEANUP_EVERY: Duration = Duration::from_secs(3600);

/// What the listening task passes to subscribers.
#[derive(Debug)]
enum Fanout {
    Event { organization: OrganizationId, id: Option<EventId>, event: Event },
    /// Notifications may have been lost (the LISTEN connection dropped, or an event could not be
    /// read): every subscriber catches up from the database.
    Interrupted,
}

/// What the listening task passes to the forwarding task.
enum Heard {
    Notice(Notice),
    Interrupted,
}

/// The instance's event hub; clones share it. Its tasks stop when the last clone is dropped.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    fanout: broadcast::Sender<Arc<Fanout>>,
    _stop: oneshot::Sender<()>,
}

impl Hub {
    /// Spawns the listening task (which reconnects by itself) and the hourly retention cleanup.
    pub fn start(pool: PgPool) -> Self {
        let (fanout, _) = broadcast::channel(CAPACITY);
        let (stop, stopped) = oneshot::channel();
        tokio::spawn(run(pool, fanout.clone(), stopped));
        Self { inner: Arc::new(Inner { fanout, _stop: stop }) }
    }

    /// Live events of the actor's organization that the actor may see, from now on.
    pub fn subscribe(&self, actor: Actor) -> Subscription {
        Subscription { actor, fanout: self.inner.fanout.subscribe() }
    }
}

pub struct Subscription {
    actor: Actor,
    fanout: broadcast::Receiver<Arc<Fanout>>,
}

/// What a subscription yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Event(Delivery),
    /// Some events may not have come through: read the missed ones from the database.
    Missed,
    /// The hub has stopped.
    Closed,
}

impl Subscription {
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub async fn next(&mut self) -> Next {
        loop {
            match self.fanout.recv().await {
                Ok(fanout) => match &*fanout {
                    Fanout::Event { organization, id, event } => {
                        if may_see(&self.actor, *organization, event) {
                            return Next::Event(Delivery { id: *id, event: event.clone() });
                        }
                    }
                    Fanout::Interrupted => return Next::Missed,
                },
                Err(broadcast::error::RecvError::Lagged(_)) => return Next::Missed,
                Err(broadcast::error::RecvError::Closed) => return Next::Closed,
            }
        }
    }
}

/// Listens, and hands what it hears to a forwarding task: events are read from the database there,
/// so the connection keeps being read meanwhile and a burst's notifications are read together.
async fn run(pool: PgPool, fanout: broadcast::Sender<Arc<Fanout>>, mut stopped: oneshot::Receiver<()>) {
    let (heard, forwarded) = mpsc::channel(CAPACITY);
    tokio::spawn(forward(pool.clone(), fanout, forwarded));
    let mut cleanup = tokio::time::interval(CLEANUP_EVERY);
    let mut listener: Option<PgListener> = None;
    loop {
        let Some(l) = listener.as_mut() else {
            tokio::select! {
                _ = &mut stopped => return,
                connected = listen(&pool) => match connected {
                    Ok(l) => {
                        listener = Some(l);
                        // Whatever was notified while nobody listened is in the database.
                        let _ = heard.send(Heard::Interrupted).await;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot listen for realtime events, retrying");
                        tokio::time::sleep(RECONNECT_AFTER).await;
                    }
                },
            }
            continue;
        };
        tokio::select! {
            _ = &mut stopped => return,
            _ = cleanup.tick() => match delete_expired(&pool).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(deleted = n, "expired realtime events deleted"),
                Err(e) => tracing::warn!(error = %e, "expired realtime events not deleted"),
            },
            received = l.try_recv() => match received {
                Ok(Some(notification)) => match parse_notice(notification.payload()) {
                    Some(notice) => {
                        let _ = heard.send(Heard::Notice(notice)).await;
                    }
                    None => tracing::warn!("unreadable realtime notification ignored"),
                },
                Ok(None) => {
                    tracing::warn!("realtime LISTEN connection lost, reconnecting");
                    let _ = heard.send(Heard::Interrupted).await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "realtime LISTEN failed, reconnecting");
                    listener = None;
                    let _ = heard.send(Heard::Interrupted).await;
                }
            },
        }
    }
}

async fn listen(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(NOTIFY_CHANNEL).await?;
    Ok(listener)
}

/// Sends what was heard to the subscribers, in order. Whatever arrived while the previous batch
/// was being read is read together: one query per organization rather than one per event. Ends
/// once the listening task has.
async fn forward(pool: PgPool, fanout: broadcast::Sender<Arc<Fanout>>, mut heard: mpsc::Receiver<Heard>) {
    let mut batch = Vec::with_capacity(READ_BATCH);
    while heard.recv_many(&mut batch, READ_BATCH).await > 0 {
        if fanout.receiver_count() == 0 {
            batch.clear();
            continue;
        }
        for message in fanouts(&pool, std::mem::take(&mut batch)).await {
            let _ = fanout.send(Arc::new(message));
        }
    }
}

/// The batch as subscribers receive it: stored events read once here, for all of them.
async fn fanouts(pool: &PgPool, batch: Vec<Heard>) -> Vec<Fanout> {
    let mut stored = read_stored(pool, &batch).await;
    let mut interrupted = false;
    let mut messages = Vec::with_capacity(batch.len());
    for heard in batch {
        let message = match heard {
            Heard::Interrupted => Some(Fanout::Interrupted),
            Heard::Notice(Notice::Ephemeral(organization, event)) => Some(Fanout::Event { organization, id: None, event }),
            Heard::Notice(Notice::Stored(organization, id)) => match stored.get_mut(&organization) {
                // Missing: already past its retention, nobody can be waiting for it.
                Some(Some(events)) => events.remove(&id).map(|event| Fanout::Event { organization, id: Some(id), event }),
                // Not read: subscribers catch up from the database, once for the whole batch.
                _ => (!std::mem::replace(&mut interrupted, true)).then_some(Fanout::Interrupted),
            },
        };
        messages.extend(message);
    }
    messages
}

/// The batch's stored events, by organization; None for an organization whose events could not
/// be read.
async fn read_stored(pool: &PgPool, batch: &[Heard]) -> HashMap<OrganizationId, Option<HashMap<EventId, Event>>> {
    let mut ids: HashMap<OrganizationId, Vec<i64>> = HashMap::new();
    for heard in batch {
        if let Heard::Notice(Notice::Stored(organization, id)) = heard {
            ids.entry(*organization).or_default().push(id.0);
        }
    }
    let mut stored = HashMap::with_capacity(ids.len());
    for (organization, ids) in ids {
        let events = match read_events(pool, organization, &ids).await {
            Ok(events) => Some(events),
            Err(e) => {
                tracing::warn!(error = %e, %organization, "realtime events not read; subscribers catch up");
                None
            }
        };
        stored.insert(organization, events);
    }
    stored
}

async fn read_events(pool: &PgPool, organization: OrganizationId, ids: &[i64]) -> crate::Result<HashMap<EventId, Event>> {
    let mut tx = db::scoped(pool, Some(organization), None).await?;
    let rows: Vec<(i64, serde_json::Value)> =
        sqlx::query_as("SELECT id, payload FROM events WHERE organization_id = $1 AND id = ANY($2)")
            .bind(organization)
            .bind(ids)
            .fetch_all(&mut *tx)
            .await?;
    tx.commit().await?;
    rows.into_iter()
        .map(|(id, payload)| {
            let event = serde_json::from_value(payload).map_err(|e| crate::Error::Internal(format!("stored event {id}: {e}")))?;
            Ok((EventId(id), event))
        })
        .collect()
}
