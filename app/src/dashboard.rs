use crate::session::use_session;
use leptos::prelude::*;
use parley::domain::Permission;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let session = use_session();
    let user = move || session.0.get().and_then(Result::ok).flatten();
    view! {
        <section class="page">
            {move || user().map(|u| {
                let org = u.organization.clone();
                let manage_team = u.can(Permission::TeamManage);
                let settings = u.can(Permission::SettingsOrganization);
                view! {
                    <h1>"Welcome, " {u.name.split_whitespace().next().unwrap_or_default().to_owned()}</h1>
                    <p class="muted">
                        {org.as_ref().map(|o| format!("{} · you are {}", o.name, o.role_name)).unwrap_or_default()}
                    </p>
                    <div class="cards">
                        <Show when=move || manage_team>
                            <a class="card" href="/settings/team">
                                <h2>"Invite your team"</h2>
                                <p class="muted">"Create agent accounts, give them roles, group them in teams."</p>
                            </a>
                        </Show>
                        <Show when=move || settings>
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
                }
            })}
        </section>
    }
}
