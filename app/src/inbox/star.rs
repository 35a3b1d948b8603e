//! The star on a message bubble: each person's own bookmark, found again on the Starred page.

use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

#[component]
pub(super) fn StarButton(message: Uuid, starred: bool) -> impl IntoView {
    let starred = RwSignal::new(starred);
    let toggle = ServerAction::<StarMessage>::new();
    Effect::new(move || {
        if let Some(Ok(now)) = toggle.value().get() {
            starred.set(now);
        }
    });
    view! {
        <button
            type="button"
            class="bubble-action star-button"
            class:star-on=move || starred.get()
            aria-label="Star"
            aria-pressed=move || starred.get().to_string()
            title=move || if starred.get() { "Unstar this message" } else { "Star this message to find it on the Starred page" }
            disabled=move || toggle.pending().get()
            on:click=move |_| { toggle.dispatch(StarMessage { message, starred: !starred.get_untracked() }); }
        >
            {move || if starred.get() { "★" } else { "☆" }}
        </button>
        {move || toggle.value().get().and_then(Result::err).map(|e| view! { <span class="bubble-error" role="alert">{e.to_string()}</span> })}
    }
}

/// Stars (or unstars) a message for the person asking; returns whether it is now starred.
#[server]
pub async fn star_message(message: Uuid, starred: bool) -> Result<bool, AppError> {
    use parley::domain::conversation::MessageId;
    let (state, actor) = crate::context::actor().await?;
    parley::inbox::stars::set_starred(&state.pool, &actor, MessageId(message), starred).await?;
    Ok(starred)
}
