//! One per instance: a single LISTEN connection for every browser this instance serves.

use super::{Delivery, EventId, NOTIFY_CHANNEL, Notice, delete_expired, may_see, parse_notice};
use crate::db;
use crate::domain::event::Event;
use crate::domain::{Actor, OrganizationId};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, oneshot};

/// Events buffered per subscriber; one that falls further behind catches up from the database.
const CAPACITY: usize = 1024;
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

async fn run(pool: PgPool, fanout: broadcast::Sender<Arc<Fanout>>, mut stopped: oneshot::Receiver<()>) {
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
                        let _ = fanout.send(Arc::new(Fanout::Interrupted));
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
                Ok(Some(notification)) => forward(&pool, &fanout, notification.payload()).await,
                Ok(None) => {
                    tracing::warn!("realtime LISTEN connection lost, reconnecting");
                    let _ = fanout.send(Arc::new(Fanout::Interrupted));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "realtime LISTEN failed, reconnecting");
                    listener = None;
                    let _ = fanout.send(Arc::new(Fanout::Interrupted));
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

/// Sends a notified event to the subscribers; a stored one is read once here, for all of them.
async fn forward(pool: &PgPool, fanout: &broadcast::Sender<Arc<Fanout>>, payload: &str) {
    if fanout.receiver_count() == 0 {
        return;
    }
    let message = match parse_notice(payload) {
        Some(Notice::Ephemeral(organization, event)) => Fanout::Event { organization, id: None, event },
        Some(Notice::Stored(organization, id)) => match stored(pool, organization, id).await {
            Ok(Some(event)) => Fanout::Event { organization, id: Some(id), event },
            // Already past its retention: nobody can be waiting for it.
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, event = %id, "realtime event not read; subscribers catch up");
                Fanout::Interrupted
            }
        },
        None => {
            tracing::warn!("unreadable realtime notification ignored");
            return;
        }
    };
    let _ = fanout.send(Arc::new(message));
}

async fn stored(pool: &PgPool, organization: OrganizationId, id: EventId) -> crate::Result<Option<Event>> {
    let mut tx = db::scoped(pool, Some(organization), None).await?;
    let payload: Option<serde_json::Value> =
        sqlx::query_scalar("SELECT payload FROM events WHERE organization_id = $1 AND id = $2")
            .bind(organization)
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
    tx.commit().await?;
    payload
        .map(|p| serde_json::from_value(p).map_err(|e| crate::Error::Internal(format!("stored event {id}: {e}"))))
        .transpose()
}
