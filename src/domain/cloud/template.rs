//! Message templates: the definitions Meta reviews (`/{waba-id}/message_templates`), the
//! placeholders in their texts, and the template messages that fill those placeholders in.
//! A template message is checked against its definition before sending, because a wrong
//! parameter count is otherwise only discovered by Meta's error 132000.

use super::media::{MediaKind, MediaSource};
use super::send::{MessageRejected, limited, unique};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

/// A template's name: lowercase letters, digits and underscores, at most 512 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TemplateName(String);

impl TemplateName {
    pub const MAX: usize = 512;
    pub fn parse(raw: &str) -> Result<Self, MessageRejected> {
        let name = limited("Template name", raw.trim(), Self::MAX)?;
        if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return Err(MessageRejected::Invalid(format!(
                "Template name \"{name}\" may contain only lowercase letters a-z, digits and underscores"
            )));
        }
        Ok(Self(name))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A template language as Meta codes it: `en`, `en_US`, `pt_BR`, `fil`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TemplateLanguage(String);

impl TemplateLanguage {
    pub fn parse(raw: &str) -> Result<Self, MessageRejected> {
        let code = raw.trim();
        let (language, region) = code.split_once('_').unwrap_or((code, ""));
        let language_ok = (2..=3).contains(&language.len()) && language.bytes().all(|b| b.is_ascii_lowercase());
        let region_ok = region.is_empty() || (region.len() == 2 && region.bytes().all(|b| b.is_ascii_uppercase()));
        if !language_ok || !region_ok || code.ends_with('_') {
            return Err(MessageRejected::Invalid(format!(
                "\"{code}\" is not a template language code (like en or en_US)"
            )));
        }
        Ok(Self(code.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A variable in a template text: `{{1}}` (positional) or `{{first_name}}` (named).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Placeholder {
    Positional(u32),
    Named(String),
}

/// The distinct placeholders of a template text, in order of first appearance.
pub fn placeholders_in(text: &str) -> Vec<Placeholder> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let inner = &after[..end];
        let placeholder = if !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit()) {
            inner.parse().ok().map(Placeholder::Positional)
        } else if is_parameter_name(inner) {
            Some(Placeholder::Named(inner.to_owned()))
        } else {
            None
        };
        match placeholder {
            Some(p) => {
                if !found.contains(&p) {
                    found.push(p);
                }
                rest = &after[end + 2..];
            }
            None => rest = &rest[start + 1..],
        }
    }
    found
}

fn is_parameter_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

// ---------------------------------------------------------------------------------------------
// Sending a template

/// One value filling a placeholder (or a media header) of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateParameter(Parameter);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Parameter {
    Text { text: String, name: Option<String> },
    Currency { fallback_value: String, code: String, amount_1000: i64 },
    DateTime { fallback_value: String },
    Media { kind: MediaKind, source: MediaSource, filename: Option<String> },
}

impl TemplateParameter {
    pub const MAX_TEXT: usize = 1024;

    /// A value for a positional placeholder (`{{1}}`).
    pub fn text(value: &str) -> Result<Self, MessageRejected> {
        Ok(Self(Parameter::Text { text: limited("Template parameters", value, Self::MAX_TEXT)?, name: None }))
    }

    /// A value for a named placeholder (`{{first_name}}`).
    pub fn named(name: &str, value: &str) -> Result<Self, MessageRejected> {
        if !is_parameter_name(name) {
            return Err(MessageRejected::Invalid(format!(
                "Parameter name \"{name}\" may contain only lowercase letters, digits and underscores"
            )));
        }
        let text = limited("Template parameters", value, Self::MAX_TEXT)?;
        Ok(Self(Parameter::Text { text, name: Some(name.to_owned()) }))
    }

    /// An amount shown in the customer's locale; `fallback_value` where that is unsupported.
    pub fn currency(fallback_value: &str, code: &str, amount_1000: i64) -> Result<Self, MessageRejected> {
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(MessageRejected::Invalid(format!("\"{code}\" is not an ISO 4217 currency code (like EUR)")));
        }
        Ok(Self(Parameter::Currency {
            fallback_value: limited("Currency fallback value", fallback_value, 1024)?,
            code: code.to_owned(),
            amount_1000,
        }))
    }

    pub fn date_time(fallback_value: &str) -> Result<Self, MessageRejected> {
        Ok(Self(Parameter::DateTime { fallback_value: limited("Date fallback value", fallback_value, 1024)? }))
    }

    pub fn image(source: MediaSource) -> Self {
        Self(Parameter::Media { kind: MediaKind::Image, source, filename: None })
    }
    pub fn video(source: MediaSource) -> Self {
        Self(Parameter::Media { kind: MediaKind::Video, source, filename: None })
    }
    pub fn document(source: MediaSource, filename: Option<&str>) -> Result<Self, MessageRejected> {
        let filename =
            filename.map(str::trim).filter(|f| !f.is_empty()).map(|f| limited("File name", f, 240)).transpose()?;
        Ok(Self(Parameter::Media { kind: MediaKind::Document, source, filename }))
    }

    fn name(&self) -> Option<&str> {
        match &self.0 {
            Parameter::Text { name, .. } => name.as_deref(),
            _ => None,
        }
    }
    fn media_kind(&self) -> Option<MediaKind> {
        match &self.0 {
            Parameter::Media { kind, .. } => Some(*kind),
            _ => None,
        }
    }
}

impl Serialize for TemplateParameter {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Currency<'a> {
            fallback_value: &'a str,
            code: &'a str,
            amount_1000: i64,
        }
        #[derive(Serialize)]
        struct DateTime<'a> {
            fallback_value: &'a str,
        }
        #[derive(Serialize)]
        struct Media<'a> {
            #[serde(flatten)]
            source: &'a MediaSource,
            #[serde(skip_serializing_if = "Option::is_none")]
            filename: Option<&'a str>,
        }
        let mut map = serializer.serialize_map(None)?;
        match &self.0 {
            Parameter::Text { text, name } => {
                map.serialize_entry("type", "text")?;
                if let Some(name) = name {
                    map.serialize_entry("parameter_name", name)?;
                }
                map.serialize_entry("text", text)?;
            }
            Parameter::Currency { fallback_value, code, amount_1000 } => {
                map.serialize_entry("type", "currency")?;
                map.serialize_entry("currency", &Currency { fallback_value, code, amount_1000: *amount_1000 })?;
            }
            Parameter::DateTime { fallback_value } => {
                map.serialize_entry("type", "date_time")?;
                map.serialize_entry("date_time", &DateTime { fallback_value })?;
            }
            Parameter::Media { kind, source, filename } => {
                map.serialize_entry("type", kind.as_str())?;
                map.serialize_entry(kind.as_str(), &Media { source, filename: filename.as_deref() })?;
            }
        }
        map.end()
    }
}

/// The parameters of one part of a template: its header, its body, or one of its buttons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateComponent(Component);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Component {
    Header(TemplateParameter),
    Body(Vec<TemplateParameter>),
    QuickReply { index: u8, payload: String },
    Url { index: u8, text: String },
}

/// Buttons are addressed by their position in the template, 0 to 9.
const MAX_BUTTONS: usize = 10;

fn button_index(index: u8) -> Result<u8, MessageRejected> {
    if usize::from(index) >= MAX_BUTTONS {
        return Err(MessageRejected::Invalid(format!("Button index {index} is out of range (0 to 9)")));
    }
    Ok(index)
}

impl TemplateComponent {
    pub const MAX_HEADER_TEXT: usize = 60;

    /// The header's one value: the text for its placeholder, or its image, video or document.
    pub fn header(parameter: TemplateParameter) -> Result<Self, MessageRejected> {
        match &parameter.0 {
            Parameter::Text { text, .. } => {
                limited("Header parameter", text, Self::MAX_HEADER_TEXT)?;
            }
            Parameter::Currency { .. } | Parameter::DateTime { .. } => {
                return Err(MessageRejected::NotAllowed(
                    "A template header takes text or media, not amounts or dates".into(),
                ));
            }
            Parameter::Media { .. } => {}
        }
        Ok(Self(Component::Header(parameter)))
    }

    /// The body's values, in placeholder order (positional) or by name (named), not mixed.
    pub fn body(parameters: Vec<TemplateParameter>) -> Result<Self, MessageRejected> {
        if parameters.is_empty() {
            return Err(MessageRejected::Missing { what: "Body parameters".into() });
        }
        for parameter in &parameters {
            match &parameter.0 {
                Parameter::Media { .. } => {
                    return Err(MessageRejected::NotAllowed("Media can only fill a template's header".into()));
                }
                // Meta refuses these in body parameters (error 132018).
                Parameter::Text { text, .. } if text.contains(['\n', '\t']) || text.contains("     ") => {
                    return Err(MessageRejected::Invalid(format!(
                        "Body parameters cannot contain line breaks, tabs or more than 4 spaces in a row (\"{text}\")"
                    )));
                }
                _ => {}
            }
        }
        let named = parameters.iter().filter(|p| p.name().is_some()).count();
        if named != 0 && named != parameters.len() {
            return Err(MessageRejected::Invalid("Body parameters must be either all named or all positional".into()));
        }
        unique("Parameter names", parameters.iter().filter_map(TemplateParameter::name))?;
        Ok(Self(Component::Body(parameters)))
    }

    /// The payload that comes back when the customer taps quick-reply button `index`.
    pub fn quick_reply(index: u8, payload: &str) -> Result<Self, MessageRejected> {
        Ok(Self(Component::QuickReply {
            index: button_index(index)?,
            payload: limited("Button payload", payload, 1000)?,
        }))
    }

    /// The variable end of URL button `index`'s address (its `{{1}}`).
    pub fn url_button(index: u8, text: &str) -> Result<Self, MessageRejected> {
        Ok(Self(Component::Url { index: button_index(index)?, text: limited("URL button parameter", text, 2000)? }))
    }
}

impl Serialize for TemplateComponent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Payload<'a> {
            r#type: &'static str,
            payload: &'a str,
        }
        #[derive(Serialize)]
        struct Text<'a> {
            r#type: &'static str,
            text: &'a str,
        }
        let mut map = serializer.serialize_map(None)?;
        match &self.0 {
            Component::Header(parameter) => {
                map.serialize_entry("type", "header")?;
                map.serialize_entry("parameters", std::slice::from_ref(parameter))?;
            }
            Component::Body(parameters) => {
                map.serialize_entry("type", "body")?;
                map.serialize_entry("parameters", parameters)?;
            }
            Component::QuickReply { index, payload } => {
                map.serialize_entry("type", "button")?;
                map.serialize_entry("sub_type", "quick_reply")?;
                map.serialize_entry("index", &index.to_string())?;
                map.serialize_entry("parameters", &[Payload { r#type: "payload", payload }])?;
            }
            Component::Url { index, text } => {
                map.serialize_entry("type", "button")?;
                map.serialize_entry("sub_type", "url")?;
                map.serialize_entry("index", &index.to_string())?;
                map.serialize_entry("parameters", &[Text { r#type: "text", text }])?;
            }
        }
        map.end()
    }
}

/// A template message: an approved template by name and language, with its values filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateMessage {
    name: TemplateName,
    language: TemplateLanguage,
    components: Vec<TemplateComponent>,
}

impl TemplateMessage {
    pub fn new(
        name: TemplateName,
        language: TemplateLanguage,
        components: Vec<TemplateComponent>,
    ) -> Result<Self, MessageRejected> {
        let headers = components.iter().filter(|c| matches!(c.0, Component::Header(_))).count();
        let bodies = components.iter().filter(|c| matches!(c.0, Component::Body(_))).count();
        if headers > 1 || bodies > 1 {
            return Err(MessageRejected::Invalid("A template message fills at most one header and one body".into()));
        }
        let mut indexes = components
            .iter()
            .filter_map(|c| match c.0 {
                Component::QuickReply { index, .. } | Component::Url { index, .. } => Some(index),
                _ => None,
            })
            .collect::<Vec<_>>();
        let buttons = indexes.len();
        indexes.sort_unstable();
        indexes.dedup();
        if indexes.len() != buttons {
            return Err(MessageRejected::Invalid("Each template button can be filled in only once".into()));
        }
        Ok(Self { name, language, components })
    }

    pub fn name(&self) -> &TemplateName {
        &self.name
    }
    pub fn language(&self) -> &TemplateLanguage {
        &self.language
    }

    fn header(&self) -> Option<&TemplateParameter> {
        self.components.iter().find_map(|c| match &c.0 {
            Component::Header(p) => Some(p),
            _ => None,
        })
    }
    fn body(&self) -> &[TemplateParameter] {
        self.components
            .iter()
            .find_map(|c| match &c.0 {
                Component::Body(p) => Some(p.as_slice()),
                _ => None,
            })
            .unwrap_or_default()
    }
}

impl Serialize for TemplateMessage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Language<'a> {
            code: &'a str,
        }
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("name", self.name.as_str())?;
        map.serialize_entry("language", &Language { code: self.language.as_str() })?;
        if !self.components.is_empty() {
            map.serialize_entry("components", &self.components)?;
        }
        map.end()
    }
}

// ---------------------------------------------------------------------------------------------
// Template definitions, as Meta lists them and as Parley submits them for review

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TemplateCategory {
    Marketing,
    Utility,
    Authentication,
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TemplateStatus {
    Approved,
    Pending,
    Rejected,
    Paused,
    Disabled,
    InAppeal,
    PendingDeletion,
    Deleted,
    LimitExceeded,
    Archived,
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ParameterFormat {
    Positional,
    Named,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HeaderFormat {
    Text,
    Image,
    Video,
    Document,
    Location,
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedExample {
    pub param_name: String,
    pub example: String,
}

/// Sample values Meta's reviewers see in place of the placeholders.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateExample {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub header_text: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub header_text_named_params: Vec<NamedExample>,
    /// Media headers: handles from the resumable upload API.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub header_handle: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub body_text: Vec<Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub body_text_named_params: Vec<NamedExample>,
}

/// One part of a template definition. Kinds Parley does not model (carousels, offers...) are
/// listed as `Other` so one unusual template does not hide the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TemplateSection {
    Header {
        format: HeaderFormat,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        example: Option<TemplateExample>,
    },
    Body {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        example: Option<TemplateExample>,
    },
    Footer {
        text: String,
    },
    Buttons {
        buttons: Vec<TemplateButton>,
    },
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ExampleValue {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TemplateButton {
    QuickReply {
        text: String,
    },
    Url {
        text: String,
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        example: Option<ExampleValue>,
    },
    PhoneNumber {
        text: String,
        phone_number: String,
    },
    CopyCode {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        example: Option<ExampleValue>,
    },
    #[serde(other)]
    Other,
}

/// A template as `GET /{waba-id}/message_templates` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateDefinition {
    #[serde(default)]
    pub id: String,
    pub name: String,
    pub language: String,
    pub status: TemplateStatus,
    pub category: TemplateCategory,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter_format: Option<ParameterFormat>,
    #[serde(default)]
    pub components: Vec<TemplateSection>,
}

impl TemplateDefinition {
    pub fn header(&self) -> Option<(HeaderFormat, Option<&str>)> {
        self.components.iter().find_map(|c| match c {
            TemplateSection::Header { format, text, .. } => Some((*format, text.as_deref())),
            _ => None,
        })
    }
    pub fn body_text(&self) -> &str {
        self.components
            .iter()
            .find_map(|c| match c {
                TemplateSection::Body { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .unwrap_or_default()
    }
    pub fn footer_text(&self) -> Option<&str> {
        self.components.iter().find_map(|c| match c {
            TemplateSection::Footer { text } => Some(text.as_str()),
            _ => None,
        })
    }
    pub fn buttons(&self) -> &[TemplateButton] {
        self.components
            .iter()
            .find_map(|c| match c {
                TemplateSection::Buttons { buttons } => Some(buttons.as_slice()),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// The body's placeholders, each once, in order of first appearance.
    pub fn placeholders(&self) -> Vec<Placeholder> {
        placeholders_in(self.body_text())
    }

    /// A template message for this template, checked against it.
    pub fn message(&self, components: Vec<TemplateComponent>) -> Result<TemplateMessage, MessageRejected> {
        let message = TemplateMessage::new(
            TemplateName::parse(&self.name)?,
            TemplateLanguage::parse(&self.language)?,
            components,
        )?;
        self.check_parameters(&message)?;
        Ok(message)
    }

    /// Whether `message` fills in exactly what this template asks for: Meta's errors 132000
    /// (parameter count) and 132012 (parameter format), caught before sending.
    pub fn check_parameters(&self, message: &TemplateMessage) -> Result<(), MessageRejected> {
        if message.name.as_str() != self.name || message.language.as_str() != self.language {
            return Err(MessageRejected::Invalid(format!(
                "The message is for template \"{}\" ({}), not \"{}\" ({})",
                message.name.as_str(),
                message.language.as_str(),
                self.name,
                self.language
            )));
        }
        self.check_header(message.header())?;
        check_values(&format!("The body of template \"{}\"", self.name), &self.placeholders(), message.body())?;
        self.check_buttons(message)
    }

    fn check_header(&self, given: Option<&TemplateParameter>) -> Result<(), MessageRejected> {
        let what = format!("The header of template \"{}\"", self.name);
        match (self.header(), given) {
            (None, None) => Ok(()),
            (None, Some(_)) => {
                Err(MessageRejected::NotAllowed(format!("Template \"{}\" has no header to fill in", self.name)))
            }
            (Some((HeaderFormat::Text, text)), given) => check_values(
                &what,
                &placeholders_in(text.unwrap_or_default()),
                given.map(std::slice::from_ref).unwrap_or_default(),
            ),
            (Some((format, _)), given) => {
                let kind = match format {
                    HeaderFormat::Image => MediaKind::Image,
                    HeaderFormat::Video => MediaKind::Video,
                    HeaderFormat::Document => MediaKind::Document,
                    _ => {
                        return Err(MessageRejected::NotAllowed(format!(
                            "{what} is of a kind Parley cannot fill in yet"
                        )));
                    }
                };
                if given.and_then(TemplateParameter::media_kind) == Some(kind) {
                    Ok(())
                } else {
                    Err(MessageRejected::Missing { what: format!("{what}'s {}", kind.as_str()) })
                }
            }
        }
    }

    fn check_buttons(&self, message: &TemplateMessage) -> Result<(), MessageRejected> {
        let buttons = self.buttons();
        for component in &message.components {
            let (index, fits) = match &component.0 {
                Component::QuickReply { index, .. } => {
                    (*index, matches!(buttons.get(usize::from(*index)), Some(TemplateButton::QuickReply { .. })))
                }
                Component::Url { index, .. } => (*index, buttons.get(usize::from(*index)).is_some_and(has_dynamic_url)),
                _ => continue,
            };
            if !fits {
                return Err(MessageRejected::NotAllowed(format!(
                    "Button {index} of template \"{}\" does not take that parameter",
                    self.name
                )));
            }
        }
        for (index, button) in buttons.iter().enumerate() {
            let dynamic_url = has_dynamic_url(button);
            let filled = message
                .components
                .iter()
                .any(|c| matches!(c.0, Component::Url { index: i, .. } if usize::from(i) == index));
            if dynamic_url && !filled {
                return Err(MessageRejected::Missing {
                    what: format!("The URL parameter of button {index} of template \"{}\"", self.name),
                });
            }
        }
        Ok(())
    }
}

/// A URL button whose address ends in `{{1}}`, filled in per message.
fn has_dynamic_url(button: &TemplateButton) -> bool {
    matches!(button, TemplateButton::Url { url, .. } if !placeholders_in(url).is_empty())
}

fn check_values(what: &str, expected: &[Placeholder], given: &[TemplateParameter]) -> Result<(), MessageRejected> {
    if expected.len() != given.len() {
        return Err(MessageRejected::Invalid(format!(
            "{what} has {} placeholder{}, {} value{} given",
            expected.len(),
            if expected.len() == 1 { "" } else { "s" },
            given.len(),
            if given.len() == 1 { "" } else { "s" },
        )));
    }
    for placeholder in expected {
        match placeholder {
            Placeholder::Named(name) if !given.iter().any(|p| p.name() == Some(name)) => {
                return Err(MessageRejected::Missing { what: format!("{what}'s value for {{{{{name}}}}}") });
            }
            Placeholder::Positional(n) if given.iter().any(|p| p.name().is_some()) => {
                return Err(MessageRejected::Invalid(format!(
                    "{what} uses positional placeholders ({{{{{n}}}}}), not names"
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

/// `POST /{waba-id}/message_templates`: a template submitted for review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewTemplate {
    name: TemplateName,
    language: TemplateLanguage,
    category: TemplateCategory,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameter_format: Option<ParameterFormat>,
    components: Vec<TemplateSection>,
}

impl NewTemplate {
    pub const MAX_BODY: usize = 1024;
    pub const MAX_HEADER: usize = 60;
    pub const MAX_FOOTER: usize = 60;
    pub const MAX_BUTTON_TEXT: usize = 25;

    pub fn new(
        name: TemplateName,
        language: TemplateLanguage,
        category: TemplateCategory,
        components: Vec<TemplateSection>,
    ) -> Result<Self, MessageRejected> {
        if category == TemplateCategory::Other {
            return Err(MessageRejected::Missing { what: "Template category".into() });
        }
        let count = |f: fn(&TemplateSection) -> bool| components.iter().filter(|c| f(c)).count();
        if count(|c| matches!(c, TemplateSection::Body { .. })) != 1 {
            return Err(MessageRejected::Invalid("A template has exactly one body".into()));
        }
        if count(|c| matches!(c, TemplateSection::Header { .. })) > 1
            || count(|c| matches!(c, TemplateSection::Footer { .. })) > 1
            || count(|c| matches!(c, TemplateSection::Buttons { .. })) > 1
        {
            return Err(MessageRejected::Invalid(
                "A template has at most one header, one footer and one row of buttons".into(),
            ));
        }
        for component in &components {
            match component {
                TemplateSection::Header { format, text, example } => {
                    check_new_header(*format, text.as_deref(), example.as_ref())?
                }
                TemplateSection::Body { text, example } => check_new_body(text, example.as_ref())?,
                TemplateSection::Footer { text } => {
                    limited("Footer", text, Self::MAX_FOOTER)?;
                    if !placeholders_in(text).is_empty() {
                        return Err(MessageRejected::NotAllowed("A template footer cannot have placeholders".into()));
                    }
                }
                TemplateSection::Buttons { buttons } => check_new_buttons(buttons)?,
                TemplateSection::Other => {
                    return Err(MessageRejected::NotAllowed(
                        "Parley can only submit headers, bodies, footers and buttons".into(),
                    ));
                }
            }
        }
        // Meta takes one parameter format for the whole template, header and body alike.
        let placeholders = components
            .iter()
            .filter_map(|c| match c {
                TemplateSection::Header { text, .. } => text.as_deref(),
                TemplateSection::Body { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .flat_map(placeholders_in)
            .collect::<Vec<_>>();
        let named = placeholders.iter().filter(|p| matches!(p, Placeholder::Named(_))).count();
        if named != 0 && named != placeholders.len() {
            return Err(MessageRejected::Invalid("Placeholders must be either all numbered or all named".into()));
        }
        let parameter_format = (named != 0).then_some(ParameterFormat::Named);
        Ok(Self { name, language, category, parameter_format, components })
    }

    pub fn name(&self) -> &TemplateName {
        &self.name
    }
}

fn check_new_header(
    format: HeaderFormat,
    text: Option<&str>,
    example: Option<&TemplateExample>,
) -> Result<(), MessageRejected> {
    match format {
        HeaderFormat::Text => {
            let text = limited("Header", text.unwrap_or_default(), NewTemplate::MAX_HEADER)?;
            let placeholders = placeholders_in(&text);
            if placeholders.len() > 1 {
                return Err(MessageRejected::count("Header placeholders", 0, 1, placeholders.len()));
            }
            let examples = example.map(|e| e.header_text.len() + e.header_text_named_params.len()).unwrap_or(0);
            if placeholders.len() != examples {
                return Err(MessageRejected::Missing { what: "An example for the header's placeholder".into() });
            }
            Ok(())
        }
        HeaderFormat::Image | HeaderFormat::Video | HeaderFormat::Document => {
            if example.is_none_or(|e| e.header_handle.is_empty()) {
                return Err(MessageRejected::Missing { what: "A sample file for the media header".into() });
            }
            Ok(())
        }
        HeaderFormat::Location => Ok(()),
        HeaderFormat::Other => Err(MessageRejected::Missing { what: "Header format".into() }),
    }
}

/// Checks a body and that each of its placeholders has an example.
fn check_new_body(text: &str, example: Option<&TemplateExample>) -> Result<(), MessageRejected> {
    let text = limited("Body", text, NewTemplate::MAX_BODY)?;
    let placeholders = placeholders_in(&text);
    if placeholders.is_empty() {
        return Ok(());
    }
    let trimmed = text.trim();
    if trimmed.starts_with("{{") || trimmed.ends_with("}}") {
        return Err(MessageRejected::NotAllowed("A template body cannot start or end with a placeholder".into()));
    }
    let named = placeholders.iter().filter(|p| matches!(p, Placeholder::Named(_))).count();
    if named != 0 && named != placeholders.len() {
        return Err(MessageRejected::Invalid("Placeholders must be either all numbered or all named".into()));
    }
    if named == 0 {
        let mut numbers = placeholders
            .iter()
            .filter_map(|p| match p {
                Placeholder::Positional(n) => Some(*n),
                Placeholder::Named(_) => None,
            })
            .collect::<Vec<_>>();
        numbers.sort_unstable();
        if numbers.iter().zip(1..).any(|(n, expected)| *n != expected) {
            return Err(MessageRejected::Invalid("Numbered placeholders must run {{1}}, {{2}}, … without gaps".into()));
        }
        let examples = example.and_then(|e| e.body_text.first()).map_or(0, Vec::len);
        if examples != placeholders.len() {
            return Err(MessageRejected::Missing { what: "An example for each body placeholder".into() });
        }
        return Ok(());
    }
    let examples = example.map(|e| e.body_text_named_params.as_slice()).unwrap_or_default();
    for placeholder in &placeholders {
        if let Placeholder::Named(name) = placeholder
            && !examples.iter().any(|e| &e.param_name == name)
        {
            return Err(MessageRejected::Missing { what: format!("An example for {{{{{name}}}}}") });
        }
    }
    Ok(())
}

fn check_new_buttons(buttons: &[TemplateButton]) -> Result<(), MessageRejected> {
    if !(1..=MAX_BUTTONS).contains(&buttons.len()) {
        return Err(MessageRejected::count("Buttons", 1, MAX_BUTTONS, buttons.len()));
    }
    let of = |f: fn(&TemplateButton) -> bool| buttons.iter().filter(|b| f(b)).count();
    let urls = of(|b| matches!(b, TemplateButton::Url { .. }));
    if urls > 2 {
        return Err(MessageRejected::count("URL buttons", 0, 2, urls));
    }
    let phones = of(|b| matches!(b, TemplateButton::PhoneNumber { .. }));
    if phones > 1 {
        return Err(MessageRejected::count("Phone number buttons", 0, 1, phones));
    }
    let codes = of(|b| matches!(b, TemplateButton::CopyCode { .. }));
    if codes > 1 {
        return Err(MessageRejected::count("Copy code buttons", 0, 1, codes));
    }
    for button in buttons {
        match button {
            TemplateButton::QuickReply { text } => {
                limited("Button texts", text, NewTemplate::MAX_BUTTON_TEXT)?;
            }
            TemplateButton::Url { text, url, example } => {
                limited("Button texts", text, NewTemplate::MAX_BUTTON_TEXT)?;
                MediaSource::link(url)
                    .map_err(|_| MessageRejected::Invalid(format!("\"{url}\" is not an http(s) address")))?;
                match placeholders_in(url).as_slice() {
                    [] => {}
                    [Placeholder::Positional(1)] if url.ends_with("{{1}}") => {
                        if example.is_none() {
                            return Err(MessageRejected::Missing { what: format!("An example address for \"{url}\"") });
                        }
                    }
                    _ => {
                        return Err(MessageRejected::Invalid(
                            "A button's address may only end with one placeholder, {{1}}".into(),
                        ));
                    }
                }
            }
            TemplateButton::PhoneNumber { text, phone_number } => {
                limited("Button texts", text, NewTemplate::MAX_BUTTON_TEXT)?;
                crate::domain::PhoneNumber::parse(phone_number)
                    .map_err(|e| MessageRejected::Invalid(format!("Button phone number: {e}")))?;
            }
            TemplateButton::CopyCode { example } => {
                if example.is_none() {
                    return Err(MessageRejected::Missing { what: "An example code for the copy code button".into() });
                }
            }
            TemplateButton::Other => {
                return Err(MessageRejected::NotAllowed(
                    "Parley can only submit quick reply, URL, phone and copy code buttons".into(),
                ));
            }
        }
    }
    Ok(())
}

/// Meta's answer to a template submission: review has started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedTemplate {
    pub id: String,
    pub status: TemplateStatus,
    pub category: TemplateCategory,
}

/// One page of `GET /{waba-id}/message_templates`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TemplatePage {
    pub data: Vec<TemplateDefinition>,
    #[serde(default)]
    pub paging: Option<Paging>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Paging {
    /// The next page's full address, absent on the last page.
    #[serde(default)]
    pub next: Option<String>,
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(v: &str) -> TemplateParameter {
        TemplateParameter::text(v).unwrap()
    }

    fn order_update() -> TemplateDefinition {
        serde_json::from_value(json!({
            "name": "order_update",
            "parameter_format": "POSITIONAL",
            "components": [
                {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW1hZ2U="]}},
                {"type": "BODY", "text": "Hi {{1}}, your order {{2}} ships on {{3}}. Thanks, {{1}}!",
                 "example": {"body_text": [["Ada", "#42", "Monday"]]}},
                {"type": "FOOTER", "text": "Reply STOP to opt out"},
                {"type": "BUTTONS", "buttons": [
                    {"type": "QUICK_REPLY", "text": "Stop promotions"},
                    {"type": "URL", "text": "Track", "url": "https://shop.example.com/track/{{1}}",
                     "example": ["https://shop.example.com/track/42"]},
                    {"type": "PHONE_NUMBER", "text": "Call us", "phone_number": "+15550001111"}
                ]}
            ],
            "language": "en_US",
            "status": "APPROVED",
            "category": "UTILITY",
            "id": "1192339204654487"
        }))
        .unwrap()
    }

    #[test]
    fn finds_placeholders() {
        assert_eq!(
            placeholders_in("Hi {{1}}, {{2}} and {{1}} again"),
            vec![Placeholder::Positional(1), Placeholder::Positional(2)]
        );
        assert_eq!(
            placeholders_in("Dear {{first_name}}, {{ not one }} {{Caps}} {{x"),
            vec![Placeholder::Named("first_name".into())]
        );
        assert_eq!(placeholders_in("{{{1}}}"), vec![Placeholder::Positional(1)]);
        assert!(placeholders_in("no variables").is_empty());
        assert_eq!(order_update().placeholders().len(), 3);
    }

    #[test]
    fn reads_meta_template_list_items_including_unknown_kinds() {
        let definition = order_update();
        assert_eq!(definition.status, TemplateStatus::Approved);
        assert_eq!(definition.category, TemplateCategory::Utility);
        assert_eq!(definition.header(), Some((HeaderFormat::Image, None)));
        assert_eq!(definition.footer_text(), Some("Reply STOP to opt out"));
        assert_eq!(definition.buttons().len(), 3);
        let unusual: TemplateDefinition = serde_json::from_value(json!({
            "name": "carousel_promo", "language": "de", "status": "SOMETHING_NEW", "category": "MARKETING", "id": "1",
            "components": [{"type": "BODY", "text": "Hallo"}, {"type": "CAROUSEL", "cards": []},
                           {"type": "BUTTONS", "buttons": [{"type": "FLOW", "text": "Open", "flow_id": "9"},
                                                           {"type": "COPY_CODE", "example": ["CODE"]}]}]
        }))
        .unwrap();
        assert_eq!(unusual.status, TemplateStatus::Other);
        assert_eq!(unusual.components[1], TemplateSection::Other);
        assert_eq!(unusual.buttons()[0], TemplateButton::Other);
    }

    #[test]
    fn template_message_wire_format_with_every_parameter_kind() {
        let message = TemplateMessage::new(
            TemplateName::parse("order_update").unwrap(),
            TemplateLanguage::parse("en_US").unwrap(),
            vec![
                TemplateComponent::header(TemplateParameter::image(MediaSource::link("https://e.com/p.jpg").unwrap()))
                    .unwrap(),
                TemplateComponent::body(vec![
                    text("Ada"),
                    TemplateParameter::currency("€12.50", "EUR", 12_500).unwrap(),
                    TemplateParameter::date_time("Monday, 3 March").unwrap(),
                ])
                .unwrap(),
                TemplateComponent::quick_reply(0, "STOP").unwrap(),
                TemplateComponent::url_button(1, "42").unwrap(),
            ],
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&message).unwrap(),
            json!({
                "name": "order_update",
                "language": {"code": "en_US"},
                "components": [
                    {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://e.com/p.jpg"}}]},
                    {"type": "body", "parameters": [
                        {"type": "text", "text": "Ada"},
                        {"type": "currency", "currency": {"fallback_value": "€12.50", "code": "EUR", "amount_1000": 12500}},
                        {"type": "date_time", "date_time": {"fallback_value": "Monday, 3 March"}}
                    ]},
                    {"type": "button", "sub_type": "quick_reply", "index": "0", "parameters": [{"type": "payload", "payload": "STOP"}]},
                    {"type": "button", "sub_type": "url", "index": "1", "parameters": [{"type": "text", "text": "42"}]}
                ]
            })
        );
        let named = TemplateComponent::body(vec![TemplateParameter::named("first_name", "Ada").unwrap()]).unwrap();
        assert_eq!(
            serde_json::to_value(&named).unwrap(),
            json!({"type": "body", "parameters": [{"type": "text", "parameter_name": "first_name", "text": "Ada"}]})
        );
        let document = TemplateParameter::document(MediaSource::id("77").unwrap(), Some("menu.pdf")).unwrap();
        assert_eq!(
            serde_json::to_value(&document).unwrap(),
            json!({"type": "document", "document": {"id": "77", "filename": "menu.pdf"}})
        );
        let hello = TemplateMessage::new(
            TemplateName::parse("hello_world").unwrap(),
            TemplateLanguage::parse("en_US").unwrap(),
            vec![],
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&hello).unwrap(),
            json!({"name": "hello_world", "language": {"code": "en_US"}})
        );
    }

    #[test]
    fn parameter_rules() {
        assert!(TemplateComponent::body(vec![text("a\nb")]).is_err());
        assert!(TemplateComponent::body(vec![text("a     b")]).is_err());
        assert!(TemplateComponent::body(vec![text("a    b")]).is_ok());
        let mixed = vec![text("a"), TemplateParameter::named("x", "b").unwrap()];
        assert!(TemplateComponent::body(mixed).is_err());
        assert!(TemplateComponent::header(text(&"h".repeat(60))).is_ok());
        assert!(TemplateComponent::header(text(&"h".repeat(61))).is_err());
        assert!(TemplateComponent::quick_reply(9, "p").is_ok());
        assert!(TemplateComponent::quick_reply(10, "p").is_err());
        assert!(TemplateParameter::currency("12", "eur", 1).is_err());
        assert!(TemplateParameter::named("First", "x").is_err());
        assert!(TemplateName::parse("Order-Update").is_err());
        assert!(TemplateName::parse("order_update_2").is_ok());
        assert!(TemplateLanguage::parse("en_US").is_ok());
        assert!(TemplateLanguage::parse("fil").is_ok());
        assert!(TemplateLanguage::parse("en-US").is_err());
        assert!(TemplateLanguage::parse("en_").is_err());
    }

    fn filled(body: Vec<TemplateParameter>, url: Option<&str>) -> Vec<TemplateComponent> {
        let mut components = vec![
            TemplateComponent::header(TemplateParameter::image(MediaSource::id("5").unwrap())).unwrap(),
            TemplateComponent::body(body).unwrap(),
        ];
        if let Some(url) = url {
            components.push(TemplateComponent::url_button(1, url).unwrap());
        }
        components
    }

    #[test]
    fn checks_parameters_against_the_definition() {
        let definition = order_update();
        assert!(definition.message(filled(vec![text("Ada"), text("#42"), text("Monday")], Some("42"))).is_ok());
        assert_eq!(
            definition.message(filled(vec![text("Ada"), text("#42")], Some("42"))).unwrap_err().to_string(),
            "The body of template \"order_update\" has 3 placeholders, 2 values given"
        );
        assert!(definition.message(filled(vec![text("a"), text("b"), text("c"), text("d")], Some("42"))).is_err());
        assert!(definition.message(filled(vec![text("Ada"), text("#42"), text("Monday")], None)).is_err());
        let no_header = vec![
            TemplateComponent::body(vec![text("Ada"), text("#42"), text("Monday")]).unwrap(),
            TemplateComponent::url_button(1, "42").unwrap(),
        ];
        assert!(matches!(definition.message(no_header), Err(MessageRejected::Missing { .. })));
        let mut wrong_button = filled(vec![text("Ada"), text("#42"), text("Monday")], Some("42"));
        wrong_button.push(TemplateComponent::quick_reply(2, "x").unwrap());
        assert!(matches!(definition.message(wrong_button), Err(MessageRejected::NotAllowed(_))));
        let other = TemplateMessage::new(
            TemplateName::parse("other").unwrap(),
            TemplateLanguage::parse("en_US").unwrap(),
            vec![],
        )
        .unwrap();
        assert!(definition.check_parameters(&other).is_err());
    }

    #[test]
    fn checks_named_parameters() {
        let definition: TemplateDefinition = serde_json::from_value(json!({
            "name": "welcome", "language": "en", "status": "APPROVED", "category": "MARKETING", "id": "2",
            "parameter_format": "NAMED",
            "components": [{"type": "HEADER", "format": "TEXT", "text": "Hello {{first_name}}"},
                           {"type": "BODY", "text": "Welcome {{first_name}}, your code is {{code}}."}]
        }))
        .unwrap();
        let header = |v| TemplateComponent::header(TemplateParameter::named("first_name", v).unwrap()).unwrap();
        let body = |a, b| {
            TemplateComponent::body(vec![
                TemplateParameter::named(a, "Ada").unwrap(),
                TemplateParameter::named(b, "X1").unwrap(),
            ])
            .unwrap()
        };
        assert!(definition.message(vec![header("Ada"), body("first_name", "code")]).is_ok());
        assert!(definition.message(vec![header("Ada"), body("first_name", "coupon")]).is_err());
        assert!(definition.message(vec![body("first_name", "code")]).is_err());
        let positional = TemplateComponent::body(vec![text("Ada"), text("X1")]).unwrap();
        assert!(definition.message(vec![header("Ada"), positional]).is_err());
    }

    fn body(text: &str, examples: &[&str]) -> TemplateSection {
        TemplateSection::Body {
            text: text.into(),
            example: (!examples.is_empty()).then(|| TemplateExample {
                body_text: vec![examples.iter().map(|e| e.to_string()).collect()],
                ..Default::default()
            }),
        }
    }

    fn new_template(components: Vec<TemplateSection>) -> Result<NewTemplate, MessageRejected> {
        NewTemplate::new(
            TemplateName::parse("order_update").unwrap(),
            TemplateLanguage::parse("en_US").unwrap(),
            TemplateCategory::Utility,
            components,
        )
    }

    #[test]
    fn new_template_wire_format() {
        let template = new_template(vec![
            TemplateSection::Header { format: HeaderFormat::Text, text: Some("Your order".into()), example: None },
            body("Hi {{1}}, order {{2}} is on its way.", &["Ada", "#42"]),
            TemplateSection::Footer { text: "Thanks for shopping".into() },
            TemplateSection::Buttons {
                buttons: vec![
                    TemplateButton::QuickReply { text: "Stop".into() },
                    TemplateButton::Url {
                        text: "Track".into(),
                        url: "https://e.com/t/{{1}}".into(),
                        example: Some(ExampleValue::Many(vec!["https://e.com/t/42".into()])),
                    },
                ],
            },
        ])
        .unwrap();
        assert_eq!(
            serde_json::to_value(&template).unwrap(),
            json!({
                "name": "order_update", "language": "en_US", "category": "UTILITY",
                "components": [
                    {"type": "HEADER", "format": "TEXT", "text": "Your order"},
                    {"type": "BODY", "text": "Hi {{1}}, order {{2}} is on its way.", "example": {"body_text": [["Ada", "#42"]]}},
                    {"type": "FOOTER", "text": "Thanks for shopping"},
                    {"type": "BUTTONS", "buttons": [
                        {"type": "QUICK_REPLY", "text": "Stop"},
                        {"type": "URL", "text": "Track", "url": "https://e.com/t/{{1}}", "example": ["https://e.com/t/42"]}
                    ]}
                ]
            })
        );
    }

    #[test]
    fn new_template_rules() {
        assert!(new_template(vec![body("Hello there", &[])]).is_ok());
        assert!(new_template(vec![]).is_err());
        assert!(new_template(vec![body(&"b".repeat(1024), &[])]).is_ok());
        assert!(new_template(vec![body(&"b".repeat(1025), &[])]).is_err());
        assert!(new_template(vec![body("Hi {{1}}!", &[])]).is_err(), "example missing");
        assert!(new_template(vec![body("Hi {{1}} and {{3}}.", &["a", "b"])]).is_err(), "gap");
        assert!(new_template(vec![body("{{1}} is here", &["a"])]).is_err(), "starts with a placeholder");
        let quick = |n: usize| TemplateSection::Buttons {
            buttons: (0..n).map(|i| TemplateButton::QuickReply { text: format!("Q{i}") }).collect(),
        };
        assert!(new_template(vec![body("Hi", &[]), quick(10)]).is_ok());
        assert!(new_template(vec![body("Hi", &[]), quick(11)]).is_err());
        let long_text = TemplateSection::Buttons { buttons: vec![TemplateButton::QuickReply { text: "x".repeat(26) }] };
        assert!(new_template(vec![body("Hi", &[]), long_text]).is_err());
        let url = |u: &str| TemplateButton::Url { text: "Go".into(), url: u.into(), example: None };
        let three_urls = TemplateSection::Buttons {
            buttons: vec![url("https://a.com"), url("https://b.com"), url("https://c.com")],
        };
        assert!(new_template(vec![body("Hi", &[]), three_urls]).is_err());
        let named = TemplateSection::Body {
            text: "Hi {{first_name}}!".into(),
            example: Some(TemplateExample {
                body_text_named_params: vec![NamedExample { param_name: "first_name".into(), example: "Ada".into() }],
                ..Default::default()
            }),
        };
        let template = new_template(vec![named]).unwrap();
        assert_eq!(serde_json::to_value(&template).unwrap()["parameter_format"], "NAMED");
        let named_header = TemplateSection::Header {
            format: HeaderFormat::Text,
            text: Some("Hi {{first_name}}".into()),
            example: Some(TemplateExample {
                header_text_named_params: vec![NamedExample { param_name: "first_name".into(), example: "Ada".into() }],
                ..Default::default()
            }),
        };
        let template = new_template(vec![named_header.clone(), body("Your order has shipped.", &[])]).unwrap();
        assert_eq!(serde_json::to_value(&template).unwrap()["parameter_format"], "NAMED");
        let mixed = new_template(vec![named_header, body("Order {{1}} has shipped.", &["#42"])]);
        assert_eq!(mixed.unwrap_err().to_string(), "Placeholders must be either all numbered or all named");
        let media_header = TemplateSection::Header { format: HeaderFormat::Image, text: None, example: None };
        assert!(new_template(vec![media_header, body("Hi", &[])]).is_err());
    }

    #[test]
    fn reads_created_template_and_pages() {
        let created: CreatedTemplate =
            serde_json::from_value(json!({"id": "572279198452421", "status": "PENDING", "category": "MARKETING"}))
                .unwrap();
        assert_eq!(created.status, TemplateStatus::Pending);
        let page: TemplatePage = serde_json::from_value(json!({
            "data": [], "paging": {"cursors": {"before": "a", "after": "b"}, "next": "https://graph.facebook.com/v21.0/1/message_templates?after=b"}
        }))
        .unwrap();
        assert!(page.paging.unwrap().next.is_some());
    }
}
