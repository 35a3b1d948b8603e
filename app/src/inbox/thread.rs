//! The open conversation: who it is with, the customer-service window, and the messages, oldest at
//! the top, with older pages on demand.

use super::{InboxRefresh, LiveInbox};
use super::bot::BotToggle;
use super::bubble::{MessageContent, Ticks, day_of, time_of};
use super::composer::{Composer, MarkConversationRead, RetryReply};
use super::jump::{Highlighted, element_id};
use super::reactions::{ReactionPicker, Reactions};
use super::reply::{Quote, ReplyButton, Replying};
use super::star::StarButton;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use parley::domain::conversation::{ConversationStatus, ConversationWindow, OutboundStatus};
use parley::domain::inbox::{ConversationHeader, Thread, ThreadMessage, ThreadViewer};
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
    let highlighted = Highlighted(RwSignal::new(None));
    provide_context(highlighted);
    provide_context(Replying(RwSignal::new(None)));
    let load_older = move || {
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
    // `?message=<id>` (from the Starred page): older pages are fetched until the message is
    // there, then it is shown once.
    let query = use_query_map();
    let sought = Memo::new(move |_| query.with(|q| q.get("message").and_then(|m| Uuid::parse_str(&m).ok())));
    let found = StoredValue::new(None::<Uuid>);
    Effect::new(move || {
        let Some(target) = sought.get() else { return };
        if found.get_value() == Some(target) {
            return;
        }
        let loaded = thread.with(|t| match t {
            Some(Ok(t)) => Some(t.messages.iter().any(|m| m.id == target)),
            _ => None,
        });
        let Some(in_page) = loaded else { return };
        if in_page || older.with(|o| o.iter().any(|m| m.id == target)) {
            found.set_value(Some(target));
            highlighted.jump(target);
        } else if has_older.get() && !loading_older.get_untracked() {
            load_older();
        }
    });

    view! {
        <div class="thread">
            <Transition fallback=|| view! { <p class="muted list-note" aria-busy="true">"Loading the conversation…"</p> }>
                {move || thread.get().map(|result| match result {
                    Err(err) => view! { <div class="alert alert-error" role="alert">{err.to_string()}</div> }.into_any(),
                    Ok(Thread { conversation: header, messages, viewer, .. }) => {
                        let window_open = ConversationWindow::new(header.last_inbound_at).allows_free_form(chrono::Utc::now());
                        let contact = header.contact_name.clone();
                        let may_react = viewer.may_reply && window_open;
                        let all = Signal::derive(move || {
                            let mut all = older.get();
                            all.extend(messages.clone());
                            all
                        });
                        view! {
                            <ThreadHeader header=header.clone() viewer />
                            <div class="messages" role="log" aria-label="Messages" aria-live="polite">
                                <Show when=move || has_older.get()>
                                    <button type="button" class="button button-small load-older" disabled=move || loading_older.get() on:click=move |_| load_older()>
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
                                        view! { {separator} <MessageBubble message=m.clone() quoted contact=contact.clone() may_react /> }
                                    }).collect_view()
                                }}
                            </div>
                            <TypingNotice conversation />
                            <Composer conversation window_open may_reply=viewer.may_reply holder=header.assignee_name.clone() contact=header.contact_name.clone() />
                        }.into_any()
                    }
                })}
            </Transition>
        </div>
    }
}

/// "Olivia Owner is typing…" while another agent writes in this conversation.
#[component]
fn TypingNotice(conversation: Uuid) -> impl IntoView {
    let live = expect_context::<LiveInbox>();
    let names = move || {
        live.typing.with(|all| all.iter().filter(|t| t.conversation == conversation).map(|t| t.name.clone()).collect::<Vec<_>>())
    };
    view! {
        <p class="typing-notice small" role="status" data-testid="typing">
            {move || {
                let names = names();
                match names.len() {
                    0 => String::new(),
                    1 => format!("{} is typing…", names[0]),
                    _ => format!("{} are typing…", names.join(", ")),
                }
            }}
        </p>
    }
}

#[component]
fn ThreadHeader(header: ConversationHeader, viewer: ThreadViewer) -> impl IntoView {
    let conversation = header.id;
    let window = ConversationWindow::new(header.last_inbound_at);
    let window_text = move || match window.remaining(chrono::Utc::now()) {
        Some(left) => format!("Customer service window: {} h {} min left", left.num_hours(), left.num_minutes() % 60),
        None => "Customer service window closed: only templates can be sent".to_owned(),
    };
    view! {
        <header class="thread-header">
            <a class="icon-button thread-back" href="/inbox" aria-label="Back to the conversations">"←"</a>
            <div class="thread-who">
                <h1 class="thread-title">{header.contact_name.clone()}</h1>
                <p class="muted small">
                    {format!("+{}", header.wa_id)}
                    {header.profile_name.clone().filter(|p| *p != header.contact_name).map(|p| format!(" · ~{p}"))}
                    {format!(" · {}", header.channel_name)}
                </p>
            </div>
            <p class="window-status small" data-testid="window-status">{window_text}</p>
            <BotToggle conversation enabled=header.bot_enabled may_switch=viewer.may_switch_bot holder=header.assignee_name.clone() />
            <Assignment conversation assignee=header.assignee_name.clone() viewer />
            <StatusSelect conversation status=header.status.clone() />
        </header>
    }
}

/// "Unassigned [Take control]", "You have it [Release]", "Ana has it [Take control]" (the last
/// only for those who may assign).
#[component]
fn Assignment(conversation: Uuid, assignee: Option<String>, viewer: ThreadViewer) -> impl IntoView {
    let refresh = expect_context::<InboxRefresh>();
    let assign = ServerAction::<AssignConversation>::new();
    Effect::new(move || {
        if let Some(Ok(())) = assign.value().get() {
            refresh.bump();
        }
    });
    let (text, action) = match (&assignee, viewer.is_assignee) {
        (_, true) => ("You have this conversation".to_owned(), Some(("Release", false))),
        (Some(name), false) => (format!("{name} has this conversation"), viewer.may_assign.then_some(("Take control", true))),
        (None, false) => ("Unassigned".to_owned(), Some(("Take control", true))),
    };
    view! {
        <div class="assignment small" data-testid="assignment">
            <span>{text}</span>
            {action.map(|(label, take)| view! {
                <button
                    type="button"
                    class="button button-small"
                    disabled=move || assign.pending().get()
                    on:click=move |_| { assign.dispatch(AssignConversation { conversation, take }); }
                >
                    {label}
                </button>
            })}
            {move || assign.value().get().and_then(Result::err).map(|e| view! { <span class="field-error" role="alert">{e.to_string()}</span> })}
        </div>
    }
}

#[component]
fn StatusSelect(conversation: Uuid, status: String) -> impl IntoView {
    let refresh = expect_context::<InboxRefresh>();
    let change = ServerAction::<SetConversationStatus>::new();
    Effect::new(move || {
        if let Some(Ok(())) = change.value().get() {
            refresh.bump();
        }
    });
    view! {
        <select
            class="status-select"
            aria-label="Status of this conversation"
            disabled=move || change.pending().get()
            on:change=move |ev| { change.dispatch(SetConversationStatus { conversation, status: event_target_value(&ev) }); }
        >
            {ConversationStatus::ALL.into_iter().map(|s| view! {
                <option value=s.key() selected=s.key() == status>{s.label()}</option>
            }).collect_view()}
        </select>
    }
}

#[component]
fn MessageBubble(message: ThreadMessage, quoted: Option<ThreadMessage>, contact: String, may_react: bool) -> impl IntoView {
    let highlighted = expect_context::<Highlighted>();
    let id = message.id;
    let inbound = message.is_inbound();
    let time = time_of(message.created_at);
    let status = message.status.clone();
    let error = message.error.clone();
    view! {
        <div class="bubble-row" class:bubble-row-out=!inbound id=element_id(id)>
            <article
                class="bubble"
                class:bubble-in=inbound
                class:bubble-out=!inbound
                class:bubble-highlight=move || highlighted.0.get() == Some(id)
                data-testid="message"
                data-kind=message.kind.clone()
            >
                {message.context_wamid.is_some().then(|| view! { <Quote quoted contact=contact.clone() /> })}
                <MessageContent message=message.clone() />
                <p class="bubble-meta">
                    <ReplyButton message=message.clone() />
                    <StarButton message=id starred=message.starred />
                    <time datetime=message.created_at.to_rfc3339()>{time}</time>
                    {(!inbound).then(|| view! { <Ticks status=status error=error.clone() /> })}
                </p>
                {error.filter(|_| !inbound).map(|reason| view! { <p class="bubble-error" role="status">{reason}</p> })}
                {OutboundStatus::from_key(&message.status).filter(|s| s.can_retry()).map(|_| view! { <RetryButton message=message.id /> })}
                {(inbound && may_react && message.wamid.is_some()).then(|| view! { <ReactionPicker message=id current=message.team_reaction.clone() /> })}
                <Reactions customer=message.customer_reaction.clone() team=message.team_reaction.clone() contact />
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

/// Takes control of the conversation (`take`), or releases it.
#[server]
pub async fn assign_conversation(conversation: Uuid, take: bool) -> Result<(), AppError> {
    use parley::domain::conversation::ConversationId;
    let (state, actor) = crate::context::actor().await?;
    let assignee = take.then_some(actor.user_id);
    Ok(parley::inbox::assignment::assign(&state.pool, &actor, ConversationId(conversation), assignee).await?)
}

/// Open, pending or resolved.
#[server]
pub async fn set_conversation_status(conversation: Uuid, status: String) -> Result<(), AppError> {
    use parley::domain::conversation::ConversationId;
    let (state, actor) = crate::context::actor().await?;
    let status = ConversationStatus::from_key(&status)
        .ok_or_else(|| AppError::Invalid { field: "status".into(), message: "Choose open, pending or resolved".into() }.with_status())?;
    Ok(parley::inbox::assignment::set_status(&state.pool, &actor, ConversationId(conversation), status).await?)
}

/// A conversation's header and a page of its messages (the newest, or those before `before`).
#[server]
pub async fn get_thread(conversation: Uuid, #[server(default)] before: Option<Uuid>) -> Result<Thread, AppError> {
    let (state, actor) = crate::context::actor().await?;
    Ok(parley::inbox::conversations::thread(&state.pool, &actor, conversation, before).await?)
}
