//! The open conversation: who it is with, the customer-service window, and the messages, oldest at
//! the top, with older pages on demand.

use super::{InboxRefresh, LiveInbox};
use super::bot::BotToggle;
use super::bubble::{MessageContent, Ticks};
use crate::clock::{day_of, time_of};
use super::composer::{Composer, MarkConversationRead, RetryReply};
use super::jump::{Highlighted, element_id};
use super::reactions::{ReactionPicker, Reactions};
use super::reply::{Quote, ReplyButton, Replying};
use super::star::StarButton;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use parley::domain::conversation::{ConversationStatus, ConversationWindow, OutboundStatus, TransferNote};
use parley::domain::inbox::{ConversationHeader, Thread, ThreadMessage, ThreadViewer};
use uuid::Uuid;

#[component]
pub(super) fn ThreadView(conversation: Uuid) -> impl IntoView {
    let refresh = expect_context::<InboxRefresh>();
    // The other agents learn who has this conversation open.
    let live = expect_context::<LiveInbox>();
    live.viewing.set(Some(conversation));
    on_cleanup(move || live.viewing.update(|v| if *v == Some(conversation) { *v = None }));
    let thread = Resource::new(move || (conversation, refresh.0.get()), |(id, _)| get_thread(id, None));
    let mark_read = ServerAction::<MarkConversationRead>::new();
    Effect::new(move || {
        mark_read.dispatch(MarkConversationRead { conversation });
    });
    let notifications = expect_context::<crate::notifications::Notifications>();
    Effect::new(move || {
        if let Some(Ok(())) = mark_read.value().get() {
            refresh.bump();
            notifications.were_read();
        }
    });
    // Older pages, prepended as the agent scrolls up; kept when the newest page is fetched again.
    let older = RwSignal::new(Vec::<ThreadMessage>::new());
    let has_older = RwSignal::new(false);
    let loading_older = RwSignal::new(false);
    Effect::new(move || {
        if let Some(Ok(t)) = thread.get()
            && older.with_untracked(Vec::is_empty)
        {
            has_older.set(t.has_older);
        }
    });
    let highlighted = Highlighted(RwSignal::new(None));
    provide_context(highlighted);
    provide_context(Replying(RwSignal::new(None)));
    let scroller = MessageScroller::new();
    let load_older = move || {
        if loading_older.get_untracked() || !has_older.get_untracked() {
            return;
        }
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
                scroller.keep_position();
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

    let composing = Memo::new(move |_| {
        thread.with(|t| match t {
            Some(Ok(Thread { conversation: header, viewer, .. })) => Some(Composing {
                window_open: ConversationWindow::new(header.last_inbound_at).allows_free_form(chrono::Utc::now()),
                may_reply: viewer.may_reply,
                holder: header.assignee_name.clone(),
                contact: header.contact_name.clone(),
            }),
            _ => None,
        })
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
                            let newest: Vec<_> = messages.iter().filter(|m| !all.iter().any(|o| o.id == m.id)).cloned().collect();
                            all.extend(newest);
                            all
                        });
                        Effect::new(move || {
                            all.track();
                            scroller.after_render();
                        });
                        view! {
                            <ThreadHeader header=header.clone() viewer />
                            <PresenceNotice conversation />
                            <div
                                class="messages"
                                role="log"
                                aria-label="Messages"
                                aria-live="polite"
                                node_ref=scroller.element
                                on:scroll=move |_| {
                                    if scroller.on_scroll() {
                                        load_older();
                                    }
                                }
                            >
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
                        }.into_any()
                    }
                })}
            </Transition>
            // Outside the thread's redraws: a draft, a quote or a half-filled template survives
            // every event, and the composer is rebuilt only when what it offers changes. It is
            // drawn once the page is live (the server's page has none), so hydration matches.
            {move || crate::hydrated::hydrated().then(|| composing.get()).flatten().map(|c| view! {
                <Composer conversation window_open=c.window_open may_reply=c.may_reply holder=c.holder contact=c.contact />
            })}
        </div>
    }
}

/// What the composer offers, from the thread's header.
#[derive(Clone, PartialEq)]
struct Composing {
    window_open: bool,
    may_reply: bool,
    holder: Option<String>,
    contact: String,
}

/// Keeps the thread where WhatsApp keeps it: at the newest message while the agent is there,
/// still when older messages are prepended above, and asks for older ones near the top.
#[derive(Clone, Copy)]
struct MessageScroller {
    element: NodeRef<leptos::html::Div>,
    at_bottom: StoredValue<bool>,
    /// Distance from the bottom to restore after older messages were prepended.
    keep_from_bottom: StoredValue<Option<i32>>,
}

impl MessageScroller {
    /// Older messages are asked for within this many pixels of the top.
    const NEAR_TOP: i32 = 80;

    fn new() -> Self {
        Self { element: NodeRef::new(), at_bottom: StoredValue::new(true), keep_from_bottom: StoredValue::new(None) }
    }

    /// Records where the agent is; true when older messages should load.
    fn on_scroll(&self) -> bool {
        let Some(el) = self.element.get_untracked() else { return false };
        self.at_bottom.set_value(el.scroll_height() - el.scroll_top() - el.client_height() < 40);
        el.scroll_top() < Self::NEAR_TOP
    }

    fn keep_position(&self) {
        if let Some(el) = self.element.get_untracked() {
            self.keep_from_bottom.set_value(Some(el.scroll_height() - el.scroll_top()));
        }
    }

    fn after_render(self) {
        request_animation_frame(move || {
            let Some(el) = self.element.get_untracked() else { return };
            if let Some(from_bottom) = self.keep_from_bottom.get_value() {
                self.keep_from_bottom.set_value(None);
                el.set_scroll_top(el.scroll_height() - from_bottom);
            } else if self.at_bottom.get_value() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }
}

/// "Olivia Owner is here too": the other agents looking at this conversation now.
#[component]
fn PresenceNotice(conversation: Uuid) -> impl IntoView {
    let live = expect_context::<LiveInbox>();
    let names = move || names_in(live.viewers, conversation);
    view! {
        <p class="presence-notice small muted" role="status" data-testid="presence">
            {move || {
                let names = names();
                match names.len() {
                    0 => String::new(),
                    1 => format!("👀 {} is here too", names[0]),
                    _ => format!("👀 {} are here too", names.join(", ")),
                }
            }}
        </p>
    }
}

fn names_in(list: RwSignal<Vec<super::Typing>>, conversation: Uuid) -> Vec<String> {
    list.with(|all| all.iter().filter(|t| t.conversation == conversation).map(|t| t.name.clone()).collect())
}

/// "Olivia Owner is typing…" while another agent writes in this conversation.
#[component]
fn TypingNotice(conversation: Uuid) -> impl IntoView {
    let live = expect_context::<LiveInbox>();
    let names = move || names_in(live.typing, conversation);
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
            <Assignment conversation header=header.clone() viewer />
            <StatusSelect conversation status=header.status.clone() />
        </header>
    }
}

/// "Unassigned [Take control]", "You have it [Release]", "Ana has it [Take control]" (the last
/// only for those who may assign), "Team Support has it"; and for those who may assign, "Assign…"
/// to hand it to a person or a team with a note. The last handover's note shows below.
#[component]
fn Assignment(conversation: Uuid, header: ConversationHeader, viewer: ThreadViewer) -> impl IntoView {
    let refresh = expect_context::<InboxRefresh>();
    let assign = ServerAction::<AssignConversation>::new();
    let transferring = RwSignal::new(false);
    Effect::new(move || {
        if let Some(Ok(())) = assign.value().get() {
            refresh.bump();
        }
    });
    let (text, action) = match (&header.assignee_name, &header.team_name, viewer.is_assignee) {
        (_, _, true) => ("You have this conversation".to_owned(), Some(("Release", false))),
        (Some(name), _, false) => (format!("{name} has this conversation"), viewer.may_assign.then_some(("Take control", true))),
        (None, Some(team), false) => (format!("Team {team} has this conversation"), viewer.may_reply.then_some(("Take control", true))),
        (None, None, false) => ("Unassigned".to_owned(), Some(("Take control", true))),
    };
    let note = header.transfer_note.clone().map(|note| match &header.transfer_by {
        Some(by) => format!("{by}: “{note}”"),
        None => format!("“{note}”"),
    });
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
            {viewer.may_assign.then(|| view! {
                <button type="button" class="button button-small" aria-haspopup="dialog" on:click=move |_| transferring.set(true)>
                    "Assign…"
                </button>
            })}
            {move || assign.value().get().and_then(Result::err).map(|e| view! { <span class="field-error" role="alert">{e.to_string()}</span> })}
            {note.map(|note| view! { <p class="transfer-note muted" data-testid="transfer-note">{note}</p> })}
            <Show when=move || transferring.get()>
                <TransferDialog conversation close=move || transferring.set(false) />
            </Show>
        </div>
    }
}

/// Hands the conversation to a person or a team, with an optional note for them.
#[component]
fn TransferDialog(conversation: Uuid, close: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let refresh = expect_context::<InboxRefresh>();
    let choices = expect_context::<super::Choices>().0;
    let to = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let transfer = ServerAction::<TransferConversation>::new();
    Effect::new(move || {
        if let Some(Ok(())) = transfer.value().get() {
            refresh.bump();
            close();
        }
    });
    let error = move || match transfer.value().get() {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    let note_left = move || TransferNote::MAX_CHARS as i64 - note.with(|n| n.trim().chars().count() as i64);
    view! {
        <form
            class="transfer-dialog card"
            role="dialog"
            aria-label="Assign this conversation"
            on:keydown=move |ev| if ev.key() == "Escape" { close() }
            on:submit=move |ev| {
                ev.prevent_default();
                if !to.get_untracked().is_empty() {
                    transfer.dispatch(TransferConversation { conversation, to: to.get_untracked(), note: note.get_untracked() });
                }
            }
        >
            <label class="field">
                <span>"Assign to"</span>
                <select required prop:value=move || to.get() on:change=move |ev| to.set(event_target_value(&ev))>
                    <option value="">"Choose a person or a team"</option>
                    {move || choices.get().and_then(Result::ok).map(|c| view! {
                        <optgroup label="People">
                            {c.people.into_iter().map(|p| view! { <option value=format!("person:{}", p.id)>{p.name}</option> }).collect_view()}
                        </optgroup>
                        <optgroup label="Teams">
                            {c.teams.into_iter().map(|t| view! { <option value=format!("team:{}", t.id)>{t.name}</option> }).collect_view()}
                        </optgroup>
                    })}
                </select>
            </label>
            <label class="field">
                <span>"Note for them (optional)"</span>
                <textarea rows="3" maxlength=TransferNote::MAX_CHARS prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))></textarea>
                <span class="muted small" class:field-error=move || { note_left() < 0 }>{move || format!("{} characters left", note_left())}</span>
            </label>
            {move || error().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            <div class="form-actions">
                <button type="submit" class="button button-primary" disabled=move || transfer.pending().get() || to.with(String::is_empty)>
                    {move || if transfer.pending().get() { "Assigning…" } else { "Assign" }}
                </button>
                <button type="button" class="button" on:click=move |_| close()>"Cancel"</button>
            </div>
        </form>
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
    let at = message.created_at;
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
                    <time datetime=at.to_rfc3339()>{move || time_of(at)}</time>
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

/// Hands the conversation to `to` ("person:<id>" or "team:<id>") with an optional note.
#[server]
pub async fn transfer_conversation(conversation: Uuid, to: String, #[server(default)] note: String) -> Result<(), AppError> {
    use parley::domain::conversation::{ConversationId, TransferTarget};
    use parley::domain::{TeamId, UserId};
    let (state, actor) = crate::context::actor().await?;
    let invalid = |field: &str, message: &str| AppError::Invalid { field: field.into(), message: message.into() }.with_status();
    let target = match to.split_once(':').map(|(kind, id)| (kind, Uuid::parse_str(id))) {
        Some(("person", Ok(id))) => TransferTarget::Person(UserId(id)),
        Some(("team", Ok(id))) => TransferTarget::Team(TeamId(id)),
        _ => return Err(invalid("to", "Choose a person or a team")),
    };
    let note = TransferNote::parse(&note).map_err(|e| invalid("note", &e.0))?;
    Ok(parley::inbox::assignment::transfer(&state.pool, &actor, ConversationId(conversation), target, note).await?)
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
