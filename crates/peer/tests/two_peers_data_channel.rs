//! Two peers in the network simulator: SDP offer/answer through the real writer and parser,
//! trickled candidates, ICE, DTLS, SCTP; a data channel carries 100 messages each way
//! (text and binary, up to 64 KiB) byte-exact, on a clean link and with 5 % loss. A
//! tampered fingerprint fails the connection with that reason; a malformed remote
//! description is refused and leaves the peer usable.

mod support;

use std::time::Duration;

use rtcweb_dtls::Error as DtlsError;
use rtcweb_netsim::LinkConfig;
use rtcweb_peer::{
    DataChannelInit, DtlsState, Error, Event, FailureReason, PeerConnectionState, SdpType,
    SignalingState,
};
use support::{World, lossy, test_message};

const MESSAGES: usize = 100;

/// Connects, opens a channel from A, sends 100 messages each way and checks them; returns
/// the world for more checks.
fn exchange(mut world: World, label: &str) -> World {
    let now = world.now;
    let channel = world
        .a
        .peer
        .create_data_channel(now, "chat", DataChannelInit::default())
        .unwrap();
    world.offer();
    assert!(
        world.run_until(Duration::from_secs(30), |w| w
            .a
            .saw(&Event::DataChannelOpen { channel })
            && w.b.incoming_channel().is_some()),
        "{label}: channel did not open; A {:?} B {:?}",
        world.a.peer.failure(),
        world.b.peer.failure()
    );
    let (remote, remote_label) = world.b.incoming_channel().unwrap();
    assert_eq!(remote_label, "chat");
    let a_connected = world.elapsed(world.a.connected_at().unwrap());
    let b_connected = world.elapsed(world.b.connected_at().unwrap());
    let open = world.elapsed(
        world
            .a
            .first(|e| *e == Event::DataChannelOpen { channel })
            .unwrap(),
    );
    // A (offerer, actpass) is the DTLS server, B (answerer, active) the client (RFC 8842 §5).
    assert_eq!(
        world.a.peer.data_channel(channel).unwrap().stream_id,
        Some(1),
        "the DTLS server's channels have odd ids"
    );
    assert!(world.a.peer.srtp_profile().is_some());
    assert_eq!(world.a.peer.srtp_profile(), world.b.peer.srtp_profile());

    let sent_at = world.now;
    for i in 0..MESSAGES {
        let now = world.now;
        world.a.peer.send(now, channel, test_message(i, 1)).unwrap();
        world.b.peer.send(now, remote, test_message(i, 2)).unwrap();
    }
    let bytes: usize = (0..MESSAGES).map(|i| test_message(i, 1).data.len()).sum();
    assert!(
        world.run_until(Duration::from_secs(120), |w| w.a.messages(channel).len()
            >= MESSAGES
            && w.b.messages(remote).len() >= MESSAGES),
        "{label}: A got {} B got {}",
        world.a.messages(channel).len(),
        world.b.messages(remote).len()
    );
    let took = world.now - sent_at;
    for i in 0..MESSAGES {
        assert_eq!(*world.b.messages(remote)[i], test_message(i, 1), "A→B {i}");
        assert_eq!(*world.a.messages(channel)[i], test_message(i, 2), "B→A {i}");
    }
    assert_eq!(world.a.messages(channel).len(), MESSAGES);
    assert_eq!(world.b.messages(remote).len(), MESSAGES);
    let net = world.net.stats();
    println!(
        "{label}: A connected at {a_connected:?}, B at {b_connected:?}, channel open at \
         {open:?}; {MESSAGES}+{MESSAGES} messages ({bytes} bytes A→B) in {took:?} simulated; \
         network sent {} lost {}; A {:?}; B {:?}",
        net.sent,
        net.lost,
        world.a.peer.stats(),
        world.b.peer.stats()
    );

    // RTCDataChannel.close() from A: both sides see the channel closed (RFC 8831 §6.7).
    let now = world.now;
    world.a.peer.close_data_channel(now, channel);
    assert!(
        world.run_until(Duration::from_secs(30), |w| w
            .a
            .saw(&Event::DataChannelClosed { channel })
            && w.b.saw(&Event::DataChannelClosed { channel: remote })),
        "{label}: channel close not seen by both"
    );
    world
}

#[test]
fn hundred_messages_each_way_on_a_clean_link() {
    let mut world = exchange(
        World::new(1, LinkConfig::with_delay(Duration::from_millis(10))),
        "clean",
    );
    assert_eq!(
        world.a.peer.connection_state(),
        PeerConnectionState::Connected
    );
    assert_eq!(
        world.b.peer.connection_state(),
        PeerConnectionState::Connected
    );
    assert_eq!(world.net.stats().lost, 0);

    // RTCSctpTransportStats: each host's access link delays 10 ms, so a packet takes
    // 20 ms and a round trip 40 ms; all data is acked.
    let report = world.a.peer.stats_report(world.now).to_json();
    let sctp = report
        .as_object()
        .unwrap()
        .values()
        .find(|v| v["type"] == "sctp-transport")
        .expect("an sctp-transport entry");
    assert_eq!(sctp["transportId"], report["T01"]["id"], "{sctp}");
    let rtt = sctp["smoothedRoundTripTime"].as_f64().unwrap();
    assert!((0.039..0.05).contains(&rtt), "{sctp}");
    assert_eq!(sctp["unackData"], 0, "{sctp}");
    assert!(sctp["congestionWindow"].as_u64().unwrap() >= 1191, "{sctp}");
    assert!(sctp["receiverWindow"].as_u64().unwrap() > 0, "{sctp}");
    // The same object, typed.
    let typed = world.a.peer.stats_report(world.now);
    let sctp = typed
        .iter()
        .find_map(|s| match &s.kind {
            rtcweb_peer::StatsKind::SctpTransport(t) => Some(t),
            _ => None,
        })
        .expect("an sctp-transport entry");
    assert_eq!(sctp.smoothed_round_trip_time, Some(rtt));
    assert_eq!(sctp.unack_data, 0);
    assert_eq!(sctp.transport_id, "T01");
    assert!(
        world.a.signal_errors.is_empty() && world.b.signal_errors.is_empty(),
        "{:?} {:?}",
        world.a.signal_errors,
        world.b.signal_errors
    );

    // close() from A: B sees DTLS closed by close_notify; A is closed for good.
    let now = world.now;
    world.a.peer.close(now);
    assert_eq!(world.a.peer.connection_state(), PeerConnectionState::Closed);
    assert_eq!(world.a.peer.signaling_state(), SignalingState::Closed);
    assert!(world.run_until(Duration::from_secs(5), |w| {
        w.b.saw(&Event::DtlsState(DtlsState::Closed))
    }));
    let now = world.now;
    assert_eq!(
        world
            .a
            .peer
            .create_data_channel(now, "late", DataChannelInit::default()),
        Err(Error::Closed)
    );
}

#[test]
fn hundred_messages_each_way_with_five_percent_loss() {
    let world = exchange(World::new(2, lossy(0.05)), "5% loss");
    assert!(world.net.stats().lost > 0, "the links lost nothing");
}

#[test]
fn tampered_fingerprint_fails_the_connection() {
    // Tamper with the offer (the answerer, DTLS client, checks the server's certificate)
    // and then with the answer (the offerer, DTLS server, checks the client's).
    for tamper in [SdpType::Offer, SdpType::Answer] {
        let mut world = World::new(3, LinkConfig::with_delay(Duration::from_millis(10)));
        world.rewrite = Some(Box::new(move |kind, sdp: String| {
            if kind != tamper {
                return sdp;
            }
            let at = sdp.find("a=fingerprint:sha-256 ").unwrap() + "a=fingerprint:sha-256 ".len();
            let flipped = if &sdp[at..at + 2] == "00" { "FF" } else { "00" };
            format!("{}{}{}", &sdp[..at], flipped, &sdp[at + 2..])
        }));
        let now = world.now;
        let channel = world
            .a
            .peer
            .create_data_channel(now, "chat", DataChannelInit::default())
            .unwrap();
        world.offer();
        // The side that checks the tampered fingerprint: A checks the answer's.
        let checker_is_a = tamper == SdpType::Answer;
        assert!(
            world.run_until(Duration::from_secs(30), |w| {
                let side = if checker_is_a { &w.a } else { &w.b };
                side.peer.connection_state() == PeerConnectionState::Failed
            }),
            "tampered {tamper}: no failure"
        );
        let checker = if checker_is_a { &world.a } else { &world.b };
        assert!(
            matches!(
                checker.peer.failure(),
                Some(FailureReason::Dtls(DtlsError::FingerprintMismatch { .. }))
            ),
            "tampered {tamper}: {:?}",
            checker.peer.failure()
        );
        assert!(checker.saw(&Event::Failed(checker.peer.failure().unwrap().clone())));
        assert_eq!(checker.peer.dtls_state(), DtlsState::Failed);
        // The channel never opened, and A's handle is closed.
        assert!(!world.a.saw(&Event::DataChannelOpen { channel }));
        assert!(world.b.incoming_channel().is_none());
        if tamper == SdpType::Answer {
            assert!(world.a.saw(&Event::DataChannelClosed { channel }));
        }
        // The other side hears the bad_certificate alert (RFC 5246 §7.2.2) and fails too.
        world.run_for(Duration::from_secs(1));
        let other = if checker_is_a { &world.b } else { &world.a };
        assert_eq!(
            other.peer.failure(),
            Some(&FailureReason::Dtls(DtlsError::AlertReceived(
                rtcweb_dtls::AlertDescription::BAD_CERTIFICATE
            ))),
            "tampered {tamper}"
        );
    }
}

#[test]
fn malformed_remote_description_is_refused_and_the_peer_stays_usable() {
    let mut world = World::new(4, LinkConfig::with_delay(Duration::from_millis(10)));
    let now = world.now;
    let offer = {
        let a = &mut world.a.peer;
        a.create_data_channel(now, "chat", DataChannelInit::default())
            .unwrap();
        a.create_offer().unwrap()
    };
    let b = &mut world.b.peer;
    let bad = |sdp: &str| rtcweb_peer::Description {
        kind: SdpType::Offer,
        sdp: sdp.to_owned(),
    };
    // Not SDP at all.
    let e = b
        .set_remote_description(now, &bad("v=0\r\nthis is not sdp\r\n"))
        .unwrap_err();
    assert!(
        matches!(e, Error::Sdp(rtcweb_sdp::Error::Parse(_))),
        "{e:?}"
    );
    assert!(e.is_remote_fault());
    // Contradictory: BUNDLE names a section that does not exist (RFC 8843 §7).
    let contradictory = offer
        .sdp
        .replacen("a=group:BUNDLE 0", "a=group:BUNDLE 0 7", 1);
    assert_ne!(contradictory, offer.sdp);
    let e = b
        .set_remote_description(now, &bad(&contradictory))
        .unwrap_err();
    assert!(
        matches!(e, Error::Sdp(rtcweb_sdp::Error::Invalid(_))),
        "{e:?}"
    );
    // A fingerprint DTLS cannot check (an unknown hash function).
    let weak = offer
        .sdp
        .replacen("a=fingerprint:sha-256", "a=fingerprint:foo-1", 1);
    assert_eq!(
        b.set_remote_description(now, &bad(&weak)),
        Err(Error::UnsupportedFingerprint)
    );
    // An answer while stable: the wrong state, the caller's fault.
    let e = b
        .set_remote_description(
            now,
            &rtcweb_peer::Description {
                kind: SdpType::Answer,
                sdp: offer.sdp.clone(),
            },
        )
        .unwrap_err();
    assert!(!e.is_remote_fault(), "{e:?}");
    // A candidate before any remote description, and a malformed one.
    assert_eq!(
        b.add_ice_candidate(now, Some("0"), "candidate:1 1 udp 1 192.0.2.9 9 typ host"),
        Err(Error::NoRemoteDescription)
    );
    assert_eq!(b.signaling_state(), SignalingState::Stable);
    assert_eq!(b.connection_state(), PeerConnectionState::New);
    assert!(b.remote_description().is_none());

    // The genuine offer still works: the connection comes up and a message goes through.
    world.a.peer.set_local_description(now, &offer).unwrap();
    world.signal(false, support::Signal::Description(offer));
    assert!(world.run_until(Duration::from_secs(20), |w| {
        w.b.incoming_channel().is_some()
    }));
    let e = world
        .b
        .peer
        .add_ice_candidate(now, Some("0"), "candidate:garbage")
        .unwrap_err();
    assert!(matches!(e, Error::Candidate(_)), "{e:?}");
    let (remote, _) = world.b.incoming_channel().unwrap();
    let now = world.now;
    world.b.peer.send_text(now, remote, "still usable").unwrap();
    assert!(world.run_until(Duration::from_secs(5), |w| {
        !w.a.events.iter().all(|(_, e)| {
        !matches!(e, Event::Message { message, .. } if message.as_text() == Some("still usable"))
    })
    }));
    assert!(
        world.a.signal_errors.is_empty() && world.b.signal_errors.is_empty(),
        "{:?} {:?}",
        world.a.signal_errors,
        world.b.signal_errors
    );
}
