//! The Cloud API sandbox: a faithful stand-in for Meta's Graph API and its webhooks.
