use super::{AuthCard, Login};
use crate::forms::{Field, FormAlert, FormErrors, SubmitButton};
use crate::session::hard_navigate;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use parley::domain::{EmailAddress, LoginTab};

#[component]
pub fn LoginPage() -> impl IntoView {
    let tab = RwSignal::new(LoginTab::OwnerAdmin);
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let action = ServerAction::<Login>::new();

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        errors.clear();
        errors.check("email", EmailAddress::parse(&email.get_untracked()));
        if password.get_untracked().is_empty() {
            errors.check::<(), _>("password", Err("Password is required"));
        }
        if errors.is_empty() {
            action.dispatch(Login {
                email: email.get_untracked(),
                password: password.get_untracked(),
                agent: tab.get_untracked() == LoginTab::Agent,
            });
        }
    };
    Effect::new(move || match action.value().get() {
        Some(Ok(())) => hard_navigate("/"),
        Some(Err(err)) => errors.show(&err),
        None => {}
    });

    let tab_button = move |which: LoginTab| {
        view! {
            <button
                type="button"
                role="tab"
                class="tab"
                class:tab-active=move || tab.get() == which
                aria-selected=move || (tab.get() == which).to_string()
                on:click=move |_| {
                    tab.set(which);
                    errors.clear();
                }
            >
                {which.label()}
            </button>
        }
    };

    view! {
        <AuthCard title="Log in">
            <div class="tabs" role="tablist">
                {tab_button(LoginTab::OwnerAdmin)}
                {tab_button(LoginTab::Agent)}
            </div>
            <form on:submit=submit novalidate>
                <FormAlert errors=errors />
                <Field label="Email" name="email" kind="email" value=email errors=errors autocomplete="username" autofocus=true />
                <Field label="Password" name="password" kind="password" value=password errors=errors autocomplete="current-password" />
                <SubmitButton label="Log in" busy_label="Logging in…" pending=action.pending().into() />
            </form>
            <p class="auth-links">
                <a href="/forgot-password">"Forgot password?"</a>
                " · "
                <a href="/register">"Create an account"</a>
            </p>
        </AuthCard>
    }
}
