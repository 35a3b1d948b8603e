use super::{AuthCard, Register};
use crate::forms::{Field, FormAlert, FormErrors, SubmitButton};
use crate::session::hard_navigate;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use parley::domain::{EmailAddress, NewPassword, OrganizationName, PersonName};

#[component]
pub fn RegisterPage() -> impl IntoView {
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let organization_name = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let action = ServerAction::<Register>::new();

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        errors.clear();
        errors.check("name", PersonName::parse(&name.get_untracked()));
        errors.check("email", EmailAddress::parse(&email.get_untracked()));
        errors.check("password", NewPassword::parse(&password.get_untracked()));
        errors.check("organization_name", OrganizationName::parse(&organization_name.get_untracked()));
        if errors.is_empty() {
            action.dispatch(Register {
                name: name.get_untracked(),
                email: email.get_untracked(),
                password: password.get_untracked(),
                organization_name: organization_name.get_untracked(),
            });
        }
    };
    Effect::new(move || match action.value().get() {
        Some(Ok(())) => hard_navigate("/"),
        Some(Err(err)) => errors.show(&err),
        None => {}
    });

    view! {
        <AuthCard title="Create your Parley account">
            <p class="muted">"You will be the owner of your organization and can invite your team next."</p>
            <form on:submit=submit novalidate>
                <FormAlert errors=errors />
                <Field label="Your name" name="name" value=name errors=errors autocomplete="name" autofocus=true />
                <Field label="Email" name="email" kind="email" value=email errors=errors autocomplete="email" />
                <Field label="Password" name="password" kind="password" value=password errors=errors autocomplete="new-password" hint="At least 10 characters." />
                <Field label="Organization name" name="organization_name" value=organization_name errors=errors autocomplete="organization" />
                <SubmitButton label="Create account" busy_label="Creating…" pending=action.pending().into() />
            </form>
            <p class="auth-links">"Already have an account? " <a href="/login">"Log in"</a></p>
        </AuthCard>
    }
}
