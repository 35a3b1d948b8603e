//! `/inbox` and `/inbox/:conversation`: the conversation list beside the open thread.

mod bubble;
mod composer;
mod list;
mod live;
mod templates;
mod thread;

use crate::shell::RequirePermission;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use parley::domain::Permission;
use uuid::Uuid;

/// Someone else writing a reply, as the websocket last said; shown until `until_ms`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Typing {
    pub conversation: Uuid,
    pub name: String,
    pub until_ms: f64,
}

/// What the websocket shares with the page: who is typing where, and where this person types
/// (the conversation, and a counter so each keystroke burst is a change).
#[derive(Clone, Copy)]
pub(crate) struct LiveInbox {
    pub typing: RwSignal<Vec<Typing>>,
    pub typed: RwSignal<Option<(Uuid, u32)>>,
}

/// Bumped whenever something may have changed a conversation (a reply sent here, an event from
/// the server), so the list and the open thread fetch again.
#[derive(Clone, Copy)]
pub(crate) struct InboxRefresh(pub RwSignal<u32>);

impl InboxRefresh {
    pub fn bump(&self) {
        self.0.update(|v| *v = v.wrapping_add(1));
    }
}

#[component]
pub fn InboxPage() -> impl IntoView {
    view! {
        <RequirePermission permission=Permission::InboxRead>
            <Inbox />
        </RequirePermission>
    }
}

#[component]
fn Inbox() -> impl IntoView {
    let params = use_params_map();
    let selected = Memo::new(move |_| params.with(|p| p.get("conversation").and_then(|c| Uuid::parse_str(&c).ok())));
    let refresh = InboxRefresh(RwSignal::new(0));
    provide_context(refresh);
    provide_context(LiveInbox { typing: RwSignal::new(Vec::new()), typed: RwSignal::new(None) });
    view! {
        <section class="inbox" class:inbox-thread-open=move || selected.get().is_some()>
            <live::LiveUpdates />
            <list::ConversationList selected />
            {move || match selected.get() {
                Some(conversation) => view! { <thread::ThreadView conversation /> }.into_any(),
                None => view! {
                    <div class="thread thread-empty">
                        <p class="muted">"Pick a conversation on the left to read it and reply."</p>
                    </div>
                }.into_any(),
            }}
        </section>
    }
}
