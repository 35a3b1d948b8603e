use super::ServerState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use parley::auth::sessions;
use parley::domain::OrganizationId;

/// An organization's logo, for its members only. Anything else is a plain 404.
pub async fn organization_logo(
    State(state): State<ServerState>,
    Path(organization): Path<String>,
    headers: HeaderMap,
) -> Response {
    let not_found = || StatusCode::NOT_FOUND.into_response();
    let Ok(organization) = organization.parse::<OrganizationId>() else { return not_found() };
    let cookies = headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok());
    let Some(token) = sessions::token_from_cookies(cookies) else { return not_found() };
    let pool = &state.app.pool;
    let person = match sessions::resolve(pool, &token).await {
        Ok(Some(person)) => person,
        Ok(None) => return not_found(),
        Err(e) => return internal(e),
    };
    match parley::orgs::logo(pool, person.user_id, organization).await {
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

fn internal(e: parley::Error) -> Response {
    tracing::error!(error = %e, "serving a logo");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}
