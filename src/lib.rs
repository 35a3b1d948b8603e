//! Parley's engine. `domain` is pure and compiles everywhere (also to wasm32 for the browser);
//! with feature `ssr`, the server-side services, one folder per capability.

pub mod domain;

#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod channels;
#[cfg(feature = "ssr")]
pub mod cloud;
#[cfg(feature = "ssr")]
pub mod contacts;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod error;
#[cfg(feature = "ssr")]
pub mod inbox;
#[cfg(feature = "ssr")]
pub mod mail;
#[cfg(feature = "ssr")]
pub mod media;
#[cfg(feature = "ssr")]
pub mod notifications;
#[cfg(feature = "ssr")]
pub mod orgs;
#[cfg(feature = "ssr")]
pub mod profile;
#[cfg(feature = "ssr")]
pub mod quick_replies;
#[cfg(feature = "ssr")]
pub mod realtime;
#[cfg(feature = "ssr")]
pub mod secrets;
#[cfg(feature = "ssr")]
pub mod team;
#[cfg(feature = "ssr")]
pub mod templates;
#[cfg(feature = "ssr")]
pub mod webhooks;

#[cfg(feature = "ssr")]
pub use error::{Error, Result};
