//! What Parley sends: `POST /{phone-number-id}/messages`. Every message is built through a
//! constructor that applies Meta's own limits, so a message that exists can be sent; what Meta
//! would refuse is refused here, with the rule named, before it costs a request.

use super::media::{MediaKind, MediaSource};
use super::template::TemplateMessage;
use crate::domain::PhoneNumber;
use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Deserialize, Serialize, Serializer};
use std::collections::HashSet;

/// Why a message (or template, or upload) cannot be sent, naming the rule Meta would enforce.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum MessageRejected {
    #[error("{what} is required")]
    Missing { what: String },
    #[error("{what} must be at most {max} characters (\"{excerpt}\" has {len})")]
    TooLong { what: String, max: usize, excerpt: String, len: usize },
    #[error("{what}: {min} to {max} allowed, {given} given")]
    Count { what: String, min: usize, max: usize, given: usize },
    #[error("{what} must be unique (\"{value}\" appears more than once)")]
    Duplicate { what: String, value: String },
    #[error("{0}")]
    NotAllowed(String),
    #[error("{0}")]
    Invalid(String),
}

impl MessageRejected {
    fn missing(what: &str) -> Self {
        Self::Missing { what: what.to_owned() }
    }
    pub(crate) fn count(what: &str, min: usize, max: usize, given: usize) -> Self {
        Self::Count { what: what.to_owned(), min, max, given }
    }
}

/// Checks a text field against Meta's limit, counted in characters as Meta counts them.
/// The text is kept exactly as written: line breaks and spacing are part of the message.
pub(crate) fn limited(what: &str, value: &str, max: usize) -> Result<String, MessageRejected> {
    if value.trim().is_empty() {
        return Err(MessageRejected::missing(what));
    }
    let len = value.chars().count();
    if len > max {
        const EXCERPT: usize = 40;
        let mut excerpt: String = value.chars().take(EXCERPT).collect();
        if len > EXCERPT {
            excerpt.push('…');
        }
        return Err(MessageRejected::TooLong { what: what.to_owned(), max, excerpt, len });
    }
    Ok(value.to_owned())
}

fn optional_limited(what: &str, value: Option<&str>, max: usize) -> Result<Option<String>, MessageRejected> {
    value.map(|v| limited(what, v, max)).transpose()
}

pub(crate) fn unique<'a>(what: &str, values: impl IntoIterator<Item = &'a str>) -> Result<(), MessageRejected> {
    let mut seen = HashSet::new();
    for value in values {
        if !seen.insert(value) {
            return Err(MessageRejected::Duplicate { what: what.to_owned(), value: value.to_owned() });
        }
    }
    Ok(())
}

/// One message to one customer, with its optional reply context and callback data.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundMessage {
    to: PhoneNumber,
    content: MessageContent,
    reply_to: Option<String>,
    biz_opaque_callback_data: Option<String>,
}

impl OutboundMessage {
    pub fn new(to: PhoneNumber, content: MessageContent) -> Self {
        Self { to, content, reply_to: None, biz_opaque_callback_data: None }
    }

    /// Shows the message as a reply to `wamid` (the customer's or our own earlier message).
    pub fn replying_to(mut self, wamid: &str) -> Result<Self, MessageRejected> {
        self.reply_to = Some(limited("Reply context message id", wamid.trim(), 256)?);
        Ok(self)
    }

    /// Data Meta echoes back in this message's status webhooks (at most 512 characters).
    pub fn with_callback_data(mut self, data: &str) -> Result<Self, MessageRejected> {
        self.biz_opaque_callback_data = Some(limited("Callback data", data, 512)?);
        Ok(self)
    }

    /// The file Parley keeps that this message carries, still to be put on Meta.
    pub fn stored_file(&self) -> Option<uuid::Uuid> {
        match &self.content {
            MessageContent::Media(MediaMessage { source: MediaSource::Stored(file), .. }) => Some(*file),
            _ => None,
        }
    }

    /// The message with its stored file replaced by the id Meta gave the uploaded file.
    pub fn with_uploaded_file(mut self, meta_media_id: &str) -> Result<Self, MessageRejected> {
        if let MessageContent::Media(media) = &mut self.content {
            media.source = MediaSource::id(meta_media_id)?;
        }
        Ok(self)
    }

    pub fn to(&self) -> &PhoneNumber {
        &self.to
    }
    pub fn content(&self) -> &MessageContent {
        &self.content
    }
    pub fn reply_to(&self) -> Option<&str> {
        self.reply_to.as_deref()
    }
    pub fn callback_data(&self) -> Option<&str> {
        self.biz_opaque_callback_data.as_deref()
    }
}

/// Meta's envelope: the `type` names the one object that carries the content.
impl Serialize for OutboundMessage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Context<'a> {
            message_id: &'a str,
        }
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("messaging_product", "whatsapp")?;
        map.serialize_entry("recipient_type", "individual")?;
        map.serialize_entry("to", self.to.wa_id())?;
        let kind = self.content.type_name();
        map.serialize_entry("type", kind)?;
        match &self.content {
            MessageContent::Text(text) => map.serialize_entry(kind, text)?,
            MessageContent::Media(media) => map.serialize_entry(kind, media)?,
            MessageContent::Location(location) => map.serialize_entry(kind, location)?,
            MessageContent::Contacts(contacts) => map.serialize_entry(kind, contacts)?,
            MessageContent::Reaction(reaction) => map.serialize_entry(kind, reaction)?,
            MessageContent::Template(template) => map.serialize_entry(kind, template)?,
            MessageContent::InteractiveButtons(buttons) => map.serialize_entry(kind, buttons)?,
            MessageContent::InteractiveList(list) => map.serialize_entry(kind, list)?,
        }
        if let Some(message_id) = &self.reply_to {
            map.serialize_entry("context", &Context { message_id })?;
        }
        if let Some(data) = &self.biz_opaque_callback_data {
            map.serialize_entry("biz_opaque_callback_data", data)?;
        }
        map.end()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum MessageContent {
    Text(TextMessage),
    Media(MediaMessage),
    Location(LocationMessage),
    Contacts(ContactCards),
    Reaction(Reaction),
    Template(TemplateMessage),
    InteractiveButtons(ButtonMessage),
    InteractiveList(ListMessage),
}

impl MessageContent {
    /// The envelope's `type`, which is also the key of the content object.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Text(_) => "text",
            Self::Media(media) => media.kind().as_str(),
            Self::Location(_) => "location",
            Self::Contacts(_) => "contacts",
            Self::Reaction(_) => "reaction",
            Self::Template(_) => "template",
            Self::InteractiveButtons(_) | Self::InteractiveList(_) => "interactive",
        }
    }
}

/// A text message: at most 4096 characters; `preview_url` lets WhatsApp render a link preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextMessage {
    body: String,
    preview_url: bool,
}

impl TextMessage {
    pub const MAX_BODY: usize = 4096;
    pub fn new(body: &str, preview_url: bool) -> Result<Self, MessageRejected> {
        Ok(Self { body: limited("Text", body, Self::MAX_BODY)?, preview_url })
    }
    pub fn body(&self) -> &str {
        &self.body
    }
}

/// An image, video, audio, document or sticker, by uploaded media id or by public link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MediaMessage {
    #[serde(skip)]
    kind: MediaKind,
    #[serde(flatten)]
    source: MediaSource,
    #[serde(skip_serializing_if = "Option::is_none")]
    caption: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    filename: Option<String>,
}

impl MediaMessage {
    pub const MAX_CAPTION: usize = 1024;

    pub fn new(
        kind: MediaKind,
        source: MediaSource,
        caption: Option<&str>,
        filename: Option<&str>,
    ) -> Result<Self, MessageRejected> {
        let caption = match caption.filter(|c| !c.trim().is_empty()) {
            Some(_) if !kind.allows_caption() => {
                return Err(MessageRejected::NotAllowed(format!("{} messages cannot have a caption", kind.label())));
            }
            caption => optional_limited("Caption", caption, Self::MAX_CAPTION)?,
        };
        let filename = match filename.filter(|f| !f.trim().is_empty()) {
            Some(_) if kind != MediaKind::Document => {
                return Err(MessageRejected::NotAllowed("Only documents can have a file name".into()));
            }
            filename => optional_limited("File name", filename.map(str::trim), 240)?,
        };
        Ok(Self { kind, source, caption, filename })
    }

    pub fn kind(&self) -> MediaKind {
        self.kind
    }
    pub fn source(&self) -> &MediaSource {
        &self.source
    }
    pub fn caption(&self) -> Option<&str> {
        self.caption.as_deref()
    }
}

/// A pin on the map.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocationMessage {
    latitude: f64,
    longitude: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<String>,
}

impl LocationMessage {
    pub fn new(
        latitude: f64,
        longitude: f64,
        name: Option<&str>,
        address: Option<&str>,
    ) -> Result<Self, MessageRejected> {
        if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
            return Err(MessageRejected::Invalid(format!(
                "Location {latitude}, {longitude} is not on Earth (latitude -90..90, longitude -180..180)"
            )));
        }
        let name = optional_limited("Location name", name.filter(|n| !n.trim().is_empty()), 1000)?;
        let address = optional_limited("Location address", address.filter(|a| !a.trim().is_empty()), 1000)?;
        Ok(Self { latitude, longitude, name, address })
    }
}

/// One or more contact cards in one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ContactCards(Vec<ContactCard>);

impl ContactCards {
    pub fn new(cards: Vec<ContactCard>) -> Result<Self, MessageRejected> {
        if cards.is_empty() {
            return Err(MessageRejected::missing("A contact card"));
        }
        Ok(Self(cards))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactCard {
    name: ContactName,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    phones: Vec<ContactPhone>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    emails: Vec<ContactEmail>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct ContactName {
    formatted_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct ContactPhone {
    phone: String,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    wa_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct ContactEmail {
    email: String,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    label: Option<String>,
}

impl ContactCard {
    /// Meta wants the formatted name plus at least one name part.
    pub fn new(
        formatted_name: &str,
        first_name: Option<&str>,
        last_name: Option<&str>,
    ) -> Result<Self, MessageRejected> {
        let formatted_name = limited("Contact name", formatted_name.trim(), 256)?;
        let first_name = optional_limited("First name", first_name.map(str::trim).filter(|n| !n.is_empty()), 256)?;
        let last_name = optional_limited("Last name", last_name.map(str::trim).filter(|n| !n.is_empty()), 256)?;
        if first_name.is_none() && last_name.is_none() {
            return Err(MessageRejected::missing("A contact's first or last name"));
        }
        Ok(Self { name: ContactName { formatted_name, first_name, last_name }, phones: vec![], emails: vec![] })
    }

    /// Adds a number; WhatsApp shows "Message" next to it because the `wa_id` is given.
    pub fn with_phone(mut self, phone: &PhoneNumber, label: Option<&str>) -> Result<Self, MessageRejected> {
        let label = optional_limited("Phone label", label.map(str::trim).filter(|l| !l.is_empty()), 32)?;
        self.phones.push(ContactPhone { phone: phone.to_string(), label, wa_id: phone.wa_id().to_owned() });
        Ok(self)
    }

    pub fn with_email(
        mut self,
        email: &crate::domain::EmailAddress,
        label: Option<&str>,
    ) -> Result<Self, MessageRejected> {
        let label = optional_limited("E-mail label", label.map(str::trim).filter(|l| !l.is_empty()), 32)?;
        self.emails.push(ContactEmail { email: email.as_str().to_owned(), label });
        Ok(self)
    }
}

/// An emoji on an earlier message; the empty emoji takes the reaction back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reaction {
    message_id: String,
    emoji: String,
}

impl Reaction {
    pub fn new(message_id: &str, emoji: &str) -> Result<Self, MessageRejected> {
        let message_id = limited("Reacted-to message id", message_id.trim(), 256)?;
        let emoji = emoji.trim();
        // An emoji with modifiers and joiners is a few code points; keycaps (1️⃣) start with an ASCII
        // digit, but plain text is never an emoji.
        let plain_text = !emoji.is_empty() && emoji.is_ascii();
        if plain_text
            || emoji.chars().count() > 16
            || emoji.chars().any(|c| c.is_ascii_alphabetic() || c.is_whitespace())
        {
            return Err(MessageRejected::Invalid(format!("A reaction must be a single emoji (\"{emoji}\" is not)")));
        }
        Ok(Self { message_id, emoji: emoji.to_owned() })
    }
    pub fn remove(message_id: &str) -> Result<Self, MessageRejected> {
        Self::new(message_id, "")
    }
}

/// The header above an interactive message's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InteractiveHeader {
    Text(String),
    Image(MediaSource),
    Video(MediaSource),
    Document(MediaSource),
}

impl InteractiveHeader {
    pub const MAX_TEXT: usize = 60;
    pub fn text(text: &str) -> Result<Self, MessageRejected> {
        Ok(Self::Text(limited("Header", text, Self::MAX_TEXT)?))
    }
}

impl Serialize for InteractiveHeader {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut header = serializer.serialize_struct("header", 2)?;
        match self {
            Self::Text(text) => {
                header.serialize_field("type", "text")?;
                header.serialize_field("text", text)?;
            }
            Self::Image(source) => {
                header.serialize_field("type", "image")?;
                header.serialize_field("image", source)?;
            }
            Self::Video(source) => {
                header.serialize_field("type", "video")?;
                header.serialize_field("video", source)?;
            }
            Self::Document(source) => {
                header.serialize_field("type", "document")?;
                header.serialize_field("document", source)?;
            }
        }
        header.end()
    }
}

#[derive(Serialize)]
struct TextObject<'a> {
    text: &'a str,
}

/// A quick-reply button: the customer's tap comes back with this id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyButton {
    id: String,
    title: String,
}

impl ReplyButton {
    pub const MAX_ID: usize = 256;
    pub const MAX_TITLE: usize = 20;
    pub fn new(id: &str, title: &str) -> Result<Self, MessageRejected> {
        Ok(Self {
            id: limited("Button ids", id, Self::MAX_ID)?,
            title: limited("Button titles", title, Self::MAX_TITLE)?,
        })
    }
}

/// Body text with one to three reply buttons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ButtonMessage {
    header: Option<InteractiveHeader>,
    body: String,
    footer: Option<String>,
    buttons: Vec<ReplyButton>,
}

pub const MAX_INTERACTIVE_FOOTER: usize = 60;

impl ButtonMessage {
    pub const MAX_BODY: usize = 1024;
    pub const MAX_BUTTONS: usize = 3;

    pub fn new(
        header: Option<InteractiveHeader>,
        body: &str,
        footer: Option<&str>,
        buttons: Vec<ReplyButton>,
    ) -> Result<Self, MessageRejected> {
        let body = limited("Body", body, Self::MAX_BODY)?;
        let footer = optional_limited("Footer", footer.filter(|f| !f.trim().is_empty()), MAX_INTERACTIVE_FOOTER)?;
        if !(1..=Self::MAX_BUTTONS).contains(&buttons.len()) {
            return Err(MessageRejected::count("Buttons", 1, Self::MAX_BUTTONS, buttons.len()));
        }
        unique("Button ids", buttons.iter().map(|b| b.id.as_str()))?;
        unique("Button titles", buttons.iter().map(|b| b.title.as_str()))?;
        Ok(Self { header, body, footer, buttons })
    }
}

impl Serialize for ButtonMessage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Reply<'a> {
            id: &'a str,
            title: &'a str,
        }
        #[derive(Serialize)]
        struct Button<'a> {
            r#type: &'static str,
            reply: Reply<'a>,
        }
        #[derive(Serialize)]
        struct Action<'a> {
            buttons: Vec<Button<'a>>,
        }
        let buttons = self
            .buttons
            .iter()
            .map(|b| Button { r#type: "reply", reply: Reply { id: &b.id, title: &b.title } })
            .collect();
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", "button")?;
        if let Some(header) = &self.header {
            map.serialize_entry("header", header)?;
        }
        map.serialize_entry("body", &TextObject { text: &self.body })?;
        if let Some(footer) = &self.footer {
            map.serialize_entry("footer", &TextObject { text: footer })?;
        }
        map.serialize_entry("action", &Action { buttons })?;
        map.end()
    }
}

/// One choice in a list message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListRow {
    id: String,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

impl ListRow {
    pub const MAX_ID: usize = 200;
    pub const MAX_TITLE: usize = 24;
    pub const MAX_DESCRIPTION: usize = 72;
    pub fn new(id: &str, title: &str, description: Option<&str>) -> Result<Self, MessageRejected> {
        Ok(Self {
            id: limited("Row ids", id, Self::MAX_ID)?,
            title: limited("Row titles", title, Self::MAX_TITLE)?,
            description: optional_limited(
                "Row descriptions",
                description.filter(|d| !d.trim().is_empty()),
                Self::MAX_DESCRIPTION,
            )?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListSection {
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    rows: Vec<ListRow>,
}

impl ListSection {
    pub const MAX_TITLE: usize = 24;
    pub fn new(title: Option<&str>, rows: Vec<ListRow>) -> Result<Self, MessageRejected> {
        if rows.is_empty() {
            return Err(MessageRejected::missing("Each section's rows"));
        }
        let title = optional_limited("Section titles", title.filter(|t| !t.trim().is_empty()), Self::MAX_TITLE)?;
        Ok(Self { title, rows })
    }
}

/// Body text with a button that opens a list of up to ten choices, grouped in sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListMessage {
    header: Option<String>,
    body: String,
    footer: Option<String>,
    button: String,
    sections: Vec<ListSection>,
}

impl ListMessage {
    pub const MAX_BODY: usize = 4096;
    pub const MAX_BUTTON: usize = 20;
    pub const MAX_SECTIONS: usize = 10;
    pub const MAX_ROWS: usize = 10;

    pub fn new(
        header: Option<&str>,
        body: &str,
        footer: Option<&str>,
        button: &str,
        sections: Vec<ListSection>,
    ) -> Result<Self, MessageRejected> {
        let header = optional_limited("Header", header.filter(|h| !h.trim().is_empty()), InteractiveHeader::MAX_TEXT)?;
        let body = limited("Body", body, Self::MAX_BODY)?;
        let footer = optional_limited("Footer", footer.filter(|f| !f.trim().is_empty()), MAX_INTERACTIVE_FOOTER)?;
        let button = limited("List button", button, Self::MAX_BUTTON)?;
        if !(1..=Self::MAX_SECTIONS).contains(&sections.len()) {
            return Err(MessageRejected::count("Sections", 1, Self::MAX_SECTIONS, sections.len()));
        }
        if sections.len() > 1 && sections.iter().any(|s| s.title.is_none()) {
            return Err(MessageRejected::missing("A section title (when there are several sections)"));
        }
        let rows = sections.iter().map(|s| s.rows.len()).sum::<usize>();
        if rows > Self::MAX_ROWS {
            return Err(MessageRejected::count("Rows in all sections", 1, Self::MAX_ROWS, rows));
        }
        unique("Row ids", sections.iter().flat_map(|s| s.rows.iter().map(|r| r.id.as_str())))?;
        Ok(Self { header, body, footer, button, sections })
    }
}

impl Serialize for ListMessage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Header<'a> {
            r#type: &'static str,
            text: &'a str,
        }
        #[derive(Serialize)]
        struct Action<'a> {
            button: &'a str,
            sections: &'a [ListSection],
        }
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", "list")?;
        if let Some(text) = &self.header {
            map.serialize_entry("header", &Header { r#type: "text", text })?;
        }
        map.serialize_entry("body", &TextObject { text: &self.body })?;
        if let Some(footer) = &self.footer {
            map.serialize_entry("footer", &TextObject { text: footer })?;
        }
        map.serialize_entry("action", &Action { button: &self.button, sections: &self.sections })?;
        map.end()
    }
}

/// Marks a customer's message (and those before it) as read: the blue ticks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkRead {
    message_id: String,
}

impl MarkRead {
    pub fn new(message_id: &str) -> Result<Self, MessageRejected> {
        Ok(Self { message_id: limited("Message id", message_id.trim(), 256)? })
    }
}

impl Serialize for MarkRead {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_struct("MarkRead", 3)?;
        map.serialize_field("messaging_product", "whatsapp")?;
        map.serialize_field("status", "read")?;
        map.serialize_field("message_id", &self.message_id)?;
        map.end()
    }
}

/// Meta accepted the message (not: delivered it). Delivery arrives later as status webhooks.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "SendResponse")]
pub struct SendAccepted {
    pub wa_id: String,
    pub wamid: String,
    pub message_status: Option<AcceptedStatus>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AcceptedStatus {
    Accepted,
    /// A marketing template Meta holds back while it assesses its quality.
    HeldForQualityAssessment,
    Paused,
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct SendResponse {
    #[serde(default)]
    contacts: Vec<SendResponseContact>,
    messages: Vec<SendResponseMessage>,
}

#[derive(Deserialize)]
struct SendResponseContact {
    wa_id: String,
}

#[derive(Deserialize)]
struct SendResponseMessage {
    id: String,
    message_status: Option<AcceptedStatus>,
}

impl TryFrom<SendResponse> for SendAccepted {
    type Error = &'static str;
    fn try_from(response: SendResponse) -> Result<Self, Self::Error> {
        let message = response.messages.into_iter().next().ok_or("no message id in the send response")?;
        let wa_id = response.contacts.into_iter().next().map(|c| c.wa_id).unwrap_or_default();
        Ok(Self { wa_id, wamid: message.id, message_status: message.message_status })
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use serde_json::json;

    fn to() -> PhoneNumber {
        PhoneNumber::parse("+49 151 23456789").unwrap()
    }

    fn wire(content: MessageContent) -> serde_json::Value {
        serde_json::to_value(OutboundMessage::new(to(), content)).unwrap()
    }

    #[test]
    fn text_with_reply_context_and_callback_data() {
        let message = OutboundMessage::new(to(), MessageContent::Text(TextMessage::new("Hello\nthere", true).unwrap()))
            .replying_to("wamid.HBgM")
            .unwrap()
            .with_callback_data("campaign-7")
            .unwrap();
        assert_eq!(
            serde_json::to_value(message).unwrap(),
            json!({
                "messaging_product": "whatsapp", "recipient_type": "individual", "to": "4915123456789",
                "type": "text", "text": {"body": "Hello\nthere", "preview_url": true},
                "context": {"message_id": "wamid.HBgM"}, "biz_opaque_callback_data": "campaign-7"
            })
        );
    }

    #[test]
    fn text_body_limits() {
        assert!(TextMessage::new(&"a".repeat(4096), false).is_ok());
        assert!(matches!(
            TextMessage::new(&"a".repeat(4097), false),
            Err(MessageRejected::TooLong { max: 4096, len: 4097, .. })
        ));
        assert_eq!(TextMessage::new("  \n", false), Err(MessageRejected::Missing { what: "Text".into() }));
    }

    #[test]
    fn media_by_id_and_by_link() {
        let image =
            MediaMessage::new(MediaKind::Image, MediaSource::id("1013859600285441").unwrap(), Some("Our menu"), None);
        assert_eq!(
            wire(MessageContent::Media(image.unwrap())),
            json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "4915123456789",
                   "type": "image", "image": {"id": "1013859600285441", "caption": "Our menu"}})
        );
        let document = MediaMessage::new(
            MediaKind::Document,
            MediaSource::link("https://example.com/invoice.pdf").unwrap(),
            Some("Your invoice"),
            Some("invoice.pdf"),
        );
        assert_eq!(
            wire(MessageContent::Media(document.unwrap()))["document"],
            json!({"link": "https://example.com/invoice.pdf", "caption": "Your invoice", "filename": "invoice.pdf"})
        );
        for kind in [MediaKind::Audio, MediaKind::Sticker, MediaKind::Video] {
            let media = MediaMessage::new(kind, MediaSource::id("42").unwrap(), None, None).unwrap();
            assert_eq!(wire(MessageContent::Media(media))[kind.as_str()], json!({"id": "42"}));
        }
    }

    #[test]
    fn caption_only_where_whatsapp_shows_one() {
        for kind in [MediaKind::Audio, MediaKind::Sticker] {
            let refused = MediaMessage::new(kind, MediaSource::id("42").unwrap(), Some("hi"), None);
            assert!(matches!(refused, Err(MessageRejected::NotAllowed(_))), "{kind:?}");
        }
        let refused = MediaMessage::new(MediaKind::Image, MediaSource::id("42").unwrap(), None, Some("a.png"));
        assert!(matches!(refused, Err(MessageRejected::NotAllowed(_))));
    }

    #[test]
    fn location_contacts_and_reactions() {
        let location = LocationMessage::new(52.52, 13.405, Some("Office"), Some("Alexanderplatz 1, Berlin")).unwrap();
        assert_eq!(
            wire(MessageContent::Location(location))["location"],
            json!({"latitude": 52.52, "longitude": 13.405, "name": "Office", "address": "Alexanderplatz 1, Berlin"})
        );
        assert!(LocationMessage::new(91.0, 0.0, None, None).is_err());

        let card = ContactCard::new("Ada Lovelace", Some("Ada"), Some("Lovelace"))
            .unwrap()
            .with_phone(&to(), Some("WORK"))
            .unwrap()
            .with_email(&crate::domain::EmailAddress::parse("ada@example.com").unwrap(), None)
            .unwrap();
        let contacts = wire(MessageContent::Contacts(ContactCards::new(vec![card]).unwrap()));
        assert_eq!(contacts["type"], "contacts");
        assert_eq!(
            contacts["contacts"],
            json!([{
                "name": {"formatted_name": "Ada Lovelace", "first_name": "Ada", "last_name": "Lovelace"},
                "phones": [{"phone": "+4915123456789", "type": "WORK", "wa_id": "4915123456789"}],
                "emails": [{"email": "ada@example.com"}]
            }])
        );
        assert!(ContactCard::new("Ada", None, None).is_err());
        assert!(ContactCards::new(vec![]).is_err());

        let reaction = Reaction::new("wamid.X", "👍").unwrap();
        assert_eq!(
            wire(MessageContent::Reaction(reaction))["reaction"],
            json!({"message_id": "wamid.X", "emoji": "👍"})
        );
        assert_eq!(
            wire(MessageContent::Reaction(Reaction::remove("wamid.X").unwrap()))["reaction"],
            json!({"message_id": "wamid.X", "emoji": ""})
        );
        assert!(Reaction::new("wamid.X", "1\u{fe0f}\u{20e3}").is_ok());
        assert!(Reaction::new("wamid.X", "👨‍👩‍👧‍👦").is_ok());
        for not_an_emoji in ["ok", "1", ":)", "👍 👍"] {
            assert!(Reaction::new("wamid.X", not_an_emoji).is_err(), "{not_an_emoji}");
        }
    }

    fn buttons(n: usize) -> Vec<ReplyButton> {
        (1..=n).map(|i| ReplyButton::new(&format!("b{i}"), &format!("Option {i}")).unwrap()).collect()
    }

    #[test]
    fn reply_buttons_wire_format() {
        let message = ButtonMessage::new(
            Some(InteractiveHeader::text("Your order").unwrap()),
            "Deliver today?",
            Some("Reply anytime"),
            vec![ReplyButton::new("yes", "Yes").unwrap(), ReplyButton::new("no", "No").unwrap()],
        )
        .unwrap();
        let value = wire(MessageContent::InteractiveButtons(message));
        assert_eq!(value["type"], "interactive");
        assert_eq!(
            value["interactive"],
            json!({
                "type": "button",
                "header": {"type": "text", "text": "Your order"},
                "body": {"text": "Deliver today?"},
                "footer": {"text": "Reply anytime"},
                "action": {"buttons": [
                    {"type": "reply", "reply": {"id": "yes", "title": "Yes"}},
                    {"type": "reply", "reply": {"id": "no", "title": "No"}}
                ]}
            })
        );
        let image = InteractiveHeader::Image(MediaSource::link("https://example.com/a.png").unwrap());
        let with_image = ButtonMessage::new(Some(image), "Body", None, buttons(1)).unwrap();
        assert_eq!(
            serde_json::to_value(&with_image).unwrap()["header"],
            json!({"type": "image", "image": {"link": "https://example.com/a.png"}})
        );
    }

    #[test]
    fn reply_button_rules() {
        assert!(ReplyButton::new("id", &"x".repeat(20)).is_ok());
        assert_eq!(
            ReplyButton::new("id", "Confirm my appointment!").unwrap_err().to_string(),
            "Button titles must be at most 20 characters (\"Confirm my appointment!\" has 23)"
        );
        assert!(ReplyButton::new(&"i".repeat(256), "t").is_ok());
        assert!(ReplyButton::new(&"i".repeat(257), "t").is_err());
        assert!(ButtonMessage::new(None, "Body", None, buttons(3)).is_ok());
        assert_eq!(ButtonMessage::new(None, "Body", None, buttons(4)), Err(MessageRejected::count("Buttons", 1, 3, 4)));
        assert!(ButtonMessage::new(None, "Body", None, vec![]).is_err());
        let same_title = vec![ReplyButton::new("a", "Yes").unwrap(), ReplyButton::new("b", "Yes").unwrap()];
        assert_eq!(
            ButtonMessage::new(None, "Body", None, same_title).unwrap_err().to_string(),
            "Button titles must be unique (\"Yes\" appears more than once)"
        );
        assert!(ButtonMessage::new(None, &"b".repeat(1025), None, buttons(1)).is_err());
        assert!(ButtonMessage::new(None, "Body", Some(&"f".repeat(61)), buttons(1)).is_err());
    }

    fn rows(prefix: &str, n: usize) -> Vec<ListRow> {
        (1..=n).map(|i| ListRow::new(&format!("{prefix}{i}"), &format!("Row {i}"), None).unwrap()).collect()
    }

    #[test]
    fn list_wire_format() {
        let section = ListSection::new(
            Some("Pizza"),
            vec![ListRow::new("margherita", "Margherita", Some("Tomato, mozzarella")).unwrap()],
        )
        .unwrap();
        let list =
            ListMessage::new(Some("Menu"), "What would you like?", Some("Prices incl. VAT"), "Choose", vec![section])
                .unwrap();
        assert_eq!(
            wire(MessageContent::InteractiveList(list))["interactive"],
            json!({
                "type": "list",
                "header": {"type": "text", "text": "Menu"},
                "body": {"text": "What would you like?"},
                "footer": {"text": "Prices incl. VAT"},
                "action": {"button": "Choose", "sections": [{"title": "Pizza", "rows": [
                    {"id": "margherita", "title": "Margherita", "description": "Tomato, mozzarella"}
                ]}]}
            })
        );
    }

    #[test]
    fn list_rules() {
        let two_sections = |a, b| {
            vec![ListSection::new(Some("A"), rows("a", a)).unwrap(), ListSection::new(Some("B"), rows("b", b)).unwrap()]
        };
        assert!(ListMessage::new(None, "Body", None, "Choose", two_sections(5, 5)).is_ok());
        assert_eq!(
            ListMessage::new(None, "Body", None, "Choose", two_sections(5, 6)),
            Err(MessageRejected::count("Rows in all sections", 1, 10, 11))
        );
        let eleven = (0..11).map(|i| ListSection::new(Some("S"), rows(&format!("s{i}-"), 1)).unwrap()).collect();
        assert!(matches!(
            ListMessage::new(None, "Body", None, "Choose", eleven),
            Err(MessageRejected::Count { given: 11, .. })
        ));
        let untitled =
            vec![ListSection::new(None, rows("a", 1)).unwrap(), ListSection::new(Some("B"), rows("b", 1)).unwrap()];
        assert!(ListMessage::new(None, "Body", None, "Choose", untitled).is_err());
        let same_ids = vec![
            ListSection::new(Some("A"), rows("x", 1)).unwrap(),
            ListSection::new(Some("B"), rows("x", 1)).unwrap(),
        ];
        assert!(matches!(
            ListMessage::new(None, "Body", None, "Choose", same_ids),
            Err(MessageRejected::Duplicate { .. })
        ));
        assert!(
            ListMessage::new(None, "Body", None, &"c".repeat(20), vec![ListSection::new(None, rows("a", 1)).unwrap()])
                .is_ok()
        );
        assert!(
            ListMessage::new(None, "Body", None, &"c".repeat(21), vec![ListSection::new(None, rows("a", 1)).unwrap()])
                .is_err()
        );
        assert!(
            ListMessage::new(
                None,
                &"b".repeat(4097),
                None,
                "Choose",
                vec![ListSection::new(None, rows("a", 1)).unwrap()]
            )
            .is_err()
        );
        assert!(ListSection::new(Some(&"t".repeat(24)), rows("a", 1)).is_ok());
        assert!(ListSection::new(Some(&"t".repeat(25)), rows("a", 1)).is_err());
        assert!(ListRow::new(&"i".repeat(200), &"t".repeat(24), Some(&"d".repeat(72))).is_ok());
        assert!(ListRow::new(&"i".repeat(201), "t", None).is_err());
        assert!(ListRow::new("i", &"t".repeat(25), None).is_err());
        assert!(ListRow::new("i", "t", Some(&"d".repeat(73))).is_err());
    }

    #[test]
    fn mark_read_wire_format() {
        assert_eq!(
            serde_json::to_value(MarkRead::new("wamid.ABC").unwrap()).unwrap(),
            json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.ABC"})
        );
    }

    #[test]
    fn parses_the_send_response() {
        let accepted: SendAccepted = serde_json::from_value(json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": "+49 151 23456789", "wa_id": "4915123456789"}],
            "messages": [{"id": "wamid.HBgL", "message_status": "held_for_quality_assessment"}]
        }))
        .unwrap();
        assert_eq!(
            accepted,
            SendAccepted {
                wa_id: "4915123456789".into(),
                wamid: "wamid.HBgL".into(),
                message_status: Some(AcceptedStatus::HeldForQualityAssessment),
            }
        );
        let plain: SendAccepted = serde_json::from_value(json!({
            "messaging_product": "whatsapp", "contacts": [{"input": "1", "wa_id": "1"}], "messages": [{"id": "wamid.1"}]
        }))
        .unwrap();
        assert_eq!(plain.message_status, None);
        assert!(serde_json::from_value::<SendAccepted>(json!({"messages": []})).is_err());
    }
}
