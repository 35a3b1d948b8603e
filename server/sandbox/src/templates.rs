//! Message templates: creation and its synchronous validation, the sandbox's review rules,
//! listing and deletion, and filling a template with a send request's parameters.

use crate::business::{Business, authorize_waba, bearer};
use crate::control::ControlError;
use crate::graph_error::GraphError;
use crate::{App, webhooks};
use axum::Json;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;

pub const CATEGORIES: [&str; 3] = ["MARKETING", "UTILITY", "AUTHENTICATION"];

#[derive(Debug, Clone, PartialEq)]
pub struct NewTemplate {
    pub name: String,
    pub language: String,
    pub category: String,
    pub components: Vec<Value>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredTemplate {
    pub id: String,
    pub name: String,
    pub language: String,
    pub category: String,
    pub components: sqlx::types::Json<Vec<Value>>,
    pub status: String,
    pub reason: Option<String>,
}

impl StoredTemplate {
    fn to_json(&self) -> Value {
        let mut value = json!({
            "id": self.id,
            "name": self.name,
            "language": self.language,
            "category": self.category,
            "status": self.status,
            "components": self.components.0,
        });
        if let Some(reason) = &self.reason {
            value["rejected_reason"] = json!(reason);
        }
        value
    }
}

/// The placeholders of a template text in order of first appearance: `{{1}}`, `{{2}}` or `{{name}}`.
pub fn placeholders(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim().to_owned();
        if !found.contains(&name) {
            found.push(name);
        }
        rest = &after[end + 2..];
    }
    found
}

fn bad(details: impl Into<String>) -> GraphError {
    GraphError::invalid_parameter(format!("Invalid parameter: {}", details.into()))
}

fn component_type(component: &Value) -> String {
    component.get("type").and_then(Value::as_str).unwrap_or_default().to_ascii_uppercase()
}

fn text_of(component: &Value) -> &str {
    component.get("text").and_then(Value::as_str).unwrap_or_default()
}

fn is_placeholder_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn check_placeholders(text: &str, where_: &str) -> Result<(), GraphError> {
    let names = placeholders(text);
    if names.iter().any(|n| !is_placeholder_name(n)) {
        return Err(bad(format!("{where_} has a malformed variable")));
    }
    let positional = names.iter().filter(|n| n.chars().all(|c| c.is_ascii_digit())).count();
    if positional > 0 && positional != names.len() {
        return Err(bad(format!("{where_} mixes numbered and named variables")));
    }
    if positional > 0 {
        let mut numbers: Vec<usize> = names.iter().filter_map(|n| n.parse().ok()).collect();
        numbers.sort_unstable();
        if numbers.iter().enumerate().any(|(i, n)| *n != i + 1) {
            return Err(bad(format!("{where_} variables must be numbered {{{{1}}}}, {{{{2}}}}… without gaps")));
        }
    }
    Ok(())
}

/// Meta's synchronous checks on `POST /{waba-id}/message_templates`.
pub fn validate_new(body: &Value) -> Result<NewTemplate, GraphError> {
    let name = body.get("name").and_then(Value::as_str).ok_or_else(|| bad("name is required"))?;
    if name.is_empty()
        || name.len() > 512
        || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(bad("name may only contain lowercase letters, digits and underscores (at most 512)"));
    }
    let language = body.get("language").and_then(Value::as_str).ok_or_else(|| bad("language is required"))?;
    if language.len() < 2 || language.len() > 16 || !language.chars().all(|c| c.is_ascii_alphabetic() || c == '_') {
        return Err(bad(format!("language {language} is not a valid locale")));
    }
    let category = body
        .get("category")
        .and_then(Value::as_str)
        .map(str::to_ascii_uppercase)
        .filter(|c| CATEGORIES.contains(&c.as_str()))
        .ok_or_else(|| bad("category must be MARKETING, UTILITY or AUTHENTICATION"))?;
    let components = body
        .get("components")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("components is required"))?;
    let count = |kind: &str| components.iter().filter(|c| component_type(c) == kind).count();
    if count("BODY") != 1 {
        return Err(bad("a template needs exactly one BODY component"));
    }
    for kind in ["HEADER", "FOOTER", "BUTTONS"] {
        if count(kind) > 1 {
            return Err(bad(format!("at most one {kind} component")));
        }
    }
    for component in components {
        match component_type(component).as_str() {
            "BODY" => {
                let text = text_of(component);
                if text.is_empty() || text.chars().count() > 1024 {
                    return Err(bad("BODY text is required and at most 1024 characters"));
                }
                check_placeholders(text, "BODY")?;
            }
            "HEADER" => {
                let format = component.get("format").and_then(Value::as_str).unwrap_or("TEXT").to_ascii_uppercase();
                match format.as_str() {
                    "TEXT" => {
                        let text = text_of(component);
                        if text.is_empty() || text.chars().count() > 60 {
                            return Err(bad("HEADER text is required and at most 60 characters"));
                        }
                        check_placeholders(text, "HEADER")?;
                        if placeholders(text).len() > 1 {
                            return Err(bad("HEADER text may have at most one variable"));
                        }
                    }
                    "IMAGE" | "VIDEO" | "DOCUMENT" | "LOCATION" => {}
                    other => return Err(bad(format!("HEADER format {other} is not supported"))),
                }
            }
            "FOOTER" => {
                let text = text_of(component);
                if text.is_empty() || text.chars().count() > 60 || !placeholders(text).is_empty() {
                    return Err(bad("FOOTER text is required, at most 60 characters, without variables"));
                }
            }
            "BUTTONS" => validate_buttons(component)?,
            other => return Err(bad(format!("component type {other} is not supported"))),
        }
    }
    Ok(NewTemplate { name: name.to_owned(), language: language.to_owned(), category, components: components.clone() })
}

fn validate_buttons(component: &Value) -> Result<(), GraphError> {
    let buttons = component
        .get("buttons")
        .and_then(Value::as_array)
        .filter(|b| !b.is_empty())
        .ok_or_else(|| bad("BUTTONS needs a non-empty buttons array"))?;
    if buttons.len() > 10 {
        return Err(bad("at most 10 buttons"));
    }
    let mut counts: HashMap<String, usize> = HashMap::new();
    for button in buttons {
        let kind = button.get("type").and_then(Value::as_str).unwrap_or_default().to_ascii_uppercase();
        let text = button.get("text").and_then(Value::as_str).unwrap_or_default();
        if text.is_empty() || text.chars().count() > 25 {
            return Err(bad("button text is required and at most 25 characters"));
        }
        match kind.as_str() {
            "QUICK_REPLY" => {}
            "URL" => {
                let url = button.get("url").and_then(Value::as_str).unwrap_or_default();
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    return Err(bad("URL buttons need an http(s) url"));
                }
            }
            "PHONE_NUMBER" => {
                if button.get("phone_number").and_then(Value::as_str).is_none() {
                    return Err(bad("PHONE_NUMBER buttons need a phone_number"));
                }
            }
            "COPY_CODE" => {}
            other => return Err(bad(format!("button type {other} is not supported"))),
        }
        *counts.entry(kind).or_default() += 1;
    }
    let over = |kind: &str, max: usize| counts.get(kind).copied().unwrap_or(0) > max;
    if over("URL", 2) || over("PHONE_NUMBER", 1) || over("COPY_CODE", 1) {
        return Err(bad("at most 2 URL, 1 PHONE_NUMBER and 1 COPY_CODE button"));
    }
    Ok(())
}

/// The sandbox's review: a variable without an example is rejected as INVALID_FORMAT, as Meta does;
/// a body containing the word "reject" is rejected as ABUSIVE_CONTENT, so clients can test rejections.
pub fn review(components: &[Value]) -> Result<(), &'static str> {
    for component in components {
        let kind = component_type(component);
        let example = component.get("example");
        let examples_for = |key: &str| -> usize {
            match example.and_then(|e| e.get(key)) {
                Some(Value::Array(rows)) => match rows.first() {
                    Some(Value::Array(row)) => row.len(),
                    _ => rows.len(),
                },
                _ => 0,
            }
        };
        match kind.as_str() {
            "BODY" => {
                let text = text_of(component);
                let wanted = placeholders(text);
                let named = examples_for("body_text_named_params");
                if !wanted.is_empty() && examples_for("body_text").max(named) < wanted.len() {
                    return Err("INVALID_FORMAT");
                }
                if text.split(|c: char| !c.is_alphanumeric()).any(|word| word.eq_ignore_ascii_case("reject")) {
                    return Err("ABUSIVE_CONTENT");
                }
            }
            "HEADER" => {
                let format = component.get("format").and_then(Value::as_str).unwrap_or("TEXT").to_ascii_uppercase();
                let missing = match format.as_str() {
                    "TEXT" => {
                        !placeholders(text_of(component)).is_empty()
                            && examples_for("header_text").max(examples_for("header_text_named_params")) == 0
                    }
                    "LOCATION" => false,
                    _ => examples_for("header_handle") == 0,
                };
                if missing {
                    return Err("INVALID_FORMAT");
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// A template filled with a send request's parameters: what the customer sees.
pub fn render(template: &StoredTemplate, components: &[Value]) -> Result<Value, GraphError> {
    let find = |kind: &str| components.iter().find(|c| c.get("type").and_then(Value::as_str) == Some(kind));
    let params_of = |component: Option<&Value>| -> Vec<Value> {
        component.and_then(|c| c.get("parameters")).and_then(Value::as_array).cloned().unwrap_or_default()
    };
    let mut rendered = json!({"name": template.name, "language": template.language, "category": template.category});
    let mut header_params = params_of(find("header"));
    let mut body_params = params_of(find("body"));
    for stored in template.components.0.iter() {
        match component_type(stored).as_str() {
            "HEADER" => {
                let format = stored.get("format").and_then(Value::as_str).unwrap_or("TEXT").to_ascii_uppercase();
                if format == "TEXT" {
                    let text = fill(text_of(stored), &std::mem::take(&mut header_params), "header")?;
                    rendered["header"] = json!({"format": "TEXT", "text": text});
                } else {
                    let kind = format.to_ascii_lowercase();
                    let media = header_params
                        .iter()
                        .find(|p| p.get("type").and_then(Value::as_str) == Some(kind.as_str()))
                        .and_then(|p| p.get(&kind))
                        .cloned()
                        .ok_or_else(|| {
                            GraphError::template_format_mismatch(format!("header: expected a parameter of type {kind}"))
                        })?;
                    header_params.clear();
                    rendered["header"] = json!({"format": format, kind: media});
                }
            }
            "BODY" => rendered["body"] = json!(fill(text_of(stored), &std::mem::take(&mut body_params), "body")?),
            "FOOTER" => rendered["footer"] = json!(text_of(stored)),
            "BUTTONS" => rendered["buttons"] = json!(render_buttons(stored, components)?),
            _ => {}
        }
    }
    if !header_params.is_empty() {
        return Err(mismatch("header", header_params.len(), 0));
    }
    if !body_params.is_empty() {
        return Err(mismatch("body", body_params.len(), 0));
    }
    Ok(rendered)
}

fn mismatch(component: &str, given: usize, expected: usize) -> GraphError {
    GraphError::template_params_mismatch(format!(
        "{component}: number of localizable_params ({given}) does not match the expected number of params ({expected})"
    ))
}

fn parameter_text(parameter: &Value) -> Option<String> {
    match parameter.get("type").and_then(Value::as_str)? {
        "text" => parameter.get("text").and_then(Value::as_str).map(str::to_owned),
        "currency" => parameter.pointer("/currency/fallback_value").and_then(Value::as_str).map(str::to_owned),
        "date_time" => parameter.pointer("/date_time/fallback_value").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

fn fill(text: &str, parameters: &[Value], component: &str) -> Result<String, GraphError> {
    let names = placeholders(text);
    if names.len() != parameters.len() {
        return Err(mismatch(component, parameters.len(), names.len()));
    }
    let mut out = text.to_owned();
    for (i, name) in names.iter().enumerate() {
        let parameter = parameters
            .iter()
            .find(|p| p.get("parameter_name").and_then(Value::as_str) == Some(name.as_str()))
            .or_else(|| name.parse::<usize>().ok().and_then(|n| parameters.get(n - 1)))
            .or_else(|| parameters.get(i))
            .ok_or_else(|| mismatch(component, parameters.len(), names.len()))?;
        let value = parameter_text(parameter).ok_or_else(|| {
            GraphError::parameter_not_valid(format!("{component}: parameter {name} needs a text, currency or date_time value"))
        })?;
        out = out.replace(&format!("{{{{{name}}}}}"), &value);
    }
    Ok(out)
}

fn render_buttons(stored: &Value, components: &[Value]) -> Result<Vec<Value>, GraphError> {
    let buttons = stored.get("buttons").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut given: HashMap<usize, Vec<Value>> = HashMap::new();
    for component in components.iter().filter(|c| c.get("type").and_then(Value::as_str) == Some("button")) {
        let index = component
            .get("index")
            .and_then(|i| i.as_str().and_then(|s| s.parse().ok()).or_else(|| i.as_u64().map(|n| n as usize)))
            .filter(|i| *i < buttons.len())
            .ok_or_else(|| GraphError::parameter_not_valid("button component: index does not match a template button"))?;
        given.insert(index, component.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default());
    }
    buttons
        .iter()
        .enumerate()
        .map(|(i, button)| {
            let kind = button.get("type").and_then(Value::as_str).unwrap_or_default().to_ascii_uppercase();
            let text = button.get("text").and_then(Value::as_str).unwrap_or_default();
            let params = given.remove(&i).unwrap_or_default();
            Ok(match kind.as_str() {
                "QUICK_REPLY" => {
                    let payload = params
                        .iter()
                        .find_map(|p| p.get("payload").and_then(Value::as_str))
                        .unwrap_or(text);
                    json!({"type": "QUICK_REPLY", "text": text, "payload": payload})
                }
                "URL" => {
                    let url = button.get("url").and_then(Value::as_str).unwrap_or_default();
                    let url = if placeholders(url).is_empty() { url.to_owned() } else { fill(url, &params, "button")? };
                    json!({"type": "URL", "text": text, "url": url})
                }
                other => {
                    let mut rendered = button.clone();
                    rendered["type"] = json!(other);
                    rendered
                }
            })
        })
        .collect()
}

const TEMPLATE_COLUMNS: &str = "id, name, language, category, components, status, reason";

pub async fn find_for_send(app: &App, waba_id: &str, name: &str, language: &str) -> Result<Option<StoredTemplate>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {TEMPLATE_COLUMNS} FROM templates WHERE waba_id = $1 AND name = $2 AND language = $3"))
        .bind(waba_id)
        .bind(name)
        .bind(language)
        .fetch_optional(&app.pool)
        .await
}

/// Template parameters come as JSON or, as Graph allows, as form fields with JSON-encoded values.
fn body_value(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or_else(|_| crate::graph::form_to_json(body))
}

pub async fn create(
    State(app): State<App>,
    Path((version, waba_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> Result<Json<Value>, GraphError> {
    crate::graph::check_version(&version)?;
    authorize_waba(&app, bearer(&headers, query.as_deref()), &waba_id).await?;
    let template = validate_new(&body_value(&body))?;
    let delay = app.settings().template_review_delay_ms;
    let id = crate::ids::graph_object_id(&app.pool).await?;
    let inserted = sqlx::query(
        "INSERT INTO templates (id, waba_id, name, language, category, components, status, review_due_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'PENDING', now() + make_interval(secs => $7))
         ON CONFLICT (waba_id, name, language) DO NOTHING",
    )
    .bind(&id)
    .bind(&waba_id)
    .bind(&template.name)
    .bind(&template.language)
    .bind(&template.category)
    .bind(sqlx::types::Json(&template.components))
    .bind(delay as f64 / 1000.0)
    .execute(&app.pool)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(GraphError::template_exists(&template.name, &template.language));
    }
    app.work.notify_one();
    Ok(Json(json!({"id": id, "status": "PENDING", "category": template.category})))
}

#[derive(Deserialize)]
pub struct ListQuery {
    name: Option<String>,
    status: Option<String>,
    limit: Option<i64>,
    after: Option<String>,
}

pub async fn list(
    State(app): State<App>,
    Path((version, waba_id)): Path<(String, String)>,
    Query(params): Query<ListQuery>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Json<Value>, GraphError> {
    crate::graph::check_version(&version)?;
    authorize_waba(&app, bearer(&headers, query.as_deref()), &waba_id).await?;
    let limit = params.limit.unwrap_or(25).clamp(1, 1000);
    let after: i64 = match params.after.as_deref() {
        None | Some("") => 0,
        Some(cursor) => cursor.parse().map_err(|_| GraphError::invalid_parameter("Invalid cursor in after"))?,
    };
    let mut rows: Vec<StoredTemplate> = sqlx::query_as(&format!(
        "SELECT {TEMPLATE_COLUMNS} FROM templates
         WHERE waba_id = $1 AND id::bigint > $2
           AND ($3::text IS NULL OR name LIKE '%' || $3 || '%')
           AND ($4::text IS NULL OR status = upper($4))
         ORDER BY id::bigint LIMIT $5"
    ))
    .bind(&waba_id)
    .bind(after)
    .bind(&params.name)
    .bind(&params.status)
    .bind(limit + 1)
    .fetch_all(&app.pool)
    .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let mut paging = json!({"cursors": {
        "before": rows.first().map(|t| t.id.clone()).unwrap_or_default(),
        "after": rows.last().map(|t| t.id.clone()).unwrap_or_default(),
    }});
    if more && let Some(last) = rows.last() {
        let mut next = format!("{}/{waba_id}/message_templates?limit={limit}&after={}", app.graph_base_url(), last.id);
        if let Some(name) = &params.name {
            next.push_str(&format!("&name={name}"));
        }
        if let Some(status) = &params.status {
            next.push_str(&format!("&status={status}"));
        }
        paging["next"] = json!(next);
    }
    Ok(Json(json!({"data": rows.iter().map(StoredTemplate::to_json).collect::<Vec<_>>(), "paging": paging})))
}

#[derive(Deserialize)]
pub struct DeleteQuery {
    name: Option<String>,
    hsm_id: Option<String>,
}

pub async fn delete(
    State(app): State<App>,
    Path((version, waba_id)): Path<(String, String)>,
    Query(params): Query<DeleteQuery>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Json<Value>, GraphError> {
    crate::graph::check_version(&version)?;
    authorize_waba(&app, bearer(&headers, query.as_deref()), &waba_id).await?;
    let name = params.name.ok_or_else(|| GraphError::invalid_parameter("The parameter name is required."))?;
    let deleted = sqlx::query(
        "DELETE FROM templates WHERE waba_id = $1 AND name = $2 AND ($3::text IS NULL OR id = $3)",
    )
    .bind(&waba_id)
    .bind(&name)
    .bind(&params.hsm_id)
    .execute(&app.pool)
    .await?;
    if deleted.rows_affected() == 0 {
        return Err(GraphError::invalid_parameter(format!("Message template \"{name}\" not found")));
    }
    Ok(Json(json!({"success": true})))
}

/// Finishes the reviews that are due, each with its `message_template_status_update` webhook.
pub async fn review_due(app: &App) -> Result<(), sqlx::Error> {
    let mut tx = app.pool.begin().await?;
    let due: Vec<(String, String, sqlx::types::Json<Vec<Value>>)> = sqlx::query_as(
        "SELECT id, waba_id, components FROM templates
         WHERE status = 'PENDING' AND review_due_at <= now()
         ORDER BY review_due_at LIMIT 50 FOR UPDATE SKIP LOCKED",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (id, _, components) in &due {
        let (status, reason) = match review(&components.0) {
            Ok(()) => ("APPROVED", None),
            Err(reason) => ("REJECTED", Some(reason)),
        };
        set_status_in(&mut tx, app, id, status, reason).await?;
    }
    tx.commit().await?;
    if !due.is_empty() {
        app.work.notify_one();
    }
    Ok(())
}

async fn set_status_in(
    tx: &mut sqlx::PgConnection,
    app: &App,
    id: &str,
    status: &str,
    reason: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let row: Option<(String, String, String)> = sqlx::query_as(
        "UPDATE templates SET status = $2, reason = $3, review_due_at = NULL WHERE id = $1
         RETURNING waba_id, name, language",
    )
    .bind(id)
    .bind(status)
    .bind(reason)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((waba_id, name, language)) = row else { return Ok(false) };
    if let Some(business) = Business::of_waba(&app.pool, &waba_id).await? {
        let value = json!({
            "event": status,
            "message_template_id": id.parse::<i64>().map(Value::from).unwrap_or_else(|_| json!(id)),
            "message_template_name": name,
            "message_template_language": language,
            "reason": reason.unwrap_or("NONE"),
        });
        webhooks::enqueue(tx, &app.settings(), &business, "message_template_status_update", value).await?;
    }
    Ok(true)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    status: String,
    reason: Option<String>,
}

/// Control API: what Meta's quality system does on its own (pause, disable, reinstate).
pub async fn set_status(
    State(app): State<App>,
    Path(id): Path<String>,
    Json(change): Json<StatusChange>,
) -> Result<Json<Value>, ControlError> {
    let status = change.status.to_ascii_uppercase();
    if !["APPROVED", "REJECTED", "PAUSED", "DISABLED"].contains(&status.as_str()) {
        return Err(ControlError::bad_request("status must be APPROVED, REJECTED, PAUSED or DISABLED"));
    }
    let mut tx = app.pool.begin().await?;
    if !set_status_in(&mut tx, &app, &id, &status, change.reason.as_deref()).await? {
        return Err(ControlError::not_found(format!("no template {id}")));
    }
    tx.commit().await?;
    app.work.notify_one();
    Ok(Json(json!({"id": id, "status": status})))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(components: Value) -> Value {
        json!({"name": "order_update", "language": "en_US", "category": "UTILITY", "components": components})
    }

    #[test]
    fn finds_placeholders_once_in_order() {
        assert_eq!(placeholders("Hi {{1}}, {{2}} and {{1}}"), vec!["1", "2"]);
        assert_eq!(placeholders("Hi {{name}}"), vec!["name"]);
        assert!(placeholders("no vars {{ unterminated").is_empty());
    }

    #[test]
    fn creation_checks_name_category_and_components() {
        assert!(validate_new(&template(json!([{"type": "BODY", "text": "Hello {{1}}"}]))).is_ok());
        let mut bad_name = template(json!([{"type": "BODY", "text": "x"}]));
        bad_name["name"] = json!("Order-Update");
        assert_eq!(validate_new(&bad_name).unwrap_err().code, 100);
        assert!(validate_new(&template(json!([{"type": "HEADER", "format": "TEXT", "text": "x"}]))).is_err());
        assert!(validate_new(&template(json!([{"type": "BODY", "text": "{{1}} {{3}}"}]))).is_err());
        let buttons: Vec<Value> = (0..3).map(|i| json!({"type": "URL", "text": format!("b{i}"), "url": "https://x"})).collect();
        assert!(validate_new(&template(json!([{"type": "BODY", "text": "x"}, {"type": "BUTTONS", "buttons": buttons}]))).is_err());
    }

    #[test]
    fn review_rejects_missing_examples_and_the_word_reject() {
        assert_eq!(review(&[json!({"type": "BODY", "text": "Hi {{1}}"})]), Err("INVALID_FORMAT"));
        assert_eq!(review(&[json!({"type": "BODY", "text": "Hi {{1}}", "example": {"body_text": [["Ann"]]}})]), Ok(()));
        assert_eq!(review(&[json!({"type": "BODY", "text": "Please reject me"})]), Err("ABUSIVE_CONTENT"));
        assert_eq!(review(&[json!({"type": "BODY", "text": "Rejected items"})]), Ok(()));
    }

    fn stored(components: Value) -> StoredTemplate {
        StoredTemplate {
            id: "1".into(),
            name: "t".into(),
            language: "en_US".into(),
            category: "UTILITY".into(),
            components: sqlx::types::Json(serde_json::from_value(components).unwrap()),
            status: "APPROVED".into(),
            reason: None,
        }
    }

    #[test]
    fn render_fills_parameters_and_counts_them() {
        let t = stored(json!([
            {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"},
            {"type": "BODY", "text": "Hi {{1}}, total {{2}}"},
            {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Stop"}]}
        ]));
        let sent = [
            json!({"type": "header", "parameters": [{"type": "text", "text": "#42"}]}),
            json!({"type": "body", "parameters": [{"type": "text", "text": "Ann"},
                {"type": "currency", "currency": {"fallback_value": "€5", "code": "EUR", "amount_1000": 5000}}]}),
            json!({"type": "button", "sub_type": "quick_reply", "index": "0", "parameters": [{"type": "payload", "payload": "STOP"}]}),
        ];
        let rendered = render(&t, &sent).unwrap();
        assert_eq!(rendered["header"]["text"], "Order #42");
        assert_eq!(rendered["body"], "Hi Ann, total €5");
        assert_eq!(rendered["buttons"][0]["payload"], "STOP");
        assert_eq!(render(&t, &sent[1..]).unwrap_err().code, 132000);
        let image = stored(json!([{"type": "HEADER", "format": "IMAGE"}, {"type": "BODY", "text": "x"}]));
        assert_eq!(render(&image, &[]).unwrap_err().code, 132012);
    }
}
