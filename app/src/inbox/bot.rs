//! The chatbot switch in the thread header: green "Bot" while the bot answers, grey "Bot off"
//! while it does not. Only the person in control of the conversation switches it.

use super::InboxRefresh;
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

#[component]
pub(super) fn BotToggle(conversation: Uuid, enabled: bool, may_switch: bool, holder: Option<String>) -> impl IntoView {
    let refresh = expect_context::<InboxRefresh>();
    let enabled = RwSignal::new(enabled);
    let switch = ServerAction::<SetBotEnabled>::new();
    Effect::new(move || {
        if let Some(Ok(now)) = switch.value().get() {
            enabled.set(now);
            refresh.bump();
        }
    });
    let title = match (&holder, may_switch) {
        (_, true) => "Switch the chatbot on or off in this conversation".to_owned(),
        (Some(name), false) => format!("{name} has control of this conversation: only they can switch the bot"),
        (None, false) => "You may not reply here, so you cannot switch the bot".to_owned(),
    };
    view! {
        <button
            type="button"
            class="bot-toggle small"
            class:bot-on=move || enabled.get()
            aria-pressed=move || enabled.get().to_string()
            aria-label="Chatbot"
            title=title
            disabled=move || !may_switch || switch.pending().get()
            data-testid="bot-toggle"
            on:click=move |_| { switch.dispatch(SetBotEnabled { conversation, enabled: !enabled.get_untracked() }); }
        >
            {move || if enabled.get() { "Bot" } else { "Bot off" }}
        </button>
        {move || switch.value().get().and_then(Result::err).map(|e| view! { <span class="field-error" role="alert">{e.to_string()}</span> })}
    }
}

/// Switches the chatbot on or off in the conversation; returns the new state.
#[server]
pub async fn set_bot_enabled(conversation: Uuid, enabled: bool) -> Result<bool, AppError> {
    use parley::domain::conversation::ConversationId;
    let (state, actor) = crate::context::actor().await?;
    parley::inbox::bot::set_bot_enabled(&state.pool, &actor, ConversationId(conversation), enabled).await?;
    Ok(enabled)
}
