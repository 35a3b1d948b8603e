//! What Meta says about a connected phone number: `GET /{phone-number-id}`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneNumberInfo {
    pub id: String,
    /// The business name customers see, as approved by Meta.
    #[serde(default)]
    pub verified_name: String,
    #[serde(default)]
    pub display_phone_number: String,
    #[serde(default)]
    pub quality_rating: QualityRating,
}

/// How customers have received this number's recent messages; low quality lowers the tier.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum QualityRating {
    Green,
    Yellow,
    Red,
    #[default]
    #[serde(other)]
    Unknown,
}

impl QualityRating {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Green => "GREEN",
            Self::Yellow => "YELLOW",
            Self::Red => "RED",
            Self::Unknown => "UNKNOWN",
        }
    }
}

/// The answer of calls that only confirm: `{"success": true}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Success {
    pub success: bool,
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_phone_number_info() {
        let info: PhoneNumberInfo = serde_json::from_value(json!({
            "verified_name": "Parley Demo", "code_verification_status": "VERIFIED",
            "display_phone_number": "+1 555-010-0000", "quality_rating": "GREEN",
            "platform_type": "CLOUD_API", "throughput": {"level": "STANDARD"}, "id": "106540352242922"
        }))
        .unwrap();
        assert_eq!(info.quality_rating, QualityRating::Green);
        assert_eq!(info.display_phone_number, "+1 555-010-0000");
        let odd: PhoneNumberInfo = serde_json::from_value(json!({"id": "1", "quality_rating": "NA"})).unwrap();
        assert_eq!(odd.quality_rating, QualityRating::Unknown);
    }
}
