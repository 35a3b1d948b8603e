use super::ServerState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use parley::auth::SignedIn;
use parley::auth::sessions;
use parley::domain::OrganizationId;

/// An organization's logo, for its members only. Anything else is a plain 404.
pub async fn organization_logo(
    State(state): State<ServerState>,
    Path(organization): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Ok(organization) = organization.parse::<OrganizationId>() else { return not_found() };
    let person = match signed_in(&state, &headers).await {
        Ok(person) => person,
        Err(response) => return response,
    };
    match parley::orgs::logo(&state.app.pool, person.user_id, organization).await {
        Ok((content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, content_type),
                // Asked again on every use: a replaced or removed logo shows at once. The sidebar's
                // address carries a version the settings page bumps, so the page's `<img>` reloads.
                (header::CACHE_CONTROL, "private, no-cache".to_owned()),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            ],
            bytes,
        )
            .into_response(),
        Err(parley::Error::NotFound) => not_found(),
        Err(e) => internal(e),
    }
}

/// A customer's photo, video, voice note, document or sticker, for agents of its organization:
/// shown in place (`inline`) with its file name for saving. Anything else is a plain 404.
pub async fn message_media(
    State(state): State<ServerState>,
    Path(message): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Ok(message) = uuid::Uuid::parse_str(&message) else { return not_found() };
    let actor = match signed_in(&state, &headers).await.map(|person| person.actor) {
        Ok(Some(actor)) => actor,
        Ok(None) => return not_found(),
        Err(response) => return response,
    };
    let app = &state.app;
    match parley::media::message_file(&app.pool, &app.media, &actor, message).await {
        Ok(file) => {
            let name = file.filename.as_deref().map(safe_filename).unwrap_or_else(|| "whatsapp-file".to_owned());
            (
                [
                    (header::CONTENT_TYPE, file.content_type),
                    (header::CONTENT_DISPOSITION, format!("inline; filename=\"{name}\"")),
                    // A message's file never changes.
                    (header::CACHE_CONTROL, "private, max-age=86400, immutable".to_owned()),
                    (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
                    // The customer's file must not run as Parley's page.
                    (header::CONTENT_SECURITY_POLICY, "sandbox; default-src 'none'; img-src 'self'; media-src 'self'".to_owned()),
                ],
                file.bytes,
            )
                .into_response()
        }
        Err(parley::Error::NotFound | parley::Error::Forbidden) => not_found(),
        Err(e) => internal(e),
    }
}

/// The person the request's session cookie belongs to; without one, a plain 404.
async fn signed_in(state: &ServerState, headers: &HeaderMap) -> Result<SignedIn, Response> {
    let cookies = headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok());
    let Some(token) = sessions::token_from_cookies(cookies) else { return Err(not_found()) };
    match sessions::resolve(&state.app.pool, &token).await {
        Ok(Some(person)) => Ok(person),
        Ok(None) => Err(not_found()),
        Err(e) => Err(internal(e)),
    }
}

fn not_found() -> Response {
    StatusCode::NOT_FOUND.into_response()
}

/// The customer's file name, reduced to what a header may carry.
fn safe_filename(name: &str) -> String {
    let safe: String = name.chars().filter(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\\' | ';') || *c == ' ').take(120).collect();
    if safe.trim().is_empty() { "whatsapp-file".to_owned() } else { safe }
}

fn internal(e: parley::Error) -> Response {
    tracing::error!(error = %e, "serving a file");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

#[cfg(test)]
mod tests {
    use super::safe_filename;

    #[test]
    fn file_names_cannot_break_the_header() {
        assert_eq!(safe_filename("invoice 4711.pdf"), "invoice 4711.pdf");
        assert_eq!(safe_filename("a\"; x=y.pdf"), "a x=y.pdf");
        assert_eq!(safe_filename("Grüße\r\n.pdf"), "Gre.pdf");
        assert_eq!(safe_filename("\u{7}"), "whatsapp-file");
    }
}
