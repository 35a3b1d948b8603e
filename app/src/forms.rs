//! Form pieces every page uses: a labelled field with its error beside it, and the error state
//! that client-side checks (the domain's own parsers, compiled to WASM) and the server both fill.

use crate::error::AppError;
use leptos::prelude::*;
use std::collections::BTreeMap;

/// Field name → message. Client checks and server answers land in the same place.
#[derive(Clone, Copy)]
pub struct FormErrors {
    fields: RwSignal<BTreeMap<String, String>>,
    general: RwSignal<Option<String>>,
}

impl Default for FormErrors {
    fn default() -> Self {
        Self::new()
    }
}

impl FormErrors {
    pub fn new() -> Self {
        Self { fields: RwSignal::new(BTreeMap::new()), general: RwSignal::new(None) }
    }

    pub fn clear(&self) {
        self.fields.set(BTreeMap::new());
        self.general.set(None);
    }

    /// Records the parse error of `field`, if any, and reports whether the value was valid.
    pub fn check<T, E: std::fmt::Display>(&self, field: &str, parsed: Result<T, E>) -> bool {
        match parsed {
            Ok(_) => true,
            Err(e) => {
                self.fields.update(|f| {
                    f.insert(field.to_owned(), e.to_string());
                });
                false
            }
        }
    }

    /// Shows a server error: beside its field when it names one of this form's fields, above
    /// the form otherwise.
    pub fn show(&self, err: &AppError) {
        match err {
            AppError::Invalid { field, message } if !field.is_empty() => {
                self.fields.update(|f| {
                    f.insert(field.clone(), message.clone());
                });
            }
            other => self.general.set(Some(other.to_string())),
        }
    }

    pub fn field(&self, name: &'static str) -> Signal<Option<String>> {
        let fields = self.fields;
        Signal::derive(move || fields.with(|f| f.get(name).cloned()))
    }

    pub fn general(&self) -> Signal<Option<String>> {
        self.general.into()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.with_untracked(BTreeMap::is_empty)
    }
}

/// A labelled input bound to `value`, with its error (if any) beside it.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    value: RwSignal<String>,
    errors: FormErrors,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] autofocus: bool,
) -> impl IntoView {
    let error = errors.field(name);
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    view! {
        <div class="field" class:field-invalid=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                autofocus=autofocus
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=error_id.clone()
                bind:value=value
            />
            {(!hint.is_empty()).then(|| view! { <p class="field-hint">{hint}</p> })}
            <p class="field-error" id=error_id role="alert">{move || error.get()}</p>
        </div>
    }
}

/// The message above a form for errors that belong to no single field.
#[component]
pub fn FormAlert(errors: FormErrors) -> impl IntoView {
    let general = errors.general();
    view! {
        <Show when=move || general.get().is_some()>
            <div class="alert alert-error" role="alert">{move || general.get()}</div>
        </Show>
    }
}

/// A submit button that shows progress and cannot be pressed twice.
#[component]
pub fn SubmitButton(label: &'static str, pending: Signal<bool>, #[prop(optional)] busy_label: &'static str) -> impl IntoView {
    let busy = if busy_label.is_empty() { "Working…" } else { busy_label };
    view! {
        <button type="submit" class="button button-primary" disabled=move || pending.get() aria-busy=move || pending.get().to_string()>
            {move || if pending.get() { busy } else { label }}
        </button>
    }
}
