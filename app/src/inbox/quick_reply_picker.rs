//! The quick reply menu of the composer: `/` at the start of the message or after a space opens
//! the organization's quick replies for this conversation's channel, narrowed as the agent types;
//! ArrowUp/ArrowDown move, Enter or a click puts the text in place of `/query` (to edit, not
//! sent), Escape closes.

use crate::error::AppError;
use leptos::html::Textarea;
use leptos::prelude::*;
use parley::domain::quick_reply::{QuickReply, SlashQuery, filter_quick_replies};
use uuid::Uuid;

/// The menu's state, shared by the composer's textarea (which feeds it keys and input) and the
/// menu it draws.
#[derive(Clone, Copy)]
pub(super) struct QuickReplyPicker {
    conversation: Uuid,
    text: RwSignal<String>,
    input: NodeRef<Textarea>,
    /// The `/query` at the caret while the menu is open.
    open: RwSignal<Option<SlashQuery>>,
    highlighted: RwSignal<usize>,
    /// Fetched the first time the menu opens.
    replies: RwSignal<Option<Result<Vec<QuickReply>, AppError>>>,
    /// Escape closes the menu until the `/query` changes.
    dismissed: RwSignal<Option<SlashQuery>>,
}

impl QuickReplyPicker {
    pub fn new(conversation: Uuid, text: RwSignal<String>, input: NodeRef<Textarea>) -> Self {
        Self {
            conversation,
            text,
            input,
            open: RwSignal::new(None),
            highlighted: RwSignal::new(0),
            replies: RwSignal::new(None),
            dismissed: RwSignal::new(None),
        }
    }

    /// After every input: opens, narrows or closes the menu from the text before the caret.
    pub fn follow_caret(&self) {
        let Some(el) = self.input.get_untracked() else { return };
        let caret = el.selection_start().ok().flatten().unwrap_or(0) as usize;
        let query = self.text.with_untracked(|t| SlashQuery::at(t, caret));
        if query.is_some() && query == self.dismissed.get_untracked() {
            return;
        }
        self.dismissed.set(None);
        let same_query = self.open.with_untracked(|o| o.as_ref().map(|q| &q.query) == query.as_ref().map(|q| &q.query));
        if !same_query {
            self.highlighted.set(0);
        }
        if query.is_some() && self.replies.with_untracked(Option::is_none) {
            self.load();
        }
        self.open.set(query);
    }

    /// Handles the keys the open menu owns; true when the composer must not act on the key.
    pub fn handle_key(&self, ev: &web_sys::KeyboardEvent) -> bool {
        if self.open.with_untracked(Option::is_none) {
            return false;
        }
        let count = self.matches().len();
        match ev.key().as_str() {
            "ArrowDown" if count > 0 => self.highlighted.update(|i| *i = (*i + 1) % count),
            "ArrowUp" if count > 0 => self.highlighted.update(|i| *i = (*i + count - 1) % count),
            "Enter" | "Tab" if count > 0 && !ev.shift_key() => {
                if let Some(reply) = self.matches().get(self.highlighted.get_untracked().min(count - 1)) {
                    self.choose(reply);
                }
            }
            "Escape" => {
                self.dismissed.set(self.open.get_untracked());
                self.open.set(None);
            }
            _ => return false,
        }
        ev.prevent_default();
        true
    }

    fn load(&self) {
        self.replies.set(Some(Ok(Vec::new())));
        let (replies, conversation) = (self.replies, self.conversation);
        leptos::task::spawn_local(async move {
            replies.set(Some(conversation_quick_replies(conversation).await));
        });
    }

    fn matches(&self) -> Vec<QuickReply> {
        let query = self.open.with_untracked(|o| o.as_ref().map(|q| q.query.clone())).unwrap_or_default();
        self.replies.with_untracked(|r| match r {
            Some(Ok(all)) => filter_quick_replies(all, &query).into_iter().cloned().collect(),
            _ => Vec::new(),
        })
    }

    fn choose(&self, reply: &QuickReply) {
        let Some(query) = self.open.get_untracked() else { return };
        let (text, caret) = self.text.with_untracked(|t| query.replace(t, &reply.text));
        self.text.set(text.clone());
        self.open.set(None);
        if let Some(el) = self.input.get_untracked() {
            el.set_value(&text);
            let _ = el.focus();
            let _ = el.set_selection_range(caret as u32, caret as u32);
        }
    }
}

/// The menu above the composer while a `/query` is being typed.
#[component]
pub(super) fn QuickReplyMenu(picker: QuickReplyPicker) -> impl IntoView {
    let query = move || picker.open.with(|o| o.as_ref().map(|q| q.query.clone()));
    let shown = move || {
        let query = query()?;
        let hits = picker.replies.with(|r| match r {
            Some(Ok(all)) => Ok(filter_quick_replies(all, &query).into_iter().cloned().collect::<Vec<_>>()),
            Some(Err(e)) => Err(e.to_string()),
            None => Ok(Vec::new()),
        });
        Some((query, hits))
    };
    view! {
        {move || shown().map(|(query, hits)| view! {
            <div class="quick-reply-menu" role="listbox" id="quick-reply-menu" aria-label="Quick replies">
                {match hits {
                    Err(message) => view! { <p class="field-error" role="alert">{message}</p> }.into_any(),
                    Ok(hits) if hits.is_empty() => view! {
                        <p class="muted small quick-reply-empty">
                            {if query.is_empty() { "No quick replies for this channel yet.".to_owned() } else { format!("No quick reply matches /{query}") }}
                        </p>
                    }.into_any(),
                    Ok(hits) => hits.into_iter().enumerate().map(|(i, reply)| {
                        let active = move || picker.highlighted.get() == i;
                        let chosen = reply.clone();
                        view! {
                            <div
                                class="quick-reply-option"
                                class:quick-reply-active=active
                                role="option"
                                aria-selected=move || active().to_string()
                                data-testid="quick-reply-option"
                                on:mousedown=move |ev| { ev.prevent_default(); picker.choose(&chosen); }
                            >
                                <code>{format!("/{}", reply.shortcut)}</code>
                                <span class="quick-reply-preview">{reply.text.clone()}</span>
                            </div>
                        }
                    }).collect_view().into_any(),
                }}
            </div>
        })}
    }
}

/// The quick replies usable in this conversation (every channel's and its own channel's).
#[server]
pub async fn conversation_quick_replies(conversation: Uuid) -> Result<Vec<QuickReply>, AppError> {
    let (state, actor) = crate::context::actor().await?;
    Ok(parley::quick_replies::for_conversation(&state.pool, &actor, conversation).await?)
}
