//! `/inbox` and `/inbox/:conversation`: the conversation list beside the open thread; `/starred`:
//! the messages the person starred.

mod attachments;
mod bot;
mod bubble;
mod composer;
mod contact_panel;
mod jump;
mod list;
mod live;
mod quick_reply_picker;
mod reactions;
mod reply;
mod star;
mod starred;
mod templates;

pub(crate) use live::LiveUpdates;
mod thread;

use crate::shell::RequirePermission;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use parley::domain::Permission;
use uuid::Uuid;

pub use starred::StarredMessagesPage;

/// Someone else writing a reply, or looking at a conversation, as the websocket last said; shown
/// until `until_ms`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Typing {
    pub conversation: Uuid,
    pub name: String,
    pub until_ms: f64,
}

/// What the websocket shares with the page: who is typing where, who else is looking at which
/// conversation, where this person types (the conversation, and a counter so each keystroke burst
/// is a change) and which conversation they have open.
#[derive(Clone, Copy)]
pub(crate) struct LiveInbox {
    pub typing: RwSignal<Vec<Typing>>,
    pub viewers: RwSignal<Vec<Typing>>,
    pub typed: RwSignal<Option<(Uuid, u32)>>,
    pub viewing: RwSignal<Option<Uuid>>,
}

impl LiveInbox {
    pub fn new() -> Self {
        Self {
            typing: RwSignal::new(Vec::new()),
            viewers: RwSignal::new(Vec::new()),
            typed: RwSignal::new(None),
            viewing: RwSignal::new(None),
        }
    }
}

/// The people, teams and channels to pick from, loaded in the browser once per visit of the
/// inbox (the first page does not wait for them).
#[derive(Clone, Copy)]
pub(crate) struct Choices(pub ReadSignal<Option<Result<parley::domain::inbox::InboxChoices, crate::error::AppError>>>);

/// Bumped whenever something may have changed a conversation (a reply sent here, an event from
/// the server), so the list and the open thread fetch again.
#[derive(Clone, Copy)]
pub(crate) struct InboxRefresh(pub RwSignal<u32>);

impl InboxRefresh {
    pub fn bump(&self) {
        self.0.update(|v| *v = v.wrapping_add(1));
    }
}

/// "Load more" under a list that has further pages, "Loading…" while the next one comes.
#[component]
pub(crate) fn LoadMore(
    shown: Signal<bool>,
    loading: RwSignal<bool>,
    label: &'static str,
    on_load: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <Show when=move || shown.get()>
            <button type="button" class="button load-more" disabled=move || loading.get() on:click=move |_| on_load()>
                {move || if loading.get() { "Loading…" } else { label }}
            </button>
        </Show>
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
    provide_context(Choices(crate::hydrated::fetched_in_browser(list::list_inbox_choices)));
    view! {
        <section class="inbox" class:inbox-thread-open=move || selected.get().is_some()>
            <list::ConversationList selected />
            {move || match selected.get() {
                Some(conversation) => view! {
                    <thread::ThreadView conversation />
                    <contact_panel::ContactPanel conversation />
                }.into_any(),
                None => view! {
                    <div class="thread thread-empty">
                        <p class="muted">"Pick a conversation on the left to read it and reply."</p>
                    </div>
                }.into_any(),
            }}
        </section>
    }
}
