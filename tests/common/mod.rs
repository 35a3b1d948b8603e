//! Shared helpers for the engine's integration tests.
//!
//! Every test gets a fresh database from `#[sqlx::test(migrations = false)]`; [`setup`] migrates it
//! and returns two pools: `app`, the application's real pool (it `SET ROLE`s to `parley_app`, so
//! row-level security applies), and `root`, a plain superuser pool the tests use to look behind the
//! services' back (reading raw rows, ageing links).

#![allow(dead_code)]

use parley::auth::login::{LoginAttempt, login};
use parley::auth::register::{Registration, register_owner};
use parley::auth::{SessionToken, sessions};
use parley::domain::{Actor, BuiltInRole, LoginTab, OrganizationId, RoleId, UserId};
use parley::mail::Mailer;
use parley::team::members::{self, Added, Credential, NewMember};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

pub const PASSWORD: &str = "correct horse battery";
pub const PUBLIC_URL: &str = "https://parley.test";
pub const IP: &str = "203.0.113.7";

pub struct Db {
    /// The app's pool: `SET ROLE parley_app`, subject to row-level security.
    pub app: PgPool,
    /// The connecting superuser, bypassing row-level security.
    pub root: PgPool,
}

pub async fn setup(options: PgConnectOptions) -> Db {
    parley::db::migrate(options.clone())
        .await
        .expect("migrations run");
    let app = parley::db::connect(options.clone(), 5)
        .await
        .expect("app pool connects");
    let root = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await
        .expect("root pool connects");
    let role: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(&app)
        .await
        .unwrap();
    assert_eq!(role, "parley_app", "the app pool must act as parley_app");
    Db { app, root }
}

pub fn mailer() -> Mailer {
    Mailer::DevMailbox
}

/// A registered owner: their session, and who they are.
pub struct Owner {
    pub token: SessionToken,
    pub user_id: UserId,
    pub organization_id: OrganizationId,
    pub actor: Actor,
    pub email: String,
}

pub async fn register(pool: &PgPool, name: &str, email: &str, organization: &str) -> Owner {
    let token = register_owner(
        pool,
        Registration {
            name,
            email,
            password: PASSWORD,
            organization_name: organization,
        },
    )
    .await
    .expect("registration succeeds");
    let actor = actor_of(pool, &token).await;
    Owner {
        user_id: actor.user_id,
        organization_id: actor.organization_id,
        actor,
        token,
        email: email.to_owned(),
    }
}

/// The actor behind a session token; panics when the session does not resolve to one.
pub async fn actor_of(pool: &PgPool, token: &SessionToken) -> Actor {
    sessions::resolve(pool, &token.0)
        .await
        .expect("resolve succeeds")
        .expect("session exists")
        .actor
        .expect("session has an actor")
}

pub async fn resolves(pool: &PgPool, token: &SessionToken) -> bool {
    sessions::resolve(pool, &token.0)
        .await
        .expect("resolve succeeds")
        .is_some()
}

pub async fn log_in(
    pool: &PgPool,
    email: &str,
    password: &str,
    tab: LoginTab,
) -> parley::Result<SessionToken> {
    login(
        pool,
        LoginAttempt {
            email,
            password,
            tab,
            ip: IP,
        },
    )
    .await
}

/// The id of a built-in role of the organization (read as the superuser).
pub async fn built_in_role(db: &Db, organization: OrganizationId, role: BuiltInRole) -> RoleId {
    sqlx::query_scalar("SELECT id FROM roles WHERE organization_id = $1 AND built_in = $2")
        .bind(organization)
        .bind(role.key())
        .fetch_one(&db.root)
        .await
        .expect("built-in role exists")
}

/// Adds a member with an initial password; returns their user id.
pub async fn add_member(
    pool: &PgPool,
    actor: &Actor,
    name: &str,
    email: &str,
    role: RoleId,
) -> UserId {
    let added = members::add(
        pool,
        actor,
        &mailer(),
        PUBLIC_URL,
        NewMember {
            name,
            email,
            role,
            credential: Credential::Password(PASSWORD),
        },
    )
    .await
    .expect("member is added");
    match added {
        Added::Created {
            user_id,
            invite_link: None,
        } => user_id,
        other => panic!("expected a new account without invite link, got {other:?}"),
    }
}

/// Adds a member with the built-in Agent role, logs them in through the Agent tab, and returns
/// (user id, session, actor).
pub async fn add_agent(
    db: &Db,
    owner: &Owner,
    name: &str,
    email: &str,
) -> (UserId, SessionToken, Actor) {
    let role = built_in_role(db, owner.organization_id, BuiltInRole::Agent).await;
    add_member_and_log_in(db, owner, name, email, role, LoginTab::Agent).await
}

/// Adds a member with the built-in Admin role, logged in through the Owner / admin tab.
pub async fn add_admin(
    db: &Db,
    owner: &Owner,
    name: &str,
    email: &str,
) -> (UserId, SessionToken, Actor) {
    let role = built_in_role(db, owner.organization_id, BuiltInRole::Admin).await;
    add_member_and_log_in(db, owner, name, email, role, LoginTab::OwnerAdmin).await
}

pub async fn add_member_and_log_in(
    db: &Db,
    owner: &Owner,
    name: &str,
    email: &str,
    role: RoleId,
    tab: LoginTab,
) -> (UserId, SessionToken, Actor) {
    let user = add_member(&db.app, &owner.actor, name, email, role).await;
    let token = log_in(&db.app, email, PASSWORD, tab)
        .await
        .expect("new member logs in");
    let actor = actor_of(&db.app, &token).await;
    assert_eq!(actor.user_id, user);
    assert_eq!(actor.organization_id, owner.organization_id);
    (user, token, actor)
}

/// The raw token at the end of a link such as `https://parley.test/invite/<token>`.
pub fn token_of(link: &str) -> &str {
    link.rsplit('/').next().expect("link has a path")
}

/// Mails in the dev mailbox (read as the superuser): (to, subject, body), oldest first.
pub async fn mailbox(db: &Db) -> Vec<(String, String, String)> {
    sqlx::query_as("SELECT to_address, subject, body FROM dev_mailbox ORDER BY created_at, id")
        .fetch_all(&db.root)
        .await
        .unwrap()
}

pub async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&db.root).await.unwrap()
}

/// Asserts that a result is the given error pattern, showing what it was otherwise.
#[macro_export]
macro_rules! assert_err {
    ($result:expr, $pattern:pat $(if $guard:expr)? $(,)?) => {
        match $result {
            Err($pattern) $(if $guard)? => {}
            other => panic!("expected Err({}), got {:?}", stringify!($pattern), other),
        }
    };
}

/// A media directory of the test's own.
pub fn media_storage() -> parley::media::MediaStorage {
    let dir = std::env::temp_dir().join(format!("parley-test-media-{}", uuid::Uuid::now_v7()));
    parley::media::MediaStorage::directory(&dir).expect("a temporary media directory")
}

/// The instance key the webhook tests seal channel secrets with.
pub fn secret_key() -> parley::secrets::SecretKey {
    parley::secrets::SecretKey::parse_hex(&"42".repeat(32)).expect("a valid key")
}

pub const APP_SECRET: &str = "test-app-secret-0123";
pub const VERIFY_TOKEN: &str = "verify-token-123";

/// A WhatsApp channel with an app secret and verify token, as an owner creates it.
pub struct TestChannel {
    pub id: parley::domain::ChannelId,
    pub organization_id: OrganizationId,
    /// The last segment of the channel's callback URL.
    pub key: String,
}

pub async fn whatsapp_channel(pool: &PgPool, owner: &Owner, name: &str, app_secret: &str) -> TestChannel {
    let form = parley::channels::ChannelForm {
        name: name.to_owned(),
        app_secret: app_secret.to_owned(),
        verify_token: VERIFY_TOKEN.to_owned(),
        ..Default::default()
    };
    let created = parley::channels::create(pool, &secret_key(), &owner.actor, &form)
        .await
        .expect("channel is created");
    TestChannel {
        id: created.channel.id,
        organization_id: owner.organization_id,
        key: created.channel.webhook_key,
    }
}

/// A webhook body from tests/fixtures/webhooks, byte for byte.
pub fn webhook_fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/webhooks/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// A stand-in for Meta's Graph API on 127.0.0.1: answers each request with the next scripted
/// reply (the last one repeats) and records the bodies it received.
pub struct FakeGraph {
    pub base_url: String,
    pub received: std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
}

impl FakeGraph {
    /// Replies are (HTTP status, JSON body).
    pub async fn start(replies: Vec<(u16, serde_json::Value)>) -> FakeGraph {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}/v21.0", listener.local_addr().unwrap());
        let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = received.clone();
        tokio::spawn(async move {
            let mut served = 0usize;
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 8192];
                let (head_end, length) = loop {
                    if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buffer[..i]).to_ascii_lowercase();
                        let length = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        break (i + 4, length);
                    }
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => break (usize::MAX, 0),
                        Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                    }
                };
                if head_end == usize::MAX {
                    continue;
                }
                while buffer.len() < head_end + length {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                    }
                }
                let body = serde_json::from_slice(&buffer[head_end..]).unwrap_or(serde_json::Value::Null);
                log.lock().unwrap().push(body);
                let (status, reply) = replies[served.min(replies.len() - 1)].clone();
                served += 1;
                let reply = reply.to_string();
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    reply.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(reply.as_bytes()).await;
                let _ = stream.shutdown().await;
            }
        });
        FakeGraph { base_url, received }
    }

    pub fn received(&self) -> Vec<serde_json::Value> {
        self.received.lock().unwrap().clone()
    }
}

/// Meta's answer to an accepted send.
pub fn send_accepted(wamid: &str) -> (u16, serde_json::Value) {
    let body = serde_json::json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": "4915112345678", "wa_id": "4915112345678"}],
        "messages": [{"id": wamid, "message_status": "accepted"}]
    });
    (200, body)
}

/// Meta's error envelope with a code, as the Graph API answers it.
pub fn graph_error(status: u16, code: i64, message: &str, details: &str) -> (u16, serde_json::Value) {
    let body = serde_json::json!({"error": {
        "message": message, "type": "OAuthException", "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": details}, "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam"
    }});
    (status, body)
}

/// A channel connected to a Graph API at `graph_api_base_url`, able to send.
pub async fn connected_channel(pool: &PgPool, owner: &Owner, name: &str, graph_api_base_url: &str) -> TestChannel {
    let form = parley::channels::ChannelForm {
        name: name.to_owned(),
        phone_number_id: "1001".to_owned(),
        waba_id: "2001".to_owned(),
        app_id: "3001".to_owned(),
        app_secret: APP_SECRET.to_owned(),
        access_token: "test-access-token-1".to_owned(),
        verify_token: VERIFY_TOKEN.to_owned(),
        graph_api_base_url: graph_api_base_url.to_owned(),
    };
    let created = parley::channels::create(pool, &secret_key(), &owner.actor, &form)
        .await
        .expect("channel is created");
    TestChannel {
        id: created.channel.id,
        organization_id: owner.organization_id,
        key: created.channel.webhook_key,
    }
}

/// A customer and their conversation on the channel (written as the superuser, as webhook
/// processing would), with the customer's last message `hours_ago` (None: never wrote).
pub async fn conversation(
    db: &Db,
    channel: &TestChannel,
    wa_id: &str,
    hours_ago: Option<i64>,
) -> parley::domain::conversation::ConversationId {
    let contact = uuid::Uuid::now_v7();
    sqlx::query("INSERT INTO contacts (id, organization_id, wa_id, profile_name) VALUES ($1, $2, $3, 'Zoë')")
        .bind(contact)
        .bind(channel.organization_id)
        .bind(wa_id)
        .execute(&db.root)
        .await
        .unwrap();
    let id = uuid::Uuid::now_v7();
    sqlx::query(
        "INSERT INTO conversations (id, organization_id, contact_id, channel_id, last_inbound_at, last_message_at)
         VALUES ($1, $2, $3, $4, now() - make_interval(hours => $5), now() - make_interval(hours => $5))",
    )
    .bind(id)
    .bind(channel.organization_id)
    .bind(contact)
    .bind(channel.id)
    .bind(hours_ago.map(|h| h as i32))
    .execute(&db.root)
    .await
    .unwrap();
    parley::domain::conversation::ConversationId(id)
}

/// A customer's conversation on a channel (contact and conversation written as the superuser);
/// returns the conversation id. Repeating it returns the same conversation.
pub async fn customer_conversation(db: &Db, channel: &TestChannel, wa_id: &str) -> uuid::Uuid {
    let contact: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO contacts (id, organization_id, wa_id) VALUES ($1, $2, $3)
         ON CONFLICT (organization_id, wa_id) DO UPDATE SET wa_id = EXCLUDED.wa_id RETURNING id",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(channel.organization_id)
    .bind(wa_id)
    .fetch_one(&db.root)
    .await
    .unwrap();
    sqlx::query_scalar(
        "INSERT INTO conversations (id, organization_id, contact_id, channel_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (contact_id, channel_id) DO UPDATE SET contact_id = EXCLUDED.contact_id RETURNING id",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(channel.organization_id)
    .bind(contact)
    .bind(channel.id)
    .fetch_one(&db.root)
    .await
    .unwrap()
}
