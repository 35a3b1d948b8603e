//! Emoji reactions: the six quick ones offered on a customer's message (shown on hover or
//! keyboard focus), and the reactions on a message drawn under it, as WhatsApp draws them.

use super::InboxRefresh;
use crate::error::AppError;
use leptos::prelude::*;
use parley::domain::inbox::QUICK_REACTIONS;
use uuid::Uuid;

/// The quick reactions on a customer's message; the team's current one is pressed, and pressing
/// it again takes it back.
#[component]
pub(super) fn ReactionPicker(message: Uuid, current: Option<String>) -> impl IntoView {
    let refresh = expect_context::<InboxRefresh>();
    let react = ServerAction::<ReactToMessage>::new();
    Effect::new(move || {
        if let Some(Ok(())) = react.value().get() {
            refresh.bump();
        }
    });
    view! {
        <div class="reaction-picker" role="group" aria-label="React">
            {QUICK_REACTIONS.into_iter().map(|emoji| {
                let pressed = current.as_deref() == Some(emoji);
                let send = if pressed { String::new() } else { emoji.to_owned() };
                view! {
                    <button
                        type="button"
                        class="reaction-choice"
                        aria-label=format!("React with {emoji}")
                        aria-pressed=pressed.to_string()
                        disabled=move || react.pending().get()
                        on:click=move |_| { react.dispatch(ReactToMessage { message, emoji: send.clone() }); }
                    >
                        {emoji}
                    </button>
                }
            }).collect_view()}
        </div>
        {move || react.value().get().and_then(Result::err).map(|e| view! { <p class="bubble-error" role="alert">{e.to_string()}</p> })}
    }
}

/// The reactions on a message, under its bubble: the customer's and the team's.
#[component]
pub(super) fn Reactions(customer: Option<String>, team: Option<String>, contact: String) -> impl IntoView {
    let shown = customer.is_some() || team.is_some();
    shown.then(|| {
        view! {
            <p class="reactions" data-testid="reactions">
                {customer.map(|emoji| view! { <span title=format!("{contact} reacted") aria-label=format!("{contact} reacted {emoji}")>{emoji.clone()}</span> })}
                {team.map(|emoji| view! { <span title="You reacted" aria-label=format!("You reacted {emoji}")>{emoji.clone()}</span> })}
            </p>
        }
    })
}

/// Reacts to a message for the team with `emoji`, or takes the team's reaction back (empty).
#[server]
pub async fn react_to_message(message: Uuid, #[server(default)] emoji: String) -> Result<(), AppError> {
    use parley::domain::conversation::MessageId;
    let (state, actor) = crate::context::actor().await?;
    parley::inbox::reactions::react(&state.pool, &actor, MessageId(message), &emoji).await?;
    Ok(())
}
