//! The Graph API surface over real HTTP: bearer checks, send validation, limits, media,
//! subscription handshake, and state surviving a restart.

mod common;

use common::*;
use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

#[sqlx::test(migrations = false)]
async fn bearer_token_is_checked_with_meta_error_envelope(_pool: PgPoolOptions, options: PgConnectOptions) {
    let h = Harness::start(options).await;
    for token in [None, Some("wrong-token")] {
        let (status, body) = h.graph_get(PHONE, token).await;
        assert_eq!(status, 401);
        assert_eq!(body["error"]["code"], 190);
        assert_eq!(body["error"]["type"], "OAuthException");
        assert!(body["error"]["fbtrace_id"].as_str().is_some());
    }
    let (status, body) = h.graph_get(PHONE, Some(TOKEN)).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"verified_name": "Sandbox Bakery", "display_phone_number": "+1 555 010 1001",
        "quality_rating": "GREEN", "code_verification_status": "VERIFIED", "platform_type": "CLOUD_API", "id": PHONE}));
    let (status, body) = h.graph_get("9999", Some(TOKEN)).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], 100);
    assert!(body["error"]["message"].as_str().unwrap().contains("does not exist"));
    // Any version prefix works; a token of another business cannot see this number.
    h.provision("1002", "2002", "token-2").await;
    let other = h.http.get(format!("{}/v19.0/{PHONE}", h.base)).bearer_auth("token-2").send().await.unwrap();
    assert_eq!(other.status(), 400);
    let (status, _) = h.graph_post(&format!("{PHONE}/messages"), "nope", json!({})).await;
    assert_eq!(status, 401);
    h.sandbox.shutdown().await;
}

#[sqlx::test(migrations = false)]
async fn every_send_type_is_accepted_and_each_has_a_validation_error(_pool: PgPoolOptions, options: PgConnectOptions) {
    let h = Harness::start(options).await;
    let customer = "4915112345678";
    let inbound = h.customer_says(customer, json!({"type": "text", "text": {"body": "hi"}})).await;
    let button = |id: &str, title: &str| json!({"type": "reply", "reply": {"id": id, "title": title}});
    let rows: Vec<Value> = (0..11).map(|i| json!({"id": format!("r{i}"), "title": format!("Row {i}")})).collect();
    let cases: Vec<(&str, Value, Value, u64)> = vec![
        ("text", json!({"body": "Hello", "preview_url": false}), json!({"body": "x".repeat(4097)}), 131009),
        ("image", json!({"link": "https://example.com/a.png", "caption": "A"}), json!({"caption": "no source"}), 131008),
        ("video", json!({"id": "123"}), json!({"id": "1", "link": "https://x"}), 131009),
        ("audio", json!({"id": "123"}), json!({"id": "1", "caption": "no"}), 131009),
        ("document", json!({"id": "123", "filename": "a.pdf", "caption": "c"}), json!({"link": "ftp://x"}), 131009),
        ("sticker", json!({"id": "123"}), json!({}), 131008),
        ("location", json!({"latitude": 52.52, "longitude": 13.40, "name": "Shop", "address": "Main St"}),
            json!({"latitude": 52.52}), 131008),
        ("contacts", json!([{"name": {"formatted_name": "Ann", "first_name": "Ann"}, "phones": [{"phone": "+1555", "type": "CELL"}]}]),
            json!([{"phones": []}]), 131008),
        ("reaction", json!({"message_id": inbound, "emoji": "👍"}), json!({"emoji": "👍"}), 131008),
        ("interactive", json!({"type": "button", "body": {"text": "Pick"}, "footer": {"text": "f"},
            "action": {"buttons": [button("y", "Yes"), button("n", "No")]}}),
            json!({"type": "button", "body": {"text": "Pick"}, "action": {"buttons": [button("y", "Same"), button("n", "Same")]}}), 131009),
        ("interactive", json!({"type": "list", "header": {"type": "text", "text": "Menu"}, "body": {"text": "Choose"},
            "action": {"button": "Open", "sections": [{"title": "Cakes", "rows": rows[..10]}]}}),
            json!({"type": "list", "body": {"text": "Choose"}, "action": {"button": "Open", "sections": [{"title": "Cakes", "rows": rows}]}}), 131009),
    ];
    for (kind, valid, invalid, code) in cases {
        let (status, body) = h.send(customer, kind, valid.clone()).await;
        assert_eq!(status, 200, "{kind} {valid}: {body}");
        assert_eq!(body["contacts"][0], json!({"input": customer, "wa_id": customer}));
        assert_eq!(body["messages"][0]["message_status"], "accepted");
        assert!(body["messages"][0]["id"].as_str().unwrap().starts_with("wamid."));
        let (status, body) = h.send(customer, kind, invalid.clone()).await;
        assert_eq!(status, 400, "{kind} {invalid}");
        assert_eq!(error_code(&body), code, "{kind} {invalid}: {body}");
        assert!(body["error"]["error_data"]["details"].as_str().is_some());
    }
    let (_, body) = h.send(customer, "carrier_pigeon", json!({})).await;
    assert_eq!(error_code(&body), 131051);
    let (_, body) = h.graph_post(&format!("{PHONE}/messages"), TOKEN, json!({"to": customer, "text": {"body": "x"}})).await;
    assert_eq!(error_code(&body), 100);
    let (status, body) = h
        .graph_post(&format!("{PHONE}/messages"), TOKEN, json!({"messaging_product": "whatsapp", "status": "read", "message_id": inbound}))
        .await;
    assert_eq!((status, body), (200, json!({"success": true})));
    let chat = h.chat(customer).await;
    assert_eq!(chat[0]["status"], "read");
    assert_eq!(chat.len(), 12);
    h.sandbox.shutdown().await;
}

#[sqlx::test(migrations = false)]
async fn throughput_and_pair_limits_answer_130429_and_131056(_pool: PgPoolOptions, options: PgConnectOptions) {
    let h = Harness::start(options).await;
    h.config(json!({"throughput_per_second": 3, "pair_limit": {"burst": 100}})).await;
    let mut codes = Vec::new();
    for i in 0..4 {
        let (status, body) = h.send(&format!("4915100000{i}12"), "text", json!({"body": "hi"})).await;
        codes.push((status, body["error"]["code"].as_u64()));
    }
    assert_eq!(codes[..3], [(200, None), (200, None), (200, None)]);
    assert_eq!(codes[3], (400, Some(130429)));

    h.config(json!({"throughput_per_second": 1000, "pair_limit": {"burst": 2, "refill_seconds": 60.0}})).await;
    let customer = "4915198765432";
    assert_eq!(h.send(customer, "text", json!({"body": "1"})).await.0, 200);
    assert_eq!(h.send(customer, "text", json!({"body": "2"})).await.0, 200);
    let (status, body) = h.send(customer, "text", json!({"body": "3"})).await;
    assert_eq!((status, error_code(&body)), (400, 131056));
    assert_eq!(h.send("4915198765433", "text", json!({"body": "other customer"})).await.0, 200);
    h.sandbox.shutdown().await;
}

#[sqlx::test(migrations = false)]
async fn media_upload_describe_download_delete(_pool: PgPoolOptions, options: PgConnectOptions) {
    let h = Harness::start(options).await;
    let png = b"\x89PNG\r\n\x1a\nnot-really-a-picture".to_vec();
    let upload = |bytes: Vec<u8>, mime: &'static str| {
        let form = reqwest::multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", mime)
            .part("file", reqwest::multipart::Part::bytes(bytes).file_name("f").mime_str(mime).unwrap());
        h.http.post(format!("{}/{PHONE}/media", h.graph)).bearer_auth(TOKEN).multipart(form).send()
    };
    let response = upload(png.clone(), "image/png").await.unwrap();
    assert_eq!(response.status(), 200);
    let id = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();

    let (status, info) = h.graph_get(&id, Some(TOKEN)).await;
    assert_eq!(status, 200);
    assert_eq!(info["mime_type"], "image/png");
    assert_eq!(info["file_size"], png.len());
    assert_eq!(info["id"], id.as_str());
    let url = info["url"].as_str().unwrap();
    assert!(url.starts_with(&h.base));
    assert_eq!(h.http.get(url).send().await.unwrap().status(), 401);
    let download = h.http.get(url).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(download.headers()["content-type"], "image/png");
    assert_eq!(download.bytes().await.unwrap().to_vec(), png);

    let gif = upload(vec![1, 2, 3], "image/gif").await.unwrap();
    assert_eq!(gif.status(), 400);
    assert_eq!(error_code(&gif.json().await.unwrap()), 131053);
    let huge = upload(vec![0; 5 * 1024 * 1024 + 1], "image/jpeg").await.unwrap();
    assert_eq!(error_code(&huge.json().await.unwrap()), 131053);

    assert_eq!(h.graph_delete(&id, TOKEN).await, (200, json!({"success": true})));
    let (status, body) = h.graph_get(&id, Some(TOKEN)).await;
    assert_eq!((status, error_code(&body)), (400, 100));
    h.sandbox.shutdown().await;
}

#[sqlx::test(migrations = false)]
async fn subscription_requires_the_receiver_to_echo_the_challenge(_pool: PgPoolOptions, options: PgConnectOptions) {
    let h = Harness::start(options).await;
    let path = format!("{WABA}/subscribed_apps");
    assert_eq!(h.graph_delete(&path, TOKEN).await, (200, json!({"success": true})));
    assert_eq!(h.graph_get(&path, Some(TOKEN)).await, (200, json!({"data": []})));

    let (status, body) =
        h.graph_post(&path, TOKEN, json!({"override_callback_uri": h.callback_url, "verify_token": "wrong"})).await;
    assert_eq!((status, error_code(&body)), (400, 100));
    assert!(body["error"]["message"].as_str().unwrap().contains("Callback verification failed"));
    assert_eq!(h.graph_get(&path, Some(TOKEN)).await.1, json!({"data": []}));

    // Graph also takes the parameters as a query string.
    let response = h
        .http
        .post(format!("{}/{path}", h.graph))
        .query(&[("override_callback_uri", h.callback_url.as_str()), ("verify_token", VERIFY_TOKEN)])
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (_, listed) = h.graph_get(&path, Some(TOKEN)).await;
    assert_eq!(listed["data"][0]["whatsapp_business_api_data"]["id"], "3001");
    assert_eq!(listed["data"][0]["override_callback_uri"], h.callback_url.as_str());
    h.sandbox.shutdown().await;
}

#[sqlx::test(migrations = false)]
async fn state_survives_a_restart_and_stays_out_of_public(pool: PgPoolOptions, options: PgConnectOptions) {
    let h = Harness::start(options.clone()).await;
    h.config(json!({"throughput_per_second": 123})).await;
    let database_url = h.database_url.clone();
    h.sandbox.shutdown().await;

    let sandbox = start_sandbox(&database_url).await;
    let base = format!("http://{}", sandbox.addr);
    let listed: Value = reqwest::get(format!("{base}/sandbox/businesses")).await.unwrap().json().await.unwrap();
    assert_eq!(listed["businesses"][0]["phone_number_id"], PHONE);
    assert_eq!(listed["businesses"][0]["access_token"], TOKEN);
    let config: Value = reqwest::get(format!("{base}/sandbox/config")).await.unwrap().json().await.unwrap();
    assert_eq!(config["throughput_per_second"], 123);
    sandbox.shutdown().await;

    let db = pool.connect_with(options).await.unwrap();
    let public_tables: i64 =
        sqlx::query_scalar("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(public_tables, 0);
}
