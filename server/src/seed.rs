//! The demo organization a fresh install starts with: an owner and an agent whose logins `run`
//! prints, and a WhatsApp channel connected to the embedded Cloud API sandbox, with approved
//! templates. Idempotent: an existing demo owner is left as it is.

use parley::auth::register::{Registration, register_owner};
use parley::auth::{sessions, token};
use parley::channels;
use parley::cloud::{CloudError, GraphAccount};
use parley::domain::cloud::template::{HeaderFormat, NamedExample, TemplateButton, TemplateExample, TemplateSection};
use parley::domain::cloud::{NewTemplate, TemplateCategory, TemplateLanguage, TemplateName};
use parley::templates;
use parley::domain::channel::{ChannelForm, ChannelStatus};
use parley::domain::{Actor, BuiltInRole, ChannelId, UserId};
use parley::mail::Mailer;
use parley::team::{members, roles, teams};
use parley_app::context::AppState;
use sqlx::PgPool;

pub struct DemoLogin {
    pub role: &'static str,
    pub email: &'static str,
    pub password: &'static str,
}

pub const DEMO_ORGANIZATION: &str = "Demo Company";
pub const DEMO_OWNER: DemoLogin = DemoLogin { role: "Owner", email: "owner@demo.parley.test", password: "parley-demo-owner" };
pub const DEMO_AGENT: DemoLogin = DemoLogin { role: "Agent", email: "agent@demo.parley.test", password: "parley-demo-agent" };

/// Creates the demo organization unless its owner exists. Returns whether it created anything.
pub async fn demo(pool: &PgPool, public_url: &str) -> parley::Result<bool> {
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE email = $1)")
        .bind(DEMO_OWNER.email)
        .fetch_one(pool)
        .await?;
    if exists {
        return Ok(false);
    }
    let token = register_owner(pool, Registration {
        name: "Olivia Owner",
        email: DEMO_OWNER.email,
        password: DEMO_OWNER.password,
        organization_name: DEMO_ORGANIZATION,
    })
    .await?;
    let owner = sessions::resolve(pool, &token.0).await?.ok_or(parley::Error::Unauthenticated)?;
    sessions::end(pool, &token.0).await?;
    let actor = owner.actor()?;
    let agent_role = roles::list(pool, actor)
        .await?
        .into_iter()
        .find(|r| r.built_in == Some(BuiltInRole::Agent))
        .ok_or_else(|| parley::Error::Internal("new organization has no Agent role".into()))?;
    let agent = match members::add(pool, actor, &Mailer::DevMailbox, public_url, members::NewMember {
        name: "Andre Agent",
        email: DEMO_AGENT.email,
        role: agent_role.id,
        credential: members::Credential::Password(DEMO_AGENT.password),
    })
    .await?
    {
        members::Added::Created { user_id, .. } | members::Added::ExistingAccount { user_id } => user_id,
    };
    // A team to hand conversations to, as support desks are organized.
    let support = teams::create(pool, actor, "Support").await?;
    teams::add_member(pool, actor, support, agent).await?;
    Ok(true)
}

/// The demo organization's WhatsApp number, as the embedded Cloud API sandbox knows it.
pub const DEMO_CHANNEL: &str = "Demo Company WhatsApp";
const DEMO_PHONE_NUMBER_ID: &str = "109876543210001";
const DEMO_WABA_ID: &str = "209876543210001";
const DEMO_APP_ID: &str = "309876543210001";
const DEMO_DISPLAY_NUMBER: &str = "+1 555-010-0001";

#[derive(Debug, thiserror::Error)]
pub enum DemoChannelError {
    #[error("{0}")]
    Engine(#[from] parley::Error),
    #[error("the sandbox refused the demo business: {0}")]
    Sandbox(String),
    #[error("the demo channel did not validate: {0}")]
    NotGood(String),
}

/// Connects the demo organization to the sandbox at `graph_base_url` (e.g.
/// `http://127.0.0.1:3010/v21.0`): registers the demo business there with fresh credentials,
/// saves them on the demo channel, validates it and subscribes it, exactly as an admin would on
/// the channel settings page. Runs on every start, so a sandbox on another port is picked up.
/// Parley must already be listening: subscribing makes the sandbox call the callback URL.
pub async fn demo_channel(state: &AppState, sandbox_url: &str, graph_base_url: &str) -> Result<(), DemoChannelError> {
    let Some(actor) = demo_owner(&state.pool).await? else { return Ok(()) };
    let app_secret = token::generate();
    let access_token = token::generate();
    let business = serde_json::json!({
        "waba_id": DEMO_WABA_ID,
        "app_id": DEMO_APP_ID,
        "app_secret": app_secret,
        "access_token": access_token,
        "display_phone_number": DEMO_DISPLAY_NUMBER,
        "verified_name": DEMO_ORGANIZATION,
    });
    let response = reqwest::Client::new()
        .put(format!("{sandbox_url}/sandbox/businesses/{DEMO_PHONE_NUMBER_ID}"))
        .json(&business)
        .send()
        .await
        .map_err(|e| DemoChannelError::Sandbox(e.to_string()))?;
    if !response.status().is_success() {
        return Err(DemoChannelError::Sandbox(format!("HTTP {}", response.status())));
    }
    let form = ChannelForm {
        name: DEMO_CHANNEL.into(),
        phone_number_id: DEMO_PHONE_NUMBER_ID.into(),
        waba_id: DEMO_WABA_ID.into(),
        app_id: DEMO_APP_ID.into(),
        app_secret,
        access_token: access_token.clone(),
        verify_token: String::new(),
        graph_api_base_url: graph_base_url.into(),
    };
    let existing = channels::list(&state.pool, &actor).await?.into_iter().find(|c| c.name == DEMO_CHANNEL);
    let id = match existing {
        Some(channel) => {
            let form = ChannelForm { verify_token: channel.verify_token.clone(), ..form };
            channels::update(&state.pool, &state.secrets, &actor, channel.id, &form).await?.id
        }
        None => channels::create(&state.pool, &state.secrets, &actor, &form).await?.channel.id,
    };
    let channel = channels::validate(&state.pool, &state.secrets, &state.cloud, &actor, id).await?;
    if channel.status() != ChannelStatus::Good {
        return Err(DemoChannelError::NotGood(channel.status_message.unwrap_or_default()));
    }
    channels::subscribe(&state.pool, &state.secrets, &state.cloud, &state.public_url, &actor, id).await?;
    let graph = GraphAccount { base_url: graph_base_url.into(), access_token };
    demo_templates(state, &actor, id, &graph).await
}

/// Submits the demo templates the sandbox does not have yet (it approves them a moment later and
/// says so by webhook, which syncs them again), then copies the channel's templates.
async fn demo_templates(state: &AppState, actor: &Actor, channel: ChannelId, graph: &GraphAccount) -> Result<(), DemoChannelError> {
    let sandbox_error = |e: CloudError| DemoChannelError::Sandbox(e.to_string());
    let existing = state.cloud.list_templates(graph, DEMO_WABA_ID).await.map_err(sandbox_error)?;
    for template in demo_template_definitions()? {
        if !existing.iter().any(|t| t.name == template.name().as_str()) {
            state.cloud.create_template(graph, DEMO_WABA_ID, &template).await.map_err(sandbox_error)?;
        }
    }
    templates::refresh(&state.pool, &state.secrets, &state.cloud, actor, channel).await?;
    Ok(())
}

/// An order update (numbered values, a header value), a welcome (a named value the inbox fills in
/// from the contact) and a reminder with quick replies.
fn demo_template_definitions() -> Result<Vec<NewTemplate>, DemoChannelError> {
    let examples = |values: &[&str]| TemplateExample {
        body_text: vec![values.iter().map(|v| (*v).to_owned()).collect()],
        ..Default::default()
    };
    let quick_replies = |texts: &[&str]| TemplateSection::Buttons {
        buttons: texts.iter().map(|t| TemplateButton::QuickReply { text: (*t).to_owned() }).collect(),
    };
    let footer = || TemplateSection::Footer { text: DEMO_ORGANIZATION.into() };
    let order_update = vec![
        TemplateSection::Header {
            format: HeaderFormat::Text,
            text: Some("Order {{1}}".into()),
            example: Some(TemplateExample { header_text: vec!["#1042".into()], ..Default::default() }),
        },
        TemplateSection::Body {
            text: "Hi {{1}}, your order {{2}} is on its way and should arrive on {{3}}.".into(),
            example: Some(examples(&["Zoë", "#1042", "Friday"])),
        },
        footer(),
        quick_replies(&["Thanks!", "Where is it?"]),
    ];
    let welcome = vec![TemplateSection::Body {
        text: "Hello {{first_name}}, welcome to Demo Company! Reply to this message whenever we can help.".into(),
        example: Some(TemplateExample {
            body_text_named_params: vec![NamedExample { param_name: "first_name".into(), example: "Zoë".into() }],
            ..Default::default()
        }),
    }];
    let reminder = vec![
        TemplateSection::Body {
            text: "Reminder: your appointment is on {{1}} at {{2}}. See you then!".into(),
            example: Some(examples(&["Monday 3 March", "10:30"])),
        },
        footer(),
        quick_replies(&["Confirm", "Reschedule"]),
    ];
    [
        ("order_update", "en_US", TemplateCategory::Utility, order_update),
        ("welcome", "en", TemplateCategory::Marketing, welcome),
        ("appointment_reminder", "en_US", TemplateCategory::Utility, reminder),
    ]
    .into_iter()
    .map(|(name, language, category, components)| {
        let name = TemplateName::parse(name).map_err(|e| DemoChannelError::Sandbox(e.to_string()))?;
        let language = TemplateLanguage::parse(language).map_err(|e| DemoChannelError::Sandbox(e.to_string()))?;
        NewTemplate::new(name, language, category, components).map_err(|e| DemoChannelError::Sandbox(e.to_string()))
    })
    .collect()
}

/// The demo owner acting in the demo organization, if the demo was seeded.
async fn demo_owner(pool: &PgPool) -> parley::Result<Option<Actor>> {
    let owner: Option<UserId> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(DEMO_OWNER.email)
        .fetch_optional(pool)
        .await?;
    let Some(owner) = owner else { return Ok(None) };
    let Some(organization) =
        parley::orgs::memberships(pool, owner).await?.into_iter().find(|m| m.name == DEMO_ORGANIZATION)
    else {
        return Ok(None);
    };
    sessions::actor(pool, owner, organization.organization_id).await
}
