use crate::session::use_current_user;
use leptos::prelude::*;
use parley::domain::Permission;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let user = use_current_user();
    let first_name = move || user.with(|u| u.name.split_whitespace().next().unwrap_or_default().to_owned());
    let organization = move || {
        user.with(|u| u.organization.as_ref().map(|o| format!("{} · you are {}", o.name, o.role_name)))
            .unwrap_or_default()
    };
    let can = move |p: Permission| user.with(|u| u.can(p));
    view! {
        <section class="page">
            <h1>"Welcome, " {first_name}</h1>
            <p class="muted">{organization}</p>
            <div class="cards">
                <Show when=move || can(Permission::TeamManage)>
                    <a class="card" href="/settings/team">
                        <h2>"Invite your team"</h2>
                        <p class="muted">"Create agent accounts, give them roles, group them in teams."</p>
                    </a>
                </Show>
                <Show when=move || can(Permission::SettingsOrganization)>
                    <a class="card" href="/settings/organization">
                        <h2>"Organization profile"</h2>
                        <p class="muted">"Name, description, website and logo."</p>
                    </a>
                </Show>
                <a class="card" href="/profile">
                    <h2>"Your profile"</h2>
                    <p class="muted">"Your name, password, language and notification sound."</p>
                </a>
            </div>
        </section>
    }
}
