//! The customer beside the thread: their name (editable; empty falls back to the WhatsApp profile
//! name), number, tags, custom fields, consent to be messaged, notes, and how much the team has
//! talked with them. Collapsible, and collapsed at first on narrow screens.

use super::InboxRefresh;
use crate::error::AppError;
use crate::settings::{ConfirmDialog, failure};
use leptos::prelude::*;
use parley::domain::contact::{ContactDetails, ContactName, ContactNote, CustomFieldKey, CustomFieldValue, NoteBody, OptIn, Tag};
use uuid::Uuid;

/// Below this width the panel starts collapsed, leaving the room to the thread.
const NARROW_PX: f64 = 1200.0;

/// What every part of the panel does after a change: fetch the contact again (and, for a new
/// name, the list and the thread too).
#[derive(Clone, Copy)]
struct PanelReload(RwSignal<u32>);

impl PanelReload {
    fn bump(&self) {
        self.0.update(|v| *v = v.wrapping_add(1));
    }
}

#[component]
pub(super) fn ContactPanel(conversation: Uuid) -> impl IntoView {
    let refresh = expect_context::<InboxRefresh>();
    let reload = PanelReload(RwSignal::new(0));
    provide_context(reload);
    let details = Resource::new(move || (conversation, refresh.0.get(), reload.0.get()), |(c, _, _)| get_contact(c));
    let collapsed = RwSignal::new(false);
    Effect::new(move || {
        let narrow = web_sys::window().and_then(|w| w.inner_width().ok()).and_then(|w| w.as_f64()).is_some_and(|w| w < NARROW_PX);
        collapsed.set(narrow);
    });
    view! {
        <aside class="contact-panel" class:contact-panel-collapsed=move || collapsed.get() aria-label="Contact">
            <button
                type="button"
                class="button button-small contact-panel-toggle"
                aria-expanded=move || (!collapsed.get()).to_string()
                aria-controls="contact-panel-body"
                on:click=move |_| collapsed.update(|c| *c = !*c)
            >
                {move || if collapsed.get() { "Contact ‹" } else { "Hide contact ›" }}
            </button>
            <Show when=move || !collapsed.get()>
                <div id="contact-panel-body" class="contact-panel-body">
                    <Transition fallback=|| view! { <p class="muted small" aria-busy="true">"Loading the contact…"</p> }>
                        {move || details.get().map(|result| match result {
                            Err(AppError::Forbidden) => view! { <p class="muted small">"Your role does not show contacts."</p> }.into_any(),
                            Err(err) => view! { <div class="alert alert-error" role="alert">{err.to_string()}</div> }.into_any(),
                            Ok(contact) => view! { <ContactCard contact /> }.into_any(),
                        })}
                    </Transition>
                </div>
            </Show>
        </aside>
    }
}

#[component]
fn ContactCard(contact: ContactDetails) -> impl IntoView {
    let id = contact.id;
    let edit = contact.may_edit;
    view! {
        <NameEditor contact=id name=contact.name.clone().unwrap_or_default() shown=contact.display_name() profile=contact.profile_name.clone() edit />
        <dl class="contact-facts small">
            <dt>"Number"</dt>
            <dd data-testid="contact-number">{format!("+{}", contact.wa_id)}</dd>
            <dt>"WhatsApp name"</dt>
            <dd>{contact.profile_name.clone().unwrap_or_else(|| "—".to_owned())}</dd>
            <dt>"History"</dt>
            <dd data-testid="contact-history">
                {format!("{} · {}", plural(contact.conversation_count, "conversation"), plural(contact.message_count, "message"))}
            </dd>
        </dl>
        <Tags contact=id tags=contact.tags.clone() edit />
        <OptInStatus contact=id status=contact.opt_in changed_at=contact.opt_in_changed_at source=contact.opt_in_source.clone() edit />
        <CustomFields contact=id fields=contact.custom_fields.clone() edit />
        <Notes contact=id notes=contact.notes.clone() edit />
    }
}

/// Follows an action of the panel: `done` once it succeeded, its refusal into `error` otherwise.
fn on_outcome(outcome: impl Get<Value = Option<Result<(), AppError>>> + 'static, error: RwSignal<Option<String>>, done: impl Fn() + 'static) {
    Effect::new(move || match outcome.get() {
        Some(Ok(())) => done(),
        Some(Err(err)) => error.set(Some(err.to_string())),
        None => {}
    });
}

fn plural(n: i64, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

/// The contact's name as a heading; a click (for editors) turns it into a field: Enter saves,
/// Escape cancels. Saving an empty name goes back to the WhatsApp profile name.
#[component]
fn NameEditor(contact: Uuid, name: String, shown: String, profile: Option<String>, edit: bool) -> impl IntoView {
    let refresh = expect_context::<InboxRefresh>();
    let editing = RwSignal::new(false);
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move || {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
    let value = RwSignal::new(name.clone());
    let error = RwSignal::new(None::<String>);
    let rename = ServerAction::<RenameContact>::new();
    on_outcome(rename.value(), error, move || {
        editing.set(false);
        refresh.bump();
    });
    let save = move || {
        error.set(None);
        let raw = value.get_untracked();
        match ContactName::parse(&raw) {
            Ok(_) => {
                rename.dispatch(RenameContact { contact, name: raw });
            }
            Err(e) => error.set(Some(e.to_string())),
        }
    };
    let placeholder = profile.unwrap_or_else(|| "Name".to_owned());
    let original = StoredValue::new(name);
    view! {
        <div class="contact-name">
            <Show
                when=move || editing.get()
                fallback=move || view! {
                    <p class="contact-name-title" data-testid="contact-name">{shown.clone()}</p>
                    {edit.then(|| view! {
                        <button type="button" class="button button-small" aria-label="Edit the contact's name"
                            on:click=move |_| { value.set(original.get_value()); editing.set(true); }>"Edit"</button>
                    })}
                }
            >
                <label class="sr-only" for="contact-name-input">"Contact name"</label>
                <input
                    id="contact-name-input"
                    node_ref=input
                    type="text"
                    autocomplete="off"
                    placeholder=placeholder.clone()
                    aria-describedby="contact-name-hint"
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                    on:keydown=move |ev| match ev.key().as_str() {
                        "Enter" => { ev.prevent_default(); save(); }
                        "Escape" => editing.set(false),
                        _ => {}
                    }
                />
                <button type="button" class="button button-small button-primary" disabled=move || rename.pending().get() on:click=move |_| save()>"Save"</button>
                <button type="button" class="button button-small" on:click=move |_| editing.set(false)>"Cancel"</button>
                <p id="contact-name-hint" class="field-hint">"Leave empty to show their WhatsApp name."</p>
            </Show>
            <p class="field-error" role="alert">{move || error.get()}</p>
        </div>
    }
}

#[component]
fn Tags(contact: Uuid, tags: Vec<String>, edit: bool) -> impl IntoView {
    let reload = expect_context::<PanelReload>();
    let draft = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let add = ServerAction::<AddContactTag>::new();
    let remove = ServerAction::<RemoveContactTag>::new();
    on_outcome(add.value(), error, move || {
        draft.set(String::new());
        reload.bump();
    });
    on_outcome(remove.value(), error, move || reload.bump());
    let empty = tags.is_empty();
    view! {
        <section class="contact-section" aria-labelledby="contact-tags">
            <h3 id="contact-tags">"Tags"</h3>
            {empty.then(|| view! { <p class="muted small">"No tags yet."</p> })}
            <ul class="chips" data-testid="contact-tags">
                {tags.into_iter().map(|tag| {
                    let removed = tag.clone();
                    view! {
                        <li class="chip">
                            <span>{tag.clone()}</span>
                            {edit.then(|| view! {
                                <button type="button" class="chip-remove" aria-label=format!("Remove the tag {tag}")
                                    disabled=move || remove.pending().get()
                                    on:click=move |_| { remove.dispatch(RemoveContactTag { contact, tag: removed.clone() }); }>"×"</button>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {edit.then(|| view! {
                <label class="sr-only" for="contact-tag-input">"Add a tag"</label>
                <input
                    id="contact-tag-input"
                    type="text"
                    autocomplete="off"
                    placeholder="Add a tag and press Enter"
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" {
                            ev.prevent_default();
                            error.set(None);
                            let raw = draft.get_untracked();
                            match Tag::parse(&raw) {
                                Ok(_) => { add.dispatch(AddContactTag { contact, tag: raw }); }
                                Err(e) => error.set(Some(e.to_string())),
                            }
                        }
                    }
                />
            })}
            <p class="field-error" role="alert">{move || error.get()}</p>
        </section>
    }
}

#[component]
fn OptInStatus(
    contact: Uuid,
    status: OptIn,
    changed_at: Option<chrono::DateTime<chrono::Utc>>,
    source: Option<String>,
    edit: bool,
) -> impl IntoView {
    let reload = expect_context::<PanelReload>();
    let chosen = RwSignal::new(status.key().to_owned());
    let source_draft = RwSignal::new(String::new());
    let change = ServerAction::<SetContactOptIn>::new();
    Effect::new(move || {
        if let Some(Ok(())) = change.value().get() {
            reload.bump();
        }
    });
    let when = match (changed_at, source) {
        (Some(at), Some(source)) => format!("Since {} · {source}", at.format("%-d %b %Y, %H:%M")),
        (Some(at), None) => format!("Since {}", at.format("%-d %b %Y, %H:%M")),
        _ => "Never recorded".to_owned(),
    };
    view! {
        <section class="contact-section" aria-labelledby="contact-opt-in">
            <h3 id="contact-opt-in">"Opt-in"</h3>
            <p class="small"><strong data-testid="contact-opt-in">{status.label()}</strong>" "<span class="muted">{when}</span></p>
            {edit.then(|| view! {
                <div class="contact-inline-form">
                    <label class="sr-only" for="contact-opt-in-select">"Opt-in status"</label>
                    <select id="contact-opt-in-select" prop:value=move || chosen.get() on:change=move |ev| chosen.set(event_target_value(&ev))>
                        {OptIn::ALL.into_iter().map(|o| view! { <option value=o.key() selected=o == status>{o.label()}</option> }).collect_view()}
                    </select>
                    <label class="sr-only" for="contact-opt-in-source">"Source"</label>
                    <input id="contact-opt-in-source" type="text" placeholder="Source (optional)" autocomplete="off"
                        prop:value=move || source_draft.get() on:input=move |ev| source_draft.set(event_target_value(&ev)) />
                    <button type="button" class="button button-small" disabled=move || change.pending().get() || chosen.get() == status.key()
                        on:click=move |_| { change.dispatch(SetContactOptIn { contact, status: chosen.get_untracked(), source: source_draft.get_untracked() }); }>
                        "Save opt-in"
                    </button>
                </div>
            })}
            <p class="field-error" role="alert">{move || failure(change.value().get())}</p>
        </section>
    }
}

#[component]
fn CustomFields(contact: Uuid, fields: Vec<(String, String)>, edit: bool) -> impl IntoView {
    let reload = expect_context::<PanelReload>();
    let key = RwSignal::new(String::new());
    let value = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let set = ServerAction::<SetContactField>::new();
    let remove = ServerAction::<RemoveContactField>::new();
    on_outcome(set.value(), error, move || {
        key.set(String::new());
        value.set(String::new());
        reload.bump();
    });
    on_outcome(remove.value(), error, move || reload.bump());
    let save = move || {
        error.set(None);
        let (k, v) = (key.get_untracked(), value.get_untracked());
        if let Err(e) = CustomFieldKey::parse(&k).and_then(|_| CustomFieldValue::parse(&v)) {
            error.set(Some(e.to_string()));
            return;
        }
        set.dispatch(SetContactField { contact, key: k, value: v });
    };
    let empty = fields.is_empty();
    view! {
        <section class="contact-section" aria-labelledby="contact-fields">
            <h3 id="contact-fields">"Custom fields"</h3>
            {empty.then(|| view! { <p class="muted small">"No custom fields yet."</p> })}
            <dl class="contact-facts small" data-testid="contact-fields">
                {fields.into_iter().map(|(k, v)| {
                    let (edit_key, edit_value, removed) = (k.clone(), v.clone(), k.clone());
                    view! {
                        <dt>{k.clone()}</dt>
                        <dd>
                            <span>{v}</span>
                            {edit.then(|| view! {
                                " "
                                <button type="button" class="button button-small" aria-label=format!("Edit {k}")
                                    on:click=move |_| { key.set(edit_key.clone()); value.set(edit_value.clone()); }>"Edit"</button>
                                <button type="button" class="chip-remove" aria-label=format!("Remove {k}")
                                    on:click=move |_| { remove.dispatch(RemoveContactField { contact, key: removed.clone() }); }>"×"</button>
                            })}
                        </dd>
                    }
                }).collect_view()}
            </dl>
            {edit.then(|| view! {
                <form class="contact-inline-form" on:submit=move |ev| { ev.prevent_default(); save(); } novalidate>
                    <label class="sr-only" for="contact-field-key">"Field name"</label>
                    <input id="contact-field-key" type="text" placeholder="Field" autocomplete="off"
                        prop:value=move || key.get() on:input=move |ev| key.set(event_target_value(&ev)) />
                    <label class="sr-only" for="contact-field-value">"Value"</label>
                    <input id="contact-field-value" type="text" placeholder="Value" autocomplete="off"
                        prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
                    <button type="submit" class="button button-small" disabled=move || set.pending().get()>"Save field"</button>
                </form>
            })}
            <p class="field-error" role="alert">{move || error.get()}</p>
        </section>
    }
}

#[component]
fn Notes(contact: Uuid, notes: Vec<ContactNote>, edit: bool) -> impl IntoView {
    let reload = expect_context::<PanelReload>();
    let draft = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let add = ServerAction::<AddContactNote>::new();
    let delete = ServerAction::<DeleteContactNote>::new();
    let deleting = RwSignal::new(None::<Uuid>);
    on_outcome(add.value(), error, move || {
        draft.set(String::new());
        reload.bump();
    });
    Effect::new(move || {
        if let Some(Ok(())) = delete.value().get() {
            deleting.set(None);
            reload.bump();
        }
    });
    let save = move || {
        error.set(None);
        let body = draft.get_untracked();
        match NoteBody::parse(&body) {
            Ok(_) => {
                add.dispatch(AddContactNote { contact, body });
            }
            Err(e) => error.set(Some(e.to_string())),
        }
    };
    let empty = notes.is_empty();
    view! {
        <section class="contact-section" aria-labelledby="contact-notes">
            <h3 id="contact-notes">"Notes"</h3>
            {edit.then(|| view! {
                <form class="contact-note-form" on:submit=move |ev| { ev.prevent_default(); save(); } novalidate>
                    <label class="sr-only" for="contact-note-input">"New note"</label>
                    <textarea id="contact-note-input" rows="2" placeholder="Add a note for the team"
                        prop:value=move || draft.get() on:input=move |ev| draft.set(event_target_value(&ev))></textarea>
                    <button type="submit" class="button button-small" disabled=move || add.pending().get()>"Add note"</button>
                </form>
            })}
            <p class="field-error" role="alert">{move || error.get()}</p>
            {empty.then(|| view! { <p class="muted small">"No notes yet."</p> })}
            <ul class="contact-notes" data-testid="contact-notes">
                {notes.into_iter().map(|note| {
                    let id = note.id;
                    view! {
                        <li class="contact-note">
                            <p>{note.body}</p>
                            <p class="muted small">
                                {format!("{} · {}", note.author_name.unwrap_or_else(|| "Former member".to_owned()), note.created_at.format("%-d %b %Y, %H:%M"))}
                                {(note.own && edit).then(|| view! {
                                    " "
                                    <button type="button" class="button button-small button-danger" on:click=move |_| { delete.clear(); deleting.set(Some(id)); }>"Delete"</button>
                                })}
                            </p>
                        </li>
                    }
                }).collect_view()}
            </ul>
            {move || deleting.get().map(|note| view! {
                <ConfirmDialog
                    title="Delete this note?".to_owned()
                    message="The team will no longer see it. This cannot be undone.".to_owned()
                    confirm_label="Delete note"
                    pending=delete.pending()
                    error=Signal::derive(move || failure(delete.value().get()))
                    on_confirm=Callback::new(move |()| { delete.dispatch(DeleteContactNote { note }); })
                    on_cancel=Callback::new(move |()| deleting.set(None))
                />
            })}
        </section>
    }
}

// ---- Server functions ----

/// The contact of a conversation, with notes and history counts.
#[server]
pub async fn get_contact(conversation: Uuid) -> Result<ContactDetails, AppError> {
    let (state, actor) = crate::context::actor().await?;
    Ok(parley::contacts::for_conversation(&state.pool, &actor, conversation).await?)
}

/// Names the contact; empty goes back to their WhatsApp profile name.
#[server]
pub async fn rename_contact(contact: Uuid, name: String) -> Result<(), AppError> {
    let (state, actor) = crate::context::actor().await?;
    Ok(parley::contacts::rename(&state.pool, &actor, contact, &name).await?)
}

#[server]
pub async fn add_contact_tag(contact: Uuid, tag: String) -> Result<(), AppError> {
    let (state, actor) = crate::context::actor().await?;
    Ok(parley::contacts::add_tag(&state.pool, &actor, contact, &tag).await?)
}

#[server]
pub async fn remove_contact_tag(contact: Uuid, tag: String) -> Result<(), AppError> {
    let (state, actor) = crate::context::actor().await?;
    Ok(parley::contacts::remove_tag(&state.pool, &actor, contact, &tag).await?)
}

#[server]
pub async fn set_contact_field(contact: Uuid, key: String, value: String) -> Result<(), AppError> {
    let (state, actor) = crate::context::actor().await?;
    Ok(parley::contacts::set_field(&state.pool, &actor, contact, &key, &value).await?)
}

#[server]
pub async fn remove_contact_field(contact: Uuid, key: String) -> Result<(), AppError> {
    let (state, actor) = crate::context::actor().await?;
    Ok(parley::contacts::remove_field(&state.pool, &actor, contact, &key).await?)
}

/// Opted in, opted out or unknown, with where it came from (empty: the agent set it).
#[server]
pub async fn set_contact_opt_in(contact: Uuid, status: String, source: String) -> Result<(), AppError> {
    let (state, actor) = crate::context::actor().await?;
    let status = OptIn::parse(&status).map_err(|e| AppError::Invalid { field: "status".into(), message: e.to_string() }.with_status())?;
    Ok(parley::contacts::set_opt_in(&state.pool, &actor, contact, status, &source).await?)
}

#[server]
pub async fn add_contact_note(contact: Uuid, body: String) -> Result<(), AppError> {
    let (state, actor) = crate::context::actor().await?;
    parley::contacts::add_note(&state.pool, &actor, contact, &body).await?;
    Ok(())
}

/// Deletes a note the signed-in person wrote.
#[server]
pub async fn delete_contact_note(note: Uuid) -> Result<(), AppError> {
    let (state, actor) = crate::context::actor().await?;
    Ok(parley::contacts::delete_note(&state.pool, &actor, note).await?)
}
