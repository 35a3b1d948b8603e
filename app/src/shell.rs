//! The signed-in frame: sidebar with the sections the person may open, the organization switcher,
//! the user menu, and the page inside. Signed-out visitors are sent to the login page.

use crate::session::{
    CurrentUser, CurrentUserSignal, SwitchOrganization, hard_navigate, logout, use_current_user, use_session,
};
use leptos::prelude::*;
use leptos_router::components::{A, Outlet, Redirect};
use leptos_router::hooks::use_location;
use parley::domain::Permission;

/// Waits for the session (on the server too, so the first HTML is the right one), then shows the
/// signed-in frame, the login page, or the error. The session is loaded once per page load and
/// never refetched, so the frame is built once: changes to the person show through
/// [`use_current_user`], which the frame's parts read reactively.
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

/// Pages that work without an active organization: everywhere else such a person sees
/// [`NoOrganization`].
const WITHOUT_ORGANIZATION: [&str; 2] = ["/organizations/new", "/profile"];

#[component]
fn SignedInFrame(user: CurrentUser) -> impl IntoView {
    let user = RwSignal::new(user);
    provide_context(CurrentUserSignal(user));
    let menu_open = RwSignal::new(false);
    let nav_open = RwSignal::new(false);
    let can = move |p: Permission| user.with(|u| u.can(p));
    let location = use_location();
    let shows_page = move || {
        user.with(|u| u.organization.is_some())
            || location.pathname.with(|path| WITHOUT_ORGANIZATION.contains(&path.trim_end_matches('/')))
    };
    // One websocket for the whole signed-in app: the inbox follows it, and so does the
    // notification center on every page.
    provide_context(crate::inbox::InboxRefresh(RwSignal::new(0)));
    provide_context(crate::inbox::LiveInbox::new());
    provide_context(crate::notifications::Notifications::new());
    crate::hydrated::provide_hydrated();
    let follows_inbox = move || user.with(|u| u.organization.is_some()) && can(Permission::InboxRead);
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
                <OrganizationSwitcher />
                <nav class="nav" on:click=move |_| nav_open.set(false)>
                    <A href="/" exact=true>"Dashboard"</A>
                    <Show when=move || can(Permission::InboxRead)>
                        <A href="/inbox">"Inbox"</A>
                        <A href="/starred">"Starred"</A>
                        <A href="/quick-replies">"Quick replies"</A>
                    </Show>
                    <Show when=move || {
                        can(Permission::SettingsOrganization) || can(Permission::SettingsChannels) || can(Permission::TeamManage)
                    }>
                        <p class="nav-heading">"Settings"</p>
                    </Show>
                    <Show when=move || can(Permission::SettingsOrganization)>
                        <A href="/settings/organization">"Organization"</A>
                    </Show>
                    <Show when=move || can(Permission::SettingsChannels)>
                        <A href="/settings/channels">"WhatsApp channels"</A>
                    </Show>
                    <Show when=move || can(Permission::TeamManage)>
                        <A href="/settings/team">"Team members"</A>
                        <A href="/settings/roles">"Roles"</A>
                        <A href="/settings/teams">"Teams"</A>
                    </Show>
                    <Show when=move || user.with(|u| u.reads_dev_mailbox)>
                        <A href="/dev/mailbox">"Dev mailbox"</A>
                    </Show>
                </nav>
            </aside>
            <div class="main">
                <header class="topbar">
                    <button class="icon-button nav-toggle" aria-label="Open navigation" on:click=move |_| nav_open.update(|o| *o = !*o)>"☰"</button>
                    <div class="topbar-spacer"></div>
                    <Show when=follows_inbox>
                        <crate::inbox::LiveUpdates />
                        <crate::notifications::NotificationCenter />
                    </Show>
                    <div class="user-menu">
                        <button
                            class="user-menu-button"
                            aria-haspopup="menu"
                            aria-expanded=move || menu_open.get().to_string()
                            on:click=move |_| menu_open.update(|o| *o = !*o)
                        >
                            <span class="avatar">{move || user.with(|u| initials(&u.name))}</span>
                            <span class="user-name">{move || user.with(|u| u.name.clone())}</span>
                        </button>
                        <Show when=move || menu_open.get()>
                            <div class="menu" role="menu" on:click=move |_| menu_open.set(false)>
                                <p class="menu-caption">{move || user.with(|u| u.email.clone())}</p>
                                <a role="menuitem" href="/profile">"Profile"</a>
                                <a role="menuitem" href="/organizations/new">"Create organization"</a>
                                <button role="menuitem" on:click=move |_| { logout.dispatch(()); }>"Log out"</button>
                            </div>
                        </Show>
                    </div>
                </header>
                <main class="content">
                    <Show when=shows_page fallback=|| view! { <NoOrganization /> }>
                        <Outlet />
                    </Show>
                </main>
            </div>
        </div>
    }
}

/// The current organization, and a list to switch to another or create one.
#[component]
fn OrganizationSwitcher() -> impl IntoView {
    let user = use_current_user();
    let open = RwSignal::new(false);
    let switch = ServerAction::<SwitchOrganization>::new();
    Effect::new(move || {
        if let Some(Ok(())) = switch.value().get() {
            hard_navigate("/");
        }
    });
    let current_name = move || {
        user.with(|u| u.organization.as_ref().map(|o| o.name.clone())).unwrap_or_else(|| "No organization".into())
    };
    let logo = move || {
        user.with(|u| {
            u.organization
                .as_ref()
                .filter(|o| o.has_logo)
                .map(|o| format!("/media/organizations/{}/logo?v={}", o.id, o.logo_version))
        })
    };
    let others = move || {
        user.with(|u| {
            let current_id = u.organization.as_ref().map(|o| o.id);
            u.organizations.iter().filter(|o| Some(o.id) != current_id).cloned().collect::<Vec<_>>()
        })
    };
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
                {move || match logo() {
                    Some(src) => view! { <img class="org-logo" src=src alt="" /> }.into_any(),
                    None => view! { <span class="org-logo org-logo-initials">{move || initials(&current_name())}</span> }.into_any(),
                }}
                <span class="org-name">{current_name}</span>
                <span class="chevron" aria-hidden="true">"▾"</span>
            </button>
            <Show when=move || open.get()>
                <div class="menu org-menu" role="menu">
                    <p class="menu-caption">"Switch organization"</p>
                    {move || {
                        let others = others();
                        let none = others.is_empty();
                        view! {
                            {others.into_iter().map(|o| {
                                let id = o.id;
                                view! {
                                    <button role="menuitem" on:click=move |_| { switch.dispatch(SwitchOrganization { organization: id }); }>
                                        <span>{o.name}</span>
                                        <span class="muted small">{o.role_name}</span>
                                    </button>
                                }
                            }).collect_view()}
                            {none.then(|| view! { <p class="menu-caption">"You belong to no other organization."</p> })}
                        }
                    }}
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
    let user = use_current_user();
    let allowed = move || user.with(|u| u.can(permission));
    view! { <Show when=allowed fallback=|| view! { <NoAccess /> }>{children()}</Show> }
}
