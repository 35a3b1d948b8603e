//! The background loop: due statuses, due template reviews, due webhook deliveries. Woken at once
//! when work is queued, otherwise it polls, so scheduled work is picked up within ~100 ms.

use crate::{App, messages, templates, webhooks};
use std::time::Duration;
use tokio::sync::watch;

const POLL: Duration = Duration::from_millis(100);

pub async fn run(app: App, mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        let statuses = messages::apply_due_statuses(&app).await.unwrap_or_else(|error| {
            tracing::warn!(%error, "sandbox: could not apply due statuses");
            0
        });
        if let Err(error) = templates::review_due(&app).await {
            tracing::warn!(%error, "sandbox: could not finish template reviews");
        }
        let deliveries = webhooks::deliver_due(&app).await.unwrap_or_else(|error| {
            tracing::warn!(%error, "sandbox: could not claim webhook deliveries");
            0
        });
        if statuses > 0 || deliveries > 0 {
            continue;
        }
        tokio::select! {
            _ = stop.changed() => {}
            _ = app.work.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}
