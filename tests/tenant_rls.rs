//! Tenant isolation. Two organizations, A and B: every service that takes an id refuses B's ids
//! from A's actor (as if they did not exist) and leaves B's rows untouched; and underneath, the
//! row-level security policies alone keep a query that forgets its `WHERE organization_id` inside
//! its own tenant.

#![cfg(feature = "ssr")]

mod common;

use common::*;
use parley::Error;
use parley::db::scoped;
use parley::domain::{BuiltInRole, LoginTab, OrganizationId, RoleId, TeamId, UserId};
use parley::orgs;
use parley::team::members::{self, Credential, NewMember};
use parley::team::{roles, teams};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\nB's logo";

/// Organization B, fully furnished: a custom role, an agent holding it who is in a team, a logo.
struct TenantB {
    owner: Owner,
    team: TeamId,
    role: RoleId,
    agent_role: RoleId,
    member: UserId,
    member_session: parley::auth::SessionToken,
}

async fn furnish_b(db: &Db) -> TenantB {
    let owner = register(&db.app, "Bea", "bea@b.example", "Org B").await;
    let team = teams::create(&db.app, &owner.actor, "B Support")
        .await
        .unwrap();
    let role = roles::create(
        &db.app,
        &owner.actor,
        "B Supervisor",
        &["contacts.read".to_owned()],
    )
    .await
    .unwrap();
    let (member, member_session, _) =
        add_member_and_log_in(db, &owner, "Bob", "bob@b.example", role, LoginTab::Agent).await;
    teams::add_member(&db.app, &owner.actor, team, member)
        .await
        .unwrap();
    orgs::set_logo(&db.app, &owner.actor, PNG.to_vec())
        .await
        .unwrap();
    let agent_role = built_in_role(db, owner.organization_id, BuiltInRole::Agent).await;
    TenantB {
        owner,
        team,
        role,
        agent_role,
        member,
        member_session,
    }
}

/// Every row that belongs to an organization (and to its people), as text, read as the superuser.
async fn snapshot(db: &Db, organization: OrganizationId) -> Vec<String> {
    let people = "SELECT user_id FROM memberships WHERE organization_id = $1";
    let queries = [
        "SELECT 'organizations ' || t::text FROM organizations t WHERE id = $1".to_owned(),
        "SELECT 'organization_logos ' || t::text FROM organization_logos t WHERE organization_id = $1".to_owned(),
        "SELECT 'roles ' || t::text FROM roles t WHERE organization_id = $1".to_owned(),
        "SELECT 'memberships ' || t::text FROM memberships t WHERE organization_id = $1".to_owned(),
        "SELECT 'teams ' || t::text FROM teams t WHERE organization_id = $1".to_owned(),
        "SELECT 'team_members ' || t::text FROM team_members t WHERE organization_id = $1".to_owned(),
        format!("SELECT 'users ' || t::text FROM users t WHERE id IN ({people})"),
        format!("SELECT 'sessions ' || t::text FROM sessions t WHERE user_id IN ({people})"),
        format!("SELECT 'account_links ' || t::text FROM account_links t WHERE user_id IN ({people})"),
    ];
    let mut rows = Vec::new();
    for sql in &queries {
        let mut part: Vec<String> = sqlx::query_scalar(sql)
            .bind(organization)
            .fetch_all(&db.root)
            .await
            .unwrap();
        part.sort();
        rows.extend(part);
    }
    rows
}

fn is_rls_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(e) if e.code().as_deref() == Some("42501"))
}

#[sqlx::test(migrations = false)]
async fn services_treat_another_organizations_ids_as_not_found(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let db = setup(options).await;
    let a = register(&db.app, "Ana", "ana@a.example", "Org A").await;
    let a_team = teams::create(&db.app, &a.actor, "A Sales").await.unwrap();
    let (a_agent, _, _) = add_agent(&db, &a, "Alan", "alan@a.example").await;
    let a_agent_role = built_in_role(&db, a.organization_id, BuiltInRole::Agent).await;
    let b = furnish_b(&db).await;
    let b_owner_role = built_in_role(&db, b.owner.organization_id, BuiltInRole::Owner).await;
    let before = snapshot(&db, b.owner.organization_id).await;
    assert!(
        before.len() > 12,
        "B should have rows in every table: {before:#?}"
    );
    let actor = &a.actor;

    // Teams.
    assert_err!(
        teams::rename(&db.app, actor, b.team, "Taken over").await,
        Error::NotFound
    );
    assert_err!(teams::delete(&db.app, actor, b.team).await, Error::NotFound);
    assert_err!(
        teams::add_member(&db.app, actor, b.team, b.member).await,
        Error::NotFound
    );
    assert_err!(
        teams::add_member(&db.app, actor, b.team, a_agent).await,
        Error::NotFound
    );
    assert_err!(
        teams::add_member(&db.app, actor, a_team, b.member).await,
        Error::NotFound
    );
    assert_err!(
        teams::remove_member(&db.app, actor, b.team, b.member).await,
        Error::NotFound
    );

    // Roles: B's custom role and B's built-ins alike.
    assert_err!(
        roles::update(
            &db.app,
            actor,
            b.role,
            "Taken over",
            &["team.manage".to_owned()]
        )
        .await,
        Error::NotFound
    );
    assert_err!(roles::delete(&db.app, actor, b.role).await, Error::NotFound);
    assert_err!(
        roles::delete(&db.app, actor, b_owner_role).await,
        Error::NotFound
    );

    // Members: B's people are not found; B's roles are not roles one can choose.
    assert_err!(
        members::update(&db.app, actor, b.member, "Taken over", a_agent_role).await,
        Error::NotFound
    );
    assert_err!(
        members::update(&db.app, actor, b.owner.user_id, "Taken over", a_agent_role).await,
        Error::NotFound
    );
    assert_err!(
        members::set_active(&db.app, actor, b.member, false).await,
        Error::NotFound
    );
    assert_err!(
        members::set_active(&db.app, actor, b.owner.user_id, false).await,
        Error::NotFound
    );
    assert_err!(
        members::remove(&db.app, actor, b.member).await,
        Error::NotFound
    );
    assert_err!(
        members::remove(&db.app, actor, b.owner.user_id).await,
        Error::NotFound
    );
    assert_err!(
        members::update(&db.app, actor, a_agent, "Alan", b.role).await,
        Error::Invalid { field: "role", .. }
    );
    assert_err!(
        members::update(&db.app, actor, a_agent, "Alan", b.agent_role).await,
        Error::Invalid { field: "role", .. }
    );
    for role in [b.role, b.agent_role, b_owner_role] {
        let added = members::add(
            &db.app,
            actor,
            &mailer(),
            PUBLIC_URL,
            NewMember {
                name: "Newcomer",
                email: "newcomer@a.example",
                role,
                credential: Credential::Password(PASSWORD),
            },
        )
        .await;
        assert_err!(added, Error::Invalid { field: "role", .. });
    }
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM users WHERE email = 'newcomer@a.example'"
        )
        .await,
        0
    );

    // Organizations: switching into B, or fetching its logo.
    assert_err!(
        orgs::switch(&db.app, a.user_id, &a.token.0, b.owner.organization_id).await,
        Error::NotFound
    );
    assert_err!(
        orgs::logo(&db.app, a.user_id, b.owner.organization_id).await,
        Error::NotFound
    );
    assert_eq!(
        actor_of(&db.app, &a.token).await,
        a.actor,
        "A's session stayed in A"
    );

    // A's lists show nothing of B.
    let a_members: Vec<UserId> = members::list(&db.app, actor)
        .await
        .unwrap()
        .iter()
        .map(|m| m.user_id)
        .collect();
    assert_eq!(a_members, [a_agent, a.user_id]);
    let a_roles = roles::list(&db.app, actor).await.unwrap();
    assert_eq!(a_roles.len(), 3);
    assert!(
        a_roles
            .iter()
            .all(|r| r.id != b.role && r.id != b_owner_role)
    );
    let a_teams: Vec<TeamId> = teams::list(&db.app, actor)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(a_teams, [a_team]);
    let a_orgs: Vec<OrganizationId> = orgs::memberships(&db.app, a.user_id)
        .await
        .unwrap()
        .iter()
        .map(|m| m.organization_id)
        .collect();
    assert_eq!(a_orgs, [a.organization_id]);

    // B is exactly as it was, and its people are still signed in.
    assert_eq!(snapshot(&db, b.owner.organization_id).await, before);
    assert!(resolves(&db.app, &b.member_session).await);
    assert!(resolves(&db.app, &b.owner.token).await);
}

/// The counts of `table` visible to a query with no WHERE clause inside `tx`.
async fn visible(tx: &mut Transaction<'static, Postgres>, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(&mut **tx)
        .await
        .unwrap()
}

async fn rows_of(db: &Db, table: &str, column: &str, organization: OrganizationId) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table} WHERE {column} = $1"))
        .bind(organization)
        .fetch_one(&db.root)
        .await
        .unwrap()
}

const TENANT_TABLES: [(&str, &str); 6] = [
    ("organizations", "id"),
    ("organization_logos", "organization_id"),
    ("roles", "organization_id"),
    ("memberships", "organization_id"),
    ("teams", "organization_id"),
    ("team_members", "organization_id"),
];

#[sqlx::test(migrations = false)]
async fn row_level_security_hides_other_tenants_rows(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let a = register(&db.app, "Ana", "ana@a.example", "Org A").await;
    let a_team = teams::create(&db.app, &a.actor, "A Sales").await.unwrap();
    let (a_agent, _, _) = add_agent(&db, &a, "Alan", "alan@a.example").await;
    teams::add_member(&db.app, &a.actor, a_team, a_agent)
        .await
        .unwrap();
    orgs::set_logo(&db.app, &a.actor, PNG.to_vec())
        .await
        .unwrap();
    let b = furnish_b(&db).await;
    let (org_a, org_b) = (a.organization_id, b.owner.organization_id);

    for (table, column) in TENANT_TABLES {
        let mine = rows_of(&db, table, column, org_a).await;
        let theirs = rows_of(&db, table, column, org_b).await;
        assert!(
            mine > 0 && theirs > 0,
            "{table}: both tenants should have rows (A {mine}, B {theirs})"
        );

        let mut tx = scoped(&db.app, Some(org_a), Some(a.user_id)).await.unwrap();
        assert_eq!(
            visible(&mut tx, table).await,
            mine,
            "{table}: A's scope sees exactly A's rows"
        );
        let foreign: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {table} WHERE {column} <> $1"
        ))
        .bind(org_a)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        assert_eq!(
            foreign, 0,
            "{table}: a row of another organization is visible in A's scope"
        );
        tx.commit().await.unwrap();

        // A's agent sees the same tenant.
        let mut tx = scoped(&db.app, Some(org_a), Some(a_agent)).await.unwrap();
        assert_eq!(
            visible(&mut tx, table).await,
            mine,
            "{table}: A's agent sees exactly A's rows"
        );
        tx.commit().await.unwrap();

        // And B's scope sees B's rows only.
        let mut tx = scoped(&db.app, Some(org_b), Some(b.owner.user_id))
            .await
            .unwrap();
        assert_eq!(
            visible(&mut tx, table).await,
            theirs,
            "{table}: B's scope sees exactly B's rows"
        );
        tx.commit().await.unwrap();
    }
}

#[sqlx::test(migrations = false)]
async fn without_a_scope_nothing_is_visible(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    register(&db.app, "Ana", "ana@a.example", "Org A").await;
    furnish_b(&db).await;

    for (table, _) in TENANT_TABLES {
        let mut tx = scoped(&db.app, None, None).await.unwrap();
        assert_eq!(
            visible(&mut tx, table).await,
            0,
            "{table} leaks without a scope"
        );
        tx.commit().await.unwrap();
        let plain: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&db.app)
            .await
            .unwrap();
        assert_eq!(
            plain, 0,
            "{table} leaks to a query outside any scoped transaction"
        );
        assert!(
            count(&db, &format!("SELECT count(*) FROM {table}")).await > 0,
            "{table} is not empty"
        );
    }
}

#[sqlx::test(migrations = false)]
async fn a_person_scope_sees_only_their_own_memberships_elsewhere(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let db = setup(options).await;
    let a = register(&db.app, "Ana", "ana@a.example", "Org A").await;
    let b = furnish_b(&db).await;

    // With no organization in scope (the login page, the switcher), Ana sees her own membership,
    // her organization and her role, and nothing of B.
    let mut tx = scoped(&db.app, None, Some(a.user_id)).await.unwrap();
    assert_eq!(visible(&mut tx, "memberships").await, 1);
    assert_eq!(visible(&mut tx, "organizations").await, 1);
    assert_eq!(visible(&mut tx, "roles").await, 1);
    for table in ["teams", "team_members", "organization_logos"] {
        assert_eq!(visible(&mut tx, table).await, 0, "{table}");
    }
    let org: OrganizationId = sqlx::query_scalar("SELECT id FROM organizations")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(org, a.organization_id);
    tx.commit().await.unwrap();

    // Bob, B's member, likewise sees only B.
    let mut tx = scoped(&db.app, None, Some(b.member)).await.unwrap();
    let org: OrganizationId = sqlx::query_scalar("SELECT id FROM organizations")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(org, b.owner.organization_id);
    let role: RoleId = sqlx::query_scalar("SELECT id FROM roles")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(role, b.role);
    tx.commit().await.unwrap();
}

/// Runs `sql` (binding A's or B's ids) inside A's scope; returns the outcome.
async fn in_scope_of_a(
    pool: &PgPool,
    a: &Owner,
    sql: &str,
    binds: &[uuid::Uuid],
) -> Result<u64, sqlx::Error> {
    let mut tx = scoped(pool, Some(a.organization_id), Some(a.user_id)).await?;
    let mut query = sqlx::query(sql);
    for b in binds {
        query = query.bind(*b);
    }
    let done = query.execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

#[sqlx::test(migrations = false)]
async fn row_level_security_refuses_writes_into_another_tenant(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let db = setup(options).await;
    let a = register(&db.app, "Ana", "ana@a.example", "Org A").await;
    let a_empty_team = teams::create(&db.app, &a.actor, "A Empty").await.unwrap();
    let b = furnish_b(&db).await;
    let org_b = b.owner.organization_id.as_uuid();
    let before = snapshot(&db, b.owner.organization_id).await;
    let new_id = || uuid::Uuid::now_v7();

    // Inserting rows that belong to B is refused by the policies' WITH CHECK.
    let inserts: [(&str, Vec<uuid::Uuid>); 5] = [
        (
            "INSERT INTO teams (id, organization_id, name) VALUES ($1, $2, 'Intruders')",
            vec![new_id(), org_b],
        ),
        (
            "INSERT INTO roles (id, organization_id, name, permissions) VALUES ($1, $2, 'Intruder', '{team.manage}')",
            vec![new_id(), org_b],
        ),
        (
            "INSERT INTO memberships (organization_id, user_id, role_id) VALUES ($1, $2, $3)",
            vec![org_b, a.user_id.as_uuid(), b.agent_role.as_uuid()],
        ),
        (
            "INSERT INTO team_members (organization_id, team_id, user_id) VALUES ($1, $2, $3)",
            vec![org_b, b.team.as_uuid(), b.owner.user_id.as_uuid()],
        ),
        (
            "INSERT INTO organizations (id, name) VALUES ($1, 'Shadow')",
            vec![new_id()],
        ),
    ];
    for (sql, binds) in &inserts {
        match in_scope_of_a(&db.app, &a, sql, binds).await {
            Err(e) if is_rls_violation(&e) => {}
            other => panic!("{sql}: expected a row-level security violation, got {other:?}"),
        }
    }

    // Moving A's own row into B is refused too.
    match in_scope_of_a(
        &db.app,
        &a,
        "UPDATE teams SET organization_id = $2 WHERE id = $1",
        &[a_empty_team.as_uuid(), org_b],
    )
    .await
    {
        Err(e) if is_rls_violation(&e) => {}
        other => {
            panic!("moving a team into B: expected a row-level security violation, got {other:?}")
        }
    }

    // Updates and deletes aimed at B's rows find nothing to touch.
    let blind_writes = [
        "UPDATE organizations SET name = 'Pwned' WHERE id = $1",
        "UPDATE roles SET permissions = '{billing.manage}' WHERE organization_id = $1",
        "UPDATE memberships SET active = false WHERE organization_id = $1",
        "UPDATE teams SET name = 'Pwned' WHERE organization_id = $1",
        "DELETE FROM team_members WHERE organization_id = $1",
        "DELETE FROM organization_logos WHERE organization_id = $1",
        "DELETE FROM teams WHERE organization_id = $1",
        "DELETE FROM memberships WHERE organization_id = $1",
        "DELETE FROM roles WHERE organization_id = $1",
        "DELETE FROM organizations WHERE id = $1",
    ];
    for sql in blind_writes {
        assert_eq!(
            in_scope_of_a(&db.app, &a, sql, &[org_b]).await.unwrap(),
            0,
            "{sql} touched B's rows"
        );
    }

    assert_eq!(
        snapshot(&db, b.owner.organization_id).await,
        before,
        "B's rows changed"
    );
    assert_eq!(count(&db, "SELECT count(*) FROM organizations").await, 2);
    assert_eq!(
        rows_of(&db, "teams", "organization_id", a.organization_id).await,
        1,
        "A's team is still A's"
    );
}

/// The dev mailbox (where mail goes without SMTP) belongs to the instance's operator, the first
/// account created: it holds every mail, reset links included, so no organization's owner reads it.
#[sqlx::test(migrations = false)]
async fn only_the_instance_owner_reads_the_dev_mailbox(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let operator = register(&db.app, "Opal", "opal@operator.example", "Operator").await;
    let a = register(&db.app, "Ana", "ana@a.example", "Org A").await;
    let b = furnish_b(&db).await;
    parley::auth::links::request_reset(&db.app, &mailer(), &b.owner.email, PUBLIC_URL).await.unwrap();

    assert_err!(parley::mail::dev_mailbox(&db.app, a.actor.user_id).await, Error::Forbidden);
    assert_err!(parley::mail::dev_mailbox(&db.app, b.owner.actor.user_id).await, Error::Forbidden);
    let seen = parley::mail::dev_mailbox(&db.app, operator.actor.user_id).await.unwrap();
    assert!(seen.iter().any(|m| m.to_address == b.owner.email && m.body.contains("/reset-password/")));
}

/// Account takeover across tenants: A's owner adds B's owner to A by email (an existing account
/// joins without being asked), asks for a password reset for that email on the public form, and
/// tries to read the reset link.
#[sqlx::test(migrations = false)]
async fn another_organizations_owner_cannot_read_my_reset_link(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    register(&db.app, "Opal", "opal@operator.example", "Operator").await;
    let a = register(&db.app, "Ana", "ana@a.example", "Org A").await;
    let b = furnish_b(&db).await;
    let a_agent_role = built_in_role(&db, a.organization_id, BuiltInRole::Agent).await;
    members::add(
        &db.app,
        &a.actor,
        &mailer(),
        PUBLIC_URL,
        NewMember { name: "Bea", email: &b.owner.email, role: a_agent_role, credential: Credential::InviteLink },
    )
    .await
    .unwrap();
    parley::auth::links::request_reset(&db.app, &mailer(), &b.owner.email, PUBLIC_URL).await.unwrap();
    assert_err!(parley::mail::dev_mailbox(&db.app, a.actor.user_id).await, Error::Forbidden);
}

/// The policies on memberships and organizations widen what a person can *see* to their own
/// memberships elsewhere; for DELETE (which has no WITH CHECK) that widening also lets a query
/// in A's scope delete those rows in other organizations.
#[sqlx::test(migrations = false)]
async fn a_scope_cannot_delete_the_actors_rows_in_other_organizations(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let db = setup(options).await;
    let a = register(&db.app, "Ana", "ana@a.example", "Org A").await;
    let b = furnish_b(&db).await;
    // Ana is also an agent of B.
    members::add(
        &db.app,
        &b.owner.actor,
        &mailer(),
        PUBLIC_URL,
        NewMember {
            name: "Ana",
            email: "ana@a.example",
            role: b.agent_role,
            credential: Credential::InviteLink,
        },
    )
    .await
    .unwrap();
    let org_b = b.owner.organization_id.as_uuid();
    let before = snapshot(&db, b.owner.organization_id).await;

    // Ana is only an agent of B, yet from A's scope she can delete B altogether...
    let deleted_org = in_scope_of_a(
        &db.app,
        &a,
        "DELETE FROM organizations WHERE id = $1",
        &[org_b],
    )
    .await;
    // ...or her membership in B (which the services refuse: "You cannot remove yourself").
    let deleted_membership = in_scope_of_a(
        &db.app,
        &a,
        "DELETE FROM memberships WHERE organization_id = $1",
        &[org_b],
    )
    .await;
    assert!(
        matches!(deleted_org, Ok(0)),
        "deleting organization B from A's scope: {deleted_org:?}"
    );
    assert!(
        matches!(deleted_membership, Ok(0)),
        "deleting B's memberships from A's scope: {deleted_membership:?}"
    );
    assert_eq!(
        snapshot(&db, b.owner.organization_id).await,
        before,
        "B's rows changed from A's scope"
    );
}
