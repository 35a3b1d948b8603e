//! The live team inbox: reading conversations and threads, and (with the outbound queue) replying.

pub mod outbound;
