//! Teams group agents ("Sales", "Support") for routing and reporting.

use super::{InvalidInput, single_line};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamName(String);

impl TeamName {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        single_line(raw, "Team name", 1, 60).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn team_name_is_required_and_bounded() {
        assert!(TeamName::parse(" ").is_err());
        assert!(TeamName::parse(&"x".repeat(61)).is_err());
        assert_eq!(TeamName::parse("Support").unwrap().as_str(), "Support");
    }
}
