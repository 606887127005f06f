//! SNAP (draft-hancke-tsvwg-snap): `a=sctp-init` carries each end's SCTP INIT chunk. It is
//! offered when configured, answered only when offered, and handed to the association only
//! when both descriptions of the exchange carry one.

mod support;

use rtcweb_sdp::{Negotiator, SdpType};
use support::{config, exchange, fixture, negotiated};

/// Chromium 156's `a=sctp-init` with `--force-fieldtrials=WebRTC-Sctp-Snap/Enabled/`.
const CHROMIUM_SCTP_INIT: &str = "AQAAHgAU1swAUAAA/////7YIf5DAAAAEgAgABoLA";

fn chunk(byte: u8) -> Vec<u8> {
    vec![
        1, 0, 0, 20, byte, 2, 3, 4, 0, 0, 0x10, 0, 0xff, 0xff, 0xff, 0xff, 9, 9, 9, 9,
    ]
}

fn with_snap(seed: u64, init: Option<Vec<u8>>) -> Negotiator {
    let mut c = config(seed);
    c.sctp_init = init;
    let mut n = Negotiator::new(c).unwrap();
    n.add_data_channel().unwrap();
    n
}

#[test]
fn both_ends_with_snap_get_each_others_init() {
    let mut a = with_snap(1, Some(chunk(0xaa)));
    let mut b = with_snap(2, Some(chunk(0xbb)));
    let offer = a.create_offer().unwrap();
    assert!(offer.to_string().contains("a=sctp-init:"));
    let (at_a, at_b) = exchange(&mut a, &mut b);
    assert_eq!(at_a.sctp.unwrap().remote_sctp_init, Some(chunk(0xbb)));
    assert_eq!(at_b.sctp.unwrap().remote_sctp_init, Some(chunk(0xaa)));
}

#[test]
fn without_snap_at_either_end_the_handshake_runs() {
    for (a_init, b_init) in [(Some(chunk(1)), None), (None, Some(chunk(2))), (None, None)] {
        let offered = a_init.is_some();
        let mut a = with_snap(3, a_init);
        let mut b = with_snap(4, b_init);
        let offer = a.create_offer().unwrap();
        assert_eq!(offer.to_string().contains("a=sctp-init:"), offered);
        a.set_local_description(SdpType::Offer, &offer).unwrap();
        b.set_remote_sdp(SdpType::Offer, &offer.to_string())
            .unwrap();
        let answer = b.create_answer().unwrap();
        // An answerer without SNAP, or answering an offer without it, writes none.
        assert!(!answer.to_string().contains("a=sctp-init:"));
        b.set_local_description(SdpType::Answer, &answer).unwrap();
        a.set_remote_sdp(SdpType::Answer, &answer.to_string())
            .unwrap();
        assert_eq!(
            negotiated(&mut a).unwrap().sctp.unwrap().remote_sctp_init,
            None
        );
        assert_eq!(
            negotiated(&mut b).unwrap().sctp.unwrap().remote_sctp_init,
            None
        );
    }
}

#[test]
fn chromiums_offer_with_snap_is_answered_with_ours() {
    let offer = fixture("offer_audio_video_datachannel.sdp").replace(
        "a=sctp-port:5000\r\n",
        &format!("a=sctp-port:5000\r\na=sctp-init:{CHROMIUM_SCTP_INIT}\r\n"),
    );
    let mut c = config(5);
    c.sctp_init = Some(chunk(0xcc));
    let mut n = Negotiator::new(c).unwrap();
    n.set_remote_sdp(SdpType::Offer, &offer).unwrap();
    let answer = n.create_answer().unwrap();
    let text = answer.to_string();
    // Our chunk, base64: written with padding.
    assert!(
        text.contains("a=sctp-init:AQAAFMwCAwQAABAA/////wkJCQk=\r\n"),
        "{text}"
    );
    n.set_local_description(SdpType::Answer, &answer).unwrap();
    let init = negotiated(&mut n)
        .unwrap()
        .sctp
        .unwrap()
        .remote_sctp_init
        .unwrap();
    assert_eq!(init.len(), 30);
    assert_eq!(init[..8], [0x01, 0x00, 0x00, 0x1e, 0x00, 0x14, 0xd6, 0xcc]);
}

#[test]
fn bad_sctp_init_values_make_the_description_invalid() {
    let long = "A".repeat(2000);
    for bad in ["", "not base64!", long.as_str()] {
        let offer = fixture("offer_audio_video_datachannel.sdp").replace(
            "a=sctp-port:5000\r\n",
            &format!("a=sctp-port:5000\r\na=sctp-init:{bad}\r\n"),
        );
        let mut n = Negotiator::new(config(6)).unwrap();
        assert!(n.set_remote_sdp(SdpType::Offer, &offer).is_err(), "{bad:?}");
    }
    // Twice in one section.
    let twice = fixture("offer_audio_video_datachannel.sdp").replace(
        "a=sctp-port:5000\r\n",
        &format!(
            "a=sctp-port:5000\r\na=sctp-init:{CHROMIUM_SCTP_INIT}\r\na=sctp-init:{CHROMIUM_SCTP_INIT}\r\n"
        ),
    );
    let mut n = Negotiator::new(config(7)).unwrap();
    assert!(n.set_remote_sdp(SdpType::Offer, &twice).is_err());
}
