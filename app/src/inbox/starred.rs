//! `/starred`: the messages this person starred, newest first and grouped by day, optionally of
//! one channel; each opens its conversation at that message.

use super::LoadMore;
use crate::clock::{day_of, time_of};
use crate::error::AppError;
use crate::shell::RequirePermission;
use leptos::prelude::*;
use parley::domain::Permission;
use parley::domain::starred::{StarredCursor, StarredMessage, StarredPage, group_by_day};
use uuid::Uuid;

#[component]
pub fn StarredMessagesPage() -> impl IntoView {
    view! {
        <RequirePermission permission=Permission::InboxRead>
            <Starred />
        </RequirePermission>
    }
}

#[component]
fn Starred() -> impl IntoView {
    let channel = RwSignal::new(None::<Uuid>);
    let first = Resource::new(move || channel.get(), |channel| list_starred(channel, None));
    // Pages after the first, kept while the channel filter stays the same.
    let more = RwSignal::new(Vec::<StarredMessage>::new());
    let next = RwSignal::new(None::<StarredCursor>);
    let loading_more = RwSignal::new(false);
    let load_error = RwSignal::new(None::<String>);
    Effect::new(move || {
        if let Some(Ok(page)) = first.get() {
            more.set(Vec::new());
            next.set(page.next);
        }
    });
    let load_more = move || {
        let Some(cursor) = next.get_untracked() else { return };
        loading_more.set(true);
        load_error.set(None);
        leptos::task::spawn_local(async move {
            let result = list_starred(channel.get_untracked(), Some(cursor)).await;
            loading_more.set(false);
            match result {
                Ok(page) => {
                    more.update(|m| m.extend(page.messages));
                    next.set(page.next);
                }
                Err(err) => load_error.set(Some(err.to_string())),
            }
        });
    };

    view! {
        <section class="page starred-page">
            <div class="page-header">
                <h1>"Starred messages"</h1>
                <p class="muted">"Messages you starred in the inbox. Only you see your stars."</p>
            </div>
            <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading your starred messages…"</p> }>
                {move || first.get().map(|result| match result {
                    Err(err) => view! { <div class="alert alert-error" role="alert">{err.to_string()}</div> }.into_any(),
                    Ok(StarredPage { messages, channels, .. }) => {
                        let filtered = channel.with_untracked(Option::is_some);
                        view! {
                            <div class="toolbar">
                                <label class="small" for="starred-channel">"Channel"</label>
                                <select
                                    id="starred-channel"
                                    on:change=move |ev| channel.set(Uuid::parse_str(&event_target_value(&ev)).ok())
                                >
                                    <option value="" selected=move || channel.with(Option::is_none)>"All channels"</option>
                                    {channels.into_iter().map(|c| view! {
                                        <option value=c.id.to_string() selected=move || channel.get() == Some(c.id)>{c.name}</option>
                                    }).collect_view()}
                                </select>
                            </div>
                            {if messages.is_empty() {
                                view! { <EmptyStarred filtered /> }.into_any()
                            } else {
                                let all = Signal::derive(move || {
                                    let mut all = messages.clone();
                                    all.extend(more.get());
                                    all
                                });
                                view! { <StarredDays messages=all /> }.into_any()
                            }}
                        }.into_any()
                    }
                })}
            </Transition>
            <Show when=move || load_error.with(Option::is_some)>
                <p class="field-error" role="alert">{move || load_error.get()}</p>
            </Show>
            <LoadMore shown=Signal::derive(move || next.with(Option::is_some)) loading=loading_more label="Load more" on_load=load_more />
        </section>
    }
}

#[component]
fn EmptyStarred(filtered: bool) -> impl IntoView {
    view! {
        <div class="card empty-state">
            <p class="muted">
                {if filtered {
                    "No starred messages from this channel."
                } else {
                    "No starred messages yet. Star a message in a conversation (☆ beside it) to find it here later."
                }}
            </p>
            <a class="button" href="/inbox">"Go to the inbox"</a>
        </div>
    }
}

/// One heading per day, newest day first, with its messages under it.
#[component]
fn StarredDays(messages: Signal<Vec<StarredMessage>>) -> impl IntoView {
    move || {
        group_by_day(&messages.get())
            .into_iter()
            .map(|(_, items)| {
                let heading = items.first().map(|m| day_of(m.created_at)).unwrap_or_default();
                view! {
                    <section class="starred-day">
                        <h2 class="starred-day-heading">{heading}</h2>
                        <ul class="starred-list">
                            {items.into_iter().map(|message| view! { <StarredItem message /> }).collect_view()}
                        </ul>
                    </section>
                }
            })
            .collect_view()
    }
}

#[component]
fn StarredItem(message: StarredMessage) -> impl IntoView {
    let at = message.created_at;
    let href = format!("/inbox/{}?message={}", message.conversation_id, message.message_id);
    view! {
        <li>
            <a class="starred-item card" href=href data-testid="starred-message">
                <span class="starred-top">
                    <strong class="starred-who">{message.label()}</strong>
                    <time class="muted small" datetime=message.created_at.to_rfc3339()>{move || time_of(at)}</time>
                </span>
                <span class="starred-preview">{message.preview()}</span>
                <span class="muted small">{message.channel_name.clone()}</span>
            </a>
        </li>
    }
}

/// A page of the person's starred messages, newest first, of one channel or all.
#[server]
pub async fn list_starred(
    #[server(default)] channel: Option<Uuid>,
    #[server(default)] after: Option<StarredCursor>,
) -> Result<StarredPage, AppError> {
    use parley::domain::ChannelId;
    let (state, actor) = crate::context::actor().await?;
    Ok(parley::inbox::stars::starred(&state.pool, &actor, channel.map(ChannelId), after).await?)
}
