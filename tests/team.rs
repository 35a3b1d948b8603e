//! The people of an organization: custom roles, members (add, edit, deactivate, remove), teams,
//! and who may manage them.

#![cfg(feature = "ssr")]

mod common;

use common::*;
use parley::Error;
use parley::domain::{
    Actor, BuiltInRole, LoginTab, Permission, PermissionSet, RoleId, TeamId, UserId,
};
use parley::team::members::{self, Credential, NewMember};
use parley::team::{roles, teams};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

fn keys(list: &[&str]) -> Vec<String> {
    list.iter().map(|k| (*k).to_owned()).collect()
}

fn supervisor_permissions() -> PermissionSet {
    [Permission::ContactsRead, Permission::TeamManage]
        .into_iter()
        .collect()
}

async fn add_as(db: &Db, actor: &Actor, form: NewMember<'_>) -> parley::Result<members::Added> {
    members::add(&db.app, actor, &mailer(), PUBLIC_URL, form).await
}

async fn member(db: &Db, actor: &Actor, user: UserId) -> Option<members::Member> {
    members::list(&db.app, actor)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.user_id == user)
}

#[sqlx::test(migrations = false)]
async fn custom_roles_are_created_and_validated(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;

    let supervisor = roles::create(
        &db.app,
        &owner.actor,
        " Supervisor ",
        &keys(&["team.manage", "contacts.read"]),
    )
    .await
    .unwrap();
    let list = roles::list(&db.app, &owner.actor).await.unwrap();
    let summary: Vec<(&str, Option<BuiltInRole>)> =
        list.iter().map(|r| (r.name.as_str(), r.built_in)).collect();
    assert_eq!(
        summary,
        [
            ("Owner", Some(BuiltInRole::Owner)),
            ("Admin", Some(BuiltInRole::Admin)),
            ("Agent", Some(BuiltInRole::Agent)),
            ("Supervisor", None),
        ]
    );
    let created = list.iter().find(|r| r.id == supervisor).unwrap();
    assert_eq!(created.permissions, supervisor_permissions());
    assert_eq!(created.member_count, 0);
    assert_eq!(list[0].member_count, 1, "the owner holds the Owner role");

    assert_err!(
        roles::create(
            &db.app,
            &owner.actor,
            "Auditor",
            &keys(&["contacts.read", "contacts.delete_everything"])
        )
        .await,
        Error::Invalid {
            field: "permissions",
            ..
        }
    );
    assert_err!(
        roles::create(&db.app, &owner.actor, "supervisor", &keys(&["inbox.read"])).await,
        Error::Conflict(_)
    );
    assert_err!(
        roles::create(&db.app, &owner.actor, "admin", &keys(&["inbox.read"])).await,
        Error::Invalid { field: "name", .. }
    );
    assert_err!(
        roles::create(&db.app, &owner.actor, "X", &keys(&["inbox.read"])).await,
        Error::Invalid { field: "name", .. }
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM roles").await,
        4,
        "refused roles were not stored"
    );

    // Editing: permissions and name change; a taken name is a conflict; built-ins cannot be edited.
    roles::update(
        &db.app,
        &owner.actor,
        supervisor,
        "Team Lead",
        &keys(&["inbox.read", "team.manage"]),
    )
    .await
    .unwrap();
    let lead = roles::create(&db.app, &owner.actor, "Auditor", &keys(&[]))
        .await
        .unwrap();
    assert_err!(
        roles::update(&db.app, &owner.actor, lead, "team lead", &keys(&[])).await,
        Error::Conflict(_)
    );
    assert_err!(
        roles::update(&db.app, &owner.actor, lead, "Auditor", &keys(&["nope"])).await,
        Error::Invalid {
            field: "permissions",
            ..
        }
    );
    let admin_role = built_in_role(&db, owner.organization_id, BuiltInRole::Admin).await;
    assert_err!(
        roles::update(
            &db.app,
            &owner.actor,
            admin_role,
            "Superadmin",
            &keys(&["inbox.read"])
        )
        .await,
        Error::NotFound
    );
    let list = roles::list(&db.app, &owner.actor).await.unwrap();
    let edited = list.iter().find(|r| r.id == supervisor).unwrap();
    assert_eq!(edited.name, "Team Lead");
    assert_eq!(
        edited.permissions,
        [Permission::InboxRead, Permission::TeamManage]
            .into_iter()
            .collect()
    );
    assert_eq!(
        list.iter().find(|r| r.id == admin_role).unwrap().name,
        "Admin"
    );
}

#[sqlx::test(migrations = false)]
async fn built_in_roles_and_held_roles_cannot_be_deleted(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let db = setup(options).await;
    let owner = register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;
    for built_in in BuiltInRole::ALL {
        let role = built_in_role(&db, owner.organization_id, built_in).await;
        assert_err!(
            roles::delete(&db.app, &owner.actor, role).await,
            Error::Conflict(_)
        );
    }

    let supervisor = roles::create(
        &db.app,
        &owner.actor,
        "Supervisor",
        &keys(&["contacts.read", "team.manage"]),
    )
    .await
    .unwrap();
    let bruno = add_member(
        &db.app,
        &owner.actor,
        "Bruno",
        "bruno@example.com",
        supervisor,
    )
    .await;
    assert_err!(
        roles::delete(&db.app, &owner.actor, supervisor).await,
        Error::Conflict(_)
    );
    let list = roles::list(&db.app, &owner.actor).await.unwrap();
    assert_eq!(
        list.iter()
            .find(|r| r.id == supervisor)
            .unwrap()
            .member_count,
        1
    );

    let agent_role = built_in_role(&db, owner.organization_id, BuiltInRole::Agent).await;
    members::update(&db.app, &owner.actor, bruno, "Bruno", agent_role)
        .await
        .unwrap();
    roles::delete(&db.app, &owner.actor, supervisor)
        .await
        .unwrap();
    let list = roles::list(&db.app, &owner.actor).await.unwrap();
    assert!(list.iter().all(|r| r.id != supervisor));
    assert_eq!(list.len(), 3);
    assert_err!(
        roles::delete(&db.app, &owner.actor, supervisor).await,
        Error::NotFound
    );
}

#[sqlx::test(migrations = false)]
async fn a_member_with_a_custom_role_through_their_whole_life(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let db = setup(options).await;
    let owner = register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;
    let supervisor = roles::create(
        &db.app,
        &owner.actor,
        "Supervisor",
        &keys(&["contacts.read", "team.manage"]),
    )
    .await
    .unwrap();

    // Added with the custom role.
    let bruno = add_member(
        &db.app,
        &owner.actor,
        "Bruno",
        "Bruno@Example.com",
        supervisor,
    )
    .await;
    let listed = member(&db, &owner.actor, bruno)
        .await
        .expect("Bruno is listed");
    assert_eq!(listed.name, "Bruno");
    assert_eq!(listed.email, "bruno@example.com");
    assert_eq!(
        (listed.role_id, listed.role_name.as_str(), listed.built_in),
        (supervisor, "Supervisor", None)
    );
    assert!(listed.active && listed.has_password);
    assert!(listed.teams.is_empty());
    let everyone: Vec<UserId> = members::list(&db.app, &owner.actor)
        .await
        .unwrap()
        .iter()
        .map(|m| m.user_id)
        .collect();
    assert_eq!(everyone, [owner.user_id, bruno], "ordered by name");

    // A custom role signs in through the Agent tab and carries exactly its permissions.
    assert_err!(
        log_in(&db.app, "bruno@example.com", PASSWORD, LoginTab::OwnerAdmin).await,
        Error::WrongLoginTab {
            use_tab: LoginTab::Agent
        }
    );
    let session = log_in(&db.app, "bruno@example.com", PASSWORD, LoginTab::Agent)
        .await
        .unwrap();
    let actor = actor_of(&db.app, &session).await;
    assert_eq!(actor.built_in_role, None);
    assert_eq!(actor.permissions, supervisor_permissions());
    // ...so he may list the team.
    assert_eq!(members::list(&db.app, &actor).await.unwrap().len(), 2);

    // Editing the role's permissions reaches his next request.
    roles::update(
        &db.app,
        &owner.actor,
        supervisor,
        "Supervisor",
        &keys(&["inbox.read"]),
    )
    .await
    .unwrap();
    let actor = actor_of(&db.app, &session).await;
    assert_eq!(
        actor.permissions,
        [Permission::InboxRead].into_iter().collect()
    );
    assert_err!(members::list(&db.app, &actor).await, Error::Forbidden);

    // Renamed and given the Agent role.
    let agent_role = built_in_role(&db, owner.organization_id, BuiltInRole::Agent).await;
    members::update(&db.app, &owner.actor, bruno, " Aaron Souza ", agent_role)
        .await
        .unwrap();
    let listed = member(&db, &owner.actor, bruno).await.unwrap();
    assert_eq!(
        (listed.name.as_str(), listed.role_id, listed.built_in),
        ("Aaron Souza", agent_role, Some(BuiltInRole::Agent))
    );
    let everyone: Vec<UserId> = members::list(&db.app, &owner.actor)
        .await
        .unwrap()
        .iter()
        .map(|m| m.user_id)
        .collect();
    assert_eq!(everyone, [bruno, owner.user_id], "ordered by name");
    let actor = actor_of(&db.app, &session).await;
    assert_eq!(actor.built_in_role, Some(BuiltInRole::Agent));
    assert_eq!(actor.permissions, BuiltInRole::Agent.permissions());
    assert_err!(
        members::update(&db.app, &owner.actor, bruno, "", agent_role).await,
        Error::Invalid { field: "name", .. }
    );

    // Deactivated: the session ends at once and the password no longer opens anything.
    let second_session = log_in(&db.app, "bruno@example.com", PASSWORD, LoginTab::Agent)
        .await
        .unwrap();
    members::set_active(&db.app, &owner.actor, bruno, false)
        .await
        .unwrap();
    assert!(!resolves(&db.app, &session).await);
    assert!(!resolves(&db.app, &second_session).await);
    assert_err!(
        log_in(&db.app, "bruno@example.com", PASSWORD, LoginTab::Agent).await,
        Error::Deactivated
    );
    let listed = member(&db, &owner.actor, bruno)
        .await
        .expect("a deactivated member stays listed");
    assert!(!listed.active);
    let everyone: Vec<UserId> = members::list(&db.app, &owner.actor)
        .await
        .unwrap()
        .iter()
        .map(|m| m.user_id)
        .collect();
    assert_eq!(everyone, [owner.user_id, bruno], "active members first");

    // Reactivated.
    members::set_active(&db.app, &owner.actor, bruno, true)
        .await
        .unwrap();
    let session = log_in(&db.app, "bruno@example.com", PASSWORD, LoginTab::Agent)
        .await
        .unwrap();
    assert_eq!(actor_of(&db.app, &session).await.user_id, bruno);
    assert!(member(&db, &owner.actor, bruno).await.unwrap().active);

    // Removed: gone from the list, signed out, and with no organization left nothing opens.
    members::remove(&db.app, &owner.actor, bruno).await.unwrap();
    assert!(member(&db, &owner.actor, bruno).await.is_none());
    assert!(!resolves(&db.app, &session).await);
    assert_err!(
        log_in(&db.app, "bruno@example.com", PASSWORD, LoginTab::Agent).await,
        Error::Deactivated
    );
    assert_err!(
        members::remove(&db.app, &owner.actor, bruno).await,
        Error::NotFound
    );
    assert_err!(
        members::set_active(&db.app, &owner.actor, bruno, true).await,
        Error::NotFound
    );
}

#[sqlx::test(migrations = false)]
async fn adding_members_validates_the_form(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;
    let agent_role = built_in_role(&db, owner.organization_id, BuiltInRole::Agent).await;
    let form = |name, email, credential| NewMember {
        name,
        email,
        role: agent_role,
        credential,
    };
    let add = |form| add_as(&db, &owner.actor, form);

    assert_err!(
        add(form("Bruno", "bruno", Credential::InviteLink)).await,
        Error::Invalid { field: "email", .. }
    );
    assert_err!(
        add(form("", "bruno@example.com", Credential::InviteLink)).await,
        Error::Invalid { field: "name", .. }
    );
    assert_err!(
        add(form(
            "Bruno",
            "bruno@example.com",
            Credential::Password("short")
        ))
        .await,
        Error::Invalid {
            field: "password",
            ..
        }
    );
    let made_up_role = RoleId(uuid::Uuid::now_v7());
    assert_err!(
        members::add(
            &db.app,
            &owner.actor,
            &mailer(),
            PUBLIC_URL,
            NewMember {
                name: "Bruno",
                email: "bruno@example.com",
                role: made_up_role,
                credential: Credential::InviteLink,
            }
        )
        .await,
        Error::Invalid { field: "role", .. }
    );
    // Someone already in the organization (the owner herself, here) cannot be added again.
    assert_err!(
        add(form("Ana", "ANA@example.com", Credential::InviteLink)).await,
        Error::Invalid { field: "email", .. }
    );
    add_member(
        &db.app,
        &owner.actor,
        "Bruno",
        "bruno@example.com",
        agent_role,
    )
    .await;
    assert_err!(
        add(form(
            "Bruno",
            "bruno@example.com",
            Credential::Password(PASSWORD)
        ))
        .await,
        Error::Invalid { field: "email", .. }
    );
    assert_eq!(count(&db, "SELECT count(*) FROM users").await, 2);
    assert_eq!(count(&db, "SELECT count(*) FROM memberships").await, 2);
    assert!(mailbox(&db).await.is_empty());
}

#[sqlx::test(migrations = false)]
async fn an_admin_cannot_make_owners_nor_touch_them(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;
    let (_, _, admin) = add_admin(&db, &owner, "Eva", "eva@example.com").await;
    let (bruno, _, _) = add_agent(&db, &owner, "Bruno", "bruno@example.com").await;
    let owner_role = built_in_role(&db, owner.organization_id, BuiltInRole::Owner).await;
    let agent_role = built_in_role(&db, owner.organization_id, BuiltInRole::Agent).await;

    assert_err!(
        members::add(
            &db.app,
            &admin,
            &mailer(),
            PUBLIC_URL,
            NewMember {
                name: "Mallory",
                email: "mallory@example.com",
                role: owner_role,
                credential: Credential::Password(PASSWORD),
            }
        )
        .await,
        Error::Invalid { field: "role", .. }
    );
    assert_err!(
        members::update(&db.app, &admin, bruno, "Bruno", owner_role).await,
        Error::Invalid { field: "role", .. }
    );
    assert_err!(
        members::set_active(&db.app, &admin, owner.user_id, false).await,
        Error::Forbidden
    );
    assert_err!(
        members::update(&db.app, &admin, owner.user_id, "Ana", agent_role).await,
        Error::Forbidden
    );
    assert_err!(
        members::update(&db.app, &admin, owner.user_id, "Renamed Ana", owner_role).await,
        Error::Forbidden
    );
    assert_err!(
        members::remove(&db.app, &admin, owner.user_id).await,
        Error::Forbidden
    );

    let ana = member(&db, &owner.actor, owner.user_id).await.unwrap();
    assert_eq!(
        (ana.name.as_str(), ana.built_in, ana.active),
        ("Ana", Some(BuiltInRole::Owner), true)
    );
    assert!(resolves(&db.app, &owner.token).await);
    assert_eq!(
        member(&db, &owner.actor, bruno).await.unwrap().built_in,
        Some(BuiltInRole::Agent)
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM users WHERE email = 'mallory@example.com'"
        )
        .await,
        0
    );

    // What an admin may do: manage agents, and hand out the Admin role.
    members::set_active(&db.app, &admin, bruno, false)
        .await
        .unwrap();
    members::set_active(&db.app, &admin, bruno, true)
        .await
        .unwrap();
    let admin_role = built_in_role(&db, owner.organization_id, BuiltInRole::Admin).await;
    members::update(&db.app, &admin, bruno, "Bruno", admin_role)
        .await
        .unwrap();

    // The owner may make another owner, who is then out of the admin's reach.
    members::update(&db.app, &owner.actor, bruno, "Bruno", owner_role)
        .await
        .unwrap();
    assert_err!(
        members::set_active(&db.app, &admin, bruno, false).await,
        Error::Forbidden
    );
}

#[sqlx::test(migrations = false)]
async fn nobody_can_deactivate_remove_or_demote_themselves(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let db = setup(options).await;
    let owner = register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;
    let (eva, _, admin) = add_admin(&db, &owner, "Eva", "eva@example.com").await;
    let agent_role = built_in_role(&db, owner.organization_id, BuiltInRole::Agent).await;
    let admin_role = built_in_role(&db, owner.organization_id, BuiltInRole::Admin).await;

    for (actor, me) in [(&owner.actor, owner.user_id), (&admin, eva)] {
        assert_err!(
            members::set_active(&db.app, actor, me, false).await,
            Error::Conflict(_)
        );
        assert_err!(
            members::remove(&db.app, actor, me).await,
            Error::Conflict(_)
        );
        assert_err!(
            members::update(&db.app, actor, me, "Me", agent_role).await,
            Error::Conflict(_)
        );
    }
    // Renaming oneself while keeping the role is fine.
    members::update(&db.app, &admin, eva, "Eva Maria", admin_role)
        .await
        .unwrap();
    let listed = member(&db, &owner.actor, eva).await.unwrap();
    assert_eq!(
        (listed.name.as_str(), listed.active, listed.role_id),
        ("Eva Maria", true, admin_role)
    );
    assert!(
        member(&db, &owner.actor, owner.user_id)
            .await
            .unwrap()
            .active
    );
}

#[sqlx::test(migrations = false)]
async fn teams_group_members(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;
    let (bruno, _, _) = add_agent(&db, &owner, "Bruno", "bruno@example.com").await;
    let (carla, _, _) = add_agent(&db, &owner, "carla", "carla@example.com").await;

    let sales = teams::create(&db.app, &owner.actor, " Sales ")
        .await
        .unwrap();
    assert_err!(
        teams::create(&db.app, &owner.actor, "SALES").await,
        Error::Conflict(_)
    );
    assert_err!(
        teams::create(&db.app, &owner.actor, "  ").await,
        Error::Invalid { field: "name", .. }
    );
    let support = teams::create(&db.app, &owner.actor, "Support")
        .await
        .unwrap();

    teams::add_member(&db.app, &owner.actor, sales, carla)
        .await
        .unwrap();
    teams::add_member(&db.app, &owner.actor, sales, bruno)
        .await
        .unwrap();
    teams::add_member(&db.app, &owner.actor, sales, bruno)
        .await
        .unwrap(); // twice is harmless
    teams::add_member(&db.app, &owner.actor, support, bruno)
        .await
        .unwrap();
    assert_err!(
        teams::add_member(&db.app, &owner.actor, TeamId(uuid::Uuid::now_v7()), bruno).await,
        Error::NotFound
    );
    assert_err!(
        teams::add_member(&db.app, &owner.actor, sales, UserId(uuid::Uuid::now_v7())).await,
        Error::NotFound
    );

    let list = teams::list(&db.app, &owner.actor).await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!((list[0].id, list[0].name.as_str()), (sales, "Sales"));
    assert_eq!(
        list[0].members,
        [(bruno, "Bruno".to_owned()), (carla, "carla".to_owned())]
    );
    assert_eq!(
        (list[1].id, list[1].members.as_slice()),
        (support, &[(bruno, "Bruno".to_owned())][..])
    );
    let bruno_listed = member(&db, &owner.actor, bruno).await.unwrap();
    assert_eq!(
        bruno_listed.teams,
        [(sales, "Sales".to_owned()), (support, "Support".to_owned())]
    );

    teams::remove_member(&db.app, &owner.actor, sales, bruno)
        .await
        .unwrap();
    assert_err!(
        teams::remove_member(&db.app, &owner.actor, sales, bruno).await,
        Error::NotFound
    );
    let list = teams::list(&db.app, &owner.actor).await.unwrap();
    assert_eq!(list[0].members, [(carla, "carla".to_owned())]);

    teams::rename(&db.app, &owner.actor, support, "Customer Care")
        .await
        .unwrap();
    assert_err!(
        teams::rename(&db.app, &owner.actor, support, "sales").await,
        Error::Conflict(_)
    );
    // Removing a member from the organization takes them out of its teams.
    members::remove(&db.app, &owner.actor, bruno).await.unwrap();
    let list = teams::list(&db.app, &owner.actor).await.unwrap();
    let names: Vec<&str> = list.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["Customer Care", "Sales"]);
    assert!(list[0].members.is_empty());

    teams::delete(&db.app, &owner.actor, sales).await.unwrap();
    assert_err!(
        teams::delete(&db.app, &owner.actor, sales).await,
        Error::NotFound
    );
    assert_err!(
        teams::rename(&db.app, &owner.actor, sales, "Sales").await,
        Error::NotFound
    );
    let list = teams::list(&db.app, &owner.actor).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(count(&db, "SELECT count(*) FROM team_members").await, 0);
}

#[sqlx::test(migrations = false)]
async fn an_agent_without_team_manage_is_forbidden_everywhere(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let db = setup(options).await;
    let owner = register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;
    let (bruno, _, agent) = add_agent(&db, &owner, "Bruno", "bruno@example.com").await;
    assert!(!agent.can(Permission::TeamManage));
    let sales = teams::create(&db.app, &owner.actor, "Sales").await.unwrap();
    let agent_role = built_in_role(&db, owner.organization_id, BuiltInRole::Agent).await;
    let custom = roles::create(&db.app, &owner.actor, "Auditor", &keys(&["contacts.read"]))
        .await
        .unwrap();

    assert_err!(teams::list(&db.app, &agent).await, Error::Forbidden);
    assert_err!(
        teams::create(&db.app, &agent, "Rogue").await,
        Error::Forbidden
    );
    assert_err!(
        teams::rename(&db.app, &agent, sales, "Rogue").await,
        Error::Forbidden
    );
    assert_err!(
        teams::delete(&db.app, &agent, sales).await,
        Error::Forbidden
    );
    assert_err!(
        teams::add_member(&db.app, &agent, sales, bruno).await,
        Error::Forbidden
    );
    assert_err!(
        teams::remove_member(&db.app, &agent, sales, bruno).await,
        Error::Forbidden
    );

    assert_err!(roles::list(&db.app, &agent).await, Error::Forbidden);
    assert_err!(
        roles::create(&db.app, &agent, "Rogue", &keys(&["team.manage"])).await,
        Error::Forbidden
    );
    assert_err!(
        roles::update(&db.app, &agent, custom, "Rogue", &keys(&["team.manage"])).await,
        Error::Forbidden
    );
    assert_err!(
        roles::delete(&db.app, &agent, custom).await,
        Error::Forbidden
    );

    assert_err!(members::list(&db.app, &agent).await, Error::Forbidden);
    assert_err!(
        members::add(
            &db.app,
            &agent,
            &mailer(),
            PUBLIC_URL,
            NewMember {
                name: "Rogue",
                email: "rogue@example.com",
                role: agent_role,
                credential: Credential::Password(PASSWORD),
            }
        )
        .await,
        Error::Forbidden
    );
    assert_err!(
        members::update(&db.app, &agent, owner.user_id, "Rogue", agent_role).await,
        Error::Forbidden
    );
    assert_err!(
        members::set_active(&db.app, &agent, owner.user_id, false).await,
        Error::Forbidden
    );
    assert_err!(
        members::remove(&db.app, &agent, owner.user_id).await,
        Error::Forbidden
    );

    // Nothing changed.
    let list = teams::list(&db.app, &owner.actor).await.unwrap();
    assert_eq!(
        (list.len(), list[0].name.as_str(), list[0].members.len()),
        (1, "Sales", 0)
    );
    assert_eq!(roles::list(&db.app, &owner.actor).await.unwrap().len(), 4);
    assert_eq!(members::list(&db.app, &owner.actor).await.unwrap().len(), 2);
    assert!(resolves(&db.app, &owner.token).await);
}

/// A member may hand out only permissions they hold themselves; otherwise `team.manage` is a
/// path to every permission (create a role with everything, give it to an account you created).
#[sqlx::test(migrations = false)]
async fn a_manager_cannot_grant_permissions_they_do_not_hold(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let db = setup(options).await;
    let owner = register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;
    let supervisor = roles::create(
        &db.app,
        &owner.actor,
        "Supervisor",
        &keys(&["contacts.read", "team.manage"]),
    )
    .await
    .unwrap();
    let (_, _, lead) = add_member_and_log_in(
        &db,
        &owner,
        "Bruno",
        "bruno@example.com",
        supervisor,
        LoginTab::Agent,
    )
    .await;
    let (_, _, admin) = add_admin(&db, &owner, "Eva", "eva@example.com").await;

    // The supervisor cannot mint a role with billing, nor can an admin (admins lack billing.manage).
    for actor in [&lead, &admin] {
        let result = roles::create(
            &db.app,
            actor,
            "Everything",
            &keys(&["billing.manage", "team.manage"]),
        )
        .await;
        assert!(
            matches!(
                result,
                Err(Error::Forbidden
                    | Error::Invalid {
                        field: "permissions",
                        ..
                    })
            ),
            "granted billing.manage: {result:?}"
        );
    }
    // Nor hand out an existing role that carries more than they have.
    let admin_role = built_in_role(&db, owner.organization_id, BuiltInRole::Admin).await;
    let result = members::add(
        &db.app,
        &lead,
        &mailer(),
        PUBLIC_URL,
        NewMember {
            name: "Sock Puppet",
            email: "puppet@example.com",
            role: admin_role,
            credential: Credential::Password(PASSWORD),
        },
    )
    .await;
    assert!(
        matches!(
            result,
            Err(Error::Forbidden | Error::Invalid { field: "role", .. })
        ),
        "a supervisor made an admin: {result:?}"
    );
}
