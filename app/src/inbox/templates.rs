//! The composer's template picker: the channel's approved templates, searchable by name; the
//! chosen one's values (prefilled from the contact where the names say what they are), a live
//! preview as the customer will see it, and Send. Outside the 24-hour window it is the only way
//! to write to the customer.

use super::InboxRefresh;
use super::bubble::FormattedText;
use crate::error::AppError;
use leptos::prelude::*;
use parley::domain::cloud::TemplateDefinition;
use parley::domain::template_fill::{self, ContactFacts, FieldError, SyncReport, TemplateChoices};
use uuid::Uuid;

#[component]
pub(super) fn TemplatePicker(conversation: Uuid, #[prop(optional)] on_close: Option<Callback<()>>) -> impl IntoView {
    let reload = RwSignal::new(0_u32);
    let picker = Resource::new(move || (conversation, reload.get()), |(id, _)| get_template_picker(id));
    // Held here, above what the reload redraws, so the refresh's outcome stays on screen.
    let refresh = ServerAction::<RefreshChannelTemplates>::new();
    Effect::new(move || {
        if let Some(Ok(_)) = refresh.value().get() {
            reload.update(|r| *r = r.wrapping_add(1));
        }
    });
    view! {
        <section class="template-picker" aria-label="Send a template" data-testid="template-picker">
            <Transition fallback=|| view! { <p class="muted small" aria-busy="true">"Loading templates…"</p> }>
                {move || picker.get().map(|result| match result {
                    Err(err) => view! { <p class="alert alert-error" role="alert">{err.to_string()}</p> }.into_any(),
                    Ok(picker) => view! { <TemplateChooser conversation picker refresh on_close /> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn TemplateChooser(
    conversation: Uuid,
    picker: TemplateChoices,
    refresh: ServerAction<RefreshChannelTemplates>,
    on_close: Option<Callback<()>>,
) -> impl IntoView {
    let TemplateChoices { channel_id, contact, templates, .. } = picker;
    let search = RwSignal::new(String::new());
    let chosen = RwSignal::new(None::<TemplateDefinition>);
    let listed = StoredValue::new(templates);
    let visible = move || {
        let needle = search.get().trim().to_lowercase();
        listed.with_value(|all| all.iter().filter(|t| t.name.to_lowercase().contains(&needle)).cloned().collect::<Vec<_>>())
    };
    let empty = listed.with_value(Vec::is_empty);
    view! {
        <div class="template-toolbar">
            <input
                type="search"
                class="template-search"
                placeholder="Search templates by name"
                aria-label="Search templates by name"
                prop:value=move || search.get()
                on:input=move |ev| search.set(event_target_value(&ev))
            />
            <RefreshTemplates channel=channel_id refresh />
            {on_close.map(|close| view! {
                <button type="button" class="button button-small" on:click=move |_| close.run(())>"Close"</button>
            })}
        </div>
        {empty.then(|| view! {
            <p class="muted small">"This channel has no approved templates yet. Create them in WhatsApp Manager, then refresh."</p>
        })}
        <ul class="template-list" role="list">
            {move || {
                let shown = visible();
                if shown.is_empty() && !empty {
                    return view! { <li class="muted small">"No template matches that name."</li> }.into_any();
                }
                shown.into_iter().map(|template| {
                    let key = (template.name.clone(), template.language.clone());
                    let is_chosen = move || chosen.with(|c| c.as_ref().is_some_and(|c| (c.name.clone(), c.language.clone()) == key));
                    let category = format!("{:?}", template.category).to_lowercase();
                    view! {
                        <li>
                            <button
                                type="button"
                                class="template-option"
                                class:template-option-chosen=is_chosen.clone()
                                aria-pressed=move || is_chosen().to_string()
                                data-testid="template-option"
                                on:click={
                                    let template = template.clone();
                                    move |_| chosen.set(Some(template.clone()))
                                }
                            >
                                <span class="template-name">{template.name.clone()}</span>
                                <span class="muted small">{format!("{} · {category}", template.language)}</span>
                            </button>
                        </li>
                    }.into_any()
                }).collect_view().into_any()
            }}
        </ul>
        {move || chosen.get().map(|definition| view! {
            <TemplateForm conversation definition contact=contact.clone() on_sent=on_close />
        })}
    }
}

/// "Refresh templates": copies the channel's templates from WhatsApp again, then says how many.
#[component]
fn RefreshTemplates(channel: Uuid, refresh: ServerAction<RefreshChannelTemplates>) -> impl IntoView {
    view! {
        <button
            type="button"
            class="button button-small"
            disabled=move || refresh.pending().get()
            aria-busy=move || refresh.pending().get().to_string()
            on:click=move |_| { refresh.dispatch(RefreshChannelTemplates { channel }); }
        >
            {move || if refresh.pending().get() { "Refreshing…" } else { "Refresh templates" }}
        </button>
        <span class="small" role="status" data-testid="template-sync-result">
            {move || match refresh.value().get() {
                Some(Ok(report)) => report.to_string(),
                Some(Err(err)) => err.to_string(),
                None => String::new(),
            }}
        </span>
    }
}

#[component]
fn TemplateForm(
    conversation: Uuid,
    definition: TemplateDefinition,
    contact: ContactFacts,
    on_sent: Option<Callback<()>>,
) -> impl IntoView {
    let fields = match template_fill::fields(&definition) {
        Ok(fields) => fields,
        Err(why) => {
            return view! { <p class="alert alert-info" role="status">{format!("{} cannot be sent from the inbox. {why}.", definition.name)}</p> }
                .into_any();
        }
    };
    let refresh = expect_context::<InboxRefresh>();
    let values = RwSignal::new(template_fill::prefill(&fields, &contact));
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let send = ServerAction::<SendTemplate>::new();
    let definition = StoredValue::new(definition);
    let fields = StoredValue::new(fields);
    Effect::new(move || {
        if let Some(Ok(())) = send.value().get() {
            refresh.bump();
            if let Some(close) = on_sent {
                close.run(());
            }
        }
    });
    let preview = Memo::new(move |_| {
        values.with(|v| definition.with_value(|d| fields.with_value(|f| template_fill::render(d, f, v))))
    });
    let submit = move || {
        if send.pending().get_untracked() {
            return;
        }
        let current = values.get_untracked();
        let checked = definition.with_value(|d| fields.with_value(|f| template_fill::message(d, f, &current)));
        match checked {
            Ok(_) => {
                errors.set(Vec::new());
                let (name, language) = definition.with_value(|d| (d.name.clone(), d.language.clone()));
                send.dispatch(SendTemplate { conversation, name, language, values: current });
            }
            Err(found) => errors.set(found),
        }
    };
    let field_error = move |index: usize| {
        errors.with(|e| e.iter().find(|e| e.field == Some(index)).map(|e| e.message.clone()))
    };
    let general_error = move || {
        let local = errors.with(|e| e.iter().find(|e| e.field.is_none()).map(|e| e.message.clone()));
        local.or_else(|| send.value().get().and_then(Result::err).map(|e: AppError| e.to_string()))
    };
    let inputs = fields.with_value(|all| {
        all.iter()
            .enumerate()
            .map(|(index, field)| {
                let id = format!("template-field-{}", field.key());
                let error_id = format!("{id}-error");
                view! {
                    <div class="field">
                        <label for=id.clone()>{field.label()}</label>
                        <input
                            id=id
                            type="text"
                            data-testid="template-field"
                            aria-invalid=move || field_error(index).is_some().to_string()
                            aria-describedby=error_id.clone()
                            prop:value=move || values.with(|v| v.get(index).cloned().unwrap_or_default())
                            on:input=move |ev| {
                                let value = event_target_value(&ev);
                                values.update(|v| if let Some(slot) = v.get_mut(index) { *slot = value });
                                errors.update(|e| e.retain(|e| e.field != Some(index)));
                            }
                        />
                        <p class="field-error" id=error_id role="alert">{move || field_error(index)}</p>
                    </div>
                }
            })
            .collect_view()
    });
    view! {
        <form class="template-form" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <div class="template-fields">
                {inputs}
                {fields.with_value(Vec::is_empty).then(|| view! { <p class="muted small">"This template has nothing to fill in."</p> })}
            </div>
            <TemplatePreview preview=preview.into() />
            <Show when=move || general_error().is_some()>
                <p class="field-error" role="alert">{general_error}</p>
            </Show>
            <div class="button-row">
                <button type="submit" class="button button-primary" disabled=move || send.pending().get() aria-busy=move || send.pending().get().to_string()>
                    {move || if send.pending().get() { "Sending…" } else { "Send template" }}
                </button>
            </div>
        </form>
    }
    .into_any()
}

/// The template as the customer will see it, as a WhatsApp bubble.
#[component]
fn TemplatePreview(preview: Signal<template_fill::RenderedTemplate>) -> impl IntoView {
    view! {
        <div class="template-preview" aria-label="Preview" data-testid="template-preview">
            <p class="muted small">"Preview"</p>
            <article class="bubble bubble-out">
                {move || preview.with(|p| p.header.clone()).map(|header| view! { <p class="template-preview-header"><FormattedText text=header /></p> })}
                {move || view! { <p><FormattedText text=preview.with(|p| p.body.clone()) /></p> }}
                {move || preview.with(|p| p.footer.clone()).map(|footer| view! { <p class="template-preview-footer muted small">{footer}</p> })}
                <ul class="bubble-options">
                    {move || preview.with(|p| p.buttons.clone()).into_iter().map(|b| view! { <li>{b}</li> }).collect_view()}
                </ul>
            </article>
        </div>
    }
}

/// The approved templates of the conversation's channel, and the contact's details to prefill.
#[server]
pub async fn get_template_picker(conversation: Uuid) -> Result<TemplateChoices, AppError> {
    use parley::domain::conversation::ConversationId;
    let (state, actor) = crate::context::actor().await?;
    Ok(parley::templates::picker(&state.pool, &actor, ConversationId(conversation)).await?)
}

/// Queues an approved template with its values; checked against the template on the server too.
#[server]
pub async fn send_template(
    conversation: Uuid,
    name: String,
    language: String,
    #[server(default)] values: Vec<String>,
) -> Result<(), AppError> {
    use parley::domain::conversation::ConversationId;
    let (state, actor) = crate::context::actor().await?;
    parley::templates::send(&state.pool, &actor, ConversationId(conversation), &name, &language, &values).await?;
    Ok(())
}

/// Copies the channel's templates from WhatsApp now.
#[server]
pub async fn refresh_channel_templates(channel: Uuid) -> Result<SyncReport, AppError> {
    use parley::domain::ChannelId;
    let (state, actor) = crate::context::actor().await?;
    Ok(parley::templates::refresh(&state.pool, &state.secrets, &state.cloud, &actor, ChannelId(channel)).await?)
}
