//! Validation of `POST /{phone-number-id}/messages` bodies, the way Meta validates them
//! synchronously. Pure: template lookups happen in the handler.

use crate::graph_error::GraphError;
use serde_json::{Map, Value};

pub const MEDIA_TYPES: [&str; 5] = ["image", "video", "audio", "document", "sticker"];

/// A send request that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundMessage {
    /// `to` as the client wrote it, echoed in `contacts[].input`.
    pub input: String,
    pub wa_id: String,
    pub kind: String,
    pub template: Option<TemplateCall>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TemplateCall {
    pub name: String,
    pub language: String,
    pub components: Vec<Value>,
}

/// A `{"status":"read","message_id"}` request.
pub fn mark_as_read(body: &Value) -> Option<Result<String, GraphError>> {
    if body.get("status")?.as_str()? != "read" {
        return None;
    }
    Some(match body.get("message_id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => Ok(id.to_owned()),
        _ => Err(GraphError::invalid_parameter("The parameter message_id is required.")),
    })
}

pub fn validate(body: &Value) -> Result<OutboundMessage, GraphError> {
    let body = body.as_object().ok_or_else(|| GraphError::invalid_parameter("Invalid parameter"))?;
    match body.get("messaging_product").and_then(Value::as_str) {
        None => return Err(GraphError::invalid_parameter("The parameter messaging_product is required.")),
        Some("whatsapp") => {}
        Some(_) => return Err(GraphError::invalid_parameter("Param messaging_product must be 'whatsapp'")),
    }
    if let Some(recipient_type) = body.get("recipient_type")
        && recipient_type.as_str() != Some("individual")
    {
        return Err(GraphError::parameter_not_valid("recipient_type must be 'individual'"));
    }
    let input = body
        .get("to")
        .and_then(Value::as_str)
        .ok_or_else(|| GraphError::invalid_parameter("The parameter to is required."))?;
    let wa_id = wa_id_of(input).ok_or_else(|| GraphError::parameter_not_valid(format!("to ({input}) is not a valid phone number")))?;
    let kind = body.get("type").and_then(Value::as_str).unwrap_or("text");
    if let Some(context) = body.get("context") {
        optional_text(context, "message_id", "context", 1, 256)?
            .ok_or_else(|| GraphError::missing_parameter("Param context['message_id'] is required"))?;
    }
    let object = || {
        body.get(kind)
            .ok_or_else(|| GraphError::missing_parameter(format!("Param {kind} is required")))
    };
    let mut template = None;
    match kind {
        "text" => {
            let text = object()?;
            required_text(text, "body", "text", 1, 4096)?;
        }
        kind if MEDIA_TYPES.contains(&kind) => media(kind, object()?)?,
        "location" => location(object()?)?,
        "contacts" => contacts(object()?)?,
        "reaction" => {
            let reaction = object()?;
            required_text(reaction, "message_id", "reaction", 1, 256)?;
            match reaction.get("emoji").map(Value::as_str) {
                Some(Some(emoji)) if emoji.chars().count() <= 10 => {}
                Some(_) => return Err(GraphError::parameter_not_valid("Param reaction['emoji'] must be a single emoji")),
                None => return Err(GraphError::missing_parameter("Param reaction['emoji'] is required")),
            }
        }
        "interactive" => interactive(object()?)?,
        "template" => template = Some(template_call(object()?)?),
        other => return Err(GraphError::unsupported_type(format!("Message type {other} is not supported"))),
    }
    Ok(OutboundMessage { input: input.to_owned(), wa_id, kind: kind.to_owned(), template })
}

/// WhatsApp ids are the number's digits; `+`, spaces, dashes and parentheses are tolerated.
pub fn wa_id_of(input: &str) -> Option<String> {
    if !input.chars().all(|c| c.is_ascii_digit() || "+ -()".contains(c)) {
        return None;
    }
    let digits: String = input.chars().filter(char::is_ascii_digit).collect();
    (7..=15).contains(&digits.len()).then_some(digits)
}

fn as_object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, GraphError> {
    value.as_object().ok_or_else(|| GraphError::parameter_not_valid(format!("Param {path} must be an object")))
}

fn optional_text<'a>(
    value: &'a Value,
    key: &str,
    path: &str,
    min: usize,
    max: usize,
) -> Result<Option<&'a str>, GraphError> {
    let Some(field) = as_object(value, path)?.get(key) else { return Ok(None) };
    let text = field
        .as_str()
        .ok_or_else(|| GraphError::parameter_not_valid(format!("Param {path}['{key}'] must be a string")))?;
    let length = text.chars().count();
    if length < min {
        return Err(GraphError::parameter_not_valid(format!("Param {path}['{key}'] must not be empty")));
    }
    if length > max {
        return Err(GraphError::parameter_not_valid(format!(
            "Param {path}['{key}'] must be at most {max} characters long"
        )));
    }
    Ok(Some(text))
}

fn required_text<'a>(value: &'a Value, key: &str, path: &str, min: usize, max: usize) -> Result<&'a str, GraphError> {
    optional_text(value, key, path, min, max)?
        .ok_or_else(|| GraphError::missing_parameter(format!("Param {path}['{key}'] is required")))
}

fn media(kind: &str, value: &Value) -> Result<(), GraphError> {
    let id = optional_text(value, "id", kind, 1, 64)?;
    let link = optional_text(value, "link", kind, 1, 2048)?;
    match (id, link) {
        (None, None) => return Err(GraphError::missing_parameter(format!("Param {kind} must have either id or link"))),
        (Some(_), Some(_)) => {
            return Err(GraphError::parameter_not_valid(format!("Param {kind} must have either id or link, not both")));
        }
        (None, Some(link)) if !(link.starts_with("https://") || link.starts_with("http://")) => {
            return Err(GraphError::parameter_not_valid(format!("Param {kind}['link'] must be an http(s) URL")));
        }
        _ => {}
    }
    let object = as_object(value, kind)?;
    if object.contains_key("caption") {
        if matches!(kind, "audio" | "sticker") {
            return Err(GraphError::parameter_not_valid(format!("Param {kind}['caption'] is not allowed for {kind}")));
        }
        optional_text(value, "caption", kind, 0, 1024)?;
    }
    if object.contains_key("filename") && kind != "document" {
        return Err(GraphError::parameter_not_valid(format!("Param {kind}['filename'] is only allowed for documents")));
    }
    Ok(())
}

fn location(value: &Value) -> Result<(), GraphError> {
    for (key, limit) in [("latitude", 90.0), ("longitude", 180.0)] {
        let number = match value.get(key) {
            None => return Err(GraphError::missing_parameter(format!("Param location['{key}'] is required"))),
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => s.parse::<f64>().ok(),
            Some(_) => None,
        };
        if !number.is_some_and(|n: f64| n.abs() <= limit) {
            return Err(GraphError::parameter_not_valid(format!("Param location['{key}'] is not a valid coordinate")));
        }
    }
    optional_text(value, "name", "location", 0, 1000)?;
    optional_text(value, "address", "location", 0, 1000)?;
    Ok(())
}

fn contacts(value: &Value) -> Result<(), GraphError> {
    let cards = value.as_array().filter(|cards| !cards.is_empty()).ok_or_else(|| {
        GraphError::parameter_not_valid("Param contacts must be a non-empty array of contact cards")
    })?;
    for (i, card) in cards.iter().enumerate() {
        let name = card
            .get("name")
            .ok_or_else(|| GraphError::missing_parameter(format!("Param contacts[{i}]['name'] is required")))?;
        required_text(name, "formatted_name", &format!("contacts[{i}]['name']"), 1, 1000)?;
        if let Some(phones) = card.get("phones")
            && !phones.is_array()
        {
            return Err(GraphError::parameter_not_valid(format!("Param contacts[{i}]['phones'] must be an array")));
        }
    }
    Ok(())
}

fn interactive(value: &Value) -> Result<(), GraphError> {
    let kind = required_text(value, "type", "interactive", 1, 32)?;
    let action = value
        .get("action")
        .ok_or_else(|| GraphError::missing_parameter("Param interactive['action'] is required"))?;
    if let Some(footer) = value.get("footer") {
        required_text(footer, "text", "interactive['footer']", 1, 60)?;
    }
    let body = value
        .get("body")
        .ok_or_else(|| GraphError::missing_parameter("Param interactive['body'] is required"));
    match kind {
        "button" => {
            required_text(body?, "text", "interactive['body']", 1, 1024)?;
            if let Some(header) = value.get("header") {
                interactive_header(header, true)?;
            }
            let buttons = action
                .get("buttons")
                .and_then(Value::as_array)
                .ok_or_else(|| GraphError::missing_parameter("Param interactive['action']['buttons'] is required"))?;
            if !(1..=3).contains(&buttons.len()) {
                return Err(GraphError::parameter_not_valid("Param interactive['action']['buttons'] must have 1 to 3 buttons"));
            }
            let mut seen_ids = Vec::new();
            let mut seen_titles = Vec::new();
            for (i, button) in buttons.iter().enumerate() {
                let path = format!("interactive['action']['buttons'][{i}]");
                if required_text(button, "type", &path, 1, 16)? != "reply" {
                    return Err(GraphError::parameter_not_valid(format!("Param {path}['type'] must be 'reply'")));
                }
                let reply = button
                    .get("reply")
                    .ok_or_else(|| GraphError::missing_parameter(format!("Param {path}['reply'] is required")))?;
                let reply_path = format!("{path}['reply']");
                let id = required_text(reply, "id", &reply_path, 1, 256)?;
                let title = required_text(reply, "title", &reply_path, 1, 20)?;
                if seen_ids.contains(&id) || seen_titles.contains(&title) {
                    return Err(GraphError::parameter_not_valid("Buttons' ids and titles must be unique"));
                }
                seen_ids.push(id);
                seen_titles.push(title);
            }
        }
        "list" => {
            required_text(body?, "text", "interactive['body']", 1, 4096)?;
            if let Some(header) = value.get("header") {
                interactive_header(header, false)?;
            }
            required_text(action, "button", "interactive['action']", 1, 20)?;
            let sections = action
                .get("sections")
                .and_then(Value::as_array)
                .ok_or_else(|| GraphError::missing_parameter("Param interactive['action']['sections'] is required"))?;
            if !(1..=10).contains(&sections.len()) {
                return Err(GraphError::parameter_not_valid("Param interactive['action']['sections'] must have 1 to 10 sections"));
            }
            let mut row_ids = Vec::new();
            for (i, section) in sections.iter().enumerate() {
                let path = format!("interactive['action']['sections'][{i}]");
                let title = optional_text(section, "title", &path, 1, 24)?;
                if title.is_none() && sections.len() > 1 {
                    return Err(GraphError::missing_parameter(format!(
                        "Param {path}['title'] is required when there are several sections"
                    )));
                }
                let rows = section
                    .get("rows")
                    .and_then(Value::as_array)
                    .filter(|rows| !rows.is_empty())
                    .ok_or_else(|| GraphError::missing_parameter(format!("Param {path}['rows'] is required")))?;
                for (j, row) in rows.iter().enumerate() {
                    let row_path = format!("{path}['rows'][{j}]");
                    let id = required_text(row, "id", &row_path, 1, 200)?;
                    required_text(row, "title", &row_path, 1, 24)?;
                    optional_text(row, "description", &row_path, 0, 72)?;
                    if row_ids.contains(&id) {
                        return Err(GraphError::parameter_not_valid(format!("Row id {id} is not unique")));
                    }
                    row_ids.push(id);
                }
            }
            if row_ids.len() > 10 {
                return Err(GraphError::parameter_not_valid(format!(
                    "A list may have at most 10 rows in total, this one has {}",
                    row_ids.len()
                )));
            }
        }
        "cta_url" => {
            required_text(body?, "text", "interactive['body']", 1, 1024)?;
            if required_text(action, "name", "interactive['action']", 1, 32)? != "cta_url" {
                return Err(GraphError::parameter_not_valid("Param interactive['action']['name'] must be 'cta_url'"));
            }
            let parameters = action
                .get("parameters")
                .ok_or_else(|| GraphError::missing_parameter("Param interactive['action']['parameters'] is required"))?;
            required_text(parameters, "display_text", "interactive['action']['parameters']", 1, 20)?;
            required_text(parameters, "url", "interactive['action']['parameters']", 1, 2048)?;
        }
        other => return Err(GraphError::parameter_not_valid(format!("Interactive type {other} is not supported"))),
    }
    Ok(())
}

fn interactive_header(header: &Value, media_allowed: bool) -> Result<(), GraphError> {
    match required_text(header, "type", "interactive['header']", 1, 16)? {
        "text" => {
            required_text(header, "text", "interactive['header']", 1, 60)?;
        }
        kind @ ("image" | "video" | "document") if media_allowed => {
            let object = header
                .get(kind)
                .ok_or_else(|| GraphError::missing_parameter(format!("Param interactive['header']['{kind}'] is required")))?;
            media(kind, object)?;
        }
        other => {
            return Err(GraphError::parameter_not_valid(format!("Header type {other} is not allowed here")));
        }
    }
    Ok(())
}

fn template_call(value: &Value) -> Result<TemplateCall, GraphError> {
    let name = required_text(value, "name", "template", 1, 512)?;
    let language = value
        .get("language")
        .ok_or_else(|| GraphError::missing_parameter("Param template['language'] is required"))?;
    let code = required_text(language, "code", "template['language']", 2, 16)?;
    let components = match value.get("components") {
        None => Vec::new(),
        Some(Value::Array(components)) => components.clone(),
        Some(_) => return Err(GraphError::parameter_not_valid("Param template['components'] must be an array")),
    };
    Ok(TemplateCall { name: name.to_owned(), language: code.to_owned(), components })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn send(kind: &str, object: Value) -> Result<OutboundMessage, GraphError> {
        validate(&json!({"messaging_product": "whatsapp", "to": "+49 151 2345678", "type": kind, kind: object}))
    }

    fn code(result: Result<OutboundMessage, GraphError>) -> u32 {
        result.unwrap_err().code
    }

    #[test]
    fn accepts_text_and_normalizes_the_recipient() {
        let message = send("text", json!({"body": "hi"})).unwrap();
        assert_eq!(message.wa_id, "491512345678");
        assert_eq!(message.input, "+49 151 2345678");
    }

    #[test]
    fn envelope_errors() {
        assert_eq!(validate(&json!({"to": "4915112345678", "text": {"body": "x"}})).unwrap_err().code, 100);
        assert_eq!(validate(&json!({"messaging_product": "whatsapp", "text": {"body": "x"}})).unwrap_err().code, 100);
        assert_eq!(code(send("carrier_pigeon", json!({}))), 131051);
        assert_eq!(code(send("text", json!({"body": "x".repeat(4097)}))), 131009);
        assert_eq!(code(send("text", json!({}))), 131008);
    }

    #[test]
    fn media_needs_exactly_one_source_and_no_caption_on_audio() {
        assert!(send("image", json!({"id": "123", "caption": "c"})).is_ok());
        assert!(send("document", json!({"link": "https://x/y.pdf", "filename": "y.pdf"})).is_ok());
        assert_eq!(code(send("image", json!({}))), 131008);
        assert_eq!(code(send("image", json!({"id": "1", "link": "https://x"}))), 131009);
        assert_eq!(code(send("audio", json!({"id": "1", "caption": "no"}))), 131009);
    }

    #[test]
    fn buttons_are_limited_and_unique() {
        let button = |id: &str, title: &str| json!({"type": "reply", "reply": {"id": id, "title": title}});
        let ok = json!({"type": "button", "body": {"text": "Pick"}, "action": {"buttons": [button("a", "A"), button("b", "B")]}});
        assert!(send("interactive", ok).is_ok());
        let four = json!({"type": "button", "body": {"text": "Pick"}, "action": {"buttons": [
            button("a", "A"), button("b", "B"), button("c", "C"), button("d", "D")]}});
        assert_eq!(code(send("interactive", four)), 131009);
        let long = json!({"type": "button", "body": {"text": "Pick"}, "action": {"buttons": [button("a", &"x".repeat(21))]}});
        assert_eq!(code(send("interactive", long)), 131009);
        let twice = json!({"type": "button", "body": {"text": "Pick"}, "action": {"buttons": [button("a", "A"), button("a", "B")]}});
        assert_eq!(code(send("interactive", twice)), 131009);
    }

    #[test]
    fn lists_have_at_most_ten_rows_in_total() {
        let rows = |n: usize, prefix: &str| -> Vec<Value> {
            (0..n).map(|i| json!({"id": format!("{prefix}{i}"), "title": format!("Row {i}")})).collect()
        };
        let list = |sections: Value| json!({"type": "list", "body": {"text": "Menu"}, "action": {"button": "Open", "sections": sections}});
        assert!(send("interactive", list(json!([{"title": "S", "rows": rows(10, "a")}]))).is_ok());
        let eleven = list(json!([{"title": "S", "rows": rows(6, "a")}, {"title": "T", "rows": rows(5, "b")}]));
        assert_eq!(code(send("interactive", eleven)), 131009);
        let long_title = list(json!([{"rows": [{"id": "x", "title": "y".repeat(25)}]}]));
        assert_eq!(code(send("interactive", long_title)), 131009);
    }

    #[test]
    fn location_contacts_reaction_template() {
        assert!(send("location", json!({"latitude": 52.5, "longitude": 13.4, "name": "Berlin"})).is_ok());
        assert_eq!(code(send("location", json!({"latitude": 95, "longitude": 0}))), 131009);
        assert!(send("contacts", json!([{"name": {"formatted_name": "Ann"}, "phones": [{"phone": "+1"}]}])).is_ok());
        assert_eq!(code(send("contacts", json!([{"phones": []}]))), 131008);
        assert!(send("reaction", json!({"message_id": "wamid.x", "emoji": "👍"})).is_ok());
        assert!(send("reaction", json!({"message_id": "wamid.x", "emoji": ""})).is_ok());
        assert_eq!(code(send("reaction", json!({"emoji": "👍"}))), 131008);
        let template = send("template", json!({"name": "hello", "language": {"code": "en_US"}})).unwrap();
        assert_eq!(template.template.unwrap().language, "en_US");
        assert_eq!(code(send("template", json!({"name": "hello"}))), 131008);
    }

    #[test]
    fn mark_as_read_is_recognized() {
        let body = json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.1"});
        assert_eq!(mark_as_read(&body).unwrap().unwrap(), "wamid.1");
        assert!(mark_as_read(&json!({"to": "1"})).is_none());
    }
}
