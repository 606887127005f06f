//! Property tests: protect → unprotect round trips for random payloads, SSRCs, sequence gaps
//! and reordering within the replay window, for every profile.

use proptest::prelude::*;
use rtcweb_srtp::{Config, Error, Profile, Role, Session};

fn profile() -> impl Strategy<Value = Profile> {
    prop::sample::select(Profile::ALL.to_vec())
}

fn pair(profile: Profile, window: usize) -> (Session, Session) {
    let material: Vec<u8> = (0..profile.keying_material_len())
        .map(|i| (i * 13 + 5) as u8)
        .collect();
    let config = Config::default().with_replay_window(window);
    (
        Session::from_keying_material(profile, &material, Role::Client, &config).unwrap(),
        Session::from_keying_material(profile, &material, Role::Server, &config).unwrap(),
    )
}

fn rtp(seq: u16, ssrc: u32, payload: &[u8], room: usize) -> (Vec<u8>, usize) {
    let mut p = vec![0x80, 0x60];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&u32::from(seq).wrapping_mul(160).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    let len = p.len();
    p.resize(len + room, 0);
    (p, len)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Packets sent with random gaps, then delivered shuffled within a window of 64 (or
    /// 1024): every one unprotects to its plaintext once, and a second copy is a replay.
    #[test]
    fn gaps_and_reordering(
        profile in profile(),
        ssrc in any::<u32>(),
        start in any::<u16>(),
        gaps in prop::collection::vec(1u16..4, 1..40),
        payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 40),
        shuffle in prop::collection::vec(any::<prop::sample::Index>(), 40),
        big_window in any::<bool>(),
    ) {
        let window = if big_window { 1024 } else { 64 };
        let (mut alice, mut bob) = pair(profile, window);
        let mut seq = start;
        let mut sent = Vec::new();
        for (gap, payload) in gaps.iter().zip(&payloads) {
            seq = seq.wrapping_add(*gap);
            let (mut buf, len) = rtp(seq, ssrc, payload, profile.rtp_overhead());
            let n = alice.protect_rtp(&mut buf, len).unwrap();
            prop_assert_eq!(n, len + profile.rtp_overhead());
            buf.truncate(n);
            sent.push((buf, rtp(seq, ssrc, payload, 0).0));
        }
        // The first packet goes first (it fixes the ROC); the rest are shuffled. All indices
        // are within 40 * 3 of each other: inside a 1024 window, maybe not a 64 one.
        let mut order: Vec<usize> = (1..sent.len()).collect();
        for (i, ix) in shuffle.iter().enumerate().take(order.len()) {
            let j = ix.index(order.len());
            order.swap(i, j);
        }
        order.insert(0, 0);
        for &i in &order {
            let (wire, plain) = &sent[i];
            let mut buf = wire.clone();
            match bob.unprotect_rtp(&mut buf) {
                Ok(n) => prop_assert_eq!(&buf[..n], &plain[..]),
                // A 64-packet window may be overtaken by a long forward jump.
                Err(Error::TooOld { .. }) if window == 64 => continue,
                Err(e) => return Err(TestCaseError::fail(format!("packet {i}: {e}"))),
            }
            let mut again = wire.clone();
            let replay = bob.unprotect_rtp(&mut again);
            prop_assert!(
                matches!(replay, Err(Error::Replayed { .. })),
                "replay of {} gave {:?}", i, replay
            );
        }
    }

    /// In-order SRTCP for random SSRCs and bodies round-trips; a tampered byte never
    /// authenticates and does not disturb the stream.
    #[test]
    fn rtcp_round_trip(
        profile in profile(),
        ssrc in any::<u32>(),
        bodies in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 1..10),
        flip in any::<prop::sample::Index>(),
    ) {
        let (mut alice, mut bob) = pair(profile, 64);
        for body in &bodies {
            let mut p = vec![0x80, 0xc8, 0, 0];
            p.extend_from_slice(&ssrc.to_be_bytes());
            p.extend_from_slice(body);
            let len = p.len();
            let mut buf = p.clone();
            buf.resize(len + profile.rtcp_overhead(), 0);
            let n = alice.protect_rtcp(&mut buf, len).unwrap();
            let mut bad = buf[..n].to_vec();
            let at = flip.index(n);
            bad[at] ^= 0x01;
            let tampered = bob.unprotect_rtcp(&mut bad);
            prop_assert!(tampered.is_err());
            let mut good = buf[..n].to_vec();
            prop_assert_eq!(bob.unprotect_rtcp(&mut good), Ok(len));
            prop_assert_eq!(&good[..len], &p[..]);
        }
    }
}
