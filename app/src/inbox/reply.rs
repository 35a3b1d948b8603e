//! Replying to one message: "Reply" on a bubble quotes it in the composer, the reply goes to
//! WhatsApp with the quoted message as its context, and bubbles that quote show the original,
//! which a click brings into view.

use super::jump::Highlighted;
use leptos::prelude::*;
use parley::domain::inbox::ThreadMessage;

/// The message the composer's next reply quotes, if any.
#[derive(Clone, Copy)]
pub(crate) struct Replying(pub RwSignal<Option<ThreadMessage>>);

/// Who wrote the message, as a quote names them.
fn author(message: &ThreadMessage, contact: &str) -> String {
    if message.is_inbound() { contact.to_owned() } else { "You".to_owned() }
}

/// The first line of the text, or the kind of message when it has none.
fn first_line(message: &ThreadMessage) -> String {
    message.body.lines().next().filter(|l| !l.trim().is_empty()).map_or_else(|| format!("[{}]", message.kind), str::to_owned)
}

/// "Reply" on a bubble. Only a message WhatsApp knows (it has a wamid) can be quoted.
#[component]
pub(super) fn ReplyButton(message: ThreadMessage) -> impl IntoView {
    let replying = expect_context::<Replying>();
    message.wamid.is_some().then(|| {
        view! {
            <button
                type="button"
                class="bubble-action"
                aria-label="Reply"
                title="Reply to this message"
                on:click=move |_| {
                    replying.0.set(Some(message.clone()));
                    if let Some(composer) = document().query_selector(".composer-input").ok().flatten() {
                        if let Some(input) = wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlElement>(&composer) {
                            let _ = input.focus();
                        }
                    }
                }
            >
                "↩"
            </button>
        }
    })
}

/// The bar above the composer's textarea: the quoted message, and ✕ to stop quoting it.
#[component]
pub(super) fn QuotedBar(contact: String) -> impl IntoView {
    let replying = expect_context::<Replying>();
    move || {
        replying.0.get().map(|quoted| {
            view! {
                <div class="composer-quote" data-testid="composer-quote">
                    <blockquote class="bubble-quote">
                        <strong>{author(&quoted, &contact)}</strong>
                        <span>{first_line(&quoted)}</span>
                    </blockquote>
                    <button type="button" class="icon-button" aria-label="Cancel the reply" on:click=move |_| replying.0.set(None)>
                        "✕"
                    </button>
                </div>
            }
        })
    }
}

/// The quote at the top of a bubble that replies to another message: a button that brings the
/// original into view when it is loaded.
#[component]
pub(super) fn Quote(quoted: Option<ThreadMessage>, contact: String) -> impl IntoView {
    let highlighted = expect_context::<Highlighted>();
    match quoted {
        Some(original) => {
            let id = original.id;
            view! {
                <button type="button" class="bubble-quote quote-link" title="Show the quoted message" on:click=move |_| highlighted.jump(id)>
                    <strong>{author(&original, &contact)}</strong>
                    <span>{first_line(&original)}</span>
                </button>
            }
            .into_any()
        }
        None => view! { <blockquote class="bubble-quote muted">"A reply to an earlier message"</blockquote> }.into_any(),
    }
}
