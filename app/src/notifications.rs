//! The notification center in the top bar: a bell with the unread count (also in the tab's
//! title), the list of what happened to the person's conversations, and a sound when something
//! new arrives, if their profile asks for it.

use crate::clock::moment_of;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use parley::domain::notification::{Notification, NotificationCursor, NotificationKind, NotificationPage};
use uuid::Uuid;

/// What makes the notification center fetch again: `arrived`, bumped by the websocket when a
/// notification for this person comes (with a sound), and `read`, bumped when some were read here
/// (a click, opening their conversation).
#[derive(Clone, Copy)]
pub(crate) struct Notifications {
    pub arrived: RwSignal<u32>,
    pub read: RwSignal<u32>,
}

impl Notifications {
    pub fn new() -> Self {
        Self { arrived: RwSignal::new(0), read: RwSignal::new(0) }
    }

    pub fn were_read(&self) {
        self.read.update(|v| *v = v.wrapping_add(1));
    }
}

#[component]
pub(crate) fn NotificationCenter() -> impl IntoView {
    let notifications = expect_context::<Notifications>();
    let arrived = notifications.arrived;
    let user = crate::session::use_current_user();
    let open = RwSignal::new(false);
    // Fetched by the browser only: the server's page (and its title) never waits for it.
    let unread = crate::hydrated::fetched_in_browser(move || {
        arrived.track();
        notifications.read.track();
        unread_notifications()
    });
    let count = move || unread.get().and_then(Result::ok).unwrap_or(0);
    Effect::new(move |previous: Option<u32>| {
        let now = arrived.get();
        if previous.is_some_and(|p| p != now) && user.with_untracked(|u| u.notification_sound) {
            chime();
        }
        now
    });
    let title = move || match count() {
        0 => "Parley".to_owned(),
        n => format!("({n}) Parley"),
    };
    view! {
        <Title text=title />
        <div class="notification-center" on:keydown=move |ev| if ev.key() == "Escape" { open.set(false) }>
            <button
                type="button"
                class="icon-button notification-bell"
                aria-haspopup="dialog"
                aria-expanded=move || open.get().to_string()
                aria-label=move || match count() {
                    0 => "Notifications".to_owned(),
                    n => format!("Notifications, {n} unread"),
                }
                on:click=move |_| open.update(|o| *o = !*o)
            >
                <span aria-hidden="true">"🔔"</span>
                <Show when=move || { count() > 0 }>
                    <span class="notification-badge" data-testid="notification-badge">{move || badge(count())}</span>
                </Show>
            </button>
            <Show when=move || open.get()>
                <NotificationPanel notifications close=move || open.set(false) />
            </Show>
        </div>
    }
}

fn badge(count: i64) -> String {
    if count > 99 { "99+".to_owned() } else { count.to_string() }
}

#[component]
fn NotificationPanel(notifications: Notifications, close: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let first = LocalResource::new(move || {
        notifications.arrived.track();
        notifications.read.track();
        list_notifications(None)
    });
    let more = RwSignal::new(Vec::<Notification>::new());
    let next = RwSignal::new(None::<NotificationCursor>);
    let loading_more = RwSignal::new(false);
    Effect::new(move || {
        if let Some(Ok(page)) = first.get() {
            more.set(Vec::new());
            next.set(page.next);
        }
    });
    let load_more = move |_| {
        let Some(cursor) = next.get_untracked() else { return };
        loading_more.set(true);
        leptos::task::spawn_local(async move {
            let result = list_notifications(Some(cursor)).await;
            loading_more.set(false);
            if let Ok(page) = result {
                more.update(|m| m.extend(page.notifications));
                next.set(page.next);
            }
        });
    };
    let mark_all = ServerAction::<ReadAllNotifications>::new();
    Effect::new(move || {
        if let Some(Ok(())) = mark_all.value().get() {
            notifications.were_read();
        }
    });
    view! {
        <div class="menu notification-panel" role="dialog" aria-label="Notifications">
            <div class="notification-panel-head">
                <strong>"Notifications"</strong>
                <button
                    type="button"
                    class="button button-small"
                    disabled=move || mark_all.pending().get()
                    on:click=move |_| { mark_all.dispatch(ReadAllNotifications {}); }
                >
                    "Mark all as read"
                </button>
            </div>
            <Transition fallback=|| view! { <p class="muted small" aria-busy="true">"Loading notifications…"</p> }>
                {move || first.get().map(|result| match result {
                    Err(err) => view! { <div class="alert alert-error" role="alert">{err.to_string()}</div> }.into_any(),
                    Ok(NotificationPage { notifications, .. }) if notifications.is_empty() => view! {
                        <p class="muted small notification-empty">
                            "Nothing yet. You are told here when a conversation is assigned to you, a customer writes in one of yours, or a message you sent fails."
                        </p>
                    }.into_any(),
                    Ok(page) => view! {
                        <ul class="notifications">
                            {page.notifications.into_iter().map(|n| view! { <NotificationItem n notifications close /> }).collect_view()}
                            <For each=move || more.get() key=|n| n.id let:n>
                                <NotificationItem n notifications close />
                            </For>
                        </ul>
                    }.into_any(),
                })}
            </Transition>
            <Show when=move || next.with(Option::is_some)>
                <button type="button" class="button button-small load-more" disabled=move || loading_more.get() on:click=load_more>
                    {move || if loading_more.get() { "Loading…" } else { "Older notifications" }}
                </button>
            </Show>
        </div>
    }
}

#[component]
fn NotificationItem(n: Notification, notifications: Notifications, close: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let id = n.id;
    let unread = !n.read;
    let at = n.created_at;
    let icon = match n.kind {
        NotificationKind::Assigned => "👤",
        NotificationKind::Message => "💬",
        NotificationKind::Failed => "⚠️",
    };
    let read = ServerAction::<ReadNotification>::new();
    Effect::new(move || {
        if let Some(Ok(())) = read.value().get() {
            notifications.were_read();
        }
    });
    view! {
        <li>
            <a
                href=format!("/inbox/{}", n.conversation_id)
                class="notification"
                class:notification-unread=unread
                data-testid="notification"
                on:click=move |_| {
                    if unread {
                        read.dispatch(ReadNotification { notification: id });
                    }
                    close();
                }
            >
                <span class="notification-icon" aria-hidden="true">{icon}</span>
                <span class="notification-text">
                    <span>{n.headline()}</span>
                    {n.detail.clone().map(|d| view! { <span class="muted small notification-detail">{d}</span> })}
                    <time class="muted small" datetime=at.to_rfc3339()>{move || moment_of(at)}</time>
                </span>
            </a>
        </li>
    }
}

/// A short two-note chime, made on the spot: no sound file to download.
fn chime() {
    #[cfg(feature = "hydrate")]
    {
        let Ok(context) = web_sys::AudioContext::new() else { return };
        let now = context.current_time();
        for (i, frequency) in [880.0_f32, 1320.0].into_iter().enumerate() {
            let (Ok(tone), Ok(gain)) = (context.create_oscillator(), context.create_gain()) else { return };
            let start = now + 0.12 * i as f64;
            tone.frequency().set_value(frequency);
            gain.gain().set_value(0.08);
            let _ = gain.gain().exponential_ramp_to_value_at_time(0.0001, start + 0.25);
            if tone.connect_with_audio_node(&gain).is_err() || gain.connect_with_audio_node(&context.destination()).is_err() {
                return;
            }
            let _ = tone.start_with_when(start);
            let _ = tone.stop_with_when(start + 0.3);
        }
    }
}

/// The person's notifications, newest first; `after` pages on.
#[server]
pub async fn list_notifications(#[server(default)] after: Option<NotificationCursor>) -> Result<NotificationPage, AppError> {
    let (state, actor) = crate::context::actor().await?;
    Ok(parley::notifications::list(&state.pool, &actor, after).await?)
}

/// How many notifications the person has not read.
#[server]
pub async fn unread_notifications() -> Result<i64, AppError> {
    let (state, actor) = crate::context::actor().await?;
    Ok(parley::notifications::unread(&state.pool, &actor).await?)
}

#[server]
pub async fn read_notification(notification: Uuid) -> Result<(), AppError> {
    use parley::notifications::ReadScope;
    let (state, actor) = crate::context::actor().await?;
    parley::notifications::mark_read(&state.pool, &actor, ReadScope::One(notification)).await?;
    Ok(())
}

#[server]
pub async fn read_all_notifications() -> Result<(), AppError> {
    use parley::notifications::ReadScope;
    let (state, actor) = crate::context::actor().await?;
    parley::notifications::mark_read(&state.pool, &actor, ReadScope::All).await?;
    Ok(())
}
