//! Parley's Cloud API client against the real sandbox over HTTP: every kind of message reaches the
//! simulated customer, Meta's error codes come back classified, and the inbound media downloader
//! stores what customers send. Each test starts its own sandbox on its own database.
#![recursion_limit = "256"]

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::body::Bytes;
use parley::cloud::{CloudClient, CloudError, GraphAccount};
use parley::domain::cloud::template::{TemplateButton, TemplateExample, TemplateSection};
use parley::domain::cloud::{
    ButtonMessage, ContactCard, ContactCards, ErrorClass, InteractiveHeader, ListMessage, ListRow, ListSection,
    LocationMessage, MediaKind, MediaMessage, MediaSource, MessageContent, NewTemplate, OutboundMessage,
    QualityRating, Reaction, ReplyButton, TemplateCategory, TemplateComponent, TemplateDefinition, TemplateLanguage,
    TemplateMessage, TemplateName, TemplateParameter, TemplateStatus, TextMessage,
};
use parley::domain::{EmailAddress, PhoneNumber};
use parley_sandbox::{RunningSandbox, SandboxConfig};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PHONE: &str = "1001";
const WABA: &str = "2001";
const TOKEN: &str = "sandbox-token-1";
const APP_SECRET: &str = "app-secret-1";
const VERIFY_TOKEN: &str = "verify-me";
const CUSTOMER: &str = "4915112345678";

fn database_url(options: &PgConnectOptions) -> String {
    format!(
        "postgres://{}@{}:{}/{}",
        options.get_username(),
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("postgres")
    )
}

fn free_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

struct Sandbox {
    running: RunningSandbox,
    database_url: String,
    base: String,
    http: reqwest::Client,
    cloud: CloudClient,
    account: GraphAccount,
}

impl Sandbox {
    /// A sandbox with one business and fast timings: statuses within 50 ms, reviews within 50 ms.
    async fn start(options: &PgConnectOptions) -> Sandbox {
        let sandbox = Self::start_at(database_url(options), free_addr()).await;
        let response = sandbox
            .http
            .put(format!("{}/sandbox/businesses/{PHONE}", sandbox.base))
            .json(&json!({"waba_id": WABA, "app_id": "3001", "app_secret": APP_SECRET, "access_token": TOKEN,
                          "display_phone_number": "+1 555 010 1001", "verified_name": "Sandbox Bakery"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        sandbox
            .config(json!({
                "status_delays_ms": {"sent": 10, "delivered": 30, "read": null},
                "template_review_delay_ms": 50,
                "throughput_per_second": 1000,
                "pair_limit": {"burst": 100, "refill_seconds": 6.0},
                "webhook_retry": {"initial_backoff_ms": 100, "max_backoff_ms": 400, "max_attempts": 3}
            }))
            .await;
        sandbox
    }

    /// Also a restart: the sandbox keeps its state in the database.
    async fn start_at(database_url: String, addr: SocketAddr) -> Sandbox {
        let public_url = format!("http://{addr}");
        let running = parley_sandbox::start(SandboxConfig { database_url: database_url.clone(), addr, public_url })
            .await
            .unwrap();
        let account = GraphAccount { base_url: running.graph_base_url(), access_token: TOKEN.into() };
        let cloud = CloudClient::with_timeouts(Duration::from_secs(2), Duration::from_secs(5));
        Sandbox { base: format!("http://{addr}"), running, database_url, http: reqwest::Client::new(), cloud, account }
    }

    async fn config(&self, patch: Value) {
        let response = self.http.put(format!("{}/sandbox/config", self.base)).json(&patch).send().await.unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }

    /// The customer writes (opening the 24-hour window); returns the message's wamid.
    async fn customer_says(&self, wa_id: &str, message: Value) -> String {
        let response = self
            .http
            .post(format!("{}/sandbox/customers/{wa_id}/messages", self.base))
            .json(&json!({"phone_number_id": PHONE, "profile_name": "Zoë", "message": message}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["wamid"].as_str().unwrap().to_owned()
    }

    async fn chat(&self, wa_id: &str) -> Vec<Value> {
        let url = format!("{}/sandbox/customers/{wa_id}/messages?phone_number_id={PHONE}", self.base);
        let body: Value = self.http.get(url).send().await.unwrap().json().await.unwrap();
        body["messages"].as_array().unwrap().clone()
    }

    /// The chat once `done` holds for it; fails after 5 s.
    async fn chat_until(&self, wa_id: &str, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        for _ in 0..100 {
            let chat = self.chat(wa_id).await;
            if done(&chat) {
                return chat;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for {what}: {:#}", json!(self.chat(wa_id).await));
    }

    /// The outbound message `wamid` once it has left `accepted`.
    async fn settled(&self, wa_id: &str, wamid: &str) -> Value {
        let chat = self
            .chat_until(wa_id, &format!("the status of {wamid}"), |chat| {
                chat.iter().any(|m| m["wamid"] == wamid && m["status"] != "accepted")
            })
            .await;
        chat.into_iter().find(|m| m["wamid"] == wamid).unwrap()
    }

    async fn send(&self, to: &str, content: MessageContent) -> Result<String, CloudError> {
        let message = OutboundMessage::new(PhoneNumber::parse(to).unwrap(), content);
        self.cloud.send(&self.account, PHONE, &message).await.map(|accepted| accepted.wamid)
    }

    /// Submits a template and waits for the sandbox's review to approve it.
    async fn approved(&self, template: &NewTemplate) -> TemplateDefinition {
        let created = self.cloud.create_template(&self.account, WABA, template).await.unwrap();
        assert_eq!(created.status, TemplateStatus::Pending);
        for _ in 0..100 {
            let templates = self.cloud.list_templates(&self.account, WABA).await.unwrap();
            let found = templates.into_iter().find(|t| t.id == created.id).unwrap();
            if found.status == TemplateStatus::Approved {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("template {} was not approved", created.id);
    }

    async fn set_template_status(&self, id: &str, status: &str) {
        let response = self
            .http
            .put(format!("{}/sandbox/templates/{id}", self.base))
            .json(&json!({"status": status}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }
}

fn graph_error<T: std::fmt::Debug>(result: Result<T, CloudError>) -> (i64, ErrorClass) {
    match result {
        Err(CloudError::Graph(error)) => (error.code, error.class()),
        other => panic!("expected a Graph API error, got {other:?}"),
    }
}

fn text(body: &str) -> MessageContent {
    MessageContent::Text(TextMessage::new(body, false).unwrap())
}

fn media(kind: MediaKind, source: MediaSource, caption: Option<&str>, filename: Option<&str>) -> MessageContent {
    MessageContent::Media(MediaMessage::new(kind, source, caption, filename).unwrap())
}

/// "Hi {{1}}, your order {{2}} is ready." with a footer and a quick reply.
fn order_ready(name: &str) -> NewTemplate {
    NewTemplate::new(
        TemplateName::parse(name).unwrap(),
        TemplateLanguage::parse("en_US").unwrap(),
        TemplateCategory::Utility,
        vec![
            TemplateSection::Body {
                text: "Hi {{1}}, your order {{2}} is ready.".into(),
                example: Some(TemplateExample {
                    body_text: vec![vec!["Ann".into(), "42".into()]],
                    ..Default::default()
                }),
            },
            TemplateSection::Footer { text: "Sandbox Bakery".into() },
            TemplateSection::Buttons { buttons: vec![TemplateButton::QuickReply { text: "Thanks".into() }] },
        ],
    )
    .unwrap()
}

fn order_ready_for(template: &TemplateDefinition, name: &str, order: &str) -> MessageContent {
    let values = vec![TemplateParameter::text(name).unwrap(), TemplateParameter::text(order).unwrap()];
    let body = TemplateComponent::body(values);
    let button = TemplateComponent::quick_reply(0, &format!("thanks-{order}"));
    MessageContent::Template(template.message(vec![body.unwrap(), button.unwrap()]).unwrap())
}

// ---------------------------------------------------------------------------------------------
// Sending

#[sqlx::test(migrations = false)]
async fn every_kind_of_message_reaches_the_customer(_: PgPoolOptions, options: PgConnectOptions) {
    let s = Sandbox::start(&options).await;
    let inbound = s.customer_says(CUSTOMER, json!({"type": "text", "text": {"body": "Is my cake ready?"}})).await;

    let uploads = [
        (MediaKind::Image, "image/png", "cake.png", &b"\x89PNG\r\n\x1a\nsandbox picture"[..]),
        (MediaKind::Video, "video/mp4", "cake.mp4", b"\x00\x00\x00\x18ftypmp42 video"),
        (MediaKind::Audio, "audio/ogg", "hello.ogg", b"OggS voice note"),
        (MediaKind::Document, "application/pdf", "invoice.pdf", b"%PDF-1.4 invoice"),
        (MediaKind::Sticker, "image/webp", "smile.webp", b"RIFF\x10\x00\x00\x00WEBPVP8 sticker"),
    ];
    let mut sent: Vec<(String, &str)> = Vec::new();
    let mut image_id = String::new();
    for (kind, mime, filename, bytes) in uploads {
        let id = s.cloud.upload_media(&s.account, PHONE, mime, filename, Bytes::from_static(bytes)).await.unwrap();
        if kind == MediaKind::Image {
            image_id = id.clone();
        }
        let caption = kind.allows_caption().then_some("Here it is");
        let name = (kind == MediaKind::Document).then_some(filename);
        let by_id = media(kind, MediaSource::id(&id).unwrap(), caption, name);
        sent.push((s.send(CUSTOMER, by_id).await.unwrap(), kind.as_str()));
        let link = MediaSource::link(&format!("https://cdn.example.com/{filename}")).unwrap();
        sent.push((s.send(CUSTOMER, media(kind, link, caption, name)).await.unwrap(), kind.as_str()));
    }

    let reply = OutboundMessage::new(PhoneNumber::parse(CUSTOMER).unwrap(), text("Yes, it is ready!"))
        .replying_to(&inbound)
        .unwrap();
    sent.push((s.cloud.send(&s.account, PHONE, &reply).await.unwrap().wamid, "text"));
    let location = LocationMessage::new(52.52, 13.405, Some("Sandbox Bakery"), Some("Main St 1")).unwrap();
    sent.push((s.send(CUSTOMER, MessageContent::Location(location)).await.unwrap(), "location"));
    let card = ContactCard::new("Ann Baker", Some("Ann"), Some("Baker"))
        .unwrap()
        .with_phone(&PhoneNumber::parse("+4915100000001").unwrap(), Some("CELL"))
        .unwrap()
        .with_email(&EmailAddress::parse("ann@bakery.example").unwrap(), Some("WORK"))
        .unwrap();
    let contacts = MessageContent::Contacts(ContactCards::new(vec![card]).unwrap());
    sent.push((s.send(CUSTOMER, contacts).await.unwrap(), "contacts"));
    let reaction = MessageContent::Reaction(Reaction::new(&inbound, "👍").unwrap());
    sent.push((s.send(CUSTOMER, reaction).await.unwrap(), "reaction"));
    let buttons = ButtonMessage::new(
        Some(InteractiveHeader::Image(MediaSource::id(&image_id).unwrap())),
        "Pick it up today?",
        Some("Sandbox Bakery"),
        vec![ReplyButton::new("today", "Today").unwrap(), ReplyButton::new("tomorrow", "Tomorrow").unwrap()],
    )
    .unwrap();
    sent.push((s.send(CUSTOMER, MessageContent::InteractiveButtons(buttons)).await.unwrap(), "interactive"));
    let rows = vec![
        ListRow::new("chocolate", "Chocolate", Some("Dark and rich")).unwrap(),
        ListRow::new("lemon", "Lemon", None).unwrap(),
    ];
    let list = ListMessage::new(
        Some("Menu"),
        "Which cake next time?",
        None,
        "Cakes",
        vec![ListSection::new(Some("Cakes"), rows).unwrap()],
    )
    .unwrap();
    sent.push((s.send(CUSTOMER, MessageContent::InteractiveList(list)).await.unwrap(), "interactive"));
    let template = s.approved(&order_ready("order_ready")).await;
    assert_eq!(template.body_text(), "Hi {{1}}, your order {{2}} is ready.");
    sent.push((s.send(CUSTOMER, order_ready_for(&template, "Zoë", "42")).await.unwrap(), "template"));
    s.cloud.mark_read(&s.account, PHONE, &inbound).await.unwrap();

    let chat = s
        .chat_until(CUSTOMER, "every message delivered", |chat| {
            sent.iter().all(|(wamid, _)| chat.iter().any(|m| &m["wamid"] == wamid && m["status"] == "delivered"))
        })
        .await;
    assert_eq!(chat[0]["wamid"], inbound.as_str());
    assert_eq!(chat[0]["status"], "read", "mark_read shows the blue ticks");
    let outbound: Vec<&Value> = chat.iter().filter(|m| m["direction"] == "outbound").collect();
    assert_eq!(outbound.len(), sent.len());
    for ((wamid, kind), message) in sent.iter().zip(&outbound) {
        assert_eq!(&message["wamid"], wamid, "in the order sent");
        assert_eq!(message["type"], *kind, "{message}");
    }
    let find = |wamid: &str| outbound.iter().find(|m| m["wamid"] == wamid).copied().unwrap().clone();
    let image = find(&sent[0].0)["message"]["image"].clone();
    assert_eq!(image, json!({"id": image_id, "caption": "Here it is"}));
    assert_eq!(find(&sent[1].0)["message"]["image"]["link"], "https://cdn.example.com/cake.png");
    assert_eq!(find(&sent[6].0)["message"]["document"]["filename"], "invoice.pdf");
    assert_eq!(find(&sent[10].0)["message"]["context"]["message_id"], inbound.as_str());
    assert_eq!(find(&sent[10].0)["message"]["text"]["body"], "Yes, it is ready!");
    assert_eq!(find(&sent[11].0)["message"]["location"]["name"], "Sandbox Bakery");
    let contact = find(&sent[12].0)["message"]["contacts"][0].clone();
    assert_eq!(contact["phones"][0]["wa_id"], "4915100000001");
    assert_eq!(contact["emails"][0]["email"], "ann@bakery.example");
    assert_eq!(find(&sent[13].0)["message"]["reaction"], json!({"message_id": inbound, "emoji": "👍"}));
    assert_eq!(find(&sent[14].0)["message"]["interactive"]["action"]["buttons"][1]["reply"]["id"], "tomorrow");
    assert_eq!(find(&sent[15].0)["message"]["interactive"]["action"]["sections"][0]["rows"][0]["id"], "chocolate");
    let rendered = find(&sent[16].0)["rendered"].clone();
    assert_eq!(rendered["body"], "Hi Zoë, your order 42 is ready.");
    assert_eq!(rendered["footer"], "Sandbox Bakery");
    assert_eq!(rendered["buttons"][0]["payload"], "thanks-42");
    s.running.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Meta's errors, as the sandbox answers them

#[sqlx::test(migrations = false)]
async fn refusals_come_back_as_graph_errors_with_their_class(_: PgPoolOptions, options: PgConnectOptions) {
    let s = Sandbox::start(&options).await;
    s.customer_says(CUSTOMER, json!({"type": "text", "text": {"body": "hi"}})).await;

    let wrong_token = GraphAccount { access_token: "not-the-token".into(), ..s.account.clone() };
    assert_eq!(graph_error(s.cloud.phone_number(&wrong_token, PHONE).await), (190, ErrorClass::Auth));
    let message = OutboundMessage::new(PhoneNumber::parse(CUSTOMER).unwrap(), text("hi"));
    assert_eq!(graph_error(s.cloud.send(&wrong_token, PHONE, &message).await), (190, ErrorClass::Auth));

    assert_eq!(graph_error(s.cloud.phone_number(&s.account, "9999").await), (100, ErrorClass::Permanent));
    assert_eq!(graph_error(s.cloud.send(&s.account, "9999", &message).await), (100, ErrorClass::Permanent));

    // The client takes media ids of up to 128 characters; the sandbox only up to 64.
    let long_id = media(MediaKind::Image, MediaSource::id(&"7".repeat(65)).unwrap(), None, None);
    assert_eq!(graph_error(s.send(CUSTOMER, long_id).await), (131009, ErrorClass::Permanent));

    let template = s.approved(&order_ready("order_ready")).await;
    let name = TemplateName::parse("order_ready").unwrap();
    let english = TemplateLanguage::parse("en_US").unwrap();
    let unknown = TemplateMessage::new(TemplateName::parse("no_such_template").unwrap(), english.clone(), vec![]);
    assert_eq!(
        graph_error(s.send(CUSTOMER, MessageContent::Template(unknown.unwrap())).await),
        (132001, ErrorClass::Permanent)
    );
    let other_language = TemplateMessage::new(name.clone(), TemplateLanguage::parse("de").unwrap(), vec![]).unwrap();
    assert_eq!(
        graph_error(s.send(CUSTOMER, MessageContent::Template(other_language)).await),
        (132001, ErrorClass::Permanent)
    );
    // Built without the definition, so the client cannot know the body wants two values.
    let one_value = TemplateComponent::body(vec![TemplateParameter::text("Zoë").unwrap()]).unwrap();
    let short = TemplateMessage::new(name, english, vec![one_value]).unwrap();
    assert_eq!(graph_error(s.send(CUSTOMER, MessageContent::Template(short)).await), (132000, ErrorClass::Permanent));

    s.set_template_status(&template.id, "PAUSED").await;
    let paused = s.send(CUSTOMER, order_ready_for(&template, "Zoë", "42")).await;
    assert_eq!(graph_error(paused), (132015, ErrorClass::Permanent));
    s.set_template_status(&template.id, "DISABLED").await;
    let disabled = s.send(CUSTOMER, order_ready_for(&template, "Zoë", "42")).await;
    assert_eq!(graph_error(disabled), (132016, ErrorClass::Permanent));
    s.set_template_status(&template.id, "APPROVED").await;
    s.send(CUSTOMER, order_ready_for(&template, "Zoë", "42")).await.unwrap();

    // Throughput: a burst of one second's worth, then 130429 until the bucket refills.
    s.config(json!({"throughput_per_second": 2})).await;
    let mut burst = Vec::new();
    for i in 0..5 {
        burst.push(s.send(&format!("49151000001{i:02}"), text("offer")).await);
    }
    assert!(burst[0].is_ok(), "{burst:?}");
    let limited = burst.into_iter().filter(|r| r.is_err()).map(graph_error).collect::<Vec<_>>();
    assert!(!limited.is_empty());
    assert!(limited.iter().all(|e| *e == (130429, ErrorClass::RetryLater)), "{limited:?}");

    // Pair limit: two to the same customer, then 131056; another customer is not affected.
    s.config(json!({"throughput_per_second": 1000, "pair_limit": {"burst": 2, "refill_seconds": 60.0}})).await;
    let pair = "4915122223333";
    s.send(pair, text("1")).await.unwrap();
    s.send(pair, text("2")).await.unwrap();
    assert_eq!(graph_error(s.send(pair, text("3")).await), (131056, ErrorClass::RetryLater));
    s.send("4915122224444", text("other customer")).await.unwrap();
    s.running.shutdown().await;
}

#[sqlx::test(migrations = false)]
async fn undeliverable_messages_are_accepted_then_fail_with_their_code(_: PgPoolOptions, options: PgConnectOptions) {
    let s = Sandbox::start(&options).await;
    let template = s.approved(&order_ready("order_ready")).await;

    // Never wrote: outside the 24-hour window only templates go through.
    let silent = "4915133334444";
    let wamid = s.send(silent, text("Your cake is ready")).await.unwrap();
    let failed = s.settled(silent, &wamid).await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["errors"][0]["code"], 131047, "{failed}");
    let wamid = s.send(silent, order_ready_for(&template, "Ann", "7")).await.unwrap();
    assert_ne!(s.settled(silent, &wamid).await["status"], "failed", "templates open conversations");

    // Not on WhatsApp: accepted, then undeliverable, template or not.
    let nobody = "4915155550000";
    for content in [text("hello?"), order_ready_for(&template, "Ann", "8")] {
        let wamid = s.send(nobody, content).await.unwrap();
        let failed = s.settled(nobody, &wamid).await;
        assert_eq!(failed["status"], "failed");
        assert_eq!(failed["errors"][0]["code"], 131026, "{failed}");
    }
    s.running.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// The number, webhook subscription, media and templates

/// A webhook endpoint of our own: answers Meta's handshake when `echo` is set, counts deliveries.
#[derive(Clone, Default)]
struct Hook {
    echo: bool,
    deliveries: Arc<Mutex<Vec<Value>>>,
}

async fn handshake(State(hook): State<Hook>, Query(query): Query<HashMap<String, String>>) -> String {
    let token_ok = query.get("hub.verify_token").map(String::as_str) == Some(VERIFY_TOKEN);
    match (hook.echo && token_ok, query.get("hub.challenge")) {
        (true, Some(challenge)) => challenge.clone(),
        _ => "not the challenge".into(),
    }
}

async fn delivery(State(hook): State<Hook>, body: axum::Json<Value>) {
    hook.deliveries.lock().unwrap().push(body.0);
}

async fn start_hook(echo: bool) -> (Hook, String) {
    let hook = Hook { echo, ..Default::default() };
    let app = Router::new().route("/hook", get(handshake).post(delivery)).with_state(hook.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (hook, url)
}

#[sqlx::test(migrations = false)]
async fn number_details_and_webhook_subscription(_: PgPoolOptions, options: PgConnectOptions) {
    let s = Sandbox::start(&options).await;
    let number = s.cloud.phone_number(&s.account, PHONE).await.unwrap();
    assert_eq!(number.id, PHONE);
    assert_eq!(number.verified_name, "Sandbox Bakery");
    assert_eq!(number.display_phone_number, "+1 555 010 1001");
    assert_eq!(number.quality_rating, QualityRating::Green);

    let (silent, silent_url) = start_hook(false).await;
    let refused = s.cloud.subscribe_app(&s.account, WABA, Some((&silent_url, VERIFY_TOKEN))).await;
    // Meta answers 2200 here; the sandbox answers 100 (see its README). Both are final.
    assert_eq!(graph_error(refused).1, ErrorClass::Permanent);

    let (hook, url) = start_hook(true).await;
    s.cloud.subscribe_app(&s.account, WABA, Some((&url, VERIFY_TOKEN))).await.unwrap();
    s.customer_says(CUSTOMER, json!({"type": "text", "text": {"body": "after subscribing"}})).await;
    for _ in 0..100 {
        if !hook.deliveries.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let delivered = hook.deliveries.lock().unwrap().clone();
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    assert_eq!(delivered[0]["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"], "after subscribing");
    assert!(silent.deliveries.lock().unwrap().is_empty());

    s.cloud.unsubscribe_app(&s.account, WABA).await.unwrap();
    s.customer_says(CUSTOMER, json!({"type": "text", "text": {"body": "after unsubscribing"}})).await;
    let log_url = format!("{}/sandbox/webhooks?limit=10", s.base);
    let mut states = Vec::new();
    for _ in 0..100 {
        let log: Value = s.http.get(&log_url).send().await.unwrap().json().await.unwrap();
        states = log["deliveries"].as_array().cloned().unwrap_or_default();
        if states.iter().any(|d| d["state"] == "no_subscriber") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(states.iter().any(|d| d["state"] == "no_subscriber"), "{states:?}");
    assert_eq!(hook.deliveries.lock().unwrap().len(), 1, "nothing after unsubscribing");

    let other_waba = graph_error(s.cloud.subscribe_app(&s.account, "2999", None).await);
    assert_eq!(other_waba, (100, ErrorClass::Permanent));
    s.running.shutdown().await;
}

#[sqlx::test(migrations = false)]
async fn media_upload_details_download_and_delete(_: PgPoolOptions, options: PgConnectOptions) {
    let s = Sandbox::start(&options).await;
    let bytes = Bytes::from_static(b"%PDF-1.4 the menu for this week");
    let id = s.cloud.upload_media(&s.account, PHONE, "application/pdf", "menu.pdf", bytes.clone()).await.unwrap();
    let info = s.cloud.media_info(&s.account, &id).await.unwrap();
    assert_eq!(info.id, id);
    assert_eq!(info.mime_type, "application/pdf");
    assert_eq!(info.file_size, bytes.len() as u64);
    assert_eq!(info.sha256, hex::encode(Sha256::digest(&bytes)));
    assert_eq!(s.cloud.download_media(&s.account, &info).await.unwrap(), bytes);

    let wrong_token = GraphAccount { access_token: "not-the-token".into(), ..s.account.clone() };
    assert_eq!(graph_error(s.cloud.media_info(&wrong_token, &id).await).0, 190);
    assert!(s.cloud.download_media(&wrong_token, &info).await.is_err(), "the URL needs the token");
    let too_small = CloudClient::new().with_max_download_bytes(8);
    assert!(matches!(too_small.download_media(&s.account, &info).await, Err(CloudError::UnexpectedResponse { .. })));

    s.cloud.delete_media(&s.account, &id).await.unwrap();
    assert_eq!(graph_error(s.cloud.media_info(&s.account, &id).await), (100, ErrorClass::Permanent));
    assert!(s.cloud.download_media(&s.account, &info).await.is_err());
    assert_eq!(graph_error(s.cloud.delete_media(&s.account, &id).await).0, 100);
    s.running.shutdown().await;
}

#[sqlx::test(migrations = false)]
async fn templates_are_listed_across_pages_and_deleted(_: PgPoolOptions, options: PgConnectOptions) {
    let s = Sandbox::start(&options).await;
    // The client asks for 100 a page, so 101 templates take two pages.
    s.config(json!({"template_review_delay_ms": 600000})).await;
    let mut ids = Vec::new();
    for i in 0..101 {
        let created = s.cloud.create_template(&s.account, WABA, &order_ready(&format!("order_ready_{i:03}"))).await;
        ids.push(created.unwrap().id);
    }
    let duplicate = s.cloud.create_template(&s.account, WABA, &order_ready("order_ready_000")).await;
    assert!(matches!(duplicate, Err(CloudError::Graph(_))), "{duplicate:?}");
    let listed = s.cloud.list_templates(&s.account, WABA).await.unwrap();
    assert_eq!(listed.iter().map(|t| t.id.clone()).collect::<Vec<_>>(), ids);
    assert!(listed.iter().all(|t| t.status == TemplateStatus::Pending && t.category == TemplateCategory::Utility));
    assert_eq!(listed[100].name, "order_ready_100");
    assert_eq!(listed[100].footer_text(), Some("Sandbox Bakery"));

    s.cloud.delete_template(&s.account, WABA, "order_ready_000", None).await.unwrap();
    s.cloud.delete_template(&s.account, WABA, "order_ready_001", Some(&ids[1])).await.unwrap();
    let wrong_hsm = s.cloud.delete_template(&s.account, WABA, "order_ready_002", Some(&ids[3])).await;
    assert_eq!(graph_error(wrong_hsm).0, 100);
    assert_eq!(graph_error(s.cloud.delete_template(&s.account, WABA, "order_ready_000", None).await).0, 100);
    let listed = s.cloud.list_templates(&s.account, WABA).await.unwrap();
    assert_eq!(listed.len(), 99);
    assert!(!listed.iter().any(|t| t.name == "order_ready_000" || t.name == "order_ready_001"));
    s.running.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Inbound media: from the customer's phone, through Parley's webhook, into media storage

struct Parley {
    pool: sqlx::PgPool,
    admin: sqlx::PgPool,
    secrets: parley::secrets::SecretKey,
    storage: parley::media::MediaStorage,
    storage_dir: std::path::PathBuf,
    /// The organization's owner.
    actor: parley::domain::Actor,
}

/// A media directory of its own for this test.
fn media_storage() -> parley::media::MediaStorage {
    let dir = std::env::temp_dir().join(format!("parley-test-media-{}", uuid::Uuid::now_v7()));
    parley::media::MediaStorage::directory(&dir).expect("a temporary media directory")
}

/// Parley serving its real router on 127.0.0.1, with a channel for the sandbox's business that
/// is validated and subscribed, so the sandbox's webhooks reach Parley's receiver.
async fn parley_connected_to(s: &Sandbox, options: PgConnectOptions) -> Parley {
    use parley::auth::register::{Registration, register_owner};
    use parley::channels::{self, ChannelForm};
    parley::db::migrate(options.clone()).await.unwrap();
    let pool = parley::db::connect(options.clone(), 5).await.unwrap();
    let admin = PgPoolOptions::new().max_connections(1).connect_with(options).await.unwrap();
    let secrets = parley::secrets::SecretKey::parse_hex(&"22".repeat(32)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let public_url = format!("http://{}", listener.local_addr().unwrap());
    let state = parley_server::http::ServerState {
        app: parley_app::context::AppState {
            pool: pool.clone(),
            mailer: parley::mail::Mailer::DevMailbox,
            public_url: public_url.clone(),
            secure_cookies: false,
            secrets: secrets.clone(),
            cloud: s.cloud.clone(),
            media: media_storage(),
        },
        leptos: leptos::prelude::LeptosOptions::builder().output_name("parley").build(),
        metrics: Default::default(),
    };
    let app = parley_server::http::router(state, public_url.clone());
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap()
    });

    let registration = Registration {
        name: "Ana Alpha",
        email: "ana@alpha.example",
        password: "a long enough password",
        organization_name: "Alpha Bakery",
    };
    let token = register_owner(&pool, registration).await.unwrap();
    let actor = parley::auth::sessions::resolve(&pool, &token.0).await.unwrap().unwrap().actor.unwrap();
    let form = ChannelForm {
        name: "Bakery".into(),
        phone_number_id: PHONE.into(),
        waba_id: WABA.into(),
        app_id: "3001".into(),
        app_secret: APP_SECRET.into(),
        access_token: TOKEN.into(),
        verify_token: VERIFY_TOKEN.into(),
        graph_api_base_url: s.running.graph_base_url(),
    };
    let channel = channels::create(&pool, &secrets, &actor, &form).await.unwrap().channel;
    let channel = channels::validate(&pool, &secrets, &s.cloud, &actor, channel.id).await.unwrap();
    assert_eq!(channel.status_message, None);
    channels::subscribe(&pool, &secrets, &s.cloud, &public_url, &actor, channel.id).await.unwrap();

    let storage_dir = std::env::temp_dir().join(format!("parley-cloud-sandbox-{}", uuid::Uuid::now_v7()));
    let storage = parley::media::MediaStorage::directory(&storage_dir).unwrap();
    Parley { pool, admin, secrets, storage, storage_dir, actor }
}

impl Parley {
    /// Runs the webhook worker until `count` media wait for their download.
    async fn pending_media(&self, count: usize) -> Vec<parley::webhooks::media::PendingMedia> {
        for _ in 0..100 {
            parley::webhooks::worker::process_batch(&self.pool, 100).await.unwrap();
            let pending = parley::webhooks::media::pending(&self.pool, 100).await.unwrap();
            if pending.len() >= count {
                return pending;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the customer's media never reached Parley");
    }

    async fn media_row(&self, id: uuid::Uuid) -> (String, Option<String>, Option<String>) {
        sqlx::query_as("SELECT download_state, storage_key, download_error FROM media WHERE id = $1")
            .bind(id)
            .fetch_one(&self.admin)
            .await
            .unwrap()
    }
}

impl Parley {
    /// Ends every connection to the test database, so it can be dropped at once: a connection the
    /// pool still counts as checked out outlives `close()`, and Postgres would wait 5 s for it.
    async fn close(self) {
        self.pool.close().await;
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .execute(&self.admin)
        .await
        .unwrap();
        self.admin.close().await;
    }
}

impl Drop for Parley {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.storage_dir);
    }
}

/// The media id the sandbox gave the customer's latest picture, and its bytes as the sandbox holds them.
async fn customers_picture(s: &Sandbox, wa_id: &str) -> (String, Bytes) {
    let chat = s.chat(wa_id).await;
    let message = chat.iter().rev().find(|m| m["direction"] == "inbound" && m["type"] == "image").unwrap();
    let media_id = message["message"]["image"]["id"].as_str().unwrap().to_owned();
    let response = s.http.get(format!("{}/sandbox/media/{media_id}", s.base)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    (media_id, response.bytes().await.unwrap())
}

#[sqlx::test(migrations = false)]
async fn a_picture_the_customer_sends_is_downloaded_into_storage(_: PgPoolOptions, options: PgConnectOptions) {
    let s = Sandbox::start(&options).await;
    let parley = parley_connected_to(&s, options).await;
    let photo = json!({"type": "image", "image": {"caption": "My cake order"}});
    s.customer_says(CUSTOMER, photo).await;
    let (media_id, held) = customers_picture(&s, CUSTOMER).await;
    assert!(held.starts_with(b"\x89PNG"), "the sandbox's sample picture");

    let pending = parley.pending_media(1).await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].meta_media_id, media_id);
    assert_eq!(pending[0].mime_type.as_deref(), Some("image/png"));
    let downloaded =
        parley::media::download::download_pending(&parley.pool, &parley.secrets, &s.cloud, &parley.storage, 10).await;
    assert_eq!(downloaded.unwrap(), 1);

    let row = &pending[0];
    let key = format!("{}/{}/{}", row.organization_id, row.channel_id, row.id);
    assert_eq!(parley.media_row(row.id).await, ("stored".into(), Some(key.clone()), None));
    assert_eq!(parley.storage.get(&key).await.unwrap(), held, "the bytes the sandbox holds");
    assert!(parley::webhooks::media::pending(&parley.pool, 10).await.unwrap().is_empty());
    let again = parley::media::download::download_pending(&parley.pool, &parley.secrets, &s.cloud, &parley.storage, 10);
    assert_eq!(again.await.unwrap(), 0, "nothing left to do");

    // The inbox serves it to the organization's agents, and to nobody else.
    let message: uuid::Uuid = sqlx::query_scalar("SELECT id FROM messages WHERE media_id = $1")
        .bind(row.id)
        .fetch_one(&parley.admin)
        .await
        .unwrap();
    let file = parley::media::message_file(&parley.pool, &parley.storage, &parley.actor, message).await.unwrap();
    assert_eq!((file.content_type.as_str(), file.bytes.as_ref()), ("image/png", held.as_ref()));
    let stranger = parley::auth::register::register_owner(&parley.pool, parley::auth::register::Registration {
        name: "Sam Stranger",
        email: "sam@other.example",
        password: "a long enough password",
        organization_name: "Other",
    })
    .await
    .unwrap();
    let stranger = parley::auth::sessions::resolve(&parley.pool, &stranger.0).await.unwrap().unwrap().actor.unwrap();
    assert!(matches!(
        parley::media::message_file(&parley.pool, &parley.storage, &stranger, message).await,
        Err(parley::Error::NotFound)
    ));
    s.running.shutdown().await;
    parley.close().await;
}

#[sqlx::test(migrations = false)]
async fn media_stays_pending_while_meta_is_unreachable_and_fails_once_it_is_gone(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let s = Sandbox::start(&options).await;
    let parley = parley_connected_to(&s, options).await;
    s.customer_says(CUSTOMER, json!({"type": "image", "image": {}})).await;
    let (media_id, _) = customers_picture(&s, CUSTOMER).await;
    let row = parley.pending_media(1).await.remove(0);
    let download = || {
        parley::media::download::download_pending(&parley.pool, &parley.secrets, &s.cloud, &parley.storage, 10)
    };

    let (database_url, addr) = (s.database_url.clone(), s.running.addr);
    s.running.shutdown().await;
    assert_eq!(download().await.unwrap(), 0, "unreachable: tried again later");
    assert_eq!(parley.media_row(row.id).await.0, "pending");

    // Back again, without the file: Meta's "does not exist" is final.
    let s = Sandbox::start_at(database_url, addr).await;
    s.cloud.delete_media(&s.account, &media_id).await.unwrap();
    assert_eq!(download().await.unwrap(), 1);
    let (state, key, error) = parley.media_row(row.id).await;
    assert_eq!((state.as_str(), key), ("failed", None));
    assert!(error.as_deref().is_some_and(|e| e.contains("does not exist")), "{error:?}");
    s.running.shutdown().await;
    parley.close().await;
}
