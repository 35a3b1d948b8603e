//! A person's starred messages, as the Starred page lists them: newest first, grouped by the
//! day they were written, each saying who wrote to whom.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One starred message with what the list shows of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct StarredMessage {
    pub message_id: Uuid,
    pub conversation_id: Uuid,
    pub channel_name: String,
    pub contact_name: String,
    pub direction: String,
    pub kind: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub starred_at: DateTime<Utc>,
}

impl StarredMessage {
    /// "You ▸ Ana" for what the team sent, "Ana ▸ You" for what the customer wrote.
    pub fn label(&self) -> String {
        if self.direction == "inbound" {
            format!("{} ▸ You", self.contact_name)
        } else {
            format!("You ▸ {}", self.contact_name)
        }
    }

    /// The text, or what kind of message it is when it has none (a photo without caption).
    pub fn preview(&self) -> String {
        if self.body.trim().is_empty() { format!("[{}]", self.kind) } else { self.body.clone() }
    }
}

/// Where the next page of starred messages starts (keyset: newest message first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StarredCursor {
    pub created_at: DateTime<Utc>,
    pub message_id: Uuid,
}

impl StarredCursor {
    pub fn after(message: &StarredMessage) -> Self {
        Self { created_at: message.created_at, message_id: message.message_id }
    }
}

/// A channel of the organization, for the Starred page's filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ChannelOption {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StarredPage {
    pub messages: Vec<StarredMessage>,
    pub next: Option<StarredCursor>,
    pub channels: Vec<ChannelOption>,
}

/// Consecutive messages of the same day (UTC), in the order given: the page draws one heading
/// per group. Messages arrive newest first, so the groups do too.
pub fn group_by_day(messages: &[StarredMessage]) -> Vec<(NaiveDate, Vec<StarredMessage>)> {
    let mut groups: Vec<(NaiveDate, Vec<StarredMessage>)> = Vec::new();
    for message in messages {
        let day = message.created_at.date_naive();
        match groups.last_mut() {
            Some((last, items)) if *last == day => items.push(message.clone()),
            _ => groups.push((day, vec![message.clone()])),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn starred(direction: &str, at: DateTime<Utc>, body: &str) -> StarredMessage {
        StarredMessage {
            message_id: Uuid::now_v7(),
            conversation_id: Uuid::nil(),
            channel_name: "Shop".into(),
            contact_name: "Zoë".into(),
            direction: direction.into(),
            kind: "text".into(),
            body: body.into(),
            created_at: at,
            starred_at: at,
        }
    }

    #[test]
    fn labels_say_who_wrote_to_whom() {
        let at = Utc::now();
        assert_eq!(starred("inbound", at, "hi").label(), "Zoë ▸ You");
        assert_eq!(starred("outbound", at, "hi").label(), "You ▸ Zoë");
        assert_eq!(starred("inbound", at, " ").preview(), "[text]");
    }

    #[test]
    fn groups_consecutive_messages_of_a_day() {
        let day = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap();
        let messages = [starred("inbound", day(22, 18), "a"), starred("outbound", day(22, 9), "b"), starred("inbound", day(20, 23), "c")];
        let groups = group_by_day(&messages);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].0, day(22, 0).date_naive());
        assert_eq!(groups[0].1.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(groups[1].1.len(), 1);
    }
}
