//! The live inbox across two instances on one database: a browser's websocket on instance 1 sees
//! the customer's message that Meta delivered to instance 2, resumes after a disconnection with
//! exactly what it missed, and only Parley's own signed-in pages may open it.
#![recursion_limit = "256"]

use futures_util::{SinkExt, StreamExt};
use leptos::prelude::LeptosOptions;
use parley::auth::register::{Registration, register_owner};
use parley::auth::sessions::{self, COOKIE_NAME};
use parley::channels::{self, ChannelForm};
use parley::domain::event::{Delivery, Event, EventId};
use parley::mail::Mailer;
use parley::secrets::SecretKey;
use parley::webhooks::signature::{self, sign};
use parley_app::context::AppState;
use parley_server::http::{ServerState, router};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};
use uuid::Uuid;

const ORIGIN: &str = "http://parley.test";
const APP_SECRET: &str = "realtime-app-secret";
const WAMID: &str = "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQUZBQzE2RjQ2QkE401AA==";

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

fn secrets() -> SecretKey {
    SecretKey::parse_hex(&"11".repeat(32)).unwrap()
}

/// One Parley instance: its own pool, router (and so its own hub) and webhook worker.
async fn instance(options: &PgConnectOptions) -> SocketAddr {
    let pool = parley::db::connect(options.clone(), 5).await.unwrap();
    let media = std::env::temp_dir().join(format!("parley-test-media-{}", Uuid::now_v7()));
    let state = ServerState {
        app: AppState {
            pool: pool.clone(),
            mailer: Mailer::DevMailbox,
            public_url: ORIGIN.into(),
            secure_cookies: false,
            secrets: secrets(),
            cloud: parley::cloud::CloudClient::new(),
            media: parley::media::MediaStorage::directory(&media).unwrap(),
        },
        leptos: LeptosOptions::builder().output_name("parley").build(),
        metrics: Default::default(),
    };
    let app = router(state, ORIGIN.into());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    tokio::spawn(parley::webhooks::worker::run(pool, parley::webhooks::worker::POLL));
    addr
}

struct World {
    one: SocketAddr,
    two: SocketAddr,
    admin: PgPool,
    session: String,
    key: String,
}

async fn world(options: PgConnectOptions) -> World {
    parley::db::migrate(options.clone()).await.unwrap();
    let pool = parley::db::connect(options.clone(), 2).await.unwrap();
    let admin = PgPoolOptions::new().max_connections(1).connect_with(options.clone()).await.unwrap();
    let token = register_owner(&pool, Registration {
        name: "Ana Alpha",
        email: "ana@alpha.example",
        password: "a long enough password",
        organization_name: "Alpha",
    })
    .await
    .unwrap();
    let actor = sessions::resolve(&pool, &token.0).await.unwrap().unwrap().actor.unwrap();
    let form = ChannelForm { name: "Main".into(), app_secret: APP_SECRET.into(), ..Default::default() };
    let key = channels::create(&pool, &secrets(), &actor, &form).await.unwrap().channel.webhook_key;
    World { one: instance(&options).await, two: instance(&options).await, admin, session: token.0, key }
}

impl World {
    async fn open(&self, at: SocketAddr, query: &str, origin: &str, session: Option<&str>) -> Result<Socket, WsError> {
        let mut request = format!("ws://{at}/ws{query}").into_client_request().unwrap();
        request.headers_mut().insert("origin", origin.parse().unwrap());
        if let Some(session) = session {
            request.headers_mut().insert("cookie", format!("{COOKIE_NAME}={session}").parse().unwrap());
        }
        connect_async(request).await.map(|(socket, _)| socket)
    }

    async fn connect(&self, at: SocketAddr, query: &str) -> Socket {
        self.open(at, query, ORIGIN, Some(&self.session)).await.expect("the websocket opens")
    }

    /// A customer's text message, signed like Meta's, delivered to instance 2.
    async fn customer_writes(&self, n: usize) {
        let body = String::from_utf8(fixture("message_text")).unwrap().replace(WAMID, &format!("wamid.realtime-{n}"));
        let response = reqwest::Client::new()
            .post(format!("http://{}/webhooks/whatsapp/{}", self.two, self.key))
            .header(signature::HEADER, sign(APP_SECRET, body.as_bytes()))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    async fn messages(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM messages").fetch_one(&self.admin).await.unwrap()
    }
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../tests/fixtures/webhooks/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// The next event frame (pings and pongs are skipped).
async fn receive(socket: &mut Socket, within: Duration) -> Option<Delivery> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) => return None,
            Ok(Some(Ok(Message::Text(text)))) => return Some(serde_json::from_str(text.as_str()).expect("a delivery")),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
            Ok(other) => panic!("unexpected frame {other:?}"),
        }
    }
}

async fn expect(socket: &mut Socket) -> Delivery {
    receive(socket, Duration::from_secs(15)).await.expect("an event arrives")
}

fn refused_with(result: Result<Socket, WsError>) -> u16 {
    match result {
        Err(WsError::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("expected an HTTP refusal, got {other}"),
        Ok(_) => panic!("the websocket opened"),
    }
}

#[sqlx::test(migrations = false)]
async fn a_message_delivered_to_one_instance_reaches_a_browser_on_the_other(_: PgPoolOptions, options: PgConnectOptions) {
    let w = world(options).await;
    let mut socket = w.connect(w.one, "").await;

    w.customer_writes(1).await;
    let created = expect(&mut socket).await;
    let (conversation, message): (Uuid, Uuid) =
        sqlx::query_as("SELECT conversation_id, id FROM messages").fetch_one(&w.admin).await.unwrap();
    assert_eq!(created.event, Event::MessageCreated { conversation_id: conversation, message_id: message });
    let updated = expect(&mut socket).await;
    assert_eq!(updated.event, Event::ConversationUpdated { conversation_id: conversation });
    let last = updated.id.expect("stored events carry their id");
    assert!(created.id.unwrap() < last);
    socket.close(None).await.unwrap();

    // Away: two more messages arrive.
    w.customer_writes(2).await;
    w.customer_writes(3).await;
    while w.messages().await < 3 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut socket = w.connect(w.one, &format!("?after={last}")).await;
    let mut missed = Vec::new();
    for _ in 0..4 {
        missed.push(expect(&mut socket).await);
    }
    assert!(receive(&mut socket, Duration::from_millis(700)).await.is_none(), "nothing twice");
    let stored: Vec<i64> = sqlx::query_scalar("SELECT id FROM events WHERE id > $1 ORDER BY id")
        .bind(last.0)
        .fetch_all(&w.admin)
        .await
        .unwrap();
    assert_eq!(missed.iter().map(|d| d.id.unwrap()).collect::<Vec<_>>(), stored.into_iter().map(EventId).collect::<Vec<_>>());
    let kinds: Vec<&str> = missed.iter().map(|d| d.event.kind()).collect();
    assert_eq!(kinds, ["message_created", "conversation_updated", "message_created", "conversation_updated"]);

    // Typing on instance 1 reaches a colleague's tab on instance 2, and is not stored.
    let mut colleague = w.connect(w.two, "").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    socket.send(Message::Text(format!(r#"{{"typing":"{conversation}"}}"#).into())).await.unwrap();
    let typing = expect(&mut colleague).await;
    assert_eq!(typing.id, None);
    assert!(matches!(typing.event, Event::Typing { conversation_id, ref name, .. } if conversation_id == conversation && name == "Ana Alpha"));
    // A conversation that does not exist (or is another organization's) is not passed on.
    socket.send(Message::Text(format!(r#"{{"viewing":"{}"}}"#, Uuid::now_v7()).into())).await.unwrap();
    socket.send(Message::Text(format!(r#"{{"viewing":"{conversation}"}}"#).into())).await.unwrap();
    let presence = expect(&mut colleague).await;
    assert!(matches!(presence.event, Event::Presence { conversation_id, .. } if conversation_id == conversation));

    // Back after the retention deleted what it missed: told to reload instead of resuming.
    sqlx::query("UPDATE events SET created_at = now() - interval '3 days'").execute(&w.admin).await.unwrap();
    sqlx::query("SELECT delete_expired_events()").execute(&w.admin).await.unwrap();
    let mut stale = w.connect(w.one, &format!("?after={last}")).await;
    let first = tokio::time::timeout(Duration::from_secs(15), stale.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(first, Message::Text(r#"{"reset":true}"#.into()));
}

#[sqlx::test(migrations = false)]
async fn only_parleys_signed_in_pages_may_open_the_socket(_: PgPoolOptions, options: PgConnectOptions) {
    let w = world(options).await;
    assert_eq!(refused_with(w.open(w.one, "", "https://evil.example", Some(&w.session)).await), 403);
    assert_eq!(refused_with(w.open(w.one, "", ORIGIN, None).await), 401);
    assert_eq!(refused_with(w.open(w.one, "", ORIGIN, Some("not-a-session")).await), 401);

    // A plain GET (no upgrade) is answered cleanly, not served as a page.
    let plain = reqwest::Client::new()
        .get(format!("http://{}/ws", w.one))
        .header("origin", ORIGIN)
        .header("cookie", format!("{COOKIE_NAME}={}", w.session))
        .send()
        .await
        .unwrap();
    assert!(plain.status().is_client_error(), "{}", plain.status());

    // Logging out closes an open socket at the next session check (at most 30 s).
    let mut socket = w.connect(w.one, "").await;
    sessions::end(&w.admin, &w.session).await.unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(40), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => {}
                _ => return None,
            }
        }
    })
    .await
    .expect("the socket closes after logout");
    assert_eq!(closed, Some(4401));
}
