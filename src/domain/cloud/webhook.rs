//! What Meta posts to a channel's webhook: the envelope, inbound messages of every type, statuses of
//! outbound messages, channel errors and template review events (../shared/CLOUD_API.md).
//!
//! Parsing is lenient where Meta evolves: unknown fields are ignored, a message of a type Parley
//! does not know (or a known type without its payload) becomes [`MessageContent::Unsupported`], a
//! status Parley does not know is `None`, a field other than messages and template updates is
//! [`Change::Other`]. One odd item never makes a whole batch unreadable.

use serde::{Deserialize, Deserializer, Serialize};

/// `{"object":"whatsapp_business_account","entry":[...]}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Notification {
    pub object: String,
    #[serde(default)]
    pub entry: Vec<Entry>,
}

/// One WhatsApp Business Account's changes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Entry {
    /// The WhatsApp Business Account id.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    #[serde(default)]
    pub changes: Vec<Change>,
}

/// One change, by its `field`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "WireChange")]
pub enum Change {
    Messages(MessagesValue),
    TemplateStatus(TemplateStatusUpdate),
    /// A field Parley does not subscribe to or process (account updates, quality...).
    Other { field: String },
}

/// The value of a `messages` change: inbound messages with their senders, statuses of outbound
/// messages, and errors about the channel.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct MessagesValue {
    pub metadata: Option<Metadata>,
    #[serde(default)]
    pub contacts: Vec<Contact>,
    #[serde(default)]
    pub messages: Vec<InboundMessage>,
    #[serde(default)]
    pub statuses: Vec<Status>,
    #[serde(default)]
    pub errors: Vec<CloudError>,
}

impl MessagesValue {
    /// The WhatsApp profile name of the customer with this WhatsApp id, when Meta sent it.
    pub fn profile_name(&self, wa_id: &str) -> Option<&str> {
        self.contacts.iter().find(|c| c.wa_id == wa_id).and_then(|c| c.profile.as_ref()).map(|p| p.name.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Metadata {
    #[serde(default)]
    pub display_phone_number: String,
    #[serde(default)]
    pub phone_number_id: String,
}

/// The sender of inbound messages: `{"profile":{"name":".."},"wa_id":".."}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Contact {
    pub profile: Option<Profile>,
    pub wa_id: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Profile {
    pub name: String,
}

/// Seconds since the Unix epoch, as Meta's `timestamp` (a string of digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct UnixTime(pub i64);

impl<'de> Deserialize<'de> for UnixTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = string_or_number(deserializer)?;
        raw.trim().parse().map(UnixTime).map_err(|_| serde::de::Error::custom(format!("not a Unix timestamp: {raw:?}")))
    }
}

/// A customer's message.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "WireMessage")]
pub struct InboundMessage {
    /// The customer's WhatsApp id.
    pub from: String,
    /// The message's wamid.
    pub id: String,
    pub timestamp: UnixTime,
    /// The message this one replies to (a quoted reply, a tap on a button of Parley's message).
    pub context: Option<MessageContext>,
    pub content: MessageContent,
    /// Why Meta could not deliver the content, e.g. 131051 for an unsupported type.
    pub errors: Vec<CloudError>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MessageContext {
    pub from: Option<String>,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum MessageContent {
    Text { body: String },
    Image(Media),
    Video(Media),
    Audio(Media),
    Document(Media),
    Sticker(Media),
    Location(Location),
    Contacts(Vec<SharedContact>),
    /// A tap on a reply button of an interactive message.
    ButtonReply { id: String, title: String },
    /// A row chosen from an interactive list.
    ListReply { id: String, title: String, description: Option<String> },
    /// A tap on a template's quick reply button.
    Button { payload: String, text: String },
    /// An emoji on an earlier message; an empty emoji removes the reaction.
    Reaction { message_id: String, emoji: String },
    /// A type Parley does not handle (or a known type without its payload): stored as received.
    Unsupported { kind: String },
}

impl MessageContent {
    /// The kind stored with the message.
    pub fn kind(&self) -> &str {
        match self {
            Self::Text { .. } => "text",
            Self::Image(_) => "image",
            Self::Video(_) => "video",
            Self::Audio(_) => "audio",
            Self::Document(_) => "document",
            Self::Sticker(_) => "sticker",
            Self::Location(_) => "location",
            Self::Contacts(_) => "contacts",
            Self::ButtonReply { .. } => "button_reply",
            Self::ListReply { .. } => "list_reply",
            Self::Button { .. } => "button",
            Self::Reaction { .. } => "reaction",
            Self::Unsupported { .. } => "unsupported",
        }
    }

    /// The text a person searches for and a conversation list previews.
    pub fn searchable_text(&self) -> String {
        match self {
            Self::Text { body } => body.clone(),
            Self::Image(m) | Self::Video(m) | Self::Audio(m) | Self::Document(m) | Self::Sticker(m) => {
                [m.caption.as_deref(), m.filename.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ")
            }
            Self::Location(l) => [l.name.as_deref(), l.address.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" "),
            Self::Contacts(cs) => cs.iter().filter_map(|c| c.name.as_ref()).map(|n| n.formatted_name.as_str()).collect::<Vec<_>>().join(", "),
            Self::ButtonReply { title, .. } => title.clone(),
            Self::ListReply { title, description, .. } => match description {
                Some(d) => format!("{title} {d}"),
                None => title.clone(),
            },
            Self::Button { text, .. } => text.clone(),
            Self::Reaction { emoji, .. } => emoji.clone(),
            Self::Unsupported { .. } => String::new(),
        }
    }

    /// The media Meta holds for this message, to be downloaded.
    pub fn media(&self) -> Option<&Media> {
        match self {
            Self::Image(m) | Self::Video(m) | Self::Audio(m) | Self::Document(m) | Self::Sticker(m) => Some(m),
            _ => None,
        }
    }
}

/// An image, video, audio, document or sticker, held by Meta under `id`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Media {
    pub id: String,
    pub mime_type: Option<String>,
    pub sha256: Option<String>,
    pub caption: Option<String>,
    pub filename: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    pub name: Option<String>,
    pub address: Option<String>,
    pub url: Option<String>,
}

/// A contact card the customer shared.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SharedContact {
    pub name: Option<SharedContactName>,
    #[serde(default)]
    pub phones: Vec<SharedContactPhone>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SharedContactName {
    pub formatted_name: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SharedContactPhone {
    pub phone: Option<String>,
    pub wa_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// A status of an outbound message.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Status {
    /// The wamid of the outbound message.
    pub id: String,
    /// None for a status Parley does not track (Meta adds some now and then).
    #[serde(deserialize_with = "known_status")]
    pub status: Option<MessageStatus>,
    pub timestamp: UnixTime,
    pub recipient_id: Option<String>,
    pub pricing: Option<Pricing>,
    #[serde(default)]
    pub errors: Vec<CloudError>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Pricing {
    #[serde(default)]
    pub billable: bool,
    pub pricing_model: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub category: Option<String>,
}

/// An error as webhooks carry it: `{"code","title","message","error_data":{"details"}}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CloudError {
    pub code: i64,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub message: String,
    pub error_data: Option<ErrorData>,
}

impl CloudError {
    pub fn details(&self) -> &str {
        self.error_data.as_ref().map_or("", |d| d.details.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ErrorData {
    #[serde(default)]
    pub details: String,
}

/// Field `message_template_status_update`: Meta's review of a template.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TemplateStatusUpdate {
    /// APPROVED, REJECTED, PAUSED, DISABLED, PENDING_DELETION...
    pub event: String,
    #[serde(deserialize_with = "string_or_number")]
    pub message_template_id: String,
    pub message_template_name: String,
    pub message_template_language: String,
    /// NONE when there is nothing to say, e.g. on approval.
    pub reason: Option<String>,
}

/// Where an outbound message stands. Meta reports these out of order and more than once, so
/// only [`MessageStatus::advance`] may move a message forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    /// Meta answered 200 to the send.
    Accepted,
    Sent,
    Delivered,
    Read,
    Failed,
}

impl MessageStatus {
    pub const ALL: [Self; 5] = [Self::Accepted, Self::Sent, Self::Delivered, Self::Read, Self::Failed];

    pub fn key(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    /// The status after `incoming` arrives, or None when it must be ignored: accepted < sent <
    /// delivered < read, never backwards (a late "delivered" after "read" changes nothing);
    /// failed ends the message, and nothing moves it after that.
    pub fn advance(self, incoming: MessageStatus) -> Option<MessageStatus> {
        match (self, incoming) {
            (Self::Failed, _) => None,
            (_, Self::Failed) => Some(Self::Failed),
            (current, next) if next.rank() > current.rank() => Some(next),
            _ => None,
        }
    }

    fn rank(self) -> u8 {
        match self {
            Self::Accepted => 0,
            Self::Sent => 1,
            Self::Delivered => 2,
            Self::Read => 3,
            Self::Failed => 4,
        }
    }
}

#[derive(Deserialize)]
struct WireChange {
    field: String,
    value: WireChangeValue,
}

/// Every shape a change's value takes, as optional fields; `field` says which are meant.
#[derive(Deserialize)]
struct WireChangeValue {
    metadata: Option<Metadata>,
    #[serde(default)]
    contacts: Vec<Contact>,
    #[serde(default)]
    messages: Vec<InboundMessage>,
    #[serde(default)]
    statuses: Vec<Status>,
    #[serde(default)]
    errors: Vec<CloudError>,
    event: Option<String>,
    #[serde(default, deserialize_with = "optional_string_or_number")]
    message_template_id: Option<String>,
    message_template_name: Option<String>,
    message_template_language: Option<String>,
    reason: Option<String>,
}

impl From<WireChange> for Change {
    fn from(wire: WireChange) -> Self {
        let v = wire.value;
        match wire.field.as_str() {
            "messages" => Change::Messages(MessagesValue {
                metadata: v.metadata,
                contacts: v.contacts,
                messages: v.messages,
                statuses: v.statuses,
                errors: v.errors,
            }),
            "message_template_status_update" => match (v.event, v.message_template_id, v.message_template_name, v.message_template_language) {
                (Some(event), Some(message_template_id), Some(message_template_name), Some(message_template_language)) => {
                    Change::TemplateStatus(TemplateStatusUpdate {
                        event,
                        message_template_id,
                        message_template_name,
                        message_template_language,
                        reason: v.reason,
                    })
                }
                _ => Change::Other { field: wire.field },
            },
            _ => Change::Other { field: wire.field },
        }
    }
}

/// A message with every type's payload optional; `type` says which is meant.
#[derive(Deserialize)]
struct WireMessage {
    from: String,
    id: String,
    timestamp: UnixTime,
    #[serde(rename = "type", default)]
    kind: String,
    context: Option<MessageContext>,
    #[serde(default)]
    errors: Vec<CloudError>,
    text: Option<WireText>,
    image: Option<Media>,
    video: Option<Media>,
    audio: Option<Media>,
    document: Option<Media>,
    sticker: Option<Media>,
    location: Option<Location>,
    contacts: Option<Vec<SharedContact>>,
    interactive: Option<WireInteractive>,
    button: Option<WireButton>,
    reaction: Option<WireReaction>,
}

#[derive(Deserialize)]
struct WireText {
    body: String,
}

#[derive(Deserialize)]
struct WireInteractive {
    button_reply: Option<WireReply>,
    list_reply: Option<WireReply>,
}

#[derive(Deserialize)]
struct WireReply {
    id: String,
    title: String,
    description: Option<String>,
}

#[derive(Deserialize)]
struct WireButton {
    #[serde(default)]
    payload: String,
    #[serde(default)]
    text: String,
}

#[derive(Deserialize)]
struct WireReaction {
    message_id: String,
    #[serde(default)]
    emoji: String,
}

impl From<WireMessage> for InboundMessage {
    fn from(w: WireMessage) -> Self {
        let content = match w.kind.as_str() {
            "text" => w.text.map(|t| MessageContent::Text { body: t.body }),
            "image" => w.image.map(MessageContent::Image),
            "video" => w.video.map(MessageContent::Video),
            "audio" => w.audio.map(MessageContent::Audio),
            "document" => w.document.map(MessageContent::Document),
            "sticker" => w.sticker.map(MessageContent::Sticker),
            "location" => w.location.map(MessageContent::Location),
            "contacts" => w.contacts.map(MessageContent::Contacts),
            "interactive" => w.interactive.and_then(|i| match (i.button_reply, i.list_reply) {
                (Some(b), _) => Some(MessageContent::ButtonReply { id: b.id, title: b.title }),
                (None, Some(l)) => Some(MessageContent::ListReply { id: l.id, title: l.title, description: l.description }),
                (None, None) => None,
            }),
            "button" => w.button.map(|b| MessageContent::Button { payload: b.payload, text: b.text }),
            "reaction" => w.reaction.map(|r| MessageContent::Reaction { message_id: r.message_id, emoji: r.emoji }),
            _ => None,
        }
        .unwrap_or(MessageContent::Unsupported { kind: w.kind });
        InboundMessage { from: w.from, id: w.id, timestamp: w.timestamp, context: w.context, content, errors: w.errors }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum StringOrNumber {
    String(String),
    Integer(i64),
}

/// Meta writes ids and timestamps as strings, but not everywhere (template ids are numbers).
fn string_or_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(match StringOrNumber::deserialize(deserializer)? {
        StringOrNumber::String(s) => s,
        StringOrNumber::Integer(n) => n.to_string(),
    })
}

fn optional_string_or_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<StringOrNumber>::deserialize(deserializer)?.map(|v| match v {
        StringOrNumber::String(s) => s,
        StringOrNumber::Integer(n) => n.to_string(),
    }))
}

fn known_status<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<MessageStatus>, D::Error> {
    Ok(MessageStatus::from_key(&String::deserialize(deserializer)?))
}

#[cfg(test)]
mod tests {
    use super::MessageStatus::{self, *};

    #[test]
    fn statuses_only_move_forward() {
        assert_eq!(Accepted.advance(Sent), Some(Sent));
        assert_eq!(Sent.advance(Delivered), Some(Delivered));
        assert_eq!(Delivered.advance(Read), Some(Read));
        assert_eq!(Sent.advance(Read), Some(Read), "a skipped delivered is fine");
        assert_eq!(Read.advance(Delivered), None, "a late delivered never downgrades read");
        assert_eq!(Delivered.advance(Sent), None);
        assert_eq!(Read.advance(Read), None, "a repeated status is no transition");
        assert_eq!(Sent.advance(Accepted), None);
    }

    #[test]
    fn failed_is_terminal() {
        assert_eq!(Sent.advance(Failed), Some(Failed));
        assert_eq!(Accepted.advance(Failed), Some(Failed));
        for next in MessageStatus::ALL {
            assert_eq!(Failed.advance(next), None, "nothing moves a failed message ({next:?})");
        }
    }

    #[test]
    fn keys_round_trip() {
        for s in MessageStatus::ALL {
            assert_eq!(MessageStatus::from_key(s.key()), Some(s));
        }
        assert_eq!(MessageStatus::from_key("deleted"), None);
    }
}
