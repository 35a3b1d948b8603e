//! `/profile`: one's own name, language, notification sound, and password.

use crate::error::AppError;
use crate::forms::{Field, FormAlert, FormErrors, SubmitButton};
use crate::session::use_current_user;
use crate::settings::Notice;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use parley::domain::{Language, NewPassword, PersonName};

#[component]
pub fn ProfilePage() -> impl IntoView {
    let user = use_current_user();
    view! {
        <section class="page">
            <div class="page-header">
                <h1>"Your profile"</h1>
                <p class="muted">{move || user.with(|u| u.email.clone())}</p>
            </div>
            <div class="card">
                <h2>"Preferences"</h2>
                <ProfileForm />
            </div>
            <div class="card">
                <h2>"Change password"</h2>
                <PasswordForm />
            </div>
        </section>
    }
}

#[component]
fn ProfileForm() -> impl IntoView {
    let user = use_current_user();
    // The form starts from the person as they are and then is the person's own to edit.
    let (name, language, sound) = user.with_untracked(|u| {
        (RwSignal::new(u.name.clone()), RwSignal::new(u.language.clone()), RwSignal::new(u.notification_sound))
    });
    let notice = RwSignal::new(None::<String>);
    let errors = FormErrors::new();
    let action = ServerAction::<UpdateProfile>::new();
    // What was sent, for the user menu once the server has taken it.
    let sent = StoredValue::new(None::<UpdateProfile>);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        errors.clear();
        notice.set(None);
        errors.check("name", PersonName::parse(&name.get_untracked()));
        errors.check("language", Language::parse(&language.get_untracked()));
        if errors.is_empty() {
            let form = UpdateProfile {
                name: name.get_untracked(),
                language: language.get_untracked(),
                notification_sound: sound.get_untracked(),
            };
            sent.set_value(Some(form.clone()));
            action.dispatch(form);
        }
    };
    Effect::new(move || match action.value().get() {
        Some(Ok(())) => {
            notice.set(Some("Your profile is saved.".to_owned()));
            // The user menu shows the name.
            if let Some(form) = sent.get_value() {
                user.update(|u| {
                    u.name = PersonName::parse(&form.name).map_or(form.name, |n| n.as_str().to_owned());
                    u.language = form.language;
                    u.notification_sound = form.notification_sound;
                });
            }
        }
        Some(Err(err)) => errors.show(&err),
        None => {}
    });

    let language_error = errors.field("language");
    view! {
        <Notice message=notice />
        <form on:submit=submit novalidate>
            <FormAlert errors=errors />
            <Field label="Name" name="name" value=name errors=errors autocomplete="name" />
            <div class="field" class:field-invalid=move || language_error.get().is_some()>
                <label for="field-language">"Language"</label>
                <select
                    id="field-language"
                    name="language"
                    aria-describedby="field-language-error"
                    prop:value=move || language.get()
                    on:change=move |ev| language.set(event_target_value(&ev))
                >
                    {Language::ALL.into_iter().map(|l| view! {
                        <option value=l.code() selected=move || language.get() == l.code()>{l.label()}</option>
                    }).collect_view()}
                </select>
                <p class="field-error" id="field-language-error" role="alert">{move || language_error.get()}</p>
            </div>
            <div class="field field-checkbox">
                <label>
                    <input type="checkbox" name="notification_sound" bind:checked=sound />
                    " Play a sound for new messages"
                </label>
            </div>
            <SubmitButton label="Save" busy_label="Saving…" pending=action.pending().into() />
        </form>
    }
}

#[component]
fn PasswordForm() -> impl IntoView {
    let current_password = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let done = RwSignal::new(None::<String>);
    let action = ServerAction::<ChangePassword>::new();

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        errors.clear();
        done.set(None);
        if current_password.get_untracked().is_empty() {
            errors.check::<(), _>("current_password", Err("Enter your current password"));
        }
        errors.check("new_password", NewPassword::parse(&new_password.get_untracked()));
        if errors.is_empty() {
            action.dispatch(ChangePassword {
                current_password: current_password.get_untracked(),
                new_password: new_password.get_untracked(),
            });
        }
    };
    Effect::new(move || match action.value().get() {
        Some(Ok(())) => {
            current_password.set(String::new());
            new_password.set(String::new());
            done.set(Some("Your password is changed. Your other sessions were signed out.".into()));
        }
        Some(Err(err)) => errors.show(&err),
        None => {}
    });

    view! {
        <Notice message=done />
        <form on:submit=submit novalidate>
            <FormAlert errors=errors />
            <Field label="Current password" name="current_password" kind="password" value=current_password errors=errors autocomplete="current-password" />
            <Field label="New password" name="new_password" kind="password" value=new_password errors=errors autocomplete="new-password" hint="At least 10 characters." />
            <SubmitButton label="Change password" busy_label="Changing…" pending=action.pending().into() />
        </form>
    }
}

// ---- Server functions ----

#[server]
pub async fn update_profile(name: String, language: String, notification_sound: bool) -> Result<(), AppError> {
    use parley::profile::{ProfileForm, update};
    let (state, person, _) = crate::context::signed_in().await?;
    let form = ProfileForm { name: &name, language: &language, notification_sound };
    Ok(update(&state.pool, person.user_id, form).await?)
}

/// Changes the password after checking the current one; the person's other sessions end.
#[server]
pub async fn change_password(current_password: String, new_password: String) -> Result<(), AppError> {
    let (state, person, token) = crate::context::signed_in().await?;
    Ok(parley::profile::change_password(&state.pool, person.user_id, &token, &current_password, &new_password).await?)
}
