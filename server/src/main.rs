//! `parley`: the server binary and its commands.

use clap::{Parser, Subcommand};
use parley_server::config::Config;
use parley_server::seed::{self, DEMO_AGENT, DEMO_ORGANIZATION, DEMO_OWNER};
use parley_server::{StartError, app_state, bind, migrate, serve, serve_on, shutdown_signal, start_sandbox};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "parley", version, about = "Parley: an open WhatsApp Business platform")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate, seed the demo organization, and serve (what `scripts/run` starts).
    Run,
    /// Migrate and serve.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Create the demo organization (once) and exit.
    Seed,
    /// Run the Cloud API sandbox alone (PARLEY_SANDBOX_ADDR, default 127.0.0.1:3010): a stand-in
    /// for Meta's Graph API and webhooks, with a phone simulator at /simulator.
    Sandbox,
}

/// Rendering a signed-in page on the server nests deeply (the frame, the page, its Suspense
/// boundaries): a debug build overflows tokio's default 2 MiB worker stack there, which aborts
/// the whole server. Measured: 4 MiB is enough; twice that leaves room for deeper pages.
const WORKER_STACK_BYTES: usize = 8 * 1024 * 1024;

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().thread_stack_size(WORKER_STACK_BYTES).build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("parley: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(execute(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("parley: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: Command) -> Result<(), StartError> {
    let config = Config::from_env()?;
    match command {
        Command::Migrate => migrate(&config).await,
        Command::Seed => {
            migrate(&config).await?;
            let state = app_state(&config).await?;
            seed::demo(&state.pool, &state.public_url).await?;
            print_logins(&config, None);
            Ok(())
        }
        Command::Serve => {
            migrate(&config).await?;
            let state = app_state(&config).await?;
            serve(&config, state).await
        }
        Command::Run => {
            migrate(&config).await?;
            let state = app_state(&config).await?;
            seed::demo(&state.pool, &state.public_url).await?;
            let sandbox = match config.sandbox_addr {
                Some(addr) => Some(start_sandbox(&config, addr).await?),
                None => None,
            };
            let listener = bind(&config).await?;
            // Connecting the demo channel needs Parley answering (the subscription calls back),
            // so it runs alongside the server rather than before it.
            let connect_demo = async {
                if let Some(sandbox) = &sandbox {
                    let sandbox_url = format!("http://{}", sandbox.addr);
                    match seed::demo_channel(&state, &sandbox_url, &sandbox.graph_base_url()).await {
                        Ok(()) => tracing::info!(sandbox = %sandbox_url, "demo channel connected to the Cloud API sandbox"),
                        Err(e) => tracing::warn!("demo channel not connected: {e}"),
                    }
                }
                print_logins(&config, sandbox.as_ref().map(|s| s.addr));
            };
            let (served, ()) = tokio::join!(serve_on(listener, &config, state.clone()), connect_demo);
            if let Some(sandbox) = sandbox {
                sandbox.shutdown().await;
            }
            served
        }
        Command::Sandbox => {
            let addr = config.sandbox_addr.unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], 3010)));
            let sandbox = start_sandbox(&config, addr).await?;
            println!("  Cloud API sandbox on http://{addr}: Graph API at {}, phone simulator at http://{addr}/simulator", sandbox.graph_base_url());
            shutdown_signal().await;
            sandbox.shutdown().await;
            Ok(())
        }
    }
}

fn print_logins(config: &Config, sandbox: Option<std::net::SocketAddr>) {
    println!();
    println!("  Parley is starting on {}", config.public_url);
    println!("  Demo organization \"{DEMO_ORGANIZATION}\":");
    for login in [DEMO_OWNER, DEMO_AGENT] {
        let tab = if login.role == "Owner" { "Owner / admin login" } else { "Agent login" };
        println!("    {:<6} {:<26} password {:<18} (tab \"{tab}\")", login.role, login.email, login.password);
    }
    println!("  Or register your own organization at {}/register", config.public_url);
    if let Some(addr) = sandbox {
        println!("  Its WhatsApp channel is connected to the Cloud API sandbox: chat with it as a customer");
        println!("  in the phone simulator at http://{addr}/simulator");
    }
    println!();
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("PARLEY_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let json = std::env::var("PARLEY_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
