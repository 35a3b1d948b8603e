//! Parley's user interface: Leptos pages and components, and the server functions behind them.
//! Server functions are thin: session and permission from [`context`], then the engine.
#![recursion_limit = "256"]

pub mod auth;
mod clock;
#[cfg(feature = "ssr")]
pub mod context;
mod dashboard;
pub mod error;
mod hydrated;
mod forms;
mod inbox;
mod notifications;
mod organizations;
mod profile;
mod quick_replies;
pub mod session;
mod settings;
mod shell;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let session = session::Session(Resource::new(|| (), |_| session::current_session()));
    provide_context(session);

    view! {
        <Stylesheet id="parley" href="/pkg/parley.css" />
        <Title text="Parley" />
        <Router>
            <Routes fallback=|| view! { <NotFoundPage /> }>
                <Route path=path!("/login") view=auth::LoginPage />
                <Route path=path!("/register") view=auth::RegisterPage />
                <Route path=path!("/forgot-password") view=auth::ForgotPasswordPage />
                <Route path=path!("/reset-password/:token") view=auth::AccountLinkPage />
                <Route path=path!("/invite/:token") view=auth::AccountLinkPage />
                <ParentRoute path=path!("") view=shell::AppShell>
                    <Route path=path!("") view=dashboard::DashboardPage />
                    <Route path=path!("/inbox") view=inbox::InboxPage />
                    <Route path=path!("/inbox/:conversation") view=inbox::InboxPage />
                    <Route path=path!("/starred") view=inbox::StarredMessagesPage />
                    <Route path=path!("/quick-replies") view=quick_replies::QuickRepliesPage />
                    <Route path=path!("/profile") view=profile::ProfilePage />
                    <Route path=path!("/organizations/new") view=organizations::NewOrganizationPage />
                    <Route path=path!("/settings/organization") view=settings::OrganizationSettingsPage />
                    <Route path=path!("/settings/channels") view=settings::ChannelsPage />
                    <Route path=path!("/settings/team") view=settings::TeamMembersPage />
                    <Route path=path!("/settings/roles") view=settings::RolesPage />
                    <Route path=path!("/settings/teams") view=settings::TeamsPage />
                    <Route path=path!("/dev/mailbox") view=settings::DevMailboxPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

#[component]
fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="auth-page">
            <div class="auth-card">
                <h1>"Page not found"</h1>
                <p class="muted">"The page you asked for does not exist."</p>
                <a class="button button-primary" href="/">"Go to your dashboard"</a>
            </div>
        </main>
    }
}
