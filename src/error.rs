//! The engine's error: what went wrong, in terms the app can turn into a message for a person.
//! Database and internal errors keep their detail for the logs only.

use crate::domain::{InvalidInput, LoginTab};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not signed in")]
    Unauthenticated,
    #[error("not permitted")]
    Forbidden,
    /// Also what a request for another organization's data gets: it is indistinguishable.
    #[error("not found")]
    NotFound,
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error("email or password is incorrect")]
    BadCredentials,
    #[error("this account is deactivated")]
    Deactivated,
    #[error("wrong login tab, use {use_tab:?}")]
    WrongLoginTab { use_tab: LoginTab },
    #[error("too many attempts, retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// The Cloud API (Meta's or the sandbox) refused or could not be reached; the message is
    /// Meta's own, for the admin who has to fix the settings.
    #[error("Graph API: {0}")]
    Upstream(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("internal: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid { field, message: message.into() }
    }
}

/// Attaches the form field a parse error belongs to.
pub trait OnField<T> {
    fn on_field(self, field: &'static str) -> Result<T>;
}

impl<T> OnField<T> for std::result::Result<T, InvalidInput> {
    fn on_field(self, field: &'static str) -> Result<T> {
        self.map_err(|e| Error::invalid(field, e.0))
    }
}

/// Postgres unique violations become a conflict with a message for the person.
pub fn conflict_on_unique(err: sqlx::Error, message: &str) -> Error {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => Error::Conflict(message.to_owned()),
        _ => Error::Database(err),
    }
}
