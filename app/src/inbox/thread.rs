//! The open conversation: who it is with, the customer-service window, and the messages, oldest at
//! the top, with older pages on demand.

use super::InboxRefresh;
use super::bubble::{MessageContent, Ticks, day_of, time_of};
use super::composer::{Composer, MarkConversationRead, RetryReply};
use crate::error::AppError;
use leptos::prelude::*;
use parley::domain::conversation::{ConversationWindow, OutboundStatus};
use parley::domain::inbox::{ConversationHeader, Thread, ThreadMessage};
use uuid::Uuid;

#[component]
pub(super) fn ThreadView(conversation: Uuid) -> impl IntoView {
    let refresh = expect_context::<InboxRefresh>();
    let thread = Resource::new(move || (conversation, refresh.0.get()), |(id, _)| get_thread(id, None));
    let mark_read = ServerAction::<MarkConversationRead>::new();
    Effect::new(move || {
        mark_read.dispatch(MarkConversationRead { conversation });
    });
    Effect::new(move || {
        if let Some(Ok(())) = mark_read.value().get() {
            refresh.bump();
        }
    });
    // Older pages, prepended as the agent asks for them.
    let older = RwSignal::new(Vec::<ThreadMessage>::new());
    let has_older = RwSignal::new(false);
    let loading_older = RwSignal::new(false);
    Effect::new(move || {
        if let Some(Ok(t)) = thread.get() {
            older.set(Vec::new());
            has_older.set(t.has_older);
        }
    });
    let load_older = move |_| {
        let first = older.with_untracked(|o| o.first().map(|m| m.id)).or_else(|| {
            thread.with_untracked(|t| t.as_ref().and_then(|r| r.as_ref().ok()).and_then(|t| t.messages.first().map(|m| m.id)))
        });
        let Some(before) = first else { return };
        loading_older.set(true);
        leptos::task::spawn_local(async move {
            let result = get_thread(conversation, Some(before)).await;
            loading_older.set(false);
            if let Ok(page) = result {
                has_older.set(page.has_older);
                older.update(|o| {
                    let mut all = page.messages;
                    all.append(o);
                    *o = all;
                });
            }
        });
    };

    view! {
        <div class="thread">
            <Transition fallback=|| view! { <p class="muted list-note" aria-busy="true">"Loading the conversation…"</p> }>
                {move || thread.get().map(|result| match result {
                    Err(err) => view! { <div class="alert alert-error" role="alert">{err.to_string()}</div> }.into_any(),
                    Ok(Thread { conversation: header, messages, .. }) => {
                        let window_open = ConversationWindow::new(header.last_inbound_at).allows_free_form(chrono::Utc::now());
                        let all = Signal::derive(move || {
                            let mut all = older.get();
                            all.extend(messages.clone());
                            all
                        });
                        view! {
                            <ThreadHeader header />
                            <div class="messages" role="log" aria-label="Messages" aria-live="polite">
                                <Show when=move || has_older.get()>
                                    <button type="button" class="button button-small load-older" disabled=move || loading_older.get() on:click=load_older>
                                        {move || if loading_older.get() { "Loading…" } else { "Load older messages" }}
                                    </button>
                                </Show>
                                {move || {
                                    let all = all.get();
                                    let mut last_day = String::new();
                                    all.iter().map(|m| {
                                        let day = day_of(m.created_at);
                                        let separator = (day != last_day).then(|| view! { <p class="day-separator"><span>{day.clone()}</span></p> });
                                        last_day = day;
                                        let quoted = m.context_wamid.as_ref().and_then(|w| all.iter().find(|o| o.wamid.as_ref() == Some(w))).cloned();
                                        view! { {separator} <MessageBubble message=m.clone() quoted /> }
                                    }).collect_view()
                                }}
                            </div>
                            <Composer conversation window_open />
                        }.into_any()
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn ThreadHeader(header: ConversationHeader) -> impl IntoView {
    let window = ConversationWindow::new(header.last_inbound_at);
    let window_text = move || match window.remaining(chrono::Utc::now()) {
        Some(left) => format!("Customer service window: {} h {} min left", left.num_hours(), left.num_minutes() % 60),
        None => "Customer service window closed: only templates can be sent".to_owned(),
    };
    view! {
        <header class="thread-header">
            <a class="icon-button thread-back" href="/inbox" aria-label="Back to the conversations">"←"</a>
            <div>
                <h1 class="thread-title">{header.contact_name.clone()}</h1>
                <p class="muted small">
                    {format!("+{}", header.wa_id)}
                    {header.profile_name.clone().filter(|p| *p != header.contact_name).map(|p| format!(" · ~{p}"))}
                    {format!(" · {}", header.channel_name)}
                </p>
            </div>
            <p class="window-status small" data-testid="window-status">{window_text}</p>
        </header>
    }
}

#[component]
fn MessageBubble(message: ThreadMessage, quoted: Option<ThreadMessage>) -> impl IntoView {
    let inbound = message.is_inbound();
    let time = time_of(message.created_at);
    let status = message.status.clone();
    let error = message.error.clone();
    view! {
        <div class="bubble-row" class:bubble-row-out=!inbound>
            <article class="bubble" class:bubble-in=inbound class:bubble-out=!inbound data-testid="message" data-kind=message.kind.clone()>
                {quoted.map(|q| view! { <blockquote class="bubble-quote">{if q.body.is_empty() { q.kind } else { q.body }}</blockquote> })}
                <MessageContent message=message.clone() />
                <p class="bubble-meta">
                    <time datetime=message.created_at.to_rfc3339()>{time}</time>
                    {(!inbound).then(|| view! { <Ticks status=status error=error.clone() /> })}
                </p>
                {error.filter(|_| !inbound).map(|reason| view! { <p class="bubble-error" role="status">{reason}</p> })}
                {OutboundStatus::from_key(&message.status).filter(|s| s.can_retry()).map(|_| view! { <RetryButton message=message.id /> })}
            </article>
        </div>
    }
}

#[component]
fn RetryButton(message: Uuid) -> impl IntoView {
    let refresh = expect_context::<InboxRefresh>();
    let retry = ServerAction::<RetryReply>::new();
    Effect::new(move || {
        if let Some(Ok(())) = retry.value().get() {
            refresh.bump();
        }
    });
    view! {
        <button type="button" class="button button-small" disabled=move || retry.pending().get() on:click=move |_| { retry.dispatch(RetryReply { message }); }>
            {move || if retry.pending().get() { "Sending again…" } else { "Retry" }}
        </button>
        {move || retry.value().get().and_then(Result::err).map(|e| view! { <p class="bubble-error" role="alert">{e.to_string()}</p> })}
    }
}

/// A conversation's header and a page of its messages (the newest, or those before `before`).
#[server]
pub async fn get_thread(conversation: Uuid, #[server(default)] before: Option<Uuid>) -> Result<Thread, AppError> {
    let (state, actor) = crate::context::actor().await?;
    Ok(parley::inbox::conversations::thread(&state.pool, &actor, conversation, before).await?)
}
