//! Getting in: login (two tabs), registration, forgot password, and the reset / invite pages.

mod api;
mod link_page;
mod login;
mod register;
mod forgot;

pub use api::*;
pub use forgot::ForgotPasswordPage;
pub use link_page::AccountLinkPage;
pub use login::LoginPage;
pub use register::RegisterPage;

use leptos::prelude::*;

/// The centered card the signed-out pages share.
#[component]
fn AuthCard(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <main class="auth-page">
            <div class="auth-card">
                <div class="brand"><span class="brand-mark">"P"</span>" Parley"</div>
                <h1>{title}</h1>
                {children()}
            </div>
        </main>
    }
}
