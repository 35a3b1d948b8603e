//! Server functions of the signed-out pages. Each parses its input through the engine and answers
//! with an [`AppError`] a person can act on.

use crate::error::AppError;
use leptos::prelude::*;
use parley::domain::account::LinkInfo;

/// Signs in through the agent tab (`agent = true`) or the owner / admin tab.
#[server]
pub async fn login(email: String, password: String, agent: bool) -> Result<(), AppError> {
    use crate::context::{client_ip, set_session_cookie, state};
    use parley::auth::login::{LoginAttempt, login};
    use parley::domain::LoginTab;
    let state = state()?;
    let tab = if agent { LoginTab::Agent } else { LoginTab::OwnerAdmin };
    let ip = client_ip();
    let token = login(&state.pool, LoginAttempt { email: &email, password: &password, tab, ip: &ip }).await?;
    set_session_cookie(&state, &token.0);
    Ok(())
}

#[server]
pub async fn register(
    name: String,
    email: String,
    password: String,
    organization_name: String,
) -> Result<(), AppError> {
    use crate::context::{set_session_cookie, state};
    use parley::auth::register::{Registration, register_owner};
    let state = state()?;
    let form = Registration { name: &name, email: &email, password: &password, organization_name: &organization_name };
    let token = register_owner(&state.pool, form).await?;
    set_session_cookie(&state, &token.0);
    Ok(())
}

/// Mails a reset link. Returns whether mail goes to the dev mailbox (no SMTP configured), so the
/// page can say where to look.
#[server]
pub async fn request_password_reset(email: String) -> Result<bool, AppError> {
    let state = crate::context::state()?;
    parley::auth::links::request_reset(&state.pool, &state.mailer, &email, &state.public_url).await?;
    Ok(state.mailer.is_dev_mailbox())
}

#[server]
pub async fn describe_account_link(token: String) -> Result<LinkInfo, AppError> {
    let state = crate::context::state()?;
    Ok(parley::auth::links::describe(&state.pool, &token).await?)
}

#[server]
pub async fn set_password_with_link(token: String, password: String) -> Result<(), AppError> {
    let state = crate::context::state()?;
    Ok(parley::auth::links::set_password(&state.pool, &token, &password).await?)
}
