//! Webhook-to-websocket latency across two Parley instances on one database: Meta's delivery is
//! POSTed to instance 2 (stored, processed by its worker, published), and a browser's websocket on
//! instance 1 receives MessageCreated. Prints p50/p90/p99/max; asserts nothing.
//!
//!     DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!         cargo run -p parley-server --example realtime_latency [-- MESSAGES]
//!
//! Works in a database of its own, created and dropped here. Two rounds: one message at a time
//! (pure latency), then all at once (latency under a burst, group commit and parallel workers).

use futures_util::StreamExt;
use leptos::prelude::LeptosOptions;
use parley::auth::register::{Registration, register_owner};
use parley::auth::sessions::{self, COOKIE_NAME};
use parley::channels::{self, ChannelForm};
use parley::domain::event::{Delivery, Event};
use parley::mail::Mailer;
use parley::secrets::SecretKey;
use parley::webhooks::signature::{self, sign};
use parley_app::context::AppState;
use parley_server::http::{ServerState, router};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use uuid::Uuid;

const ORIGIN: &str = "http://parley.test";
const APP_SECRET: &str = "latency-app-secret";
const FIXTURE_WAMID: &str = "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQUZBQzE2RjQ2QkE401AA==";

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let messages: usize = std::env::args().nth(1).map(|n| n.parse()).transpose()?.unwrap_or(200);
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let server = PgConnectOptions::from_str(&url)?;
    let admin = PgPoolOptions::new().max_connections(1).connect_with(server.clone()).await?;
    let database = format!("parley_latency_{}", Uuid::now_v7().simple());
    sqlx::query(&format!("CREATE DATABASE {database}")).execute(&admin).await?;
    // The two instances share one media directory, removed with the database.
    let media = std::env::temp_dir().join(&database);
    let outcome = measure(server.clone().database(&database), &media, messages).await;
    sqlx::query(&format!("DROP DATABASE {database} WITH (FORCE)")).execute(&admin).await?;
    if media.exists() {
        std::fs::remove_dir_all(&media)?;
    }
    outcome
}

async fn measure(options: PgConnectOptions, media: &std::path::Path, messages: usize) -> Result<(), Failure> {
    parley::db::migrate(options.clone()).await?;
    let pool = parley::db::connect(options.clone(), 2).await?;
    let session = register_owner(&pool, Registration {
        name: "Lena Latency",
        email: "lena@latency.example",
        password: "a long enough password",
        organization_name: "Latency",
    })
    .await?;
    let actor = sessions::resolve(&pool, &session.0).await?.and_then(|p| p.actor).ok_or("no actor")?;
    let form = ChannelForm { name: "Main".into(), app_secret: APP_SECRET.into(), ..Default::default() };
    let key = channels::create(&pool, &secrets()?, &actor, &form).await?.channel.webhook_key;
    let one = instance(&options, media).await?;
    let two = instance(&options, media).await?;

    let mut request = format!("ws://{one}/ws").into_client_request()?;
    request.headers_mut().insert("origin", ORIGIN.parse()?);
    request.headers_mut().insert("cookie", format!("{COOKIE_NAME}={}", session.0).parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let client = reqwest::Client::new();
    let fixture = std::fs::read_to_string(format!("{}/../tests/fixtures/webhooks/message_text.json", env!("CARGO_MANIFEST_DIR")))?;
    let deliver = |n: usize| {
        let body = fixture.replace(FIXTURE_WAMID, &format!("wamid.latency-{n}"));
        let request = client
            .post(format!("http://{two}/webhooks/whatsapp/{key}"))
            .header(signature::HEADER, sign(APP_SECRET, body.as_bytes()))
            .header("content-type", "application/json")
            .body(body);
        async move {
            let response = request.send().await?;
            if !response.status().is_success() {
                return Err(format!("webhook answered {}", response.status()).into());
            }
            Ok::<_, Failure>(())
        }
    };

    // One at a time: each message is sent once the previous one has arrived.
    let mut sequential = Vec::with_capacity(messages);
    for n in 0..messages {
        let sent = Instant::now();
        deliver(n).await?;
        next_message(&mut socket).await?;
        sequential.push(sent.elapsed());
    }
    report("one at a time", &mut sequential);

    // All at once: latencies matched through the wamid each message was stored with.
    let start = Instant::now();
    let mut sent_at = HashMap::new();
    let mut posts = tokio::task::JoinSet::new();
    for n in messages..2 * messages {
        let wamid = format!("wamid.latency-{n}");
        sent_at.insert(wamid.clone(), start.elapsed());
        let post = deliver(n);
        posts.spawn(async move { post.await.map(|()| (wamid, start.elapsed())) });
    }
    let mut arrived = HashMap::new();
    while arrived.len() < messages {
        let message = next_message(&mut socket).await?;
        arrived.insert(message, start.elapsed());
    }
    // When each webhook was answered, i.e. stored: what is left of its latency is processing and
    // fan-out.
    let mut answered = HashMap::new();
    while let Some(post) = posts.join_next().await {
        let (wamid, at) = post??;
        answered.insert(wamid, at);
    }
    let wamids: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT id, wamid FROM messages").fetch_all(&PgPoolOptions::new().connect_with(options).await?).await?;
    let on_socket: HashMap<String, Duration> =
        wamids.into_iter().filter_map(|(id, wamid)| Some((wamid, *arrived.get(&id)?))).collect();
    // Each burst message's time from one moment to the next (the earlier round's messages have no
    // `from`).
    let between = |from: &HashMap<String, Duration>, to: &HashMap<String, Duration>| -> Vec<Duration> {
        to.iter().filter_map(|(wamid, at)| Some(at.saturating_sub(*from.get(wamid)?))).collect()
    };
    let mut burst = between(&sent_at, &on_socket);
    let mut storing = between(&sent_at, &answered);
    let mut after_storing = between(&answered, &on_socket);
    report(&format!("{messages} at once"), &mut burst);
    report("  of which posting until stored", &mut storing);
    report("  of which stored until on the socket", &mut after_storing);
    println!("  burst: all {messages} delivered in {:.0} ms", start.elapsed().as_secs_f64() * 1000.0);
    Ok(())
}

/// The message id of the next MessageCreated on the socket.
async fn next_message(
    socket: &mut tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
) -> Result<Uuid, Failure> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(30), socket.next()).await?.ok_or("socket closed")??;
        if let Message::Text(text) = frame {
            let delivery: Delivery = serde_json::from_str(text.as_str())?;
            if let Event::MessageCreated { message_id, .. } = delivery.event {
                return Ok(message_id);
            }
        }
    }
}

fn report(round: &str, latencies: &mut [Duration]) {
    latencies.sort();
    let at = |q: f64| {
        let i = ((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[i].as_secs_f64() * 1000.0
    };
    println!(
        "{round}: {} messages, p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0)
    );
}

fn secrets() -> Result<SecretKey, Failure> {
    Ok(SecretKey::parse_hex(&"11".repeat(32))?)
}

async fn instance(options: &PgConnectOptions, media: &std::path::Path) -> Result<SocketAddr, Failure> {
    let pool = parley::db::connect(options.clone(), 10).await?;
    let state = ServerState {
        app: AppState {
            pool: pool.clone(),
            mailer: Mailer::DevMailbox,
            public_url: ORIGIN.into(),
            secure_cookies: false,
            secrets: secrets()?,
            cloud: parley::cloud::CloudClient::new(),
            media: parley::media::MediaStorage::directory(media)?,
        },
        leptos: LeptosOptions::builder().output_name("parley").build(),
        metrics: Default::default(),
    };
    let app = router(state, ORIGIN.into());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await });
    tokio::spawn(parley::webhooks::worker::run(pool, parley::webhooks::worker::POLL));
    Ok(addr)
}
