//! A started sandbox on 127.0.0.1:0 against the test's own database, one provisioned business and
//! an in-test webhook receiver that checks every signature over the raw bytes.

#![allow(dead_code)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use hmac::{Hmac, Mac};
use parley_sandbox::{RunningSandbox, SandboxConfig, start};
use serde_json::{Value, json};
use sha2::Sha256;
use sqlx::postgres::PgConnectOptions;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const PHONE: &str = "1001";
pub const WABA: &str = "2001";
pub const TOKEN: &str = "token-1";
pub const SECRET: &str = "app-secret-1";
pub const VERIFY_TOKEN: &str = "verify-me";

#[derive(Clone, Debug)]
pub struct Hit {
    pub raw: Bytes,
    pub body: Value,
}

#[derive(Clone, Default)]
pub struct Receiver {
    hits: Arc<Mutex<Vec<Hit>>>,
    /// Status codes to answer the next POSTs with; 200 once empty.
    answers: Arc<Mutex<VecDeque<u16>>>,
    /// How long to take before answering the next POSTs, in milliseconds.
    delays: Arc<Mutex<VecDeque<u64>>>,
}

impl Receiver {
    pub fn answer_next_with(&self, codes: &[u16]) {
        self.answers.lock().unwrap().extend(codes);
    }

    pub fn answer_slowly(&self, delays_ms: &[u64]) {
        self.delays.lock().unwrap().extend(delays_ms);
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// Every status entry received so far, in arrival order.
    pub fn statuses(&self) -> Vec<Value> {
        self.changes("messages")
            .into_iter()
            .flat_map(|value| value["statuses"].as_array().cloned().unwrap_or_default())
            .collect()
    }

    pub fn messages(&self) -> Vec<Value> {
        self.changes("messages")
            .into_iter()
            .flat_map(|value| value["messages"].as_array().cloned().unwrap_or_default())
            .collect()
    }

    pub fn changes(&self, field: &str) -> Vec<Value> {
        self.hits()
            .iter()
            .flat_map(|hit| hit.body["entry"].as_array().cloned().unwrap_or_default())
            .flat_map(|entry| entry["changes"].as_array().cloned().unwrap_or_default())
            .filter(|change| change["field"] == field)
            .map(|change| change["value"].clone())
            .collect()
    }

    pub async fn wait_until(&self, what: &str, done: impl Fn(&Receiver) -> bool) {
        for _ in 0..200 {
            if done(self) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for {what}; received: {:#?}", self.hits().iter().map(|h| &h.body).collect::<Vec<_>>());
    }
}

async fn verify(Query(query): Query<HashMap<String, String>>) -> (StatusCode, String) {
    let token_ok = query.get("hub.verify_token").map(String::as_str) == Some(VERIFY_TOKEN);
    match (query.get("hub.mode").map(String::as_str), token_ok) {
        (Some("subscribe"), true) => (StatusCode::OK, query.get("hub.challenge").cloned().unwrap_or_default()),
        _ => (StatusCode::FORBIDDEN, String::new()),
    }
}

async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, raw: Bytes) -> StatusCode {
    let signature = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(&raw);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(signature, expected, "webhook signature must be HMAC-SHA256 over the raw body");
    assert_eq!(headers.get("content-type").unwrap(), "application/json");
    assert!(raw.is_ascii(), "Meta escapes every non-ASCII character");
    let body: Value = serde_json::from_slice(&raw).unwrap();
    receiver.hits.lock().unwrap().push(Hit { raw, body });
    let code = receiver.answers.lock().unwrap().pop_front().unwrap_or(200);
    let delay = receiver.delays.lock().unwrap().pop_front().unwrap_or(0);
    tokio::time::sleep(Duration::from_millis(delay)).await;
    StatusCode::from_u16(code).unwrap()
}

pub async fn start_receiver() -> (Receiver, String) {
    let receiver = Receiver::default();
    let app = Router::new().route("/hook", get(verify).post(receive)).with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (receiver, url)
}

pub struct Harness {
    pub sandbox: RunningSandbox,
    pub base: String,
    pub graph: String,
    pub http: reqwest::Client,
    pub receiver: Receiver,
    pub callback_url: String,
    pub database_url: String,
}

pub fn database_url(options: &PgConnectOptions) -> String {
    format!(
        "postgres://{}@{}:{}/{}",
        options.get_username(),
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("postgres")
    )
}

pub async fn start_sandbox(database_url: &str) -> RunningSandbox {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    start(SandboxConfig { database_url: database_url.to_owned(), addr, public_url: format!("http://{addr}") })
        .await
        .unwrap()
}

impl Harness {
    /// Sandbox + business + fast timings + a subscription pointing at the receiver.
    pub async fn start(options: PgConnectOptions) -> Harness {
        let database_url = database_url(&options);
        let sandbox = start_sandbox(&database_url).await;
        let base = format!("http://{}", sandbox.addr);
        let graph = sandbox.graph_base_url();
        let (receiver, callback_url) = start_receiver().await;
        let harness =
            Harness { sandbox, base, graph, http: reqwest::Client::new(), receiver, callback_url, database_url };
        harness.provision(PHONE, WABA, TOKEN).await;
        harness
            .config(json!({
                "status_delays_ms": {"sent": 20, "delivered": 40, "read": 60},
                "template_review_delay_ms": 50,
                "webhook_retry": {"initial_backoff_ms": 100, "max_backoff_ms": 400, "max_attempts": 5},
                "pair_limit": {"burst": 100, "refill_seconds": 6.0},
                "throughput_per_second": 1000
            }))
            .await;
        let subscribed = harness
            .graph_post(
                &format!("{WABA}/subscribed_apps"),
                TOKEN,
                json!({"override_callback_uri": harness.callback_url, "verify_token": VERIFY_TOKEN}),
            )
            .await;
        assert_eq!(subscribed.0, 200, "{}", subscribed.1);
        harness
    }

    pub async fn provision(&self, phone: &str, waba: &str, token: &str) {
        let response = self
            .http
            .put(format!("{}/sandbox/businesses/{phone}", self.base))
            .json(&json!({"waba_id": waba, "app_id": "3001", "app_secret": SECRET, "access_token": token,
                          "display_phone_number": "+1 555 010 1001", "verified_name": "Sandbox Bakery"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    pub async fn config(&self, patch: Value) -> Value {
        let response = self.http.put(format!("{}/sandbox/config", self.base)).json(&patch).send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub async fn graph_get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut request = self.http.get(format!("{}/{path}", self.graph));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    pub async fn graph_post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        let response =
            self.http.post(format!("{}/{path}", self.graph)).bearer_auth(token).json(&body).send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    pub async fn graph_delete(&self, path: &str, token: &str) -> (u16, Value) {
        let response = self.http.delete(format!("{}/{path}", self.graph)).bearer_auth(token).send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    /// Sends a message as the business; returns (HTTP status, body).
    pub async fn send(&self, to: &str, kind: &str, object: Value) -> (u16, Value) {
        self.graph_post(
            &format!("{PHONE}/messages"),
            TOKEN,
            json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": kind, kind: object}),
        )
        .await
    }

    /// The customer writes to the business; returns the wamid.
    pub async fn customer_says(&self, wa_id: &str, message: Value) -> String {
        let response = self
            .http
            .post(format!("{}/sandbox/customers/{wa_id}/messages", self.base))
            .json(&json!({"phone_number_id": PHONE, "profile_name": "Zoë 😀", "message": message}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["wamid"].as_str().unwrap().to_owned()
    }

    pub async fn chat(&self, wa_id: &str) -> Vec<Value> {
        let response = self
            .http
            .get(format!("{}/sandbox/customers/{wa_id}/messages?phone_number_id={PHONE}", self.base))
            .send()
            .await
            .unwrap();
        let body: Value = response.json().await.unwrap();
        body["messages"].as_array().unwrap().clone()
    }
}

pub fn wamid_of(response: &Value) -> String {
    response["messages"][0]["id"].as_str().unwrap().to_owned()
}

pub fn error_code(response: &Value) -> u64 {
    response["error"]["code"].as_u64().unwrap_or_else(|| panic!("expected an error, got {response}"))
}
