//! What the team keeps about a customer: the name they gave them, tags, custom fields, consent to
//! be messaged, and notes. Pure, so the contact panel checks input with the server's own rules.

use super::{InvalidInput, required_text, single_line};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const NAME_MAX: usize = 80;
pub const TAG_MAX: usize = 32;
pub const TAGS_PER_CONTACT: usize = 20;
pub const FIELD_KEY_MAX: usize = 40;
pub const FIELD_VALUE_MAX: usize = 500;
pub const FIELDS_PER_CONTACT: usize = 50;
pub const NOTE_MAX: usize = 4096;

/// The name the organization gives a customer. Empty means none: the WhatsApp profile name shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactName(String);

impl ContactName {
    pub fn parse(raw: &str) -> Result<Option<Self>, InvalidInput> {
        if raw.trim().is_empty() {
            return Ok(None);
        }
        single_line(raw, "Name", 1, NAME_MAX).map(|n| Some(Self(n)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A label such as `vip` or `wholesale-lead`: lowercase, a leading `#` dropped, inner spaces
/// turned into dashes, so "VIP", "#vip" and " vip " are one tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag(String);

impl Tag {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let trimmed = raw.trim();
        let trimmed = trimmed.strip_prefix('#').unwrap_or(trimmed);
        let value = trimmed.split_whitespace().collect::<Vec<_>>().join("-").to_lowercase();
        if value.is_empty() {
            return Err(InvalidInput::new("Tag is required"));
        }
        if value.chars().count() > TAG_MAX {
            return Err(InvalidInput(format!("Tag must be at most {TAG_MAX} characters")));
        }
        if value.chars().any(|c| c.is_control() || c == ',') {
            return Err(InvalidInput::new("Tag cannot contain commas or control characters"));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `tags` with `tag` added (at the end, once), or why not.
pub fn with_tag(tags: &[String], tag: &Tag) -> Result<Vec<String>, InvalidInput> {
    if tags.iter().any(|t| t == tag.as_str()) {
        return Ok(tags.to_vec());
    }
    if tags.len() >= TAGS_PER_CONTACT {
        return Err(InvalidInput(format!("A contact can have at most {TAGS_PER_CONTACT} tags")));
    }
    let mut all = tags.to_vec();
    all.push(tag.as_str().to_owned());
    Ok(all)
}

/// The name of a custom field ("Customer number", "Plan").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomFieldKey(String);

impl CustomFieldKey {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        single_line(raw, "Field name", 1, FIELD_KEY_MAX).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomFieldValue(String);

impl CustomFieldValue {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        single_line(raw, "Value", 1, FIELD_VALUE_MAX).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the team wrote about the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteBody(String);

impl NoteBody {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        required_text(raw, "Note", NOTE_MAX).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether the customer agreed to be messaged (marketing templates and broadcasts ask for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum OptIn {
    #[default]
    Unknown,
    OptedIn,
    OptedOut,
}

impl OptIn {
    pub const ALL: [OptIn; 3] = [OptIn::Unknown, OptIn::OptedIn, OptIn::OptedOut];

    pub fn key(self) -> &'static str {
        match self {
            OptIn::Unknown => "unknown",
            OptIn::OptedIn => "opted_in",
            OptIn::OptedOut => "opted_out",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OptIn::Unknown => "Unknown",
            OptIn::OptedIn => "Opted in",
            OptIn::OptedOut => "Opted out",
        }
    }

    pub fn parse(key: &str) -> Result<Self, InvalidInput> {
        Self::ALL
            .into_iter()
            .find(|o| o.key() == key)
            .ok_or_else(|| InvalidInput::new("Choose opted in, opted out or unknown"))
    }
}

/// Where a consent change came from ("Asked in chat", "Web form"); empty means the agent set it.
pub fn opt_in_source(raw: &str) -> Result<Option<String>, InvalidInput> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    single_line(raw, "Source", 1, 80).map(Some)
}

/// A note in the contact panel, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactNote {
    pub id: Uuid,
    pub body: String,
    /// None when the author's account is gone.
    pub author_name: Option<String>,
    /// Only the author deletes a note.
    pub own: bool,
    pub created_at: DateTime<Utc>,
}

/// Everything the contact panel shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactDetails {
    pub id: Uuid,
    /// The organization's name for them; None falls back to the profile name.
    pub name: Option<String>,
    pub profile_name: Option<String>,
    /// E.164 without the `+`.
    pub wa_id: String,
    pub tags: Vec<String>,
    /// By field name.
    pub custom_fields: Vec<(String, String)>,
    pub opt_in: OptIn,
    pub opt_in_changed_at: Option<DateTime<Utc>>,
    pub opt_in_source: Option<String>,
    pub notes: Vec<ContactNote>,
    /// Across every channel of the organization.
    pub conversation_count: i64,
    pub message_count: i64,
    pub may_edit: bool,
}

impl ContactDetails {
    /// What the inbox calls them: the given name, else the profile name, else the number.
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .filter(|n| !n.is_empty())
            .or_else(|| self.profile_name.clone().filter(|n| !n.is_empty()))
            .unwrap_or_else(|| format!("+{}", self.wa_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_name_means_none() {
        assert_eq!(ContactName::parse("   ").unwrap(), None);
        assert_eq!(ContactName::parse(" Zoë Z ").unwrap().unwrap().as_str(), "Zoë Z");
        assert!(ContactName::parse(&"x".repeat(81)).is_err());
        assert!(ContactName::parse("a\u{7}b").is_err());
    }

    #[test]
    fn tags_are_normalized() {
        assert_eq!(Tag::parse(" VIP ").unwrap().as_str(), "vip");
        assert_eq!(Tag::parse("#Wholesale  Lead").unwrap().as_str(), "wholesale-lead");
        assert!(Tag::parse(" # ").is_err());
        assert!(Tag::parse("a,b").is_err());
        assert!(Tag::parse(&"t".repeat(33)).is_err());
        assert!(Tag::parse(&"t".repeat(32)).is_ok());
    }

    #[test]
    fn a_contact_holds_twenty_distinct_tags() {
        let vip = Tag::parse("vip").unwrap();
        assert_eq!(with_tag(&["vip".into()], &vip).unwrap(), vec!["vip".to_owned()], "no duplicate");
        let full: Vec<String> = (0..20).map(|i| format!("t{i}")).collect();
        assert!(with_tag(&full, &vip).is_err());
        assert!(with_tag(&full, &Tag::parse("t3").unwrap()).is_ok(), "an existing tag is no addition");
        assert_eq!(with_tag(&full[..19], &vip).unwrap().len(), 20);
    }

    #[test]
    fn custom_fields_have_bounded_names_and_values() {
        assert!(CustomFieldKey::parse("").is_err());
        assert!(CustomFieldKey::parse(&"k".repeat(41)).is_err());
        assert_eq!(CustomFieldKey::parse(" Plan ").unwrap().as_str(), "Plan");
        assert!(CustomFieldValue::parse(" ").is_err());
        assert!(CustomFieldValue::parse(&"v".repeat(501)).is_err());
    }

    #[test]
    fn notes_and_opt_in() {
        assert!(NoteBody::parse(" \n").is_err());
        assert!(NoteBody::parse(&"n".repeat(4097)).is_err());
        assert_eq!(NoteBody::parse("Prefers mornings\n").unwrap().as_str(), "Prefers mornings");
        for o in OptIn::ALL {
            assert_eq!(OptIn::parse(o.key()).unwrap(), o);
        }
        assert!(OptIn::parse("maybe").is_err());
        assert_eq!(opt_in_source(" ").unwrap(), None);
        assert_eq!(opt_in_source("Web form").unwrap().as_deref(), Some("Web form"));
    }

    #[test]
    fn display_name_falls_back_to_the_profile_then_the_number() {
        let mut c = ContactDetails {
            id: Uuid::nil(),
            name: None,
            profile_name: Some("Zoë".into()),
            wa_id: "4915112345678".into(),
            tags: vec![],
            custom_fields: vec![],
            opt_in: OptIn::Unknown,
            opt_in_changed_at: None,
            opt_in_source: None,
            notes: vec![],
            conversation_count: 1,
            message_count: 0,
            may_edit: true,
        };
        assert_eq!(c.display_name(), "Zoë");
        c.name = Some("Zoë Zeta".into());
        assert_eq!(c.display_name(), "Zoë Zeta");
        c.name = None;
        c.profile_name = None;
        assert_eq!(c.display_name(), "+4915112345678");
    }
}
