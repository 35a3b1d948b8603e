//! An organization (tenant): its name, description, website and logo.

use super::{InvalidInput, single_line};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationName(String);

impl OrganizationName {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        single_line(raw, "Organization name", 2, 80).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct OrganizationDescription(String);

impl OrganizationDescription {
    pub const MAX_CHARS: usize = 500;

    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let value = raw.trim();
        if value.chars().count() > Self::MAX_CHARS {
            return Err(InvalidInput(format!(
                "Description must be at most {} characters",
                Self::MAX_CHARS
            )));
        }
        if value.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
            return Err(InvalidInput::new("Description cannot contain control characters"));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An http(s) URL of the organization's public website. Empty input means "no website".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebsiteUrl(String);

impl WebsiteUrl {
    pub fn parse_optional(raw: &str) -> Result<Option<Self>, InvalidInput> {
        let value = raw.trim();
        if value.is_empty() {
            return Ok(None);
        }
        let invalid = || InvalidInput::new("Enter a full web address, like https://example.com");
        let rest = value
            .strip_prefix("https://")
            .or_else(|| value.strip_prefix("http://"))
            .ok_or_else(invalid)?;
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host_name = host.rsplit_once(':').map_or(host, |(h, port)| {
            if port.chars().all(|c| c.is_ascii_digit()) { h } else { host }
        });
        let host_ok = host_name.contains('.')
            && !host_name.starts_with(['.', '-'])
            && !host_name.ends_with(['.', '-'])
            && host_name.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if !host_ok || value.len() > 300 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        Ok(Some(Self(value.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An uploaded logo: a PNG, JPEG, GIF or WebP image (recognized by its bytes, not by the name
/// the browser sent), at most [`LogoImage::MAX_BYTES`].
#[derive(Clone, PartialEq, Eq)]
pub struct LogoImage {
    content_type: &'static str,
    bytes: Vec<u8>,
}

impl LogoImage {
    pub const MAX_BYTES: usize = 512 * 1024;

    pub fn parse(bytes: Vec<u8>) -> Result<Self, InvalidInput> {
        if bytes.is_empty() {
            return Err(InvalidInput::new("Choose an image file"));
        }
        if bytes.len() > Self::MAX_BYTES {
            return Err(InvalidInput(format!(
                "The logo must be at most {} KB",
                Self::MAX_BYTES / 1024
            )));
        }
        let content_type = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            "image/png"
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            "image/jpeg"
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            "image/gif"
        } else if bytes.len() > 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            "image/webp"
        } else {
            return Err(InvalidInput::new("The logo must be a PNG, JPEG, GIF or WebP image"));
        };
        Ok(Self { content_type, bytes })
    }

    pub fn content_type(&self) -> &'static str {
        self.content_type
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl std::fmt::Debug for LogoImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LogoImage({}, {} bytes)", self.content_type, self.bytes.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organization_name_needs_two_to_eighty_characters() {
        assert!(OrganizationName::parse("A").is_err());
        assert!(OrganizationName::parse(&"x".repeat(81)).is_err());
        assert_eq!(OrganizationName::parse(" Acme Ltd ").unwrap().as_str(), "Acme Ltd");
    }

    #[test]
    fn description_is_optional_but_bounded() {
        assert_eq!(OrganizationDescription::parse("").unwrap().as_str(), "");
        assert!(OrganizationDescription::parse(&"x".repeat(501)).is_err());
        assert!(OrganizationDescription::parse("line one\nline two").is_ok());
    }

    #[test]
    fn website_accepts_http_urls_only() {
        assert_eq!(WebsiteUrl::parse_optional("  ").unwrap(), None);
        assert!(WebsiteUrl::parse_optional("https://acme.example/about").unwrap().is_some());
        assert!(WebsiteUrl::parse_optional("http://acme.example:8080").unwrap().is_some());
        for bad in ["acme.example", "javascript:alert(1)", "https://", "https://localhost", "ftp://acme.example", "https://ac me.example"] {
            assert!(WebsiteUrl::parse_optional(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn logo_is_recognized_by_its_bytes() {
        let png = b"\x89PNG\r\n\x1a\n0000".to_vec();
        assert_eq!(LogoImage::parse(png).unwrap().content_type(), "image/png");
        let webp = b"RIFF\0\0\0\0WEBPVP8 ".to_vec();
        assert_eq!(LogoImage::parse(webp).unwrap().content_type(), "image/webp");
        assert!(LogoImage::parse(b"<svg></svg>".to_vec()).is_err());
        assert!(LogoImage::parse(Vec::new()).is_err());
        let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
        big.resize(LogoImage::MAX_BYTES + 1, 0);
        assert!(LogoImage::parse(big).is_err());
    }
}
