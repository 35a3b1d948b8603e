//! `/settings/roles`: the three built-in roles (read-only) and the organization's custom roles,
//! each a name and a permission matrix.

use super::{ConfirmDialog, Modal, Notice, TextInput, failure};
use crate::error::AppError;
use crate::forms::{Field, FormAlert, FormErrors, SubmitButton};
use crate::shell::RequirePermission;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use parley::domain::{BuiltInRole, Permission, PermissionSet, RoleId, RoleName};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A role as the roles page and the role pickers show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleRow {
    pub id: RoleId,
    pub name: String,
    pub built_in: Option<BuiltInRole>,
    pub permissions: PermissionSet,
    pub member_count: i64,
}

#[component]
pub fn RolesPage() -> impl IntoView {
    view! {
        <RequirePermission permission=Permission::TeamManage>
            <Roles />
        </RequirePermission>
    }
}

#[component]
fn Roles() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let roles = Resource::new(move || version.get(), |_| list_roles());
    let notice = RwSignal::new(None::<String>);
    let editing = RwSignal::new(None::<RoleRow>);
    let deleting = RwSignal::new(None::<RoleRow>);
    let delete = ServerAction::<DeleteRole>::new();
    let reload = move || version.update(|v| *v += 1);

    Effect::new(move || {
        if let Some(Ok(())) = delete.value().get() {
            if let Some(role) = deleting.get_untracked() {
                notice.set(Some(format!("The role {} was deleted.", role.name)));
            }
            deleting.set(None);
            reload();
        }
    });

    let open_edit = Callback::new(move |role: RoleRow| {
        notice.set(None);
        editing.set(Some(role));
    });
    let open_delete = Callback::new(move |role: RoleRow| {
        notice.set(None);
        delete.clear();
        deleting.set(Some(role));
    });

    view! {
        <section class="page">
            <div class="page-header">
                <h1>"Roles"</h1>
                <p class="muted">
                    "A role decides what its members may do. The built-in roles are fixed; custom roles grant exactly the permissions you tick."
                </p>
            </div>
            <Notice message=notice />
            <div class="card">
                <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading roles…"</p> }>
                    {move || roles.get().map(|result| match result {
                        Err(err) => view! { <div class="alert alert-error" role="alert">{err.to_string()}</div> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No roles yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <table class="table">
                                <thead>
                                    <tr>
                                        <th scope="col">"Role"</th>
                                        <th scope="col">"Permissions"</th>
                                        <th scope="col">"Members"</th>
                                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|role| view! { <RoleLine role on_edit=open_edit on_delete=open_delete /> }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    })}
                </Transition>
            </div>
            <div class="card">
                <h2>"New role"</h2>
                <NewRoleForm on_created=Callback::new(move |name: String| {
                    notice.set(Some(format!("The role {name} was created.")));
                    reload();
                }) />
            </div>
            {move || editing.get().map(|role| view! {
                <EditRoleDialog
                    role
                    on_close=Callback::new(move |()| editing.set(None))
                    on_saved=Callback::new(move |name: String| {
                        editing.set(None);
                        notice.set(Some(format!("The role {name} was saved.")));
                        reload();
                    })
                />
            })}
            {move || deleting.get().map(|role| {
                let id = role.id;
                view! {
                    <ConfirmDialog
                        title=format!("Delete the role {}?", role.name)
                        message="This cannot be undone. A role that members still hold cannot be deleted: give them another role first.".to_owned()
                        confirm_label="Delete role"
                        pending=delete.pending()
                        error=Signal::derive(move || failure(delete.value().get()))
                        on_confirm=Callback::new(move |()| { delete.dispatch(DeleteRole { role: id }); })
                        on_cancel=Callback::new(move |()| deleting.set(None))
                    />
                }
            })}
        </section>
    }
}

#[component]
fn RoleLine(role: RoleRow, on_edit: Callback<RoleRow>, on_delete: Callback<RoleRow>) -> impl IntoView {
    let members = match role.member_count {
        0 => "None".to_owned(),
        1 => "1 member".to_owned(),
        n => format!("{n} members"),
    };
    let summary = summary(&role.permissions);
    let name = role.name.clone();
    let built_in = role.built_in.is_some();
    let role = StoredValue::new(role);
    view! {
        <tr>
            <td>
                <strong>{name.clone()}</strong>
                {built_in.then(|| view! { " " <span class="badge badge-grey">"Built-in"</span> })}
            </td>
            <td>
                {if summary.is_empty() {
                    view! { <span class="muted small">"No permissions"</span> }.into_any()
                } else {
                    view! {
                        <ul class="chips permission-summary">
                            {summary.into_iter().map(|line| view! { <li class="chip">{line}</li> }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </td>
            <td>{members}</td>
            <td class="actions">
                {if built_in {
                    view! { <span class="muted small">"Read-only"</span> }.into_any()
                } else {
                    view! {
                        <button type="button" class="button button-small" aria-label=format!("Edit {name}") on:click=move |_| on_edit.run(role.get_value())>
                            "Edit"
                        </button>
                        " "
                        <button type="button" class="button button-small button-danger" aria-label=format!("Delete {name}") on:click=move |_| on_delete.run(role.get_value())>
                            "Delete"
                        </button>
                    }.into_any()
                }}
            </td>
        </tr>
    }
}

/// "Inbox: View, Reply", one line per capability the set grants anything of.
fn summary(set: &PermissionSet) -> Vec<String> {
    capabilities()
        .into_iter()
        .filter_map(|(capability, permissions)| {
            let granted: Vec<&str> = permissions.iter().filter(|p| set.contains(**p)).map(|p| p.action()).collect();
            (!granted.is_empty()).then(|| format!("{capability}: {}", granted.join(", ")))
        })
        .collect()
}

/// The rows of the permission matrix: each capability with its permissions, in the domain's order.
fn capabilities() -> Vec<(&'static str, Vec<Permission>)> {
    let mut rows: Vec<(&'static str, Vec<Permission>)> = Vec::new();
    for permission in Permission::ALL {
        match rows.iter_mut().find(|(capability, _)| *capability == permission.capability()) {
            Some((_, permissions)) => permissions.push(permission),
            None => rows.push((permission.capability(), vec![permission])),
        }
    }
    rows
}

/// Rows of capabilities, a labelled checkbox per permission ("Contacts: View").
#[component]
fn PermissionMatrix(selected: RwSignal<BTreeSet<Permission>>) -> impl IntoView {
    view! {
        <table class="matrix">
            <thead>
                <tr>
                    <th scope="col">"Capability"</th>
                    <th scope="col">"Allowed"</th>
                </tr>
            </thead>
            <tbody>
                {capabilities().into_iter().map(|(capability, permissions)| view! {
                    <tr>
                        <th scope="row">{capability}</th>
                        <td>
                            {permissions.into_iter().map(|permission| {
                                let initially = selected.with_untracked(|s| s.contains(&permission));
                                view! {
                                    <label class="matrix-option">
                                        <input
                                            type="checkbox"
                                            name="permissions"
                                            value=permission.key()
                                            aria-label=format!("{capability}: {}", permission.action())
                                            checked=initially
                                            prop:checked=move || selected.with(|s| s.contains(&permission))
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                selected.update(|s| {
                                                    if on {
                                                        s.insert(permission);
                                                    } else {
                                                        s.remove(&permission);
                                                    }
                                                });
                                            }
                                        />
                                        " "
                                        {permission.action()}
                                    </label>
                                }
                            }).collect_view()}
                        </td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

fn keys(selected: RwSignal<BTreeSet<Permission>>) -> Vec<String> {
    selected.with_untracked(|s| s.iter().map(|p| p.key().to_owned()).collect())
}

/// The permission matrix with its caption and the error the server may give it.
#[component]
fn PermissionsField(selected: RwSignal<BTreeSet<Permission>>, errors: FormErrors) -> impl IntoView {
    let error = errors.field("permissions");
    view! {
        <fieldset class="field" class:field-invalid=move || error.get().is_some()>
            <legend>"Permissions"</legend>
            <PermissionMatrix selected />
            <p class="field-error" role="alert">{move || error.get()}</p>
        </fieldset>
    }
}

#[component]
fn NewRoleForm(on_created: Callback<String>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let selected = RwSignal::new(BTreeSet::new());
    let errors = FormErrors::new();
    let action = ServerAction::<CreateRole>::new();

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        errors.clear();
        if errors.check("name", RoleName::parse(&name.get_untracked())) {
            action.dispatch(CreateRole { name: name.get_untracked(), permissions: keys(selected) });
        }
    };
    Effect::new(move || match action.value().get() {
        Some(Ok(_)) => {
            on_created.run(name.get_untracked().trim().to_owned());
            name.set(String::new());
            selected.set(BTreeSet::new());
        }
        Some(Err(err)) => errors.show(&err),
        None => {}
    });

    view! {
        <form on:submit=submit novalidate>
            <FormAlert errors=errors />
            <Field label="Role name" name="name" value=name errors=errors hint="For example \u{201c}Supervisor\u{201d}." />
            <PermissionsField selected errors=errors />
            <SubmitButton label="Create role" busy_label="Creating…" pending=action.pending().into() />
        </form>
    }
}

#[component]
fn EditRoleDialog(role: RoleRow, on_close: Callback<()>, on_saved: Callback<String>) -> impl IntoView {
    let id = role.id;
    let name = RwSignal::new(role.name.clone());
    let selected = RwSignal::new(role.permissions.iter().collect::<BTreeSet<_>>());
    let errors = FormErrors::new();
    let action = ServerAction::<UpdateRole>::new();

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        errors.clear();
        if errors.check("name", RoleName::parse(&name.get_untracked())) {
            action.dispatch(UpdateRole { role: id, name: name.get_untracked(), permissions: keys(selected) });
        }
    };
    Effect::new(move || match action.value().get() {
        Some(Ok(())) => on_saved.run(name.get_untracked().trim().to_owned()),
        Some(Err(err)) => errors.show(&err),
        None => {}
    });

    view! {
        <Modal title=format!("Edit the role {}", role.name) on_close>
            <form on:submit=submit novalidate>
                <FormAlert errors=errors />
                <TextInput label="Role name" id="edit-role-name" name="name" value=name errors=errors />
                <PermissionsField selected errors=errors />
                <div class="modal-actions">
                    <button type="button" class="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <SubmitButton label="Save role" busy_label="Saving…" pending=action.pending().into() />
                </div>
            </form>
        </Modal>
    }
}

// ---- Server functions ----

#[server]
pub async fn list_roles() -> Result<Vec<RoleRow>, AppError> {
    let (state, actor) = crate::context::actor_with(Permission::TeamManage).await?;
    let roles = parley::team::roles::list(&state.pool, &actor).await?;
    Ok(roles
        .into_iter()
        .map(|r| RoleRow {
            id: r.id,
            name: r.name,
            built_in: r.built_in,
            permissions: r.permissions,
            member_count: r.member_count,
        })
        .collect())
}

#[server]
pub async fn create_role(name: String, #[server(default)] permissions: Vec<String>) -> Result<RoleId, AppError> {
    let (state, actor) = crate::context::actor_with(Permission::TeamManage).await?;
    Ok(parley::team::roles::create(&state.pool, &actor, &name, &permissions).await?)
}

#[server]
pub async fn update_role(role: RoleId, name: String, #[server(default)] permissions: Vec<String>) -> Result<(), AppError> {
    let (state, actor) = crate::context::actor_with(Permission::TeamManage).await?;
    Ok(parley::team::roles::update(&state.pool, &actor, role, &name, &permissions).await?)
}

#[server]
pub async fn delete_role(role: RoleId) -> Result<(), AppError> {
    let (state, actor) = crate::context::actor_with(Permission::TeamManage).await?;
    Ok(parley::team::roles::delete(&state.pool, &actor, role).await?)
}
