//! The peer connection core fed what a network and a remote peer can send: an arbitrary
//! remote description (or Chromium's real offer), arbitrary candidates, and arbitrary
//! datagrams of every kind (STUN, DTLS, RTP/RTCP, garbage) at arbitrary times; and, past
//! SRTP (which the fuzzer cannot key), arbitrary RTP and RTCP to the audio and video tracks
//! of Chromium's offer. No panic, bounded output, and a refused description leaves the
//! signaling state as it was.
#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtcweb_common::{Datagram, Transport};
use rtcweb_peer::{Config, Description, Peer, SdpType};

const CHROMIUM_OFFER: &str =
    include_str!("../../../shared/fixtures/chromium/offer_audio_video_datachannel.sdp");

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    #[allow(clippy::disallowed_methods)]
    let mut now = Instant::now();
    let config = Config {
        seed: Some(7),
        ..Config::default()
    };
    let Ok(mut peer) = Peer::new(config, now) else {
        return;
    };
    let local: SocketAddr = "192.0.2.1:5000".parse().unwrap();
    let remote: SocketAddr = "192.0.2.2:6000".parse().unwrap();
    let _ = peer.add_local_address(now, local);
    let mut rest = rest;
    if mode & 1 == 0 {
        // The remote description is the fuzzer's text.
        let len = usize::from(rest.first().copied().unwrap_or(0)) * 16;
        let text = rest
            .get(1..1 + len.min(rest.len().saturating_sub(1)))
            .unwrap_or_default();
        rest = rest.get(1 + text.len()..).unwrap_or_default();
        let before = peer.signaling_state();
        let description = Description {
            kind: if mode & 2 == 0 {
                SdpType::Offer
            } else {
                SdpType::Answer
            },
            sdp: String::from_utf8_lossy(text).into_owned(),
        };
        if peer.set_remote_description(now, &description).is_err() {
            assert_eq!(peer.signaling_state(), before);
        }
    } else {
        // Chromium's real offer, answered: ICE, DTLS and SCTP are then live.
        let offer = Description {
            kind: SdpType::Offer,
            sdp: CHROMIUM_OFFER.to_owned(),
        };
        if peer.set_remote_description(now, &offer).is_ok()
            && let Ok(answer) = peer.create_answer()
        {
            let _ = peer.set_local_description(now, &answer);
        }
    }
    // Then candidates, datagrams and time.
    while let Some((&op, tail)) = rest.split_first() {
        let len = usize::from(tail.first().copied().unwrap_or(0)).min(tail.len().saturating_sub(1));
        let body = tail.get(1..1 + len).unwrap_or_default();
        rest = tail.get(1 + len..).unwrap_or_default();
        match op % 5 {
            0 => {
                let line = String::from_utf8_lossy(body);
                let _ = peer.add_ice_candidate(now, Some("0"), &line);
            }
            1 => now += Duration::from_millis(u64::from(op) * 8),
            4 => peer.fuzz_unprotected_media(now, body),
            _ => peer.handle_datagram(
                now,
                Datagram {
                    transport: Transport::Udp,
                    local,
                    remote,
                    contents: body,
                },
            ),
        }
        if let Some(t) = peer.poll_timeout()
            && t <= now
        {
            peer.handle_timeout(now);
        }
        let mut transmits = 0;
        while peer.poll_transmit().is_some() {
            transmits += 1;
            assert!(transmits < 100_000);
        }
        while peer.poll_event().is_some() {}
    }
});
