//! A STUN server that answers Binding requests (RFC 8489 §7.3.1).

use std::net::SocketAddr;

use rtcweb_stun::{
    Class, MAX_MESSAGE_LEN, Message, Method, encode_binding_success,
    encode_unknown_attributes_response,
};

/// A datagram a server sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outgoing {
    pub(crate) from: SocketAddr,
    pub(crate) to: SocketAddr,
    pub(crate) contents: Vec<u8>,
}

/// The answer to a Binding request from `source`: a success with XOR-MAPPED-ADDRESS (the
/// source as the server saw it) and FINGERPRINT, or 420 when the request carries unknown
/// comprehension-required attributes (RFC 8489 §6.3.1.1). `None` for anything that is not a
/// Binding request.
pub(crate) fn answer_binding(message: &Message, source: SocketAddr) -> Option<Vec<u8>> {
    if message.class() != Class::Request || message.method() != Method::BINDING {
        return None;
    }
    let mut buf = vec![0u8; MAX_MESSAGE_LEN];
    let n = match encode_unknown_attributes_response(message, None, &mut buf) {
        Some(result) => result.ok()?,
        None => encode_binding_success(message.transaction_id(), source, None, &mut buf).ok()?,
    };
    buf.truncate(n);
    Some(buf)
}

/// A plain STUN server at one address: Binding requests only, no authentication.
#[derive(Debug)]
pub(crate) struct StunServer {
    pub(crate) address: SocketAddr,
}

impl StunServer {
    /// Handles a datagram from `source`; returns whether it was answered (else it was
    /// ignored: not STUN, malformed, or not a Binding request).
    pub(crate) fn handle(
        &self,
        source: SocketAddr,
        datagram: &[u8],
        out: &mut Vec<Outgoing>,
    ) -> bool {
        let Ok(message) = Message::decode(datagram) else {
            return false;
        };
        match answer_binding(&message, source) {
            Some(contents) => {
                out.push(Outgoing {
                    from: self.address,
                    to: source,
                    contents,
                });
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtcweb_stun::BindingRequest;

    #[test]
    fn answers_binding_requests_only() {
        let server = StunServer {
            address: "192.0.2.1:3478".parse().unwrap(),
        };
        let client: SocketAddr = "198.51.100.7:40000".parse().unwrap();
        let mut buf = [0u8; 512];
        let n = BindingRequest::plain([7; 12]).encode(&mut buf).unwrap();
        let mut out = Vec::new();
        assert!(server.handle(client, &buf[..n], &mut out));
        let reply = Message::decode(&out[0].contents).unwrap();
        assert_eq!(reply.class(), Class::SuccessResponse);
        assert_eq!(reply.transaction_id(), [7; 12]);
        assert_eq!(reply.xor_mapped_address(), Some(client));
        assert_eq!(out[0].to, client);
        assert!(!server.handle(client, b"garbage", &mut out));
        assert!(!server.handle(client, &out[0].contents.clone(), &mut out));
        assert_eq!(out.len(), 1);
    }
}
