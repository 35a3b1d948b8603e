//! `/webhooks/whatsapp/{key}` through the whole router (origin check, body limit, metrics): the
//! statuses Meta sees for the handshake and for deliveries, and what is stored behind them.
#![recursion_limit = "256"]

use axum::body::Body;
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use parley::auth::register::{Registration, register_owner};
use parley::auth::sessions;
use parley::channels::{self, ChannelForm};
use parley::mail::Mailer;
use parley::secrets::SecretKey;
use parley::webhooks::signature::sign;
use parley_app::context::AppState;
use parley_server::http::{ServerState, router};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tower::ServiceExt;

const ORIGIN: &str = "http://parley.test";
const APP_SECRET: &str = "http-test-app-secret";
const VERIFY_TOKEN: &str = "http-verify-token";

/// A media directory of its own for this test.
fn media_storage() -> parley::media::MediaStorage {
    let dir = std::env::temp_dir().join(format!("parley-test-media-{}", uuid::Uuid::now_v7()));
    parley::media::MediaStorage::directory(&dir).expect("a temporary media directory")
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../tests/fixtures/webhooks/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

struct Site {
    app: axum::Router,
    admin: PgPool,
    key: String,
}

async fn site(options: PgConnectOptions) -> Site {
    parley::db::migrate(options.clone()).await.unwrap();
    let pool = parley::db::connect(options.clone(), 5).await.unwrap();
    let admin = PgPoolOptions::new().max_connections(1).connect_with(options).await.unwrap();
    let secrets = SecretKey::parse_hex(&"11".repeat(32)).unwrap();
    let token = register_owner(&pool, Registration {
        name: "Ana Alpha",
        email: "ana@alpha.example",
        password: "a long enough password",
        organization_name: "Alpha",
    })
    .await
    .unwrap();
    let actor = sessions::resolve(&pool, &token.0).await.unwrap().unwrap().actor.unwrap();
    let form = ChannelForm {
        name: "Main".into(),
        app_secret: APP_SECRET.into(),
        verify_token: VERIFY_TOKEN.into(),
        ..Default::default()
    };
    let key = channels::create(&pool, &secrets, &actor, &form).await.unwrap().channel.webhook_key;
    let state = ServerState {
        app: AppState { pool, mailer: Mailer::DevMailbox, public_url: ORIGIN.into(), secure_cookies: false, secrets, cloud: parley::cloud::CloudClient::new(), media: media_storage() },
        leptos: LeptosOptions::builder().output_name("parley").build(),
        metrics: Default::default(),
    };
    Site { app: router(state, ORIGIN.into()), admin, key }
}

async fn call(app: &axum::Router, request: Request<Body>) -> (StatusCode, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

fn post(key: &str, signature: Option<String>, body: Vec<u8>) -> Request<Body> {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(format!("/webhooks/whatsapp/{key}"))
        .header("content-type", "application/json")
        // Meta's servers are another site: the cross-site refusal must not apply here.
        .header("origin", "https://graph.facebook.com");
    if let Some(signature) = signature {
        request = request.header("x-hub-signature-256", signature);
    }
    request.body(Body::from(body)).unwrap()
}

fn handshake(key: &str, token: &str) -> Request<Body> {
    Request::builder()
        .uri(format!("/webhooks/whatsapp/{key}?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444"))
        .body(Body::empty())
        .unwrap()
}

async fn stored(site: &Site) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM webhook_events").fetch_one(&site.admin).await.unwrap()
}

#[sqlx::test(migrations = false)]
async fn the_verification_handshake_echoes_the_challenge_for_the_right_token_only(_: PgPoolOptions, options: PgConnectOptions) {
    let site = site(options).await;
    assert_eq!(call(&site.app, handshake(&site.key, VERIFY_TOKEN)).await, (StatusCode::OK, "1158201444".into()));
    assert_eq!(call(&site.app, handshake(&site.key, "not-the-token")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(call(&site.app, handshake("unknown-key", VERIFY_TOKEN)).await.0, StatusCode::NOT_FOUND);
    let without_mode = Request::builder()
        .uri(format!("/webhooks/whatsapp/{}?hub.verify_token={VERIFY_TOKEN}&hub.challenge=1", site.key))
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(&site.app, without_mode).await.0, StatusCode::FORBIDDEN);
}

#[sqlx::test(migrations = false)]
async fn deliveries_need_the_channels_signature(_: PgPoolOptions, options: PgConnectOptions) {
    let site = site(options).await;
    let body = fixture("message_text");
    assert_eq!(call(&site.app, post(&site.key, None, body.clone())).await.0, StatusCode::UNAUTHORIZED);
    let wrong = sign("some-other-secret", &body);
    assert_eq!(call(&site.app, post(&site.key, Some(wrong), body.clone())).await.0, StatusCode::FORBIDDEN);
    let right = sign(APP_SECRET, &body);
    assert_eq!(call(&site.app, post("unknown-key", Some(right.clone()), body.clone())).await.0, StatusCode::NOT_FOUND);
    assert_eq!(stored(&site).await, 0, "nothing stored for a refused delivery");

    assert_eq!(call(&site.app, post(&site.key, Some(right), body.clone())).await.0, StatusCode::OK);
    assert_eq!(stored(&site).await, 1, "committed before the 200");

    let not_json = b"<xml/>".to_vec();
    let signed = sign(APP_SECRET, &not_json);
    assert_eq!(call(&site.app, post(&site.key, Some(signed), not_json)).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(stored(&site).await, 1);
}

#[sqlx::test(migrations = false)]
async fn oversized_bodies_are_refused(_: PgPoolOptions, options: PgConnectOptions) {
    let site = site(options).await;
    let mut body = br#"{"object":"whatsapp_business_account","padding":""#.to_vec();
    body.extend(std::iter::repeat_n(b'x', 3 * 1024 * 1024));
    body.extend(br#""}"#);
    let signed = sign(APP_SECRET, &body);
    assert_eq!(call(&site.app, post(&site.key, Some(signed), body)).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(stored(&site).await, 0);
}
