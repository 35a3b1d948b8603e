//! Who is asking: passwords, sessions, login, registration, and single-use account links.

pub mod links;
pub mod login;
pub mod password;
pub mod register;
pub mod sessions;
pub mod token;

pub use sessions::{SessionToken, SignedIn};

use crate::domain::{Actor, Permission};
use crate::{Error, Result};

/// The one permission check every service calls before it touches anything.
pub fn authorize(actor: &Actor, permission: Permission) -> Result<()> {
    if actor.can(permission) { Ok(()) } else { Err(Error::Forbidden) }
}
