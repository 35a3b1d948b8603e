use super::ServerState;
use axum::extract::State;
use axum::response::IntoResponse;
use http::{StatusCode, header};
use std::time::Duration;

/// 200 when the database answers within two seconds, 503 otherwise.
pub async fn healthz(State(state): State<ServerState>) -> impl IntoResponse {
    let probe = tokio::time::timeout(Duration::from_secs(2), sqlx::query("SELECT 1").execute(&state.app.pool)).await;
    let (status, database) = match probe {
        Ok(Ok(_)) => (StatusCode::OK, "ok"),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: database error");
            (StatusCode::SERVICE_UNAVAILABLE, "error")
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "timeout"),
    };
    let body = format!("{{\"status\":\"{}\",\"database\":\"{database}\"}}", if status.is_success() { "ok" } else { "unavailable" });
    (status, [(header::CONTENT_TYPE, "application/json")], body)
}

pub async fn metrics(State(state): State<ServerState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}
