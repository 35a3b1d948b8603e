//! `/quick-replies`: the team's canned answers. Everyone who reads the inbox sees them (and uses
//! them by typing `/shortcut` in a reply); those who write templates create, edit and delete them.

use crate::error::AppError;
use crate::forms::{FormAlert, FormErrors, SubmitButton};
use crate::settings::{ConfirmDialog, Modal, Notice, TextInput, failure};
use crate::shell::RequirePermission;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use parley::domain::quick_reply::{QuickReply, QuickReplyShortcut, QuickReplyText};
use parley::domain::{ChannelId, Permission};
use uuid::Uuid;

#[component]
pub fn QuickRepliesPage() -> impl IntoView {
    view! {
        <RequirePermission permission=Permission::InboxRead>
            <QuickReplies />
        </RequirePermission>
    }
}

#[component]
fn QuickReplies() -> impl IntoView {
    let may_write = crate::session::use_current_user().with_untracked(|u| u.can(Permission::TemplatesWrite));
    let version = RwSignal::new(0u32);
    let search = RwSignal::new(String::new());
    let replies = Resource::new(move || (search.get(), version.get()), |(search, _)| list_quick_replies(search));
    // Only the form's channel menu reads them: fetched once the page is live, so the server's
    // page and the hydrating one agree.
    let channels = crate::hydrated::fetched_in_browser(move || async move {
        if may_write { quick_reply_channels().await } else { Ok(Vec::new()) }
    });
    let notice = RwSignal::new(None::<String>);
    let editing = RwSignal::new(None::<QuickReply>);
    let deleting = RwSignal::new(None::<QuickReply>);
    let delete = ServerAction::<DeleteQuickReply>::new();
    let reload = move || version.update(|v| *v += 1);
    Effect::new(move || {
        if let Some(Ok(())) = delete.value().get() {
            if let Some(reply) = deleting.get_untracked() {
                notice.set(Some(format!("The quick reply /{} was deleted.", reply.shortcut)));
            }
            deleting.set(None);
            reload();
        }
    });
    let channel_choices = Signal::derive(move || channels.get().and_then(Result::ok).unwrap_or_default());

    view! {
        <section class="page">
            <div class="page-header">
                <h1>"Quick replies"</h1>
                <p class="muted">"Answers you give often. In a conversation, type / and the shortcut to insert one, then edit it before sending."</p>
            </div>
            <Notice message=notice />
            <div class="card">
                <div class="toolbar">
                    <label class="sr-only" for="quick-reply-search">"Search quick replies"</label>
                    <input
                        id="quick-reply-search"
                        type="search"
                        placeholder="Search shortcuts and texts"
                        prop:value=move || search.get()
                        on:input=move |ev| search.set(event_target_value(&ev))
                    />
                </div>
                <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading quick replies…"</p> }>
                    {move || replies.get().map(|result| match result {
                        Err(err) => view! { <div class="alert alert-error" role="alert">{err.to_string()}</div> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <p class="muted empty-state" data-testid="quick-replies-empty">
                                {if search.get_untracked().trim().is_empty() {
                                    if may_write { "No quick replies yet. Create the first one below." } else { "No quick replies yet." }
                                } else {
                                    "No quick reply matches your search."
                                }}
                            </p>
                        }.into_any(),
                        Ok(list) => view! {
                            <table class="table">
                                <thead>
                                    <tr>
                                        <th scope="col">"Shortcut"</th>
                                        <th scope="col">"Text"</th>
                                        <th scope="col">"Channel"</th>
                                        {may_write.then(|| view! { <th scope="col"><span class="sr-only">"Actions"</span></th> })}
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|reply| view! {
                                        <QuickReplyLine reply may_write
                                            on_edit=Callback::new(move |r: QuickReply| { notice.set(None); editing.set(Some(r)); })
                                            on_delete=Callback::new(move |r: QuickReply| { notice.set(None); delete.clear(); deleting.set(Some(r)); }) />
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    })}
                </Transition>
            </div>
            {may_write.then(|| view! {
                <div class="card">
                    <h2>"New quick reply"</h2>
                    <QuickReplyEditor reply=None channels=channel_choices on_saved=Callback::new(move |shortcut: String| {
                        notice.set(Some(format!("The quick reply /{shortcut} was created.")));
                        reload();
                    }) />
                </div>
            })}
            {move || editing.get().map(|reply| view! {
                <Modal title=format!("Edit /{}", reply.shortcut) on_close=Callback::new(move |()| editing.set(None))>
                    <QuickReplyEditor reply=Some(reply.clone()) channels=channel_choices on_saved=Callback::new(move |shortcut: String| {
                        editing.set(None);
                        notice.set(Some(format!("The quick reply /{shortcut} was saved.")));
                        reload();
                    }) />
                </Modal>
            })}
            {move || deleting.get().map(|reply| {
                let id = reply.id;
                view! {
                    <ConfirmDialog
                        title=format!("Delete the quick reply /{}?", reply.shortcut)
                        message="Agents will no longer be offered it in the composer. This cannot be undone.".to_owned()
                        confirm_label="Delete quick reply"
                        pending=delete.pending()
                        error=Signal::derive(move || failure(delete.value().get()))
                        on_confirm=Callback::new(move |()| { delete.dispatch(DeleteQuickReply { id }); })
                        on_cancel=Callback::new(move |()| deleting.set(None))
                    />
                }
            })}
        </section>
    }
}

#[component]
fn QuickReplyLine(reply: QuickReply, may_write: bool, on_edit: Callback<QuickReply>, on_delete: Callback<QuickReply>) -> impl IntoView {
    let row = StoredValue::new(reply.clone());
    let shortcut = format!("/{}", reply.shortcut);
    view! {
        <tr data-testid="quick-reply">
            <td><code>{shortcut.clone()}</code></td>
            <td class="quick-reply-text">{reply.text.clone()}</td>
            <td>{reply.channel_name.clone().unwrap_or_else(|| "All channels".to_owned())}</td>
            {may_write.then(|| view! {
                <td class="actions">
                    <button type="button" class="button button-small" aria-label=format!("Edit {shortcut}")
                        on:click=move |_| on_edit.run(row.get_value())>"Edit"</button>
                    " "
                    <button type="button" class="button button-small button-danger" aria-label=format!("Delete {shortcut}")
                        on:click=move |_| on_delete.run(row.get_value())>"Delete"</button>
                </td>
            })}
        </tr>
    }
}

/// The form that creates a quick reply (`reply` None) or edits one.
#[component]
fn QuickReplyEditor(reply: Option<QuickReply>, channels: Signal<Vec<(ChannelId, String)>>, on_saved: Callback<String>) -> impl IntoView {
    let id = reply.as_ref().map(|r| r.id);
    let prefix = if id.is_some() { "edit-quick-reply" } else { "new-quick-reply" };
    let shortcut = RwSignal::new(reply.as_ref().map(|r| r.shortcut.clone()).unwrap_or_default());
    let text = RwSignal::new(reply.as_ref().map(|r| r.text.clone()).unwrap_or_default());
    let channel = RwSignal::new(reply.as_ref().and_then(|r| r.channel_id).map(|c| c.to_string()).unwrap_or_default());
    let errors = FormErrors::new();
    let save = ServerAction::<SaveQuickReply>::new();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        errors.clear();
        let shortcut_ok = errors.check("shortcut", QuickReplyShortcut::parse(&shortcut.get_untracked()));
        let text_ok = errors.check("text", QuickReplyText::parse(&text.get_untracked()));
        if shortcut_ok && text_ok {
            save.dispatch(SaveQuickReply { id, shortcut: shortcut.get_untracked(), text: text.get_untracked(), channel: channel.get_untracked() });
        }
    };
    Effect::new(move || match save.value().get() {
        Some(Ok(())) => {
            let saved = QuickReplyShortcut::parse(&shortcut.get_untracked()).map(|s| s.as_str().to_owned()).unwrap_or_default();
            if id.is_none() {
                shortcut.set(String::new());
                text.set(String::new());
                channel.set(String::new());
            }
            on_saved.run(saved);
        }
        Some(Err(err)) => errors.show(&err),
        None => {}
    });
    let text_error = errors.field("text");
    let channel_error = errors.field("channel");
    view! {
        <form on:submit=submit novalidate>
            <FormAlert errors=errors />
            <TextInput label="Shortcut" id=format!("{prefix}-shortcut") name="shortcut" value=shortcut errors autocomplete="off"
                hint="Letters, digits, - and _. Agents type it after a / in a reply." />
            <div class="field" class:field-invalid=move || text_error.get().is_some()>
                <label for=format!("{prefix}-text")>"Text"</label>
                <textarea id=format!("{prefix}-text") name="text" rows="4"
                    aria-invalid=move || text_error.get().is_some().to_string()
                    aria-describedby=format!("{prefix}-text-error")
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                <p class="field-error" id=format!("{prefix}-text-error") role="alert">{move || text_error.get()}</p>
            </div>
            <div class="field" class:field-invalid=move || channel_error.get().is_some()>
                <label for=format!("{prefix}-channel")>"Channel"</label>
                <select id=format!("{prefix}-channel") name="channel" prop:value=move || channel.get()
                    on:change=move |ev| channel.set(event_target_value(&ev))>
                    <option value="">"All channels"</option>
                    {move || channels.get().into_iter().map(|(id, name)| {
                        let value = id.to_string();
                        let selected = channel.get_untracked() == value;
                        view! { <option value=value selected=selected>{name}</option> }
                    }).collect_view()}
                </select>
                <p class="field-error" role="alert">{move || channel_error.get()}</p>
            </div>
            <SubmitButton label=if id.is_some() { "Save quick reply" } else { "Create quick reply" } busy_label="Saving…"
                pending=save.pending().into() />
        </form>
    }
}

// ---- Server functions ----

/// The organization's quick replies matching `search`.
#[server]
pub async fn list_quick_replies(search: String) -> Result<Vec<QuickReply>, AppError> {
    let (state, actor) = crate::context::actor().await?;
    Ok(parley::quick_replies::list(&state.pool, &actor, &search).await?)
}

/// The channels a quick reply can be restricted to.
#[server]
pub async fn quick_reply_channels() -> Result<Vec<(ChannelId, String)>, AppError> {
    let (state, actor) = crate::context::actor().await?;
    Ok(parley::quick_replies::channel_choices(&state.pool, &actor).await?)
}

/// Creates (`id` None) or updates a quick reply. `channel` is a channel id, or empty for every
/// channel.
#[server]
pub async fn save_quick_reply(#[server(default)] id: Option<Uuid>, shortcut: String, text: String, channel: String) -> Result<(), AppError> {
    let (state, actor) = crate::context::actor().await?;
    let channel = match channel.trim() {
        "" => None,
        raw => Some(raw.parse::<ChannelId>().map_err(|e| AppError::Invalid { field: "channel".into(), message: e.to_string() }.with_status())?),
    };
    let form = parley::quick_replies::QuickReplyForm { shortcut, text, channel };
    match id {
        None => {
            parley::quick_replies::create(&state.pool, &actor, &form).await?;
        }
        Some(id) => parley::quick_replies::update(&state.pool, &actor, id, &form).await?,
    }
    Ok(())
}

#[server]
pub async fn delete_quick_reply(id: Uuid) -> Result<(), AppError> {
    let (state, actor) = crate::context::actor().await?;
    Ok(parley::quick_replies::delete(&state.pool, &actor, id).await?)
}
