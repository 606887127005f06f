//! Hello extensions (RFC 5246 §7.4.1.4) as DTLS-SRTP uses them: `supported_groups` and
//! `ec_point_formats` (RFC 8422 §5.1), `signature_algorithms` (RFC 5246 §7.4.1.4.1),
//! `use_srtp` (RFC 5764 §4.1.1), `extended_master_secret` (RFC 7627 §5.1),
//! `renegotiation_info` (RFC 5746 §3.2), and for DTLS 1.3 `supported_versions`,
//! `key_share` and `cookie` (RFC 8446 §4.2.1, §4.2.8, §4.2.2), kept raw here because their
//! form depends on the message ([`crate::wire::key_share`] reads them). Anything else is
//! skipped.

use crate::error::WireError;
use crate::wire::code_points::{ExtensionType, NamedGroup, SignatureScheme, SrtpProfile};
use crate::wire::codec::{Reader, begin_vec16, end_vec16, put_u16, put_vec8, put_vec16};

/// The extensions of a ClientHello or ServerHello, decoded where we use them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extensions<'a> {
    /// `supported_groups`, in the sender's order of preference.
    pub supported_groups: Option<Vec<NamedGroup>>,
    /// `ec_point_formats` (0 = uncompressed).
    pub ec_point_formats: Option<&'a [u8]>,
    /// `signature_algorithms`.
    pub signature_algorithms: Option<Vec<SignatureScheme>>,
    /// `use_srtp`: profiles and the MKI.
    pub use_srtp: Option<UseSrtp<'a>>,
    /// `extended_master_secret` present.
    pub extended_master_secret: bool,
    /// `renegotiation_info`: the `renegotiated_connection` bytes (empty on a first handshake).
    pub renegotiation_info: Option<&'a [u8]>,
    /// `supported_versions` as raw bytes (ClientHello form: a one-byte length then versions;
    /// ServerHello form: the selected version).
    pub supported_versions: Option<&'a [u8]>,
    /// `key_share` as raw bytes (RFC 8446 §4.2.8; three forms, see [`crate::wire::key_share`]).
    pub key_share: Option<&'a [u8]>,
    /// `cookie` as raw bytes (RFC 8446 §4.2.2: a two-byte length then the cookie).
    pub cookie: Option<&'a [u8]>,
    /// How many extensions we skipped as unknown.
    pub unknown: usize,
}

/// The `use_srtp` extension (RFC 5764 §4.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseSrtp<'a> {
    /// Protection profiles, in the sender's order of preference.
    pub profiles: Vec<SrtpProfile>,
    /// The `srtp_mki` (empty in WebRTC).
    pub mki: &'a [u8],
}

/// A list of 16-bit code points with a 2-byte length prefix (must be even and non-empty).
fn u16_list(data: &[u8]) -> Result<Vec<u16>, WireError> {
    let mut r = Reader::new(data);
    let list = r.vec16()?;
    r.finish()?;
    if list.is_empty() || list.len() % 2 != 0 {
        return Err(WireError::BadExtension);
    }
    Ok(list
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect())
}

impl<'a> Extensions<'a> {
    /// Parses the extensions block after the fixed part of a hello: nothing at all (no
    /// extensions) or a two-byte length and the extensions (RFC 5246 §7.4.1.2); nothing may
    /// follow.
    pub fn parse(block: &'a [u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(block);
        let out = Self::read(&mut r)?;
        r.finish()?;
        Ok(out)
    }

    /// Reads the extensions block from a cursor.
    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, WireError> {
        let mut out = Self::default();
        if r.is_empty() {
            return Ok(out);
        }
        let mut list = Reader::new(r.vec16()?);
        let mut seen: Vec<u16> = Vec::new();
        while !list.is_empty() {
            let ty = ExtensionType(list.u16()?);
            let data = list.vec16()?;
            // RFC 5246 §7.4.1.4: at most one extension of each type.
            if seen.contains(&ty.0) {
                return Err(WireError::DuplicateExtension(ty.0));
            }
            seen.push(ty.0);
            match ty {
                ExtensionType::SUPPORTED_GROUPS => {
                    out.supported_groups =
                        Some(u16_list(data)?.into_iter().map(NamedGroup).collect());
                }
                ExtensionType::EC_POINT_FORMATS => {
                    let mut e = Reader::new(data);
                    let formats = e.vec8()?;
                    e.finish()?;
                    out.ec_point_formats = Some(formats);
                }
                ExtensionType::SIGNATURE_ALGORITHMS => {
                    out.signature_algorithms =
                        Some(u16_list(data)?.into_iter().map(SignatureScheme).collect());
                }
                ExtensionType::USE_SRTP => {
                    let mut e = Reader::new(data);
                    let profiles = e.vec16()?;
                    if profiles.is_empty() || profiles.len() % 2 != 0 {
                        return Err(WireError::BadExtension);
                    }
                    let mki = e.vec8()?;
                    e.finish()?;
                    out.use_srtp = Some(UseSrtp {
                        profiles: profiles
                            .chunks_exact(2)
                            .map(|c| SrtpProfile(u16::from_be_bytes([c[0], c[1]])))
                            .collect(),
                        mki,
                    });
                }
                ExtensionType::EXTENDED_MASTER_SECRET => {
                    // RFC 7627 §5.1: the extension data is empty.
                    if !data.is_empty() {
                        return Err(WireError::BadExtension);
                    }
                    out.extended_master_secret = true;
                }
                ExtensionType::RENEGOTIATION_INFO => {
                    let mut e = Reader::new(data);
                    let v = e.vec8()?;
                    e.finish()?;
                    out.renegotiation_info = Some(v);
                }
                ExtensionType::SUPPORTED_VERSIONS => out.supported_versions = Some(data),
                ExtensionType::KEY_SHARE => out.key_share = Some(data),
                ExtensionType::COOKIE => out.cookie = Some(data),
                _ => out.unknown += 1,
            }
        }
        Ok(out)
    }

    /// Writes the extensions we know (unknown ones are not kept) as an extensions block.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        let mut w = ExtensionWriter::new(out);
        if let Some(g) = &self.supported_groups {
            w.supported_groups(g);
        }
        if self.ec_point_formats.is_some() {
            w.ec_point_formats();
        }
        if let Some(s) = &self.signature_algorithms {
            w.signature_algorithms(s);
        }
        if let Some(srtp) = &self.use_srtp {
            w.use_srtp(&srtp.profiles);
        }
        if self.extended_master_secret {
            w.extended_master_secret();
        }
        if self.renegotiation_info.is_some() {
            w.renegotiation_info();
        }
        if let Some(v) = self.supported_versions {
            w.raw(ExtensionType::SUPPORTED_VERSIONS, v);
        }
        if let Some(k) = self.key_share {
            w.raw(ExtensionType::KEY_SHARE, k);
        }
        if let Some(c) = self.cookie {
            w.raw(ExtensionType::COOKIE, c);
        }
        w.finish()
    }

    /// The version a ServerHello's `supported_versions` selects (RFC 8446 §4.2.1: exactly
    /// two bytes), if it carries one.
    pub fn selected_version(&self) -> Option<crate::wire::code_points::ProtocolVersion> {
        match self.supported_versions? {
            [a, b] => Some(crate::wire::code_points::ProtocolVersion(
                u16::from_be_bytes([*a, *b]),
            )),
            _ => None,
        }
    }

    /// True when `supported_versions` lists DTLS 1.3 (RFC 9147 §5.3).
    pub fn offers_dtls13(&self) -> bool {
        let Some(v) = self.supported_versions else {
            return false;
        };
        let mut r = Reader::new(v);
        let Ok(list) = r.vec8() else { return false };
        list.chunks_exact(2).any(|c| c == [0xfe, 0xfc])
    }
}

/// Writes extensions into a hello: a builder over the caller's buffer.
#[derive(Debug)]
pub struct ExtensionWriter<'o> {
    out: &'o mut Vec<u8>,
    start: usize,
}

impl<'o> ExtensionWriter<'o> {
    /// Starts the extensions block (its length is written by [`Self::finish`]).
    pub fn new(out: &'o mut Vec<u8>) -> Self {
        let start = begin_vec16(out);
        Self { out, start }
    }

    fn ext(&mut self, ty: ExtensionType, body: impl FnOnce(&mut Vec<u8>)) -> &mut Self {
        put_u16(self.out, ty.0);
        let start = begin_vec16(self.out);
        body(self.out);
        // An extension body is at most a few hundred bytes: the length fits.
        let _ = end_vec16(self.out, start);
        self
    }

    /// `supported_groups`.
    pub fn supported_groups(&mut self, groups: &[NamedGroup]) -> &mut Self {
        self.ext(ExtensionType::SUPPORTED_GROUPS, |o| {
            put_u16(o, (groups.len() * 2) as u16);
            for g in groups {
                put_u16(o, g.0);
            }
        })
    }

    /// `ec_point_formats` with only `uncompressed` (RFC 8422 §5.1.2).
    pub fn ec_point_formats(&mut self) -> &mut Self {
        self.ext(ExtensionType::EC_POINT_FORMATS, |o| {
            o.extend_from_slice(&[1, 0])
        })
    }

    /// `signature_algorithms`.
    pub fn signature_algorithms(&mut self, schemes: &[SignatureScheme]) -> &mut Self {
        self.ext(ExtensionType::SIGNATURE_ALGORITHMS, |o| {
            put_u16(o, (schemes.len() * 2) as u16);
            for s in schemes {
                put_u16(o, s.0);
            }
        })
    }

    /// `use_srtp` with an empty MKI.
    pub fn use_srtp(&mut self, profiles: &[SrtpProfile]) -> &mut Self {
        self.ext(ExtensionType::USE_SRTP, |o| {
            put_u16(o, (profiles.len() * 2) as u16);
            for p in profiles {
                put_u16(o, p.0);
            }
            o.push(0);
        })
    }

    /// `extended_master_secret` (empty).
    pub fn extended_master_secret(&mut self) -> &mut Self {
        self.ext(ExtensionType::EXTENDED_MASTER_SECRET, |_| {})
    }

    /// `renegotiation_info` with an empty `renegotiated_connection` (RFC 5746 §3.4, §3.6).
    pub fn renegotiation_info(&mut self) -> &mut Self {
        self.ext(ExtensionType::RENEGOTIATION_INFO, |o| o.push(0))
    }

    /// Any extension as raw bytes (tests use it for unknown ones).
    pub fn raw(&mut self, ty: ExtensionType, data: &[u8]) -> &mut Self {
        self.ext(ty, |o| o.extend_from_slice(data))
    }

    /// Writes the block length. Fails if the block exceeds 65535 bytes.
    pub fn finish(self) -> Result<(), WireError> {
        end_vec16(self.out, self.start)
    }
}

/// Appends a `supported_versions` ClientHello body listing `versions` (tests).
pub fn supported_versions_body(versions: &[u16]) -> Vec<u8> {
    let mut body = Vec::new();
    let list: Vec<u8> = versions.iter().flat_map(|v| v.to_be_bytes()).collect();
    // A handful of versions: the length fits one byte.
    let _ = put_vec8(&mut body, &list);
    body
}

/// A `uint16` vector helper for callers that build lists by hand.
pub fn put_u16_vec(out: &mut Vec<u8>, values: &[u16]) -> Result<(), WireError> {
    let list: Vec<u8> = values.iter().flat_map(|v| v.to_be_bytes()).collect();
    put_vec16(out, &list)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(build: impl FnOnce(&mut ExtensionWriter<'_>)) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = ExtensionWriter::new(&mut out);
        build(&mut w);
        w.finish().unwrap();
        out
    }

    #[test]
    fn writes_and_reads_every_extension() {
        let bytes = round_trip(|w| {
            w.supported_groups(&NamedGroup::SUPPORTED)
                .ec_point_formats()
                .signature_algorithms(&SignatureScheme::VERIFIED)
                .use_srtp(&SrtpProfile::SUPPORTED)
                .extended_master_secret()
                .renegotiation_info()
                .raw(ExtensionType(0x1234), &[1, 2, 3])
                .raw(
                    ExtensionType::SUPPORTED_VERSIONS,
                    &supported_versions_body(&[0xfefc, 0xfefd]),
                );
        });
        let e = Extensions::parse(&bytes).unwrap();
        assert_eq!(e.supported_groups.unwrap(), NamedGroup::SUPPORTED);
        assert_eq!(e.ec_point_formats, Some(&[0u8][..]));
        assert_eq!(e.signature_algorithms.unwrap(), SignatureScheme::VERIFIED);
        let srtp = e.use_srtp.unwrap();
        assert_eq!(srtp.profiles, SrtpProfile::SUPPORTED);
        assert!(srtp.mki.is_empty());
        assert!(e.extended_master_secret);
        assert_eq!(e.renegotiation_info, Some(&[][..]));
        assert_eq!(e.unknown, 1);
        assert!(Extensions::parse(&bytes).unwrap().offers_dtls13());
    }

    #[test]
    fn no_extensions_at_all() {
        let e = Extensions::parse(&[]).unwrap();
        assert!(e.supported_groups.is_none() && !e.extended_master_secret);
        assert!(!e.offers_dtls13());
    }

    #[test]
    fn refuses_duplicates_and_bad_bodies() {
        let dup = round_trip(|w| {
            w.extended_master_secret().extended_master_secret();
        });
        assert_eq!(
            Extensions::parse(&dup),
            Err(WireError::DuplicateExtension(23))
        );
        let odd = round_trip(|w| {
            w.raw(ExtensionType::SUPPORTED_GROUPS, &[0, 1, 0]);
        });
        assert_eq!(Extensions::parse(&odd), Err(WireError::BadExtension));
        let ems = round_trip(|w| {
            w.raw(ExtensionType::EXTENDED_MASTER_SECRET, &[0]);
        });
        assert_eq!(Extensions::parse(&ems), Err(WireError::BadExtension));
        let srtp_trailing = round_trip(|w| {
            w.raw(ExtensionType::USE_SRTP, &[0, 2, 0, 1, 0, 9]);
        });
        assert_eq!(
            Extensions::parse(&srtp_trailing),
            Err(WireError::TrailingBytes)
        );
    }
}
