//! (filled by the webhook work)
