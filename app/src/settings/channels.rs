//! `/settings/channels`: the organization's WhatsApp numbers, their Cloud API credentials, the
//! callback URL to give Meta, and the Validate / Subscribe steps that prove the connection works.

use super::{Modal, Notice, TextInput};
use crate::error::AppError;
use crate::forms::{Field, FormAlert, FormErrors, SubmitButton};
use crate::shell::RequirePermission;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use parley::domain::channel::{
    Channel, ChannelName, ChannelSecret, ChannelStatus, GraphApiBaseUrl, GraphId, VerifyToken,
};
use parley::domain::{ChannelId, Permission};
use serde::{Deserialize, Serialize};

/// A channel with the callback URL Meta must be given for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelView {
    pub channel: Channel,
    pub callback_url: String,
}

/// A channel just added, with its external API token: shown this once, stored only hashed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddedChannel {
    pub view: ChannelView,
    pub api_token: String,
}

#[component]
pub fn ChannelsPage() -> impl IntoView {
    view! {
        <RequirePermission permission=Permission::SettingsChannels>
            <Channels />
        </RequirePermission>
    }
}

#[component]
fn Channels() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let channels = Resource::new(move || version.get(), |_| list_channels());
    let notice = RwSignal::new(None::<String>);
    let adding = RwSignal::new(false);
    // The channel just added opens expanded, so its settings can be filled at once.
    let opened = RwSignal::new(None::<ChannelId>);
    let new_token = RwSignal::new(None::<String>);

    view! {
        <section class="page">
            <div class="page-header">
                <h1>"WhatsApp channels"</h1>
                <p class="muted">"Each channel is one WhatsApp Business phone number connected through Meta's Cloud API."</p>
                <button type="button" class="button button-primary" on:click=move |_| { notice.set(None); adding.set(true); }>
                    "Add channel"
                </button>
            </div>
            <Notice message=notice />
            <Show when=move || new_token.with(Option::is_some)>
                <div class="alert alert-success" role="status">
                    <p>"The channel's external API token. Copy it now: it is shown only once."</p>
                    <CopyField label="API token" id="new-api-token".to_owned() value=new_token.get_untracked().unwrap_or_default() />
                    <button type="button" class="button button-small" on:click=move |_| new_token.set(None)>"Done"</button>
                </div>
            </Show>
            <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading channels…"</p> }>
                {move || channels.get().map(|result| match result {
                    Err(err) => view! { <div class="alert alert-error" role="alert">{err.to_string()}</div> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <div class="card empty-state">
                            <h2>"No WhatsApp number connected yet"</h2>
                            <p class="muted">
                                "Add a channel, paste the ids and tokens from Meta's WhatsApp Manager (or the Cloud API sandbox), then validate and subscribe it."
                            </p>
                            <button type="button" class="button button-primary" on:click=move |_| adding.set(true)>"Add channel"</button>
                        </div>
                    }.into_any(),
                    Ok(list) => view! {
                        <div class="channel-list">
                            {list.into_iter().map(|view| {
                                let expanded = opened.get_untracked() == Some(view.channel.id);
                                view! { <ChannelCard view expanded notice /> }
                            }).collect_view()}
                        </div>
                    }.into_any(),
                })}
            </Transition>
            <Show when=move || adding.get()>
                <AddChannelDialog
                    on_close=Callback::new(move |()| adding.set(false))
                    on_added=Callback::new(move |added: AddedChannel| {
                        adding.set(false);
                        opened.set(Some(added.view.channel.id));
                        new_token.set(Some(added.api_token));
                        notice.set(Some(format!("The channel {} was added. Fill in its settings below.", added.view.channel.name)));
                        version.update(|v| *v += 1);
                    })
                />
            </Show>
        </section>
    }
}

#[component]
fn AddChannelDialog(#[prop(into)] on_close: Callback<()>, #[prop(into)] on_added: Callback<AddedChannel>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let action = ServerAction::<AddChannel>::new();
    Effect::new(move || match action.value().get() {
        Some(Ok(added)) => on_added.run(added),
        Some(Err(err)) => errors.show(&err),
        None => {}
    });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        errors.clear();
        if errors.check("name", ChannelName::parse(&name.get_untracked())) {
            action.dispatch(AddChannel { name: name.get_untracked() });
        }
    };
    view! {
        <Modal title="Add a WhatsApp channel".to_owned() on_close>
            <form on:submit=submit novalidate>
                <FormAlert errors=errors />
                <Field label="Name" name="name" value=name errors=errors hint="Your company or the number's purpose, e.g. “Acme Support”." />
                <div class="modal-actions">
                    <button type="button" class="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <SubmitButton label="Add channel" busy_label="Adding…" pending=action.pending().into() />
                </div>
            </form>
        </Modal>
    }
}

fn status_badge(status: ChannelStatus) -> (&'static str, &'static str) {
    match status {
        ChannelStatus::Pending => ("badge badge-grey", "Pending"),
        ChannelStatus::Good => ("badge badge-green", "Good"),
        ChannelStatus::Invalid => ("badge badge-red", "Invalid"),
    }
}

/// One channel: a header that expands to its settings, its callback details and its actions.
#[component]
fn ChannelCard(view: ChannelView, expanded: bool, notice: RwSignal<Option<String>>) -> impl IntoView {
    let current = RwSignal::new(view);
    let expanded = RwSignal::new(expanded);
    let id = current.with_untracked(|v| v.channel.id);
    let body_id = format!("channel-{id}");
    let errors = FormErrors::new();
    let validate = ServerAction::<ValidateChannel>::new();
    let subscribe = ServerAction::<SubscribeChannel>::new();
    let unsubscribe = ServerAction::<UnsubscribeChannel>::new();
    let busy = move || validate.pending().get() || subscribe.pending().get() || unsubscribe.pending().get();
    let take = move |result: Option<Result<ChannelView, AppError>>, done: &'static str| match result {
        Some(Ok(view)) => {
            notice.set(Some(format!("{}: {done}", view.channel.name)));
            current.set(view);
        }
        Some(Err(err)) => errors.show(&err),
        None => {}
    };
    Effect::new(move || take(validate.value().get(), "validated."));
    Effect::new(move || take(subscribe.value().get(), "subscribed to webhooks."));
    Effect::new(move || take(unsubscribe.value().get(), "unsubscribed."));
    let act = move || {
        errors.clear();
        notice.set(None);
    };

    view! {
        <article class="card channel-card" data-testid="channel">
            <button
                type="button"
                class="channel-header"
                aria-expanded=move || expanded.get().to_string()
                aria-controls=body_id.clone()
                on:click=move |_| expanded.update(|e| *e = !*e)
            >
                <span class="channel-title">
                    <strong>{move || current.with(|v| v.channel.name.clone())}</strong>
                    <span class="muted small">
                        {move || current.with(|v| v.channel.display_phone_number.clone().unwrap_or_else(|| "No number validated yet".into()))}
                    </span>
                </span>
                <span class="channel-badges">
                    {move || {
                        let (class, label) = status_badge(current.with(|v| v.channel.status()));
                        view! { <span class=class data-testid="channel-status">{label}</span> }
                    }}
                    {move || current.with(|v| v.channel.subscribed).then(|| view! {
                        <span class="badge badge-green" data-testid="channel-subscribed">"Subscribed"</span>
                    })}
                    <span class="channel-chevron" aria-hidden="true">{move || if expanded.get() { "▾" } else { "▸" }}</span>
                </span>
            </button>
            <Show when=move || expanded.get()>
                <div class="channel-body" id=format!("channel-{id}")>
                    {move || current.with(|v| v.channel.status_message.clone()).map(|message| {
                        let class = if current.with(|v| v.channel.status()) == ChannelStatus::Invalid { "alert alert-error" } else { "alert" };
                        view! { <div class=class role="status" data-testid="channel-status-message">{message}</div> }
                    })}
                    <FormAlert errors=errors />
                    <div class="channel-actions">
                        <button
                            type="button"
                            class="button"
                            disabled=busy
                            aria-busy=move || validate.pending().get().to_string()
                            on:click=move |_| { act(); validate.dispatch(ValidateChannel { channel: id }); }
                        >
                            {move || if validate.pending().get() { "Validating…" } else { "Validate & Update" }}
                        </button>
                        <Show when=move || current.with(|v| v.channel.status() == ChannelStatus::Good && !v.channel.subscribed)>
                            <button
                                type="button"
                                class="button button-primary"
                                disabled=busy
                                on:click=move |_| { act(); subscribe.dispatch(SubscribeChannel { channel: id }); }
                            >
                                {move || if subscribe.pending().get() { "Subscribing…" } else { "Subscribe" }}
                            </button>
                        </Show>
                        <Show when=move || current.with(|v| v.channel.subscribed)>
                            <button
                                type="button"
                                class="button"
                                disabled=busy
                                on:click=move |_| { act(); unsubscribe.dispatch(UnsubscribeChannel { channel: id }); }
                            >
                                {move || if unsubscribe.pending().get() { "Unsubscribing…" } else { "Unsubscribe" }}
                            </button>
                        </Show>
                        <Show when=move || current.with(|v| v.channel.status() == ChannelStatus::Good && !v.channel.subscribed)>
                            <span class="muted small">"Unsubscribed: Meta does not send this channel's messages to Parley yet."</span>
                        </Show>
                    </div>
                    <h3>"Webhook"</h3>
                    <p class="muted small">"Give Meta this callback URL and verify token (Subscribe does it for you)."</p>
                    <CopyField label="Callback URL" id=format!("callback-{id}") value=current.with_untracked(|v| v.callback_url.clone()) />
                    <CopyField label="Verify token" id=format!("verify-{id}") value=current.with_untracked(|v| v.channel.verify_token.clone()) />
                    <p class="muted small">{move || format!("External API token: {}", current.with(|v| v.channel.api_token_hint.clone()))}</p>
                    <h3>"Cloud API settings"</h3>
                    <ChannelSettingsForm current notice />
                </div>
            </Show>
        </article>
    }
}

/// A read-only value with a copy button.
#[component]
fn CopyField(label: &'static str, id: String, value: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let text = StoredValue::new(value.clone());
    view! {
        <div class="field copy-field">
            <label for=id.clone()>{label}</label>
            <div class="copy-row">
                <input id=id type="text" readonly value=value on:focus=move |ev| select_all(&ev) />
                <button
                    type="button"
                    class="button button-small"
                    aria-label=format!("Copy {label}")
                    on:click=move |_| {
                        copy_to_clipboard(text.get_value());
                        copied.set(true);
                    }
                >
                    {move || if copied.get() { "Copied" } else { "Copy" }}
                </button>
            </div>
        </div>
    }
}

fn select_all(ev: &leptos::ev::FocusEvent) {
    let input: web_sys::HtmlInputElement = event_target(ev);
    input.select();
}

#[cfg(feature = "hydrate")]
fn copy_to_clipboard(text: String) {
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(&text);
    }
}

/// The clipboard exists in the browser only.
#[cfg(not(feature = "hydrate"))]
fn copy_to_clipboard(_: String) {}

/// The Cloud API credentials. Secrets are never sent back: their fields start empty and keep the
/// stored value unless something is typed.
#[component]
fn ChannelSettingsForm(current: RwSignal<ChannelView>, notice: RwSignal<Option<String>>) -> impl IntoView {
    let channel = current.get_untracked().channel;
    let id = channel.id;
    let name = RwSignal::new(channel.name.clone());
    let phone_number_id = RwSignal::new(channel.phone_number_id.clone().unwrap_or_default());
    let waba_id = RwSignal::new(channel.waba_id.clone().unwrap_or_default());
    let app_id = RwSignal::new(channel.app_id.clone().unwrap_or_default());
    let app_secret = RwSignal::new(String::new());
    let access_token = RwSignal::new(String::new());
    let verify_token = RwSignal::new(channel.verify_token.clone());
    let graph_api_base_url = RwSignal::new(channel.graph_api_base_url.clone());
    let errors = FormErrors::new();
    let action = ServerAction::<SaveChannel>::new();
    Effect::new(move || match action.value().get() {
        Some(Ok(view)) => {
            notice.set(Some(format!("{}: settings saved.", view.channel.name)));
            app_secret.set(String::new());
            access_token.set(String::new());
            current.set(view);
        }
        Some(Err(err)) => errors.show(&err),
        None => {}
    });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        errors.clear();
        notice.set(None);
        errors.check("name", ChannelName::parse(&name.get_untracked()));
        for (field, value, what) in [
            ("phone_number_id", phone_number_id, "Phone number id"),
            ("waba_id", waba_id, "WhatsApp Business Account id"),
            ("app_id", app_id, "App id"),
        ] {
            let value = value.get_untracked();
            if !value.trim().is_empty() {
                errors.check(field, GraphId::parse(&value, what));
            }
        }
        for (field, value, what) in [("app_secret", app_secret, "App secret"), ("access_token", access_token, "Access token")] {
            let value = value.get_untracked();
            if !value.trim().is_empty() {
                errors.check(field, ChannelSecret::parse(&value, what));
            }
        }
        errors.check("verify_token", VerifyToken::parse(&verify_token.get_untracked()));
        errors.check("graph_api_base_url", GraphApiBaseUrl::parse(&graph_api_base_url.get_untracked()));
        if errors.is_empty() {
            action.dispatch(SaveChannel {
                channel: id,
                name: name.get_untracked(),
                phone_number_id: phone_number_id.get_untracked(),
                waba_id: waba_id.get_untracked(),
                app_id: app_id.get_untracked(),
                app_secret: app_secret.get_untracked(),
                access_token: access_token.get_untracked(),
                verify_token: verify_token.get_untracked(),
                graph_api_base_url: graph_api_base_url.get_untracked(),
            });
        }
    };
    let secret_hint = |hint: Option<String>| match hint {
        Some(hint) => format!("Saved ({hint}). Leave empty to keep it, or paste a new one to replace it."),
        None => "Not set yet.".to_owned(),
    };
    let prefix = format!("channel-{id}");
    view! {
        <form on:submit=submit novalidate class="channel-form">
            <FormAlert errors=errors />
            <TextInput label="Name" id=format!("{prefix}-name") name="name" value=name errors autocomplete="off" />
            <div class="form-grid">
                <TextInput label="Phone number id" id=format!("{prefix}-phone_number_id") name="phone_number_id" value=phone_number_id errors autocomplete="off" />
                <TextInput label="WhatsApp Business Account id" id=format!("{prefix}-waba_id") name="waba_id" value=waba_id errors autocomplete="off" />
                <TextInput label="App id" id=format!("{prefix}-app_id") name="app_id" value=app_id errors autocomplete="off" />
                <TextInput label="Verify token" id=format!("{prefix}-verify_token") name="verify_token" value=verify_token errors autocomplete="off" />
                <TextInput
                    label="App secret"
                    id=format!("{prefix}-app_secret")
                    name="app_secret"
                    kind="password"
                    value=app_secret
                    errors
                    autocomplete="off"
                    hint=secret_hint(channel.app_secret_hint.clone())
                />
                <TextInput
                    label="Access token"
                    id=format!("{prefix}-access_token")
                    name="access_token"
                    kind="password"
                    value=access_token
                    errors
                    autocomplete="off"
                    hint=secret_hint(channel.access_token_hint.clone())
                />
            </div>
            <TextInput
                label="Graph API base URL"
                id=format!("{prefix}-graph_api_base_url")
                name="graph_api_base_url"
                value=graph_api_base_url
                errors
                autocomplete="off"
                hint=format!("Meta's is {}. Point it at the Cloud API sandbox to test without a Meta account.", GraphApiBaseUrl::meta().as_str())
            />
            <SubmitButton label="Save" busy_label="Saving…" pending=action.pending().into() />
        </form>
    }
}

// ---- Server functions ----

#[cfg(feature = "ssr")]
fn view_of(state: &crate::context::AppState, channel: Channel) -> ChannelView {
    let callback_url = parley::channels::callback_url(&state.public_url, &channel);
    ChannelView { channel, callback_url }
}

#[server]
pub async fn list_channels() -> Result<Vec<ChannelView>, AppError> {
    let (state, actor) = crate::context::actor_with(Permission::SettingsChannels).await?;
    let channels = parley::channels::list(&state.pool, &actor).await?;
    Ok(channels.into_iter().map(|c| view_of(&state, c)).collect())
}

#[server]
pub async fn add_channel(name: String) -> Result<AddedChannel, AppError> {
    let (state, actor) = crate::context::actor_with(Permission::SettingsChannels).await?;
    let form = parley::domain::channel::ChannelForm { name, ..Default::default() };
    let created = parley::channels::create(&state.pool, &state.secrets, &actor, &form).await?;
    Ok(AddedChannel { view: view_of(&state, created.channel), api_token: created.api_token })
}

#[allow(clippy::too_many_arguments)]
#[server]
pub async fn save_channel(
    channel: ChannelId,
    name: String,
    #[server(default)] phone_number_id: String,
    #[server(default)] waba_id: String,
    #[server(default)] app_id: String,
    #[server(default)] app_secret: String,
    #[server(default)] access_token: String,
    #[server(default)] verify_token: String,
    #[server(default)] graph_api_base_url: String,
) -> Result<ChannelView, AppError> {
    let (state, actor) = crate::context::actor_with(Permission::SettingsChannels).await?;
    let form = parley::domain::channel::ChannelForm { name, phone_number_id, waba_id, app_id, app_secret, access_token, verify_token, graph_api_base_url };
    let saved = parley::channels::update(&state.pool, &state.secrets, &actor, channel, &form).await?;
    Ok(view_of(&state, saved))
}

#[server]
pub async fn validate_channel(channel: ChannelId) -> Result<ChannelView, AppError> {
    let (state, actor) = crate::context::actor_with(Permission::SettingsChannels).await?;
    let checked = parley::channels::validate(&state.pool, &state.secrets, &state.cloud, &actor, channel).await?;
    Ok(view_of(&state, checked))
}

#[server]
pub async fn subscribe_channel(channel: ChannelId) -> Result<ChannelView, AppError> {
    let (state, actor) = crate::context::actor_with(Permission::SettingsChannels).await?;
    let subscribed =
        parley::channels::subscribe(&state.pool, &state.secrets, &state.cloud, &state.public_url, &actor, channel).await?;
    Ok(view_of(&state, subscribed))
}

#[server]
pub async fn unsubscribe_channel(channel: ChannelId) -> Result<ChannelView, AppError> {
    let (state, actor) = crate::context::actor_with(Permission::SettingsChannels).await?;
    let unsubscribed = parley::channels::unsubscribe(&state.pool, &state.secrets, &state.cloud, &actor, channel).await?;
    Ok(view_of(&state, unsubscribed))
}
