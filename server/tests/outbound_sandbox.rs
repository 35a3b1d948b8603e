//! Agents' replies end to end against the real Cloud API sandbox over HTTP: a customer writes
//! (through the sandbox's signed webhook into Parley's router), an agent answers with
//! `inbox::outbound::send`, the outbound worker delivers it, and the sandbox's status webhooks
//! move it to read in Parley. Rate limits, an undeliverable number and a sandbox that is down
//! behave as they would with Meta. Each test starts its own sandbox on its own database.
#![recursion_limit = "256"]

use parley::cloud::CloudClient;
use parley::domain::Actor;
use parley::domain::cloud::{MessageContent, TextMessage};
use parley::domain::conversation::{ConversationId, MessageId};
use parley::inbox::outbound::{self, worker};
use parley_sandbox::{RunningSandbox, SandboxConfig};
use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::net::SocketAddr;
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
    base: String,
    http: reqwest::Client,
}

impl Sandbox {
    /// A sandbox with one business and fast timings: sent, delivered and read within 100 ms.
    async fn start(database_url: String, addr: SocketAddr) -> Sandbox {
        let public_url = format!("http://{addr}");
        let running = parley_sandbox::start(SandboxConfig { database_url, addr, public_url }).await.unwrap();
        let sandbox = Sandbox { running, base: format!("http://{addr}"), http: reqwest::Client::new() };
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
                "status_delays_ms": {"sent": 10, "delivered": 40, "read": 80},
                "throughput_per_second": 1000,
                "pair_limit": {"burst": 100, "refill_seconds": 6.0},
                "webhook_retry": {"initial_backoff_ms": 100, "max_backoff_ms": 400, "max_attempts": 5}
            }))
            .await;
        sandbox
    }

    async fn config(&self, patch: Value) {
        let response = self.http.put(format!("{}/sandbox/config", self.base)).json(&patch).send().await.unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }

    /// The customer writes, opening the 24-hour window.
    async fn customer_says(&self, wa_id: &str, body: &str) {
        let response = self
            .http
            .post(format!("{}/sandbox/customers/{wa_id}/messages", self.base))
            .json(&json!({"phone_number_id": PHONE, "profile_name": "Zoë", "message": {"type": "text", "text": {"body": body}}}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }

    async fn chat(&self, wa_id: &str) -> Vec<Value> {
        let url = format!("{}/sandbox/customers/{wa_id}/messages?phone_number_id={PHONE}", self.base);
        let body: Value = self.http.get(url).send().await.unwrap().json().await.unwrap();
        body["messages"].as_array().unwrap().clone()
    }
}

/// Parley serving its real router, with a channel for the sandbox's business that is validated
/// and subscribed, so the sandbox's webhooks reach Parley's receiver.
struct Parley {
    pool: sqlx::PgPool,
    admin: sqlx::PgPool,
    secrets: parley::secrets::SecretKey,
    cloud: CloudClient,
    storage: parley::media::MediaStorage,
    owner: Actor,
    /// Where Parley serves, and the owner's session there.
    url: String,
    session: String,
}

async fn parley_connected_to(s: &Sandbox, options: PgConnectOptions) -> Parley {
    use parley::auth::register::{Registration, register_owner};
    use parley::channels::{self, ChannelForm};
    parley::db::migrate(options.clone()).await.unwrap();
    let pool = parley::db::connect(options.clone(), 5).await.unwrap();
    let admin = PgPoolOptions::new().max_connections(1).connect_with(options).await.unwrap();
    let secrets = parley::secrets::SecretKey::parse_hex(&"22".repeat(32)).unwrap();
    let cloud = CloudClient::with_timeouts(Duration::from_secs(2), Duration::from_secs(5));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let public_url = format!("http://{}", listener.local_addr().unwrap());
    let storage_dir = std::env::temp_dir().join(format!("parley-outbound-sandbox-{}", uuid::Uuid::now_v7()));
    let storage = parley::media::MediaStorage::directory(&storage_dir).unwrap();
    let state = parley_server::http::ServerState {
        app: parley_app::context::AppState {
            pool: pool.clone(),
            mailer: parley::mail::Mailer::DevMailbox,
            public_url: public_url.clone(),
            secure_cookies: false,
            secrets: secrets.clone(),
            cloud: cloud.clone(),
            media: storage.clone(),
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
    let owner = parley::auth::sessions::resolve(&pool, &token.0).await.unwrap().unwrap().actor.unwrap();
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
    let channel = channels::create(&pool, &secrets, &owner, &form).await.unwrap().channel;
    channels::validate(&pool, &secrets, &cloud, &owner, channel.id).await.unwrap();
    channels::subscribe(&pool, &secrets, &cloud, &public_url, &owner, channel.id).await.unwrap();
    Parley { pool, admin, secrets, cloud, storage, owner, url: public_url, session: token.0 }
}

impl Parley {
    /// One round of Parley's background work: webhooks processed, due messages sent.
    async fn work(&self) {
        parley::webhooks::worker::process_batch(&self.pool, 100).await.unwrap();
        parley::webhooks::process::retry_pending_statuses(&self.pool, 100).await.unwrap();
        worker::send_due(&self.pool, &self.secrets, &self.cloud, &self.storage, 100).await.unwrap();
    }

    /// Keeps working until `done` holds for the query's answer; fails after 15 s.
    async fn until<T>(&self, what: &str, sql: &str, done: impl Fn(&T) -> bool) -> T
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin + std::fmt::Debug,
    {
        let mut last = None;
        for _ in 0..300 {
            self.work().await;
            let value: Option<T> = sqlx::query_scalar(sql).fetch_optional(&self.admin).await.unwrap();
            if let Some(value) = value {
                if done(&value) {
                    return value;
                }
                last = Some(value);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for {what}; last: {last:?}");
    }

    /// The conversation the customer's first message opened in Parley.
    async fn conversation_of(&self, wa_id: &str) -> ConversationId {
        let sql = format!(
            "SELECT c.id FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE k.wa_id = '{wa_id}'"
        );
        ConversationId(self.until::<uuid::Uuid>("the customer's conversation", &sql, |_| true).await)
    }

    async fn reply(&self, conversation: ConversationId, body: &str) -> MessageId {
        let content = MessageContent::Text(TextMessage::new(body, false).unwrap());
        outbound::send(&self.pool, &self.owner, conversation, content, None).await.unwrap().id
    }

    /// Uploads a file in the conversation's composer, as the browser does.
    async fn upload(&self, conversation: ConversationId, name: &str, mime_type: &str, bytes: &[u8]) -> reqwest::Response {
        let file = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_owned()).mime_str(mime_type).unwrap();
        let form = reqwest::multipart::Form::new().text("conversation", conversation.0.to_string()).part("file", file);
        reqwest::Client::new()
            .post(format!("{}/media/uploads", self.url))
            .header("origin", &self.url)
            .header("cookie", format!("{}={}", parley::auth::sessions::COOKIE_NAME, self.session))
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    async fn status_of(&self, message: MessageId, until: &[&str]) -> String {
        let sql = format!("SELECT status FROM messages WHERE id = '{message}'");
        self.until::<String>(&format!("{message} to become {until:?}"), &sql, |s| until.contains(&s.as_str())).await
    }

    async fn row(&self, message: MessageId) -> (String, Option<String>, Option<Value>) {
        sqlx::query_as("SELECT status, wamid, error FROM messages WHERE id = $1")
            .bind(message)
            .fetch_one(&self.admin)
            .await
            .unwrap()
    }

    /// Ends every connection to the test database, so it can be dropped at once.
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

#[sqlx::test(migrations = false)]
async fn a_reply_reaches_the_customer_and_its_ticks_come_back(_: PgPoolOptions, options: PgConnectOptions) {
    let s = Sandbox::start(database_url(&options), free_addr()).await;
    let parley = parley_connected_to(&s, options).await;
    s.customer_says(CUSTOMER, "Is my cake ready?").await;
    let conversation = parley.conversation_of(CUSTOMER).await;

    let message = parley.reply(conversation, "Yes, come by at 5 🎂").await;
    assert_eq!(parley.status_of(message, &["read"]).await, "read");
    let (_, wamid, error) = parley.row(message).await;
    let wamid = wamid.expect("Meta's id is stored");
    assert_eq!(error, None);

    let chat = s.chat(CUSTOMER).await;
    let shown = chat.iter().find(|m| m["wamid"] == wamid.as_str()).expect("the customer's chat shows the reply");
    assert_eq!(shown["direction"], "outbound");
    assert_eq!(shown["message"]["text"]["body"], "Yes, come by at 5 🎂");
    let history: Vec<String> =
        sqlx::query_scalar("SELECT status FROM message_status_events WHERE message_id = $1 ORDER BY occurred_at, status")
            .bind(message)
            .fetch_all(&parley.admin)
            .await
            .unwrap();
    for status in ["accepted", "sent", "delivered", "read"] {
        assert!(history.iter().any(|h| h == status), "{status} missing from {history:?}");
    }

    // Reading the conversation shows the customer blue ticks on their message.
    outbound::mark_read(&parley.pool, &parley.secrets, &parley.cloud, &parley.owner, conversation).await.unwrap();
    let chat = s.chat(CUSTOMER).await;
    let theirs = chat.iter().find(|m| m["direction"] == "inbound").unwrap();
    assert_eq!(theirs["status"], "read", "{theirs:#}");
    s.running.shutdown().await;
    parley.close().await;
}

#[sqlx::test(migrations = false)]
async fn rate_limited_replies_are_retried_until_they_are_sent(_: PgPoolOptions, options: PgConnectOptions) {
    let s = Sandbox::start(database_url(&options), free_addr()).await;
    let parley = parley_connected_to(&s, options).await;
    s.customer_says(CUSTOMER, "Three questions").await;
    let conversation = parley.conversation_of(CUSTOMER).await;
    s.config(json!({"throughput_per_second": 1})).await;

    let mut messages = Vec::new();
    for body in ["One", "Two", "Three"] {
        messages.push(parley.reply(conversation, body).await);
    }
    worker::send_due(&parley.pool, &parley.secrets, &parley.cloud, &parley.storage, 100).await.unwrap();
    let waiting: Vec<(i32, Option<String>)> =
        sqlx::query_as("SELECT attempts, last_error FROM outbound_queue").fetch_all(&parley.admin).await.unwrap();
    assert!(!waiting.is_empty(), "one message a second: the others are told to wait");
    assert!(waiting.iter().all(|(attempts, error)| *attempts >= 1 && error.as_deref().unwrap().contains("130429")));

    for message in &messages {
        parley.status_of(*message, &["sent", "delivered", "read"]).await;
    }
    let chat = s.chat(CUSTOMER).await;
    let bodies: Vec<&str> =
        chat.iter().filter(|m| m["direction"] == "outbound").filter_map(|m| m["message"]["text"]["body"].as_str()).collect();
    let mut sorted = bodies.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, vec!["One", "Three", "Two"], "each sent exactly once");
    s.running.shutdown().await;
    parley.close().await;
}

#[sqlx::test(migrations = false)]
async fn a_reply_to_a_number_not_on_whatsapp_fails_with_metas_reason(_: PgPoolOptions, options: PgConnectOptions) {
    const GONE: &str = "4915112340000";
    let s = Sandbox::start(database_url(&options), free_addr()).await;
    let parley = parley_connected_to(&s, options).await;
    s.customer_says(GONE, "Hello from a number about to leave WhatsApp").await;
    let conversation = parley.conversation_of(GONE).await;

    let message = parley.reply(conversation, "Hello?").await;
    assert_eq!(parley.status_of(message, &["failed"]).await, "failed");
    let (_, wamid, error) = parley.row(message).await;
    assert!(wamid.is_some(), "Meta accepted it, then reported it undeliverable");
    let error = error.expect("the reason is kept");
    assert_eq!(error["code"], 131026, "{error:#}");
    assert!(error["title"].as_str().is_some_and(|t| !t.is_empty()), "{error:#}");
    s.running.shutdown().await;
    parley.close().await;
}

#[sqlx::test(migrations = false)]
async fn a_reply_written_while_meta_is_down_is_sent_when_it_is_back(_: PgPoolOptions, options: PgConnectOptions) {
    let (url, addr) = (database_url(&options), free_addr());
    let s = Sandbox::start(url.clone(), addr).await;
    let parley = parley_connected_to(&s, options).await;
    s.customer_says(CUSTOMER, "Are you open today?").await;
    let conversation = parley.conversation_of(CUSTOMER).await;
    s.running.shutdown().await;

    let message = parley.reply(conversation, "Yes, until 6").await;
    assert_eq!(worker::send_due(&parley.pool, &parley.secrets, &parley.cloud, &parley.storage, 10).await.unwrap(), 1);
    assert_eq!(parley.row(message).await.0, "pending", "kept, to be sent later");
    let (attempts, error): (i32, Option<String>) =
        sqlx::query_as("SELECT attempts, last_error FROM outbound_queue").fetch_one(&parley.admin).await.unwrap();
    assert_eq!(attempts, 1);
    assert!(error.unwrap().contains("Could not reach"));

    let s = Sandbox::start(url, addr).await;
    parley.status_of(message, &["sent", "delivered", "read"]).await;
    let wamid = parley.row(message).await.1.unwrap();
    let chat = s.chat(CUSTOMER).await;
    let sent: Vec<&Value> = chat.iter().filter(|m| m["direction"] == "outbound").collect();
    assert_eq!(sent.len(), 1, "sent once: {chat:#?}");
    assert_eq!(sent[0]["wamid"], wamid.as_str());
    assert_eq!(sent[0]["message"]["text"]["body"], "Yes, until 6");
    s.running.shutdown().await;
    parley.close().await;
}

#[sqlx::test(migrations = false)]
async fn an_uploaded_file_is_put_on_meta_once_and_reaches_the_customer(_: PgPoolOptions, options: PgConnectOptions) {
    use parley::domain::attachment::StoredFile;
    let s = Sandbox::start(database_url(&options), free_addr()).await;
    let parley = parley_connected_to(&s, options).await;
    s.customer_says(CUSTOMER, "Can I see the menu?").await;
    let conversation = parley.conversation_of(CUSTOMER).await;

    let refused = parley.upload(conversation, "cat.gif", "image/gif", b"GIF89a").await;
    assert_eq!(refused.status(), 400);
    assert_eq!(refused.json::<Value>().await.unwrap()["error"], "WhatsApp does not accept files of type \"image/gif\"");
    let elsewhere = parley.upload(ConversationId(uuid::Uuid::now_v7()), "menu.pdf", "application/pdf", b"%PDF-1.4").await;
    assert_eq!(elsewhere.status(), 404, "a conversation that is not the organization's");

    let pdf = b"%PDF-1.4 the bakery's menu";
    let uploaded = parley.upload(conversation, "menu.pdf", "application/pdf", pdf).await;
    assert_eq!(uploaded.status(), 200);
    let stored: StoredFile = uploaded.json().await.unwrap();
    assert_eq!(stored.filename.as_deref(), Some("menu.pdf"));
    assert_eq!(stored.size, Some(pdf.len() as i64));

    let first = outbound::send_file(&parley.pool, &parley.owner, conversation, stored.id, "Our menu", None).await.unwrap();
    assert_eq!((first.kind.as_str(), first.body.as_str()), ("document", "Our menu menu.pdf"));
    assert_eq!(parley.status_of(first.id, &["read"]).await, "read");
    let again = outbound::send_file(&parley.pool, &parley.owner, conversation, stored.id, "", None).await.unwrap();
    assert_eq!(parley.status_of(again.id, &["read"]).await, "read");

    let chat = s.chat(CUSTOMER).await;
    let documents: Vec<&Value> = chat.iter().filter(|m| m["message"]["type"] == "document").collect();
    assert_eq!(documents.len(), 2, "{chat:?}");
    let shown = &documents[0]["message"]["document"];
    assert_eq!((shown["caption"].as_str(), shown["filename"].as_str()), (Some("Our menu"), Some("menu.pdf")));
    let media_id = shown["id"].as_str().expect("sent by Meta's media id");
    assert_eq!(documents[1]["message"]["document"]["id"], media_id, "the second send reuses the upload");
    let account = parley::cloud::GraphAccount { base_url: s.running.graph_base_url(), access_token: TOKEN.into() };
    let on_meta = parley.cloud.media_info(&account, media_id).await.unwrap();
    assert_eq!(on_meta.mime_type, "application/pdf");
    assert_eq!(on_meta.sha256, hex::encode(<sha2::Sha256 as sha2::Digest>::digest(pdf)));
    let uploads: i64 = sqlx::query_scalar("SELECT count(*) FROM media_uploads").fetch_one(&parley.admin).await.unwrap();
    assert_eq!(uploads, 1);

    s.running.shutdown().await;
    parley.close().await;
}
