//! A message drawn as WhatsApp draws it: formatted text, media, location, contacts, buttons and
//! lists, reactions, replies; and the ticks of an outbound message.

use leptos::prelude::*;
use parley::domain::conversation::{OutboundStatus, Tick};
use parley::domain::inbox::{ThreadMessage, whatsapp_spans};
use serde_json::Value;

/// Pending (clock), ✓ sent, ✓✓ delivered, blue ✓✓ read, red ! failed with Meta's reason.
#[component]
pub(super) fn Ticks(status: String, error: Option<String>) -> impl IntoView {
    let outbound = OutboundStatus::from_key(&status);
    let tick = outbound.map(OutboundStatus::tick);
    let class = match tick {
        Some(Tick::DoubleBlue) => "ticks ticks-read",
        Some(Tick::Alert) => "ticks ticks-failed",
        Some(Tick::Clock) => "ticks ticks-pending",
        _ => "ticks",
    };
    let label = outbound.map(OutboundStatus::label).unwrap_or_default();
    let title = match error {
        Some(reason) => format!("{label}: {reason}"),
        None => label.to_owned(),
    };
    view! {
        <span class=class title=title.clone() aria-label=title data-status=status>{tick.map(Tick::symbol)}</span>
    }
}

/// WhatsApp's *bold* _italic_ ~strike~ ```mono``` as HTML, without ever interpreting the text.
#[component]
pub(super) fn FormattedText(text: String) -> impl IntoView {
    whatsapp_spans(&text)
        .into_iter()
        .map(|span| {
            let mut classes = Vec::new();
            if span.bold {
                classes.push("wa-bold");
            }
            if span.italic {
                classes.push("wa-italic");
            }
            if span.strike {
                classes.push("wa-strike");
            }
            if span.mono {
                classes.push("wa-mono");
            }
            view! { <span class=classes.join(" ")>{span.text}</span> }
        })
        .collect_view()
}

/// A message's file as WhatsApp shows it: the photo, sticker or video itself, a player for a
/// voice note, a document to download; while Parley still fetches a customer's file from
/// WhatsApp, a label.
#[component]
fn MediaFile(message: uuid::Uuid, kind: String, state: Option<String>, filename: Option<String>) -> impl IntoView {
    let label = match kind.as_str() {
        "image" => "📷 Photo",
        "video" => "🎥 Video",
        "audio" => "🎤 Audio",
        "document" => "📄 Document",
        _ => "Sticker",
    };
    let src = format!("/media/messages/{message}");
    let full_size = src.clone();
    match state.as_deref() {
        Some("stored") => match kind.as_str() {
            "image" | "sticker" => view! {
                <a class="bubble-file" href=full_size target="_blank" rel="noopener" aria-label=format!("{label}: open full size")>
                    <img class=format!("bubble-{kind}") src=src loading="lazy" alt=label />
                </a>
            }
            .into_any(),
            "video" => view! { <video class="bubble-video" src=src controls preload="metadata" aria-label=label></video> }.into_any(),
            "audio" => view! { <audio class="bubble-audio" src=src controls preload="metadata" aria-label=label></audio> }.into_any(),
            _ => {
                let name = filename.unwrap_or_else(|| "Document".to_owned());
                view! {
                    <p class="bubble-media bubble-document">
                        "📄 " {name.clone()} " "
                        <a href=src download=name>"Download"</a>
                    </p>
                }
                .into_any()
            }
        },
        Some("failed") => view! { <p class="bubble-media">{label} " · could not be fetched from WhatsApp"</p> }.into_any(),
        _ => view! { <p class="bubble-media" aria-busy="true">{label} " · loading…"</p> }.into_any(),
    }
}

fn str_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(value, |v, key| v.get(key)).and_then(Value::as_str)
}

/// The body of one bubble, by kind.
#[component]
pub(super) fn MessageContent(message: ThreadMessage) -> impl IntoView {
    let content: Value = serde_json::from_str(&message.content).unwrap_or(Value::Null);
    let body = message.body.clone();
    match message.kind.as_str() {
        "image" | "video" | "audio" | "document" | "sticker" => {
            let kind = message.kind.clone();
            let filename = str_at(&content, &[&kind, "filename"]).map(str::to_owned);
            let caption = (kind != "document" || filename.as_deref() != Some(body.as_str())) && !body.is_empty();
            view! {
                <MediaFile message=message.id kind state=message.media_state.clone() filename />
                {caption.then(|| view! { <p><FormattedText text=body /></p> })}
            }
            .into_any()
        }
        "location" => {
            let location = content.get("location").cloned().unwrap_or(Value::Null);
            let lat = location.get("latitude").and_then(Value::as_f64);
            let lon = location.get("longitude").and_then(Value::as_f64);
            let map = lat.zip(lon).map(|(lat, lon)| format!("https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=16/{lat}/{lon}"));
            view! {
                <p class="bubble-media">"📍 " {if body.is_empty() { "Location".to_owned() } else { body }}</p>
                {map.map(|href| view! { <a href=href target="_blank" rel="noopener noreferrer">"Open the map"</a> })}
            }
            .into_any()
        }
        "contacts" => view! { <p class="bubble-media">"👤 " {body}</p> }.into_any(),
        "reaction" => view! { <p class="bubble-reaction">"Reacted " {body}</p> }.into_any(),
        "interactive" if message.is_inbound() => {
            view! { <p><span class="bubble-tag">"Tapped"</span> " " {body}</p> }.into_any()
        }
        "button" => view! { <p><span class="bubble-tag">"Tapped"</span> " " {body}</p> }.into_any(),
        "interactive" => {
            let options: Vec<String> = content
                .pointer("/interactive/action/buttons")
                .and_then(Value::as_array)
                .map(|buttons| buttons.iter().filter_map(|b| str_at(b, &["reply", "title"]).map(str::to_owned)).collect())
                .or_else(|| {
                    content.pointer("/interactive/action/sections").and_then(Value::as_array).map(|sections| {
                        sections
                            .iter()
                            .flat_map(|s| s.get("rows").and_then(Value::as_array).cloned().unwrap_or_default())
                            .filter_map(|r| str_at(&r, &["title"]).map(str::to_owned))
                            .collect()
                    })
                })
                .unwrap_or_default();
            let text = str_at(&content, &["interactive", "body", "text"]).unwrap_or(&body).to_owned();
            view! {
                <p><FormattedText text /></p>
                <ul class="bubble-options">{options.into_iter().map(|o| view! { <li>{o}</li> }).collect_view()}</ul>
            }
            .into_any()
        }
        "template" => {
            let name = str_at(&content, &["template", "name"]).unwrap_or("template").to_owned();
            // Templates sent from the composer are stored as the customer reads them; older ones only by name.
            let rendered = (!body.is_empty() && body != name).then(|| view! { <p><FormattedText text=body /></p> });
            view! {
                <p><span class="bubble-tag">"Template · " {name}</span></p>
                {rendered}
            }
            .into_any()
        }
        "text" => view! { <p><FormattedText text=body /></p> }.into_any(),
        other => view! { <p class="muted">{format!("A {other} message Parley cannot show yet.")}</p> }.into_any(),
    }
}
