//! What an agent is told personally: a conversation handed to them, a customer writing in one of
//! their conversations, a message of theirs that WhatsApp refused. Repeats of the same news about
//! the same conversation fold into one unread notification with a count, so a chatty customer
//! fills no list.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NotificationKind {
    /// Someone assigned the conversation to this person.
    Assigned,
    /// The customer wrote in a conversation assigned to this person.
    Message,
    /// A message this person wrote could not be delivered.
    Failed,
}

impl NotificationKind {
    pub const ALL: [Self; 3] = [Self::Assigned, Self::Message, Self::Failed];

    pub fn key(self) -> &'static str {
        match self {
            Self::Assigned => "assigned",
            Self::Message => "message",
            Self::Failed => "failed",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub id: Uuid,
    pub kind: NotificationKind,
    pub conversation_id: Uuid,
    /// The contact's name as the inbox shows it.
    pub contact_name: String,
    /// Who assigned the conversation (for [`NotificationKind::Assigned`]).
    pub by_name: Option<String>,
    /// How many times this happened since the person last read it.
    pub count: i32,
    /// WhatsApp's reason, for a failed message.
    pub detail: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read: bool,
}

impl Notification {
    /// One line, as the notification center lists it.
    pub fn headline(&self) -> String {
        let contact = &self.contact_name;
        match self.kind {
            NotificationKind::Assigned => match &self.by_name {
                Some(by) => format!("{by} assigned you the conversation with {contact}"),
                None => format!("The conversation with {contact} was assigned to you"),
            },
            NotificationKind::Message if self.count > 1 => format!("{} new messages from {contact}", self.count),
            NotificationKind::Message => format!("New message from {contact}"),
            NotificationKind::Failed if self.count > 1 => format!("{} messages to {contact} could not be sent", self.count),
            NotificationKind::Failed => format!("A message to {contact} could not be sent"),
        }
    }
}

/// Where the next page of notifications starts: after this one, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationCursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationPage {
    pub notifications: Vec<Notification>,
    pub unread: i64,
    pub next: Option<NotificationCursor>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notification(kind: NotificationKind, count: i32, by: Option<&str>) -> Notification {
        Notification {
            id: Uuid::nil(),
            kind,
            conversation_id: Uuid::nil(),
            contact_name: "Ines".into(),
            by_name: by.map(str::to_owned),
            count,
            detail: None,
            created_at: DateTime::UNIX_EPOCH,
            read: false,
        }
    }

    #[test]
    fn kinds_round_trip_through_their_keys() {
        for kind in NotificationKind::ALL {
            assert_eq!(NotificationKind::from_key(kind.key()), Some(kind));
        }
        assert_eq!(NotificationKind::from_key("mention"), None);
    }

    #[test]
    fn headlines_say_who_and_how_many() {
        assert_eq!(
            notification(NotificationKind::Assigned, 1, Some("Olivia")).headline(),
            "Olivia assigned you the conversation with Ines"
        );
        assert_eq!(notification(NotificationKind::Message, 1, None).headline(), "New message from Ines");
        assert_eq!(notification(NotificationKind::Message, 3, None).headline(), "3 new messages from Ines");
        assert_eq!(
            notification(NotificationKind::Failed, 2, None).headline(),
            "2 messages to Ines could not be sent"
        );
    }
}
