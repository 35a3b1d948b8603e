//! The conversation list: status tabs, search, rows newest first, more on demand.

use super::{InboxRefresh, LoadMore};
use super::bubble::Ticks;
use crate::clock::time_of;
use crate::error::AppError;
use leptos::prelude::*;
use parley::domain::inbox::{
    AssigneeFilter, Choice, ConversationSummary, InboxChoices, InboxCursor, InboxPage, ListScope, StatusFilter,
};
use uuid::Uuid;

#[component]
pub(super) fn ConversationList(selected: Memo<Option<Uuid>>) -> impl IntoView {
    let refresh = expect_context::<InboxRefresh>();
    let filter = RwSignal::new(StatusFilter::Open);
    let assignee = RwSignal::new(AssigneeFilter::Everyone);
    let search = RwSignal::new(String::new());
    let scope = RwSignal::new(ListScope::default());
    let choices = expect_context::<super::Choices>().0;
    // Pages after the first, kept while the filter and search stay the same.
    let more = RwSignal::new(Vec::<ConversationSummary>::new());
    let next = RwSignal::new(None::<InboxCursor>);
    let first = Resource::new(
        move || (filter.get(), assignee.get(), search.get(), scope.get(), refresh.0.get()),
        |(filter, assignee, search, scope, _)| {
            list_conversations(filter.key().to_owned(), assignee.key().to_owned(), search, None, scope.team, scope.channel, scope.starred)
        },
    );
    let loading_more = RwSignal::new(false);
    Effect::new(move || {
        if let Some(Ok(page)) = first.get() {
            more.set(Vec::new());
            next.set(page.next);
        }
    });
    let load_more = move || {
        if loading_more.get_untracked() {
            return;
        }
        let Some(cursor) = next.get_untracked() else { return };
        loading_more.set(true);
        leptos::task::spawn_local(async move {
            let result = list_conversations(
                filter.get_untracked().key().to_owned(),
                assignee.get_untracked().key().to_owned(),
                search.get_untracked(),
                Some(cursor),
                scope.get_untracked().team,
                scope.get_untracked().channel,
                scope.get_untracked().starred,
            )
            .await;
            loading_more.set(false);
            if let Ok(page) = result {
                more.update(|m| m.extend(page.conversations));
                next.set(page.next);
            }
        });
    };

    view! {
        <aside class="conversation-list" aria-label="Conversations">
            <div class="conversation-tools">
                <div class="tabs" role="tablist" aria-label="Show conversations by status">
                    {StatusFilter::ALL.into_iter().map(|f| view! {
                        <button
                            type="button"
                            role="tab"
                            class="tab"
                            aria-selected=move || (filter.get() == f).to_string()
                            on:click=move |_| filter.set(f)
                        >
                            {f.label()}
                        </button>
                    }).collect_view()}
                </div>
                <div class="tabs" role="tablist" aria-label="Assigned to">
                    {AssigneeFilter::ALL.into_iter().map(|f| view! {
                        <button
                            type="button"
                            role="tab"
                            class="tab"
                            aria-selected=move || (assignee.get() == f).to_string()
                            on:click=move |_| assignee.set(f)
                        >
                            {f.label()}
                        </button>
                    }).collect_view()}
                </div>
                <div class="list-scope">
                    <ScopeSelect label="Team" everything="All teams" options=move || choices.get().and_then(Result::ok).map(|c| c.teams)
                        on_pick=move |team| scope.update(|s| s.team = team) />
                    <ScopeSelect label="Channel" everything="All channels" options=move || choices.get().and_then(Result::ok).map(|c| c.channels)
                        on_pick=move |channel| scope.update(|s| s.channel = channel) />
                    <button
                        type="button"
                        class="button button-small"
                        aria-pressed=move || scope.with(|s| s.starred).to_string()
                        title="Only conversations where you starred a message"
                        on:click=move |_| scope.update(|s| s.starred = !s.starred)
                    >
                        "★ Starred"
                    </button>
                </div>
                <div class="copy-row">
                    <input
                        type="search"
                        class="conversation-search"
                        placeholder="Search name, number or message"
                        aria-label="Search conversations"
                        on:change=move |ev| search.set(event_target_value(&ev))
                    />
                    <button type="button" class="button button-small" aria-label="Refresh conversations" on:click=move |_| refresh.bump()>
                        "⟳"
                    </button>
                </div>
            </div>
            <Transition fallback=|| view! { <p class="muted list-note" aria-busy="true">"Loading conversations…"</p> }>
                {move || first.get().map(|result| match result {
                    Err(err) => view! { <div class="alert alert-error" role="alert">{err.to_string()}</div> }.into_any(),
                    Ok(InboxPage { conversations, .. }) if conversations.is_empty() => view! {
                        <p class="muted list-note">
                            {if search.with(String::is_empty) {
                                "No conversations here yet. When a customer writes to one of your WhatsApp numbers, the conversation appears here."
                            } else {
                                "No conversation matches this search."
                            }}
                        </p>
                    }.into_any(),
                    Ok(page) => view! {
                        <ul
                            class="conversations"
                            on:scroll=move |ev| {
                                let list = event_target::<web_sys::HtmlElement>(&ev);
                                if list.scroll_height() - list.scroll_top() - list.client_height() < 200 {
                                    load_more();
                                }
                            }
                        >
                            {page.conversations.into_iter().map(|row| view! { <ConversationRow row selected /> }).collect_view()}
                            <For each=move || more.get() key=|row| row.id let:row>
                                <ConversationRow row selected />
                            </For>
                        </ul>
                    }.into_any(),
                })}
            </Transition>
            <LoadMore shown=Signal::derive(move || next.with(Option::is_some)) loading=loading_more label="Load more conversations" on_load=load_more />
        </aside>
    }
}

/// "All teams" or one team (likewise channels): narrows the list.
#[component]
fn ScopeSelect(
    label: &'static str,
    everything: &'static str,
    options: impl Fn() -> Option<Vec<Choice>> + Send + Sync + 'static,
    on_pick: impl Fn(Option<Uuid>) + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <select class="scope-select" aria-label=label on:change=move |ev| on_pick(Uuid::parse_str(&event_target_value(&ev)).ok())>
            <option value="">{everything}</option>
            {move || options().map(|all| all.into_iter().map(|o| view! { <option value=o.id.to_string()>{o.name}</option> }).collect_view())}
        </select>
    }
}

#[component]
fn ConversationRow(row: ConversationSummary, selected: Memo<Option<Uuid>>) -> impl IntoView {
    let id = row.id;
    let href = format!("/inbox/{id}");
    let initials = row.initials();
    let outbound = row.preview_direction.as_deref() == Some("outbound");
    let preview = preview_text(&row);
    let at = row.last_message_at;
    view! {
        <li>
            <a
                href=href
                class="conversation-row"
                class:conversation-selected=move || selected.get() == Some(id)
                aria-current=move || (selected.get() == Some(id)).then_some("page")
                data-testid="conversation"
            >
                <span class="avatar" aria-hidden="true">{initials}</span>
                <span class="conversation-main">
                    <span class="conversation-top">
                        <strong class="conversation-name">{row.contact_name.clone()}</strong>
                        <time class="conversation-time" datetime=at.to_rfc3339()>{move || time_of(at)}</time>
                    </span>
                    <span class="conversation-bottom">
                        <span class="conversation-preview">
                            {outbound.then(|| view! { <Ticks status=row.preview_status.clone().unwrap_or_default() error=None /> })}
                            {preview}
                        </span>
                        {(row.unread_count > 0).then(|| view! {
                            <span class="unread-badge" aria-label=format!("{} unread", row.unread_count)>{row.unread_count}</span>
                        })}
                    </span>
                    <span class="conversation-meta muted small">
                        {row.channel_name.clone()}
                        {row.team_name.clone().map(|team| format!(" · {team}"))}
                        {row.assignee_name.clone().map(|name| format!(" · {name}"))}
                    </span>
                </span>
            </a>
        </li>
    }
}

fn preview_text(row: &ConversationSummary) -> String {
    let body = row.preview.clone().unwrap_or_default();
    let label = match row.preview_kind.as_deref() {
        Some("image") => "📷 Photo",
        Some("video") => "🎥 Video",
        Some("audio") => "🎤 Audio",
        Some("document") => "📄 Document",
        Some("sticker") => "Sticker",
        Some("location") => "📍 Location",
        Some("contacts") => "👤 Contact",
        Some("reaction") => "Reacted",
        Some("template") => "📋 Template",
        _ => "",
    };
    match (label.is_empty(), body.is_empty()) {
        (true, _) => body,
        (false, true) => label.to_owned(),
        (false, false) => format!("{label}: {body}"),
    }
}

/// A page of the conversation list. `filter` is open, pending, resolved or all; `assignee` is
/// everyone, mine or unassigned; `team` and `channel` narrow it further.
#[server]
pub async fn list_conversations(
    filter: String,
    #[server(default)] assignee: String,
    #[server(default)] search: String,
    #[server(default)] after: Option<InboxCursor>,
    #[server(default)] team: Option<Uuid>,
    #[server(default)] channel: Option<Uuid>,
    #[server(default)] starred: bool,
) -> Result<InboxPage, AppError> {
    let (state, actor) = crate::context::actor().await?;
    let (status, assignee) = (StatusFilter::from_key(&filter), AssigneeFilter::from_key(&assignee));
    let scope = ListScope { team, channel, starred };
    Ok(parley::inbox::conversations::list(&state.pool, &actor, status, assignee, &search, after, scope).await?)
}

/// The people, teams and channels the inbox offers to pick.
#[server]
pub async fn list_inbox_choices() -> Result<InboxChoices, AppError> {
    let (state, actor) = crate::context::actor().await?;
    Ok(parley::inbox::conversations::choices(&state.pool, &actor).await?)
}
