//! A person's account: email, name, password policy, language.

use super::{InvalidInput, single_line};
use serde::{Deserialize, Serialize};

/// An email address, trimmed and lowercased so one person cannot hold two accounts by case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let value = raw.trim().to_lowercase();
        if value.is_empty() {
            return Err(InvalidInput::new("Email is required"));
        }
        if value.len() > 254 {
            return Err(InvalidInput::new("Email must be at most 254 characters"));
        }
        let invalid = || InvalidInput::new("Enter a valid email address, like name@example.com");
        let (local, domain) = value.split_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.chars().any(|c| c.is_whitespace() || c.is_control() || c == '@');
        if !domain_ok || !local_ok {
            return Err(invalid());
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        single_line(raw, "Name", 1, 100).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password that meets the policy. It is never serialized: it travels only as the raw form
/// field and is hashed on arrival.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let len = raw.chars().count();
        if len < Self::MIN_CHARS {
            return Err(InvalidInput(format!(
                "Password must be at least {} characters",
                Self::MIN_CHARS
            )));
        }
        if len > Self::MAX_CHARS {
            return Err(InvalidInput(format!(
                "Password must be at most {} characters",
                Self::MAX_CHARS
            )));
        }
        let mut chars = raw.chars();
        let first = chars.next();
        if chars.all(|c| Some(c) == first) {
            return Err(InvalidInput::new("Password cannot be one character repeated"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(..)")
    }
}

/// The interface languages a person can choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Language {
    #[default]
    English,
    Spanish,
    Portuguese,
    French,
    German,
}

impl Language {
    pub const ALL: [Language; 5] = [
        Language::English,
        Language::Spanish,
        Language::Portuguese,
        Language::French,
        Language::German,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Spanish => "es",
            Language::Portuguese => "pt",
            Language::French => "fr",
            Language::German => "de",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Language::English => "English",
            Language::Spanish => "Español",
            Language::Portuguese => "Português",
            Language::French => "Français",
            Language::German => "Deutsch",
        }
    }

    pub fn parse(code: &str) -> Result<Self, InvalidInput> {
        Self::ALL
            .into_iter()
            .find(|l| l.code() == code.trim())
            .ok_or_else(|| InvalidInput::new("Choose one of the offered languages"))
    }
}

/// What a single-use account link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkPurpose {
    /// "Forgot password": valid one hour.
    Reset,
    /// A team invitation: valid seven days.
    Invite,
}

impl LinkPurpose {
    pub fn key(self) -> &'static str {
        match self {
            LinkPurpose::Reset => "reset",
            LinkPurpose::Invite => "invite",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        [LinkPurpose::Reset, LinkPurpose::Invite].into_iter().find(|p| p.key() == key)
    }

    pub fn lifetime_hours(self) -> i64 {
        match self {
            LinkPurpose::Reset => 1,
            LinkPurpose::Invite => 7 * 24,
        }
    }

    /// Where the link points, below the instance's public URL.
    pub fn path(self) -> &'static str {
        match self {
            LinkPurpose::Reset => "/reset-password",
            LinkPurpose::Invite => "/invite",
        }
    }
}

/// What a link page shows before the person acts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkInfo {
    pub purpose: LinkPurpose,
    pub email: String,
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalized_to_lowercase() {
        let email = EmailAddress::parse("  Ana@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "ana@example.com");
    }

    #[test]
    fn email_rejects_malformed_addresses() {
        for bad in ["", "ana", "ana@", "@example.com", "ana@example", "ana@.com", "a na@example.com", "ana@exa..mple.com"] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn password_policy_enforces_length_and_variety() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("aaaaaaaaaaaa").is_err());
        assert!(NewPassword::parse(&"x".repeat(129)).is_err());
        assert!(NewPassword::parse("correct horse").is_ok());
        let err = NewPassword::parse("short").unwrap_err();
        assert_eq!(err.0, "Password must be at least 10 characters");
    }

    #[test]
    fn password_debug_does_not_reveal_it() {
        let p = NewPassword::parse("correct horse").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }

    #[test]
    fn person_name_is_trimmed_and_required() {
        assert_eq!(PersonName::parse("  Ana Lima ").unwrap().as_str(), "Ana Lima");
        assert_eq!(PersonName::parse("   ").unwrap_err().0, "Name is required");
        assert!(PersonName::parse("Ana\u{0007}").is_err());
    }

    #[test]
    fn language_round_trips_through_its_code() {
        for l in Language::ALL {
            assert_eq!(Language::parse(l.code()).unwrap(), l);
        }
        assert!(Language::parse("xx").is_err());
    }
}
