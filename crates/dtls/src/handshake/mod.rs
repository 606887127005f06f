//! Handshake machinery shared by both roles: reassembly of incoming messages, flights of
//! outgoing ones, and the server's stateless cookies.

pub mod cookie;
pub(crate) mod flight;
pub mod reassembly;
