//! SRTP unprotect on arbitrary bytes, under fixed keys for every profile and under a key taken
//! from the input: never panics, a failure leaves the stream usable, and whatever
//! authenticates round-trips through protect.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtcweb_srtp::{Config, Profile, Role, Session};

fn session(profile: Profile, material: &[u8], role: Role) -> Session {
    Session::from_keying_material(profile, material, role, &Config::default())
        .expect("material has the profile's length")
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let profile = Profile::ALL[usize::from(selector) % Profile::ALL.len()];
    let need = profile.keying_material_len();
    // Even selectors: a fixed key. Odd: the key is the first bytes of the input.
    let (material, packet) = if selector % 2 == 0 || rest.len() < need {
        (vec![0x42; need], rest)
    } else {
        (rest[..need].to_vec(), &rest[need..])
    };
    let mut rx = session(profile, &material, Role::Client);
    let mut buf = packet.to_vec();
    if let Ok(len) = rx.unprotect_rtp(&mut buf) {
        assert!(len <= packet.len());
        // The same packet again is a replay.
        let mut again = packet.to_vec();
        assert!(rx.unprotect_rtp(&mut again).is_err());
    }
    // Treat the input as plain RTP: protect, then unprotect, must give it back.
    let mut tx = session(profile, &material, Role::Server);
    let mut rx = session(profile, &material, Role::Client);
    let mut buf = packet.to_vec();
    buf.resize(packet.len() + profile.rtp_overhead(), 0);
    if let Ok(n) = tx.protect_rtp(&mut buf, packet.len()) {
        let len = rx.unprotect_rtp(&mut buf[..n]).expect("own packet unprotects");
        assert_eq!(&buf[..len], packet);
    }
});
