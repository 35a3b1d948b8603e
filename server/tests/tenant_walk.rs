//! Tenant isolation through the HTTP surface: with a session of organization A, call every server
//! function and every route of the router with organization B's ids, and check that nothing of B
//! is read or changed. Server functions are enumerated from the registry, so a new one that this
//! walk does not know fails the test until it is added below.
#![recursion_limit = "256"]

use axum::body::Body;
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use parley::auth::register::{Registration, register_owner};
use parley::auth::sessions::{self, COOKIE_NAME};
use parley::cloud::CloudClient;
use parley::domain::channel::ChannelForm;
use parley::domain::{Actor, BuiltInRole, ChannelId, OrganizationId, RoleId, TeamId, UserId};
use parley::secrets::SecretKey;
use parley::mail::Mailer;
use parley::team::{members, roles, teams};
use parley_app::context::AppState;
use parley_server::http::{ServerState, own_routes, router};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::collections::BTreeMap;
use tower::ServiceExt;

const ORIGIN: &str = "http://parley.test";
const PASSWORD: &str = "a long enough password";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\nbeta-logo-bytes";

fn app_state(pool: &PgPool) -> AppState {
    AppState {
        pool: pool.clone(),
        mailer: Mailer::DevMailbox,
        public_url: ORIGIN.into(),
        secure_cookies: false,
        secrets: secret_key(),
        cloud: CloudClient::new(),
        media: media_storage(),
    }
}

/// A media directory of its own for this test.
fn media_storage() -> parley::media::MediaStorage {
    let dir = std::env::temp_dir().join(format!("parley-test-media-{}", uuid::Uuid::now_v7()));
    parley::media::MediaStorage::directory(&dir).expect("a temporary media directory")
}

fn secret_key() -> SecretKey {
    SecretKey::parse_hex(&"11".repeat(32)).expect("a valid test key")
}

/// What organization B holds, and the strings that must never reach A.
struct TenantB {
    organization: OrganizationId,
    owner: UserId,
    agent: UserId,
    role: RoleId,
    team: TeamId,
    channel: ChannelId,
    conversation: uuid::Uuid,
    message: uuid::Uuid,
    quick_reply: uuid::Uuid,
    contact: uuid::Uuid,
    note: uuid::Uuid,
    secrets: Vec<&'static str>,
}

async fn owner(pool: &PgPool, name: &str, email: &str, organization: &str) -> (Actor, String) {
    let token = register_owner(pool, Registration { name, email, password: PASSWORD, organization_name: organization })
        .await
        .expect("register");
    let actor = sessions::resolve(pool, &token.0).await.unwrap().unwrap().actor.unwrap();
    (actor, token.0)
}

async fn furnish_b(pool: &PgPool) -> TenantB {
    let (b, _) = owner(pool, "Bianca Beta", "bianca@beta.example", "Beta Secret Org").await;
    let role = roles::create(pool, &b, "Beta Secret Role", &["contacts.read".to_owned()]).await.unwrap();
    let agent = match members::add(pool, &b, &Mailer::DevMailbox, ORIGIN, members::NewMember {
        name: "Bob Betamember",
        email: "bob@beta.example",
        role,
        credential: members::Credential::Password(PASSWORD),
    })
    .await
    .unwrap()
    {
        members::Added::Created { user_id, .. } | members::Added::ExistingAccount { user_id } => user_id,
    };
    let team = teams::create(pool, &b, "Beta Secret Team").await.unwrap();
    teams::add_member(pool, &b, team, agent).await.unwrap();
    parley::orgs::set_logo(pool, &b, PNG.to_vec()).await.unwrap();
    let channel = parley::channels::create(pool, &secret_key(), &b, &ChannelForm {
        name: "Beta Secret Channel".into(),
        phone_number_id: "990001".into(),
        waba_id: "990002".into(),
        app_secret: "beta-app-secret-value".into(),
        access_token: "beta-access-token-value".into(),
        verify_token: "beta-verify-token".into(),
        ..ChannelForm::default()
    })
    .await
    .unwrap()
    .channel
    .id;
    TenantB {
        organization: b.organization_id,
        owner: b.user_id,
        agent,
        role,
        team,
        channel,
        conversation: uuid::Uuid::nil(),
        message: uuid::Uuid::nil(),
        quick_reply: uuid::Uuid::nil(),
        contact: uuid::Uuid::nil(),
        note: uuid::Uuid::nil(),
        secrets: vec!["Beta Secret Customer", "beta secret message", "Beta Secret", "beta-app-secret-value", "beta-access-token-value", "beta-verify-token", "bianca@beta.example", "bob@beta.example", "Bob Betamember", "beta-logo-bytes", "Beta Secret Prices.pdf"],
    }
}

/// A customer of B writing to B's channel (as the webhook worker would have stored it).
async fn furnish_b_conversation(admin: &PgPool, b: &TenantB) -> (uuid::Uuid, uuid::Uuid) {
    let (contact, conversation, message) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    sqlx::query("INSERT INTO contacts (id, organization_id, wa_id, profile_name) VALUES ($1, $2, '4915199990000', 'Beta Secret Customer')")
        .bind(contact)
        .bind(b.organization)
        .execute(admin)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO conversations (id, organization_id, contact_id, channel_id, last_message_at, last_inbound_at)
         VALUES ($1, $2, $3, $4, now(), now())",
    )
    .bind(conversation)
    .bind(b.organization)
    .bind(contact)
    .bind(b.channel)
    .execute(admin)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO messages (id, organization_id, conversation_id, channel_id, wamid, direction, kind, body, content, status)
         VALUES ($1, $2, $3, $4, 'wamid.beta', 'inbound', 'text', 'beta secret message', '{}', 'received')",
    )
    .bind(message)
    .bind(b.organization)
    .bind(conversation)
    .bind(b.channel)
    .execute(admin)
    .await
    .unwrap();
    // The notification shares the message's id, so the walk's ids stay B's.
    sqlx::query(
        "INSERT INTO notifications (id, organization_id, user_id, kind, conversation_id)
         VALUES ($1, $2, $3, 'message', $4)",
    )
    .bind(message)
    .bind(b.organization)
    .bind(b.owner)
    .bind(conversation)
    .execute(admin)
    .await
    .unwrap();
    // A stored file of B's, sharing the message's id too; its key leads nowhere, so a leak across
    // organizations would fail loudly rather than serve it. An upload of B's owner that no message
    // carries: B may delete it, A must not.
    sqlx::query(
        "INSERT INTO media (id, organization_id, channel_id, meta_media_id, mime_type, filename, storage_key, download_state,
             uploaded_by)
         VALUES ($1, $2, $3, 'beta-media', 'application/pdf', 'Beta Secret Prices.pdf', 'nowhere', 'stored', $4)",
    )
    .bind(message)
    .bind(b.organization)
    .bind(b.channel)
    .bind(b.owner)
    .execute(admin)
    .await
    .unwrap();
    sqlx::query("INSERT INTO message_stars (organization_id, user_id, message_id) VALUES ($1, $2, $3)")
        .bind(b.organization)
        .bind(b.owner)
        .bind(message)
        .execute(admin)
        .await
        .unwrap();
    (conversation, message)
}

/// B's quick reply, restricted to B's channel.
async fn furnish_b_quick_reply(admin: &PgPool, b: &TenantB) -> uuid::Uuid {
    let id = uuid::Uuid::now_v7();
    sqlx::query(
        "INSERT INTO quick_replies (id, organization_id, shortcut, text, channel_id) VALUES ($1, $2, 'beta', 'Beta Secret reply', $3)",
    )
    .bind(id)
    .bind(b.organization)
    .bind(b.channel)
    .execute(admin)
    .await
    .unwrap();
    id
}

/// The contact of B's conversation, and a note about them: (contact, note).
async fn furnish_b_contact_note(admin: &PgPool, b: &TenantB) -> (uuid::Uuid, uuid::Uuid) {
    let note = uuid::Uuid::now_v7();
    let contact: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO contact_notes (id, organization_id, contact_id, author_user_id, body)
         SELECT $1, organization_id, contact_id, $3, 'Beta Secret note' FROM conversations WHERE id = $2
         RETURNING contact_id",
    )
    .bind(note)
    .bind(b.conversation)
    .bind(b.owner)
    .fetch_one(admin)
    .await
    .unwrap();
    (contact, note)
}

/// B's rows, as the superuser sees them, in a stable text form.
async fn snapshot(admin: &PgPool, b: &TenantB) -> Vec<String> {
    let mut rows = Vec::new();
    for (table, column) in [
        ("organizations", "id"),
        ("organization_logos", "organization_id"),
        ("roles", "organization_id"),
        ("memberships", "organization_id"),
        ("teams", "organization_id"),
        ("team_members", "organization_id"),
        ("channels", "organization_id"),
        ("contacts", "organization_id"),
        ("conversations", "organization_id"),
        ("messages", "organization_id"),
        ("outbound_queue", "organization_id"),
        ("notifications", "organization_id"),
        ("conversation_transfers", "organization_id"),
        ("conversation_reads", "organization_id"),
        ("message_stars", "organization_id"),
        ("quick_replies", "organization_id"),
        ("contact_notes", "organization_id"),
        ("templates", "organization_id"),
        ("media", "organization_id"),
        ("media_uploads", "organization_id"),
    ] {
        let sql = format!("SELECT row_to_json(t)::text FROM {table} t WHERE {column} = $1 ORDER BY 1");
        rows.extend(sqlx::query_scalar::<_, String>(&sql).bind(b.organization).fetch_all(admin).await.unwrap());
    }
    let people = "SELECT row_to_json(u)::text FROM users u WHERE id = ANY($1) ORDER BY 1";
    rows.extend(
        sqlx::query_scalar::<_, String>(people)
            .bind(vec![b.owner.0, b.agent.0])
            .fetch_all(admin)
            .await
            .unwrap(),
    );
    rows
}

/// The calls the walk makes to each server function, as url-encoded bodies aimed at B's data.
/// A server function missing here fails the test: every new one must say how it is walked.
fn calls(b: &TenantB) -> BTreeMap<&'static str, Vec<String>> {
    let (org, role, team, agent, owner, channel) = (b.organization, b.role, b.team, b.agent, b.owner, b.channel);
    let conversation = b.conversation;
    BTreeMap::from([
        ("current_session", vec![String::new()]),
        ("switch_organization", vec![format!("organization={org}")]),
        ("create_organization", vec!["name=Another+Org+of+A".into()]),
        ("login", vec!["email=bianca%40beta.example&password=wrong+password&agent=false".into()]),
        ("register", vec!["name=X&email=x%40x.example&password=short&organization_name=Y".into()]),
        ("request_password_reset", vec!["email=not-a-user%40nowhere.example".into()]),
        ("describe_account_link", vec!["token=not-a-token".into()]),
        ("set_password_with_link", vec!["token=not-a-token&password=a+long+enough+password".into()]),
        ("update_profile", vec!["name=Ana+Alpha&language=en&notification_sound=true".into()]),
        ("change_password", vec!["current_password=wrong&new_password=another+long+password".into()]),
        ("get_organization_settings", vec![String::new()]),
        ("save_organization_settings", vec!["name=Alpha+Org&description=&website_url=".into()]),
        ("upload_organization_logo", vec!["bytes_base64=iVBORw0KGgoAAAA%3D".into()]),
        ("remove_organization_logo", vec![String::new()]),
        ("list_members", vec![String::new()]),
        (
            "add_member",
            vec![format!("name=Spy&email=spy%40alpha.example&role={role}&invite=false&password=a+long+enough+password")],
        ),
        ("update_member", vec![format!("user={agent}&name=Renamed&role={role}"), format!("user={owner}&name=Renamed&role={role}")]),
        ("set_member_active", vec![format!("user={agent}&active=false"), format!("user={owner}&active=false")]),
        ("remove_member", vec![format!("user={agent}"), format!("user={owner}")]),
        ("list_roles", vec![String::new()]),
        ("create_role", vec!["name=Alpha+Role&permissions[0]=contacts.read".into()]),
        ("update_role", vec![format!("role={role}&name=Hijacked&permissions[0]=team.manage")]),
        ("delete_role", vec![format!("role={role}")]),
        ("list_teams", vec![String::new()]),
        ("create_team", vec!["name=Alpha+Team".into()]),
        ("rename_team", vec![format!("team={team}&name=Hijacked")]),
        ("delete_team", vec![format!("team={team}")]),
        ("add_team_member", vec![format!("team={team}&user={agent}")]),
        ("remove_team_member", vec![format!("team={team}&user={agent}")]),
        ("list_dev_mail", vec![String::new()]),
        ("list_channels", vec![String::new()]),
        ("add_channel", vec!["name=Alpha+Channel".into()]),
        ("save_channel", vec![format!("channel={channel}&name=Hijacked&verify_token=hijacked-token")]),
        ("validate_channel", vec![format!("channel={channel}")]),
        ("subscribe_channel", vec![format!("channel={channel}")]),
        ("unsubscribe_channel", vec![format!("channel={channel}")]),
        (
            "list_conversations",
            vec!["filter=all&search=beta".into(), "filter=all".into(), format!("filter=all&team={team}&channel={channel}")],
        ),
        ("list_inbox_choices", vec![String::new()]),
        (
            "transfer_conversation",
            vec![
                format!("conversation={conversation}&to=person%3A{agent}&note=hijacked"),
                format!("conversation={conversation}&to=team%3A{team}"),
            ],
        ),
        ("get_thread", vec![format!("conversation={conversation}")]),
        ("send_reply", vec![format!("conversation={conversation}&text=hijacked")]),
        ("send_attachment", vec![format!("conversation={conversation}&file={}&caption=hijacked", b.message)]),
        ("list_stored_files", vec![String::new()]),
        ("delete_stored_file", vec![format!("file={}", b.message)]),
        ("retry_reply", vec![format!("message={}", b.message)]),
        ("mark_conversation_read", vec![format!("conversation={conversation}")]),
        ("assign_conversation", vec![format!("conversation={conversation}&take=true")]),
        ("set_conversation_status", vec![format!("conversation={conversation}&status=resolved")]),
        ("list_notifications", vec![String::new()]),
        ("unread_notifications", vec![String::new()]),
        ("read_notification", vec![format!("notification={}", b.message)]),
        ("read_all_notifications", vec![String::new()]),
        ("set_bot_enabled", vec![format!("conversation={conversation}&enabled=false")]),
        ("react_to_message", vec![format!("message={}&emoji=%F0%9F%91%8D", b.message)]),
        ("star_message", vec![format!("message={}&starred=true", b.message), format!("message={}&starred=false", b.message)]),
        ("list_starred", vec![String::new(), format!("channel={channel}")]),
        ("list_quick_replies", vec!["search=beta".into(), "search=".into()]),
        ("quick_reply_channels", vec![String::new()]),
        (
            "save_quick_reply",
            vec![
                format!("id={}&shortcut=hijack&text=hijacked&channel=", b.quick_reply),
                format!("shortcut=mine&text=mine&channel={channel}"),
            ],
        ),
        ("delete_quick_reply", vec![format!("id={}", b.quick_reply)]),
        ("conversation_quick_replies", vec![format!("conversation={conversation}")]),
        ("get_contact", vec![format!("conversation={conversation}")]),
        ("rename_contact", vec![format!("contact={}&name=Hijacked", b.contact)]),
        ("add_contact_tag", vec![format!("contact={}&tag=hijacked", b.contact)]),
        ("remove_contact_tag", vec![format!("contact={}&tag=vip", b.contact)]),
        ("set_contact_field", vec![format!("contact={}&key=Plan&value=Hijacked", b.contact)]),
        ("remove_contact_field", vec![format!("contact={}&key=Plan", b.contact)]),
        ("set_contact_opt_in", vec![format!("contact={}&status=opted_out&source=", b.contact)]),
        ("add_contact_note", vec![format!("contact={}&body=hijacked", b.contact)]),
        ("delete_contact_note", vec![format!("note={}", b.note)]),
        ("get_template_picker", vec![format!("conversation={conversation}")]),
        ("send_template", vec![format!("conversation={conversation}&name=welcome&language=en&values[0]=hijacked")]),
        ("refresh_channel_templates", vec![format!("channel={channel}")]),
        // Last: it ends the session the walk uses (each call gets a fresh one anyway).
        ("logout", vec![String::new()]),
    ])
}

/// "/api/list_members12345" → "list_members".
fn server_fn_name(path: &str) -> &str {
    path.trim_start_matches("/api/").trim_end_matches(|c: char| c.is_ascii_digit())
}

async fn send(app: &axum::Router, method: Method, uri: &str, body: String, token: &str) -> (StatusCode, String) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("origin", ORIGIN)
        .header("cookie", format!("{COOKIE_NAME}={token}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(Body::from(body))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[sqlx::test(migrations = false)]
async fn organization_a_can_neither_read_nor_change_organization_b(_: PgPoolOptions, options: PgConnectOptions) {
    parley::db::migrate(options.clone()).await.unwrap();
    let pool = parley::db::connect(options.clone(), 5).await.unwrap();
    let admin = PgPoolOptions::new().max_connections(1).connect_with(options).await.unwrap();
    // The instance's operator first, so neither tenant reads the dev mailbox.
    owner(&pool, "Opal Operator", "opal@operator.example", "Operator").await;
    let mut b = furnish_b(&pool).await;
    (b.conversation, b.message) = furnish_b_conversation(&admin, &b).await;
    b.quick_reply = furnish_b_quick_reply(&admin, &b).await;
    (b.contact, b.note) = furnish_b_contact_note(&admin, &b).await;
    let (a, _) = owner(&pool, "Ana Alpha", "ana@alpha.example", "Alpha Org").await;
    let before = snapshot(&admin, &b).await;

    let state = ServerState {
        app: app_state(&pool),
        leptos: LeptosOptions::builder().output_name("parley").build(),
        metrics: Default::default(),
    };
    let app = router(state, ORIGIN.into());
    let calls = calls(&b);

    let mut walked = 0;
    let mut paths: Vec<_> = server_fn::axum::server_fn_paths().collect();
    paths.sort_by_key(|(path, _)| server_fn_name(path) == "logout");
    for (path, method) in paths {
        let name = server_fn_name(path);
        let bodies = calls.get(name).unwrap_or_else(|| {
            panic!("server function {name} ({path}) is not walked: add it to `calls` with B's ids")
        });
        for body in bodies {
            let token = sessions::start(&pool, a.user_id, Some(a.organization_id)).await.unwrap().0;
            let (status, text) = send(&app, method.clone(), path, body.clone(), &token).await;
            for secret in &b.secrets {
                assert!(!text.contains(secret), "{name}({body}) leaked {secret:?}: {status} {text}");
            }
            let touches_b = body.contains(&b.role.to_string())
                || body.contains(&b.team.to_string())
                || body.contains(&b.agent.to_string())
                || body.contains(&b.owner.to_string())
                || body.contains(&b.organization.to_string())
                || body.contains(&b.channel.to_string())
                || body.contains(&b.conversation.to_string())
                || body.contains(&b.message.to_string())
                || body.contains(&b.quick_reply.to_string())
                || body.contains(&b.contact.to_string())
                || body.contains(&b.note.to_string());
            if touches_b {
                assert!(!status.is_success(), "{name}({body}) succeeded on B's ids: {status} {text}");
                assert!(
                    text.contains("NotFound") || text.contains("\"Invalid\""),
                    "{name}({body}) must answer as for a missing id, got {status} {text}"
                );
            }
            walked += 1;
        }
    }
    assert!(walked >= calls.len(), "walked {walked} calls");

    let token = sessions::start(&pool, a.user_id, Some(a.organization_id)).await.unwrap().0;
    for (path, _) in own_routes() {
        let uri = path
            .replace("{organization}", &b.organization.to_string())
            .replace("{message}", &b.message.to_string())
            .replace("{file}", &b.message.to_string());
        let (status, text) = send(&app, Method::GET, &uri, String::new(), &token).await;
        for secret in &b.secrets {
            assert!(!text.contains(secret), "GET {uri} leaked {secret:?}");
        }
        if uri != path {
            assert_eq!(status, StatusCode::NOT_FOUND, "GET {uri} with B's id");
        }
    }

    // An upload into B's conversation is refused as if it did not exist.
    let boundary = "walk-boundary";
    let body = format!(
        "--{boundary}\r\ncontent-disposition: form-data; name=\"conversation\"\r\n\r\n{}\r\n\
         --{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\ncontent-type: application/pdf\r\n\r\n%PDF-1.4\r\n\
         --{boundary}--\r\n",
        b.conversation
    );
    let request = Request::builder()
        .method(Method::POST)
        .uri("/media/uploads")
        .header("origin", ORIGIN)
        .header("cookie", format!("{COOKIE_NAME}={token}"))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND, "an upload into B's conversation");

    assert_eq!(before, snapshot(&admin, &b).await, "organization B's rows changed");
}

#[sqlx::test(migrations = false)]
async fn state_changing_requests_from_other_sites_are_refused(_: PgPoolOptions, options: PgConnectOptions) {
    parley::db::migrate(options.clone()).await.unwrap();
    let pool = parley::db::connect(options, 2).await.unwrap();
    let (a, _) = owner(&pool, "Ana Alpha", "ana@alpha.example", "Alpha Org").await;
    let token = sessions::start(&pool, a.user_id, Some(a.organization_id)).await.unwrap().0;
    let state = ServerState {
        app: app_state(&pool),
        leptos: LeptosOptions::builder().output_name("parley").build(),
        metrics: Default::default(),
    };
    let app = router(state, ORIGIN.into());
    let path = server_fn::axum::server_fn_paths()
        .map(|(p, _)| p)
        .find(|p| server_fn_name(p) == "create_team")
        .unwrap();
    for origin in [Some("https://evil.example"), None] {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header("cookie", format!("{COOKIE_NAME}={token}"))
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let response = app.clone().oneshot(request.body(Body::from("name=Forged")).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "origin {origin:?}");
    }
    let teams: i64 = sqlx::query_scalar("SELECT count(*) FROM teams").fetch_one(&pool).await.unwrap();
    assert_eq!(teams, 0, "no forged team was created");
    let forged_upload = Request::builder()
        .method(Method::POST)
        .uri("/media/uploads")
        .header("cookie", format!("{COOKIE_NAME}={token}"))
        .header("origin", "https://evil.example")
        .header("content-type", "multipart/form-data; boundary=x")
        .body(Body::from("--x--\r\n"))
        .unwrap();
    assert_eq!(app.clone().oneshot(forged_upload).await.unwrap().status(), StatusCode::FORBIDDEN, "a forged upload");
    let _ = BuiltInRole::Owner;
}
