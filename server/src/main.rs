//! `parley`: the server binary and its commands.

use clap::{Parser, Subcommand};
use parley_server::config::Config;
use parley_server::seed::{self, DEMO_AGENT, DEMO_ORGANIZATION, DEMO_OWNER};
use parley_server::{StartError, app_state, migrate, serve};
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
}

#[tokio::main]
async fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    match execute(cli.command).await {
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
            print_logins(&config);
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
            print_logins(&config);
            serve(&config, state).await
        }
    }
}

fn print_logins(config: &Config) {
    println!();
    println!("  Parley is starting on {}", config.public_url);
    println!("  Demo organization \"{DEMO_ORGANIZATION}\":");
    for login in [DEMO_OWNER, DEMO_AGENT] {
        let tab = if login.role == "Owner" { "Owner / admin login" } else { "Agent login" };
        println!("    {:<6} {:<26} password {:<18} (tab \"{tab}\")", login.role, login.email, login.password);
    }
    println!("  Or register your own organization at {}/register", config.public_url);
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
