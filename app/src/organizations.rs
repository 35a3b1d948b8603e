//! `/organizations/new`: another organization, with the person as its owner.

use crate::forms::{Field, FormAlert, FormErrors, SubmitButton};
use crate::session::{CreateOrganization, hard_navigate};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use parley::domain::OrganizationName;

#[component]
pub fn NewOrganizationPage() -> impl IntoView {
    let name = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let action = ServerAction::<CreateOrganization>::new();

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        errors.clear();
        if errors.check("name", OrganizationName::parse(&name.get_untracked())) {
            action.dispatch(CreateOrganization { name: name.get_untracked() });
        }
    };
    // The session moved into the new organization: load everything afresh.
    Effect::new(move || match action.value().get() {
        Some(Ok(_)) => hard_navigate("/"),
        Some(Err(err)) => errors.show(&err),
        None => {}
    });

    view! {
        <section class="page">
            <div class="page-header">
                <h1>"Create an organization"</h1>
                <p class="muted">
                    "You become its owner and switch to it. Your other organizations stay in the switcher."
                </p>
            </div>
            <div class="card">
                <form on:submit=submit novalidate>
                    <FormAlert errors=errors />
                    <Field label="Organization name" name="name" value=name errors=errors autocomplete="organization" autofocus=true />
                    <SubmitButton label="Create organization" busy_label="Creating…" pending=action.pending().into() />
                </form>
            </div>
        </section>
    }
}
