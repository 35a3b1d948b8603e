//! The signed-in app's websocket: every event the server sends for this organization refreshes the
//! inbox's list and open thread, and the person's own notifications reach the notification center. A dropped connection (lid closed, network blip) comes back by itself and
//! resumes after the last event it saw, so nothing is missed and nothing is shown twice.

use super::{InboxRefresh, LiveInbox};
use crate::notifications::Notifications;
use leptos::prelude::*;

/// Holds the connection while the person is signed in.
#[component]
pub(crate) fn LiveUpdates() -> impl IntoView {
    let refresh = expect_context::<InboxRefresh>();
    let live = expect_context::<LiveInbox>();
    let notified = expect_context::<Notifications>();
    // The server tells every tab of the organization, the typist's own included.
    let me = crate::session::use_current_user().with_untracked(|u| u.name.clone());
    connection::open(refresh, live, notified, me);
}

#[cfg(feature = "hydrate")]
mod connection {
    use super::{InboxRefresh, LiveInbox, Notifications};
    use crate::inbox::Typing;
    use leptos::prelude::*;
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{CloseEvent, MessageEvent, WebSocket};

    /// How long "Ana is typing…" stays without a new signal (typing tabs repeat it every 2 s).
    const TYPING_SHOWN_MS: f64 = 5_000.0;
    /// How long "Ana is here too" stays without a new announcement (the server repeats it).
    const PRESENCE_SHOWN_MS: f64 = parley::domain::event::PRESENCE_TTL_SECONDS as f64 * 1_000.0;

    /// The server's close code for an ended session: signing in again is needed, not a retry.
    const SESSION_ENDED: u16 = 4401;

    struct Live {
        refresh: InboxRefresh,
        inbox: LiveInbox,
        notified: Notifications,
        me: String,
        last_event: Cell<Option<i64>>,
        failures: Cell<u32>,
        socket: RefCell<Option<WebSocket>>,
        closed_by_page: Cell<bool>,
    }

    pub fn open(refresh: InboxRefresh, inbox: LiveInbox, notified: Notifications, me: String) {
        let live = Rc::new(Live {
            refresh,
            inbox,
            notified,
            me,
            last_event: Cell::new(None),
            failures: Cell::new(0),
            socket: RefCell::new(None),
            closed_by_page: Cell::new(false),
        });
        connect(live.clone());
        let typist = send_wrapper::SendWrapper::new(live.clone());
        Effect::new(move |_| {
            if let Some((conversation, _)) = inbox.typed.get()
                && let Some(socket) = typist.socket.borrow().as_ref()
            {
                let _ = socket.send_with_str(&serde_json::json!({ "typing": conversation }).to_string());
            }
        });
        let viewer = send_wrapper::SendWrapper::new(live.clone());
        Effect::new(move |_| {
            if let Some(conversation) = inbox.viewing.get() {
                send_viewing(&viewer, conversation);
            }
        });
        let on_leave = send_wrapper::SendWrapper::new(live);
        on_cleanup(move || {
            on_leave.closed_by_page.set(true);
            if let Some(socket) = on_leave.socket.borrow_mut().take() {
                let _ = socket.close();
            }
        });
    }

    fn connect(live: Rc<Live>) {
        let Some(window) = web_sys::window() else { return };
        let location = window.location();
        let scheme = if location.protocol().ok().as_deref() == Some("https:") { "wss" } else { "ws" };
        let host = location.host().unwrap_or_default();
        let after = live.last_event.get().map(|id| format!("?after={id}")).unwrap_or_default();
        let Ok(socket) = WebSocket::new(&format!("{scheme}://{host}/ws{after}")) else { return };

        let on_open = {
            let live = live.clone();
            Closure::<dyn FnMut()>::new(move || {
                live.failures.set(0);
                // Whatever happened while disconnected is fetched again.
                live.refresh.bump();
                if let Some(conversation) = live.inbox.viewing.get_untracked() {
                    send_viewing(&live, conversation);
                }
            })
        };
        let on_message = {
            let live = live.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
                let Some(text) = ev.data().as_string() else { return };
                let Ok(frame) = serde_json::from_str::<serde_json::Value>(&text) else { return };
                // Stored events carry an id; typing and presence do not and change no data.
                if let Some(id) = frame.get("id").and_then(serde_json::Value::as_i64) {
                    live.last_event.set(Some(id));
                    // The server sends a person only their own notifications.
                    if frame.pointer("/event/kind").and_then(serde_json::Value::as_str) == Some("notified") {
                        live.notified.arrived.update(|n| *n = n.wrapping_add(1));
                    } else {
                        live.refresh.bump();
                    }
                } else if let Some((kind, notice)) = notice_of(&frame).filter(|(_, n)| n.name != live.me) {
                    let list = match kind {
                        NoticeKind::Typing => live.inbox.typing,
                        NoticeKind::Presence => live.inbox.viewers,
                    };
                    show_for(list, notice, kind.shown_ms());
                }
            })
        };
        let on_close = {
            let live = live.clone();
            Closure::<dyn FnMut(CloseEvent)>::new(move |ev: CloseEvent| {
                live.socket.borrow_mut().take();
                if live.closed_by_page.get() || ev.code() == SESSION_ENDED {
                    return;
                }
                let failures = live.failures.get() + 1;
                live.failures.set(failures);
                let delay_ms = 500 * 2_i32.pow(failures.min(6));
                let again = live.clone();
                let retry = Closure::once_into_js(move || connect(again));
                if let Some(window) = web_sys::window() {
                    let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(retry.unchecked_ref(), delay_ms);
                }
            })
        };
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        // The socket owns its handlers from here on; they go with it.
        on_open.forget();
        on_message.forget();
        on_close.forget();
        live.socket.borrow_mut().replace(socket);
    }

    /// Tells the server which conversation this tab shows; it tells the other agents.
    fn send_viewing(live: &Live, conversation: uuid::Uuid) {
        if let Some(socket) = live.socket.borrow().as_ref() {
            let _ = socket.send_with_str(&serde_json::json!({ "viewing": conversation }).to_string());
        }
    }

    #[derive(Clone, Copy)]
    enum NoticeKind {
        Typing,
        Presence,
    }

    impl NoticeKind {
        fn shown_ms(self) -> f64 {
            match self {
                Self::Typing => TYPING_SHOWN_MS,
                Self::Presence => PRESENCE_SHOWN_MS,
            }
        }
    }

    /// `{"event":{"kind":"typing"|"presence","conversation_id":..,"name":..}}`, as a notice to show.
    fn notice_of(frame: &serde_json::Value) -> Option<(NoticeKind, Typing)> {
        let event = frame.get("event")?;
        let kind = match event.get("kind")?.as_str()? {
            "typing" => NoticeKind::Typing,
            "presence" => NoticeKind::Presence,
            _ => return None,
        };
        let conversation = uuid::Uuid::parse_str(event.get("conversation_id")?.as_str()?).ok()?;
        let name = event.get("name")?.as_str()?.to_owned();
        Some((kind, Typing { conversation, name, until_ms: web_sys::js_sys::Date::now() + kind.shown_ms() }))
    }

    fn show_for(list: RwSignal<Vec<Typing>>, notice: Typing, shown_ms: f64) {
        list.update(|all| {
            all.retain(|t| !(t.conversation == notice.conversation && t.name == notice.name));
            all.push(notice);
        });
        set_timeout(
            move || {
                let now = web_sys::js_sys::Date::now();
                list.update(|all| all.retain(|t| t.until_ms > now));
            },
            std::time::Duration::from_millis(shown_ms as u64 + 50),
        );
    }
}

/// No socket while rendering on the server.
#[cfg(not(feature = "hydrate"))]
mod connection {
    pub fn open(_: super::InboxRefresh, _: super::LiveInbox, _: super::Notifications, _: String) {}
}
