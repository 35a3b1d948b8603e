//! Accounts: registration, the two login tabs, rate limiting, logout, password reset and invite
//! links, against a real Postgres through the app's row-level-secured pool.

#![cfg(feature = "ssr")]

mod common;

use common::*;
use parley::Error;
use parley::auth::links::{self, LinkPurpose};
use parley::auth::login::{MAX_FAILURES_PER_EMAIL, WINDOW_SECS};
use parley::auth::register::{Registration, register_owner};
use parley::auth::sessions;
use parley::domain::{BuiltInRole, LoginTab, Permission, PermissionSet};
use parley::team::members::{self, Added, Credential, NewMember};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

const NEW_PASSWORD: &str = "a brand new passphrase";

/// The first link in `body` that starts with `prefix`, up to the next whitespace.
fn link_in<'a>(body: &'a str, prefix: &str) -> &'a str {
    let start = body
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} link in mail body: {body}"));
    let rest = &body[start..];
    &rest[..rest.find(char::is_whitespace).unwrap_or(rest.len())]
}

#[sqlx::test(migrations = false)]
async fn register_owner_creates_user_organization_owner_membership_and_session(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let db = setup(options).await;
    let token = register_owner(
        &db.app,
        Registration {
            name: "  Ana Lima ",
            email: "  Ana@Example.COM ",
            password: PASSWORD,
            organization_name: "Acme Ltd",
        },
    )
    .await
    .unwrap();

    let signed_in = sessions::resolve(&db.app, &token.0)
        .await
        .unwrap()
        .expect("the new session resolves");
    assert_eq!(signed_in.name, "Ana Lima");
    assert_eq!(
        signed_in.email, "ana@example.com",
        "email is stored trimmed and lowercased"
    );
    let actor = signed_in
        .actor
        .expect("the session is inside the new organization");
    assert_eq!(actor.user_id, signed_in.user_id);
    assert_eq!(actor.built_in_role, Some(BuiltInRole::Owner));
    assert!(actor.is_owner());
    assert_eq!(actor.permissions, PermissionSet::all());
    for permission in Permission::ALL {
        assert!(actor.can(permission), "the owner lacks {permission:?}");
    }

    // The rows behind it, read as the superuser.
    let (email, name, has_hash): (String, String, bool) = sqlx::query_as(
        "SELECT email, name, password_hash LIKE '$argon2id$%' FROM users WHERE id = $1",
    )
    .bind(actor.user_id)
    .fetch_one(&db.root)
    .await
    .unwrap();
    assert_eq!(
        (email.as_str(), name.as_str(), has_hash),
        ("ana@example.com", "Ana Lima", true)
    );
    let org_name: String = sqlx::query_scalar("SELECT name FROM organizations WHERE id = $1")
        .bind(actor.organization_id)
        .fetch_one(&db.root)
        .await
        .unwrap();
    assert_eq!(org_name, "Acme Ltd");
    let mut built_ins: Vec<String> = sqlx::query_scalar(
        "SELECT built_in FROM roles WHERE organization_id = $1 AND built_in IS NOT NULL",
    )
    .bind(actor.organization_id)
    .fetch_all(&db.root)
    .await
    .unwrap();
    built_ins.sort();
    assert_eq!(built_ins, ["admin", "agent", "owner"]);
    let (role, active): (String, bool) = sqlx::query_as(
        "SELECT r.built_in, m.active FROM memberships m JOIN roles r ON r.id = m.role_id
         WHERE m.organization_id = $1 AND m.user_id = $2",
    )
    .bind(actor.organization_id)
    .bind(actor.user_id)
    .fetch_one(&db.root)
    .await
    .unwrap();
    assert_eq!((role.as_str(), active), ("owner", true));
    assert_eq!(count(&db, "SELECT count(*) FROM memberships").await, 1);
    assert_eq!(count(&db, "SELECT count(*) FROM sessions").await, 1);
}

#[sqlx::test(migrations = false)]
async fn duplicate_email_is_refused_on_the_email_field(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let db = setup(options).await;
    register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;

    let again = register_owner(
        &db.app,
        Registration {
            name: "Someone Else",
            email: "ANA@example.com",
            password: "another good password",
            organization_name: "Other Org",
        },
    )
    .await;
    assert_err!(again, Error::Invalid { field: "email", .. });
    // Nothing of the second attempt remains: the organization insert was rolled back with it.
    assert_eq!(count(&db, "SELECT count(*) FROM users").await, 1);
    assert_eq!(count(&db, "SELECT count(*) FROM organizations").await, 1);
    assert_eq!(count(&db, "SELECT count(*) FROM sessions").await, 1);
}

#[sqlx::test(migrations = false)]
async fn registration_validates_every_field(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let form = |name, email, password, organization_name| Registration {
        name,
        email,
        password,
        organization_name,
    };

    for weak in ["short", "aaaaaaaaaaaa", ""] {
        let result =
            register_owner(&db.app, form("Ana", "ana@example.com", weak, "Acme Ltd")).await;
        assert_err!(
            result,
            Error::Invalid {
                field: "password",
                ..
            }
        );
    }
    assert_err!(
        register_owner(&db.app, form("Ana", "not-an-email", PASSWORD, "Acme Ltd")).await,
        Error::Invalid { field: "email", .. }
    );
    assert_err!(
        register_owner(&db.app, form("  ", "ana@example.com", PASSWORD, "Acme Ltd")).await,
        Error::Invalid { field: "name", .. }
    );
    assert_err!(
        register_owner(&db.app, form("Ana", "ana@example.com", PASSWORD, "A")).await,
        Error::Invalid {
            field: "organization_name",
            ..
        }
    );
    assert_eq!(count(&db, "SELECT count(*) FROM users").await, 0);
    assert_eq!(count(&db, "SELECT count(*) FROM organizations").await, 0);
}

#[sqlx::test(migrations = false)]
async fn owner_logs_in_through_the_owner_admin_tab_only(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let db = setup(options).await;
    let owner = register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;

    let token = log_in(&db.app, " ANA@example.com", PASSWORD, LoginTab::OwnerAdmin)
        .await
        .unwrap();
    let actor = actor_of(&db.app, &token).await;
    assert_eq!(actor, owner.actor);

    let sessions_before = count(&db, "SELECT count(*) FROM sessions").await;
    assert_err!(
        log_in(&db.app, "ana@example.com", PASSWORD, LoginTab::Agent).await,
        Error::WrongLoginTab {
            use_tab: LoginTab::OwnerAdmin
        }
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM sessions").await,
        sessions_before,
        "a wrong tab opens no session"
    );
    // A wrong tab with the right password is not a failed password.
    assert_eq!(count(&db, "SELECT count(*) FROM login_failures").await, 0);
}

#[sqlx::test(migrations = false)]
async fn agent_logs_in_through_the_agent_tab_only(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;
    let agent_role = built_in_role(&db, owner.organization_id, BuiltInRole::Agent).await;
    let agent = add_member(
        &db.app,
        &owner.actor,
        "Bruno",
        "bruno@example.com",
        agent_role,
    )
    .await;

    assert_err!(
        log_in(&db.app, "bruno@example.com", PASSWORD, LoginTab::OwnerAdmin).await,
        Error::WrongLoginTab {
            use_tab: LoginTab::Agent
        }
    );
    let token = log_in(&db.app, "bruno@example.com", PASSWORD, LoginTab::Agent)
        .await
        .unwrap();
    let actor = actor_of(&db.app, &token).await;
    assert_eq!(actor.user_id, agent);
    assert_eq!(actor.organization_id, owner.organization_id);
    assert_eq!(actor.built_in_role, Some(BuiltInRole::Agent));
    assert_eq!(actor.permissions, BuiltInRole::Agent.permissions());
    assert!(!actor.can(Permission::TeamManage));
}

#[sqlx::test(migrations = false)]
async fn wrong_password_and_unknown_email_are_bad_credentials(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let db = setup(options).await;
    register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;

    assert_err!(
        log_in(
            &db.app,
            "ana@example.com",
            "not the password",
            LoginTab::OwnerAdmin
        )
        .await,
        Error::BadCredentials
    );
    assert_err!(
        log_in(
            &db.app,
            "nobody@example.com",
            PASSWORD,
            LoginTab::OwnerAdmin
        )
        .await,
        Error::BadCredentials
    );
    assert_err!(
        log_in(&db.app, "ana@example.com", "", LoginTab::OwnerAdmin).await,
        Error::Invalid {
            field: "password",
            ..
        }
    );
    assert_err!(
        log_in(&db.app, "ana", PASSWORD, LoginTab::OwnerAdmin).await,
        Error::Invalid { field: "email", .. }
    );
    assert_eq!(count(&db, "SELECT count(*) FROM login_failures").await, 2);
    assert_eq!(
        count(&db, "SELECT count(*) FROM sessions").await,
        1,
        "only the registration's session"
    );
}

#[sqlx::test(migrations = false)]
async fn five_failures_lock_the_email_even_for_the_right_password(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let db = setup(options).await;
    register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;
    register(&db.app, "Carla", "carla@example.com", "Carla Co").await;
    assert_eq!(MAX_FAILURES_PER_EMAIL, 5);

    for attempt in 1..=5 {
        let result = log_in(
            &db.app,
            "ana@example.com",
            "not the password",
            LoginTab::OwnerAdmin,
        )
        .await;
        assert!(
            matches!(result, Err(Error::BadCredentials)),
            "attempt {attempt}: {result:?}"
        );
    }
    match log_in(&db.app, "ana@example.com", PASSWORD, LoginTab::OwnerAdmin).await {
        Err(Error::RateLimited { retry_after_secs }) => {
            assert!(
                (1..=WINDOW_SECS as u64).contains(&retry_after_secs),
                "retry_after_secs = {retry_after_secs}"
            );
            assert!(
                retry_after_secs > 800,
                "the failures are fresh, the wait should be near the full window"
            );
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    // The email differs only in case: still the same account, still locked.
    assert_err!(
        log_in(&db.app, "ANA@example.com", PASSWORD, LoginTab::OwnerAdmin).await,
        Error::RateLimited { .. }
    );
    // The lock is per email: another person from the same address gets in.
    log_in(&db.app, "carla@example.com", PASSWORD, LoginTab::OwnerAdmin)
        .await
        .unwrap();

    // Once the failures age out of the window, the right password works again.
    sqlx::query("UPDATE login_failures SET failed_at = now() - make_interval(secs => $1)")
        .bind((WINDOW_SECS + 1) as f64)
        .execute(&db.root)
        .await
        .unwrap();
    log_in(&db.app, "ana@example.com", PASSWORD, LoginTab::OwnerAdmin)
        .await
        .unwrap();
}

#[sqlx::test(migrations = false)]
async fn a_successful_login_clears_the_failure_count(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;

    for _ in 0..4 {
        assert_err!(
            log_in(
                &db.app,
                "ana@example.com",
                "nope nope nope",
                LoginTab::OwnerAdmin
            )
            .await,
            Error::BadCredentials
        );
    }
    log_in(&db.app, "ana@example.com", PASSWORD, LoginTab::OwnerAdmin)
        .await
        .unwrap();
    for _ in 0..4 {
        assert_err!(
            log_in(
                &db.app,
                "ana@example.com",
                "nope nope nope",
                LoginTab::OwnerAdmin
            )
            .await,
            Error::BadCredentials
        );
    }
    log_in(&db.app, "ana@example.com", PASSWORD, LoginTab::OwnerAdmin)
        .await
        .unwrap();
}

#[sqlx::test(migrations = false)]
async fn logout_ends_only_that_session(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;
    let second = log_in(&db.app, "ana@example.com", PASSWORD, LoginTab::OwnerAdmin)
        .await
        .unwrap();

    sessions::end(&db.app, &owner.token.0).await.unwrap();
    assert!(
        sessions::resolve(&db.app, &owner.token.0)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        resolves(&db.app, &second).await,
        "the other device stays signed in"
    );
    // Ending it twice is harmless; an unknown token resolves to nobody.
    sessions::end(&db.app, &owner.token.0).await.unwrap();
    assert!(
        sessions::resolve(&db.app, "not-a-token")
            .await
            .unwrap()
            .is_none()
    );
}

#[sqlx::test(migrations = false)]
async fn forgot_password_mails_a_single_use_link(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;
    let other_device = log_in(&db.app, "ana@example.com", PASSWORD, LoginTab::OwnerAdmin)
        .await
        .unwrap();

    links::request_reset(&db.app, &mailer(), " Ana@Example.com", PUBLIC_URL)
        .await
        .unwrap();
    let mails = mailbox(&db).await;
    assert_eq!(mails.len(), 1);
    let (to, subject, body) = &mails[0];
    assert_eq!(to, "ana@example.com");
    assert!(
        subject.to_lowercase().contains("reset"),
        "subject: {subject}"
    );
    let link = link_in(body, &format!("{PUBLIC_URL}/reset-password/"));
    let token = token_of(link);
    assert!(
        token.len() >= 40,
        "the token should be long and random: {token:?}"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM account_links WHERE purpose = 'reset'"
        )
        .await,
        1
    );

    let info = links::describe(&db.app, token).await.unwrap();
    assert_eq!(info.purpose, LinkPurpose::Reset);
    assert_eq!(info.email, "ana@example.com");

    // A weak new password is refused and does not use the link up.
    assert_err!(
        links::set_password(&db.app, token, "short").await,
        Error::Invalid {
            field: "password",
            ..
        }
    );

    links::set_password(&db.app, token, NEW_PASSWORD)
        .await
        .unwrap();
    assert_err!(
        links::set_password(&db.app, token, "yet another password").await,
        Error::Conflict(_)
    );
    assert_err!(links::describe(&db.app, token).await, Error::Conflict(_));

    // Every session of the person ended.
    assert!(!resolves(&db.app, &owner.token).await);
    assert!(!resolves(&db.app, &other_device).await);
    assert_eq!(count(&db, "SELECT count(*) FROM sessions").await, 0);

    assert_err!(
        log_in(&db.app, "ana@example.com", PASSWORD, LoginTab::OwnerAdmin).await,
        Error::BadCredentials
    );
    let token = log_in(
        &db.app,
        "ana@example.com",
        NEW_PASSWORD,
        LoginTab::OwnerAdmin,
    )
    .await
    .unwrap();
    assert_eq!(actor_of(&db.app, &token).await, owner.actor);
}

#[sqlx::test(migrations = false)]
async fn using_one_reset_link_retires_the_others(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;

    links::request_reset(&db.app, &mailer(), "ana@example.com", PUBLIC_URL)
        .await
        .unwrap();
    links::request_reset(&db.app, &mailer(), "ana@example.com", PUBLIC_URL)
        .await
        .unwrap();
    let mails = mailbox(&db).await;
    assert_eq!(mails.len(), 2);
    let prefix = format!("{PUBLIC_URL}/reset-password/");
    let first = token_of(link_in(&mails[0].2, &prefix)).to_owned();
    let second = token_of(link_in(&mails[1].2, &prefix)).to_owned();
    assert_ne!(first, second);

    links::set_password(&db.app, &second, NEW_PASSWORD)
        .await
        .unwrap();
    assert_err!(
        links::set_password(&db.app, &first, "an attacker's password").await,
        Error::Conflict(_)
    );
    log_in(
        &db.app,
        "ana@example.com",
        NEW_PASSWORD,
        LoginTab::OwnerAdmin,
    )
    .await
    .unwrap();
}

#[sqlx::test(migrations = false)]
async fn reset_for_an_unknown_email_answers_ok_and_sends_nothing(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let db = setup(options).await;
    register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;

    links::request_reset(&db.app, &mailer(), "nobody@example.com", PUBLIC_URL)
        .await
        .unwrap();
    assert!(mailbox(&db).await.is_empty());
    assert_eq!(count(&db, "SELECT count(*) FROM account_links").await, 0);
    // A malformed address is still a form error.
    assert_err!(
        links::request_reset(&db.app, &mailer(), "nobody", PUBLIC_URL).await,
        Error::Invalid { field: "email", .. }
    );
}

#[sqlx::test(migrations = false)]
async fn an_expired_reset_link_is_refused(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;
    links::request_reset(&db.app, &mailer(), "ana@example.com", PUBLIC_URL)
        .await
        .unwrap();
    let mails = mailbox(&db).await;
    let token = token_of(link_in(
        &mails[0].2,
        &format!("{PUBLIC_URL}/reset-password/"),
    ))
    .to_owned();

    // The link was issued for one hour.
    let lifetime_secs: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM expires_at - created_at)::float8 FROM account_links",
    )
    .fetch_one(&db.root)
    .await
    .unwrap();
    assert!(
        (3590.0..=3610.0).contains(&lifetime_secs),
        "reset links live one hour, got {lifetime_secs} s"
    );

    sqlx::query("UPDATE account_links SET expires_at = now() - interval '1 second'")
        .execute(&db.root)
        .await
        .unwrap();
    assert_err!(links::describe(&db.app, &token).await, Error::Conflict(_));
    assert_err!(
        links::set_password(&db.app, &token, NEW_PASSWORD).await,
        Error::Conflict(_)
    );
    // The password did not change.
    log_in(&db.app, "ana@example.com", PASSWORD, LoginTab::OwnerAdmin)
        .await
        .unwrap();
    assert_err!(
        log_in(
            &db.app,
            "ana@example.com",
            NEW_PASSWORD,
            LoginTab::OwnerAdmin
        )
        .await,
        Error::BadCredentials
    );
    // A made-up token is refused the same way.
    assert_err!(
        links::set_password(&db.app, "made-up-token", NEW_PASSWORD).await,
        Error::Conflict(_)
    );
}

#[sqlx::test(migrations = false)]
async fn an_invited_member_sets_their_password_through_the_link(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let db = setup(options).await;
    let owner = register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;
    let agent_role = built_in_role(&db, owner.organization_id, BuiltInRole::Agent).await;

    let added = members::add(
        &db.app,
        &owner.actor,
        &mailer(),
        PUBLIC_URL,
        NewMember {
            name: "Dora",
            email: "Dora@Example.com",
            role: agent_role,
            credential: Credential::InviteLink,
        },
    )
    .await
    .unwrap();
    let (user, link) = match added {
        Added::Created {
            user_id,
            invite_link: Some(link),
        } => (user_id, link),
        other => panic!("expected a new account with an invite link, got {other:?}"),
    };
    assert!(
        link.starts_with(&format!("{PUBLIC_URL}/invite/")),
        "link: {link}"
    );
    let token = token_of(&link).to_owned();

    // The same link went out by mail.
    let mails = mailbox(&db).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].0, "dora@example.com");
    assert!(mails[0].1.contains("Acme Ltd"), "subject: {}", mails[0].1);
    assert_eq!(link_in(&mails[0].2, &format!("{PUBLIC_URL}/invite/")), link);

    let listed = members::list(&db.app, &owner.actor).await.unwrap();
    let dora = listed
        .iter()
        .find(|m| m.user_id == user)
        .expect("Dora is listed");
    assert!(!dora.has_password);
    assert!(dora.active);

    let info = links::describe(&db.app, &token).await.unwrap();
    assert_eq!(info.purpose, LinkPurpose::Invite);
    assert_eq!(
        (info.email.as_str(), info.name.as_str()),
        ("dora@example.com", "Dora")
    );

    // No password yet: nothing logs in, not even an empty-looking guess.
    assert_err!(
        log_in(&db.app, "dora@example.com", PASSWORD, LoginTab::Agent).await,
        Error::BadCredentials
    );
    assert_err!(
        log_in(&db.app, "dora@example.com", NEW_PASSWORD, LoginTab::Agent).await,
        Error::BadCredentials
    );

    links::set_password(&db.app, &token, NEW_PASSWORD)
        .await
        .unwrap();
    let session = log_in(&db.app, "dora@example.com", NEW_PASSWORD, LoginTab::Agent)
        .await
        .unwrap();
    let actor = actor_of(&db.app, &session).await;
    assert_eq!(
        (actor.user_id, actor.organization_id),
        (user, owner.organization_id)
    );
    assert_eq!(actor.built_in_role, Some(BuiltInRole::Agent));

    assert_err!(
        links::set_password(&db.app, &token, "takeover password").await,
        Error::Conflict(_)
    );
    let listed = members::list(&db.app, &owner.actor).await.unwrap();
    assert!(
        listed
            .iter()
            .find(|m| m.user_id == user)
            .unwrap()
            .has_password
    );
}

#[sqlx::test(migrations = false)]
async fn an_invite_link_lives_seven_days(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Ana", "ana@example.com", "Acme Ltd").await;
    let agent_role = built_in_role(&db, owner.organization_id, BuiltInRole::Agent).await;
    let added = members::add(
        &db.app,
        &owner.actor,
        &mailer(),
        PUBLIC_URL,
        NewMember {
            name: "Dora",
            email: "dora@example.com",
            role: agent_role,
            credential: Credential::InviteLink,
        },
    )
    .await
    .unwrap();
    let Added::Created {
        invite_link: Some(link),
        ..
    } = added
    else {
        panic!("expected an invite link: {added:?}")
    };

    let days: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM expires_at - created_at)::float8 / 86400 FROM account_links WHERE purpose = 'invite'",
    )
    .fetch_one(&db.root)
    .await
    .unwrap();
    assert!(
        (6.99..=7.01).contains(&days),
        "invite links live 7 days, got {days}"
    );

    sqlx::query("UPDATE account_links SET expires_at = now() - interval '1 second'")
        .execute(&db.root)
        .await
        .unwrap();
    assert_err!(
        links::set_password(&db.app, token_of(&link), NEW_PASSWORD).await,
        Error::Conflict(_)
    );
    assert_err!(
        log_in(&db.app, "dora@example.com", NEW_PASSWORD, LoginTab::Agent).await,
        Error::BadCredentials
    );
}
