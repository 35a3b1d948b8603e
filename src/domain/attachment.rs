//! Files agents send: the name an upload keeps, and the organization's stored files as the
//! composer's "Stored files" picker lists them (customers' files and agents' uploads alike).

use super::InvalidInput;
use super::cloud::MediaKind;
use super::cloud::media::human_size;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The name a file keeps: shown in the thread and, for a document, on the customer's phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileName(String);

impl FileName {
    pub const MAX_CHARS: usize = 240;

    /// Takes the last part of a path (some browsers send one), without control characters.
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let name = raw.rsplit(['/', '\\']).next().unwrap_or_default().trim();
        if name.is_empty() || name == "." || name == ".." {
            return Err(InvalidInput("The file needs a name".into()));
        }
        if name.chars().any(char::is_control) {
            return Err(InvalidInput("The file name contains control characters".into()));
        }
        if name.chars().count() > Self::MAX_CHARS {
            return Err(InvalidInput(format!("The file name may be at most {} characters", Self::MAX_CHARS)));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A file the organization keeps, ready to be attached to a reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredFile {
    pub id: Uuid,
    pub kind: MediaKind,
    pub filename: Option<String>,
    pub mime_type: String,
    pub size: Option<i64>,
    pub created_at: DateTime<Utc>,
    /// Uploaded by an agent, rather than sent by a customer.
    pub uploaded: bool,
    /// Uploaded by an agent and in no message yet: the only kind of file that may be deleted
    /// (the others stay with the messages that show them).
    pub unsent_upload: bool,
}

impl StoredFile {
    /// "invoice.pdf · 120 KB", or the kind when the file has no name.
    pub fn describe(&self) -> String {
        let name = self.filename.clone().unwrap_or_else(|| self.kind.label().to_owned());
        match self.size {
            Some(size) => format!("{name} · {}", human_size(u64::try_from(size).unwrap_or_default())),
            None => name,
        }
    }
}

/// Where the next page of stored files starts (keyset: newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileLibrary {
    pub files: Vec<StoredFile>,
    pub next: Option<FileCursor>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_the_last_part_of_a_path() {
        assert_eq!(FileName::parse(" invoice 4711.pdf ").unwrap().as_str(), "invoice 4711.pdf");
        assert_eq!(FileName::parse("C:\\Users\\ana\\menu.png").unwrap().as_str(), "menu.png");
        assert_eq!(FileName::parse("/tmp/x/report.pdf").unwrap().as_str(), "report.pdf");
        assert!(FileName::parse("").is_err());
        assert!(FileName::parse("dir/").is_err());
        assert!(FileName::parse("..").is_err());
        assert!(FileName::parse("a\u{0}b.pdf").is_err());
        assert!(FileName::parse(&"x".repeat(241)).is_err());
        assert!(FileName::parse(&"x".repeat(240)).is_ok());
    }

    #[test]
    fn a_stored_file_is_described_by_name_and_size() {
        let file = StoredFile {
            id: Uuid::nil(),
            kind: MediaKind::Document,
            filename: Some("menu.pdf".into()),
            mime_type: "application/pdf".into(),
            size: Some(1025),
            created_at: DateTime::UNIX_EPOCH,
            uploaded: true,
            unsent_upload: true,
        };
        assert_eq!(file.describe(), "menu.pdf · 2 KB");
        let photo = StoredFile { kind: MediaKind::Image, filename: None, size: None, ..file };
        assert_eq!(photo.describe(), "Image");
    }
}
