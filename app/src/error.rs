//! The app's error: what a person is told. Internal detail never crosses to the browser; the
//! server logs it instead.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use parley::domain::LoginTab;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please log in to continue.")]
    Unauthenticated,
    #[error("You do not have permission to do that.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error("Email or password is incorrect.")]
    BadCredentials,
    #[error("This account is deactivated. Ask an owner or admin of your organization to reactivate it.")]
    Deactivated,
    #[error("{}", wrong_tab_message(*.use_tab))]
    WrongLoginTab { use_tab: LoginTab },
    #[error("Too many attempts. Try again in {retry_after_secs} s.")]
    RateLimited { retry_after_secs: u64 },
    #[error("WhatsApp Cloud API: {0}")]
    Upstream(String),
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    #[error("Could not reach Parley. Check your connection and try again.")]
    Network,
}

fn wrong_tab_message(use_tab: LoginTab) -> String {
    match use_tab {
        LoginTab::Agent => "This is an agent account. Use the \u{201c}Agent login\u{201d} tab.".into(),
        LoginTab::OwnerAdmin => {
            "This is an owner or admin account. Use the \u{201c}Owner / admin login\u{201d} tab.".into()
        }
    }
}

impl AppError {
    /// The message to show beside a field, if this error belongs to that field.
    pub fn for_field(&self, name: &str) -> Option<String> {
        match self {
            AppError::Invalid { field, message } if field == name => Some(message.clone()),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(_) => AppError::Network,
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => AppError::Invalid {
                field: String::new(),
                message: "The form was incomplete. Reload the page and try again.".into(),
            },
            _ => AppError::Internal,
        }
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            AppError::Unauthenticated | AppError::BadCredentials => S::UNAUTHORIZED,
            AppError::Forbidden | AppError::Deactivated => S::FORBIDDEN,
            AppError::NotFound => S::NOT_FOUND,
            AppError::Invalid { .. } | AppError::WrongLoginTab { .. } => S::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => S::CONFLICT,
            AppError::RateLimited { .. } => S::TOO_MANY_REQUESTS,
            AppError::Upstream(_) => S::BAD_GATEWAY,
            AppError::Internal | AppError::Network => S::INTERNAL_SERVER_ERROR,
        }
    }

    /// Sets the current server function response's HTTP status to match this error.
    pub fn with_status(self) -> Self {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(self.status());
        }
        self
    }
}

/// Converting an engine error also sets the HTTP status of the server function's response, so
/// logs, metrics and API clients see a refusal as a 4xx rather than a 500.
#[cfg(feature = "ssr")]
impl From<parley::Error> for AppError {
    fn from(err: parley::Error) -> Self {
        AppError::from_engine(err).with_status()
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    fn from_engine(err: parley::Error) -> Self {
        use parley::Error as E;
        match err {
            E::Unauthenticated => AppError::Unauthenticated,
            E::Forbidden => AppError::Forbidden,
            E::NotFound => AppError::NotFound,
            E::Invalid { field, message } => AppError::Invalid { field: field.into(), message },
            E::Conflict(message) => AppError::Conflict(message),
            E::BadCredentials => AppError::BadCredentials,
            E::Deactivated => AppError::Deactivated,
            E::WrongLoginTab { use_tab } => AppError::WrongLoginTab { use_tab },
            E::RateLimited { retry_after_secs } => AppError::RateLimited { retry_after_secs },
            E::Upstream(message) => AppError::Upstream(message),
            E::Database(e) => {
                tracing::error!(error = %e, "database error");
                AppError::Internal
            }
            E::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                AppError::Internal
            }
        }
    }
}
