//! The domain: pure types and rules, no IO. Compiles to wasm32 so the browser validates forms with
//! exactly the rules the server enforces.

pub mod account;
pub mod attachment;
pub mod channel;
pub mod cloud;
pub mod contact;
pub mod conversation;
pub mod event;
pub mod ids;
pub mod inbox;
pub mod notification;
pub mod organization;
pub mod permissions;
pub mod phone;
pub mod starred;
pub mod quick_reply;
pub mod team;
pub mod template_fill;

pub use account::{EmailAddress, Language, NewPassword, PersonName};
pub use ids::{ChannelId, OrganizationId, RoleId, TeamId, UserId};
pub use organization::{LogoImage, OrganizationDescription, OrganizationName, WebsiteUrl};
pub use phone::PhoneNumber;
pub use permissions::{Actor, BuiltInRole, LoginTab, Permission, PermissionSet, RoleName};
pub use team::TeamName;

/// Why a value was refused at the boundary, worded for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[error("{0}")]
pub struct InvalidInput(pub String);

impl InvalidInput {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// Trims and checks a text that may span lines (a message, a note): required, at most `max`
/// characters.
pub(crate) fn required_text(raw: &str, what: &str, max: usize) -> Result<String, InvalidInput> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(InvalidInput(format!("{what} is required")));
    }
    if value.chars().count() > max {
        return Err(InvalidInput(format!("{what} must be at most {max} characters")));
    }
    Ok(value.to_owned())
}

/// Trims and checks a one-line text field: length in characters and no control characters.
pub(crate) fn single_line(
    raw: &str,
    what: &str,
    min: usize,
    max: usize,
) -> Result<String, InvalidInput> {
    let value = raw.trim();
    let len = value.chars().count();
    if len < min {
        return Err(if min <= 1 {
            InvalidInput(format!("{what} is required"))
        } else {
            InvalidInput(format!("{what} must be at least {min} characters"))
        });
    }
    if len > max {
        return Err(InvalidInput(format!("{what} must be at most {max} characters")));
    }
    if value.chars().any(char::is_control) {
        return Err(InvalidInput(format!("{what} cannot contain control characters")));
    }
    Ok(value.to_owned())
}
