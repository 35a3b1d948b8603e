//! Organizations: creating more than one, switching between them, settings and the logo.

#![cfg(feature = "ssr")]

mod common;

use common::*;
use parley::Error;
use parley::domain::{BuiltInRole, LoginTab, OrganizationId};
use parley::orgs::{self, SettingsForm};
use parley::team::members::{self, Added, Credential, NewMember};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

#[sqlx::test(migrations = false)]
async fn creating_a_second_organization_moves_the_session_into_it(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let db = setup(options).await;
    let owner = register(&db.app, "Ana", "ana@example.com", "Zebra Imports").await;

    let second = orgs::create(&db.app, owner.user_id, &owner.token.0, "  Acme Ltd ")
        .await
        .unwrap();
    assert_ne!(second, owner.organization_id);
    let actor = actor_of(&db.app, &owner.token).await;
    assert_eq!(
        actor.organization_id, second,
        "the session moved into the new organization"
    );
    assert_eq!(actor.built_in_role, Some(BuiltInRole::Owner));
    assert_eq!(
        orgs::profile(&db.app, &actor).await.unwrap().name,
        "Acme Ltd"
    );

    let list = orgs::memberships(&db.app, owner.user_id).await.unwrap();
    let summary: Vec<(OrganizationId, &str, &str)> = list
        .iter()
        .map(|m| (m.organization_id, m.name.as_str(), m.role_name.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            (second, "Acme Ltd", "Owner"),
            (owner.organization_id, "Zebra Imports", "Owner")
        ]
    );

    // Each organization got its own three built-in roles.
    assert_eq!(count(&db, "SELECT count(*) FROM roles").await, 6);

    orgs::switch(
        &db.app,
        owner.user_id,
        &owner.token.0,
        owner.organization_id,
    )
    .await
    .unwrap();
    assert_eq!(actor_of(&db.app, &owner.token).await, owner.actor);

    assert_err!(
        orgs::create(&db.app, owner.user_id, &owner.token.0, "A").await,
        Error::Invalid { field: "name", .. }
    );
}

#[sqlx::test(migrations = false)]
async fn switching_into_an_organization_you_do_not_belong_to_is_not_found(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let db = setup(options).await;
    let ana = register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;
    let bruno = register(&db.app, "Bruno", "bruno@example.com", "Bruno Co").await;

    assert_err!(
        orgs::switch(&db.app, ana.user_id, &ana.token.0, bruno.organization_id).await,
        Error::NotFound
    );
    let made_up = OrganizationId(uuid::Uuid::now_v7());
    assert_err!(
        orgs::switch(&db.app, ana.user_id, &ana.token.0, made_up).await,
        Error::NotFound
    );
    assert_eq!(
        actor_of(&db.app, &ana.token).await,
        ana.actor,
        "the session did not move"
    );
    assert_eq!(
        orgs::memberships(&db.app, ana.user_id).await.unwrap().len(),
        1
    );
}

#[sqlx::test(migrations = false)]
async fn a_deactivated_member_can_no_longer_switch_into_the_organization(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let db = setup(options).await;
    let acme = register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;
    let carla = register(&db.app, "Carla", "carla@example.com", "Carla Co").await;

    // Carla already has an account: she is added to Acme with her existing password.
    let agent_role = built_in_role(&db, acme.organization_id, BuiltInRole::Agent).await;
    let added = members::add(
        &db.app,
        &acme.actor,
        &mailer(),
        PUBLIC_URL,
        NewMember {
            name: "Ignored Name",
            email: "carla@example.com",
            role: agent_role,
            credential: Credential::InviteLink,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        added,
        Added::ExistingAccount {
            user_id: carla.user_id
        }
    );
    assert!(
        mailbox(&db).await.is_empty(),
        "no invite link for an existing account"
    );

    let names: Vec<String> = orgs::memberships(&db.app, carla.user_id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(names, ["Acme Ltd", "Carla Co"]);
    orgs::switch(&db.app, carla.user_id, &carla.token.0, acme.organization_id)
        .await
        .unwrap();
    let in_acme = actor_of(&db.app, &carla.token).await;
    assert_eq!(in_acme.organization_id, acme.organization_id);
    assert_eq!(in_acme.built_in_role, Some(BuiltInRole::Agent));
    // Being Owner somewhere, she may use the Owner / admin tab (and the Agent tab, being Agent at Acme).
    log_in(&db.app, "carla@example.com", PASSWORD, LoginTab::OwnerAdmin)
        .await
        .unwrap();
    log_in(&db.app, "carla@example.com", PASSWORD, LoginTab::Agent)
        .await
        .unwrap();

    // Carla keeps one session in her own organization.
    let at_home = log_in(&db.app, "carla@example.com", PASSWORD, LoginTab::OwnerAdmin)
        .await
        .unwrap();
    assert_eq!(
        actor_of(&db.app, &at_home).await.organization_id,
        carla.organization_id
    );

    members::set_active(&db.app, &acme.actor, carla.user_id, false)
        .await
        .unwrap();
    assert!(
        !resolves(&db.app, &carla.token).await,
        "her session inside Acme ended"
    );
    assert!(
        resolves(&db.app, &at_home).await,
        "her session in her own organization goes on"
    );
    assert_err!(
        orgs::switch(&db.app, carla.user_id, &at_home.0, acme.organization_id).await,
        Error::NotFound
    );
    let names: Vec<String> = orgs::memberships(&db.app, carla.user_id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(names, ["Carla Co"]);
    // The Agent tab led only to Acme.
    assert_err!(
        log_in(&db.app, "carla@example.com", PASSWORD, LoginTab::Agent).await,
        Error::WrongLoginTab {
            use_tab: LoginTab::OwnerAdmin
        }
    );
}

#[sqlx::test(migrations = false)]
async fn settings_are_validated_and_persisted(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;
    let before = orgs::profile(&db.app, &owner.actor).await.unwrap();
    assert_eq!(
        (
            before.name.as_str(),
            before.description.as_str(),
            before.website_url.as_deref(),
            before.has_logo
        ),
        ("Acme Ltd", "", None, false)
    );

    for bad in [
        "acme.example",
        "javascript:alert(1)",
        "https://localhost",
        "ftp://acme.example",
    ] {
        let result = orgs::update_settings(
            &db.app,
            &owner.actor,
            SettingsForm {
                name: "Acme Renamed",
                description: "We sell anvils",
                website_url: bad,
            },
        )
        .await;
        assert_err!(
            result,
            Error::Invalid {
                field: "website_url",
                ..
            }
        );
    }
    assert_err!(
        orgs::update_settings(
            &db.app,
            &owner.actor,
            SettingsForm {
                name: "A",
                description: "",
                website_url: ""
            }
        )
        .await,
        Error::Invalid { field: "name", .. }
    );
    let long = "x".repeat(501);
    assert_err!(
        orgs::update_settings(
            &db.app,
            &owner.actor,
            SettingsForm {
                name: "Acme",
                description: &long,
                website_url: ""
            }
        )
        .await,
        Error::Invalid {
            field: "description",
            ..
        }
    );
    assert_eq!(
        orgs::profile(&db.app, &owner.actor).await.unwrap(),
        before,
        "refused forms change nothing"
    );

    orgs::update_settings(
        &db.app,
        &owner.actor,
        SettingsForm {
            name: " Acme Renamed ",
            description: "We sell anvils\nand rockets",
            website_url: " https://acme.example/about ",
        },
    )
    .await
    .unwrap();
    let after = orgs::profile(&db.app, &owner.actor).await.unwrap();
    assert_eq!(after.id, owner.organization_id);
    assert_eq!(after.name, "Acme Renamed");
    assert_eq!(after.description, "We sell anvils\nand rockets");
    assert_eq!(
        after.website_url.as_deref(),
        Some("https://acme.example/about")
    );
    let (name, website): (String, Option<String>) =
        sqlx::query_as("SELECT name, website_url FROM organizations WHERE id = $1")
            .bind(owner.organization_id)
            .fetch_one(&db.root)
            .await
            .unwrap();
    assert_eq!(
        (name.as_str(), website.as_deref()),
        ("Acme Renamed", Some("https://acme.example/about"))
    );
    assert_eq!(
        orgs::memberships(&db.app, owner.user_id).await.unwrap()[0].name,
        "Acme Renamed"
    );

    // An empty website clears it.
    orgs::update_settings(
        &db.app,
        &owner.actor,
        SettingsForm {
            name: "Acme Renamed",
            description: "",
            website_url: "   ",
        },
    )
    .await
    .unwrap();
    assert_eq!(
        orgs::profile(&db.app, &owner.actor)
            .await
            .unwrap()
            .website_url,
        None
    );
}

#[sqlx::test(migrations = false)]
async fn the_logo_round_trips_and_must_be_an_image(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;
    let (agent, _, _) = add_agent(&db, &owner, "Bruno", "bruno@example.com").await;
    assert_err!(
        orgs::logo(&db.app, owner.user_id, owner.organization_id).await,
        Error::NotFound
    );

    orgs::set_logo(&db.app, &owner.actor, PNG.to_vec())
        .await
        .unwrap();
    assert!(orgs::profile(&db.app, &owner.actor).await.unwrap().has_logo);
    let (content_type, bytes) = orgs::logo(&db.app, owner.user_id, owner.organization_id)
        .await
        .unwrap();
    assert_eq!(content_type, "image/png");
    assert_eq!(bytes, PNG);
    // Any member sees the logo of their organization.
    assert_eq!(
        orgs::logo(&db.app, agent, owner.organization_id)
            .await
            .unwrap()
            .1,
        PNG
    );

    for not_an_image in [
        b"<svg xmlns='http://www.w3.org/2000/svg'></svg>".to_vec(),
        b"GIF8".to_vec(),
        Vec::new(),
    ] {
        assert_err!(
            orgs::set_logo(&db.app, &owner.actor, not_an_image).await,
            Error::Invalid { field: "logo", .. }
        );
    }
    assert_eq!(
        orgs::logo(&db.app, owner.user_id, owner.organization_id)
            .await
            .unwrap()
            .1,
        PNG,
        "logo unchanged"
    );

    // Replacing it keeps one row.
    let gif = b"GIF89a\x01\0\x01\0\0\0\0;".to_vec();
    orgs::set_logo(&db.app, &owner.actor, gif.clone())
        .await
        .unwrap();
    assert_eq!(
        orgs::logo(&db.app, owner.user_id, owner.organization_id)
            .await
            .unwrap(),
        ("image/gif".to_owned(), gif)
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM organization_logos").await,
        1
    );

    orgs::remove_logo(&db.app, &owner.actor).await.unwrap();
    assert_err!(
        orgs::logo(&db.app, owner.user_id, owner.organization_id).await,
        Error::NotFound
    );
    assert!(!orgs::profile(&db.app, &owner.actor).await.unwrap().has_logo);
}

#[sqlx::test(migrations = false)]
async fn an_agent_cannot_change_the_organization(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;
    orgs::set_logo(&db.app, &owner.actor, PNG.to_vec())
        .await
        .unwrap();
    let (_, _, agent) = add_agent(&db, &owner, "Bruno", "bruno@example.com").await;
    let before = orgs::profile(&db.app, &owner.actor).await.unwrap();

    assert_err!(
        orgs::update_settings(
            &db.app,
            &agent,
            SettingsForm {
                name: "Hijacked",
                description: "",
                website_url: "https://evil.example",
            }
        )
        .await,
        Error::Forbidden
    );
    // Forbidden comes before validation: an agent learns nothing from a bad form either.
    assert_err!(
        orgs::update_settings(
            &db.app,
            &agent,
            SettingsForm {
                name: "A",
                description: "",
                website_url: "nope"
            }
        )
        .await,
        Error::Forbidden
    );
    assert_err!(
        orgs::set_logo(&db.app, &agent, b"GIF89a;".to_vec()).await,
        Error::Forbidden
    );
    assert_err!(orgs::remove_logo(&db.app, &agent).await, Error::Forbidden);

    // The agent can still read the profile, and nothing changed.
    assert_eq!(orgs::profile(&db.app, &agent).await.unwrap(), before);
    assert_eq!(
        orgs::logo(&db.app, agent.user_id, owner.organization_id)
            .await
            .unwrap()
            .1,
        PNG
    );
}

#[sqlx::test(migrations = false)]
async fn an_admin_may_change_the_organization(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;
    let (_, _, admin) = add_admin(&db, &owner, "Eva", "eva@example.com").await;

    orgs::update_settings(
        &db.app,
        &admin,
        SettingsForm {
            name: "Acme by Eva",
            description: "",
            website_url: "",
        },
    )
    .await
    .unwrap();
    orgs::set_logo(&db.app, &admin, PNG.to_vec()).await.unwrap();
    let profile = orgs::profile(&db.app, &owner.actor).await.unwrap();
    assert_eq!(
        (profile.name.as_str(), profile.has_logo),
        ("Acme by Eva", true)
    );
}
