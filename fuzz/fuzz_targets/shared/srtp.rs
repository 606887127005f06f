//! The body shared by the SRTP and SRTCP unprotect targets: arbitrary bytes under fixed keys for
//! every profile and under a key taken from the input. Never panics, a failure leaves the stream
//! usable, and whatever authenticates round-trips through protect.

use rtcweb_srtp::{Config, Error, Profile, Role, Session};

/// Which packets a target feeds (each target uses one variant).
#[derive(Clone, Copy)]
#[allow(dead_code)]
pub enum Kind {
    /// SRTP.
    Rtp,
    /// SRTCP.
    Rtcp,
}

impl Kind {
    fn unprotect(self, s: &mut Session, buf: &mut [u8]) -> Result<usize, Error> {
        match self {
            Self::Rtp => s.unprotect_rtp(buf),
            Self::Rtcp => s.unprotect_rtcp(buf),
        }
    }

    fn protect(self, s: &mut Session, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        match self {
            Self::Rtp => s.protect_rtp(buf, len),
            Self::Rtcp => s.protect_rtcp(buf, len),
        }
    }

    fn overhead(self, profile: Profile) -> usize {
        match self {
            Self::Rtp => profile.rtp_overhead(),
            Self::Rtcp => profile.rtcp_overhead(),
        }
    }
}

fn session(profile: Profile, material: &[u8], role: Role) -> Session {
    Session::from_keying_material(profile, material, role, &Config::default())
        .expect("material has the profile's length")
}

/// Runs one input; `fixed_key` is the byte of the fixed keying material.
pub fn run(kind: Kind, fixed_key: u8, data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let profile = Profile::ALL[usize::from(selector) % Profile::ALL.len()];
    let need = profile.keying_material_len();
    // Even selectors: a fixed key. Odd: the key is the first bytes of the input.
    let (material, packet) = if selector % 2 == 0 || rest.len() < need {
        (vec![fixed_key; need], rest)
    } else {
        (rest[..need].to_vec(), &rest[need..])
    };
    let mut rx = session(profile, &material, Role::Client);
    let mut buf = packet.to_vec();
    if let Ok(len) = kind.unprotect(&mut rx, &mut buf) {
        assert!(len <= packet.len());
        // The same packet again is a replay.
        let mut again = packet.to_vec();
        assert!(kind.unprotect(&mut rx, &mut again).is_err());
    }
    // Treat the input as a plain packet: protect, then unprotect, must give it back.
    let mut tx = session(profile, &material, Role::Server);
    let mut rx = session(profile, &material, Role::Client);
    let mut buf = packet.to_vec();
    buf.resize(packet.len() + kind.overhead(profile), 0);
    if let Ok(n) = kind.protect(&mut tx, &mut buf, packet.len()) {
        let len = kind
            .unprotect(&mut rx, &mut buf[..n])
            .expect("own packet unprotects");
        assert_eq!(&buf[..len], packet);
    }
}
