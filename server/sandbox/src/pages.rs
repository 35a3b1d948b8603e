//! The two human pages: "API setup" (ids, tokens, secrets, base URL) and the phone simulator.
//! Self-contained HTML with inline CSS and vanilla JS; they only talk to the control API.

use axum::response::Html;

pub async fn setup() -> Html<&'static str> {
    Html(include_str!("../assets/setup.html"))
}

pub async fn simulator() -> Html<&'static str> {
    Html(include_str!("../assets/simulator.html"))
}
