//! Agents' attachments: an upload is kept only when WhatsApp would take it, and only for the
//! organization's own conversations; the organization's stored files are listed newest first a
//! page at a time; a file is sent inside the 24-hour window with a caption where WhatsApp allows
//! one; the worker puts the file on Meta for the sending number before the message, and a refused
//! upload fails the message with Meta's reason.

#![cfg(feature = "ssr")]

mod common;

use bytes::Bytes;
use common::*;
use parley::Error;
use parley::cloud::CloudClient;
use parley::domain::LoginTab;
use parley::domain::cloud::MediaKind;
use parley::domain::conversation::ConversationId;
use parley::inbox::outbound::{self, worker};
use parley::media::MediaStorage;
use parley::media::attachments::{self, Upload};
use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::time::Duration;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n a photo of the cake";

fn upload<'a>(conversation: ConversationId, filename: &'a str, mime_type: &'a str, bytes: &[u8]) -> Upload<'a> {
    Upload { conversation, filename, mime_type, bytes: Bytes::copy_from_slice(bytes) }
}

#[sqlx::test(migrations = false)]
async fn uploads_are_kept_only_when_whatsapp_would_take_them(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let storage = media_storage();
    let owner = register(&db.app, "Ana Alpha", "ana@alpha.example", "Alpha Bakery").await;
    let channel = connected_channel(&db.app, &owner, "Bakery", "http://127.0.0.1:9/v21.0").await;
    let conversation = conversation(&db, &channel, "4915112345678", Some(1)).await;

    let refusals = [
        (upload(conversation, "cat.gif", "image/gif", b"GIF89a"), "WhatsApp does not accept files of type \"image/gif\""),
        (upload(conversation, "empty.png", "image/png", b""), "The file is empty"),
        (upload(conversation, "big.png", "image/png", &vec![0; 5 * 1024 * 1024 + 1]), "Image files may be at most 5.0 MB"),
        (upload(conversation, "", "image/png", PNG), "The file needs a name"),
    ];
    for (refused, reason) in refusals {
        let error = attachments::upload(&db.app, &storage, &owner.actor, refused).await.unwrap_err();
        assert!(matches!(&error, Error::Invalid { field: "file", message } if message.starts_with(reason)), "{error:?}");
    }
    assert_eq!(count(&db, "SELECT count(*) FROM media").await, 0, "nothing refused is kept");

    let stored = attachments::upload(&db.app, &storage, &owner.actor, upload(conversation, "C:\\pics\\cake.png", "image/png", PNG))
        .await
        .unwrap();
    assert_eq!((stored.kind, stored.filename.as_deref(), stored.size), (MediaKind::Image, Some("cake.png"), Some(PNG.len() as i64)));
    let file = attachments::stored_file(&db.app, &storage, &owner.actor, stored.id).await.unwrap();
    assert_eq!((file.content_type.as_str(), &file.bytes[..]), ("image/png", PNG));

    // A file arriving in pieces is checked as it comes: past the limit it is refused mid-way,
    // and a document larger than a storage part arrives whole.
    let mut photo = attachments::begin(&db.app, &storage, &owner.actor, conversation, "huge.png", "image/png").await.unwrap();
    photo.write(&[1; 3 * 1024 * 1024]).await.unwrap();
    let too_big = photo.write(&[2; 3 * 1024 * 1024]).await.unwrap_err();
    assert!(matches!(&too_big, Error::Invalid { field: "file", message } if message == "Image files may be at most 5.0 MB"), "{too_big:?}");
    photo.abort().await;
    let catalogue: Vec<u8> = (0..12 * 1024 * 1024 + 7).map(|i| (i % 251) as u8).collect();
    let mut document = attachments::begin(&db.app, &storage, &owner.actor, conversation, "catalogue.pdf", "application/pdf").await.unwrap();
    for piece in catalogue.chunks(64 * 1024) {
        document.write(piece).await.unwrap();
    }
    let document = document.finish(&db.app).await.unwrap();
    assert_eq!(document.size, Some(catalogue.len() as i64));
    let kept = attachments::stored_file(&db.app, &storage, &owner.actor, document.id).await.unwrap();
    assert!(kept.bytes[..] == catalogue[..], "the document reads back byte for byte");
    assert_eq!(count(&db, "SELECT count(*) FROM media").await, 2, "the refused photo left nothing");

    // Another organization neither uploads into this conversation nor sees the file.
    let other = register(&db.app, "Bo Beta", "bo@beta.example", "Beta Florist").await;
    let into_theirs = attachments::upload(&db.app, &storage, &other.actor, upload(conversation, "x.png", "image/png", PNG)).await;
    assert!(matches!(into_theirs, Err(Error::NotFound)));
    assert!(matches!(attachments::stored_file(&db.app, &storage, &other.actor, stored.id).await, Err(Error::NotFound)));
    assert!(attachments::library(&db.app, &other.actor, None).await.unwrap().files.is_empty());

    // Someone who may read the inbox but not reply uploads nothing.
    let reader_role = parley::team::roles::create(&db.app, &owner.actor, "Reader", &["inbox.read".to_owned()]).await.unwrap();
    let (_, _, reader) = add_member_and_log_in(&db, &owner, "Rita Reader", "rita@alpha.example", reader_role, LoginTab::Agent).await;
    let by_reader = attachments::upload(&db.app, &storage, &reader, upload(conversation, "x.png", "image/png", PNG)).await;
    assert!(matches!(by_reader, Err(Error::Forbidden)));
}

#[sqlx::test(migrations = false)]
async fn stored_files_are_listed_newest_first_a_page_at_a_time(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let storage = media_storage();
    let owner = register(&db.app, "Ana Alpha", "ana@alpha.example", "Alpha Bakery").await;
    let channel = connected_channel(&db.app, &owner, "Bakery", "http://127.0.0.1:9/v21.0").await;
    let conversation = conversation(&db, &channel, "4915112345678", Some(1)).await;
    // A customer's photo, as the media downloader stores it, and one still being fetched.
    sqlx::query(
        "INSERT INTO media (id, organization_id, channel_id, meta_media_id, mime_type, filename, storage_key, download_state, created_at)
         VALUES ($1, $2, $3, 'meta-1', 'image/jpeg', NULL, 'k', 'stored', now() - interval '1 day'),
                ($4, $2, $3, 'meta-2', 'image/jpeg', NULL, NULL, 'pending', now())",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(owner.organization_id)
    .bind(channel.id)
    .bind(uuid::Uuid::now_v7())
    .execute(&db.root)
    .await
    .unwrap();
    for n in 0..attachments::PAGE {
        let name = format!("price-list-{n}.pdf");
        attachments::upload(&db.app, &storage, &owner.actor, upload(conversation, &name, "application/pdf", b"%PDF-1.4")).await.unwrap();
    }

    let first = attachments::library(&db.app, &owner.actor, None).await.unwrap();
    assert_eq!(first.files.len() as i64, attachments::PAGE);
    assert_eq!(first.files[0].filename.as_deref(), Some(format!("price-list-{}.pdf", attachments::PAGE - 1).as_str()));
    assert!(first.files.iter().all(|f| f.uploaded && f.kind == MediaKind::Document));
    let second = attachments::library(&db.app, &owner.actor, first.next).await.unwrap();
    assert_eq!(second.files.len(), 1, "the customer's stored photo; the one still fetched is not offered");
    assert!(!second.files[0].uploaded);
    assert_eq!(second.files[0].kind, MediaKind::Image);
    assert_eq!(second.next, None);
}

#[sqlx::test(migrations = false)]
async fn a_file_goes_inside_the_window_with_a_caption_where_whatsapp_allows_one(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let storage = media_storage();
    let owner = register(&db.app, "Ana Alpha", "ana@alpha.example", "Alpha Bakery").await;
    let channel = connected_channel(&db.app, &owner, "Bakery", "http://127.0.0.1:9/v21.0").await;
    let open = conversation(&db, &channel, "4915112345678", Some(1)).await;
    let closed = conversation(&db, &channel, "4915187654321", Some(30)).await;
    let photo = attachments::upload(&db.app, &storage, &owner.actor, upload(open, "cake.png", "image/png", PNG)).await.unwrap();
    let voice = attachments::upload(&db.app, &storage, &owner.actor, upload(open, "hello.ogg", "audio/ogg", b"OggS")).await.unwrap();

    let queued = outbound::send_file(&db.app, &owner.actor, open, photo.id, "Your cake 🎂", None).await.unwrap();
    assert_eq!((queued.kind.as_str(), queued.body.as_str(), queued.status.as_str()), ("image", "Your cake 🎂", "pending"));
    assert_eq!(queued.content["image"], json!({"parley_media_id": photo.id, "caption": "Your cake 🎂"}));
    let media_id: Option<uuid::Uuid> =
        sqlx::query_scalar("SELECT media_id FROM messages WHERE id = $1").bind(queued.id).fetch_one(&db.root).await.unwrap();
    assert_eq!(media_id, Some(photo.id), "the thread shows the file from Parley's own copy");

    let captioned_voice = outbound::send_file(&db.app, &owner.actor, open, voice.id, "listen", None).await;
    assert!(matches!(captioned_voice, Err(Error::Invalid { field: "caption", .. })), "{captioned_voice:?}");
    assert!(outbound::send_file(&db.app, &owner.actor, open, voice.id, "", None).await.is_ok());
    assert!(matches!(outbound::send_file(&db.app, &owner.actor, closed, photo.id, "", None).await, Err(Error::Conflict(_))));

    let other = register(&db.app, "Bo Beta", "bo@beta.example", "Beta Florist").await;
    let other_channel = connected_channel(&db.app, &other, "Florist", "http://127.0.0.1:9/v21.0").await;
    let theirs = conversation(&db, &other_channel, "4915100000000", Some(1)).await;
    let borrowed = outbound::send_file(&db.app, &other.actor, theirs, photo.id, "", None).await;
    assert!(matches!(borrowed, Err(Error::NotFound)), "another organization's file is not there");
}

#[sqlx::test(migrations = false)]
async fn only_an_upload_nobody_sent_may_be_deleted_and_its_bytes_go_with_it(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let storage = media_storage();
    let owner = register(&db.app, "Ana Alpha", "ana@alpha.example", "Alpha Bakery").await;
    let channel = connected_channel(&db.app, &owner, "Bakery", "http://127.0.0.1:9/v21.0").await;
    let open = conversation(&db, &channel, "4915112345678", Some(1)).await;
    let sent = attachments::upload(&db.app, &storage, &owner.actor, upload(open, "cake.png", "image/png", PNG)).await.unwrap();
    let unsent = attachments::upload(&db.app, &storage, &owner.actor, upload(open, "draft.pdf", "application/pdf", b"%PDF-1.4")).await.unwrap();
    outbound::send_file(&db.app, &owner.actor, open, sent.id, "", None).await.unwrap();

    let listed = attachments::library(&db.app, &owner.actor, None).await.unwrap().files;
    let deletable: Vec<_> = listed.iter().map(|f| (f.filename.as_deref().unwrap_or_default(), f.unsent_upload)).collect();
    assert_eq!(deletable, [("draft.pdf", true), ("cake.png", false)], "newest first; the sent one stays");

    let in_a_message = attachments::delete_upload(&db.app, &storage, &owner.actor, sent.id).await;
    assert!(matches!(in_a_message, Err(Error::Invalid { field: "file", .. })), "{in_a_message:?}");
    let other = register(&db.app, "Bo Beta", "bo@beta.example", "Beta Florist").await;
    let theirs = attachments::delete_upload(&db.app, &storage, &other.actor, unsent.id).await;
    assert!(matches!(theirs, Err(Error::NotFound)), "another organization's file is not there");

    let (_, _, agent) = add_agent(&db, &owner, "Ben Agent", "ben@alpha.example").await;
    attachments::delete_upload(&db.app, &storage, &agent, unsent.id).await.unwrap();
    let listed = attachments::library(&db.app, &owner.actor, None).await.unwrap().files;
    assert_eq!(listed.iter().map(|f| f.id).collect::<Vec<_>>(), [sent.id]);
    assert!(matches!(attachments::stored_file(&db.app, &storage, &owner.actor, unsent.id).await, Err(Error::NotFound)));
    let key: String = format!("{}/{}/{}", owner.organization_id, channel.id, unsent.id);
    assert!(storage.get(&key).await.is_err(), "the bytes are gone from the storage too");
    assert!(matches!(attachments::delete_upload(&db.app, &storage, &agent, unsent.id).await, Err(Error::NotFound)), "once");
}

fn cloud() -> CloudClient {
    CloudClient::with_timeouts(Duration::from_secs(2), Duration::from_secs(2))
}

/// A photo queued in a fresh organization whose channel talks to `graph`.
async fn queued_photo(db: &Db, storage: &MediaStorage, graph: &FakeGraph) -> parley::domain::conversation::MessageId {
    let owner = register(&db.app, "Ana Alpha", "ana@alpha.example", "Alpha Bakery").await;
    let channel = connected_channel(&db.app, &owner, "Bakery", &graph.base_url).await;
    let conversation = conversation(db, &channel, "4915112345678", Some(1)).await;
    let photo = attachments::upload(&db.app, storage, &owner.actor, upload(conversation, "cake.png", "image/png", PNG)).await.unwrap();
    outbound::send_file(&db.app, &owner.actor, conversation, photo.id, "", None).await.unwrap().id
}

#[sqlx::test(migrations = false)]
async fn the_worker_uploads_the_file_then_sends_it_by_metas_id(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let storage = media_storage();
    let graph = FakeGraph::start(vec![(200, json!({"id": "meta-media-7"})), send_accepted("wamid.photo")]).await;
    let message = queued_photo(&db, &storage, &graph).await;

    assert_eq!(worker::send_due(&db.app, &secret_key(), &cloud(), &storage, 10).await.unwrap(), 1);
    let received = graph.received();
    assert_eq!(received.len(), 2, "an upload, then the message");
    assert_eq!(received[1]["type"], "image");
    assert_eq!(received[1]["image"], json!({"id": "meta-media-7"}));
    let (status, uploads): (String, i64) = sqlx::query_as(
        "SELECT m.status, (SELECT count(*) FROM media_uploads u WHERE u.media_id = m.media_id) FROM messages m WHERE m.id = $1",
    )
    .bind(message)
    .fetch_one(&db.root)
    .await
    .unwrap();
    assert_eq!((status.as_str(), uploads), ("accepted", 1));
}

#[sqlx::test(migrations = false)]
async fn a_refused_upload_fails_the_message_with_metas_reason(_: PgPoolOptions, options: PgConnectOptions) {
    let db = setup(options).await;
    let storage = media_storage();
    let graph = FakeGraph::start(vec![graph_error(400, 131053, "Media upload error", "Unsupported file")]).await;
    let message = queued_photo(&db, &storage, &graph).await;

    assert_eq!(worker::send_due(&db.app, &secret_key(), &cloud(), &storage, 10).await.unwrap(), 1);
    assert_eq!(graph.received().len(), 1, "no message without its file");
    let (status, error): (String, serde_json::Value) =
        sqlx::query_as("SELECT status, error FROM messages WHERE id = $1").bind(message).fetch_one(&db.root).await.unwrap();
    assert_eq!(status, "failed");
    assert_eq!(error["code"], 131053);
    assert_eq!(error["details"], "Unsupported file");
}
