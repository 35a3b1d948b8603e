//! `/settings/teams`: named groups of members ("Sales", "Support").

use super::members::{MemberRow, list_members};
use super::{ConfirmDialog, Modal, Notice, TextInput, failure};
use crate::error::AppError;
use crate::forms::{Field, FormAlert, FormErrors, SubmitButton};
use crate::shell::RequirePermission;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use parley::domain::{Permission, TeamId, TeamName, UserId};
use serde::{Deserialize, Serialize};

/// A team as the teams page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamRow {
    pub id: TeamId,
    pub name: String,
    /// (member, name), by name.
    pub members: Vec<(UserId, String)>,
}

#[component]
pub fn TeamsPage() -> impl IntoView {
    view! {
        <RequirePermission permission=Permission::TeamManage>
            <Teams />
        </RequirePermission>
    }
}

/// What a team's row does; the page owns the actions and dialogs.
#[derive(Clone, Copy)]
struct TeamActions {
    rename: Callback<TeamRow>,
    delete: Callback<TeamRow>,
    add_member: ServerAction<AddTeamMember>,
    remove_member: ServerAction<RemoveTeamMember>,
}

#[component]
fn Teams() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let teams = Resource::new(move || version.get(), |_| list_teams());
    let members = Resource::new(|| (), |_| list_members());
    let notice = RwSignal::new(None::<String>);
    let page_errors = FormErrors::new();
    let renaming = RwSignal::new(None::<TeamRow>);
    let deleting = RwSignal::new(None::<TeamRow>);
    let delete = ServerAction::<DeleteTeam>::new();
    let add_member = ServerAction::<AddTeamMember>::new();
    let remove_member = ServerAction::<RemoveTeamMember>::new();
    let reload = move || version.update(|v| *v += 1);

    Effect::new(move || {
        if let Some(Ok(())) = delete.value().get() {
            if let Some(team) = deleting.get_untracked() {
                notice.set(Some(format!("The team {} was deleted.", team.name)));
            }
            deleting.set(None);
            reload();
        }
    });
    Effect::new(move || match add_member.value().get() {
        Some(Ok(())) => reload(),
        Some(Err(err)) => page_errors.show(&err),
        None => {}
    });
    Effect::new(move || match remove_member.value().get() {
        Some(Ok(())) => reload(),
        Some(Err(err)) => page_errors.show(&err),
        None => {}
    });

    let actions = TeamActions {
        rename: Callback::new(move |team: TeamRow| {
            notice.set(None);
            page_errors.clear();
            renaming.set(Some(team));
        }),
        delete: Callback::new(move |team: TeamRow| {
            notice.set(None);
            page_errors.clear();
            delete.clear();
            deleting.set(Some(team));
        }),
        add_member,
        remove_member,
    };

    view! {
        <section class="page">
            <div class="page-header">
                <h1>"Teams"</h1>
                <p class="muted">"Group members into teams such as Sales or Support. A member can be in several teams."</p>
            </div>
            <Notice message=notice />
            <FormAlert errors=page_errors />
            <div class="card">
                <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading teams…"</p> }>
                    {move || {
                        let members = members.get().map(|r| r.unwrap_or_default()).unwrap_or_default();
                        teams.get().map(|result| match result {
                            Err(err) => view! { <div class="alert alert-error" role="alert">{err.to_string()}</div> }.into_any(),
                            Ok(list) if list.is_empty() => view! {
                                <p class="muted">"No teams yet. Create the first one below."</p>
                            }.into_any(),
                            Ok(list) => view! {
                                <table class="table">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Team"</th>
                                            <th scope="col">"Members"</th>
                                            <th scope="col"><span class="sr-only">"Actions"</span></th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {list.into_iter().map(|team| view! { <TeamLine team members=members.clone() actions /> }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any(),
                        })
                    }}
                </Transition>
            </div>
            <div class="card">
                <h2>"New team"</h2>
                <NewTeamForm on_created=Callback::new(move |name: String| {
                    notice.set(Some(format!("The team {name} was created.")));
                    reload();
                }) />
            </div>
            {move || renaming.get().map(|team| view! {
                <RenameTeamDialog
                    team
                    on_close=Callback::new(move |()| renaming.set(None))
                    on_saved=Callback::new(move |name: String| {
                        renaming.set(None);
                        notice.set(Some(format!("The team is now called {name}.")));
                        reload();
                    })
                />
            })}
            {move || deleting.get().map(|team| {
                let id = team.id;
                view! {
                    <ConfirmDialog
                        title=format!("Delete the team {}?", team.name)
                        message="Its members stay in the organization; only the team goes. This cannot be undone.".to_owned()
                        confirm_label="Delete team"
                        pending=delete.pending()
                        error=Signal::derive(move || failure(delete.value().get()))
                        on_confirm=Callback::new(move |()| { delete.dispatch(DeleteTeam { team: id }); })
                        on_cancel=Callback::new(move |()| deleting.set(None))
                    />
                }
            })}
        </section>
    }
}

#[component]
fn TeamLine(team: TeamRow, members: Vec<MemberRow>, actions: TeamActions) -> impl IntoView {
    let id = team.id;
    let team_name = StoredValue::new(team.name.clone());
    // Active members not in the team yet can be added.
    let candidates: Vec<(UserId, String)> = members
        .into_iter()
        .filter(|m| m.active && !team.members.iter().any(|(user, _)| *user == m.user_id))
        .map(|m| (m.user_id, m.name))
        .collect();
    let row = StoredValue::new(team.clone());
    let busy = move || actions.add_member.pending().get() || actions.remove_member.pending().get();

    view! {
        <tr>
            <td><strong>{team.name.clone()}</strong></td>
            <td>
                {if team.members.is_empty() {
                    view! { <p class="muted small">"No members yet"</p> }.into_any()
                } else {
                    view! {
                        <ul class="chips">
                            {team.members.iter().map(|(user, name)| {
                                let user = *user;
                                view! {
                                    <li class="chip">
                                        <span>{name.clone()}</span>
                                        <button
                                            type="button"
                                            class="chip-remove"
                                            aria-label=format!("Remove {name} from {}", team.name)
                                            disabled=busy
                                            on:click=move |_| { actions.remove_member.dispatch(RemoveTeamMember { team: id, user }); }
                                        >
                                            "×"
                                        </button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
                {(!candidates.is_empty()).then(|| {
                    let chosen = RwSignal::new(String::new());
                    let select_id = format!("add-to-team-{id}");
                    view! {
                        <div class="toolbar">
                            <label class="sr-only" for=select_id.clone()>{format!("Add a member to {}", team.name)}</label>
                            <select id=select_id prop:value=move || chosen.get() on:change=move |ev| chosen.set(event_target_value(&ev))>
                                <option value="" selected=true>"Add a member…"</option>
                                {candidates.into_iter().map(|(user, name)| view! { <option value=user.to_string()>{name}</option> }).collect_view()}
                            </select>
                            <button
                                type="button"
                                class="button button-small"
                                aria-label=format!("Add to {}", team.name)
                                disabled=move || busy() || chosen.get().is_empty()
                                on:click=move |_| {
                                    if let Ok(user) = chosen.get_untracked().parse::<UserId>() {
                                        actions.add_member.dispatch(AddTeamMember { team: id, user });
                                    }
                                }
                            >
                                "Add"
                            </button>
                        </div>
                    }
                })}
            </td>
            <td class="actions">
                <button type="button" class="button button-small" aria-label=move || format!("Rename {}", team_name.get_value())
                    on:click=move |_| actions.rename.run(row.get_value())>
                    "Rename"
                </button>
                " "
                <button type="button" class="button button-small button-danger" aria-label=move || format!("Delete {}", team_name.get_value())
                    on:click=move |_| actions.delete.run(row.get_value())>
                    "Delete"
                </button>
            </td>
        </tr>
    }
}

#[component]
fn NewTeamForm(on_created: Callback<String>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let action = ServerAction::<CreateTeam>::new();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        errors.clear();
        if errors.check("name", TeamName::parse(&name.get_untracked())) {
            action.dispatch(CreateTeam { name: name.get_untracked() });
        }
    };
    Effect::new(move || match action.value().get() {
        Some(Ok(_)) => {
            on_created.run(name.get_untracked().trim().to_owned());
            name.set(String::new());
        }
        Some(Err(err)) => errors.show(&err),
        None => {}
    });
    view! {
        <form on:submit=submit novalidate>
            <FormAlert errors=errors />
            <Field label="Team name" name="name" value=name errors=errors autocomplete="off" />
            <SubmitButton label="Create team" busy_label="Creating…" pending=action.pending().into() />
        </form>
    }
}

#[component]
fn RenameTeamDialog(team: TeamRow, on_close: Callback<()>, on_saved: Callback<String>) -> impl IntoView {
    let id = team.id;
    let name = RwSignal::new(team.name.clone());
    let errors = FormErrors::new();
    let action = ServerAction::<RenameTeam>::new();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        errors.clear();
        if errors.check("name", TeamName::parse(&name.get_untracked())) {
            action.dispatch(RenameTeam { team: id, name: name.get_untracked() });
        }
    };
    Effect::new(move || match action.value().get() {
        Some(Ok(())) => on_saved.run(name.get_untracked().trim().to_owned()),
        Some(Err(err)) => errors.show(&err),
        None => {}
    });
    view! {
        <Modal title=format!("Rename {}", team.name) on_close>
            <form on:submit=submit novalidate>
                <FormAlert errors=errors />
                <TextInput label="New name" id="rename-team-name" name="name" value=name errors=errors autocomplete="off" />
                <div class="modal-actions">
                    <button type="button" class="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <SubmitButton label="Rename team" busy_label="Saving…" pending=action.pending().into() />
                </div>
            </form>
        </Modal>
    }
}

// ---- Server functions ----

#[server]
pub async fn list_teams() -> Result<Vec<TeamRow>, AppError> {
    let (state, actor) = crate::context::actor_with(Permission::TeamManage).await?;
    let teams = parley::team::teams::list(&state.pool, &actor).await?;
    Ok(teams.into_iter().map(|t| TeamRow { id: t.id, name: t.name, members: t.members }).collect())
}

#[server]
pub async fn create_team(name: String) -> Result<TeamId, AppError> {
    let (state, actor) = crate::context::actor_with(Permission::TeamManage).await?;
    Ok(parley::team::teams::create(&state.pool, &actor, &name).await?)
}

#[server]
pub async fn rename_team(team: TeamId, name: String) -> Result<(), AppError> {
    let (state, actor) = crate::context::actor_with(Permission::TeamManage).await?;
    Ok(parley::team::teams::rename(&state.pool, &actor, team, &name).await?)
}

#[server]
pub async fn delete_team(team: TeamId) -> Result<(), AppError> {
    let (state, actor) = crate::context::actor_with(Permission::TeamManage).await?;
    Ok(parley::team::teams::delete(&state.pool, &actor, team).await?)
}

#[server]
pub async fn add_team_member(team: TeamId, user: UserId) -> Result<(), AppError> {
    let (state, actor) = crate::context::actor_with(Permission::TeamManage).await?;
    Ok(parley::team::teams::add_member(&state.pool, &actor, team, user).await?)
}

#[server]
pub async fn remove_team_member(team: TeamId, user: UserId) -> Result<(), AppError> {
    let (state, actor) = crate::context::actor_with(Permission::TeamManage).await?;
    Ok(parley::team::teams::remove_member(&state.pool, &actor, team, user).await?)
}
