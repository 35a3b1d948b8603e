//! What the live inbox tells browsers. Events only say what changed (a conversation, a message,
//! a status): the browser then fetches the details through server functions, which check
//! permissions as usual, so an event never carries a customer's words.

use super::UserId;
use super::cloud::webhook::MessageStatus;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An event's position in its organization's stream: a browser resumes after the last one it got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(pub i64);

impl std::fmt::Display for EventId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// How long a presence announcement holds: viewers repeat theirs more often than this, and a
/// viewer who has not been announced for this long has left.
pub const PRESENCE_TTL_SECONDS: u32 = 45;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    MessageCreated { conversation_id: Uuid, message_id: Uuid },
    /// An outbound message moved forward (sent, delivered, read, or failed).
    MessageStatus { conversation_id: Uuid, message_id: Uuid, status: MessageStatus },
    /// Its status, assignment or unread count changed: the inbox list reloads that row.
    ConversationUpdated { conversation_id: Uuid },
    /// Someone is writing a reply. Ephemeral: never stored, never replayed.
    Typing { conversation_id: Uuid, user_id: UserId, name: String },
    /// This person is looking at the conversation now, valid for [`PRESENCE_TTL_SECONDS`].
    /// Ephemeral.
    Presence { conversation_id: Uuid, user_id: UserId, name: String },
    /// The person has a new or updated notification about the conversation; only they get it.
    Notified { conversation_id: Uuid, user_id: UserId },
    /// The person starred or unstarred a message of the conversation; only they get it, so that
    /// their other tabs show the star too.
    Starred { conversation_id: Uuid, user_id: UserId },
}

impl Event {
    /// The stored `kind`, also the JSON tag.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::MessageCreated { .. } => "message_created",
            Event::MessageStatus { .. } => "message_status",
            Event::ConversationUpdated { .. } => "conversation_updated",
            Event::Typing { .. } => "typing",
            Event::Presence { .. } => "presence",
            Event::Notified { .. } => "notified",
            Event::Starred { .. } => "starred",
        }
    }

    pub fn conversation_id(&self) -> Uuid {
        match self {
            Event::MessageCreated { conversation_id, .. }
            | Event::MessageStatus { conversation_id, .. }
            | Event::ConversationUpdated { conversation_id }
            | Event::Typing { conversation_id, .. }
            | Event::Presence { conversation_id, .. }
            | Event::Notified { conversation_id, .. }
            | Event::Starred { conversation_id, .. } => *conversation_id,
        }
    }

    /// The one person an event is for, when it is not for everyone who sees the conversation.
    pub fn recipient(&self) -> Option<UserId> {
        match self {
            Event::Notified { user_id, .. } | Event::Starred { user_id, .. } => Some(*user_id),
            _ => None,
        }
    }

    /// Typing and presence matter only while they happen: they are not stored, and a browser
    /// that reconnects does not get them again.
    pub fn is_ephemeral(&self) -> bool {
        matches!(self, Event::Typing { .. } | Event::Presence { .. })
    }
}

/// One frame of the websocket, as the browser reads it: `{"id":..,"event":{..}}`, without `id`
/// for ephemeral events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<EventId>,
    pub event: Event,
}

/// Sent first, instead of the missed events, when a browser asks to resume from an event older
/// than the retention: it reloads its inbox, then follows from here. `{"reset":true}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reset {
    pub reset: bool,
}

/// What the browser may send: `{"typing":"<conversation id>"}` or `{"viewing":"<conversation id>"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientSignal {
    Typing(Uuid),
    Viewing(Uuid),
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const C: Uuid = Uuid::from_u128(1);
    const M: Uuid = Uuid::from_u128(2);

    #[test]
    fn events_are_tagged_by_kind() {
        let e = Event::MessageStatus { conversation_id: C, message_id: M, status: MessageStatus::Read };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["kind"], "message_status");
        assert_eq!(v["status"], "read");
        assert_eq!(v["kind"], e.kind());
        assert_eq!(serde_json::from_value::<Event>(v).unwrap(), e);
        for e in [
            Event::MessageCreated { conversation_id: C, message_id: M },
            Event::ConversationUpdated { conversation_id: C },
            Event::Typing { conversation_id: C, user_id: UserId(M), name: "Ana".into() },
            Event::Presence { conversation_id: C, user_id: UserId(M), name: "Ana".into() },
            Event::Notified { conversation_id: C, user_id: UserId(M) },
            Event::Starred { conversation_id: C, user_id: UserId(M) },
        ] {
            assert_eq!(serde_json::to_value(&e).unwrap()["kind"], e.kind());
            assert_eq!(e.conversation_id(), C);
        }
    }

    #[test]
    fn only_typing_and_presence_are_ephemeral() {
        assert!(!Event::ConversationUpdated { conversation_id: C }.is_ephemeral());
        assert!(!Event::MessageCreated { conversation_id: C, message_id: M }.is_ephemeral());
        assert!(Event::Presence { conversation_id: C, user_id: UserId(M), name: "Ana".into() }.is_ephemeral());
        assert!(!Event::Notified { conversation_id: C, user_id: UserId(M) }.is_ephemeral());
    }

    #[test]
    fn only_notifications_have_a_single_recipient() {
        assert_eq!(Event::Notified { conversation_id: C, user_id: UserId(M) }.recipient(), Some(UserId(M)));
        assert_eq!(Event::Starred { conversation_id: C, user_id: UserId(M) }.recipient(), Some(UserId(M)));
        assert_eq!(Event::ConversationUpdated { conversation_id: C }.recipient(), None);
    }

    #[test]
    fn frames_carry_an_id_only_when_stored() {
        let stored = Delivery { id: Some(EventId(7)), event: Event::ConversationUpdated { conversation_id: C } };
        assert_eq!(
            serde_json::to_value(&stored).unwrap(),
            json!({"id": 7, "event": {"kind": "conversation_updated", "conversation_id": C}})
        );
        let typing = Delivery { id: None, event: Event::Typing { conversation_id: C, user_id: UserId(M), name: "A".into() } };
        assert!(serde_json::to_value(&typing).unwrap().get("id").is_none());
    }

    #[test]
    fn client_signals_name_a_conversation() {
        assert_eq!(serde_json::from_value::<ClientSignal>(json!({"typing": C})).unwrap(), ClientSignal::Typing(C));
        assert_eq!(serde_json::from_value::<ClientSignal>(json!({"viewing": C})).unwrap(), ClientSignal::Viewing(C));
        assert!(serde_json::from_value::<ClientSignal>(json!({"typing": "not an id"})).is_err());
        assert!(serde_json::from_value::<ClientSignal>(json!({"shout": C})).is_err());
    }
}
