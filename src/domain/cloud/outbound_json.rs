//! Reading an outbound message back from Meta's JSON, the form it is stored in until it is sent
//! (an outbox row, a broadcast's prepared message). It goes through the same constructors as a
//! new message, so stored JSON that Meta would refuse is refused on reading, not on sending.

use super::media::{MediaKind, MediaSource};
use super::send::{
    ButtonMessage, ContactCard, ContactCards, InteractiveHeader, ListMessage, ListRow, ListSection, LocationMessage,
    MediaMessage, MessageContent, MessageRejected, OutboundMessage, Reaction, ReplyButton, TextMessage,
};
use super::template::{TemplateComponent, TemplateLanguage, TemplateMessage, TemplateName, TemplateParameter};
use crate::domain::{EmailAddress, PhoneNumber};
use serde::{Deserialize, Deserializer};

impl<'de> Deserialize<'de> for OutboundMessage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = Envelope::deserialize(deserializer)?;
        wire.into_message().map_err(serde::de::Error::custom)
    }
}

#[derive(Deserialize)]
struct Envelope {
    to: String,
    #[serde(rename = "type")]
    kind: String,
    context: Option<Context>,
    biz_opaque_callback_data: Option<String>,
    text: Option<Text>,
    image: Option<Media>,
    video: Option<Media>,
    audio: Option<Media>,
    document: Option<Media>,
    sticker: Option<Media>,
    location: Option<Location>,
    contacts: Option<Vec<Contact>>,
    reaction: Option<ReactionWire>,
    template: Option<Template>,
    interactive: Option<Interactive>,
}

#[derive(Deserialize)]
struct Context {
    message_id: String,
}

#[derive(Deserialize)]
struct Text {
    body: String,
    #[serde(default)]
    preview_url: bool,
}

#[derive(Deserialize)]
struct Media {
    id: Option<String>,
    link: Option<String>,
    parley_media_id: Option<uuid::Uuid>,
    caption: Option<String>,
    filename: Option<String>,
}

impl Media {
    fn source(&self) -> Result<MediaSource, MessageRejected> {
        match (&self.id, &self.link) {
            (Some(id), None) => MediaSource::id(id),
            (None, Some(link)) => MediaSource::link(link),
            _ => Err(MessageRejected::Invalid("Media needs either an id or a link".into())),
        }
    }

    /// A media message may also carry a file Parley keeps (templates and headers may not: only
    /// the outbound worker resolves it, for media messages).
    fn message_source(&self) -> Result<MediaSource, MessageRejected> {
        match (self.parley_media_id, &self.id, &self.link) {
            (Some(file), None, None) => Ok(MediaSource::Stored(file)),
            (Some(_), _, _) => Err(MessageRejected::Invalid("Media needs one source, not several".into())),
            (None, _, _) => self.source(),
        }
    }
}

#[derive(Deserialize)]
struct Location {
    latitude: f64,
    longitude: f64,
    name: Option<String>,
    address: Option<String>,
}

#[derive(Deserialize)]
struct Contact {
    name: ContactName,
    #[serde(default)]
    phones: Vec<ContactPhone>,
    #[serde(default)]
    emails: Vec<ContactEmail>,
}

#[derive(Deserialize)]
struct ContactName {
    formatted_name: String,
    first_name: Option<String>,
    last_name: Option<String>,
}

#[derive(Deserialize)]
struct ContactPhone {
    phone: String,
    #[serde(rename = "type")]
    label: Option<String>,
}

#[derive(Deserialize)]
struct ContactEmail {
    email: String,
    #[serde(rename = "type")]
    label: Option<String>,
}

#[derive(Deserialize)]
struct ReactionWire {
    message_id: String,
    emoji: String,
}

#[derive(Deserialize)]
struct Template {
    name: String,
    language: Language,
    #[serde(default)]
    components: Vec<Component>,
}

#[derive(Deserialize)]
struct Language {
    code: String,
}

#[derive(Deserialize)]
struct Component {
    #[serde(rename = "type")]
    kind: String,
    sub_type: Option<String>,
    index: Option<String>,
    #[serde(default)]
    parameters: Vec<Parameter>,
}

#[derive(Deserialize)]
struct Parameter {
    #[serde(rename = "type")]
    kind: String,
    text: Option<String>,
    parameter_name: Option<String>,
    payload: Option<String>,
    currency: Option<Currency>,
    date_time: Option<DateTime>,
    image: Option<Media>,
    video: Option<Media>,
    document: Option<Media>,
}

#[derive(Deserialize)]
struct Currency {
    fallback_value: String,
    code: String,
    amount_1000: i64,
}

#[derive(Deserialize)]
struct DateTime {
    fallback_value: String,
}

#[derive(Deserialize)]
struct Interactive {
    #[serde(rename = "type")]
    kind: String,
    header: Option<Header>,
    body: TextObject,
    footer: Option<TextObject>,
    action: Action,
}

#[derive(Deserialize)]
struct Header {
    #[serde(rename = "type")]
    kind: String,
    text: Option<String>,
    image: Option<Media>,
    video: Option<Media>,
    document: Option<Media>,
}

#[derive(Deserialize)]
struct TextObject {
    text: String,
}

#[derive(Deserialize)]
struct Action {
    #[serde(default)]
    buttons: Vec<Button>,
    button: Option<String>,
    #[serde(default)]
    sections: Vec<Section>,
}

#[derive(Deserialize)]
struct Button {
    reply: Reply,
}

#[derive(Deserialize)]
struct Reply {
    id: String,
    title: String,
}

#[derive(Deserialize)]
struct Section {
    title: Option<String>,
    rows: Vec<Row>,
}

#[derive(Deserialize)]
struct Row {
    id: String,
    title: String,
    description: Option<String>,
}

fn missing(what: &str) -> MessageRejected {
    MessageRejected::Missing { what: what.to_owned() }
}

impl Envelope {
    fn into_message(mut self) -> Result<OutboundMessage, MessageRejected> {
        let to = PhoneNumber::parse(&self.to).map_err(|e| MessageRejected::Invalid(e.to_string()))?;
        let (reply_to, callback_data) = (self.context.take(), self.biz_opaque_callback_data.take());
        let content = self.content()?;
        let mut message = OutboundMessage::new(to, content);
        if let Some(context) = reply_to {
            message = message.replying_to(&context.message_id)?;
        }
        if let Some(data) = callback_data {
            message = message.with_callback_data(&data)?;
        }
        Ok(message)
    }

    fn content(self) -> Result<MessageContent, MessageRejected> {
        let media = |kind: MediaKind, media: Option<Media>| -> Result<MessageContent, MessageRejected> {
            let media = media.ok_or_else(|| missing(&format!("The {} object", kind.as_str())))?;
            let message =
                MediaMessage::new(kind, media.message_source()?, media.caption.as_deref(), media.filename.as_deref())?;
            Ok(MessageContent::Media(message))
        };
        match self.kind.as_str() {
            "text" => {
                let text = self.text.ok_or_else(|| missing("The text object"))?;
                Ok(MessageContent::Text(TextMessage::new(&text.body, text.preview_url)?))
            }
            "image" => media(MediaKind::Image, self.image),
            "video" => media(MediaKind::Video, self.video),
            "audio" => media(MediaKind::Audio, self.audio),
            "document" => media(MediaKind::Document, self.document),
            "sticker" => media(MediaKind::Sticker, self.sticker),
            "location" => {
                let l = self.location.ok_or_else(|| missing("The location object"))?;
                let location = LocationMessage::new(l.latitude, l.longitude, l.name.as_deref(), l.address.as_deref())?;
                Ok(MessageContent::Location(location))
            }
            "contacts" => {
                let cards = self.contacts.unwrap_or_default().into_iter().map(contact).collect::<Result<_, _>>()?;
                Ok(MessageContent::Contacts(ContactCards::new(cards)?))
            }
            "reaction" => {
                let r = self.reaction.ok_or_else(|| missing("The reaction object"))?;
                Ok(MessageContent::Reaction(Reaction::new(&r.message_id, &r.emoji)?))
            }
            "template" => {
                Ok(MessageContent::Template(template(self.template.ok_or_else(|| missing("The template"))?)?))
            }
            "interactive" => interactive(self.interactive.ok_or_else(|| missing("The interactive object"))?),
            other => Err(MessageRejected::NotAllowed(format!("Parley does not send messages of type \"{other}\""))),
        }
    }
}

fn contact(wire: Contact) -> Result<ContactCard, MessageRejected> {
    let name = &wire.name;
    let mut card = ContactCard::new(&name.formatted_name, name.first_name.as_deref(), name.last_name.as_deref())?;
    for phone in &wire.phones {
        let number = PhoneNumber::parse(&phone.phone).map_err(|e| MessageRejected::Invalid(e.to_string()))?;
        card = card.with_phone(&number, phone.label.as_deref())?;
    }
    for email in &wire.emails {
        let address = EmailAddress::parse(&email.email).map_err(|e| MessageRejected::Invalid(e.to_string()))?;
        card = card.with_email(&address, email.label.as_deref())?;
    }
    Ok(card)
}

fn template(wire: Template) -> Result<TemplateMessage, MessageRejected> {
    let components = wire.components.into_iter().map(component).collect::<Result<_, _>>()?;
    TemplateMessage::new(TemplateName::parse(&wire.name)?, TemplateLanguage::parse(&wire.language.code)?, components)
}

fn component(wire: Component) -> Result<TemplateComponent, MessageRejected> {
    let mut parameters = wire.parameters.into_iter();
    match (wire.kind.as_str(), wire.sub_type.as_deref()) {
        ("header", _) => match (parameters.next(), parameters.next()) {
            (Some(parameter), None) => TemplateComponent::header(template_parameter(parameter)?),
            _ => Err(MessageRejected::Invalid("A template header takes exactly one parameter".into())),
        },
        ("body", _) => TemplateComponent::body(parameters.map(template_parameter).collect::<Result<_, _>>()?),
        ("button", Some(sub_type)) => {
            let index = wire
                .index
                .as_deref()
                .and_then(|i| i.parse::<u8>().ok())
                .ok_or_else(|| MessageRejected::Invalid("A template button needs its index (0 to 9)".into()))?;
            let parameter = parameters.next().ok_or_else(|| missing("The button's parameter"))?;
            match sub_type {
                "quick_reply" => TemplateComponent::quick_reply(index, &parameter.payload.unwrap_or_default()),
                "url" => TemplateComponent::url_button(index, &parameter.text.unwrap_or_default()),
                other => {
                    Err(MessageRejected::NotAllowed(format!("Template buttons of type \"{other}\" are not supported")))
                }
            }
        }
        (other, _) => {
            Err(MessageRejected::NotAllowed(format!("Template components of type \"{other}\" are not supported")))
        }
    }
}

fn template_parameter(wire: Parameter) -> Result<TemplateParameter, MessageRejected> {
    let media = |media: Option<Media>| media.ok_or_else(|| missing("The parameter's media"));
    match wire.kind.as_str() {
        "text" => {
            let text = wire.text.unwrap_or_default();
            match &wire.parameter_name {
                Some(name) => TemplateParameter::named(name, &text),
                None => TemplateParameter::text(&text),
            }
        }
        "currency" => {
            let c = wire.currency.ok_or_else(|| missing("The currency"))?;
            TemplateParameter::currency(&c.fallback_value, &c.code, c.amount_1000)
        }
        "date_time" => TemplateParameter::date_time(&wire.date_time.ok_or_else(|| missing("The date"))?.fallback_value),
        "image" => Ok(TemplateParameter::image(media(wire.image)?.source()?)),
        "video" => Ok(TemplateParameter::video(media(wire.video)?.source()?)),
        "document" => {
            let document = media(wire.document)?;
            TemplateParameter::document(document.source()?, document.filename.as_deref())
        }
        other => Err(MessageRejected::NotAllowed(format!("Template parameters of type \"{other}\" are not supported"))),
    }
}

fn interactive(wire: Interactive) -> Result<MessageContent, MessageRejected> {
    let footer = wire.footer.as_ref().map(|f| f.text.as_str());
    match wire.kind.as_str() {
        "button" => {
            let header = wire.header.map(header).transpose()?;
            let buttons = wire
                .action
                .buttons
                .iter()
                .map(|b| ReplyButton::new(&b.reply.id, &b.reply.title))
                .collect::<Result<_, _>>()?;
            Ok(MessageContent::InteractiveButtons(ButtonMessage::new(header, &wire.body.text, footer, buttons)?))
        }
        "list" => {
            let header = match wire.header {
                Some(Header { kind, text: Some(text), .. }) if kind == "text" => Some(text),
                Some(_) => return Err(MessageRejected::NotAllowed("A list message's header can only be text".into())),
                None => None,
            };
            let sections = wire
                .action
                .sections
                .iter()
                .map(|s| {
                    let rows = s
                        .rows
                        .iter()
                        .map(|r| ListRow::new(&r.id, &r.title, r.description.as_deref()))
                        .collect::<Result<_, _>>()?;
                    ListSection::new(s.title.as_deref(), rows)
                })
                .collect::<Result<_, _>>()?;
            let button = wire.action.button.ok_or_else(|| missing("The list button"))?;
            let list = ListMessage::new(header.as_deref(), &wire.body.text, footer, &button, sections)?;
            Ok(MessageContent::InteractiveList(list))
        }
        other => {
            Err(MessageRejected::NotAllowed(format!("Interactive messages of type \"{other}\" are not supported")))
        }
    }
}

fn header(wire: Header) -> Result<InteractiveHeader, MessageRejected> {
    let media = |media: Option<Media>| media.ok_or_else(|| missing("The header's media"))?.source();
    match wire.kind.as_str() {
        "text" => InteractiveHeader::text(&wire.text.unwrap_or_default()),
        "image" => Ok(InteractiveHeader::Image(media(wire.image)?)),
        "video" => Ok(InteractiveHeader::Video(media(wire.video)?)),
        "document" => Ok(InteractiveHeader::Document(media(wire.document)?)),
        other => Err(MessageRejected::NotAllowed(format!("Headers of type \"{other}\" are not supported"))),
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use serde_json::json;

    fn to() -> PhoneNumber {
        PhoneNumber::parse("+4915123456789").unwrap()
    }

    fn round_trip(message: OutboundMessage) {
        let stored = serde_json::to_value(&message).unwrap();
        let read: OutboundMessage = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(read, message, "{stored}");
    }

    #[test]
    fn a_stored_file_waits_in_the_queue_and_leaves_by_metas_id() {
        let file = uuid::Uuid::from_u128(7);
        let media = MediaMessage::new(MediaKind::Document, MediaSource::Stored(file), Some("Menu"), Some("menu.pdf")).unwrap();
        let queued = OutboundMessage::new(to(), MessageContent::Media(media));
        let stored = serde_json::to_value(&queued).unwrap();
        assert_eq!(stored["document"], json!({"parley_media_id": file, "caption": "Menu", "filename": "menu.pdf"}));
        round_trip(queued.clone());
        assert_eq!(queued.stored_file(), Some(file));

        let sent = queued.with_uploaded_file("1013859600285441").unwrap();
        assert_eq!(sent.stored_file(), None);
        let wire = serde_json::to_value(&sent).unwrap();
        assert_eq!(wire["document"], json!({"id": "1013859600285441", "caption": "Menu", "filename": "menu.pdf"}));

        let both = json!({"to": "4915123456789", "type": "image", "image": {"parley_media_id": file, "id": "1"}});
        assert!(serde_json::from_value::<OutboundMessage>(both).is_err(), "one source only");
        let in_template = json!({"to": "4915123456789", "type": "template", "template": {"name": "menu",
            "language": {"code": "en_US"}, "components": [{"type": "header", "parameters": [{"type": "image",
            "image": {"parley_media_id": file}}]}]}});
        assert!(serde_json::from_value::<OutboundMessage>(in_template).is_err(), "templates carry Meta's ids or links only");
    }

    #[test]
    fn every_kind_reads_back_as_written() {
        let text = MessageContent::Text(TextMessage::new("Hello", true).unwrap());
        round_trip(OutboundMessage::new(to(), text).replying_to("wamid.A").unwrap().with_callback_data("c").unwrap());
        for kind in MediaKind::ALL {
            let caption = kind.allows_caption().then_some("Look");
            let filename = (kind == MediaKind::Document).then_some("a.pdf");
            let media = MediaMessage::new(kind, MediaSource::id("42").unwrap(), caption, filename).unwrap();
            round_trip(OutboundMessage::new(to(), MessageContent::Media(media)));
        }
        let location = LocationMessage::new(52.5, 13.4, Some("Office"), None).unwrap();
        round_trip(OutboundMessage::new(to(), MessageContent::Location(location)));
        let card = ContactCard::new("Ada Lovelace", Some("Ada"), None)
            .unwrap()
            .with_phone(&to(), Some("CELL"))
            .unwrap()
            .with_email(&EmailAddress::parse("ada@example.com").unwrap(), Some("WORK"))
            .unwrap();
        round_trip(OutboundMessage::new(to(), MessageContent::Contacts(ContactCards::new(vec![card]).unwrap())));
        round_trip(OutboundMessage::new(to(), MessageContent::Reaction(Reaction::new("wamid.A", "👍").unwrap())));
        let template = TemplateMessage::new(
            TemplateName::parse("order_update").unwrap(),
            TemplateLanguage::parse("en_US").unwrap(),
            vec![
                TemplateComponent::header(
                    TemplateParameter::document(MediaSource::link("https://e.com/a.pdf").unwrap(), Some("a.pdf"))
                        .unwrap(),
                )
                .unwrap(),
                TemplateComponent::body(vec![
                    TemplateParameter::text("Ada").unwrap(),
                    TemplateParameter::currency("€1.00", "EUR", 1000).unwrap(),
                    TemplateParameter::date_time("Monday").unwrap(),
                ])
                .unwrap(),
                TemplateComponent::quick_reply(0, "STOP").unwrap(),
                TemplateComponent::url_button(1, "42").unwrap(),
            ],
        )
        .unwrap();
        round_trip(OutboundMessage::new(to(), MessageContent::Template(template)));
        let buttons = ButtonMessage::new(
            Some(InteractiveHeader::Image(MediaSource::id("7").unwrap())),
            "Pick one",
            Some("Footer"),
            vec![ReplyButton::new("a", "A").unwrap(), ReplyButton::new("b", "B").unwrap()],
        )
        .unwrap();
        round_trip(OutboundMessage::new(to(), MessageContent::InteractiveButtons(buttons)));
        let rows = vec![ListRow::new("r1", "Row", Some("Description")).unwrap()];
        let list = ListMessage::new(
            Some("Menu"),
            "Choose",
            None,
            "Open",
            vec![ListSection::new(Some("Section"), rows).unwrap()],
        )
        .unwrap();
        round_trip(OutboundMessage::new(to(), MessageContent::InteractiveList(list)));
    }

    #[test]
    fn stored_json_that_meta_would_refuse_is_refused_on_reading() {
        let too_many = json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": "4915123456789", "type": "interactive",
            "interactive": {"type": "button", "body": {"text": "Pick"}, "action": {"buttons": [
                {"type": "reply", "reply": {"id": "1", "title": "One"}}, {"type": "reply", "reply": {"id": "2", "title": "Two"}},
                {"type": "reply", "reply": {"id": "3", "title": "Three"}}, {"type": "reply", "reply": {"id": "4", "title": "Four"}}
            ]}}
        });
        let error = serde_json::from_value::<OutboundMessage>(too_many).unwrap_err().to_string();
        assert!(error.contains("Buttons: 1 to 3 allowed, 4 given"), "{error}");
        let caption_on_audio = json!({"to": "4915123456789", "type": "audio", "audio": {"id": "1", "caption": "x"}});
        assert!(serde_json::from_value::<OutboundMessage>(caption_on_audio).is_err());
        let id_and_link =
            json!({"to": "4915123456789", "type": "image", "image": {"id": "1", "link": "https://e.com/a"}});
        assert!(serde_json::from_value::<OutboundMessage>(id_and_link).is_err());
        let unknown = json!({"to": "4915123456789", "type": "order", "order": {}});
        assert!(serde_json::from_value::<OutboundMessage>(unknown).is_err());
        let wrong_object = json!({"to": "4915123456789", "type": "text", "image": {"id": "1"}});
        assert!(serde_json::from_value::<OutboundMessage>(wrong_object).is_err());
    }
}
