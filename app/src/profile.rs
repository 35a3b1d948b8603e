//! `/profile`: one's own name, language, notification sound, and password.

use crate::error::AppError;
use crate::forms::{Field, FormAlert, FormErrors, SubmitButton};
use crate::session::{CurrentUser, use_session};
use crate::settings::{Notice, flash};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use parley::domain::{Language, NewPassword, PersonName};

const FLASH: &str = "profile";

#[component]
pub fn ProfilePage() -> impl IntoView {
    // Read once: saving refetches the session, which rebuilds the whole signed-in frame and this
    // page with it (the success message is carried over by `flash`).
    let user = use_session().0.get_untracked().and_then(Result::ok).flatten();
    let email = user.as_ref().map(|u| u.email.clone());
    view! {
        <section class="page">
            <div class="page-header">
                <h1>"Your profile"</h1>
                <p class="muted">{email}</p>
            </div>
            {user.map(|user| view! {
                <div class="card">
                    <h2>"Preferences"</h2>
                    <ProfileForm user />
                </div>
            })}
            <div class="card">
                <h2>"Change password"</h2>
                <PasswordForm />
            </div>
        </section>
    }
}

#[component]
fn ProfileForm(user: CurrentUser) -> impl IntoView {
    let session = use_session();
    let name = RwSignal::new(user.name);
    let language = RwSignal::new(user.language);
    let sound = RwSignal::new(user.notification_sound);
    let notice = RwSignal::new(flash::take(FLASH));
    let errors = FormErrors::new();
    let action = ServerAction::<UpdateProfile>::new();

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        errors.clear();
        notice.set(None);
        errors.check("name", PersonName::parse(&name.get_untracked()));
        errors.check("language", Language::parse(&language.get_untracked()));
        if errors.is_empty() {
            action.dispatch(UpdateProfile {
                name: name.get_untracked(),
                language: language.get_untracked(),
                notification_sound: sound.get_untracked(),
            });
        }
    };
    Effect::new(move || match action.value().get() {
        Some(Ok(())) => {
            let message = "Your profile is saved.".to_owned();
            notice.set(Some(message.clone()));
            // The user menu shows the name: reload the session; the page is rebuilt with it.
            flash::set(FLASH, message);
            session.0.refetch();
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
