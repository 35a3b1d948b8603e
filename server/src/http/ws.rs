//! `/ws?after=<event id>`: the live inbox for one browser tab. The upgrade is refused unless it
//! comes from Parley's own pages (the cross-site middleware lets every GET through, and a
//! websocket handshake is a GET) and carries a session allowed to read the inbox. The socket then
//! carries the missed events since `after`, then live ones, as `{"id":..,"event":{..}}` text
//! frames; when `after` is past the retention, `{"reset":true}` comes first instead of the missed
//! events (reload, then follow). It takes `{"typing":"<conversation>"}` and
//! `{"viewing":"<conversation>"}` from the browser and passes them on to the organization, and
//! closes when the session ends.

use super::ServerState;
use axum::Extension;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode, header};
use parley::auth::sessions;
use parley::domain::{Actor, Permission};
use parley::realtime::{self, ClientSignal, Event, EventId, Feed, Hub, Reset};
use serde::Deserialize;
use sqlx::PgPool;
use std::collections::HashMap;
use std::time::Duration;
use tokio::time::{Instant, interval_at};
use uuid::Uuid;

/// Keeps proxies from closing an idle socket, and re-announces what the tab is viewing.
const PING_EVERY: Duration = Duration::from_secs(20);
/// A session ended elsewhere (logout, deactivation, role change) closes the socket within this.
const RECHECK_EVERY: Duration = Duration::from_secs(30);
/// Typing signals for one conversation are passed on at most this often.
const TYPING_EVERY: Duration = Duration::from_secs(2);

/// Application close codes (4000–4999), so the browser knows not to reconnect blindly.
const CLOSE_SESSION_ENDED: u16 = 4401;
const CLOSE_UNAVAILABLE: u16 = 1011;

#[derive(Deserialize)]
pub struct Resume {
    after: Option<i64>,
}

pub async fn connect(
    State(state): State<ServerState>,
    Extension(hub): Extension<Hub>,
    Query(resume): Query<Resume>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if !from_parley(&headers, &state.app.public_url) {
        return (StatusCode::FORBIDDEN, "Cross-site websocket refused: it must come from Parley's own pages.").into_response();
    }
    let cookies = headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok());
    let Some(token) = sessions::token_from_cookies(cookies) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let person = match sessions::resolve(&state.app.pool, &token).await {
        Ok(Some(person)) => person,
        Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
        Err(error) => {
            tracing::error!(%error, "websocket session not resolved");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let Some(actor) = person.actor.filter(|a| a.can(Permission::InboxRead)) else {
        return StatusCode::FORBIDDEN.into_response();
    };
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let tab = Tab { pool: state.app.pool.clone(), token, actor, name: person.name };
    let after = resume.after.map(EventId);
    upgrade.on_upgrade(move |socket| tab.follow(socket, hub, after))
}

/// Browsers always send Origin on a websocket handshake; it must be Parley's public origin, or
/// the host the request was addressed to.
fn from_parley(headers: &HeaderMap, public_url: &str) -> bool {
    let header = |name| headers.get(name).and_then(|v: &http::HeaderValue| v.to_str().ok());
    let Some(origin) = header(header::ORIGIN) else { return false };
    origin == public_origin(public_url)
        || header(header::HOST).is_some_and(|host| origin == format!("http://{host}") || origin == format!("https://{host}"))
}

fn public_origin(public_url: &str) -> &str {
    let after_scheme = public_url.find("://").map_or(0, |i| i + 3);
    let end = public_url[after_scheme..].find('/').map_or(public_url.len(), |i| i + after_scheme);
    &public_url[..end]
}

/// One connected browser tab.
struct Tab {
    pool: PgPool,
    token: String,
    actor: Actor,
    name: String,
}

impl Tab {
    async fn follow(self, mut socket: WebSocket, hub: Hub, after: Option<EventId>) {
        let mut feed = match Feed::open(self.pool.clone(), &hub, self.actor.clone(), after).await {
            Ok(feed) => feed,
            Err(error) => {
                tracing::warn!(%error, "live inbox not opened");
                close(&mut socket, CLOSE_UNAVAILABLE, "unavailable, retry").await;
                return;
            }
        };
        if feed.reset() {
            let reset = serde_json::json!(Reset { reset: true }).to_string();
            if socket.send(Message::Text(reset.into())).await.is_err() {
                return;
            }
        }
        let mut ping = interval_at(Instant::now() + PING_EVERY, PING_EVERY);
        let mut recheck = interval_at(Instant::now() + RECHECK_EVERY, RECHECK_EVERY);
        let mut viewing: Option<Uuid> = None;
        let mut typed: HashMap<Uuid, Instant> = HashMap::new();
        loop {
            // Each branch is cancel-safe: Feed::next loses nothing when another branch wins.
            tokio::select! {
                next = feed.next() => match next {
                    Ok(Some(delivery)) => match serde_json::to_string(&delivery) {
                        Ok(json) => {
                            if socket.send(Message::Text(json.into())).await.is_err() {
                                return;
                            }
                        }
                        Err(error) => tracing::error!(%error, "realtime event not serialized"),
                    },
                    Ok(None) => return close(&mut socket, CLOSE_UNAVAILABLE, "server stopping").await,
                    Err(error) => {
                        tracing::warn!(%error, "live inbox interrupted");
                        return close(&mut socket, CLOSE_UNAVAILABLE, "unavailable, retry").await;
                    }
                },
                received = socket.recv() => match received {
                    Some(Ok(Message::Text(text))) => match serde_json::from_str::<ClientSignal>(text.as_str()) {
                        Ok(ClientSignal::Typing(conversation)) => {
                            let recent = typed.get(&conversation).is_some_and(|at| at.elapsed() < TYPING_EVERY);
                            if !recent {
                                typed.insert(conversation, Instant::now());
                                self.typing(conversation).await;
                            }
                        }
                        Ok(ClientSignal::Viewing(conversation)) => {
                            viewing = self.viewing(conversation).await.then_some(conversation);
                        }
                        Err(_) => tracing::debug!("unknown websocket frame ignored"),
                    },
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                    Some(Ok(_)) => {}
                },
                _ = ping.tick() => {
                    if socket.send(Message::Ping(Default::default())).await.is_err() {
                        return;
                    }
                    if let Some(conversation) = viewing {
                        self.announce_viewing(conversation).await;
                    }
                }
                _ = recheck.tick() => {
                    if !self.still_signed_in().await {
                        return close(&mut socket, CLOSE_SESSION_ENDED, "session ended").await;
                    }
                }
            }
        }
    }

    /// The same person, in the same organization, with the same permissions: anything else (a
    /// logout, a switch of organization, a new role) ends this socket, and the browser reconnects
    /// as whoever it now is.
    async fn still_signed_in(&self) -> bool {
        match sessions::resolve(&self.pool, &self.token).await {
            Ok(Some(person)) => person.actor.as_ref() == Some(&self.actor),
            Ok(None) => false,
            // The database being briefly away is not the session ending.
            Err(error) => {
                tracing::warn!(%error, "websocket session not rechecked");
                true
            }
        }
    }

    async fn typing(&self, conversation: Uuid) {
        if !self.visible(conversation).await {
            return;
        }
        let event = Event::Typing { conversation_id: conversation, user_id: self.actor.user_id, name: self.name.clone() };
        if let Err(error) = realtime::publish_ephemeral(&self.pool, self.actor.organization_id, &event).await {
            tracing::warn!(%error, "typing not passed on");
        }
    }

    async fn viewing(&self, conversation: Uuid) -> bool {
        let visible = self.visible(conversation).await;
        if visible {
            self.announce_viewing(conversation).await;
        }
        visible
    }

    async fn announce_viewing(&self, conversation: Uuid) {
        let event = Event::Presence { conversation_id: conversation, user_id: self.actor.user_id, name: self.name.clone() };
        if let Err(error) = realtime::publish_ephemeral(&self.pool, self.actor.organization_id, &event).await {
            tracing::warn!(%error, "presence not passed on");
        }
    }

    async fn visible(&self, conversation: Uuid) -> bool {
        realtime::visible_conversation(&self.pool, &self.actor, conversation).await.unwrap_or_else(|error| {
            tracing::warn!(%error, "conversation visibility not checked");
            false
        })
    }
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let _ = socket.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, v.parse().unwrap());
        }
        map
    }

    #[test]
    fn only_parleys_own_origin_may_open_the_socket() {
        let public = "https://chat.example.com/parley";
        assert!(from_parley(&headers(&[("origin", "https://chat.example.com")]), public));
        assert!(from_parley(&headers(&[("origin", "http://127.0.0.1:3000"), ("host", "127.0.0.1:3000")]), public));
        assert!(!from_parley(&headers(&[("origin", "https://evil.example"), ("host", "chat.example.com")]), public));
        assert!(!from_parley(&headers(&[("host", "chat.example.com")]), public), "no Origin is refused");
    }
}
