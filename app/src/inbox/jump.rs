//! Bringing one message of the open thread into view and making it stand out for a moment: from
//! the Starred page (`?message=<id>`) or from a quote of it.

use leptos::prelude::*;
use std::time::Duration;
use uuid::Uuid;

/// The message of the open thread shown highlighted, if any.
#[derive(Clone, Copy)]
pub(crate) struct Highlighted(pub RwSignal<Option<Uuid>>);

/// The id a bubble carries in the page, so it can be scrolled to.
pub(crate) fn element_id(message: Uuid) -> String {
    format!("message-{message}")
}

impl Highlighted {
    /// Scrolls to the message once it is drawn, and highlights it for a few seconds.
    pub fn jump(self, message: Uuid) {
        self.0.set(Some(message));
        set_timeout(
            move || {
                if let Some(bubble) = document().get_element_by_id(&element_id(message)) {
                    bubble.scroll_into_view();
                }
            },
            Duration::from_millis(50),
        );
        set_timeout(
            move || {
                if self.0.get_untracked() == Some(message) {
                    self.0.set(None);
                }
            },
            Duration::from_millis(4_000),
        );
    }
}
