//! Source descriptions (RFC 3550 §6.5) and goodbyes (§6.6).

use super::header::{Header, packet_type, u32_at};
use crate::WireError;

/// SDES item type CNAME (RFC 3550 §6.5.1).
pub const CNAME: u8 = 1;

/// One SDES item.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SdesItem {
    /// Item type (1 CNAME, 2 NAME, ...).
    pub item_type: u8,
    /// Item text (UTF-8 per RFC 3550; kept as bytes).
    pub text: Vec<u8>,
}

/// The items of one source.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SdesChunk {
    /// The source.
    pub ssrc: u32,
    /// Its items.
    pub items: Vec<SdesItem>,
}

impl SdesChunk {
    /// The CNAME, if present and UTF-8.
    pub fn cname(&self) -> Option<&str> {
        self.items
            .iter()
            .find(|i| i.item_type == CNAME)
            .and_then(|i| std::str::from_utf8(&i.text).ok())
    }
}

/// A source description packet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sdes {
    /// One chunk per source (at most 31).
    pub chunks: Vec<SdesChunk>,
}

impl Sdes {
    pub(crate) fn parse(header: &Header, body: &[u8]) -> Result<Self, WireError> {
        let mut chunks = Vec::with_capacity(usize::from(header.count));
        let mut at = 0;
        for _ in 0..header.count {
            let ssrc = u32_at(body, at)?;
            at += 4;
            let mut items = Vec::new();
            loop {
                let item_type = *body.get(at).ok_or(WireError::TooShort)?;
                if item_type == 0 {
                    // End of the list, then padding to the next 32-bit boundary.
                    at = (at + 4) & !3;
                    break;
                }
                let len = usize::from(*body.get(at + 1).ok_or(WireError::TooShort)?);
                let text = body.get(at + 2..at + 2 + len).ok_or(WireError::TooShort)?;
                items.push(SdesItem {
                    item_type,
                    text: text.to_vec(),
                });
                at += 2 + len;
            }
            chunks.push(SdesChunk { ssrc, items });
        }
        Ok(Self { chunks })
    }

    /// Appends the packet to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        let count = u8::try_from(self.chunks.len()).map_err(|_| WireError::TooLarge)?;
        let mut body = Vec::new();
        for c in &self.chunks {
            body.extend_from_slice(&c.ssrc.to_be_bytes());
            for i in &c.items {
                let len = u8::try_from(i.text.len()).map_err(|_| WireError::TooLarge)?;
                if i.item_type == 0 {
                    return Err(WireError::TooLarge);
                }
                body.push(i.item_type);
                body.push(len);
                body.extend_from_slice(&i.text);
            }
            // The terminating null item plus padding to 32 bits (at least one zero byte).
            body.push(0);
            while body.len() % 4 != 0 {
                body.push(0);
            }
        }
        Header::emit(count, packet_type::SDES, body.len(), out)?;
        out.extend_from_slice(&body);
        Ok(())
    }
}

/// A goodbye (RFC 3550 §6.6).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bye {
    /// The sources leaving (at most 31).
    pub sources: Vec<u32>,
    /// Optional reason.
    pub reason: Option<Vec<u8>>,
}

impl Bye {
    pub(crate) fn parse(header: &Header, body: &[u8]) -> Result<Self, WireError> {
        let sources = (0..usize::from(header.count))
            .map(|i| u32_at(body, i * 4))
            .collect::<Result<Vec<_>, _>>()?;
        let at = sources.len() * 4;
        let reason = match body.get(at) {
            Some(&len) => Some(
                body.get(at + 1..at + 1 + usize::from(len))
                    .ok_or(WireError::TooShort)?
                    .to_vec(),
            ),
            None => None,
        };
        Ok(Self { sources, reason })
    }

    /// Appends the packet to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        let count = u8::try_from(self.sources.len()).map_err(|_| WireError::TooLarge)?;
        let mut body = Vec::new();
        for s in &self.sources {
            body.extend_from_slice(&s.to_be_bytes());
        }
        if let Some(r) = &self.reason {
            body.push(u8::try_from(r.len()).map_err(|_| WireError::TooLarge)?);
            body.extend_from_slice(r);
            while body.len() % 4 != 0 {
                body.push(0);
            }
        }
        Header::emit(count, packet_type::BYE, body.len(), out)?;
        out.extend_from_slice(&body);
        Ok(())
    }
}

/// An application-defined packet (RFC 3550 §6.7).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct App {
    /// Subtype (5 bits).
    pub subtype: u8,
    /// Source.
    pub ssrc: u32,
    /// Four ASCII characters.
    pub name: [u8; 4],
    /// Application data (a multiple of 4 bytes).
    pub data: Vec<u8>,
}

impl App {
    pub(crate) fn parse(header: &Header, body: &[u8]) -> Result<Self, WireError> {
        Ok(Self {
            subtype: header.count,
            ssrc: u32_at(body, 0)?,
            name: body
                .get(4..8)
                .ok_or(WireError::TooShort)?
                .try_into()
                .map_err(|_| WireError::TooShort)?,
            data: body[8..].to_vec(),
        })
    }

    /// Appends the packet to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        Header::emit(self.subtype, packet_type::APP, 8 + self.data.len(), out)?;
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        out.extend_from_slice(&self.name);
        out.extend_from_slice(&self.data);
        Ok(())
    }
}
