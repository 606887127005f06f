//! SRTCP unprotect on arbitrary bytes, under fixed keys for every profile and under a key
//! taken from the input: never panics, and whatever protects round-trips.
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
    let (material, packet) = if selector % 2 == 0 || rest.len() < need {
        (vec![0x24; need], rest)
    } else {
        (rest[..need].to_vec(), &rest[need..])
    };
    let mut rx = session(profile, &material, Role::Client);
    let mut buf = packet.to_vec();
    if let Ok(len) = rx.unprotect_rtcp(&mut buf) {
        assert!(len <= packet.len());
        let mut again = packet.to_vec();
        assert!(rx.unprotect_rtcp(&mut again).is_err());
    }
    let mut tx = session(profile, &material, Role::Server);
    let mut rx = session(profile, &material, Role::Client);
    let mut buf = packet.to_vec();
    buf.resize(packet.len() + profile.rtcp_overhead(), 0);
    if let Ok(n) = tx.protect_rtcp(&mut buf, packet.len()) {
        let len = rx.unprotect_rtcp(&mut buf[..n]).expect("own packet unprotects");
        assert_eq!(&buf[..len], packet);
    }
});
