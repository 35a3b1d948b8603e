//! The WhatsApp Cloud API's wire format (../shared/CLOUD_API.md), as types: what Parley sends,
//! what it receives on webhooks, and how Meta's errors are classified. Pure, so the browser can
//! check a message against Meta's limits before it is ever sent.

pub mod error;
pub mod send;
pub mod webhook;
