use super::{AuthCard, RequestPasswordReset};
use crate::forms::{Field, FormAlert, FormErrors, SubmitButton};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use parley::domain::EmailAddress;

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let action = ServerAction::<RequestPasswordReset>::new();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        errors.clear();
        if errors.check("email", EmailAddress::parse(&email.get_untracked())) {
            action.dispatch(RequestPasswordReset { email: email.get_untracked() });
        }
    };
    Effect::new(move || {
        if let Some(Err(err)) = action.value().get() {
            errors.show(&err);
        }
    });
    let sent = move || matches!(action.value().get(), Some(Ok(_)));
    let dev_mailbox = move || matches!(action.value().get(), Some(Ok(true)));

    view! {
        <AuthCard title="Reset your password">
            <Show
                when=sent
                fallback=move || view! {
                    <p class="muted">"Enter the email of your account and we will send you a link to choose a new password."</p>
                    <form on:submit=submit novalidate>
                        <FormAlert errors=errors />
                        <Field label="Email" name="email" kind="email" value=email errors=errors autocomplete="username" autofocus=true />
                        <SubmitButton label="Send reset link" busy_label="Sending…" pending=action.pending().into() />
                    </form>
                }
            >
                <div class="alert alert-success" role="status">
                    "If an account exists for " <strong>{move || email.get()}</strong>
                    ", a reset link is on its way. It works once, for one hour."
                </div>
                <Show when=dev_mailbox>
                    <p class="muted">
                        "This Parley has no email server configured: the message is in the dev mailbox, "
                        "which the operator of this Parley instance can open from the sidebar."
                    </p>
                </Show>
            </Show>
            <p class="auth-links"><a href="/login">"Back to log in"</a></p>
        </AuthCard>
    }
}
