//! The Cloud API sandbox: a faithful stand-in for Meta's Graph API and its webhooks.
//!
//! It is written against the JSON contract only (no Parley types), keeps its state in Postgres in
//! its own schema `cloud_sandbox`, and signs its webhooks like Meta. See README.md for its rules.

mod business;
mod control;
mod customers;
mod graph;
mod graph_error;
mod ids;
mod limits;
mod media;
mod messages;
mod meta_json;
mod pages;
mod send;
mod settings;
mod templates;
mod webhooks;
mod worker;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use settings::Settings;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::{Arc, RwLock};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

const SCHEMA: &str = "cloud_sandbox";
/// The Graph API version the sandbox advertises; every `v{N}.0` prefix is accepted.
const GRAPH_VERSION: &str = "v21.0";
/// Documents up to 100 MB are allowed by Meta; multipart framing needs a little more.
const MAX_UPLOAD_BYTES: usize = 101 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub database_url: String,
    pub addr: SocketAddr,
    /// The URL clients reach the sandbox at, e.g. `http://127.0.0.1:3010` (media URLs point there).
    pub public_url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("invalid database URL: {0}")]
    DatabaseUrl(sqlx::Error),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("could not listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    #[error("server: {0}")]
    Serve(std::io::Error),
}

/// Everything the handlers and workers share.
pub(crate) struct Sandbox {
    pool: PgPool,
    settings: RwLock<Settings>,
    public_url: String,
    limiter: limits::Limiter,
    /// Woken whenever new work is queued, so tests and demos do not wait for the next poll.
    work: Notify,
    http: reqwest::Client,
}

impl Sandbox {
    fn settings(&self) -> Settings {
        self.settings.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    fn set_settings(&self, settings: Settings) {
        *self.settings.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = settings;
    }

    fn graph_base_url(&self) -> String {
        format!("{}/{GRAPH_VERSION}", self.public_url)
    }
}

pub(crate) type App = Arc<Sandbox>;

pub struct RunningSandbox {
    pub addr: SocketAddr,
    public_url: String,
    stop: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    worker: JoinHandle<()>,
}

impl RunningSandbox {
    pub fn graph_base_url(&self) -> String {
        format!("{}/{GRAPH_VERSION}", self.public_url)
    }

    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.server.await;
        let _ = self.worker.await;
    }

    /// Runs until ctrl-c (then shuts down cleanly) or until the server fails.
    pub async fn wait(mut self) {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            result = &mut self.server => {
                if let Ok(Err(error)) = result {
                    tracing::error!(%error, "sandbox server stopped");
                }
            }
        }
        let _ = self.stop.send(true);
        let _ = self.server.await;
        let _ = self.worker.await;
    }
}

/// Binds, migrates the `cloud_sandbox` schema, spawns the workers and returns once listening.
pub async fn start(config: SandboxConfig) -> Result<RunningSandbox, SandboxError> {
    let pool = connect(&config.database_url).await?;
    sqlx::migrate!("./migrations").run(&pool).await?;
    let settings = Settings::load(&pool).await?;
    let public_url = config.public_url.trim_end_matches('/').to_owned();
    let app: App = Arc::new(Sandbox {
        pool,
        settings: RwLock::new(settings),
        public_url: public_url.clone(),
        limiter: limits::Limiter::default(),
        work: Notify::new(),
        http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?,
    });

    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|source| SandboxError::Bind { addr: config.addr, source })?;
    let addr = listener.local_addr().map_err(SandboxError::Serve)?;
    let (stop, stopped) = watch::channel(false);

    let worker = tokio::spawn(worker::run(app.clone(), stopped.clone()));
    let mut server_stopped = stopped;
    let server = tokio::spawn(
        axum::serve(listener, router(app))
            .with_graceful_shutdown(async move {
                let _ = server_stopped.wait_for(|stop| *stop).await;
            })
            .into_future(),
    );
    tracing::info!(%addr, graph = %format!("{public_url}/{GRAPH_VERSION}"), "Cloud API sandbox listening");
    Ok(RunningSandbox { addr, public_url, stop, server, worker })
}

async fn connect(database_url: &str) -> Result<PgPool, SandboxError> {
    let options = PgConnectOptions::from_str(database_url).map_err(SandboxError::DatabaseUrl)?;
    // The schema must exist before a connection can default to it; this is the only statement the
    // sandbox runs outside its schema.
    let bootstrap = PgPoolOptions::new().max_connections(1).connect_with(options.clone()).await?;
    sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {SCHEMA}")).execute(&bootstrap).await?;
    bootstrap.close().await;
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .connect_with(options.options([("search_path", SCHEMA)]))
        .await?;
    Ok(pool)
}

fn router(app: App) -> Router {
    Router::new()
        .route("/", get(pages::setup))
        .route("/simulator", get(pages::simulator))
        .route("/sandbox/businesses", get(business::list))
        .route("/sandbox/businesses/{phone_number_id}", put(business::upsert))
        .route("/sandbox/customers/{wa_id}", put(customers::set_reachability))
        .route("/sandbox/customers/{wa_id}/messages", get(customers::chat).post(customers::send_inbound))
        .route("/sandbox/config", get(control::get_settings).put(control::put_settings))
        .route("/sandbox/webhooks", get(control::webhook_log))
        .route("/sandbox/templates/{id}", put(templates::set_status))
        .route("/sandbox/media/{id}", get(media::preview))
        .route("/whatsapp_business/attachments/", get(media::download))
        .route("/{version}/{id}", get(graph::get_object).delete(media::delete))
        .route("/{version}/{id}/messages", post(messages::send))
        .route(
            "/{version}/{id}/media",
            post(media::upload).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
        )
        .route("/{version}/{id}/register", post(graph::register))
        .route("/{version}/{id}/phone_numbers", get(graph::phone_numbers))
        .route(
            "/{version}/{id}/message_templates",
            get(templates::list).post(templates::create).delete(templates::delete),
        )
        .route(
            "/{version}/{id}/subscribed_apps",
            get(graph::subscribed_apps).post(graph::subscribe).delete(graph::unsubscribe),
        )
        .fallback(graph::unknown_path)
        .with_state(app)
}
