//! Filling in an approved template from the inbox: which values it asks for, what can be
//! prefilled from the contact, how it reads once filled in, and the checked template message.
//! Pure, so the composer's preview and per-field checks are the very ones the server applies.

use super::cloud::template::{HeaderFormat, TemplateButton, TemplateSection};
use super::cloud::{
    MessageRejected, Placeholder, TemplateComponent, TemplateDefinition, TemplateMessage, TemplateParameter,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a value goes: the header's text, the body, or the address of URL button `index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldPart {
    Header,
    Body,
    Button(u8),
}

/// One value the agent fills in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateField {
    pub part: FieldPart,
    pub placeholder: Placeholder,
}

impl TemplateField {
    fn token(&self) -> String {
        match &self.placeholder {
            Placeholder::Positional(n) => format!("{{{{{n}}}}}"),
            Placeholder::Named(name) => format!("{{{{{name}}}}}"),
        }
    }

    /// "Body {{1}}", "Header {{first_name}}", "Button 2 link {{1}}".
    pub fn label(&self) -> String {
        match self.part {
            FieldPart::Header => format!("Header {}", self.token()),
            FieldPart::Body => format!("Body {}", self.token()),
            FieldPart::Button(index) => format!("Button {} link {}", index + 1, self.token()),
        }
    }

    /// A stable name for the field's input: "body-1", "header-first_name", "button-1-1".
    pub fn key(&self) -> String {
        let placeholder = match &self.placeholder {
            Placeholder::Positional(n) => n.to_string(),
            Placeholder::Named(name) => name.clone(),
        };
        match self.part {
            FieldPart::Header => format!("header-{placeholder}"),
            FieldPart::Body => format!("body-{placeholder}"),
            FieldPart::Button(index) => format!("button-{index}-{placeholder}"),
        }
    }
}

/// The values `definition` asks for, in the order Meta expects them (numbered placeholders by
/// number), or why Parley cannot fill it in.
pub fn fields(definition: &TemplateDefinition) -> Result<Vec<TemplateField>, String> {
    let mut fields = Vec::new();
    for section in &definition.components {
        match section {
            TemplateSection::Header { format: HeaderFormat::Text, text, .. } => {
                fields.extend(ordered(text.as_deref().unwrap_or_default(), FieldPart::Header));
            }
            TemplateSection::Header { format, .. } => {
                let kind = match format {
                    HeaderFormat::Image => "an image",
                    HeaderFormat::Video => "a video",
                    HeaderFormat::Document => "a document",
                    _ => "a kind of",
                };
                return Err(format!("It has {kind} header, which cannot be attached from the inbox yet"));
            }
            TemplateSection::Body { text, .. } => fields.extend(ordered(text, FieldPart::Body)),
            TemplateSection::Footer { .. } => {}
            TemplateSection::Buttons { buttons } => {
                for (index, button) in buttons.iter().enumerate() {
                    match button {
                        TemplateButton::Url { url, .. } => {
                            let Some(placeholder) = super::cloud::template::placeholders_in(url).into_iter().next()
                            else {
                                continue;
                            };
                            let index = u8::try_from(index).map_err(|_| "It has too many buttons".to_owned())?;
                            fields.push(TemplateField { part: FieldPart::Button(index), placeholder });
                        }
                        TemplateButton::QuickReply { .. } | TemplateButton::PhoneNumber { .. } => {}
                        // Meta wants a value for these (a coupon code, a one-time password).
                        TemplateButton::CopyCode { .. } | TemplateButton::Other => {
                            return Err("It has a copy-code or one-time-password button, which the inbox cannot fill in yet".into());
                        }
                    }
                }
            }
            TemplateSection::Other => return Err("It has parts (like a carousel) the inbox cannot send yet".into()),
        }
    }
    Ok(fields)
}

fn ordered(text: &str, part: FieldPart) -> Vec<TemplateField> {
    let mut placeholders = super::cloud::template::placeholders_in(text);
    // Positional values are matched to {{1}}, {{2}}… by position, whatever order the text uses.
    placeholders.sort_by_key(|p| match p {
        Placeholder::Positional(n) => *n,
        Placeholder::Named(_) => 0,
    });
    placeholders.into_iter().map(|placeholder| TemplateField { part, placeholder }).collect()
}

/// What Parley knows about the customer that a template may ask for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactFacts {
    /// The name the inbox shows for the contact.
    pub name: String,
    /// The WhatsApp number, digits only.
    pub wa_id: String,
}

/// A starting value for each field: named placeholders whose name says what they are get the
/// contact's name or number; numbered ones say nothing, so they start empty.
pub fn prefill(fields: &[TemplateField], contact: &ContactFacts) -> Vec<String> {
    let name = contact.name.trim();
    // A display name that is only the number is no name.
    let has_name = !name.is_empty() && !name.starts_with('+');
    let first_name = name.split_whitespace().next().unwrap_or_default();
    fields
        .iter()
        .map(|field| match &field.placeholder {
            Placeholder::Named(key) => match key.as_str() {
                "name" | "full_name" | "customer_name" | "contact_name" | "client_name" if has_name => name.to_owned(),
                "first_name" | "customer_first_name" if has_name => first_name.to_owned(),
                "phone" | "phone_number" | "mobile" | "whatsapp_number" | "wa_id" if !contact.wa_id.is_empty() => {
                    format!("+{}", contact.wa_id)
                }
                _ => String::new(),
            },
            Placeholder::Positional(_) => String::new(),
        })
        .collect()
}

/// A template as the customer will see it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderedTemplate {
    pub header: Option<String>,
    pub body: String,
    pub footer: Option<String>,
    pub buttons: Vec<String>,
}

impl RenderedTemplate {
    /// Header, body and footer as one text: what the inbox shows and searches for the message.
    pub fn text(&self) -> String {
        [self.header.as_deref(), Some(self.body.as_str()), self.footer.as_deref()]
            .into_iter()
            .flatten()
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n")
    }
}

/// `definition` with `values` (one per field, in field order) in place of its placeholders; a
/// placeholder still empty stays visible as `{{1}}`.
pub fn render(definition: &TemplateDefinition, fields: &[TemplateField], values: &[String]) -> RenderedTemplate {
    let fill = |text: &str, part: FieldPart| {
        fields.iter().zip(values).filter(|(f, _)| f.part == part).fold(text.to_owned(), |text, (field, value)| {
            let value = value.trim();
            if value.is_empty() { text } else { text.replace(&field.token(), value) }
        })
    };
    let header = match definition.header() {
        Some((HeaderFormat::Text, text)) => Some(fill(text.unwrap_or_default(), FieldPart::Header)),
        // Media headers are refused by `fields`: nothing to preview.
        Some(_) | None => None,
    };
    let buttons = definition
        .buttons()
        .iter()
        .filter_map(|button| match button {
            TemplateButton::QuickReply { text } | TemplateButton::Url { text, .. } => Some(text.clone()),
            TemplateButton::PhoneNumber { text, .. } => Some(text.clone()),
            TemplateButton::CopyCode { .. } => Some("Copy code".to_owned()),
            TemplateButton::Other => None,
        })
        .collect();
    RenderedTemplate {
        header,
        body: fill(definition.body_text(), FieldPart::Body),
        footer: definition.footer_text().map(str::to_owned),
        buttons,
    }
}

/// Why one field's value is refused (`field` indexes the fields), or, without a field, the
/// template as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: Option<usize>,
    pub message: String,
}

/// The template message for `values`, checked field by field and then against the definition.
pub fn message(
    definition: &TemplateDefinition,
    fields: &[TemplateField],
    values: &[String],
) -> Result<TemplateMessage, Vec<FieldError>> {
    if values.len() != fields.len() {
        return Err(vec![FieldError {
            field: None,
            message: format!("This template takes {} values, {} were given", fields.len(), values.len()),
        }]);
    }
    let mut errors = Vec::new();
    let mut header = None;
    let mut body = Vec::new();
    let mut buttons = Vec::new();
    for (index, (field, value)) in fields.iter().zip(values).enumerate() {
        let value = value.trim();
        let checked = if value.is_empty() {
            Err(MessageRejected::Missing { what: field.label() })
        } else {
            component_value(field, value)
        };
        match checked {
            Ok(Value::Header(parameter)) => header = Some(parameter),
            Ok(Value::Body(parameter)) => body.push(parameter),
            Ok(Value::Button(component)) => buttons.push(component),
            Err(rejected) => errors.push(FieldError { field: Some(index), message: missing_worded(rejected) }),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let whole = |rejected: MessageRejected| vec![FieldError { field: None, message: rejected.to_string() }];
    let mut components = Vec::new();
    if let Some(header) = header {
        components.push(TemplateComponent::header(header).map_err(whole)?);
    }
    if !body.is_empty() {
        components.push(TemplateComponent::body(body).map_err(whole)?);
    }
    components.extend(buttons);
    definition.message(components).map_err(whole)
}

enum Value {
    Header(TemplateParameter),
    Body(TemplateParameter),
    Button(TemplateComponent),
}

fn component_value(field: &TemplateField, value: &str) -> Result<Value, MessageRejected> {
    let parameter = || match &field.placeholder {
        Placeholder::Named(name) => TemplateParameter::named(name, value),
        Placeholder::Positional(_) => TemplateParameter::text(value),
    };
    match field.part {
        FieldPart::Header => {
            let parameter = parameter()?;
            TemplateComponent::header(parameter.clone())?;
            Ok(Value::Header(parameter))
        }
        FieldPart::Body => {
            let parameter = parameter()?;
            // Checked alone here so the error names this field, not the whole body.
            TemplateComponent::body(vec![parameter.clone()])?;
            Ok(Value::Body(parameter))
        }
        FieldPart::Button(index) => Ok(Value::Button(TemplateComponent::url_button(index, value)?)),
    }
}

fn missing_worded(rejected: MessageRejected) -> String {
    match rejected {
        MessageRejected::Missing { what } => format!("Fill in {what}"),
        other => other.to_string(),
    }
}

/// What the composer's template picker offers for one conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateChoices {
    /// The conversation's channel, whose templates these are.
    pub channel_id: uuid::Uuid,
    pub contact: ContactFacts,
    /// The channel's approved templates, by name.
    pub templates: Vec<TemplateDefinition>,
    /// When the templates were last copied from WhatsApp; None if never.
    pub synced_at: Option<DateTime<Utc>>,
}

/// The outcome of copying a channel's templates from WhatsApp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    pub total: usize,
    pub approved: usize,
}

impl std::fmt::Display for SyncReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plural = if self.total == 1 { "" } else { "s" };
        write!(f, "{} template{plural}, {} approved", self.total, self.approved)
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use serde_json::json;

    fn order_update() -> TemplateDefinition {
        serde_json::from_value(json!({
            "name": "order_update", "language": "en_US", "status": "APPROVED", "category": "UTILITY", "id": "1",
            "components": [
                {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"},
                {"type": "BODY", "text": "Hi {{2}}, order {{1}} ships on {{3}}."},
                {"type": "FOOTER", "text": "Reply STOP to opt out"},
                {"type": "BUTTONS", "buttons": [
                    {"type": "QUICK_REPLY", "text": "Thanks"},
                    {"type": "URL", "text": "Track", "url": "https://shop.example.com/t/{{1}}"}
                ]}
            ]
        }))
        .unwrap()
    }

    fn welcome() -> TemplateDefinition {
        serde_json::from_value(json!({
            "name": "welcome", "language": "en", "status": "APPROVED", "category": "MARKETING", "id": "2",
            "parameter_format": "NAMED",
            "components": [{"type": "BODY", "text": "Welcome {{first_name}}! We will call {{phone}} about {{topic}}."}]
        }))
        .unwrap()
    }

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn fields_in_the_order_meta_expects() {
        let keys: Vec<String> = fields(&order_update()).unwrap().iter().map(TemplateField::key).collect();
        assert_eq!(keys, ["header-1", "body-1", "body-2", "body-3", "button-1-1"]);
        let labels: Vec<String> = fields(&welcome()).unwrap().iter().map(TemplateField::label).collect();
        assert_eq!(labels, ["Body {{first_name}}", "Body {{phone}}", "Body {{topic}}"]);
        let image: TemplateDefinition = serde_json::from_value(json!({
            "name": "promo", "language": "en", "status": "APPROVED", "category": "MARKETING",
            "components": [{"type": "HEADER", "format": "IMAGE"}, {"type": "BODY", "text": "New!"}]
        }))
        .unwrap();
        assert!(fields(&image).unwrap_err().contains("image header"));
        let coupon: TemplateDefinition = serde_json::from_value(json!({
            "name": "coupon", "language": "en", "status": "APPROVED", "category": "MARKETING",
            "components": [{"type": "BODY", "text": "Your code"}, {"type": "BUTTONS", "buttons": [{"type": "COPY_CODE", "example": "SAVE10"}]}]
        }))
        .unwrap();
        assert!(fields(&coupon).unwrap_err().contains("copy-code"));
    }

    #[test]
    fn prefills_named_values_from_the_contact() {
        let contact = ContactFacts { name: "Zoë Adams".into(), wa_id: "4915112345678".into() };
        assert_eq!(prefill(&fields(&welcome()).unwrap(), &contact), strings(&["Zoë", "+4915112345678", ""]));
        assert_eq!(prefill(&fields(&order_update()).unwrap(), &contact), vec![String::new(); 5]);
        let unnamed = ContactFacts { name: "+4915112345678".into(), wa_id: "4915112345678".into() };
        assert_eq!(prefill(&fields(&welcome()).unwrap(), &unnamed), strings(&["", "+4915112345678", ""]));
    }

    #[test]
    fn renders_what_the_customer_will_see() {
        let definition = order_update();
        let fields = fields(&definition).unwrap();
        let rendered = render(&definition, &fields, &strings(&["#42", "#42", "Ann", "", "42"]));
        assert_eq!(rendered.header.as_deref(), Some("Order #42"));
        assert_eq!(rendered.body, "Hi Ann, order #42 ships on {{3}}.");
        assert_eq!(rendered.footer.as_deref(), Some("Reply STOP to opt out"));
        assert_eq!(rendered.buttons, ["Thanks", "Track"]);
        assert_eq!(rendered.text(), "Order #42\n\nHi Ann, order #42 ships on {{3}}.\n\nReply STOP to opt out");
    }

    #[test]
    fn builds_a_checked_message_or_says_which_field_is_wrong() {
        let definition = order_update();
        let fields = fields(&definition).unwrap();
        let message = message(&definition, &fields, &strings(&["#42", "#42", "Ann", "Monday", "42"])).unwrap();
        assert_eq!(
            serde_json::to_value(&message).unwrap()["components"][1]["parameters"][1],
            json!({"type": "text", "text": "Ann"})
        );
        let errors = super::message(&definition, &fields, &strings(&["#42", "", "Ann\nB", "Monday", "42"])).unwrap_err();
        assert_eq!(errors.iter().map(|e| e.field).collect::<Vec<_>>(), [Some(1), Some(2)]);
        assert_eq!(errors[0].message, "Fill in Body {{1}}");
        assert!(errors[1].message.contains("line breaks"));
        let long_header = "h".repeat(61);
        let errors =
            super::message(&definition, &fields, &strings(&[&long_header, "#42", "Ann", "Monday", "42"])).unwrap_err();
        assert_eq!(errors[0].field, Some(0));
        let errors = super::message(&definition, &fields, &strings(&["#42"])).unwrap_err();
        assert_eq!(errors[0].field, None);
        let named = welcome();
        let named_fields = super::fields(&named).unwrap();
        let message = super::message(&named, &named_fields, &strings(&["Zoë", "+49151", "your order"])).unwrap();
        assert_eq!(
            serde_json::to_value(&message).unwrap()["components"][0]["parameters"][0],
            json!({"type": "text", "parameter_name": "first_name", "text": "Zoë"})
        );
    }

    #[test]
    fn sync_report_reads_as_a_sentence() {
        assert_eq!(SyncReport { total: 3, approved: 2 }.to_string(), "3 templates, 2 approved");
        assert_eq!(SyncReport { total: 1, approved: 0 }.to_string(), "1 template, 0 approved");
    }
}
