//! Meta's Graph API error envelope, with the codes the Cloud API documents.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq)]
pub struct GraphError {
    pub http: StatusCode,
    pub code: u32,
    pub subcode: Option<u32>,
    pub kind: &'static str,
    pub message: String,
    pub details: Option<String>,
}

impl GraphError {
    fn new(http: StatusCode, code: u32, message: impl Into<String>) -> Self {
        GraphError { http, code, subcode: None, kind: "OAuthException", message: message.into(), details: None }
    }

    fn with_details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }

    pub fn invalid_token() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, 190, "Invalid OAuth access token - Cannot parse access token")
    }

    pub fn unknown_object(id: &str) -> Self {
        GraphError {
            subcode: Some(33),
            kind: "GraphMethodException",
            ..Self::new(
                StatusCode::BAD_REQUEST,
                100,
                format!(
                    "Unsupported request - method type: get. Object with ID '{id}' does not exist, cannot be loaded \
                     due to missing permissions, or does not support this operation. Please read the Graph API \
                     documentation at https://developers.facebook.com/docs/graph-api"
                ),
            )
        }
    }

    pub fn unknown_path() -> Self {
        Self::new(StatusCode::BAD_REQUEST, 2500, "Unknown path components")
    }

    /// A request-level parameter problem (`(#100) The parameter to is required.` and the like).
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 100, format!("(#100) {}", message.into()))
    }

    pub fn missing_parameter(details: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 131008, "(#131008) Required parameter is missing").with_details(details)
    }

    pub fn parameter_not_valid(details: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 131009, "(#131009) Parameter value is not valid").with_details(details)
    }

    pub fn unsupported_type(details: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 131051, "(#131051) Unsupported message type").with_details(details)
    }

    pub fn media_upload(details: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 131053, "(#131053) Media upload error").with_details(details)
    }

    pub fn throughput_reached() -> Self {
        Self::new(StatusCode::BAD_REQUEST, 130429, "(#130429) Rate limit hit")
            .with_details("Cloud API message throughput has been reached.")
    }

    pub fn pair_rate_limit() -> Self {
        Self::new(StatusCode::BAD_REQUEST, 131056, "(#131056) (Business Account, Consumer Account) pair rate limit hit")
            .with_details(
                "Message failed to send because there were too many messages sent from this phone number to the \
                 same phone number in a short period of time.",
            )
    }

    pub fn template_params_mismatch(details: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            132000,
            "(#132000) Number of parameters does not match the expected number of params",
        )
        .with_details(details)
    }

    pub fn template_missing(details: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, 132001, "(#132001) Template name does not exist in the translation")
            .with_details(details)
    }

    pub fn template_format_mismatch(details: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 132012, "(#132012) Parameter format does not match format in the created template")
            .with_details(details)
    }

    pub fn template_paused(details: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 132015, "(#132015) Template is Paused").with_details(details)
    }

    pub fn template_disabled(details: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 132016, "(#132016) Template is disabled").with_details(details)
    }

    pub fn template_exists(name: &str, language: &str) -> Self {
        GraphError {
            subcode: Some(2388024),
            ..Self::new(StatusCode::BAD_REQUEST, 100, "Invalid parameter").with_details(format!(
                "Content in this language already exists: a template named {name} in {language} already exists."
            ))
        }
    }

    pub fn internal() -> Self {
        GraphError {
            kind: "OAuthException",
            ..Self::new(StatusCode::INTERNAL_SERVER_ERROR, 1, "An unknown error occurred")
        }
    }

    pub fn body(&self) -> Value {
        let mut error = json!({
            "message": self.message,
            "type": self.kind,
            "code": self.code,
            "fbtrace_id": crate::ids::fbtrace_id(),
        });
        if let Some(subcode) = self.subcode {
            error["error_subcode"] = json!(subcode);
        }
        if let Some(details) = &self.details {
            error["error_data"] = json!({"messaging_product": "whatsapp", "details": details});
        }
        json!({ "error": error })
    }
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        (self.http, Json(self.body())).into_response()
    }
}

impl From<sqlx::Error> for GraphError {
    fn from(error: sqlx::Error) -> Self {
        tracing::error!(%error, "sandbox database error");
        GraphError::internal()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_carries_code_type_details_and_trace_id() {
        let body = GraphError::parameter_not_valid("text.body is too long").body();
        assert_eq!(body["error"]["code"], 131009);
        assert_eq!(body["error"]["type"], "OAuthException");
        assert_eq!(body["error"]["message"], "(#131009) Parameter value is not valid");
        assert_eq!(body["error"]["error_data"]["details"], "text.body is too long");
        assert!(body["error"]["fbtrace_id"].as_str().is_some_and(|id| !id.is_empty()));
    }
}
