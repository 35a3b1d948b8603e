//! The team inbox: what agents do in a conversation with a customer. [`conversations`] reads the
//! list and the threads; [`assignment`] decides who has a conversation; [`bot`] holds its chatbot switch; [`outbound`] sends their replies — stored first, then delivered to Meta by
//! a worker, whatever the Cloud API's mood; [`reactions`] puts emoji on messages; [`stars`] keeps each person's starred messages.

pub mod assignment;
pub mod bot;
pub mod conversations;
pub mod outbound;
pub mod reactions;
pub mod stars;
