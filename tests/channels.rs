//! WhatsApp channel settings: secrets sealed at rest and never read back, what an update keeps,
//! who may see or change channels, and what the webhook receiver learns from a callback key.

#![cfg(feature = "ssr")]

mod common;

use common::*;
use parley::Error;
use parley::channels::{self, ChannelForm};
use parley::domain::channel::ChannelStatus;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

fn full_form(name: &str) -> ChannelForm {
    ChannelForm {
        name: name.into(),
        phone_number_id: "106540352242922".into(),
        waba_id: "102290129340398".into(),
        app_id: "1234567890".into(),
        app_secret: "app-secret-abcd1234".into(),
        access_token: "EAAG-access-token-wxyz9876".into(),
        verify_token: "my-verify-token".into(),
        graph_api_base_url: "http://127.0.0.1:9/v21.0/".into(),
    }
}

#[sqlx::test(migrations = false)]
async fn secrets_are_sealed_and_only_their_hints_come_back(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Olga Owner", "olga@shop.example", "Shop").await;
    let created = channels::create(&db.app, &secret_key(), &owner.actor, &full_form("Support")).await.unwrap();
    let channel = &created.channel;

    assert_eq!(channel.status(), ChannelStatus::Pending);
    assert_eq!(channel.app_secret_hint.as_deref(), Some("••••1234"));
    assert_eq!(channel.access_token_hint.as_deref(), Some("••••9876"));
    assert_eq!(channel.graph_api_base_url, "http://127.0.0.1:9/v21.0", "the trailing slash is dropped");
    assert!(created.api_token.starts_with("pk_") && created.api_token.len() > 40);

    let row: String = sqlx::query_scalar("SELECT row_to_json(c)::text FROM channels c WHERE id = $1")
        .bind(channel.id)
        .fetch_one(&db.root)
        .await
        .unwrap();
    for secret in ["app-secret-abcd1234", "EAAG-access-token-wxyz9876", created.api_token.as_str()] {
        assert!(!row.contains(secret), "{secret} is stored in clear: {row}");
    }
    let listed = format!("{:?}", channels::list(&db.app, &owner.actor).await.unwrap());
    assert!(!listed.contains("app-secret-abcd1234") && !listed.contains("EAAG-access-token"));

    let account = channels::account(&db.app, &secret_key(), owner.organization_id, channel.id).await.unwrap();
    assert_eq!(account.access_token.as_deref(), Some("EAAG-access-token-wxyz9876"));
    let hook = channels::webhook_channel(&db.app, &secret_key(), &channel.webhook_key).await.unwrap().unwrap();
    assert_eq!((hook.organization_id, hook.channel_id), (owner.organization_id, channel.id));
    assert_eq!(hook.app_secret.as_deref(), Some("app-secret-abcd1234"));
    assert_eq!(hook.verify_token, "my-verify-token");
    assert!(channels::webhook_channel(&db.app, &secret_key(), "no-such-key").await.unwrap().is_none());

    let other_key = parley::secrets::SecretKey::parse_hex(&"17".repeat(32)).unwrap();
    assert!(
        channels::webhook_channel(&db.app, &other_key, &channel.webhook_key).await.is_err(),
        "a wrong instance key cannot open the secrets"
    );
}

#[sqlx::test(migrations = false)]
async fn an_update_keeps_empty_secrets_and_sends_changed_credentials_back_to_pending(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let db = setup(options).await;
    let owner = register(&db.app, "Olga Owner", "olga@shop.example", "Shop").await;
    let id = channels::create(&db.app, &secret_key(), &owner.actor, &full_form("Support")).await.unwrap().channel.id;
    sqlx::query("UPDATE channels SET status = 'good', subscribed = true WHERE id = $1")
        .bind(id)
        .execute(&db.root)
        .await
        .unwrap();

    let renamed = ChannelForm { name: "Support EU".into(), app_secret: String::new(), access_token: String::new(), ..full_form("") };
    let saved = channels::update(&db.app, &secret_key(), &owner.actor, id, &renamed).await.unwrap();
    assert_eq!(saved.name, "Support EU");
    assert_eq!(saved.status(), ChannelStatus::Good, "a rename does not need a new validation");
    assert!(saved.subscribed);
    assert_eq!(saved.app_secret_hint.as_deref(), Some("••••1234"), "an empty secret field keeps the secret");
    let account = channels::account(&db.app, &secret_key(), owner.organization_id, id).await.unwrap();
    assert_eq!(account.access_token.as_deref(), Some("EAAG-access-token-wxyz9876"));

    let new_token = ChannelForm { access_token: "EAAG-another-token-5555".into(), ..renamed.clone() };
    let saved = channels::update(&db.app, &secret_key(), &owner.actor, id, &new_token).await.unwrap();
    assert_eq!(saved.status(), ChannelStatus::Pending, "new credentials must be validated again");
    assert_eq!(saved.access_token_hint.as_deref(), Some("••••5555"));

    let moved = ChannelForm { waba_id: "999".into(), ..renamed };
    let saved = channels::update(&db.app, &secret_key(), &owner.actor, id, &moved).await.unwrap();
    assert!(!saved.subscribed, "another business account is not subscribed yet");
}

#[sqlx::test(migrations = false)]
async fn bad_input_is_refused_field_by_field(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Olga Owner", "olga@shop.example", "Shop").await;
    for (form, field) in [
        (ChannelForm { name: " ".into(), ..full_form("x") }, "name"),
        (ChannelForm { phone_number_id: "12ab".into(), ..full_form("x") }, "phone_number_id"),
        (ChannelForm { access_token: "has spaces in it".into(), ..full_form("x") }, "access_token"),
        (ChannelForm { verify_token: "short".into(), ..full_form("x") }, "verify_token"),
        (ChannelForm { graph_api_base_url: "graph.facebook.com".into(), ..full_form("x") }, "graph_api_base_url"),
    ] {
        match channels::create(&db.app, &secret_key(), &owner.actor, &form).await {
            Err(Error::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: expected Invalid, got {:?}", other.map(|c| c.channel.name)),
        }
    }
    channels::create(&db.app, &secret_key(), &owner.actor, &full_form("Support")).await.unwrap();
    assert!(matches!(
        channels::create(&db.app, &secret_key(), &owner.actor, &full_form("support")).await,
        Err(Error::Conflict(_))
    ));
    assert_eq!(count(&db, "SELECT count(*) FROM channels").await, 1);
}

#[sqlx::test(migrations = false)]
async fn agents_cannot_and_other_organizations_find_nothing(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let owner = register(&db.app, "Olga Owner", "olga@shop.example", "Shop").await;
    let id = channels::create(&db.app, &secret_key(), &owner.actor, &full_form("Support")).await.unwrap().channel.id;
    let (_, _, agent) = add_agent(&db, &owner, "Ada Agent", "ada@shop.example").await;
    assert!(matches!(channels::list(&db.app, &agent).await, Err(Error::Forbidden)));
    assert!(matches!(channels::get(&db.app, &agent, id).await, Err(Error::Forbidden)));
    assert!(matches!(
        channels::create(&db.app, &secret_key(), &agent, &full_form("Mine")).await,
        Err(Error::Forbidden)
    ));

    let stranger = register(&db.app, "Sam Stranger", "sam@other.example", "Other").await;
    assert!(channels::list(&db.app, &stranger.actor).await.unwrap().is_empty());
    assert!(matches!(channels::get(&db.app, &stranger.actor, id).await, Err(Error::NotFound)));
    assert!(matches!(
        channels::update(&db.app, &secret_key(), &stranger.actor, id, &full_form("Hijacked")).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        channels::account(&db.app, &secret_key(), stranger.organization_id, id).await,
        Err(Error::NotFound)
    ));
    let cloud = parley::cloud::CloudClient::new();
    assert!(matches!(
        channels::validate(&db.app, &secret_key(), &cloud, &stranger.actor, id).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        channels::subscribe(&db.app, &secret_key(), &cloud, PUBLIC_URL, &stranger.actor, id).await,
        Err(Error::NotFound)
    ));
}

#[sqlx::test(migrations = false)]
async fn validation_without_the_required_fields_stays_pending_and_says_what_is_missing(
    _: PgPoolOptions,
    options: PgConnectOptions,
) {
    let db = setup(options).await;
    let owner = register(&db.app, "Olga Owner", "olga@shop.example", "Shop").await;
    let form = ChannelForm { name: "Half done".into(), phone_number_id: "106540352242922".into(), ..Default::default() };
    let id = channels::create(&db.app, &secret_key(), &owner.actor, &form).await.unwrap().channel.id;
    let cloud = parley::cloud::CloudClient::new();
    let checked = channels::validate(&db.app, &secret_key(), &cloud, &owner.actor, id).await.unwrap();
    assert_eq!(checked.status(), ChannelStatus::Pending);
    let message = checked.status_message.unwrap_or_default();
    assert!(message.contains("WhatsApp Business Account id") && message.contains("access token"), "{message}");
    assert!(matches!(
        channels::subscribe(&db.app, &secret_key(), &cloud, PUBLIC_URL, &owner.actor, id).await,
        Err(Error::Conflict(_))
    ));

    // Unreachable Graph API: Invalid, with a reason an admin can act on.
    let unreachable = ChannelForm { waba_id: "1".into(), ..full_form("Half done") };
    channels::update(&db.app, &secret_key(), &owner.actor, id, &unreachable).await.unwrap();
    let checked = channels::validate(&db.app, &secret_key(), &cloud, &owner.actor, id).await.unwrap();
    assert_eq!(checked.status(), ChannelStatus::Invalid);
    assert!(checked.status_message.is_some_and(|m| !m.is_empty() && !m.contains("EAAG")));
}
