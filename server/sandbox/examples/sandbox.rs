//! Runs the sandbox on its own, without Parley:
//! `DATABASE_URL=postgres://… cargo run -p parley-sandbox --example sandbox` (optional SANDBOX_ADDR,
//! default 127.0.0.1:3010, and SANDBOX_PUBLIC_URL, default http://{SANDBOX_ADDR}).

use parley_sandbox::{SandboxConfig, start};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let database_url = std::env::var("DATABASE_URL").map_err(|_| "set DATABASE_URL")?;
    let addr = std::env::var("SANDBOX_ADDR").unwrap_or_else(|_| "127.0.0.1:3010".into()).parse()?;
    let public_url = std::env::var("SANDBOX_PUBLIC_URL").unwrap_or_else(|_| format!("http://{addr}"));
    let sandbox = start(SandboxConfig { database_url, addr, public_url }).await?;
    println!("Cloud API sandbox: {} (Graph API at {})", format_args!("http://{}", sandbox.addr), sandbox.graph_base_url());
    sandbox.wait().await;
    Ok(())
}
