//! Quick replies: canned answers an agent pulls into the composer by typing `/shortcut`. The
//! composer's slash detection lives here too, so the browser and the tests share one rule.

use super::{ChannelId, InvalidInput, required_text};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const SHORTCUT_MAX: usize = 32;
pub const TEXT_MAX: usize = 4096;

/// `ship`, `refund-policy`, `opening_hours`: what follows the slash. Stored without the slash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickReplyShortcut(String);

impl QuickReplyShortcut {
    /// Accepts the shortcut with or without its leading slash.
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let trimmed = raw.trim();
        let value = trimmed.strip_prefix('/').unwrap_or(trimmed);
        if value.is_empty() {
            return Err(InvalidInput::new("Shortcut is required"));
        }
        if value.chars().count() > SHORTCUT_MAX {
            return Err(InvalidInput(format!("Shortcut must be at most {SHORTCUT_MAX} characters")));
        }
        if !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(InvalidInput::new("Shortcut may contain only letters, digits, - and _ (no spaces)"));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The text a quick reply inserts: not blank, at most WhatsApp's 4,096 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickReplyText(String);

impl QuickReplyText {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        required_text(raw, "Text", TEXT_MAX).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One quick reply as the page lists it and the composer offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct QuickReply {
    pub id: Uuid,
    pub shortcut: String,
    pub text: String,
    /// None: offered in every channel's conversations.
    pub channel_id: Option<ChannelId>,
    pub channel_name: Option<String>,
}

impl QuickReply {
    /// Whether the reply matches what the agent typed after the slash (or in the page's search):
    /// its shortcut starts with it, or its shortcut or text contains it, ignoring case.
    pub fn matches(&self, query: &str) -> bool {
        let query = query.trim().trim_start_matches('/').to_lowercase();
        query.is_empty() || self.shortcut.to_lowercase().contains(&query) || self.text.to_lowercase().contains(&query)
    }
}

/// Best matches first: shortcuts starting with the query, then the other matches, each by shortcut.
pub fn filter_quick_replies<'a>(replies: &'a [QuickReply], query: &str) -> Vec<&'a QuickReply> {
    let prefix = query.trim().trim_start_matches('/').to_lowercase();
    let mut hits: Vec<&QuickReply> = replies.iter().filter(|r| r.matches(query)).collect();
    hits.sort_by_key(|r| (!r.shortcut.to_lowercase().starts_with(&prefix), r.shortcut.to_lowercase()));
    hits
}

/// A `/query` being typed in the composer: where it starts and ends (byte offsets in the text)
/// and what follows the slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlashQuery {
    pub start: usize,
    pub end: usize,
    pub query: String,
}

impl SlashQuery {
    /// The `/query` that ends at the caret (`caret_utf16`, the textarea's UTF-16 offset), if the
    /// slash opens the message or follows whitespace and nothing but shortcut characters follow it.
    pub fn at(text: &str, caret_utf16: usize) -> Option<Self> {
        let end = byte_offset(text, caret_utf16)?;
        let before = &text[..end];
        let start = before.rfind('/')?;
        let query = &before[start + 1..];
        let opens = before[..start].chars().next_back().is_none_or(char::is_whitespace);
        let plain = query.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        (opens && plain && query.chars().count() <= SHORTCUT_MAX).then(|| Self { start, end, query: query.to_owned() })
    }

    /// The message with `/query` replaced by `replacement`, and the caret (UTF-16) just after it.
    pub fn replace(&self, text: &str, replacement: &str) -> (String, usize) {
        let mut out = String::with_capacity(text.len() + replacement.len());
        out.push_str(&text[..self.start]);
        out.push_str(replacement);
        let caret = out.encode_utf16().count();
        out.push_str(&text[self.end..]);
        (out, caret)
    }
}

/// The byte offset of a UTF-16 offset, or None when it is past the end or inside a character.
fn byte_offset(text: &str, utf16: usize) -> Option<usize> {
    let mut units = 0;
    for (byte, c) in text.char_indices() {
        if units == utf16 {
            return Some(byte);
        }
        units += c.len_utf16();
    }
    (units == utf16).then_some(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(shortcut: &str, text: &str) -> QuickReply {
        QuickReply { id: Uuid::nil(), shortcut: shortcut.into(), text: text.into(), channel_id: None, channel_name: None }
    }

    #[test]
    fn shortcut_is_stored_without_its_slash() {
        assert_eq!(QuickReplyShortcut::parse(" /ship ").unwrap().as_str(), "ship");
        assert_eq!(QuickReplyShortcut::parse("refund_policy-2").unwrap().as_str(), "refund_policy-2");
        assert_eq!(QuickReplyShortcut::parse(&"a".repeat(32)).unwrap().as_str().len(), 32);
    }

    #[test]
    fn shortcut_refuses_spaces_symbols_and_length() {
        for bad in ["", "/", "two words", "ship!", "é", &"a".repeat(33), "//ship"] {
            assert!(QuickReplyShortcut::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn text_is_required_and_bounded() {
        assert!(QuickReplyText::parse("  \n ").is_err());
        assert!(QuickReplyText::parse(&"x".repeat(4097)).is_err());
        assert_eq!(QuickReplyText::parse(" Your parcel ships today. ").unwrap().as_str(), "Your parcel ships today.");
        assert!(QuickReplyText::parse(&"ü".repeat(4096)).is_ok());
    }

    #[test]
    fn slash_opens_at_the_start_or_after_whitespace_only() {
        assert_eq!(SlashQuery::at("/sh", 3), Some(SlashQuery { start: 0, end: 3, query: "sh".into() }));
        assert_eq!(SlashQuery::at("Hi /", 4).map(|q| q.query), Some(String::new()));
        assert_eq!(SlashQuery::at("Hi\n/ship", 8).map(|q| q.start), Some(3));
        assert_eq!(SlashQuery::at("and/or", 6), None);
        assert_eq!(SlashQuery::at("/ship now", 9), None, "a space ends the shortcut");
        assert_eq!(SlashQuery::at("https://x", 9), None);
        assert_eq!(SlashQuery::at("/sh", 9), None, "caret past the end");
    }

    #[test]
    fn caret_offsets_are_utf16() {
        // "👋" is two UTF-16 units and four bytes.
        let text = "👋 /sh";
        assert_eq!(SlashQuery::at(text, 6), Some(SlashQuery { start: 5, end: 8, query: "sh".into() }));
        let (out, caret) = SlashQuery::at(text, 6).unwrap().replace(text, "Ships today");
        assert_eq!(out, "👋 Ships today");
        assert_eq!(caret, 14);
    }

    #[test]
    fn replacing_keeps_the_rest_of_the_message() {
        let text = "Hello /shi, thanks";
        let q = SlashQuery::at(text, 10).unwrap();
        assert_eq!(q.replace(text, "It ships today").0, "Hello It ships today, thanks");
    }

    #[test]
    fn filtering_puts_prefix_matches_first() {
        let all = [reply("refund", "We ship refunds"), reply("ship", "Ships today"), reply("hours", "9 to 5")];
        let hits: Vec<_> = filter_quick_replies(&all, "shi").iter().map(|r| r.shortcut.as_str()).collect();
        assert_eq!(hits, ["ship", "refund"]);
        assert_eq!(filter_quick_replies(&all, "").len(), 3);
        assert!(filter_quick_replies(&all, "nothing").is_empty());
        assert!(all[1].matches("/SHIP"));
    }
}
