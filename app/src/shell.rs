//! The signed-in frame: sidebar with the sections the person may open, the organization switcher,
//! the user menu, and the page inside. Signed-out visitors are sent to the login page.

use crate::session::{CurrentUser, SwitchOrganization, hard_navigate, logout, use_session};
use leptos::prelude::*;
use leptos_router::components::{A, Outlet, Redirect};
use parley::domain::Permission;

#[component]
pub fn AppShell() -> impl IntoView {
    let session = use_session();
    view! {
        <Transition fallback=|| view! { <div class="loading-screen" aria-busy="true">"Loading…"</div> }>
            {move || session.0.get().map(|result| match result {
                Ok(Some(user)) => view! { <SignedInFrame user /> }.into_any(),
                Ok(None) => view! { <Redirect path="/login" /> }.into_any(),
                Err(err) => view! {
                    <main class="auth-page"><div class="auth-card">
                        <div class="alert alert-error" role="alert">{err.to_string()}</div>
                        <a class="button" href="/">"Try again"</a>
                    </div></main>
                }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn SignedInFrame(user: CurrentUser) -> impl IntoView {
    let menu_open = RwSignal::new(false);
    let nav_open = RwSignal::new(false);
    let user = StoredValue::new(user);
    let can = move |p: Permission| user.with_value(|u| u.can(p));
    let reads_dev_mailbox = user.with_value(|u| u.reads_dev_mailbox);
    let no_organization = user.with_value(|u| u.organization.is_none());
    let logout = Action::new(|_: &()| logout());
    Effect::new(move || {
        if logout.value().get().is_some() {
            hard_navigate("/login");
        }
    });

    view! {
        <div class="app" class:nav-open=move || nav_open.get()>
            <aside class="sidebar" aria-label="Main navigation">
                <div class="brand"><span class="brand-mark">"P"</span>" Parley"</div>
                <OrganizationSwitcher user=user.get_value() />
                <nav class="nav" on:click=move |_| nav_open.set(false)>
                    <A href="/" exact=true>"Dashboard"</A>
                    <Show when=move || can(Permission::SettingsOrganization) || can(Permission::TeamManage)>
                        <p class="nav-heading">"Settings"</p>
                    </Show>
                    <Show when=move || can(Permission::SettingsOrganization)>
                        <A href="/settings/organization">"Organization"</A>
                    </Show>
                    <Show when=move || can(Permission::TeamManage)>
                        <A href="/settings/team">"Team members"</A>
                        <A href="/settings/roles">"Roles"</A>
                        <A href="/settings/teams">"Teams"</A>
                    </Show>
                    <Show when=move || reads_dev_mailbox>
                        <A href="/dev/mailbox">"Dev mailbox"</A>
                    </Show>
                </nav>
            </aside>
            <div class="main">
                <header class="topbar">
                    <button class="icon-button nav-toggle" aria-label="Open navigation" on:click=move |_| nav_open.update(|o| *o = !*o)>"☰"</button>
                    <div class="topbar-spacer"></div>
                    <div class="user-menu">
                        <button
                            class="user-menu-button"
                            aria-haspopup="menu"
                            aria-expanded=move || menu_open.get().to_string()
                            on:click=move |_| menu_open.update(|o| *o = !*o)
                        >
                            <span class="avatar">{user.with_value(|u| initials(&u.name))}</span>
                            <span class="user-name">{user.with_value(|u| u.name.clone())}</span>
                        </button>
                        <Show when=move || menu_open.get()>
                            <div class="menu" role="menu" on:click=move |_| menu_open.set(false)>
                                <p class="menu-caption">{user.with_value(|u| u.email.clone())}</p>
                                <a role="menuitem" href="/profile">"Profile"</a>
                                <a role="menuitem" href="/organizations/new">"Create organization"</a>
                                <button role="menuitem" on:click=move |_| { logout.dispatch(()); }>"Log out"</button>
                            </div>
                        </Show>
                    </div>
                </header>
                <main class="content">
                    <Show when=move || !no_organization fallback=|| view! { <NoOrganization /> }>
                        <Outlet />
                    </Show>
                </main>
            </div>
        </div>
    }
}

/// The current organization, and a list to switch to another or create one.
#[component]
fn OrganizationSwitcher(user: CurrentUser) -> impl IntoView {
    let open = RwSignal::new(false);
    let switch = ServerAction::<SwitchOrganization>::new();
    Effect::new(move || {
        if let Some(Ok(())) = switch.value().get() {
            hard_navigate("/");
        }
    });
    let current = user.organization.clone();
    let current_id = current.as_ref().map(|o| o.id);
    let others: Vec<_> = user.organizations.iter().filter(|o| Some(o.id) != current_id).cloned().collect();
    let current_name = current.as_ref().map(|o| o.name.clone()).unwrap_or_else(|| "No organization".into());
    let logo = current.as_ref().filter(|o| o.has_logo).map(|o| format!("/media/organizations/{}/logo", o.id));
    let switch_error = move || switch.value().get().and_then(Result::err).map(|e| e.to_string());
    view! {
        <div class="org-switcher">
            <button
                class="org-current"
                aria-haspopup="menu"
                aria-expanded=move || open.get().to_string()
                aria-label="Switch organization"
                on:click=move |_| open.update(|o| *o = !*o)
            >
                {match logo {
                    Some(src) => view! { <img class="org-logo" src=src alt="" /> }.into_any(),
                    None => view! { <span class="org-logo org-logo-initials">{initials(&current_name)}</span> }.into_any(),
                }}
                <span class="org-name">{current_name.clone()}</span>
                <span class="chevron" aria-hidden="true">"▾"</span>
            </button>
            <Show when=move || open.get()>
                <div class="menu org-menu" role="menu">
                    <p class="menu-caption">"Switch organization"</p>
                    {others.iter().map(|o| {
                        let id = o.id;
                        view! {
                            <button role="menuitem" on:click=move |_| { switch.dispatch(SwitchOrganization { organization: id }); }>
                                <span>{o.name.clone()}</span>
                                <span class="muted small">{o.role_name.clone()}</span>
                            </button>
                        }
                    }).collect_view()}
                    {others.is_empty().then(|| view! { <p class="menu-caption">"You belong to no other organization."</p> })}
                    <a role="menuitem" href="/organizations/new">"+ Create organization"</a>
                    <p class="field-error" role="alert">{switch_error}</p>
                </div>
            </Show>
        </div>
    }
}

#[component]
fn NoOrganization() -> impl IntoView {
    view! {
        <section class="page">
            <h1>"No active organization"</h1>
            <p class="muted">"Your access to this organization has ended. Switch to another organization or create your own."</p>
            <a class="button button-primary" href="/organizations/new">"Create organization"</a>
        </section>
    }
}

/// "Ana Lima" → "AL".
pub fn initials(name: &str) -> String {
    name.split_whitespace().filter_map(|w| w.chars().next()).take(2).flat_map(char::to_uppercase).collect()
}

/// Shown in place of a page the person's role does not open. The server refuses its data too.
#[component]
pub fn NoAccess() -> impl IntoView {
    view! {
        <section class="page">
            <h1>"No access"</h1>
            <div class="alert alert-error" role="alert">"You do not have permission to open this page. Ask an owner or admin if you need it."</div>
        </section>
    }
}

/// Renders `children` when the signed-in person holds `permission`, [`NoAccess`] otherwise.
#[component]
pub fn RequirePermission(permission: Permission, children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let allowed = move || matches!(session.0.get(), Some(Ok(Some(u))) if u.can(permission));
    view! { <Show when=allowed fallback=|| view! { <NoAccess /> }>{children()}</Show> }
}
