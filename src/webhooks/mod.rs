//! WhatsApp webhooks: Meta's deliveries are authenticated ([`signature`]), committed raw to
//! Postgres before they are acknowledged ([`ingest`], with group commit), then processed by
//! [`worker`]s into contacts, conversations, messages and statuses ([`process`]). Inbound media
//! waits in [`media`] for its download.

pub mod ingest;
pub mod media;
pub mod process;
pub mod receiver;
pub mod signature;
pub mod worker;

pub use receiver::{Receiver, Refusal};
