use super::ServerState;
use axum::Json;
use axum::extract::{Multipart, Path, State};
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

/// The photo, video, voice note, document or sticker of a message (a customer's or an agent's), for
/// agents of its organization. Anything else is a plain 404.
pub async fn message_media(
    State(state): State<ServerState>,
    Path(message): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Ok(message) = uuid::Uuid::parse_str(&message) else { return not_found() };
    let actor = match member(&state, &headers).await {
        Ok(actor) => actor,
        Err(response) => return response,
    };
    let app = &state.app;
    file_response(parley::media::message_file(&app.pool, &app.media, &actor, message).await)
}

/// A stored file shown in place (`inline`) with its file name for saving; a file of another
/// organization, or none, is a plain 404.
fn file_response(file: parley::Result<parley::media::MessageFile>) -> Response {
    match file {
        Ok(file) => {
            let name = file.filename.as_deref().map(safe_filename).unwrap_or_else(|| "whatsapp-file".to_owned());
            (
                [
                    (header::CONTENT_TYPE, file.content_type),
                    (header::CONTENT_DISPOSITION, format!("inline; filename=\"{name}\"")),
                    // A message's file never changes.
                    (header::CACHE_CONTROL, "private, max-age=86400, immutable".to_owned()),
                    (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
                    // A stored file must not run as Parley's page.
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

/// A stored file by its own id (the composer's picker shows them), for agents of its organization.
pub async fn stored_file(State(state): State<ServerState>, Path(file): Path<String>, headers: HeaderMap) -> Response {
    let Ok(file) = uuid::Uuid::parse_str(&file) else { return not_found() };
    let actor = match member(&state, &headers).await {
        Ok(actor) => actor,
        Err(response) => return response,
    };
    let app = &state.app;
    file_response(parley::media::attachments::stored_file(&app.pool, &app.media, &actor, file).await)
}

/// The most an upload may carry: WhatsApp's largest file (a 100 MB document) and the form around it.
pub const UPLOAD_LIMIT: usize = 100 * 1024 * 1024 + 64 * 1024;

/// An agent's attachment, as multipart `conversation` (its id), then `file`. The file goes to the
/// storage as it arrives, never held whole. Answers the stored file as JSON; a file WhatsApp would
/// refuse gets 400 with `{"error": reason}`. Without a session, or for another organization's
/// conversation, a plain 404.
pub async fn upload_attachment(State(state): State<ServerState>, headers: HeaderMap, mut form: Multipart) -> Response {
    let actor = match member(&state, &headers).await {
        Ok(actor) => actor,
        Err(response) => return response,
    };
    let app = &state.app;
    let mut conversation = None;
    loop {
        let mut field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return refused(StatusCode::BAD_REQUEST, "Choose a file to attach"),
            Err(e) => return refused(e.status(), &format!("The upload was cut off or malformed: {}", e.body_text())),
        };
        match field.name() {
            Some("conversation") => conversation = field.text().await.ok().and_then(|t| uuid::Uuid::parse_str(t.trim()).ok()),
            Some("file") => {
                let Some(conversation) = conversation else { return not_found() };
                let name = field.file_name().unwrap_or_default().to_owned();
                let mime_type = field.content_type().filter(|t| !t.is_empty()).unwrap_or("application/octet-stream").to_owned();
                let conversation = parley::domain::conversation::ConversationId(conversation);
                let mut receiving =
                    match parley::media::attachments::begin(&app.pool, &app.media, &actor, conversation, &name, &mime_type).await {
                        Ok(receiving) => receiving,
                        Err(e) => return upload_refused(e),
                    };
                loop {
                    let written = match field.chunk().await {
                        Ok(Some(chunk)) => receiving.write(&chunk).await,
                        Ok(None) => break,
                        Err(e) => {
                            receiving.abort().await;
                            return refused(e.status(), &format!("The file could not be received: {}", e.body_text()));
                        }
                    };
                    if let Err(e) = written {
                        receiving.abort().await;
                        return upload_refused(e);
                    }
                }
                return match receiving.finish(&app.pool).await {
                    Ok(stored) => Json(stored).into_response(),
                    Err(e) => upload_refused(e),
                };
            }
            _ => {}
        }
    }
}

fn upload_refused(error: parley::Error) -> Response {
    match error {
        parley::Error::NotFound => not_found(),
        parley::Error::Forbidden => refused(StatusCode::FORBIDDEN, "Your role may not send messages"),
        parley::Error::Invalid { message, .. } => refused(StatusCode::BAD_REQUEST, &message),
        e => internal(e),
    }
}

fn refused(status: StatusCode, reason: &str) -> Response {
    (status, Json(serde_json::json!({ "error": reason }))).into_response()
}

/// The signed-in person acting in their current organization; otherwise a plain 404.
async fn member(state: &ServerState, headers: &HeaderMap) -> Result<parley::domain::Actor, Response> {
    signed_in(state, headers).await?.actor.ok_or_else(not_found)
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
