//! The signed-in person as every page sees them, and the server functions that change the session.

use crate::error::AppError;
use leptos::prelude::*;
use parley::domain::{OrganizationId, Permission};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationChoice {
    pub id: OrganizationId,
    pub name: String,
    pub role_name: String,
}

/// What the shell needs: who, where, and what they may do there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub name: String,
    pub email: String,
    pub language: String,
    pub notification_sound: bool,
    /// Operates this instance: sees the dev mailbox (when no SMTP server is configured).
    pub reads_dev_mailbox: bool,
    /// None when the person has no active organization (all memberships deactivated).
    pub organization: Option<CurrentOrganization>,
    pub organizations: Vec<OrganizationChoice>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurrentOrganization {
    pub id: OrganizationId,
    pub name: String,
    pub has_logo: bool,
    /// Bumped in the browser whenever the logo is replaced or removed; the logo's address carries
    /// it (`?v=`), so an `<img>` asks for the new image instead of showing the one it has.
    pub logo_version: u32,
    pub role_name: String,
    pub is_owner: bool,
    pub permissions: Vec<Permission>,
}

impl CurrentUser {
    pub fn can(&self, permission: Permission) -> bool {
        self.organization.as_ref().is_some_and(|o| o.permissions.contains(&permission))
    }

    pub fn is_owner(&self) -> bool {
        self.organization.as_ref().is_some_and(|o| o.is_owner)
    }
}

/// The current person, or None when nobody is signed in.
#[server]
pub async fn current_session() -> Result<Option<CurrentUser>, AppError> {
    use crate::context::{session_token, state};
    use parley::auth::sessions;
    let state = state()?;
    let Some(token) = session_token() else { return Ok(None) };
    let Some(person) = sessions::resolve(&state.pool, &token).await? else { return Ok(None) };
    let memberships = parley::orgs::memberships(&state.pool, person.user_id).await?;
    let organization = match &person.actor {
        Some(actor) => {
            let profile = parley::orgs::profile(&state.pool, actor).await?;
            let role_name = memberships
                .iter()
                .find(|m| m.organization_id == actor.organization_id)
                .map(|m| m.role_name.clone())
                .unwrap_or_default();
            Some(CurrentOrganization {
                id: actor.organization_id,
                name: profile.name,
                has_logo: profile.has_logo,
                logo_version: 0,
                role_name,
                is_owner: actor.is_owner(),
                permissions: actor.permissions.iter().collect(),
            })
        }
        None => None,
    };
    let reads_dev_mailbox =
        state.mailer.is_dev_mailbox() && parley::mail::is_instance_owner(&state.pool, person.user_id).await?;
    Ok(Some(CurrentUser {
        reads_dev_mailbox,
        name: person.name,
        email: person.email,
        language: person.language.code().to_owned(),
        notification_sound: person.notification_sound,
        organization,
        organizations: memberships
            .into_iter()
            .map(|m| OrganizationChoice { id: m.organization_id, name: m.name, role_name: m.role_name })
            .collect(),
    }))
}

#[server]
pub async fn logout() -> Result<(), AppError> {
    use crate::context::{clear_session_cookie, session_token, state};
    let state = state()?;
    if let Some(token) = session_token() {
        parley::auth::sessions::end(&state.pool, &token).await?;
    }
    clear_session_cookie(&state);
    Ok(())
}

#[server]
pub async fn switch_organization(organization: OrganizationId) -> Result<(), AppError> {
    let (state, person, token) = crate::context::signed_in().await?;
    Ok(parley::orgs::switch(&state.pool, person.user_id, &token, organization).await?)
}

#[server]
pub async fn create_organization(name: String) -> Result<OrganizationId, AppError> {
    let (state, person, token) = crate::context::signed_in().await?;
    Ok(parley::orgs::create(&state.pool, person.user_id, &token, &name).await?)
}

/// The current person, loaded once per page load. Only the shell reads it, to choose between the
/// signed-in frame, the login page and an error; everything inside the frame reads
/// [`use_current_user`] instead.
#[derive(Clone, Copy)]
pub struct Session(pub Resource<Result<Option<CurrentUser>, AppError>>);

pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// The signed-in person, provided by the signed-in frame to every page inside it. It is created
/// once from the loaded session and never reloaded: a page that changes what it shows (one's name,
/// the organization's name or logo) updates it after a successful save, and the sidebar and user
/// menu follow, without rebuilding the frame or the page.
#[derive(Clone, Copy)]
pub struct CurrentUserSignal(pub RwSignal<CurrentUser>);

/// The signed-in person. Only inside the signed-in frame (every page under the shell).
pub fn use_current_user() -> RwSignal<CurrentUser> {
    expect_context::<CurrentUserSignal>().0
}

/// Leaves the single-page app for `path` with a full load, so every piece of state (the session,
/// the organization) is read afresh.
pub fn hard_navigate(path: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}
