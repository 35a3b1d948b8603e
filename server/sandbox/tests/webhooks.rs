//! Webhooks over real HTTP: customer messages, status progression, asynchronous failures,
//! template review, retries and fault injection. The receiver checks every signature.

mod common;

use common::*;
use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

fn statuses_of<'a>(statuses: &'a [Value], wamid: &str) -> Vec<&'a str> {
    statuses.iter().filter(|s| s["id"] == wamid).map(|s| s["status"].as_str().unwrap()).collect()
}

#[sqlx::test(migrations = false)]
async fn customer_message_arrives_signed_and_ascii_escaped(_pool: PgPoolOptions, options: PgConnectOptions) {
    let h = Harness::start(options).await;
    let customer = "4915112345678";
    let wamid = h.customer_says(customer, json!({"type": "text", "text": {"body": "Grüße 👋 a/b"}})).await;
    h.receiver.wait_until("the inbound message", |r| !r.messages().is_empty()).await;
    let hit = &h.receiver.hits()[0];
    let raw = String::from_utf8(hit.raw.to_vec()).unwrap();
    assert!(raw.contains(r"Gr\u00fc\u00dfe \ud83d\udc4b a\/b"), "{raw}");
    assert!(raw.contains(r"Zo\u00eb \ud83d\ude00"), "{raw}");
    assert_eq!(hit.body["object"], "whatsapp_business_account");
    let entry = &hit.body["entry"][0];
    assert_eq!(entry["id"], WABA);
    let value = &entry["changes"][0]["value"];
    assert_eq!(entry["changes"][0]["field"], "messages");
    assert_eq!(value["messaging_product"], "whatsapp");
    assert_eq!(value["metadata"], json!({"display_phone_number": "15550101001", "phone_number_id": PHONE}));
    assert_eq!(value["contacts"][0], json!({"profile": {"name": "Zoë 😀"}, "wa_id": customer}));
    let message = &value["messages"][0];
    assert_eq!(message["from"], customer);
    assert_eq!(message["id"], wamid.as_str());
    assert_eq!(message["type"], "text");
    assert_eq!(message["text"]["body"], "Grüße 👋 a/b");
    assert!(message["timestamp"].as_str().unwrap().parse::<i64>().is_ok());

    // A reply to a button, with context, and a picture (the built-in sample) the business can fetch.
    let button = h
        .customer_says(customer, json!({"type": "interactive", "context": {"id": "wamid.previous"},
            "interactive": {"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes"}}}))
        .await;
    h.customer_says(customer, json!({"type": "image", "image": {"caption": "look"}})).await;
    h.receiver.wait_until("three messages", |r| r.messages().len() == 3).await;
    let messages = h.receiver.messages();
    let reply = messages.iter().find(|m| m["id"] == button.as_str()).unwrap();
    assert_eq!(reply["context"], json!({"from": "15550101001", "id": "wamid.previous"}));
    assert_eq!(reply["interactive"]["button_reply"]["title"], "Yes");
    let image = messages.iter().find(|m| m["type"] == "image").unwrap();
    assert_eq!(image["image"]["mime_type"], "image/png");
    assert_eq!(image["image"]["caption"], "look");
    let (status, info) = h.graph_get(image["image"]["id"].as_str().unwrap(), Some(TOKEN)).await;
    assert_eq!(status, 200);
    assert_eq!(info["sha256"], image["image"]["sha256"]);
    h.sandbox.shutdown().await;
}

#[sqlx::test(migrations = false)]
async fn statuses_progress_and_failures_arrive_asynchronously(_pool: PgPoolOptions, options: PgConnectOptions) {
    let h = Harness::start(options).await;
    let customer = "4915112345678";
    h.customer_says(customer, json!({"type": "text", "text": {"body": "hi"}})).await;
    let (status, reply) = h.send(customer, "text", json!({"body": "Hello!"})).await;
    assert_eq!(status, 200);
    let replied = wamid_of(&reply);

    // Never wrote: outside the 24 h window, a 200 now and a failed status later.
    let (status, cold) = h.send("4915111111111", "text", json!({"body": "Buy now"})).await;
    assert_eq!(status, 200);
    let cold = wamid_of(&cold);
    // Not on WhatsApp: by the documented rule (ends in 0000), and by the control API.
    let unreachable = wamid_of(&h.send("4915100000000", "text", json!({"body": "?"})).await.1);
    let switched_off = "4915122222222";
    h.customer_says(switched_off, json!({"type": "text", "text": {"body": "bye"}})).await;
    let response = h
        .http
        .put(format!("{}/sandbox/customers/{switched_off}", h.base))
        .json(&json!({"on_whatsapp": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let gone = wamid_of(&h.send(switched_off, "text", json!({"body": "?"})).await.1);

    h.receiver
        .wait_until("all statuses", |r| {
            let s = r.statuses();
            statuses_of(&s, &replied).len() == 3 && [&cold, &unreachable, &gone].iter().all(|w| !statuses_of(&s, w).is_empty())
        })
        .await;
    let statuses = h.receiver.statuses();
    assert_eq!(statuses_of(&statuses, &replied), ["sent", "delivered", "read"]);
    let sent = statuses.iter().find(|s| s["id"] == replied.as_str()).unwrap();
    assert_eq!(sent["recipient_id"], customer);
    assert_eq!(sent["pricing"], json!({"billable": false, "pricing_model": "PMP", "type": "free_customer_service", "category": "service"}));
    let failure = |wamid: &str| statuses.iter().find(|s| s["id"] == wamid).unwrap().clone();
    let cold = failure(&cold);
    assert_eq!(cold["status"], "failed");
    assert_eq!(cold["errors"][0]["code"], 131047);
    assert_eq!(cold["errors"][0]["title"], "Re-engagement message");
    assert!(cold["errors"][0]["error_data"]["details"].as_str().unwrap().contains("24 hours"));
    assert_eq!(failure(&unreachable)["errors"][0]["code"], 131026);
    assert_eq!(failure(&gone)["errors"][0]["code"], 131026);

    let chat = h.chat(customer).await;
    assert_eq!(chat[1]["direction"], "outbound");
    assert_eq!(chat[1]["status"], "read");
    assert_eq!(chat[1]["message"]["text"]["body"], "Hello!");
    h.sandbox.shutdown().await;
}

#[sqlx::test(migrations = false)]
async fn faults_duplicate_bodies_and_reorder_statuses(_pool: PgPoolOptions, options: PgConnectOptions) {
    let h = Harness::start(options).await;
    h.config(json!({"faults": {"duplicate_deliveries": 1.0, "out_of_order_statuses": true}})).await;
    let customer = "4915112345678";
    h.customer_says(customer, json!({"type": "text", "text": {"body": "hi"}})).await;
    let wamid = wamid_of(&h.send(customer, "text", json!({"body": "Hello"})).await.1);
    h.receiver.wait_until("duplicated statuses", |r| statuses_of(&r.statuses(), &wamid).len() == 6).await;
    let hits = h.receiver.hits();
    let inbound: Vec<_> = hits.iter().filter(|hit| hit.body["entry"][0]["changes"][0]["value"]["messages"].is_array()).collect();
    assert_eq!(inbound.len(), 2);
    assert_eq!(inbound[0].raw, inbound[1].raw, "a duplicate is the very same body");
    let statuses = h.receiver.statuses();
    let mut order = Vec::new();
    for status in statuses_of(&statuses, &wamid) {
        if !order.contains(&status) {
            order.push(status);
        }
    }
    assert_eq!(order, ["sent", "read", "delivered"]);
    // A late "delivered" does not downgrade what the customer did.
    assert_eq!(h.chat(customer).await[1]["status"], "read");
    h.sandbox.shutdown().await;
}

#[sqlx::test(migrations = false)]
async fn deliveries_are_retried_after_a_receiver_error(_pool: PgPoolOptions, options: PgConnectOptions) {
    let h = Harness::start(options).await;
    h.receiver.answer_next_with(&[500, 503]);
    let wamid = h.customer_says("4915112345678", json!({"type": "text", "text": {"body": "hi"}})).await;
    h.receiver.wait_until("the third attempt", |r| r.hits().len() == 3).await;
    let hits = h.receiver.hits();
    assert!(hits.iter().all(|hit| hit.raw == hits[0].raw));
    assert_eq!(hits[0].body["entry"][0]["changes"][0]["value"]["messages"][0]["id"], wamid.as_str());
    let log: Value = h.http.get(format!("{}/sandbox/webhooks", h.base)).send().await.unwrap().json().await.unwrap();
    let delivery = &log["deliveries"][0];
    assert_eq!(delivery["state"], "delivered");
    assert_eq!(delivery["attempts"], 3);
    assert_eq!(delivery["status_code"], 200);
    assert_eq!(delivery["url"], h.callback_url.as_str());
    h.sandbox.shutdown().await;
}

#[sqlx::test(migrations = false)]
async fn a_receiver_that_answers_too_late_gets_the_body_again(_pool: PgPoolOptions, options: PgConnectOptions) {
    let h = Harness::start(options).await;
    h.config(json!({"faults": {"receiver_timeout_ms": 200}})).await;
    h.receiver.answer_slowly(&[1000]);
    h.customer_says("4915112345678", json!({"type": "text", "text": {"body": "hi"}})).await;
    h.receiver.wait_until("the retry", |r| r.hits().len() == 2).await;
    let hits = h.receiver.hits();
    assert_eq!(hits[0].raw, hits[1].raw);
    let log: Value = h.http.get(format!("{}/sandbox/webhooks", h.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(log["deliveries"][0]["attempts"], 2);
    assert_eq!(log["deliveries"][0]["state"], "delivered");
    h.sandbox.shutdown().await;
}

#[sqlx::test(migrations = false)]
async fn templates_are_reviewed_and_sent_with_their_parameters(_pool: PgPoolOptions, options: PgConnectOptions) {
    let h = Harness::start(options).await;
    let templates = format!("{WABA}/message_templates");
    let good = json!({"name": "order_ready", "language": "en_US", "category": "UTILITY", "components": [
        {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}", "example": {"header_text": ["#1"]}},
        {"type": "BODY", "text": "Hi {{1}}, your order is ready. Total: {{2}}", "example": {"body_text": [["Ann", "€5"]]}},
        {"type": "FOOTER", "text": "Sandbox Bakery"},
        {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Thanks"}]}]});
    let (status, created) = h.graph_post(&templates, TOKEN, good.clone()).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["status"], "PENDING");
    assert_eq!(created["category"], "UTILITY");
    let good_id = created["id"].as_str().unwrap().to_owned();
    let (status, again) = h.graph_post(&templates, TOKEN, good).await;
    assert_eq!((status, error_code(&again)), (400, 100));
    let (_, bad_name) = h.graph_post(&templates, TOKEN, json!({"name": "Bad Name", "language": "en_US",
        "category": "UTILITY", "components": [{"type": "BODY", "text": "x"}]})).await;
    assert_eq!(error_code(&bad_name), 100);
    let (_, rejected) = h
        .graph_post(&templates, TOKEN, json!({"name": "no_example", "language": "en_US", "category": "MARKETING",
            "components": [{"type": "BODY", "text": "Hello {{1}}"}]}))
        .await;
    let rejected_id = rejected["id"].as_str().unwrap().to_owned();

    h.receiver
        .wait_until("two reviews", |r| r.changes("message_template_status_update").len() == 2)
        .await;
    let reviews = h.receiver.changes("message_template_status_update");
    let review = |id: &str| reviews.iter().find(|r| r["message_template_id"] == id.parse::<i64>().unwrap()).unwrap().clone();
    assert_eq!(review(&good_id)["event"], "APPROVED");
    assert_eq!(review(&good_id)["message_template_name"], "order_ready");
    assert_eq!(review(&good_id)["message_template_language"], "en_US");
    assert_eq!(review(&rejected_id)["event"], "REJECTED");
    assert_eq!(review(&rejected_id)["reason"], "INVALID_FORMAT");

    let (_, listed) = h.graph_get(&format!("{templates}?status=APPROVED"), Some(TOKEN)).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(listed["data"][0]["name"], "order_ready");
    let (_, page) = h.graph_get(&format!("{templates}?limit=1"), Some(TOKEN)).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    let next = page["paging"]["next"].as_str().unwrap();
    let second: Value = h.http.get(next).bearer_auth(TOKEN).send().await.unwrap().json().await.unwrap();
    assert_eq!(second["data"][0]["name"], "no_example");
    assert!(second["paging"]["next"].is_null());

    // Templates need no open window; parameters must match the template.
    let customer = "4915133333333";
    let template = |name: &str, body_params: Value| json!({"name": name, "language": {"code": "en_US"}, "components": [
        {"type": "header", "parameters": [{"type": "text", "text": "#42"}]},
        {"type": "body", "parameters": body_params}]});
    let params = json!([{"type": "text", "text": "Zoë"}, {"type": "text", "text": "€7"}]);
    let (status, sent) = h.send(customer, "template", template("order_ready", params.clone())).await;
    assert_eq!(status, 200, "{sent}");
    let wamid = wamid_of(&sent);
    let (status, body) = h.send(customer, "template", template("order_ready", json!([{"type": "text", "text": "x"}]))).await;
    assert_eq!((status, error_code(&body)), (400, 132000));
    let (status, body) = h.send(customer, "template", template("no_such_template", params.clone())).await;
    assert_eq!((status, error_code(&body)), (404, 132001));
    let (_, body) = h.send(customer, "template", template("no_example", params.clone())).await;
    assert_eq!(error_code(&body), 132001, "a rejected template cannot be sent");

    h.receiver.wait_until("the template's statuses", |r| statuses_of(&r.statuses(), &wamid).len() == 3).await;
    let status = h.receiver.statuses().into_iter().find(|s| s["id"] == wamid.as_str()).unwrap();
    assert_eq!(status["pricing"]["category"], "utility");
    assert_eq!(status["pricing"]["billable"], true);
    let chat = h.chat(customer).await;
    assert_eq!(chat[0]["rendered"]["body"], "Hi Zoë, your order is ready. Total: €7");
    assert_eq!(chat[0]["rendered"]["header"]["text"], "Order #42");
    assert_eq!(chat[0]["rendered"]["buttons"][0]["payload"], "Thanks");

    for (state, code) in [("PAUSED", 132015), ("DISABLED", 132016)] {
        let response = h
            .http
            .put(format!("{}/sandbox/templates/{good_id}", h.base))
            .json(&json!({"status": state}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let (_, body) = h.send(customer, "template", template("order_ready", params.clone())).await;
        assert_eq!(error_code(&body), code);
    }
    h.receiver
        .wait_until("the pause and disable events", |r| r.changes("message_template_status_update").len() == 4)
        .await;

    assert_eq!(h.graph_delete(&format!("{templates}?name=order_ready"), TOKEN).await, (200, json!({"success": true})));
    let (_, listed) = h.graph_get(&templates, Some(TOKEN)).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    h.sandbox.shutdown().await;
}
