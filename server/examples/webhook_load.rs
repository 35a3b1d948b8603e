//! Webhook ingestion load: signs real Cloud API message webhooks with a channel's app secret and
//! posts them to Parley over HTTP, then reports throughput and acknowledgement latency.
//!
//! ```text
//! DATABASE_URL=postgres://… cargo run --release -p parley-server --example webhook_load -- [events] [concurrency]
//! ```
//!
//! It starts Parley in this process on 127.0.0.1 (the real router, ingestor and worker against
//! the given Postgres, durable commits), creates a throwaway organization with one channel, and
//! drives it with `concurrency` keep-alive connections. Every event is a distinct inbound message
//! (its own wamid), so the worker's processing is measured too: the run waits until every
//! message is stored and reports how long that took.

use hmac::{Hmac, Mac};
use parley::auth::register::{Registration, register_owner};
use parley::auth::sessions;
use parley::domain::channel::ChannelForm;
use parley_server::config::Config;
use sha2::Sha256;
use std::sync::Arc;
use std::time::{Duration, Instant};

const APP_SECRET: &str = "load-test-app-secret";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let events: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(20_000);
    let concurrency: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(64);

    let mut config = Config::from_env()?;
    config.addr = "127.0.0.1:0".parse()?;
    parley_server::migrate(&config).await?;
    let state = parley_server::app_state(&config).await?;

    let run = format!("{:x}", rand_seed());
    let token = register_owner(&state.pool, Registration {
        name: "Load Tester",
        email: &format!("load-{run}@bench.parley.test"),
        password: "load test password",
        organization_name: "Load Test",
    })
    .await?;
    let actor = sessions::resolve(&state.pool, &token.0).await?.and_then(|s| s.actor).ok_or("no actor")?;
    let channel = parley::channels::create(&state.pool, &state.secrets, &actor, &ChannelForm {
        name: format!("Load {run}"),
        phone_number_id: "100000000000009".into(),
        app_secret: APP_SECRET.into(),
        ..ChannelForm::default()
    })
    .await?
    .channel;

    let listener = parley_server::bind(&config).await?;
    let addr = listener.local_addr()?;
    {
        let (config, state) = (config.clone(), state.clone());
        tokio::spawn(async move { parley_server::serve_on(listener, &config, state).await });
    }
    let url = Arc::new(format!("http://{addr}/webhooks/whatsapp/{}", channel.webhook_key));
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build()?;

    // Warm-up: connections, caches, prepared statements.
    drive(&client, &url, &run, 0..(concurrency * 4).min(events), concurrency).await?;

    let started = Instant::now();
    let mut latencies = drive(&client, &url, &run, events..events * 2, concurrency).await?;
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1)];
    println!("webhook ingestion: {events} events, {concurrency} connections, {:.2} s", elapsed.as_secs_f64());
    println!("  throughput  {:.0} events/s (acknowledged = committed to Postgres)", events as f64 / elapsed.as_secs_f64());
    println!(
        "  ack latency p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(pct(0.50)),
        ms(pct(0.95)),
        ms(pct(0.99)),
        ms(pct(1.0))
    );

    let expected = (events + (concurrency * 4).min(events)) as i64;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let mut tx = parley::db::scoped(&state.pool, Some(actor.organization_id), None).await?;
        let stored: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM webhook_events WHERE channel_id = $1 AND processed_at IS NOT NULL",
        )
        .bind(channel.id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        if stored >= expected || Instant::now() > deadline {
            println!("  processed   {stored}/{expected} payloads {:.2} s after the first post", started.elapsed().as_secs_f64());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

fn rand_seed() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Posts events `range` with `concurrency` workers; returns each post's time to a 200.
async fn drive(
    client: &reqwest::Client,
    url: &Arc<String>,
    run: &str,
    range: std::ops::Range<usize>,
    concurrency: usize,
) -> Result<Vec<Duration>, Box<dyn std::error::Error>> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(range.start));
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (client, url, next, run) = (client.clone(), url.clone(), next.clone(), run.to_owned());
        let end = range.end;
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= end {
                    return Ok::<_, String>(latencies);
                }
                let body = payload(&run, i);
                let signature = sign(&body);
                let started = Instant::now();
                let response = client
                    .post(url.as_str())
                    .header("content-type", "application/json")
                    .header("x-hub-signature-256", signature)
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let status = response.status();
                response.bytes().await.map_err(|e| e.to_string())?;
                if status != reqwest::StatusCode::OK {
                    return Err(format!("event {i}: HTTP {status}"));
                }
                latencies.push(started.elapsed());
            }
        }));
    }
    let mut all = Vec::with_capacity(range.len());
    for worker in workers {
        all.extend(worker.await??);
    }
    Ok(all)
}

fn sign(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(APP_SECRET.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// One inbound text message from one of 1,000 customers, shaped as Meta sends it.
fn payload(run: &str, i: usize) -> Vec<u8> {
    let customer = 4915100000000u64 + (i % 1000) as u64;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
    serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "200000000000009",
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": { "display_phone_number": "15550100009", "phone_number_id": "100000000000009" },
                    "contacts": [{ "profile": { "name": format!("Customer {}", i % 1000) }, "wa_id": customer.to_string() }],
                    "messages": [{
                        "from": customer.to_string(),
                        "id": format!("wamid.load.{run}.{i}"),
                        "timestamp": now.to_string(),
                        "type": "text",
                        "text": { "body": format!("Load message {i}: is my order on its way?") }
                    }]
                }
            }]
        }]
    })
    .to_string()
    .into_bytes()
}
