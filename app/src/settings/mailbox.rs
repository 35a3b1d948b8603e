//! `/dev/mailbox`: where mail goes when no SMTP server is configured. Only the people who operate
//! this instance read it (the session's `reads_dev_mailbox`): it holds every mail the instance
//! would have sent, invites and password resets included.

use crate::error::AppError;
use crate::session::use_current_user;
use crate::shell::NoAccess;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailRow {
    pub to: String,
    pub subject: String,
    pub body: String,
    /// "2025-01-31 14:05 UTC"
    pub sent_at: String,
}

#[component]
pub fn DevMailboxPage() -> impl IntoView {
    let user = use_current_user();
    let allowed = move || user.with(|u| u.reads_dev_mailbox);
    view! {
        <Show when=allowed fallback=|| view! { <NoAccess /> }>
            <Mailbox />
        </Show>
    }
}

#[component]
fn Mailbox() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let mails = Resource::new(move || version.get(), |_| list_dev_mail());
    view! {
        <section class="page">
            <div class="page-header">
                <h1>"Dev mailbox"</h1>
                <p class="muted">
                    "This Parley has no email server configured, so every mail it sends (invites, password resets) lands here instead. Newest first."
                </p>
                <div class="toolbar">
                    <button type="button" class="button" on:click=move |_| version.update(|v| *v += 1)>"Refresh"</button>
                </div>
            </div>
            <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading mail…"</p> }>
                {move || mails.get().map(|result| match result {
                    Err(err) => view! { <div class="alert alert-error" role="alert">{err.to_string()}</div> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <div class="card"><p class="muted">"No mail yet"</p></div>
                    }.into_any(),
                    Ok(list) => view! {
                        <div class="mail-list">
                            {list.into_iter().map(|mail| view! {
                                <article class="card mail">
                                    <h2 class="mail-subject">{mail.subject}</h2>
                                    <p class="muted small">"To " {mail.to} " · " <time>{mail.sent_at}</time></p>
                                    <pre class="mail-body">{linkify(&mail.body)}</pre>
                                </article>
                            }).collect_view()}
                        </div>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

/// The body as text, with its http(s) addresses made into links.
fn linkify(body: &str) -> Vec<AnyView> {
    let mut parts = Vec::new();
    let mut rest = body;
    while let Some(start) = ["https://", "http://"].iter().filter_map(|scheme| rest.find(scheme)).min() {
        let (before, from) = rest.split_at(start);
        let end = from.find(char::is_whitespace).unwrap_or(from.len());
        // A sentence's full stop or a closing bracket is not part of the address.
        let link = from[..end].trim_end_matches(['.', ',', ';', ':', ')', '>', '"', '\'']);
        if !before.is_empty() {
            parts.push(before.to_owned().into_any());
        }
        parts.push(view! { <a href=link.to_owned()>{link.to_owned()}</a> }.into_any());
        rest = &from[link.len()..];
    }
    if !rest.is_empty() {
        parts.push(rest.to_owned().into_any());
    }
    parts
}

// ---- Server functions ----

/// The instance's dev mailbox; its owners only (the engine refuses anyone else).
#[server]
pub async fn list_dev_mail() -> Result<Vec<MailRow>, AppError> {
    let (state, person, _) = crate::context::signed_in().await?;
    let mails = parley::mail::dev_mailbox(&state.pool, person.user_id).await?;
    Ok(mails
        .into_iter()
        .map(|m| MailRow {
            to: m.to_address,
            subject: m.subject,
            body: m.body,
            sent_at: m.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        })
        .collect())
}
