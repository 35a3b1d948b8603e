//! The WhatsApp Cloud API's wire format (../shared/CLOUD_API.md), as types: what Parley sends,
//! what it receives on webhooks, and how Meta's errors are classified. Pure, so the browser can
//! check a message against Meta's limits before it is ever sent.

pub mod error;
pub mod media;
pub mod number;
mod outbound_json;
pub mod send;
pub mod template;
pub mod webhook;

pub use error::{ErrorClass, GraphError, GraphErrorEnvelope};
pub use media::{MediaInfo, MediaKind, MediaSource, UploadedMedia};
pub use number::{PhoneNumberInfo, QualityRating, Success};
pub use send::{
    AcceptedStatus, ButtonMessage, ContactCard, ContactCards, InteractiveHeader, ListMessage, ListRow, ListSection,
    LocationMessage, MarkRead, MediaMessage, MessageContent, MessageRejected, OutboundMessage, Reaction, ReplyButton,
    SendAccepted, TextMessage,
};
pub use template::{
    CreatedTemplate, NewTemplate, Placeholder, TemplateCategory, TemplateComponent, TemplateDefinition,
    TemplateLanguage, TemplateMessage, TemplateName, TemplateParameter, TemplatePage, TemplateStatus,
};
