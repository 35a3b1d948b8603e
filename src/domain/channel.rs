//! A WhatsApp channel's settings, as an admin types them on the channel settings page.

use super::{InvalidInput, single_line};
use serde::{Deserialize, Serialize};

/// Meta's own Graph API; a channel may point elsewhere (the sandbox, a proxy).
pub const META_GRAPH_API_BASE_URL: &str = "https://graph.facebook.com/v21.0";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelName(String);

impl ChannelName {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        single_line(raw, "Name", 1, 80).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A Graph API object id (phone number id, WhatsApp Business Account id, app id): digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GraphId(String);

impl GraphId {
    pub fn parse(raw: &str, what: &str) -> Result<Self, InvalidInput> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(InvalidInput(format!("{what} is required")));
        }
        if value.len() > 32 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidInput(format!("{what} must be the numeric id shown in Meta's WhatsApp Manager")));
        }
        Ok(Self(value.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An app secret or access token as pasted: one token, no spaces.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelSecret(String);

impl ChannelSecret {
    pub fn parse(raw: &str, what: &str) -> Result<Self, InvalidInput> {
        let value = raw.trim();
        if value.len() < 8 {
            return Err(InvalidInput(format!("{what} looks too short (at least 8 characters)")));
        }
        if value.len() > 2048 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InvalidInput(format!("{what} must be a single token without spaces")));
        }
        Ok(Self(value.to_owned()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// What the settings page shows once saved: never the secret, only its last four characters.
    pub fn hint(&self) -> String {
        let tail: String = self.0.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
        format!("••••{tail}")
    }
}

impl std::fmt::Debug for ChannelSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.hint())
    }
}

/// The token Meta echoes in the webhook verification handshake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyToken(String);

impl VerifyToken {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let value = raw.trim();
        if !(8..=128).contains(&value.len()) {
            return Err(InvalidInput::new("Verify token must be 8 to 128 characters"));
        }
        if !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(InvalidInput::new("Verify token may contain only visible ASCII characters"));
        }
        Ok(Self(value.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where the channel's Graph API calls go, e.g. `https://graph.facebook.com/v21.0`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphApiBaseUrl(String);

impl GraphApiBaseUrl {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let value = raw.trim().trim_end_matches('/');
        if value.is_empty() {
            return Ok(Self::meta());
        }
        let rest = value
            .strip_prefix("https://")
            .or_else(|| value.strip_prefix("http://"))
            .ok_or_else(|| InvalidInput::new("Graph API base URL must start with https:// or http://"))?;
        let host = rest.split('/').next().unwrap_or_default();
        if host.is_empty() || value.len() > 300 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InvalidInput::new("Graph API base URL is not a valid URL"));
        }
        Ok(Self(value.to_owned()))
    }
    pub fn meta() -> Self {
        Self(META_GRAPH_API_BASE_URL.to_owned())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether the Graph API accepted the channel's credentials the last time they were checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChannelStatus {
    /// Some required field is missing, or the channel was never validated.
    Pending,
    Good,
    Invalid,
}

impl ChannelStatus {
    pub fn key(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Good => "good",
            Self::Invalid => "invalid",
        }
    }
    pub fn from_key(key: &str) -> Option<Self> {
        [Self::Pending, Self::Good, Self::Invalid].into_iter().find(|s| s.key() == key)
    }
}

/// A channel as the settings page shows it: secrets only as hints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Channel {
    pub id: super::ChannelId,
    pub name: String,
    pub webhook_key: String,
    pub phone_number_id: Option<String>,
    pub waba_id: Option<String>,
    pub app_id: Option<String>,
    pub app_secret_hint: Option<String>,
    pub access_token_hint: Option<String>,
    pub verify_token: String,
    pub graph_api_base_url: String,
    pub api_token_hint: String,
    pub status: String,
    pub status_message: Option<String>,
    pub display_phone_number: Option<String>,
    pub verified_name: Option<String>,
    pub quality_rating: Option<String>,
    pub subscribed: bool,
}

impl Channel {
    pub fn status(&self) -> ChannelStatus {
        ChannelStatus::from_key(&self.status).unwrap_or(ChannelStatus::Pending)
    }
}

/// What an admin submits. Secrets left empty keep the stored ones.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChannelForm {
    pub name: String,
    pub phone_number_id: String,
    pub waba_id: String,
    pub app_id: String,
    pub app_secret: String,
    pub access_token: String,
    pub verify_token: String,
    pub graph_api_base_url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_show_only_their_tail() {
        let s = ChannelSecret::parse(" EAAGabcdef1234 ", "Access token").unwrap();
        assert_eq!(s.hint(), "••••1234");
        assert_eq!(format!("{s:?}"), "••••1234");
        assert!(ChannelSecret::parse("short", "App secret").is_err());
        assert!(ChannelSecret::parse("has a space inside", "App secret").is_err());
    }

    #[test]
    fn graph_ids_are_digits() {
        assert_eq!(GraphId::parse(" 106540352242922 ", "Phone number id").unwrap().as_str(), "106540352242922");
        assert!(GraphId::parse("", "WABA id").is_err());
        assert!(GraphId::parse("12a", "WABA id").is_err());
    }

    #[test]
    fn base_url_defaults_to_meta_and_drops_trailing_slash() {
        assert_eq!(GraphApiBaseUrl::parse("").unwrap(), GraphApiBaseUrl::meta());
        assert_eq!(GraphApiBaseUrl::parse("http://127.0.0.1:3010/v21.0/").unwrap().as_str(), "http://127.0.0.1:3010/v21.0");
        assert!(GraphApiBaseUrl::parse("ftp://x").is_err());
        assert!(GraphApiBaseUrl::parse("https://").is_err());
    }

    #[test]
    fn verify_tokens_are_visible_ascii() {
        assert!(VerifyToken::parse("my-verify-token").is_ok());
        assert!(VerifyToken::parse("short").is_err());
        assert!(VerifyToken::parse("with space inside").is_err());
    }
}
