//! The DTLS 1.3 hello extensions whose form depends on the message (RFC 8446 §4.2):
//! `key_share` (§4.2.8: a list of entries in a ClientHello, one entry in a ServerHello, the
//! selected group alone in a HelloRetryRequest), `supported_versions` (§4.2.1) and `cookie`
//! (§4.2.2). [`Extensions`](crate::wire::extension::Extensions) keeps their bodies raw; these
//! read and write them.

use crate::error::WireError;
use crate::wire::code_points::{NamedGroup, ProtocolVersion};
use crate::wire::codec::{Reader, put_u16, put_vec8, put_vec16};

/// Most key shares we read from one ClientHello (browsers send one or two).
pub const MAX_CLIENT_SHARES: usize = 8;

/// One `KeyShareEntry`: a group and its public value (RFC 8446 §4.2.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyShareEntry<'a> {
    /// The group.
    pub group: NamedGroup,
    /// The public key (or, for a hybrid group from a server, the encapsulation).
    pub key_exchange: &'a [u8],
}

fn read_entry<'a>(r: &mut Reader<'a>) -> Result<KeyShareEntry<'a>, WireError> {
    let group = NamedGroup(r.u16()?);
    let key_exchange = r.vec16()?;
    // RFC 8446 §4.2.8: opaque key_exchange<1..2^16-1>.
    if key_exchange.is_empty() {
        return Err(WireError::BadLength);
    }
    Ok(KeyShareEntry {
        group,
        key_exchange,
    })
}

fn put_entry(out: &mut Vec<u8>, e: &KeyShareEntry<'_>) -> Result<(), WireError> {
    put_u16(out, e.group.0);
    put_vec16(out, e.key_exchange)
}

/// Reads the ClientHello form: `KeyShareEntry client_shares<0..2^16-1>`, each group at
/// most once (RFC 8446 §4.2.8), at most [`MAX_CLIENT_SHARES`].
pub fn parse_client_shares(data: &[u8]) -> Result<Vec<KeyShareEntry<'_>>, WireError> {
    let mut r = Reader::new(data);
    let mut list = Reader::new(r.vec16()?);
    r.finish()?;
    let mut out: Vec<KeyShareEntry<'_>> = Vec::new();
    while !list.is_empty() {
        let e = read_entry(&mut list)?;
        if out.iter().any(|o| o.group == e.group) {
            return Err(WireError::BadExtension);
        }
        if out.len() == MAX_CLIENT_SHARES {
            return Err(WireError::TooLong);
        }
        out.push(e);
    }
    Ok(out)
}

/// Writes the ClientHello form.
pub fn client_shares_body(shares: &[KeyShareEntry<'_>]) -> Result<Vec<u8>, WireError> {
    let mut list = Vec::new();
    for s in shares {
        put_entry(&mut list, s)?;
    }
    let mut out = Vec::with_capacity(list.len() + 2);
    put_vec16(&mut out, &list)?;
    Ok(out)
}

/// Reads the ServerHello form: one `KeyShareEntry`.
pub fn parse_server_share(data: &[u8]) -> Result<KeyShareEntry<'_>, WireError> {
    let mut r = Reader::new(data);
    let e = read_entry(&mut r)?;
    r.finish()?;
    Ok(e)
}

/// Writes the ServerHello form.
pub fn server_share_body(share: &KeyShareEntry<'_>) -> Result<Vec<u8>, WireError> {
    let mut out = Vec::with_capacity(share.key_exchange.len() + 4);
    put_entry(&mut out, share)?;
    Ok(out)
}

/// Reads the HelloRetryRequest form: the selected group.
pub fn parse_selected_group(data: &[u8]) -> Result<NamedGroup, WireError> {
    let mut r = Reader::new(data);
    let g = NamedGroup(r.u16()?);
    r.finish()?;
    Ok(g)
}

/// Writes the HelloRetryRequest form.
pub fn selected_group_body(group: NamedGroup) -> [u8; 2] {
    group.0.to_be_bytes()
}

/// Writes the ClientHello form of `supported_versions`: `versions<2..254>`.
pub fn client_versions_body(versions: &[ProtocolVersion]) -> Result<Vec<u8>, WireError> {
    let list: Vec<u8> = versions.iter().flat_map(|v| v.0.to_be_bytes()).collect();
    let mut out = Vec::with_capacity(list.len() + 1);
    put_vec8(&mut out, &list)?;
    Ok(out)
}

/// Reads the ClientHello form of `supported_versions`.
pub fn parse_client_versions(data: &[u8]) -> Result<Vec<ProtocolVersion>, WireError> {
    let mut r = Reader::new(data);
    let list = r.vec8()?;
    r.finish()?;
    if list.is_empty() || list.len() % 2 != 0 {
        return Err(WireError::BadLength);
    }
    Ok(list
        .chunks_exact(2)
        .map(|c| ProtocolVersion(u16::from_be_bytes([c[0], c[1]])))
        .collect())
}

/// Reads a `cookie` body: `opaque cookie<1..2^16-1>`.
pub fn parse_cookie(data: &[u8]) -> Result<&[u8], WireError> {
    let mut r = Reader::new(data);
    let c = r.vec16()?;
    r.finish()?;
    if c.is_empty() {
        return Err(WireError::BadLength);
    }
    Ok(c)
}

/// Writes a `cookie` body.
pub fn cookie_body(cookie: &[u8]) -> Result<Vec<u8>, WireError> {
    let mut out = Vec::with_capacity(cookie.len() + 2);
    put_vec16(&mut out, cookie)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_round_trips() {
        let a = [1u8; 32];
        let b = [2u8; 1216];
        let shares = [
            KeyShareEntry {
                group: NamedGroup::X25519MLKEM768,
                key_exchange: &b,
            },
            KeyShareEntry {
                group: NamedGroup::X25519,
                key_exchange: &a,
            },
        ];
        let body = client_shares_body(&shares).unwrap();
        assert_eq!(parse_client_shares(&body).unwrap(), shares);
        let one = server_share_body(&shares[1]).unwrap();
        assert_eq!(parse_server_share(&one).unwrap(), shares[1]);
        let g = selected_group_body(NamedGroup::SECP256R1);
        assert_eq!(parse_selected_group(&g).unwrap(), NamedGroup::SECP256R1);
        let v =
            client_versions_body(&[ProtocolVersion::DTLS_1_3, ProtocolVersion::DTLS_1_2]).unwrap();
        assert_eq!(
            parse_client_versions(&v).unwrap(),
            [ProtocolVersion::DTLS_1_3, ProtocolVersion::DTLS_1_2]
        );
        let c = cookie_body(&[7; 40]).unwrap();
        assert_eq!(parse_cookie(&c).unwrap(), &[7; 40]);
        for cut in 0..body.len() {
            assert!(parse_client_shares(&body[..cut]).is_err());
        }
    }

    #[test]
    fn refuses_duplicates_empty_keys_and_too_many_shares() {
        let k = [5u8; 32];
        let e = KeyShareEntry {
            group: NamedGroup::X25519,
            key_exchange: &k,
        };
        let dup = client_shares_body(&[e, e]).unwrap();
        assert_eq!(parse_client_shares(&dup), Err(WireError::BadExtension));
        let empty = server_share_body(&KeyShareEntry {
            group: NamedGroup::X25519,
            key_exchange: &[],
        })
        .unwrap();
        assert_eq!(parse_server_share(&empty), Err(WireError::BadLength));
        let many: Vec<KeyShareEntry<'_>> = (0..9)
            .map(|i| KeyShareEntry {
                group: NamedGroup(100 + i),
                key_exchange: &k,
            })
            .collect();
        let body = client_shares_body(&many).unwrap();
        assert_eq!(parse_client_shares(&body), Err(WireError::TooLong));
        assert_eq!(parse_cookie(&[0, 0]), Err(WireError::BadLength));
    }
}
