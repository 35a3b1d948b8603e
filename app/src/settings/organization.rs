//! `/settings/organization`: the organization's name, description, website and logo.

use super::{ConfirmDialog, Notice, failure};
use crate::error::AppError;
use crate::forms::{Field, FormAlert, FormErrors, SubmitButton};
use crate::session::{CurrentOrganization, CurrentUser, use_current_user};
use crate::shell::{RequirePermission, initials};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use parley::domain::{
    LogoImage, OrganizationDescription, OrganizationId, OrganizationName, Permission, WebsiteUrl,
};
use serde::{Deserialize, Serialize};

/// The settings form's starting point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationDetails {
    pub id: OrganizationId,
    pub name: String,
    pub description: String,
    /// Empty when the organization has no website.
    pub website_url: String,
    pub has_logo: bool,
}

#[component]
pub fn OrganizationSettingsPage() -> impl IntoView {
    view! {
        <RequirePermission permission=Permission::SettingsOrganization>
            <OrganizationSettings />
        </RequirePermission>
    }
}

#[component]
fn OrganizationSettings() -> impl IntoView {
    let details = Resource::new(|| (), |_| get_organization_settings());
    let notice = RwSignal::new(None::<String>);
    view! {
        <section class="page">
            <div class="page-header">
                <h1>"Organization"</h1>
                <p class="muted">"How your organization appears to your team."</p>
            </div>
            <Notice message=notice />
            <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading…"</p> }>
                {move || details.get().map(|result| match result {
                    Err(err) => view! { <div class="alert alert-error" role="alert">{err.to_string()}</div> }.into_any(),
                    Ok(details) => view! {
                        <div class="card">
                            <h2>"Profile"</h2>
                            <OrganizationForm details=details.clone() notice />
                        </div>
                        <div class="card">
                            <h2>"Logo"</h2>
                            <LogoCard id=details.id name=details.name has_logo=details.has_logo notice />
                        </div>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

/// Tells the sidebar about a change to the current organization (its name, its logo).
fn update_organization(user: RwSignal<CurrentUser>, id: OrganizationId, change: impl FnOnce(&mut CurrentOrganization)) {
    user.update(|u| {
        if let Some(organization) = u.organization.as_mut().filter(|o| o.id == id) {
            change(organization);
        }
    });
}

#[component]
fn OrganizationForm(details: OrganizationDetails, notice: RwSignal<Option<String>>) -> impl IntoView {
    let id = details.id;
    let name = RwSignal::new(details.name);
    let description = RwSignal::new(details.description);
    let website_url = RwSignal::new(details.website_url);
    let errors = FormErrors::new();
    let action = ServerAction::<SaveOrganizationSettings>::new();
    let user = use_current_user();
    // The name sent, for the sidebar once the server has taken it.
    let sent_name = StoredValue::new(String::new());

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        errors.clear();
        notice.set(None);
        errors.check("name", OrganizationName::parse(&name.get_untracked()));
        errors.check("description", OrganizationDescription::parse(&description.get_untracked()));
        errors.check("website_url", WebsiteUrl::parse_optional(&website_url.get_untracked()));
        if errors.is_empty() {
            sent_name.set_value(name.get_untracked());
            action.dispatch(SaveOrganizationSettings {
                name: name.get_untracked(),
                description: description.get_untracked(),
                website_url: website_url.get_untracked(),
            });
        }
    };
    Effect::new(move || match action.value().get() {
        Some(Ok(())) => {
            notice.set(Some("The organization's profile is saved.".to_owned()));
            let sent = sent_name.get_value();
            let name = OrganizationName::parse(&sent).map_or(sent, |n| n.as_str().to_owned());
            user.update(|u| {
                if let Some(organization) = u.organization.as_mut().filter(|o| o.id == id) {
                    organization.name = name.clone();
                }
                if let Some(choice) = u.organizations.iter_mut().find(|o| o.id == id) {
                    choice.name = name;
                }
            });
        }
        Some(Err(err)) => errors.show(&err),
        None => {}
    });

    let description_error = errors.field("description");
    view! {
        <form on:submit=submit novalidate>
            <FormAlert errors=errors />
            <Field label="Name" name="name" value=name errors=errors autocomplete="organization" />
            <div class="field" class:field-invalid=move || description_error.get().is_some()>
                <label for="field-description">"Description"</label>
                <textarea
                    id="field-description"
                    name="description"
                    rows="4"
                    maxlength=OrganizationDescription::MAX_CHARS.to_string()
                    aria-invalid=move || description_error.get().is_some().to_string()
                    aria-describedby="field-description-error"
                    prop:value=move || description.get()
                    on:input=move |ev| description.set(event_target_value(&ev))
                >
                    {description.get_untracked()}
                </textarea>
                <p class="field-hint">
                    {move || format!("Optional. {} of {} characters.", description.with(|d| d.chars().count()), OrganizationDescription::MAX_CHARS)}
                </p>
                <p class="field-error" id="field-description-error" role="alert">{move || description_error.get()}</p>
            </div>
            <Field
                label="Website"
                name="website_url"
                kind="url"
                value=website_url
                errors=errors
                autocomplete="url"
                hint="Optional. A full address, like https://example.com"
            />
            <SubmitButton label="Save" busy_label="Saving…" pending=action.pending().into() />
        </form>
    }
}

#[component]
fn LogoCard(id: OrganizationId, name: String, has_logo: bool, notice: RwSignal<Option<String>>) -> impl IntoView {
    let has_logo = RwSignal::new(has_logo);
    let user = use_current_user();
    // The sidebar's logo and this one share the version, so both ask for a changed image.
    let version = move || user.with(|u| u.organization.as_ref().map_or(0, |o| o.logo_version));
    let errors = FormErrors::new();
    let reading = RwSignal::new(false);
    let upload = ServerAction::<UploadOrganizationLogo>::new();
    let remove = ServerAction::<RemoveOrganizationLogo>::new();
    let confirming = RwSignal::new(false);
    let changed = move |now_has_logo: bool| {
        update_organization(user, id, |o| {
            o.has_logo = now_has_logo;
            o.logo_version += 1;
        });
        has_logo.set(now_has_logo);
    };

    Effect::new(move || match upload.value().get() {
        Some(Ok(())) => {
            changed(true);
            notice.set(Some("The new logo is saved.".to_owned()));
        }
        Some(Err(err)) => errors.show(&err),
        None => {}
    });
    Effect::new(move || {
        if let Some(Ok(())) = remove.value().get() {
            confirming.set(false);
            changed(false);
            notice.set(Some("The logo was removed.".to_owned()));
        }
    });

    let on_file = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
        // Lets the same file be chosen again after a refusal.
        input.set_value("");
        errors.clear();
        notice.set(None);
        if file.size() > LogoImage::MAX_BYTES as f64 {
            errors.check::<(), _>("logo", Err(format!("The logo must be at most {} KB", LogoImage::MAX_BYTES / 1024)));
        } else {
            send_logo(file, reading, errors, upload);
        }
    };

    let busy = move || reading.get() || upload.pending().get();
    let error = errors.field("logo");
    let initials = initials(&name);
    view! {
        <div class="logo-settings">
            {move || if has_logo.get() {
                let src = format!("/media/organizations/{id}/logo?v={}", version());
                view! { <img class="org-logo org-logo-large" src=src alt="Current logo" /> }.into_any()
            } else {
                view! {
                    <span class="org-logo org-logo-large org-logo-initials" aria-hidden="true">{initials.clone()}</span>
                    <p class="muted small">"No logo yet: the sidebar shows your initials."</p>
                }.into_any()
            }}
            <FormAlert errors=errors />
            <div class="field" class:field-invalid=move || error.get().is_some()>
                <label for="field-logo">{move || if has_logo.get() { "Replace the logo" } else { "Upload a logo" }}</label>
                <input
                    id="field-logo"
                    name="logo"
                    type="file"
                    accept="image/png,image/jpeg,image/gif,image/webp"
                    aria-invalid=move || error.get().is_some().to_string()
                    aria-describedby="field-logo-hint field-logo-error"
                    disabled=busy
                    on:change=on_file
                />
                <p class="field-hint" id="field-logo-hint">
                    {format!("PNG, JPEG, GIF or WebP, at most {} KB. It is saved as soon as you choose it.", LogoImage::MAX_BYTES / 1024)}
                </p>
                <p class="field-error" id="field-logo-error" role="alert">{move || error.get()}</p>
            </div>
            <Show when=busy>
                <p class="muted small" role="status" aria-busy="true">"Uploading…"</p>
            </Show>
            <Show when=move || has_logo.get()>
                <button
                    type="button"
                    class="button button-danger"
                    on:click=move |_| {
                        notice.set(None);
                        remove.clear();
                        confirming.set(true);
                    }
                >
                    "Remove logo"
                </button>
            </Show>
            <Show when=move || confirming.get()>
                <ConfirmDialog
                    title="Remove the logo?".to_owned()
                    message="The sidebar shows your organization's initials instead. You can upload a logo again at any time.".to_owned()
                    confirm_label="Remove logo"
                    pending=remove.pending()
                    error=Signal::derive(move || failure(remove.value().get()))
                    on_confirm=Callback::new(move |()| { remove.dispatch(RemoveOrganizationLogo {}); })
                    on_cancel=Callback::new(move |()| confirming.set(false))
                />
            </Show>
        </div>
    }
}

/// Reads the chosen file in the browser, checks it as the server will (an image by its bytes, not
/// its name) and uploads it.
#[cfg(feature = "hydrate")]
fn send_logo(
    file: web_sys::File,
    reading: RwSignal<bool>,
    errors: FormErrors,
    upload: ServerAction<UploadOrganizationLogo>,
) {
    reading.set(true);
    leptos::task::spawn_local(async move {
        let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await;
        reading.set(false);
        let Ok(buffer) = buffer else {
            errors.check::<(), _>("logo", Err("The file could not be read. Choose it again."));
            return;
        };
        match LogoImage::parse(web_sys::js_sys::Uint8Array::new(&buffer).to_vec()) {
            Ok(logo) => {
                use base64::Engine;
                let bytes_base64 = base64::engine::general_purpose::STANDARD.encode(logo.bytes());
                upload.dispatch(UploadOrganizationLogo { bytes_base64 });
            }
            Err(e) => {
                errors.check::<(), _>("logo", Err(e));
            }
        }
    });
}

/// Files are read in the browser only.
#[cfg(not(feature = "hydrate"))]
fn send_logo(_: web_sys::File, _: RwSignal<bool>, _: FormErrors, _: ServerAction<UploadOrganizationLogo>) {}

// ---- Server functions ----

#[server]
pub async fn get_organization_settings() -> Result<OrganizationDetails, AppError> {
    let (state, actor) = crate::context::actor_with(Permission::SettingsOrganization).await?;
    let profile = parley::orgs::profile(&state.pool, &actor).await?;
    Ok(OrganizationDetails {
        id: profile.id,
        name: profile.name,
        description: profile.description,
        website_url: profile.website_url.unwrap_or_default(),
        has_logo: profile.has_logo,
    })
}

#[server]
pub async fn save_organization_settings(
    name: String,
    #[server(default)] description: String,
    #[server(default)] website_url: String,
) -> Result<(), AppError> {
    use parley::orgs::{SettingsForm, update_settings};
    let (state, actor) = crate::context::actor_with(Permission::SettingsOrganization).await?;
    let form = SettingsForm { name: &name, description: &description, website_url: &website_url };
    Ok(update_settings(&state.pool, &actor, form).await?)
}

/// Saves a new logo: the image's bytes, base64-encoded. The engine recognizes the type by the
/// bytes and enforces the size.
#[server]
pub async fn upload_organization_logo(bytes_base64: String) -> Result<(), AppError> {
    use base64::Engine;
    let (state, actor) = crate::context::actor_with(Permission::SettingsOrganization).await?;
    let too_big = || AppError::Invalid {
        field: "logo".into(),
        message: format!("The logo must be at most {} KB", LogoImage::MAX_BYTES / 1024),
    };
    // Refuse an oversized upload before decoding it.
    if bytes_base64.len() > LogoImage::MAX_BYTES.div_ceil(3) * 4 + 4 {
        return Err(too_big());
    }
    let bytes = base64::engine::general_purpose::STANDARD.decode(bytes_base64.trim()).map_err(|_| AppError::Invalid {
        field: "logo".into(),
        message: "The file could not be read. Choose it again.".into(),
    })?;
    Ok(parley::orgs::set_logo(&state.pool, &actor, bytes).await?)
}

#[server]
pub async fn remove_organization_logo() -> Result<(), AppError> {
    let (state, actor) = crate::context::actor_with(Permission::SettingsOrganization).await?;
    Ok(parley::orgs::remove_logo(&state.pool, &actor).await?)
}
