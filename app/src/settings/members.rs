//! `/settings/team`: the organization's members. Add someone (with an initial password or an
//! invite link), edit their name and role, deactivate or reactivate them, remove them.

use super::roles::{RoleRow, list_roles};
use super::{ConfirmDialog, Modal, Notice, TextInput, failure};
use crate::error::AppError;
use crate::forms::{Field, FormAlert, FormErrors, SubmitButton};
use crate::session::{CurrentUser, use_current_user};
use crate::shell::RequirePermission;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use parley::domain::{BuiltInRole, EmailAddress, NewPassword, Permission, PersonName, RoleId, TeamId, UserId};
use serde::{Deserialize, Serialize};

/// A member as the team page lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberRow {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    pub role_id: RoleId,
    pub role_name: String,
    pub built_in: Option<BuiltInRole>,
    pub active: bool,
    /// False for an invited person who has not chosen a password yet.
    pub has_password: bool,
    pub teams: Vec<(TeamId, String)>,
}

impl MemberRow {
    /// The status badge: (label, classes).
    fn status(&self) -> (&'static str, &'static str) {
        if !self.active {
            ("Deactivated", "badge badge-red")
        } else if !self.has_password {
            ("Invited", "badge badge-grey")
        } else {
            ("Active", "badge badge-green")
        }
    }
}

/// What adding a member did, for the message after the form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddedMember {
    /// The email already had a Parley account; it joined this organization with its own password.
    pub existing_account: bool,
    pub invite_link: Option<String>,
    /// Mail goes to the dev mailbox (no SMTP server configured).
    pub dev_mailbox: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Deactivate,
    Remove,
}

#[component]
pub fn TeamMembersPage() -> impl IntoView {
    view! {
        <RequirePermission permission=Permission::TeamManage>
            <TeamMembers />
        </RequirePermission>
    }
}

#[component]
fn TeamMembers() -> impl IntoView {
    let me = use_current_user();
    let my_email = me.with_untracked(|u| u.email.clone());
    let i_am_owner = me.with_untracked(CurrentUser::is_owner);

    let version = RwSignal::new(0u32);
    let members = Resource::new(move || version.get(), |_| list_members());
    let roles = Resource::new(|| (), |_| list_roles());
    let notice = RwSignal::new(None::<String>);
    let page_errors = FormErrors::new();
    let editing = RwSignal::new(None::<MemberRow>);
    let confirming = RwSignal::new(None::<(MemberRow, Change)>);
    let set_active = ServerAction::<SetMemberActive>::new();
    let remove = ServerAction::<RemoveMember>::new();
    // Who the last activation change was about: (name, now active).
    let set_active_subject = RwSignal::new((String::new(), true));
    let reload = move || version.update(|v| *v += 1);

    Effect::new(move || match set_active.value().get() {
        Some(Ok(())) => {
            let (name, active) = set_active_subject.get_untracked();
            notice.set(Some(if active {
                format!("{name} is active again and can log in.")
            } else {
                format!("{name} was deactivated and signed out.")
            }));
            confirming.set(None);
            reload();
        }
        // Inside the dialog its own alert shows the refusal; a reactivation has no dialog.
        Some(Err(err)) if confirming.get_untracked().is_none() => page_errors.show(&err),
        _ => {}
    });
    Effect::new(move || {
        if let Some(Ok(())) = remove.value().get() {
            if let Some((member, _)) = confirming.get_untracked() {
                notice.set(Some(format!("{} was removed from the organization.", member.name)));
            }
            confirming.set(None);
            reload();
        }
    });

    let actions = RowActions {
        edit: Callback::new(move |member: MemberRow| {
            notice.set(None);
            page_errors.clear();
            editing.set(Some(member));
        }),
        confirm: Callback::new(move |(member, change): (MemberRow, Change)| {
            notice.set(None);
            page_errors.clear();
            set_active.clear();
            remove.clear();
            confirming.set(Some((member, change)));
        }),
        reactivate: Callback::new(move |member: MemberRow| {
            notice.set(None);
            page_errors.clear();
            set_active_subject.set((member.name.clone(), true));
            set_active.dispatch(SetMemberActive { user: member.user_id, active: true });
        }),
    };
    let my_email = StoredValue::new(my_email);
    let role_options = move || roles.get_untracked().and_then(Result::ok).unwrap_or_default();

    view! {
        <section class="page">
            <div class="page-header">
                <h1>"Team members"</h1>
                <p class="muted">"Everyone who can open this organization, their role and their teams."</p>
            </div>
            <Notice message=notice />
            <FormAlert errors=page_errors />
            <div class="card">
                <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading members…"</p> }>
                    {move || members.get().map(|result| match result {
                        Err(err) => view! { <div class="alert alert-error" role="alert">{err.to_string()}</div> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No members yet. Add the first one below."</p> }.into_any(),
                        Ok(list) => view! {
                            <table class="table">
                                <thead>
                                    <tr>
                                        <th scope="col">"Name"</th>
                                        <th scope="col">"Email"</th>
                                        <th scope="col">"Role"</th>
                                        <th scope="col">"Teams"</th>
                                        <th scope="col">"Status"</th>
                                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|member| {
                                        let is_me = my_email.with_value(|e| e.eq_ignore_ascii_case(&member.email));
                                        // Only an owner acts on an owner.
                                        let can_act = i_am_owner || member.built_in != Some(BuiltInRole::Owner);
                                        view! { <MemberLine member is_me can_act actions /> }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    })}
                </Transition>
            </div>
            <div class="card">
                <h2>"Add member"</h2>
                <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading roles…"</p> }>
                    {move || roles.get().map(|result| match result {
                        Err(err) => view! { <div class="alert alert-error" role="alert">{err.to_string()}</div> }.into_any(),
                        Ok(roles) => view! {
                            <AddMemberForm roles i_am_owner on_added=Callback::new(move |()| { notice.set(None); reload(); }) />
                        }.into_any(),
                    })}
                </Transition>
            </div>
            {move || editing.get().map(|member| {
                let is_me = my_email.with_value(|e| e.eq_ignore_ascii_case(&member.email));
                view! {
                    <EditMemberDialog
                        member
                        roles=role_options()
                        is_me
                        i_am_owner
                        on_close=Callback::new(move |()| editing.set(None))
                        on_saved=Callback::new(move |name: String| {
                            editing.set(None);
                            notice.set(Some(format!("{name} was saved.")));
                            reload();
                        })
                    />
                }
            })}
            {move || confirming.get().map(|(member, change)| {
                let user = member.user_id;
                let name = member.name.clone();
                let org = me.with_untracked(|u| u.organization.as_ref().map(|o| o.name.clone()))
                    .unwrap_or_else(|| "the organization".into());
                let (title, message, label) = match change {
                    Change::Deactivate => (
                        format!("Deactivate {name}?"),
                        format!("{name} is signed out at once and cannot open {org} until reactivated. Their history stays."),
                        "Deactivate",
                    ),
                    Change::Remove => (
                        format!("Remove {name}?"),
                        format!("Remove {name} from {org}? They lose access at once."),
                        "Remove",
                    ),
                };
                view! {
                    <ConfirmDialog
                        title
                        message
                        confirm_label=label
                        pending=Signal::derive(move || set_active.pending().get() || remove.pending().get())
                        error=Signal::derive(move || match change {
                            Change::Deactivate => failure(set_active.value().get()),
                            Change::Remove => failure(remove.value().get()),
                        })
                        on_confirm=Callback::new(move |()| match change {
                            Change::Deactivate => {
                                set_active_subject.set((name.clone(), false));
                                set_active.dispatch(SetMemberActive { user, active: false });
                            }
                            Change::Remove => {
                                remove.dispatch(RemoveMember { user });
                            }
                        })
                        on_cancel=Callback::new(move |()| confirming.set(None))
                    />
                }
            })}
        </section>
    }
}

/// What a row's buttons do; the page owns the dialogs.
#[derive(Clone, Copy)]
struct RowActions {
    edit: Callback<MemberRow>,
    confirm: Callback<(MemberRow, Change)>,
    reactivate: Callback<MemberRow>,
}

#[component]
fn MemberLine(member: MemberRow, is_me: bool, can_act: bool, actions: RowActions) -> impl IntoView {
    let (status, badge) = member.status();
    let teams = member.teams.iter().map(|(_, name)| name.as_str()).collect::<Vec<_>>().join(", ");
    let name = member.name.clone();
    let active = member.active;
    let row = StoredValue::new(member.clone());
    view! {
        <tr class:row-inactive=!active>
            <td>
                {name.clone()}
                {is_me.then(|| view! { " " <span class="muted small">"(you)"</span> })}
            </td>
            <td>{member.email.clone()}</td>
            <td>{member.role_name.clone()}</td>
            <td>
                {if teams.is_empty() {
                    view! { <span class="muted">"—"</span> }.into_any()
                } else {
                    view! { <span>{teams}</span> }.into_any()
                }}
            </td>
            <td><span class=badge>{status}</span></td>
            <td class="actions">
                {if !can_act {
                    view! { <span class="muted small">"Only an owner can change an owner"</span> }.into_any()
                } else {
                    view! {
                        <button type="button" class="button button-small" aria-label=format!("Edit {name}") on:click=move |_| actions.edit.run(row.get_value())>
                            "Edit"
                        </button>
                        {(!is_me).then(|| view! {
                            " "
                            {if active {
                                view! {
                                    <button type="button" class="button button-small" aria-label=format!("Deactivate {}", row.with_value(|m| m.name.clone()))
                                        on:click=move |_| actions.confirm.run((row.get_value(), Change::Deactivate))>
                                        "Deactivate"
                                    </button>
                                }.into_any()
                            } else {
                                view! {
                                    <button type="button" class="button button-small" aria-label=format!("Reactivate {}", row.with_value(|m| m.name.clone()))
                                        on:click=move |_| actions.reactivate.run(row.get_value())>
                                        "Reactivate"
                                    </button>
                                }.into_any()
                            }}
                            " "
                            <button type="button" class="button button-small button-danger" aria-label=format!("Remove {}", row.with_value(|m| m.name.clone()))
                                on:click=move |_| actions.confirm.run((row.get_value(), Change::Remove))>
                                "Remove"
                            </button>
                        })}
                    }.into_any()
                }}
            </td>
        </tr>
    }
}

/// A `<select>` of the organization's roles; the Owner role only for owners (the server refuses
/// anyone else handing it out).
#[component]
fn RoleSelect(
    id: &'static str,
    roles: Vec<RoleRow>,
    value: RwSignal<String>,
    errors: FormErrors,
    i_am_owner: bool,
    #[prop(optional)] disabled: bool,
    #[prop(optional)] hint: &'static str,
) -> impl IntoView {
    let error = errors.field("role");
    let error_id = format!("{id}-error");
    view! {
        <div class="field" class:field-invalid=move || error.get().is_some()>
            <label for=id>"Role"</label>
            <select
                id=id
                name="role"
                disabled=disabled
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=error_id.clone()
                prop:value=move || value.get()
                on:change=move |ev| value.set(event_target_value(&ev))
            >
                {roles
                    .into_iter()
                    .filter(|r| i_am_owner || r.built_in != Some(BuiltInRole::Owner) || r.id.to_string() == value.get_untracked())
                    .map(|r| {
                        let key = r.id.to_string();
                        let selected = key.clone();
                        view! { <option value=key selected=move || value.get() == selected>{r.name}</option> }
                    })
                    .collect_view()}
            </select>
            {(!hint.is_empty()).then(|| view! { <p class="field-hint">{hint}</p> })}
            <p class="field-error" id=error_id role="alert">{move || error.get()}</p>
        </div>
    }
}

/// The chosen role, or an error beside the role field.
fn parse_role(errors: &FormErrors, raw: &str) -> Option<RoleId> {
    match raw.parse::<RoleId>() {
        Ok(id) => Some(id),
        Err(_) => {
            errors.check::<(), _>("role", Err("Choose a role"));
            None
        }
    }
}

#[component]
fn AddMemberForm(roles: Vec<RoleRow>, i_am_owner: bool, on_added: Callback<()>) -> impl IntoView {
    let default_role = roles
        .iter()
        .find(|r| r.built_in == Some(BuiltInRole::Agent))
        .or_else(|| roles.first())
        .map(|r| r.id.to_string())
        .unwrap_or_default();
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(default_role.clone());
    let invite = RwSignal::new(false);
    let password = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let action = ServerAction::<AddMember>::new();
    // (name, email, outcome) of the last successful add.
    let outcome = RwSignal::new(None::<(String, String, AddedMember)>);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        errors.clear();
        outcome.set(None);
        errors.check("name", PersonName::parse(&name.get_untracked()));
        errors.check("email", EmailAddress::parse(&email.get_untracked()));
        let role_id = parse_role(&errors, &role.get_untracked());
        let invite_link = invite.get_untracked();
        if !invite_link {
            errors.check("password", NewPassword::parse(&password.get_untracked()));
        }
        if let (true, Some(role_id)) = (errors.is_empty(), role_id) {
            action.dispatch(AddMember {
                name: name.get_untracked(),
                email: email.get_untracked(),
                role: role_id,
                invite: invite_link,
                password: if invite_link { String::new() } else { password.get_untracked() },
            });
        }
    };
    Effect::new(move || match action.value().get() {
        Some(Ok(added)) => {
            on_added.run(());
            outcome.set(Some((name.get_untracked().trim().to_owned(), email.get_untracked().trim().to_owned(), added)));
            name.set(String::new());
            email.set(String::new());
            password.set(String::new());
        }
        Some(Err(err)) => errors.show(&err),
        None => {}
    });

    view! {
        {move || outcome.get().map(|(name, email, added)| view! { <AddedMessage name email added /> })}
        <form on:submit=submit novalidate>
            <FormAlert errors=errors />
            <Field label="Name" name="name" value=name errors=errors autocomplete="off" />
            <Field label="Email" name="email" kind="email" value=email errors=errors autocomplete="off" />
            <RoleSelect id="field-role" roles value=role errors i_am_owner />
            <fieldset class="field">
                <legend>"How they get in"</legend>
                <label class="radio">
                    <input
                        type="radio"
                        name="credential"
                        value="password"
                        checked=true
                        prop:checked=move || !invite.get()
                        on:change=move |_| invite.set(false)
                    />
                    " Set an initial password"
                </label>
                <label class="radio">
                    <input
                        type="radio"
                        name="credential"
                        value="invite"
                        prop:checked=move || invite.get()
                        on:change=move |_| invite.set(true)
                    />
                    " Send an invite link"
                </label>
            </fieldset>
            <Show
                when=move || !invite.get()
                fallback=|| view! { <p class="field-hint">"They get an email with a link, valid for 7 days, to choose their own password."</p> }
            >
                <Field
                    label="Initial password"
                    name="password"
                    kind="password"
                    value=password
                    errors=errors
                    autocomplete="new-password"
                    hint="At least 10 characters. Hand it over in person; they can change it in their profile."
                />
            </Show>
            <SubmitButton label="Add member" busy_label="Adding…" pending=action.pending().into() />
        </form>
    }
}

#[component]
fn AddedMessage(name: String, email: String, added: AddedMember) -> impl IntoView {
    if added.existing_account {
        return view! {
            <div class="alert alert-success" role="status">
                {format!("{email} already had a Parley account and was added to this organization. They log in with their existing password.")}
            </div>
        }
        .into_any();
    }
    match added.invite_link {
        Some(link) => view! {
            <div class="alert alert-success" role="status">
                <p>{format!("{name} was added. An invite link was sent to {email}; it works once, for 7 days.")}</p>
                {added.dev_mailbox.then(|| view! {
                    <p class="small">"No email server is configured, so the mail went to this Parley's dev mailbox. Hand over the link yourself:"</p>
                })}
                <div class="toolbar invite-link">
                    <input type="text" readonly aria-label="Invite link" value=link.clone() on:focus=move |ev| select_all(&ev) />
                    <CopyButton text=link />
                </div>
            </div>
        }
        .into_any(),
        None => view! {
            <div class="alert alert-success" role="status">
                {format!("{name} was added. They log in with {email} and the initial password you set.")}
            </div>
        }
        .into_any(),
    }
}

fn select_all(ev: &leptos::ev::FocusEvent) {
    let input: web_sys::HtmlInputElement = event_target(ev);
    input.select();
}

/// Copies `text` to the clipboard, saying whether that worked.
#[component]
fn CopyButton(text: String) -> impl IntoView {
    // None: not tried yet; Some(ok).
    let copied = RwSignal::new(None::<bool>);
    let text = StoredValue::new(text);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            use web_sys::wasm_bindgen::{JsCast, JsValue};
            let clipboard = web_sys::window()
                .map(|w| w.navigator())
                .and_then(|n| web_sys::js_sys::Reflect::get(&n, &JsValue::from_str("clipboard")).ok())
                .filter(|c| !c.is_undefined() && !c.is_null())
                .map(|c| c.unchecked_into::<web_sys::Clipboard>());
            match clipboard {
                Some(clipboard) => {
                    let promise = clipboard.write_text(&text.get_value());
                    leptos::task::spawn_local(async move {
                        let ok = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
                        copied.set(Some(ok));
                    });
                }
                None => copied.set(Some(false)),
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = text;
    };
    view! {
        <button type="button" class="button button-small" on:click=copy>
            {move || match copied.get() {
                None => "Copy",
                Some(true) => "Copied",
                Some(false) => "Copy failed: select the link and copy it",
            }}
        </button>
    }
}

#[component]
fn EditMemberDialog(
    member: MemberRow,
    roles: Vec<RoleRow>,
    is_me: bool,
    i_am_owner: bool,
    on_close: Callback<()>,
    on_saved: Callback<String>,
) -> impl IntoView {
    let user = member.user_id;
    let name = RwSignal::new(member.name.clone());
    let role = RwSignal::new(member.role_id.to_string());
    let errors = FormErrors::new();
    let action = ServerAction::<UpdateMember>::new();

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        errors.clear();
        errors.check("name", PersonName::parse(&name.get_untracked()));
        let role_id = parse_role(&errors, &role.get_untracked());
        if let (true, Some(role_id)) = (errors.is_empty(), role_id) {
            action.dispatch(UpdateMember { user, name: name.get_untracked(), role: role_id });
        }
    };
    Effect::new(move || match action.value().get() {
        Some(Ok(())) => on_saved.run(name.get_untracked().trim().to_owned()),
        Some(Err(err)) => errors.show(&err),
        None => {}
    });

    view! {
        <Modal title=format!("Edit {}", member.name) on_close>
            <form on:submit=submit novalidate>
                <FormAlert errors=errors />
                <TextInput label="Name" id="edit-member-name" name="name" value=name errors=errors autocomplete="off" />
                <RoleSelect
                    id="edit-member-role"
                    roles
                    value=role
                    errors
                    i_am_owner
                    disabled=is_me
                    hint=if is_me { "You cannot change your own role." } else { "" }
                />
                <div class="modal-actions">
                    <button type="button" class="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <SubmitButton label="Save changes" busy_label="Saving…" pending=action.pending().into() />
                </div>
            </form>
        </Modal>
    }
}

// ---- Server functions ----

#[server]
pub async fn list_members() -> Result<Vec<MemberRow>, AppError> {
    let (state, actor) = crate::context::actor_with(Permission::TeamManage).await?;
    let members = parley::team::members::list(&state.pool, &actor).await?;
    Ok(members
        .into_iter()
        .map(|m| MemberRow {
            user_id: m.user_id,
            name: m.name,
            email: m.email,
            role_id: m.role_id,
            role_name: m.role_name,
            built_in: m.built_in,
            active: m.active,
            has_password: m.has_password,
            teams: m.teams,
        })
        .collect())
}

/// Adds a member with an initial `password`, or (with `invite`) mails them an invite link.
#[server]
pub async fn add_member(
    name: String,
    email: String,
    role: RoleId,
    invite: bool,
    #[server(default)] password: String,
) -> Result<AddedMember, AppError> {
    use parley::team::members::{Added, Credential, NewMember, add};
    let (state, actor) = crate::context::actor_with(Permission::TeamManage).await?;
    let credential = if invite { Credential::InviteLink } else { Credential::Password(&password) };
    let form = NewMember { name: &name, email: &email, role, credential };
    let added = add(&state.pool, &actor, &state.mailer, &state.public_url, form).await?;
    let dev_mailbox = state.mailer.is_dev_mailbox();
    Ok(match added {
        Added::Created { invite_link, .. } => AddedMember { existing_account: false, invite_link, dev_mailbox },
        Added::ExistingAccount { .. } => AddedMember { existing_account: true, invite_link: None, dev_mailbox },
    })
}

#[server]
pub async fn update_member(user: UserId, name: String, role: RoleId) -> Result<(), AppError> {
    let (state, actor) = crate::context::actor_with(Permission::TeamManage).await?;
    Ok(parley::team::members::update(&state.pool, &actor, user, &name, role).await?)
}

#[server]
pub async fn set_member_active(user: UserId, active: bool) -> Result<(), AppError> {
    let (state, actor) = crate::context::actor_with(Permission::TeamManage).await?;
    Ok(parley::team::members::set_active(&state.pool, &actor, user, active).await?)
}

#[server]
pub async fn remove_member(user: UserId) -> Result<(), AppError> {
    let (state, actor) = crate::context::actor_with(Permission::TeamManage).await?;
    Ok(parley::team::members::remove(&state.pool, &actor, user).await?)
}
