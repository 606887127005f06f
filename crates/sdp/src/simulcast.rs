//! `a=simulcast` (RFC 8853 §5.1): which rids are sent and received as simulcast.

use std::fmt;

use crate::rid::is_rid_id;

/// One simulcast stream in a list: a rid, paused when written with `~`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SimulcastStream {
    /// The rid.
    pub rid: String,
    /// Initially paused (`~`).
    pub paused: bool,
}

/// `a=simulcast:send <alternatives>;... recv <alternatives>;...`. Each entry of `send` or
/// `recv` is one simulcast stream, given as a list of alternative rids (`,`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Simulcast {
    /// Streams the author sends.
    pub send: Vec<Vec<SimulcastStream>>,
    /// Streams the author receives.
    pub recv: Vec<Vec<SimulcastStream>>,
}

impl Simulcast {
    /// The same simulcast seen from the other side (send and receive swapped), as an answer
    /// mirrors it (RFC 8853 §5.3).
    pub fn reverse(&self) -> Self {
        Self {
            send: self.recv.clone(),
            recv: self.send.clone(),
        }
    }

    /// Parses the attribute value.
    pub fn parse(s: &str) -> Option<Self> {
        let mut out = Self::default();
        let mut seen_send = false;
        let mut seen_recv = false;
        let mut it = s.split(' ').filter(|p| !p.is_empty());
        while let Some(dir) = it.next() {
            let list = parse_list(it.next()?)?;
            match dir {
                "send" if !seen_send => {
                    seen_send = true;
                    out.send = list;
                }
                "recv" if !seen_recv => {
                    seen_recv = true;
                    out.recv = list;
                }
                _ => return None,
            }
        }
        (seen_send || seen_recv).then_some(out)
    }
}

fn parse_list(s: &str) -> Option<Vec<Vec<SimulcastStream>>> {
    s.split(';')
        .map(|alts| {
            alts.split(',')
                .map(|id| {
                    let (rid, paused) = match id.strip_prefix('~') {
                        Some(r) => (r, true),
                        None => (id, false),
                    };
                    is_rid_id(rid).then(|| SimulcastStream {
                        rid: rid.to_owned(),
                        paused,
                    })
                })
                .collect()
        })
        .collect()
}

fn write_list(f: &mut fmt::Formatter<'_>, list: &[Vec<SimulcastStream>]) -> fmt::Result {
    for (i, alts) in list.iter().enumerate() {
        if i > 0 {
            f.write_str(";")?;
        }
        for (j, s) in alts.iter().enumerate() {
            if j > 0 {
                f.write_str(",")?;
            }
            if s.paused {
                f.write_str("~")?;
            }
            f.write_str(&s.rid)?;
        }
    }
    Ok(())
}

impl fmt::Display for Simulcast {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.send.is_empty() {
            f.write_str("send ")?;
            write_list(f, &self.send)?;
        }
        if !self.recv.is_empty() {
            if !self.send.is_empty() {
                f.write_str(" ")?;
            }
            f.write_str("recv ")?;
            write_list(f, &self.recv)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_send_and_recv_lists() {
        let s = Simulcast::parse("send h;m;~l recv a,b").unwrap();
        assert_eq!(s.send.len(), 3);
        assert!(s.send[2][0].paused);
        assert_eq!(s.recv[0].len(), 2);
        assert_eq!(s.to_string(), "send h;m;~l recv a,b");
        assert_eq!(s.reverse().to_string(), "send a,b recv h;m;~l");
        for bad in ["", "send", "send h send l", "both h", "send h;;l", "send ~"] {
            assert_eq!(Simulcast::parse(bad), None, "{bad:?}");
        }
    }
}
