//! One browser connection's stream: missed events from the database, then live ones from the hub,
//! each stored event exactly once and in order.

use super::{Delivery, EventId, Hub, Next, Subscription, can_resume, events_since, latest_event};
use crate::Result;
use crate::domain::Actor;
use crate::domain::event::Event;
use sqlx::PgPool;
use std::collections::VecDeque;

/// Stored events read per catch-up query.
const PAGE: i64 = 500;

pub struct Feed {
    pool: PgPool,
    subscription: Subscription,
    /// The last stored event delivered (or looked past); nothing at or before it is sent again.
    last: EventId,
    missed: VecDeque<(EventId, Event)>,
    catch_up: bool,
    reset: bool,
}

impl Feed {
    /// Follows the actor's organization from just after `after`, or from now when None or when
    /// `after` is past the retention (then [`Feed::reset`] says so). Subscribes before reading the
    /// database, so nothing can fall in between.
    pub async fn open(pool: PgPool, hub: &Hub, actor: Actor, after: Option<EventId>) -> Result<Self> {
        let subscription = hub.subscribe(actor);
        let resumable = match after {
            Some(after) if can_resume(&pool, after).await? => Some(after),
            _ => None,
        };
        let last = match resumable {
            Some(after) => after,
            None => latest_event(&pool, subscription.actor()).await?,
        };
        let reset = after.is_some() && resumable.is_none();
        Ok(Self { pool, subscription, last, missed: VecDeque::new(), catch_up: true, reset })
    }

    /// The browser asked to resume from an event past the retention: it must reload its inbox,
    /// as the feed follows from now.
    pub fn reset(&self) -> bool {
        self.reset
    }

    pub fn actor(&self) -> &Actor {
        self.subscription.actor()
    }

    /// The last stored event delivered: where a reconnecting browser resumes.
    pub fn last(&self) -> EventId {
        self.last
    }

    /// The next event, or None once the hub has stopped.
    pub async fn next(&mut self) -> Result<Option<Delivery>> {
        loop {
            if let Some((id, event)) = self.missed.pop_front() {
                return Ok(Some(Delivery { id: Some(id), event }));
            }
            if self.catch_up {
                let page = events_since(&self.pool, self.subscription.actor(), self.last, PAGE).await?;
                self.last = page.until;
                self.missed.extend(page.events);
                self.catch_up = !page.complete;
                continue;
            }
            match self.subscription.next().await {
                Next::Event(Delivery { id: Some(id), event }) => {
                    if id > self.last {
                        self.last = id;
                        return Ok(Some(Delivery { id: Some(id), event }));
                    }
                }
                Next::Event(ephemeral) => return Ok(Some(ephemeral)),
                Next::Missed => self.catch_up = true,
                Next::Closed => return Ok(None),
            }
        }
    }
}
