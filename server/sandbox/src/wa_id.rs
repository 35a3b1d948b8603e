//! A customer's WhatsApp id: the digits of their phone number.

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct WaId(String);

impl WaId {
    /// Accepts what clients put in `to`: digits with an optional `+`, spaces, dashes, parentheses.
    pub fn parse(input: &str) -> Option<WaId> {
        if !input.chars().all(|c| c.is_ascii_digit() || "+ -()".contains(c)) {
            return None;
        }
        let digits: String = input.chars().filter(char::is_ascii_digit).collect();
        (7..=15).contains(&digits.len()).then_some(WaId(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The sandbox's documented rule: numbers ending in 0000 are not on WhatsApp unless told otherwise.
    pub fn on_whatsapp_by_default(&self) -> bool {
        !self.0.ends_with("0000")
    }

    pub fn last_digits(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }
}

impl fmt::Display for WaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_digits_of_a_phone_number() {
        assert_eq!(WaId::parse("+49 (151) 234-5678").unwrap().as_str(), "491512345678");
        assert!(WaId::parse("12345").is_none());
        assert!(WaId::parse("1234567890123456").is_none());
        assert!(WaId::parse("49151abc45678").is_none());
    }

    #[test]
    fn numbers_ending_in_0000_are_not_on_whatsapp() {
        assert!(!WaId::parse("4915100000000").unwrap().on_whatsapp_by_default());
        assert!(WaId::parse("4915112345678").unwrap().on_whatsapp_by_default());
    }
}
