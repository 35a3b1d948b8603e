//! Media: upload with Meta's type and size limits, metadata with a download URL that needs the
//! bearer token, download, delete. Bytes live in Postgres: it is a sandbox.

use crate::business::{authorize_number, bearer, refuse};
use crate::graph_error::GraphError;
use crate::{App, ids};
use axum::Json;
use axum::extract::{Multipart, Path, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

const SAMPLE_IMAGE: &[u8] = include_bytes!("../assets/sample.png");
const MB: usize = 1024 * 1024;

/// Meta's accepted types and their size limits.
pub fn limit_for(mime_type: &str) -> Option<usize> {
    match mime_type {
        "image/jpeg" | "image/png" => Some(5 * MB),
        "video/mp4" | "video/3gpp" => Some(16 * MB),
        "audio/aac" | "audio/amr" | "audio/mpeg" | "audio/mp4" | "audio/ogg" => Some(16 * MB),
        "image/webp" => Some(500 * 1024),
        "text/plain"
        | "application/pdf"
        | "application/vnd.ms-powerpoint"
        | "application/msword"
        | "application/vnd.ms-excel"
        | "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        | "application/vnd.openxmlformats-officedocument.presentationml.presentation"
        | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => Some(100 * MB),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewMedia {
    pub mime_type: String,
    pub bytes: Vec<u8>,
}

impl NewMedia {
    pub fn parse(mime_type: &str, bytes: Vec<u8>) -> Result<NewMedia, String> {
        let mime_type = mime_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        let limit = limit_for(&mime_type).ok_or_else(|| format!("media type {mime_type} is not supported"))?;
        if bytes.is_empty() {
            return Err("the file is empty".into());
        }
        if bytes.len() > limit {
            return Err(format!("{mime_type} files may be at most {limit} bytes, this one has {}", bytes.len()));
        }
        Ok(NewMedia { mime_type, bytes })
    }
}

/// Media a simulated customer sends: an existing media `id` (nothing to store), bytes as
/// `bytes_base64` + `mime_type`, or for images nothing at all (the built-in sample picture).
pub fn inbound_media(kind: &str, content: &Value) -> Result<Option<NewMedia>, String> {
    if content.get("id").and_then(Value::as_str).is_some() {
        return Ok(None);
    }
    if let Some(encoded) = content.get("bytes_base64").and_then(Value::as_str) {
        let mime_type = content
            .get("mime_type")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{kind}.mime_type is required with bytes_base64"))?;
        return NewMedia::parse(mime_type, decode_base64(encoded)?).map(Some);
    }
    if kind == "image" {
        return Ok(Some(NewMedia { mime_type: "image/png".into(), bytes: SAMPLE_IMAGE.to_vec() }));
    }
    Err(format!("{kind} needs an id or bytes_base64 + mime_type"))
}

fn decode_base64(encoded: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(encoded.len() * 3 / 4);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in encoded.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=') {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return Err("bytes_base64 is not valid base64".into()),
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

/// Stores media for a business number; returns how a webhook describes it.
pub async fn store(tx: &mut PgConnection, phone_number_id: &str, media: &NewMedia) -> Result<Value, sqlx::Error> {
    let id = ids::graph_object_id(&mut *tx).await?;
    let sha256 = hex::encode(Sha256::digest(&media.bytes));
    sqlx::query(
        "INSERT INTO media (id, phone_number_id, mime_type, sha256, file_size, bytes) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(phone_number_id)
    .bind(&media.mime_type)
    .bind(&sha256)
    .bind(media.bytes.len() as i64)
    .bind(&media.bytes)
    .execute(&mut *tx)
    .await?;
    Ok(json!({"id": id, "mime_type": media.mime_type, "sha256": sha256}))
}

pub async fn upload(
    State(app): State<App>,
    Path((version, phone_number_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Json<Value>, GraphError> {
    crate::graph::check_version(&version)?;
    let business = authorize_number(&app, bearer(&headers, query.as_deref()), &phone_number_id).await?;
    let (mut product, mut declared_type, mut file) = (None, None, None);
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| GraphError::media_upload(format!("malformed multipart body: {e}")))?
    {
        match field.name() {
            Some("messaging_product") => product = field.text().await.ok(),
            Some("type") => declared_type = field.text().await.ok(),
            Some("file") => {
                let content_type = field.content_type().map(str::to_owned);
                let bytes = field.bytes().await.map_err(|e| GraphError::media_upload(format!("could not read the file: {e}")))?;
                file = Some((content_type, bytes));
            }
            _ => {}
        }
    }
    if product.as_deref() != Some("whatsapp") {
        return Err(GraphError::invalid_parameter("The parameter messaging_product is required."));
    }
    let (content_type, bytes) = file.ok_or_else(|| GraphError::invalid_parameter("The parameter file is required."))?;
    let mime_type = content_type
        .filter(|t| t != "application/octet-stream")
        .or(declared_type)
        .ok_or_else(|| GraphError::invalid_parameter("The parameter type is required."))?;
    let media = NewMedia::parse(&mime_type, bytes.to_vec()).map_err(GraphError::media_upload)?;
    let mut tx = app.pool.begin().await?;
    let stored = store(&mut tx, &business.phone_number_id, &media).await?;
    tx.commit().await?;
    Ok(Json(json!({"id": stored["id"]})))
}

#[derive(sqlx::FromRow)]
struct MediaInfo {
    id: String,
    mime_type: String,
    sha256: String,
    file_size: i64,
    access_token: String,
}

async fn find(app: &App, id: &str) -> Result<Option<MediaInfo>, sqlx::Error> {
    sqlx::query_as(
        "SELECT m.id, m.mime_type, m.sha256, m.file_size, b.access_token
         FROM media m JOIN businesses b ON b.phone_number_id = m.phone_number_id WHERE m.id = $1",
    )
    .bind(id)
    .fetch_optional(&app.pool)
    .await
}

/// `GET /{media-id}`: `None` when no media has that id, so other object kinds can be tried.
pub async fn describe(app: &App, token: &str, id: &str) -> Result<Option<Value>, GraphError> {
    let Some(media) = find(app, id).await? else { return Ok(None) };
    if media.access_token != token {
        return Err(refuse(&app.pool, token, id).await);
    }
    Ok(Some(json!({
        "messaging_product": "whatsapp",
        "url": format!("{}/whatsapp_business/attachments/?mid={}", app.public_url, media.id),
        "mime_type": media.mime_type,
        "sha256": media.sha256,
        "file_size": media.file_size,
        "id": media.id,
    })))
}

pub async fn delete(
    State(app): State<App>,
    Path((version, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Json<Value>, GraphError> {
    crate::graph::check_version(&version)?;
    let token = bearer(&headers, query.as_deref()).ok_or_else(GraphError::invalid_token)?;
    match find(&app, &id).await? {
        Some(media) if media.access_token == token => {
            sqlx::query("DELETE FROM media WHERE id = $1").bind(&id).execute(&app.pool).await?;
            Ok(Json(json!({"success": true})))
        }
        _ => Err(refuse(&app.pool, &token, &id).await),
    }
}

#[derive(Deserialize)]
pub struct DownloadQuery {
    mid: String,
}

async fn bytes_of(app: &App, id: &str) -> Result<Option<(String, Vec<u8>, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT m.mime_type, m.bytes, b.access_token
         FROM media m JOIN businesses b ON b.phone_number_id = m.phone_number_id WHERE m.id = $1",
    )
    .bind(id)
    .fetch_optional(&app.pool)
    .await
}

/// The media URL: like Meta's lookaside URL, it only answers with the business's bearer token.
pub async fn download(
    State(app): State<App>,
    Query(query): Query<DownloadQuery>,
    headers: HeaderMap,
) -> Result<Response, GraphError> {
    let token = bearer(&headers, None).ok_or_else(GraphError::invalid_token)?;
    match bytes_of(&app, &query.mid).await? {
        Some((mime_type, bytes, owner_token)) if owner_token == token => {
            Ok(([(header::CONTENT_TYPE, mime_type)], bytes).into_response())
        }
        Some(_) => Err(refuse(&app.pool, &token, &query.mid).await),
        None => Ok(StatusCode::NOT_FOUND.into_response()),
    }
}

/// Control API: the bytes without a token, for the phone simulator's previews.
pub async fn preview(State(app): State<App>, Path(id): Path<String>) -> Result<Response, GraphError> {
    Ok(match bytes_of(&app, &id).await? {
        Some((mime_type, bytes, _)) => ([(header::CONTENT_TYPE, mime_type)], bytes).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_types_and_sizes() {
        assert!(NewMedia::parse("image/png", vec![1; 10]).is_ok());
        assert!(NewMedia::parse("image/jpeg; charset=binary", vec![1; 10]).is_ok());
        assert!(NewMedia::parse("image/gif", vec![1; 10]).is_err());
        assert!(NewMedia::parse("image/png", vec![1; 5 * MB + 1]).is_err());
        assert!(NewMedia::parse("image/webp", vec![1; 500 * 1024 + 1]).is_err());
        assert!(NewMedia::parse("application/pdf", vec![]).is_err());
    }

    #[test]
    fn decodes_base64() {
        assert_eq!(decode_base64("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode_base64("aGk").unwrap(), b"hi");
        assert!(decode_base64("a*b").is_err());
    }

    #[test]
    fn inbound_image_without_bytes_is_the_sample() {
        let media = inbound_media("image", &json!({})).unwrap().unwrap();
        assert_eq!(media.mime_type, "image/png");
        assert!(media.bytes.starts_with(b"\x89PNG"));
        assert!(inbound_media("image", &json!({"id": "123"})).unwrap().is_none());
        assert!(inbound_media("audio", &json!({})).is_err());
    }
}
