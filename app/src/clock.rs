//! Times as the person reads them, in their own time zone. The server does not know it, so the
//! first page (and its hydration) shows UTC, and the browser switches to local time at once
//! (see [`crate::hydrated`]).

use chrono::{DateTime, Local, Utc};

fn format(at: DateTime<Utc>, pattern: &str) -> String {
    if crate::hydrated::hydrated() {
        at.with_timezone(&Local).format(pattern).to_string()
    } else {
        at.format(pattern).to_string()
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
