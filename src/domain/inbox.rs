//! What the inbox shows: conversation rows, a thread's messages, and WhatsApp's text formatting.
//! Pure, so the browser renders with the same rules the server applies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Which conversations the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum StatusFilter {
    #[default]
    Open,
    Pending,
    Resolved,
    All,
}

impl StatusFilter {
    pub const ALL: [StatusFilter; 4] = [Self::Open, Self::Pending, Self::Resolved, Self::All];

    pub fn key(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Pending => "pending",
            Self::Resolved => "resolved",
            Self::All => "all",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "Open",
            Self::Pending => "Pending",
            Self::Resolved => "Resolved",
            Self::All => "All",
        }
    }

    pub fn from_key(key: &str) -> Self {
        Self::ALL.into_iter().find(|f| f.key() == key).unwrap_or_default()
    }

    /// The conversation status to match, or None for every status.
    pub fn status(self) -> Option<&'static str> {
        match self {
            Self::All => None,
            other => Some(other.key()),
        }
    }
}

/// Whose conversations the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum AssigneeFilter {
    #[default]
    Everyone,
    Mine,
    Unassigned,
}

impl AssigneeFilter {
    pub const ALL: [AssigneeFilter; 3] = [Self::Everyone, Self::Mine, Self::Unassigned];

    pub fn key(self) -> &'static str {
        match self {
            Self::Everyone => "everyone",
            Self::Mine => "mine",
            Self::Unassigned => "unassigned",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Everyone => "Everyone's",
            Self::Mine => "Mine",
            Self::Unassigned => "Unassigned",
        }
    }

    pub fn from_key(key: &str) -> Self {
        Self::ALL.into_iter().find(|f| f.key() == key).unwrap_or_default()
    }
}

/// Where the next page of the conversation list starts (keyset: newest activity first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxCursor {
    pub last_message_at: DateTime<Utc>,
    pub id: Uuid,
}

/// One row of the conversation list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ConversationSummary {
    pub id: Uuid,
    pub contact_name: String,
    pub wa_id: String,
    pub channel_name: String,
    pub status: String,
    pub last_message_at: DateTime<Utc>,
    pub unread_count: i32,
    pub assignee_name: Option<String>,
    pub team_name: Option<String>,
    pub preview: Option<String>,
    pub preview_kind: Option<String>,
    pub preview_direction: Option<String>,
    pub preview_status: Option<String>,
}

impl ConversationSummary {
    /// "AB" for "Ana Beta", the last two digits for a number.
    pub fn initials(&self) -> String {
        let letters: String =
            self.contact_name.split_whitespace().filter_map(|w| w.chars().find(|c| c.is_alphabetic())).take(2).collect();
        if letters.is_empty() {
            self.wa_id.chars().rev().take(2).collect::<Vec<_>>().into_iter().rev().collect()
        } else {
            letters.to_uppercase()
        }
    }
}

/// Narrows the list to one team's conversations, one channel's, those where the person starred a
/// message, or any of these together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ListScope {
    pub team: Option<Uuid>,
    pub channel: Option<Uuid>,
    pub starred: bool,
}

/// Something the inbox offers to pick: a person, a team or a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Choice {
    pub id: Uuid,
    pub name: String,
}

/// Who a conversation can be handed to, and what the list can be narrowed to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxChoices {
    /// Active members who may read the inbox.
    pub people: Vec<Choice>,
    pub teams: Vec<Choice>,
    pub channels: Vec<Choice>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxPage {
    pub conversations: Vec<ConversationSummary>,
    pub next: Option<InboxCursor>,
}

/// One message of a thread, as stored: its kind and Meta's JSON of it decide how it is drawn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ThreadMessage {
    pub id: Uuid,
    pub direction: String,
    pub kind: String,
    pub body: String,
    /// The message object (Meta's JSON), as text.
    pub content: String,
    pub context_wamid: Option<String>,
    pub wamid: Option<String>,
    pub status: String,
    /// Meta's reason for a failed message, for the person who sent it.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Starred by the person looking (stars are each person's own).
    pub starred: bool,
    /// The customer's reaction on this message, and the team's (the business number has one).
    pub customer_reaction: Option<String>,
    pub team_reaction: Option<String>,
    /// For a customer's file: pending (being fetched from WhatsApp), stored or failed.
    pub media_state: Option<String>,
}

/// The reactions offered on a customer's message, as WhatsApp offers them.
pub const QUICK_REACTIONS: [&str; 6] = ["👍", "❤️", "😂", "😮", "😢", "🙏"];

impl ThreadMessage {
    pub fn is_inbound(&self) -> bool {
        self.direction == "inbound"
    }
}

/// A conversation opened in the thread view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ConversationHeader {
    pub id: Uuid,
    pub contact_name: String,
    pub wa_id: String,
    pub profile_name: Option<String>,
    pub channel_name: String,
    pub status: String,
    /// The customer's last message: it opens the 24-hour customer service window.
    pub last_inbound_at: Option<DateTime<Utc>>,
    pub assignee_id: Option<Uuid>,
    pub assignee_name: Option<String>,
    pub team_name: Option<String>,
    /// The note of the last handover, and who wrote it.
    pub transfer_note: Option<String>,
    pub transfer_by: Option<String>,
    /// Whether the chatbot answers in this conversation.
    pub bot_enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thread {
    pub conversation: ConversationHeader,
    /// Oldest first.
    pub messages: Vec<ThreadMessage>,
    /// Whether older messages exist before the first one here.
    pub has_older: bool,
    /// What the person looking may do here, decided by the server.
    pub viewer: ThreadViewer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadViewer {
    pub is_assignee: bool,
    /// Replies are theirs: the conversation is unassigned, theirs, or they may assign.
    pub may_reply: bool,
    pub may_assign: bool,
    /// The bot is switched by whoever is in control: the assignee, or anyone while unassigned.
    pub may_switch_bot: bool,
}

/// A run of text with WhatsApp's formatting: *bold*, _italic_, ~strike~, ```mono```.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Span {
    pub text: String,
    pub bold: bool,
    pub italic: bool,
    pub strike: bool,
    pub mono: bool,
}

/// Splits a message body into formatted runs as WhatsApp draws them. A marker only formats when
/// it is closed on the same line and wraps non-space text; otherwise it is kept as typed.
pub fn whatsapp_spans(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(inner) = rest.strip_prefix("```").and_then(|r| r.find("```").map(|end| &r[..end]))
            && !inner.is_empty()
        {
            flush(&mut spans, &mut plain);
            spans.push(Span { text: inner.to_owned(), mono: true, ..Span::default() });
            rest = &rest[3 + inner.len() + 3..];
            continue;
        }
        let mut chars = rest.chars();
        let c = chars.next().unwrap_or_default();
        if matches!(c, '*' | '_' | '~') {
            let marker = c;
            let after = &rest[1..];
            if let Some(end) = after.find(marker) {
                let inner = &after[..end];
                let wraps_text = !inner.is_empty()
                    && !inner.starts_with(char::is_whitespace)
                    && !inner.ends_with(char::is_whitespace)
                    && !inner.contains('\n');
                if wraps_text {
                    flush(&mut spans, &mut plain);
                    for mut span in whatsapp_spans(inner) {
                        match marker {
                            '*' => span.bold = true,
                            '_' => span.italic = true,
                            _ => span.strike = true,
                        }
                        spans.push(span);
                    }
                    rest = &after[end + 1..];
                    continue;
                }
            }
        }
        plain.push(c);
        rest = chars.as_str();
    }
    flush(&mut spans, &mut plain);
    spans
}

fn flush(spans: &mut Vec<Span>, plain: &mut String) {
    if !plain.is_empty() {
        spans.push(Span { text: std::mem::take(plain), ..Span::default() });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(text: &str) -> String {
        whatsapp_spans(text)
            .into_iter()
            .map(|s| {
                let mut t = s.text;
                if s.mono {
                    t = format!("<m>{t}</m>");
                }
                if s.bold {
                    t = format!("<b>{t}</b>");
                }
                if s.italic {
                    t = format!("<i>{t}</i>");
                }
                if s.strike {
                    t = format!("<s>{t}</s>");
                }
                t
            })
            .collect()
    }

    #[test]
    fn formats_like_whatsapp() {
        assert_eq!(render("Hi *Ana*, your _order_ is ~late~ ```ok```"), "Hi <b>Ana</b>, your <i>order</i> is <s>late</s> <m>ok</m>");
        assert_eq!(render("*bold _and italic_*"), "<b>bold </b><i><b>and italic</b></i>");
    }

    #[test]
    fn leaves_unclosed_or_spaced_markers_as_typed() {
        assert_eq!(render("2 * 3 = 6 and 5 * 4"), "2 * 3 = 6 and 5 * 4");
        assert_eq!(render("a_b"), "a_b");
        assert_eq!(render("* not bold *"), "* not bold *");
        assert_eq!(render("price: 5€ ~ 6€"), "price: 5€ ~ 6€");
        assert_eq!(render("ünïcödé *wörks*"), "ünïcödé <b>wörks</b>");
    }

    #[test]
    fn initials_from_names_or_digits() {
        let mut row = ConversationSummary {
            id: Uuid::nil(),
            contact_name: "ana beta".into(),
            wa_id: "4915112345678".into(),
            channel_name: String::new(),
            status: "open".into(),
            last_message_at: DateTime::<Utc>::MIN_UTC,
            unread_count: 0,
            assignee_name: None,
            team_name: None,
            preview: None,
            preview_kind: None,
            preview_direction: None,
            preview_status: None,
        };
        assert_eq!(row.initials(), "AB");
        row.contact_name = "+4915112345678".into();
        assert_eq!(row.initials(), "78");
    }
}
