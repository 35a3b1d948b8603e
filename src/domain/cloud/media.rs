//! Media as the Cloud API handles it: the five kinds, the formats and sizes Meta accepts for each,
//! how a message points at a file, and what `GET /{media-id}` answers.

use super::send::MessageRejected;
use serde::{Deserialize, Deserializer, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Image,
    Video,
    Audio,
    Document,
    Sticker,
}

const MB: u64 = 1024 * 1024;

impl MediaKind {
    pub const ALL: [Self; 5] = [Self::Image, Self::Video, Self::Audio, Self::Document, Self::Sticker];

    /// The message `type` and the key of its object.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Document => "document",
            Self::Sticker => "sticker",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Image => "Image",
            Self::Video => "Video",
            Self::Audio => "Audio",
            Self::Document => "Document",
            Self::Sticker => "Sticker",
        }
    }

    /// WhatsApp shows a caption under images, videos and documents only.
    pub fn allows_caption(self) -> bool {
        matches!(self, Self::Image | Self::Video | Self::Document)
    }

    /// Meta's size limit. Stickers: 100 KB static, 500 KB animated; telling them apart needs the
    /// file's frames, so the larger limit applies here and Meta refuses an oversized static one.
    pub fn max_bytes(self) -> u64 {
        match self {
            Self::Image => 5 * MB,
            Self::Video | Self::Audio => 16 * MB,
            Self::Document => 100 * MB,
            Self::Sticker => 500 * 1024,
        }
    }

    pub fn mime_types(self) -> &'static [&'static str] {
        match self {
            Self::Image => &["image/jpeg", "image/png"],
            Self::Video => &["video/mp4", "video/3gpp"],
            Self::Audio => &["audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"],
            Self::Document => &[
                "text/plain",
                "application/pdf",
                "application/msword",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "application/vnd.ms-excel",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "application/vnd.ms-powerpoint",
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            ],
            Self::Sticker => &["image/webp"],
        }
    }

    /// The kind a file of this MIME type is sent as (`audio/ogg; codecs=opus` is audio).
    pub fn of_mime(mime_type: &str) -> Option<Self> {
        let essence = mime_essence(mime_type);
        Self::ALL.into_iter().find(|kind| kind.mime_types().contains(&essence.as_str()))
    }

    /// Whether Meta would take this file as an upload: a supported format within its size limit.
    pub fn for_upload(mime_type: &str, size: u64) -> Result<Self, MessageRejected> {
        let kind = Self::for_upload_format(mime_type)?;
        if size == 0 {
            return Err(MessageRejected::Invalid("The file is empty".into()));
        }
        if size > kind.max_bytes() {
            return Err(kind.too_large(&format!(" (this one has {})", human_size(size))));
        }
        Ok(kind)
    }

    /// The kind of a file Meta would take in this format, before its size is known (a file still
    /// arriving).
    pub fn for_upload_format(mime_type: &str) -> Result<Self, MessageRejected> {
        Self::of_mime(mime_type).ok_or_else(|| {
            MessageRejected::NotAllowed(format!("WhatsApp does not accept files of type \"{}\"", mime_essence(mime_type)))
        })
    }

    /// Why a file of this kind is refused once it exceeds [`Self::max_bytes`]; `detail` follows.
    pub fn too_large(self, detail: &str) -> MessageRejected {
        MessageRejected::NotAllowed(format!("{} files may be at most {}{detail}", self.label(), human_size(self.max_bytes())))
    }
}

fn mime_essence(mime_type: &str) -> String {
    mime_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

/// "120 KB", "5.0 MB": a size as a person says it.
pub fn human_size(bytes: u64) -> String {
    if bytes >= MB { format!("{:.1} MB", bytes as f64 / MB as f64) } else { format!("{} KB", bytes.div_ceil(1024)) }
}

/// Where the file of a media message comes from: an uploaded media id, or a public link Meta
/// fetches itself; or, while the message waits in Parley's queue, a file Parley keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum MediaSource {
    #[serde(rename = "id")]
    Id(String),
    #[serde(rename = "link")]
    Link(String),
    /// Meta's media ids belong to one phone number and expire, so an agent's attachment is put on
    /// Meta by the outbound worker, for the number that sends it, just before the message goes.
    #[serde(rename = "parley_media_id")]
    Stored(uuid::Uuid),
}

impl MediaSource {
    pub fn id(raw: &str) -> Result<Self, MessageRejected> {
        let id = raw.trim();
        if id.is_empty() {
            return Err(MessageRejected::Missing { what: "Media id".into() });
        }
        if id.len() > 128 || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(MessageRejected::Invalid(format!("\"{id}\" is not a media id")));
        }
        Ok(Self::Id(id.to_owned()))
    }

    pub fn link(raw: &str) -> Result<Self, MessageRejected> {
        let link = raw.trim();
        if link.is_empty() {
            return Err(MessageRejected::Missing { what: "Media link".into() });
        }
        let has_host = link
            .strip_prefix("https://")
            .or_else(|| link.strip_prefix("http://"))
            .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
        if !has_host || link.len() > 2048 || link.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(MessageRejected::Invalid("A media link must be a public http(s) address".into()));
        }
        Ok(Self::Link(link.to_owned()))
    }
}

/// `GET /{media-id}`: where to download the file (for five minutes, with the bearer token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaInfo {
    pub url: String,
    pub mime_type: String,
    pub sha256: String,
    #[serde(deserialize_with = "number_or_string")]
    pub file_size: u64,
    pub id: String,
}

/// Meta documents `file_size` as a string and has sent it as a number; both are read.
fn number_or_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Size {
        Number(u64),
        Text(String),
    }
    match Size::deserialize(deserializer)? {
        Size::Number(n) => Ok(n),
        Size::Text(text) => text.trim().parse().map_err(serde::de::Error::custom),
    }
}

/// `POST /{phone-number-id}/media` answers with the new media id.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UploadedMedia {
    pub id: String,
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_by_mime_type() {
        assert_eq!(MediaKind::of_mime("image/jpeg"), Some(MediaKind::Image));
        assert_eq!(MediaKind::of_mime("Audio/OGG; codecs=opus"), Some(MediaKind::Audio));
        assert_eq!(MediaKind::of_mime("image/webp"), Some(MediaKind::Sticker));
        assert_eq!(MediaKind::of_mime("application/pdf"), Some(MediaKind::Document));
        assert_eq!(MediaKind::of_mime("image/gif"), None);
    }

    #[test]
    fn upload_size_limits() {
        assert_eq!(MediaKind::for_upload("image/png", 5 * MB), Ok(MediaKind::Image));
        assert_eq!(
            MediaKind::for_upload("image/png", 6 * MB).unwrap_err().to_string(),
            "Image files may be at most 5.0 MB (this one has 6.0 MB)"
        );
        assert!(MediaKind::for_upload("image/png", 5 * MB + 1).is_err());
        assert!(MediaKind::for_upload("video/mp4", 16 * MB).is_ok());
        assert!(MediaKind::for_upload("video/mp4", 16 * MB + 1).is_err());
        assert!(MediaKind::for_upload("application/pdf", 100 * MB).is_ok());
        assert!(MediaKind::for_upload("application/pdf", 100 * MB + 1).is_err());
        assert!(MediaKind::for_upload("image/webp", 500 * 1024).is_ok());
        assert!(MediaKind::for_upload("image/webp", 500 * 1024 + 1).is_err());
        assert!(MediaKind::for_upload("image/gif", 10).is_err());
        assert!(MediaKind::for_upload("image/png", 0).is_err());
    }

    #[test]
    fn sources() {
        assert_eq!(serde_json::to_value(MediaSource::id(" 123 ").unwrap()).unwrap(), json!({"id": "123"}));
        assert_eq!(
            serde_json::to_value(MediaSource::link("https://cdn.example.com/a.jpg").unwrap()).unwrap(),
            json!({"link": "https://cdn.example.com/a.jpg"})
        );
        for bad in ["", "ftp://x/a.jpg", "https://", "https:///a", "https://a b"] {
            assert!(MediaSource::link(bad).is_err(), "{bad}");
        }
        assert!(MediaSource::id("12 3").is_err());
    }

    #[test]
    fn media_info_with_size_as_string_or_number() {
        let body = json!({"messaging_product": "whatsapp", "url": "https://lookaside.fbsbx.com/x?mid=1",
                          "mime_type": "image/jpeg", "sha256": "abc", "file_size": "303833", "id": "1"});
        assert_eq!(serde_json::from_value::<MediaInfo>(body).unwrap().file_size, 303_833);
        let body = json!({"url": "u", "mime_type": "image/jpeg", "sha256": "abc", "file_size": 12, "id": "1"});
        assert_eq!(serde_json::from_value::<MediaInfo>(body).unwrap().file_size, 12);
    }
}
