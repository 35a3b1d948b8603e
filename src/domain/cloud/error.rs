//! Meta's Graph API errors and what Parley does about each: wait and retry, ask an admin for a new
//! token, or give up on this message. Classified by `error.code`, never by the HTTP status,
//! because Meta reuses statuses across unrelated causes.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An error as Meta reports it, keeping its own words for the admin who has to act on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "ErrorWire")]
pub struct GraphError {
    pub code: i64,
    pub subcode: Option<i64>,
    pub message: String,
    pub error_type: Option<String>,
    pub details: Option<String>,
    pub fbtrace_id: Option<String>,
}

/// The body of a failed Graph API call: `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GraphErrorEnvelope {
    pub error: GraphError,
}

/// Meta's shape; the aliases and the top-level `details` read back what `GraphError` serializes.
#[derive(Deserialize)]
struct ErrorWire {
    code: i64,
    #[serde(default, alias = "subcode")]
    error_subcode: Option<i64>,
    #[serde(default)]
    message: String,
    #[serde(default, rename = "type", alias = "error_type")]
    error_type: Option<String>,
    #[serde(default)]
    error_data: Option<ErrorData>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    fbtrace_id: Option<String>,
    // Webhook status errors carry `title` instead of `message`.
    #[serde(default)]
    title: Option<String>,
}

#[derive(Deserialize)]
struct ErrorData {
    #[serde(default)]
    details: Option<String>,
}

impl From<ErrorWire> for GraphError {
    fn from(wire: ErrorWire) -> Self {
        let message = if wire.message.is_empty() { wire.title.unwrap_or_default() } else { wire.message };
        Self {
            code: wire.code,
            subcode: wire.error_subcode,
            message,
            error_type: wire.error_type,
            details: wire.error_data.and_then(|d| d.details).or(wire.details).filter(|d| !d.trim().is_empty()),
            fbtrace_id: wire.fbtrace_id,
        }
    }
}

/// What to do about an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ErrorClass {
    /// A rate limit or maintenance: the same request can succeed later.
    RetryLater,
    /// The token is expired or revoked: nothing succeeds until an admin reconnects the channel.
    Auth,
    /// This message will never go through as it is.
    Permanent,
    /// Unknown to Parley: reported, not retried automatically.
    Other,
}

impl ErrorClass {
    pub fn of(code: i64) -> Self {
        match code {
            130429 | 131056 | 131057 | 4 | 80007 => Self::RetryLater,
            190 | 0 => Self::Auth,
            100 | 131008 | 131009 | 131051 | 132000 | 132001 | 132015 | 132016 | 368 | 131031 | 131026 | 131047
            | 131049 | 131050 => Self::Permanent,
            _ => Self::Other,
        }
    }
}

impl GraphError {
    pub fn class(&self) -> ErrorClass {
        ErrorClass::of(self.code)
    }

    /// Meta's message, its details (which usually say which field), and the code to search for.
    pub fn describe(&self) -> String {
        let mut text = if self.message.trim().is_empty() {
            format!("Graph API error {}", self.code)
        } else {
            self.message.clone()
        };
        if !text.contains(&format!("#{}", self.code)) {
            text = format!("{text} (code {})", self.code);
        }
        if let Some(details) = &self.details
            && !self.message.contains(details.as_str())
        {
            text = format!("{text}: {details}");
        }
        text
    }
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl std::error::Error for GraphError {}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_meta_error_envelope() {
        let envelope: GraphErrorEnvelope = serde_json::from_value(json!({
            "error": {
                "message": "(#131009) Parameter value is not valid",
                "type": "OAuthException",
                "code": 131009,
                "error_subcode": 2494010,
                "error_data": {"messaging_product": "whatsapp", "details": "Button title length invalid. Min length: 1, Max length: 20"},
                "fbtrace_id": "AazDwYk4xb1qS0v5yGmHgJ1"
            }
        }))
        .unwrap();
        let error = envelope.error;
        assert_eq!(
            error,
            GraphError {
                code: 131009,
                subcode: Some(2494010),
                message: "(#131009) Parameter value is not valid".into(),
                error_type: Some("OAuthException".into()),
                details: Some("Button title length invalid. Min length: 1, Max length: 20".into()),
                fbtrace_id: Some("AazDwYk4xb1qS0v5yGmHgJ1".into()),
            }
        );
        assert_eq!(error.class(), ErrorClass::Permanent);
        let round_trip: GraphError = serde_json::from_value(serde_json::to_value(&error).unwrap()).unwrap();
        assert_eq!(round_trip, error);
        assert_eq!(
            error.to_string(),
            "(#131009) Parameter value is not valid: Button title length invalid. Min length: 1, Max length: 20"
        );
    }

    #[test]
    fn describes_errors_without_details_or_code_in_the_message() {
        let expired: GraphErrorEnvelope = serde_json::from_value(json!({
            "error": {"message": "Error validating access token: Session has expired on Friday, 21-Nov-26.",
                      "type": "OAuthException", "code": 190, "error_subcode": 463, "fbtrace_id": "A1"}
        }))
        .unwrap();
        assert_eq!(expired.error.class(), ErrorClass::Auth);
        assert_eq!(
            expired.error.to_string(),
            "Error validating access token: Session has expired on Friday, 21-Nov-26. (code 190)"
        );
        let webhook_style: GraphError =
            serde_json::from_value(json!({"code": 131047, "title": "Re-engagement message"})).unwrap();
        assert_eq!(webhook_style.message, "Re-engagement message");
        assert_eq!(webhook_style.class(), ErrorClass::Permanent);
    }

    #[test]
    fn classification_table() {
        for code in [130429, 131056, 131057, 4, 80007] {
            assert_eq!(ErrorClass::of(code), ErrorClass::RetryLater, "{code}");
        }
        for code in [190, 0] {
            assert_eq!(ErrorClass::of(code), ErrorClass::Auth, "{code}");
        }
        for code in
            [100, 131008, 131009, 131051, 132000, 132001, 132015, 132016, 368, 131031, 131026, 131047, 131049, 131050]
        {
            assert_eq!(ErrorClass::of(code), ErrorClass::Permanent, "{code}");
        }
        for code in [1, 2, 131000, 133010] {
            assert_eq!(ErrorClass::of(code), ErrorClass::Other, "{code}");
        }
    }
}
