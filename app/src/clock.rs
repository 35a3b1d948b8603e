//! Times as the person reads them, in their own time zone. The server does not know it, so the
//! first page (and its hydration) shows UTC, and the browser switches to local time at once.

use chrono::{DateTime, Local, Utc};
use leptos::prelude::*;

#[derive(Clone, Copy)]
struct LocalClock(RwSignal<bool>);

/// Called once by the signed-in frame.
pub(crate) fn provide_local_clock() {
    let local = RwSignal::new(false);
    provide_context(LocalClock(local));
    // Effects run only in the browser, after hydration.
    Effect::new(move || local.set(true));
}

fn format(at: DateTime<Utc>, pattern: &str) -> String {
    match use_context::<LocalClock>() {
        Some(LocalClock(local)) if local.get() => at.with_timezone(&Local).format(pattern).to_string(),
        _ => at.format(pattern).to_string(),
    }
}

/// "14:05".
pub(crate) fn time_of(at: DateTime<Utc>) -> String {
    format(at, "%H:%M")
}

/// "Sunday, 22 November 2026": the separator above a day's first message.
pub(crate) fn day_of(at: DateTime<Utc>) -> String {
    format(at, "%A, %-d %B %Y")
}

/// "22 Nov, 14:05".
pub(crate) fn moment_of(at: DateTime<Utc>) -> String {
    format(at, "%-d %b, %H:%M")
}
