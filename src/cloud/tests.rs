//! The client against a stand-in for Meta's Graph API: a tiny HTTP/1.1 server on 127.0.0.1 that
//! records what it receives and answers what the test tells it to.

use super::*;
use crate::domain::PhoneNumber;
use crate::domain::cloud::{
    ButtonMessage, ErrorClass, MessageContent, ReplyButton, TemplateLanguage, TemplateMessage, TextMessage,
};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const TOKEN: &str = "EAAG-test-token-0123456789";

#[derive(Debug, Clone)]
struct Received {
    method: String,
    /// Path and query, as sent.
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

struct Reply {
    status: u16,
    body: Vec<u8>,
    delay: Duration,
}

fn reply(status: u16, body: Value) -> Reply {
    Reply { status, body: body.to_string().into_bytes(), delay: Duration::ZERO }
}

type Route = dyn Fn(&Received, &str) -> Reply + Send + Sync;

struct FakeMeta {
    base: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl FakeMeta {
    /// `route` gets each request and the server's own `http://host:port` (for absolute links).
    async fn start(route: impl Fn(&Received, &str) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let route: Arc<Route> = Arc::new(route);
        let (log, origin) = (received.clone(), base.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (log, route, origin) = (log.clone(), route.clone(), origin.clone());
                tokio::spawn(async move { serve(stream, log, route, origin).await });
            }
        });
        Self { base, received }
    }

    fn account(&self) -> GraphAccount {
        GraphAccount { base_url: format!("{}/v21.0", self.base), access_token: TOKEN.into() }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

async fn serve(mut stream: TcpStream, log: Arc<Mutex<Vec<Received>>>, route: Arc<Route>, origin: String) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let (method, target) = (request_line.next().unwrap_or_default(), request_line.next().unwrap_or_default());
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length = headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    while buffer.len() < head_end + length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
    let request = Received {
        method: method.to_owned(),
        target: target.to_owned(),
        headers,
        body: buffer[head_end..head_end + length].to_vec(),
    };
    log.lock().unwrap().push(request.clone());
    let answer = route(&request, &origin);
    tokio::time::sleep(answer.delay).await;
    let head = format!(
        "HTTP/1.1 {} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        answer.status,
        answer.body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(&answer.body).await;
    let _ = stream.shutdown().await;
}

fn accepted() -> Reply {
    reply(
        200,
        json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": "4915123456789", "wa_id": "4915123456789"}],
            "messages": [{"id": "wamid.HBgNNDkxNTEyMzQ1Njc4ORUCABEYEjQ", "message_status": "accepted"}]
        }),
    )
}

fn customer() -> PhoneNumber {
    PhoneNumber::parse("+4915123456789").unwrap()
}

#[tokio::test]
async fn sends_text_with_the_bearer_token_and_meta_json() {
    let meta = FakeMeta::start(|_, _| accepted()).await;
    let message = OutboundMessage::new(customer(), MessageContent::Text(TextMessage::new("Hello", false).unwrap()));
    let sent = CloudClient::new().send(&meta.account(), "106540352242922", &message).await.unwrap();
    assert_eq!(sent.wamid, "wamid.HBgNNDkxNTEyMzQ1Njc4ORUCABEYEjQ");
    assert_eq!(sent.wa_id, "4915123456789");
    let [request] = meta.received().try_into().unwrap();
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, "/v21.0/106540352242922/messages");
    assert_eq!(request.header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.json(),
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "4915123456789",
               "type": "text", "text": {"body": "Hello", "preview_url": false}})
    );
}

#[tokio::test]
async fn sends_buttons_templates_and_read_receipts_as_meta_expects() {
    let meta = FakeMeta::start(|request, _| {
        if request.json()["status"] == "read" { reply(200, json!({"success": true})) } else { accepted() }
    })
    .await;
    let client = CloudClient::new();
    let buttons = ButtonMessage::new(None, "Confirm?", None, vec![ReplyButton::new("yes", "Yes").unwrap()]).unwrap();
    let message =
        OutboundMessage::new(customer(), MessageContent::InteractiveButtons(buttons)).replying_to("wamid.IN").unwrap();
    client.send(&meta.account(), "1", &message).await.unwrap();
    let template = TemplateMessage::new(
        crate::domain::cloud::TemplateName::parse("hello_world").unwrap(),
        TemplateLanguage::parse("en_US").unwrap(),
        vec![],
    )
    .unwrap();
    client
        .send(&meta.account(), "1", &OutboundMessage::new(customer(), MessageContent::Template(template)))
        .await
        .unwrap();
    client.mark_read(&meta.account(), "1", "wamid.IN").await.unwrap();

    let received = meta.received();
    assert_eq!(
        received[0].json(),
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "4915123456789",
               "type": "interactive",
               "interactive": {"type": "button", "body": {"text": "Confirm?"},
                               "action": {"buttons": [{"type": "reply", "reply": {"id": "yes", "title": "Yes"}}]}},
               "context": {"message_id": "wamid.IN"}})
    );
    assert_eq!(
        received[1].json(),
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "4915123456789",
               "type": "template", "template": {"name": "hello_world", "language": {"code": "en_US"}}})
    );
    assert_eq!(
        received[2].json(),
        json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN"})
    );
}

fn graph_error(code: i64, message: &str, details: Option<&str>) -> Value {
    let mut error = json!({"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbC123"});
    if let Some(details) = details {
        error["error_data"] = json!({"messaging_product": "whatsapp", "details": details});
    }
    json!({"error": error})
}

#[tokio::test]
async fn maps_meta_errors_by_code_not_by_status() {
    let meta = FakeMeta::start(|request, _| match request.target.split('/').nth(2).unwrap_or_default() {
        "401" => reply(401, graph_error(190, "Error validating access token: Session has expired", None)),
        "400" => {
            reply(400, graph_error(131009, "(#131009) Parameter value is not valid", Some("Button title too long")))
        }
        "429" => reply(
            400,
            graph_error(130429, "(#130429) Rate limit hit", Some("Cloud API message throughput has been reached.")),
        ),
        _ => Reply { status: 502, body: b"<html>Bad gateway</html>".to_vec(), delay: Duration::ZERO },
    })
    .await;
    let client = CloudClient::new();
    let message = OutboundMessage::new(customer(), MessageContent::Text(TextMessage::new("Hi", false).unwrap()));
    let outcome = |id: &'static str| {
        let (client, account, message) = (client.clone(), meta.account(), message.clone());
        async move { client.send(&account, id, &message).await.unwrap_err() }
    };

    let CloudError::Graph(expired) = outcome("401").await else { panic!("expected a Graph error") };
    assert_eq!((expired.code, expired.class()), (190, ErrorClass::Auth));

    let invalid = outcome("400").await;
    let CloudError::Graph(error) = &invalid else { panic!("expected a Graph error") };
    assert_eq!((error.code, error.class()), (131009, ErrorClass::Permanent));
    assert_eq!(
        invalid.to_string(),
        "WhatsApp Cloud API: (#131009) Parameter value is not valid: Button title too long"
    );

    let CloudError::Graph(throttled) = outcome("429").await else { panic!("expected a Graph error") };
    assert_eq!((throttled.code, throttled.class()), (130429, ErrorClass::RetryLater));

    assert_eq!(
        outcome("502").await,
        CloudError::UnexpectedResponse { status: 502, snippet: "<html>Bad gateway</html>".into() }
    );
}

#[tokio::test]
async fn a_slow_answer_is_a_timeout() {
    let meta = FakeMeta::start(|_, _| Reply { delay: Duration::from_secs(3), ..accepted() }).await;
    let client = CloudClient::with_timeouts(Duration::from_secs(1), Duration::from_millis(200));
    let started = Instant::now();
    let message = OutboundMessage::new(customer(), MessageContent::Text(TextMessage::new("Hi", false).unwrap()));
    assert_eq!(client.send(&meta.account(), "1", &message).await, Err(CloudError::Timeout));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn nothing_listening_is_unreachable_and_the_token_never_shows() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let account = GraphAccount { base_url: format!("http://{address}/v21.0"), access_token: TOKEN.into() };
    let error = CloudClient::new().phone_number(&account, "1").await.unwrap_err();
    assert!(matches!(error, CloudError::Unreachable(_)), "{error:?}");
    assert!(!error.to_string().contains(TOKEN));
    assert!(!format!("{account:?}").contains(TOKEN));

    let bad_base = GraphAccount { base_url: "graph.facebook.com".into(), access_token: TOKEN.into() };
    assert!(matches!(CloudClient::new().phone_number(&bad_base, "1").await, Err(CloudError::Unreachable(_))));
    assert!(matches!(CloudClient::new().phone_number(&account, "../1").await, Err(CloudError::Rejected(_))));
}

#[tokio::test]
async fn reads_phone_number_info_and_manages_the_subscription() {
    let meta = FakeMeta::start(|request, _| {
        if request.method == "GET" {
            reply(
                200,
                json!({"verified_name": "Parley Demo", "display_phone_number": "+1 555-010-0000",
                              "quality_rating": "YELLOW", "id": "106540352242922"}),
            )
        } else {
            reply(200, json!({"success": true}))
        }
    })
    .await;
    let (client, account) = (CloudClient::new(), meta.account());
    let info = client.phone_number(&account, "106540352242922").await.unwrap();
    assert_eq!(info.verified_name, "Parley Demo");
    assert_eq!(info.quality_rating, crate::domain::cloud::QualityRating::Yellow);
    client
        .subscribe_app(&account, "102290129340398", Some(("https://parley.example/webhooks/k1", "verify-me-please")))
        .await
        .unwrap();
    client.subscribe_app(&account, "102290129340398", None).await.unwrap();
    client.unsubscribe_app(&account, "102290129340398").await.unwrap();

    let received = meta.received();
    assert!(received[0].target.starts_with("/v21.0/106540352242922?fields="));
    assert_eq!(
        (received[1].method.as_str(), received[1].target.as_str()),
        ("POST", "/v21.0/102290129340398/subscribed_apps")
    );
    assert_eq!(
        received[1].json(),
        json!({"override_callback_uri": "https://parley.example/webhooks/k1", "verify_token": "verify-me-please"})
    );
    assert!(received[2].body.is_empty());
    assert_eq!(
        (received[3].method.as_str(), received[3].target.as_str()),
        ("DELETE", "/v21.0/102290129340398/subscribed_apps")
    );
}

#[tokio::test]
async fn uploads_inspects_downloads_and_deletes_media() {
    let meta = FakeMeta::start(|request, origin| match (request.method.as_str(), request.target.as_str()) {
        ("POST", "/v21.0/1/media") => reply(200, json!({"id": "1013859600285441"})),
        ("GET", "/v21.0/1013859600285441") => reply(200, json!({
            "messaging_product": "whatsapp", "url": format!("{origin}/whatsapp_business/attachments/?mid=1013859600285441&hash=x"),
            "mime_type": "image/png", "sha256": "e3b0c44298fc1c149afbf4c8996fb924", "file_size": "8", "id": "1013859600285441"
        })),
        ("GET", target) if target.starts_with("/whatsapp_business/attachments/") => {
            Reply { status: 200, body: b"\x89PNG\r\n\x1a\n".to_vec(), delay: Duration::ZERO }
        }
        ("DELETE", "/v21.0/1013859600285441") => reply(200, json!({"success": true})),
        _ => reply(404, graph_error(100, "Unsupported request", None)),
    })
    .await;
    let (client, account) = (CloudClient::new(), meta.account());
    let png = Bytes::from_static(b"\x89PNG\r\n\x1a\n");
    let id = client.upload_media(&account, "1", "image/png", "logo.png", png.clone()).await.unwrap();
    assert_eq!(id, "1013859600285441");
    let info = client.media_info(&account, &id).await.unwrap();
    assert_eq!(info.file_size, 8);
    assert_eq!(client.download_media(&account, &info).await.unwrap(), png);
    client.delete_media(&account, &id).await.unwrap();

    let received = meta.received();
    let upload = &received[0];
    assert!(upload.header("content-type").unwrap().starts_with("multipart/form-data; boundary="));
    let form = String::from_utf8_lossy(&upload.body);
    assert!(form.contains("name=\"messaging_product\"\r\n\r\nwhatsapp\r\n"), "{form}");
    assert!(form.contains("name=\"type\"\r\n\r\nimage/png\r\n"), "{form}");
    assert!(
        form.contains("name=\"file\"; filename=\"logo.png\"\r\nContent-Type: image/png\r\n\r\n\u{fffd}PNG"),
        "{form}"
    );
    let download = &received[2];
    assert_eq!(download.header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));

    let small = CloudClient::new().with_max_download_bytes(4);
    assert!(matches!(small.download_media(&account, &info).await, Err(CloudError::UnexpectedResponse { .. })));
    let lying = MediaInfo { file_size: 2, ..info };
    assert!(matches!(small.download_media(&account, &lying).await, Err(CloudError::UnexpectedResponse { .. })));

    let refused = client.upload_media(&account, "1", "image/gif", "a.gif", Bytes::from_static(b"GIF89a")).await;
    assert!(matches!(refused, Err(CloudError::Rejected(_))));
    assert_eq!(meta.received().len(), 5, "nothing uploaded for a refused file");
}

fn template(name: &str) -> Value {
    json!({"name": name, "language": "en_US", "status": "APPROVED", "category": "UTILITY", "id": format!("id-{name}"),
           "components": [{"type": "BODY", "text": "Hello {{1}}"}]})
}

#[tokio::test]
async fn lists_templates_across_pages() {
    let meta = FakeMeta::start(|request, origin| {
        if request.target.contains("after=page2") {
            reply(200, json!({"data": [template("c")], "paging": {"cursors": {"before": "x", "after": "y"}}}))
        } else {
            reply(200, json!({
                "data": [template("a"), template("b")],
                "paging": {"cursors": {"before": "p", "after": "page2"},
                           "next": format!("{origin}/v21.0/102290129340398/message_templates?limit=100&after=page2")}
            }))
        }
    })
    .await;
    let templates = CloudClient::new().list_templates(&meta.account(), "102290129340398").await.unwrap();
    assert_eq!(templates.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["a", "b", "c"]);
    let received = meta.received();
    assert_eq!(received[0].target, "/v21.0/102290129340398/message_templates?limit=100");
    assert!(received.iter().all(|r| r.header("authorization") == Some(&format!("Bearer {TOKEN}"))));
}

#[tokio::test]
async fn never_follows_a_next_page_to_another_host() {
    let meta = FakeMeta::start(|_, _| {
        reply(
            200,
            json!({"data": [template("a")], "paging": {"next": "https://elsewhere.example/v21.0/1/message_templates"}}),
        )
    })
    .await;
    let outcome = CloudClient::new().list_templates(&meta.account(), "1").await;
    assert!(matches!(outcome, Err(CloudError::UnexpectedResponse { .. })), "{outcome:?}");
    assert_eq!(meta.received().len(), 1);
}

#[tokio::test]
async fn creates_and_deletes_templates() {
    use crate::domain::cloud::template::TemplateSection;
    use crate::domain::cloud::{TemplateCategory, TemplateStatus};
    let meta = FakeMeta::start(|request, _| match request.method.as_str() {
        "POST" => reply(200, json!({"id": "572279198452421", "status": "PENDING", "category": "UTILITY"})),
        _ => reply(200, json!({"success": true})),
    })
    .await;
    let (client, account) = (CloudClient::new(), meta.account());
    let new = NewTemplate::new(
        TemplateName::parse("order_shipped").unwrap(),
        TemplateLanguage::parse("en_US").unwrap(),
        TemplateCategory::Utility,
        vec![TemplateSection::Body { text: "Your order has shipped.".into(), example: None }],
    )
    .unwrap();
    let created = client.create_template(&account, "7", &new).await.unwrap();
    assert_eq!(created.status, TemplateStatus::Pending);
    client.delete_template(&account, "7", "order_shipped", None).await.unwrap();
    client.delete_template(&account, "7", "order_shipped", Some("572279198452421")).await.unwrap();
    assert!(matches!(client.delete_template(&account, "7", "Bad Name", None).await, Err(CloudError::Rejected(_))));

    let received = meta.received();
    assert_eq!(received[0].target, "/v21.0/7/message_templates");
    assert_eq!(received[0].json(), serde_json::to_value(&new).unwrap());
    assert_eq!(received[1].target, "/v21.0/7/message_templates?name=order_shipped");
    assert_eq!(received[2].target, "/v21.0/7/message_templates?name=order_shipped&hsm_id=572279198452421");
    assert_eq!(received.len(), 3);
}
