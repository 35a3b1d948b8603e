//! (filled by the cloud/webhook work)
