//! The organization's settings and its people: profile and logo, WhatsApp channels, members, roles,
//! teams; and the dev mailbox. Each page file holds its components and, below them, its server functions.

mod channels;
mod mailbox;
mod members;
mod organization;
mod roles;
mod teams;

pub use channels::ChannelsPage;
pub use mailbox::DevMailboxPage;
pub use members::TeamMembersPage;
pub use organization::OrganizationSettingsPage;
pub use roles::RolesPage;
pub use teams::TeamsPage;

use crate::forms::FormErrors;
use leptos::prelude::*;

/// A dialog over the page. Focus moves into it when it opens; Escape closes it.
#[component]
pub(crate) fn Modal(title: String, #[prop(into)] on_close: Callback<()>, children: Children) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Div>::new();
    Effect::new(move || {
        if let Some(el) = dialog.get() {
            focus_first(&el);
        }
    });
    view! {
        <div class="modal-backdrop">
            <div
                class="modal"
                role="dialog"
                aria-modal="true"
                aria-labelledby="modal-title"
                node_ref=dialog
                on:keydown=move |ev| {
                    if ev.key() == "Escape" {
                        on_close.run(());
                    }
                }
            >
                <h2 id="modal-title">{title}</h2>
                {children()}
            </div>
        </div>
    }
}

/// Focuses the first control inside `container`.
fn focus_first(container: &web_sys::HtmlElement) {
    use wasm_bindgen::JsCast;
    if let Ok(Some(el)) = container.query_selector("input:not([type=hidden]), select, textarea, button")
        && let Ok(el) = el.dyn_into::<web_sys::HtmlElement>()
    {
        let _ = el.focus();
    }
}

/// "Remove Ana from Acme? They lose access at once." [Cancel] [Remove]: the confirmation every
/// destructive action asks for. A refusal from the server is shown inside the dialog.
#[component]
pub(crate) fn ConfirmDialog(
    title: String,
    message: String,
    confirm_label: &'static str,
    #[prop(into)] pending: Signal<bool>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(into)] on_confirm: Callback<()>,
    #[prop(into)] on_cancel: Callback<()>,
) -> impl IntoView {
    view! {
        <Modal title on_close=on_cancel>
            <p>{message}</p>
            <Show when=move || error.get().is_some()>
                <div class="alert alert-error" role="alert">{move || error.get()}</div>
            </Show>
            <div class="modal-actions">
                <button type="button" class="button" on:click=move |_| on_cancel.run(())>"Cancel"</button>
                <button
                    type="button"
                    class="button button-danger"
                    disabled=move || pending.get()
                    aria-busy=move || pending.get().to_string()
                    on:click=move |_| on_confirm.run(())
                >
                    {move || if pending.get() { "Working…" } else { confirm_label }}
                </button>
            </div>
        </Modal>
    }
}

/// A success message above the page's content, until dismissed.
#[component]
pub(crate) fn Notice(message: RwSignal<Option<String>>) -> impl IntoView {
    view! {
        <Show when=move || message.with(Option::is_some)>
            <div class="alert alert-success" role="status">
                <span>{move || message.get()}</span>
                " "
                <button type="button" class="button button-small" aria-label="Dismiss message" on:click=move |_| message.set(None)>
                    "×"
                </button>
            </div>
        </Show>
    }
}

/// Like [`crate::forms::Field`], with an explicit `id`, for forms that share a page (and field
/// names) with another form, such as the edit dialogs.
#[component]
pub(crate) fn TextInput(
    label: &'static str,
    #[prop(into)] id: String,
    /// The field name the server's errors use.
    name: &'static str,
    value: RwSignal<String>,
    errors: FormErrors,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional, into)] hint: String,
) -> impl IntoView {
    let error = errors.field(name);
    let error_id = format!("{id}-error");
    view! {
        <div class="field" class:field-invalid=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=error_id.clone()
                bind:value=value
            />
            {(!hint.is_empty()).then(|| view! { <p class="field-hint">{hint}</p> })}
            <p class="field-error" id=error_id role="alert">{move || error.get()}</p>
        </div>
    }
}

/// The message of a failed action, for a dialog or an alert.
pub(crate) fn failure<T>(value: Option<Result<T, crate::error::AppError>>) -> Option<String> {
    value.and_then(Result::err).map(|e| e.to_string())
}
