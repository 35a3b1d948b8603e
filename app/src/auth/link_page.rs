use super::{AuthCard, SetPasswordWithLink, describe_account_link};
use crate::forms::{Field, FormAlert, FormErrors, SubmitButton};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use parley::domain::account::LinkPurpose;
use parley::domain::NewPassword;

/// `/reset-password/:token` and `/invite/:token`: choose a password through a single-use link.
#[component]
pub fn AccountLinkPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    let link = Resource::new(token, describe_account_link);
    let password = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let action = ServerAction::<SetPasswordWithLink>::new();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        errors.clear();
        if errors.check("password", NewPassword::parse(&password.get_untracked())) {
            action.dispatch(SetPasswordWithLink { token: token(), password: password.get_untracked() });
        }
    };
    Effect::new(move || {
        if let Some(Err(err)) = action.value().get() {
            errors.show(&err);
        }
    });
    let done = move || matches!(action.value().get(), Some(Ok(())));

    view! {
        <AuthCard title="Choose your password">
            <Suspense fallback=|| view! { <p class="muted">"Checking your link…"</p> }>
                {move || link.get().map(|info| match info {
                    Err(err) => view! {
                        <div class="alert alert-error" role="alert">{err.to_string()}</div>
                        <p class="auth-links"><a href="/forgot-password">"Ask for a new link"</a></p>
                    }.into_any(),
                    Ok(info) => {
                        let intro = match info.purpose {
                            LinkPurpose::Invite => format!("Welcome, {}! Choose a password for {} to join your team on Parley.", info.name, info.email),
                            LinkPurpose::Reset => format!("Choose a new password for {}.", info.email),
                        };
                        view! {
                            <Show
                                when=done
                                fallback=move || view! {
                                    <p class="muted">{intro.clone()}</p>
                                    <form on:submit=submit novalidate>
                                        <FormAlert errors=errors />
                                        <Field label="New password" name="password" kind="password" value=password errors=errors autocomplete="new-password" hint="At least 10 characters." autofocus=true />
                                        <SubmitButton label="Save password" busy_label="Saving…" pending=action.pending().into() />
                                    </form>
                                }
                            >
                                <div class="alert alert-success" role="status">"Your password is set. You can log in now."</div>
                                <p class="auth-links"><a href="/login" class="button button-primary">"Go to log in"</a></p>
                            </Show>
                        }.into_any()
                    }
                })}
            </Suspense>
        </AuthCard>
    }
}
