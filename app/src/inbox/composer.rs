//! Writing to the customer: Enter sends, Shift+Enter breaks the line; a file goes with the text
//! as its caption; only templates when the 24-hour window is closed. A sent message is stored
//! first and shows its ticks as Meta reports them.

use super::attachments::{AttachButtons, AttachmentChip, Attaching, SendAttachment, attach_first};
use super::reply::{QuotedBar, Replying};
use super::quick_reply_picker::{QuickReplyMenu, QuickReplyPicker};
use super::templates::TemplatePicker;
use super::{InboxRefresh, LiveInbox};
use crate::error::AppError;
use leptos::prelude::*;
use parley::domain::cloud::TextMessage;
use uuid::Uuid;

#[component]
pub(super) fn Composer(conversation: Uuid, window_open: bool, may_reply: bool, holder: Option<String>, contact: String) -> impl IntoView {
    let replying = expect_context::<Replying>();
    let refresh = expect_context::<InboxRefresh>();
    let live = expect_context::<LiveInbox>();
    // Other agents learn "… is typing" at most every two seconds.
    let last_typing_signal = StoredValue::new(0.0_f64);
    let text = RwSignal::new(String::new());
    let input = NodeRef::<leptos::html::Textarea>::new();
    let picker = QuickReplyPicker::new(conversation, text, input);
    let error = RwSignal::new(None::<String>);
    let send = ServerAction::<SendReply>::new();
    let send_file = ServerAction::<SendAttachment>::new();
    let attaching = Attaching::new();
    let pending = move || send.pending().get() || send_file.pending().get();
    // The quote goes with the message as it is sent (the thread may redraw this composer before
    // the answer comes), and comes back should the send fail.
    let sent_quote = StoredValue::new(None);
    let answered = move |result: Option<Result<(), AppError>>| match result {
        Some(Ok(())) => {
            text.set(String::new());
            attaching.file.set(None);
            refresh.bump();
        }
        Some(Err(err)) => {
            if let Some(quoted) = sent_quote.get_value() {
                replying.0.set(Some(quoted));
            }
            error.set(Some(err.to_string()));
        }
        None => {}
    };
    Effect::new(move || answered(send.value().get()));
    Effect::new(move || answered(send_file.value().get()));
    let submit = move || {
        error.set(None);
        let body = text.get_untracked();
        let file = attaching.file.get_untracked();
        if (body.trim().is_empty() && file.is_none()) || pending() {
            return;
        }
        let checked = match &file {
            Some(file) if !file.kind.allows_caption() && !body.trim().is_empty() => {
                Err(format!("{} files go without a caption: clear the text, or send it after the file", file.kind.label()))
            }
            Some(_) => Ok(()),
            None => TextMessage::new(&body, false).map(|_| ()).map_err(|rejected| rejected.to_string()),
        };
        if let Err(message) = checked {
            error.set(Some(message));
            return;
        }
        let quoted = replying.0.get_untracked();
        let reply_to = quoted.as_ref().map(|m| m.id);
        sent_quote.set_value(quoted);
        replying.0.set(None);
        match file {
            Some(file) => send_file.dispatch(SendAttachment { conversation, file: file.id, caption: body, reply_to }),
            None => send.dispatch(SendReply { conversation, text: body, reply_to }),
        };
    };

    if !may_reply {
        let who = holder.unwrap_or_else(|| "Someone else".to_owned());
        return view! {
            <div class="composer composer-closed" role="status">
                <p class="muted small">{format!("{who} has this conversation: only they reply. Ask them, or someone who assigns conversations, to hand it over.")}</p>
            </div>
        }
        .into_any();
    }
    if !window_open {
        return view! {
            <div class="composer composer-closed">
                <p class="muted small" role="status" data-testid="window-closed">
                    "The customer has not written in the last 24 hours, so WhatsApp only lets you send an approved template. Free text opens again when they reply."
                </p>
                <TemplatePicker conversation />
            </div>
        }
        .into_any();
    }
    let templates_open = RwSignal::new(false);
    view! {
        <Show when=move || templates_open.get()>
            <div class="composer">
                <TemplatePicker conversation on_close=Callback::new(move |()| templates_open.set(false)) />
            </div>
        </Show>
        <form
            class="composer"
            on:submit=move |ev| { ev.prevent_default(); submit(); }
            on:dragover=move |ev| ev.prevent_default()
            on:drop=move |ev| {
                if attach_first(conversation, ev.data_transfer().and_then(|d| d.files()), attaching) {
                    ev.prevent_default();
                }
            }
        >
            <Show when=move || error.with(Option::is_some)>
                <p class="field-error composer-error" role="alert">{move || error.get()}</p>
            </Show>
            <QuotedBar contact />
            <AttachmentChip attaching />
            <QuickReplyMenu picker />
            <div class="composer-tools">
                <AttachButtons conversation attaching />
                <button type="button" class="button button-small" aria-expanded=move || templates_open.get().to_string() on:click=move |_| templates_open.update(|o| *o = !*o)>
                    "Template"
                </button>
            </div>
            <div class="composer-row">
                <textarea
                    node_ref=input
                    class="composer-input"
                    rows="1"
                    placeholder=move || if attaching.file.with(Option::is_some) { "Add a caption (optional)" } else { "Type a message" }
                    aria-label="Message"
                    prop:value=move || text.get()
                    on:input=move |ev| {
                        text.set(event_target_value(&ev));
                        picker.follow_caret();
                        let now = web_sys::js_sys::Date::now();
                        if now - last_typing_signal.get_value() > 2_000.0 {
                            last_typing_signal.set_value(now);
                            live.typed.update(|t| {
                                let count = t.map_or(0, |(_, n)| n.wrapping_add(1));
                                *t = Some((conversation, count));
                            });
                        }
                    }
                    on:paste=move |ev| {
                        if attach_first(conversation, ev.clipboard_data().and_then(|d| d.files()), attaching) {
                            ev.prevent_default();
                        }
                    }
                    on:keydown=move |ev| {
                        if picker.handle_key(&ev) {
                            return;
                        }
                        if ev.key() == "Escape" && replying.0.with_untracked(Option::is_some) {
                            ev.prevent_default();
                            replying.0.set(None);
                        } else if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                            ev.prevent_default();
                            submit();
                        }
                    }
                ></textarea>
                <button type="submit" class="button button-primary" disabled=pending aria-busy=move || pending().to_string()>
                    {move || if pending() { "Sending…" } else { "Send" }}
                </button>
            </div>
        </form>
    }
    .into_any()
}

/// Queues a text reply to the conversation's customer (sent by the outbound worker), quoting
/// `reply_to` (one of the conversation's messages) when given.
#[server]
pub async fn send_reply(conversation: Uuid, text: String, #[server(default)] reply_to: Option<Uuid>) -> Result<(), AppError> {
    use parley::domain::cloud::MessageContent;
    use parley::domain::conversation::{ConversationId, MessageId};
    use parley::inbox::outbound::ReplyTo;
    let (state, actor) = crate::context::actor().await?;
    let content = TextMessage::new(&text, false)
        .map_err(|e| AppError::Invalid { field: "text".into(), message: e.to_string() }.with_status())?;
    parley::inbox::outbound::send(&state.pool, &actor, ConversationId(conversation), MessageContent::Text(content), reply_to.map(|m| ReplyTo::Message(MessageId(m))))
        .await?;
    Ok(())
}

/// Sends again a reply that failed or whose outcome is unknown.
#[server]
pub async fn retry_reply(message: Uuid) -> Result<(), AppError> {
    use parley::domain::conversation::MessageId;
    let (state, actor) = crate::context::actor().await?;
    parley::inbox::outbound::retry(&state.pool, &actor, MessageId(message)).await?;
    Ok(())
}

/// The agent opened the conversation: its unread count clears and the customer sees blue ticks.
#[server]
pub async fn mark_conversation_read(conversation: Uuid) -> Result<(), AppError> {
    use parley::domain::conversation::ConversationId;
    let (state, actor) = crate::context::actor().await?;
    let scope = parley::notifications::ReadScope::Conversation(conversation);
    parley::notifications::mark_read(&state.pool, &actor, scope).await?;
    match parley::inbox::outbound::mark_read(&state.pool, &state.secrets, &state.cloud, &actor, ConversationId(conversation)).await {
        // Parley's own count is cleared even when Meta could not be told; the agent need not know.
        Ok(()) | Err(parley::Error::Upstream(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
