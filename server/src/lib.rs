#![recursion_limit = "256"]
//! parley-server: configuration, the HTTP composition, start-up, and the CLI's commands.

pub mod config;
pub mod http;
pub mod seed;

use config::Config;
use leptos::prelude::LeptosOptions;
use parley::mail::Mailer;
use parley_app::context::AppState;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Engine(#[from] parley::Error),
    #[error("Cloud API sandbox: {0}")]
    Sandbox(String),
    #[error("listening on {addr}: {source}")]
    Listen { addr: std::net::SocketAddr, source: std::io::Error },
}

/// Runs the migrations as the configured database user.
pub async fn migrate(config: &Config) -> Result<(), StartError> {
    parley::db::migrate(config.connect_options()?).await?;
    Ok(())
}

/// Builds what every request shares: the pool (as the row-level-security-bound role), the mailer.
pub async fn app_state(config: &Config) -> Result<AppState, StartError> {
    let secrets = config.secret_key()?;
    let pool = parley::db::connect(config.connect_options()?, 20).await?;
    Ok(AppState {
        pool,
        mailer: Mailer::from_config(config.smtp_url.as_deref(), &config.mail_from)?,
        public_url: config.public_url.clone(),
        secure_cookies: config.public_url.starts_with("https://"),
        secrets,
        cloud: parley::cloud::CloudClient::new(),
        media: config.media_storage()?,
    })
}

pub fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("parley")
        .site_root(config.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(config.addr)
        .env(if config.dev_reload { leptos::config::Env::DEV } else { leptos::config::Env::PROD })
        .build()
}

/// Binds the configured address, so `run` can connect the demo channel (whose subscription calls
/// back) once Parley is reachable.
pub async fn bind(config: &Config) -> Result<tokio::net::TcpListener, StartError> {
    tokio::net::TcpListener::bind(config.addr).await.map_err(|source| StartError::Listen { addr: config.addr, source })
}

/// Serves until Ctrl-C or SIGTERM, then finishes in-flight requests.
pub async fn serve(config: &Config, state: AppState) -> Result<(), StartError> {
    let listener = bind(config).await?;
    serve_on(listener, config, state).await
}

pub async fn serve_on(listener: tokio::net::TcpListener, config: &Config, state: AppState) -> Result<(), StartError> {
    tokio::spawn(parley::webhooks::worker::run(state.pool.clone(), parley::webhooks::worker::POLL));
    tokio::spawn(parley::inbox::outbound::worker::run(
        state.pool.clone(),
        state.secrets.clone(),
        state.cloud.clone(),
        state.media.clone(),
    ));
    tokio::spawn(parley::templates::run(state.pool.clone(), state.secrets.clone(), state.cloud.clone()));
    tokio::spawn(parley::media::download::run(
        state.pool.clone(),
        state.secrets.clone(),
        state.cloud.clone(),
        state.media.clone(),
    ));
    let server_state = http::ServerState { app: state, leptos: leptos_options(config), metrics: Default::default() };
    let router = http::router(server_state, config.public_origin());
    tracing::info!(addr = %config.addr, public_url = %config.public_url, "serving");
    axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|source| StartError::Listen { addr: config.addr, source })
}

/// Starts the Cloud API sandbox on the configured address, in this process, on the same database
/// (its own schema). Parley still talks to it over HTTP, as it would to Meta.
pub async fn start_sandbox(config: &Config, addr: std::net::SocketAddr) -> Result<parley_sandbox::RunningSandbox, StartError> {
    parley_sandbox::start(parley_sandbox::SandboxConfig {
        database_url: config.database_url.clone(),
        addr,
        public_url: format!("http://{addr}"),
    })
    .await
    .map_err(|e| StartError::Sandbox(e.to_string()))
}

pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
