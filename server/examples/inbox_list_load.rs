//! The conversation list at scale: an organization with 100,000 conversations and 1,000,000
//! messages (and a smaller neighbour, so the tenant filter has something to filter), read through
//! the app's row-level-security pool. Prints p50/p95/p99 per case and the plan of the slowest one;
//! the goal is p95 < 20 ms. Asserts nothing.
//!
//!     DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!         cargo run -p parley-server --example inbox_list_load [-- --conversations N] [--calls N] [--keep]
//!
//! Works in a database of its own (`inbox_bench_<id>`), created here and dropped at the end unless
//! `--keep`. The data is generated set-based as the connecting (owner) role, then VACUUM ANALYZEd.

use parley::auth::register::{Registration, register_owner};
use parley::auth::sessions;
use parley::channels::{self, ChannelForm};
use parley::domain::Actor;
use parley::domain::inbox::{AssigneeFilter, ListScope, InboxCursor, StatusFilter};
use parley::inbox::conversations;
use parley::secrets::SecretKey;
use sqlx::{Executor, PgPool};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;
use std::time::{Duration, Instant};
use uuid::Uuid;

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// What an agent types: a contact's full name (about 1 in 500 contacts), a surname (1 in 15),
/// and words of a message (one in most conversations, one in about 50 of them).
const NAME_SEARCH: &str = "Marta Okafor";
const SURNAME_SEARCH: &str = "Silva";
const COMMON_WORD: &str = "invoice";
const RARE_WORD: &str = "chargeback";

struct Options {
    conversations: i64,
    calls: usize,
    keep: bool,
}

impl Options {
    fn parse() -> Result<Options, Failure> {
        let mut options = Options { conversations: 100_000, calls: 200, keep: false };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--keep" => options.keep = true,
                "--conversations" => options.conversations = args.next().ok_or("--conversations N")?.parse()?,
                "--calls" => options.calls = args.next().ok_or("--calls N")?.parse()?,
                other => return Err(format!("unknown argument {other}").into()),
            }
        }
        Ok(options)
    }
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let options = Options::parse()?;
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let server = PgConnectOptions::from_str(&url)?;
    let admin = PgPoolOptions::new().max_connections(1).connect_with(server.clone()).await?;
    let database = format!("inbox_bench_{}", Uuid::now_v7().simple());
    sqlx::query(&format!("CREATE DATABASE {database}")).execute(&admin).await?;
    println!("database {database}");
    let outcome = run(server.clone().database(&database), &options).await;
    if options.keep {
        println!("kept database {database}");
    } else {
        sqlx::query(&format!("DROP DATABASE {database} WITH (FORCE)")).execute(&admin).await?;
    }
    outcome
}

async fn run(options: PgConnectOptions, settings: &Options) -> Result<(), Failure> {
    parley::db::migrate(options.clone()).await?;
    let app = parley::db::connect(options.clone(), 2).await?;
    let owner = PgPoolOptions::new().max_connections(1).connect_with(options.clone()).await?;

    let started = Instant::now();
    let big = organization(&app, "Big Inbox", "big").await?;
    let neighbour = organization(&app, "Neighbour", "neighbour").await?;
    generate(&owner, &big, settings.conversations, "55").await?;
    generate(&owner, &neighbour, settings.conversations / 10, "44").await?;
    // VACUUM as autovacuum would have by now: it also flushes the full-text index's pending list.
    sqlx::query("VACUUM ANALYZE").execute(&owner).await?;
    let (conversations, messages): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM conversations WHERE organization_id = $1),
                (SELECT count(*) FROM messages WHERE organization_id = $1)",
    )
    .bind(big.organization_id)
    .fetch_one(&owner)
    .await?;
    println!(
        "generated {conversations} conversations and {messages} messages (plus a neighbour a tenth the size) in {:.0} s",
        started.elapsed().as_secs_f64()
    );

    let deep = cursor_after_pages(&app, &big, 10).await?;
    let cases: Vec<(&str, StatusFilter, &str, Option<InboxCursor>)> = vec![
        ("first page, open", StatusFilter::Open, "", None),
        ("first page, all", StatusFilter::All, "", None),
        ("page 11 (cursor), all", StatusFilter::All, "", Some(deep)),
        ("search contact name", StatusFilter::All, NAME_SEARCH, None),
        ("search surname", StatusFilter::All, SURNAME_SEARCH, None),
        ("search common message word", StatusFilter::All, COMMON_WORD, None),
        ("search rare message word", StatusFilter::All, RARE_WORD, None),
    ];
    let mut slowest: Option<(Duration, usize)> = None;
    for (n, (name, filter, search, after)) in cases.iter().enumerate() {
        let mut latencies = Vec::with_capacity(settings.calls);
        let mut found = 0;
        for _ in 0..settings.calls {
            let start = Instant::now();
            let page = conversations::list(&app, &big, *filter, AssigneeFilter::Everyone, search, *after, ListScope::default()).await?;
            latencies.push(start.elapsed());
            found = page.conversations.len();
        }
        let p95 = report(name, found, &mut latencies);
        if slowest.is_none_or(|(worst, _)| p95 > worst) {
            slowest = Some((p95, n));
        }
    }
    if let Some((_, n)) = slowest {
        let (name, filter, search, after) = &cases[n];
        println!("\nplan of the slowest case ({name}):");
        explain(&options, &big, *filter, search, *after).await?;
    }
    Ok(())
}

async fn organization(app: &PgPool, name: &str, slug: &str) -> Result<Actor, Failure> {
    let session = register_owner(app, Registration {
        name: "Ola Owner",
        email: &format!("owner@{slug}.example"),
        password: "a long enough password",
        organization_name: name,
    })
    .await?;
    let actor = sessions::resolve(app, &session.0).await?.and_then(|p| p.actor).ok_or("no actor")?;
    let form = ChannelForm { name: "Main".into(), app_secret: "bench-app-secret".into(), ..Default::default() };
    channels::create(app, &SecretKey::parse_hex(&"11".repeat(32))?, &actor, &form).await?;
    Ok(actor)
}

/// Contacts with one conversation each on the organization's channel (70% open, 20% pending, 10%
/// resolved, last activity over the past 90 days) and 1 to 19 messages per conversation (10 on
/// average), the newest at the conversation's last activity.
async fn generate(owner: &PgPool, actor: &Actor, count: i64, country: &str) -> Result<(), Failure> {
    let mut tx = owner.begin().await?;
    sqlx::query("SELECT setseed(0.42)").execute(&mut *tx).await?;
    sqlx::query(
        "CREATE TEMP TABLE bench_conversations ON COMMIT DROP AS
         SELECT g, gen_random_uuid() AS contact_id, gen_random_uuid() AS id, 1 + g % 19 AS messages,
                now() - random() * interval '90 days' AS last_message_at, random() AS roll
         FROM generate_series(1, $1) g",
    )
    .bind(count)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO contacts (id, organization_id, wa_id, profile_name, name)
         SELECT b.contact_id, $1, $2 || lpad(b.g::text, 10, '0'),
                first[1 + b.g % 23] || ' ' || last[1 + (b.g / 23) % 29],
                CASE WHEN b.g % 4 = 0 THEN first[1 + (b.g / 7) % 23] || ' ' || last[1 + b.g % 29] END
         FROM bench_conversations b,
              (SELECT ARRAY['Ana','Bruno','Carla','Diego','Elena','Farid','Grace','Hugo','Ines','Jonas','Kemi',
                            'Lucia','Marta','Nadia','Omar','Paula','Quentin','Rosa','Sven','Tariq','Uma','Vera',
                            'Wen'] AS first,
                      ARRAY['Silva','Okafor','Nguyen','Müller','Rossi','Kowalski','Haddad','Tanaka','Garcia',
                            'Smith','Dubois','Ivanova','Mensah','Costa','Jensen','Patel','Yilmaz','Cohen','Novak',
                            'Santos','Berg','Moreau','Ali','Fischer','Kim','Lopez','Brown','Sato','Weber'] AS last) w",
    )
    .bind(actor.organization_id)
    .bind(country)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO conversations (id, organization_id, contact_id, channel_id, status, last_message_at,
                                    last_inbound_at, unread_count, created_at)
         SELECT b.id, $1, b.contact_id, ch.id,
                CASE WHEN b.roll < 0.7 THEN 'open' WHEN b.roll < 0.9 THEN 'pending' ELSE 'resolved' END,
                b.last_message_at, b.last_message_at - interval '7 minutes',
                CASE WHEN b.roll < 0.3 THEN 1 + b.g % 5 ELSE 0 END,
                b.last_message_at - b.messages * interval '7 minutes'
         FROM bench_conversations b, channels ch WHERE ch.organization_id = $1",
    )
    .bind(actor.organization_id)
    .execute(&mut *tx)
    .await?;
    // Bodies of 4 to 12 words from a small vocabulary; the rare word appears in about one message
    // in 20,000.
    sqlx::query(
        "INSERT INTO messages (id, organization_id, conversation_id, channel_id, wamid, direction, kind, body,
                               content, status, sent_at, created_at)
         SELECT gen_random_uuid(), $1, b.id, ch.id, 'wamid.bench-' || b.g || '-' || i,
                CASE WHEN (i + b.g) % 3 = 0 THEN 'outbound' ELSE 'inbound' END, 'text', t.body,
                jsonb_build_object('body', t.body),
                CASE WHEN (i + b.g) % 3 <> 0 THEN 'received' WHEN i = b.messages THEN 'delivered' ELSE 'read' END,
                b.last_message_at - (b.messages - i) * interval '7 minutes',
                b.last_message_at - (b.messages - i) * interval '7 minutes'
         FROM bench_conversations b
         CROSS JOIN channels ch
         CROSS JOIN LATERAL generate_series(1, b.messages) i
         CROSS JOIN LATERAL (
             SELECT CASE WHEN random() < 0.00005 THEN 'about the chargeback ' ELSE '' END
                    || array_to_string(ARRAY(
                           SELECT (ARRAY['hello','thanks','order','delivery','when','price','please','can','you',
                                         'help','tomorrow','today','address','payment','invoice','received',
                                         'package','size','colour','return','exchange','great','ok','yes','no',
                                         'morning','afternoon','store','open','closed','discount','shipping',
                                         'tracking','number','the','my','is','a','for','with'])
                                  [1 + floor(random() * 40)::int]
                           FROM generate_series(1, 4 + (i + b.g) % 9)), ' ') AS body
         ) t
         WHERE ch.organization_id = $1",
    )
    .bind(actor.organization_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The cursor an agent holds after scrolling through `pages` pages of the whole list.
async fn cursor_after_pages(app: &PgPool, actor: &Actor, pages: usize) -> Result<InboxCursor, Failure> {
    let mut after = None;
    for _ in 0..pages {
        after = conversations::list(app, actor, StatusFilter::All, AssigneeFilter::Everyone, "", after, ListScope::default()).await?.next;
    }
    after.ok_or_else(|| "the list ended early".into())
}

fn report(case: &str, found: usize, latencies: &mut [Duration]) -> Duration {
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{case:<28} {:>4} calls, {found:>2} rows: p50 {:>7.2} ms  p95 {:>7.2} ms  p99 {:>7.2} ms",
        latencies.len(),
        ms(at(0.5)),
        ms(at(0.95)),
        ms(at(0.99)),
    );
    at(0.95)
}

/// The plan of one `list` call exactly as the app runs it (same SQL, role and tenant scope):
/// auto_explain on a connection of its own hands EXPLAIN (ANALYZE, BUFFERS) of every statement
/// back to the client as a LOG notice, which sqlx reports through tracing.
async fn explain(
    options: &PgConnectOptions,
    actor: &Actor,
    filter: StatusFilter,
    search: &str,
    after: Option<InboxCursor>,
) -> Result<(), Failure> {
    tracing_subscriber::fmt()
        .with_env_filter("sqlx::postgres::notice=trace")
        .without_time()
        .with_target(false)
        .with_level(false)
        .init();
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute(
                    "LOAD 'auto_explain';
                     SET auto_explain.log_min_duration = 0;
                     SET auto_explain.log_analyze = on;
                     SET auto_explain.log_buffers = on;
                     SET client_min_messages = log;
                     SET ROLE parley_app;",
                )
                .await?;
                Ok(())
            })
        })
        .connect_with(options.clone())
        .await?;
    conversations::list(&pool, actor, filter, AssigneeFilter::Everyone, search, after, ListScope::default()).await?;
    pool.close().await;
    Ok(())
}
