//! Conversations with customers: WhatsApp's 24-hour customer service window, the conversation's
//! place in the inbox, and how far an outbound message has got. Pure: the time is passed in.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

pub use super::ids::{ConversationId, MessageId};

/// WhatsApp's customer service window: for 24 hours after the customer's last message the business
/// may write freely; outside it, only an approved template may start the conversation again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationWindow {
    /// The customer's last inbound message; None when they never wrote.
    last_inbound: Option<DateTime<Utc>>,
}

impl ConversationWindow {
    pub const LENGTH: Duration = Duration::hours(24);

    pub fn new(last_inbound: Option<DateTime<Utc>>) -> Self {
        Self { last_inbound }
    }

    /// When the window closes; None when the customer never wrote.
    pub fn closes_at(&self) -> Option<DateTime<Utc>> {
        self.last_inbound.map(|at| at + Self::LENGTH)
    }

    /// The time left for free-form messages, None once the window is closed.
    pub fn remaining(&self, now: DateTime<Utc>) -> Option<Duration> {
        self.closes_at().map(|closes| closes - now).filter(|left| *left > Duration::zero())
    }

    pub fn allows_free_form(&self, now: DateTime<Utc>) -> bool {
        self.remaining(now).is_some()
    }
}

/// Where a conversation stands in the team's inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConversationStatus {
    Open,
    /// Waiting on something (the customer, another team) — out of the way, not done.
    Pending,
    Resolved,
}

impl ConversationStatus {
    pub const ALL: [ConversationStatus; 3] = [Self::Open, Self::Pending, Self::Resolved];

    pub fn key(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Pending => "pending",
            Self::Resolved => "resolved",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "Open",
            Self::Pending => "Pending",
            Self::Resolved => "Resolved",
        }
    }
}

/// How far an outbound message has got, Parley's own states before Meta's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OutboundStatus {
    /// Stored and queued; Meta not asked yet, or told to retry later.
    Pending,
    /// Meta was asked but never answered: it may or may not have been accepted. Never resent
    /// without a person deciding to.
    Unknown,
    /// Meta answered 200.
    Accepted,
    Sent,
    Delivered,
    Read,
    Failed,
}

/// The mark a chat bubble carries, as WhatsApp users know them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tick {
    /// 🕓 not on WhatsApp's servers yet.
    Clock,
    /// ✓
    Single,
    /// ✓✓ grey.
    Double,
    /// ✓✓ blue.
    DoubleBlue,
    /// ! with the reason beside it.
    Alert,
}

impl OutboundStatus {
    pub const ALL: [OutboundStatus; 7] =
        [Self::Pending, Self::Unknown, Self::Accepted, Self::Sent, Self::Delivered, Self::Read, Self::Failed];

    pub fn key(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Unknown => "unknown",
            Self::Accepted => "accepted",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    /// Accepted shows a clock too: WhatsApp shows ✓ only once the message left for the phone.
    pub fn tick(self) -> Tick {
        match self {
            Self::Pending | Self::Accepted => Tick::Clock,
            Self::Sent => Tick::Single,
            Self::Delivered => Tick::Double,
            Self::Read => Tick::DoubleBlue,
            Self::Unknown | Self::Failed => Tick::Alert,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Sending…",
            Self::Unknown => "Not confirmed by WhatsApp",
            Self::Accepted => "Accepted by WhatsApp",
            Self::Sent => "Sent",
            Self::Delivered => "Delivered",
            Self::Read => "Read",
            Self::Failed => "Not delivered",
        }
    }

    /// Only a person resends, and only what did not go through or may not have.
    pub fn can_retry(self) -> bool {
        matches!(self, Self::Failed | Self::Unknown)
    }
}

impl Tick {
    pub fn symbol(self) -> &'static str {
        match self {
            Tick::Clock => "🕓",
            Tick::Single => "✓",
            Tick::Double | Tick::DoubleBlue => "✓✓",
            Tick::Alert => "!",
        }
    }
}

/// Who a conversation is handed to: a person, or a team whose members share it until one of them
/// takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TransferTarget {
    Person(super::UserId),
    Team(super::TeamId),
}

/// What the one handing a conversation over tells whoever gets it: optional, at most
/// [`TransferNote::MAX_CHARS`] characters, line breaks allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferNote(String);

impl TransferNote {
    pub const MAX_CHARS: usize = 500;

    /// A blank note is no note.
    pub fn parse(raw: &str) -> Result<Option<Self>, super::InvalidInput> {
        let note = raw.trim();
        if note.is_empty() {
            return Ok(None);
        }
        if note.chars().count() > Self::MAX_CHARS {
            return Err(super::InvalidInput(format!("The note must be at most {} characters", Self::MAX_CHARS)));
        }
        if note.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
            return Err(super::InvalidInput::new("The note cannot contain control characters"));
        }
        Ok(Some(Self(note.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, hour, minute, 0).unwrap()
    }

    #[test]
    fn window_is_open_for_24_hours_after_the_customers_last_message() {
        let window = ConversationWindow::new(Some(at(10, 0)));
        assert_eq!(window.closes_at(), Some(at(10, 0) + Duration::hours(24)));
        assert_eq!(window.remaining(at(10, 0)), Some(Duration::hours(24)));
        assert_eq!(window.remaining(at(22, 30)), Some(Duration::minutes(11 * 60 + 30)));
        assert!(window.allows_free_form(at(10, 0) + Duration::hours(24) - Duration::seconds(1)));
    }

    #[test]
    fn window_closes_exactly_after_24_hours() {
        let window = ConversationWindow::new(Some(at(10, 0)));
        let closes = at(10, 0) + Duration::hours(24);
        assert_eq!(window.remaining(closes), None);
        assert!(!window.allows_free_form(closes));
        assert!(!window.allows_free_form(closes + Duration::days(3)));
    }

    #[test]
    fn a_customer_who_never_wrote_has_no_window() {
        let window = ConversationWindow::new(None);
        assert_eq!(window.closes_at(), None);
        assert_eq!(window.remaining(at(10, 0)), None);
        assert!(!window.allows_free_form(at(10, 0)));
    }

    #[test]
    fn conversation_status_round_trips_through_its_key() {
        for status in ConversationStatus::ALL {
            assert_eq!(ConversationStatus::from_key(status.key()), Some(status));
        }
        assert_eq!(ConversationStatus::from_key("closed"), None);
    }

    #[test]
    fn outbound_status_round_trips_and_shows_whatsapps_ticks() {
        for status in OutboundStatus::ALL {
            assert_eq!(OutboundStatus::from_key(status.key()), Some(status));
        }
        assert_eq!(OutboundStatus::from_key("received"), None, "inbound messages have no ticks");
        assert_eq!(OutboundStatus::Pending.tick(), Tick::Clock);
        assert_eq!(OutboundStatus::Sent.tick(), Tick::Single);
        assert_eq!(OutboundStatus::Delivered.tick(), Tick::Double);
        assert_eq!(OutboundStatus::Read.tick(), Tick::DoubleBlue);
        assert_eq!(OutboundStatus::Failed.tick().symbol(), "!");
        assert_eq!(OutboundStatus::Unknown.tick(), Tick::Alert);
    }

    #[test]
    fn only_failed_or_unconfirmed_messages_can_be_retried() {
        let retriable: Vec<_> = OutboundStatus::ALL.into_iter().filter(|s| s.can_retry()).collect();
        assert_eq!(retriable, vec![OutboundStatus::Unknown, OutboundStatus::Failed]);
    }

    #[test]
    fn transfer_notes_are_optional_trimmed_and_bounded() {
        assert_eq!(TransferNote::parse("   "), Ok(None));
        let note = TransferNote::parse("  Refund approved,\ncall them back  ").unwrap().unwrap();
        assert_eq!(note.as_str(), "Refund approved,\ncall them back");
        assert!(TransferNote::parse(&"x".repeat(TransferNote::MAX_CHARS)).unwrap().is_some());
        assert!(TransferNote::parse(&"x".repeat(TransferNote::MAX_CHARS + 1)).is_err());
        assert!(TransferNote::parse("bell \u{7}").is_err());
    }
}
