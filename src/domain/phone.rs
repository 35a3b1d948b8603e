//! Phone numbers as WhatsApp knows them: E.164, written without the `+` on the wire (`wa_id`).

use super::InvalidInput;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A phone number in E.164 form: country code and subscriber number, 8 to 15 digits.
/// Displayed with a leading `+`; sent to the Cloud API as bare digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Accepts what people type: `+49 151 2345-6789`, `(49) 15123456789`, `0049…` is refused
    /// because the international prefix differs by country and guessing it sends to strangers.
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(InvalidInput::new("Phone number is required"));
        }
        let without_plus = trimmed.strip_prefix('+').unwrap_or(trimmed);
        let mut digits = String::with_capacity(without_plus.len());
        for c in without_plus.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(InvalidInput::new("Phone number may contain only digits, spaces, dashes and a leading +")),
            }
        }
        if digits.starts_with('0') {
            return Err(InvalidInput::new("Phone number must start with the country code (e.g. +49…), not 0"));
        }
        if !(8..=15).contains(&digits.len()) {
            return Err(InvalidInput::new("Phone number must have 8 to 15 digits including the country code"));
        }
        Ok(Self(digits))
    }

    /// The digits only, as the Cloud API's `to` and `wa_id` carry them.
    pub fn wa_id(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}", self.0)
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = InvalidInput;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PhoneNumber> for String {
    fn from(value: PhoneNumber) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_typed_forms_and_keeps_digits() {
        for raw in ["+49 151 2345-6789", "49 (151) 23456789", "4915123456789", " +4915123456789 "] {
            assert_eq!(PhoneNumber::parse(raw).unwrap().wa_id(), "4915123456789", "{raw}");
        }
        assert_eq!(PhoneNumber::parse("4915123456789").unwrap().to_string(), "+4915123456789");
    }

    #[test]
    fn refuses_what_would_reach_the_wrong_person() {
        for raw in ["", "0151 2345678", "+1234567", "1234567890123456", "+49 151 abc", "++4915123456789"] {
            assert!(PhoneNumber::parse(raw).is_err(), "{raw}");
        }
    }
}
