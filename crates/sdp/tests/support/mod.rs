//! Shared helpers of the integration tests.
#![allow(dead_code)] // each test binary uses a part

use rtcweb_sdp::{Config, Event, Fingerprint, HashAlgorithm, Negotiation, Negotiator};

/// A capture from `shared/fixtures/chromium`.
pub(crate) fn fixture(name: &str) -> String {
    let path = format!(
        "{}/../../../shared/fixtures/chromium/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A description written for these tests, in `tests/data`.
pub(crate) fn data(name: &str) -> String {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    // Stored with LF line ends; SDP uses CRLF (RFC 8866 §5).
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

/// A SHA-256 fingerprint made of one repeated byte.
pub(crate) fn fingerprint(byte: u8) -> Fingerprint {
    Fingerprint::new(HashAlgorithm::Sha256, vec![byte; 32])
}

/// The default configuration, deterministic.
pub(crate) fn config(seed: u64) -> Config {
    let mut c = Config::new(fingerprint(seed as u8));
    c.seed = Some(seed);
    c
}

/// A negotiator with the default configuration.
pub(crate) fn negotiator(seed: u64) -> Negotiator {
    Negotiator::new(config(seed)).expect("default configuration is valid")
}

/// The last `Negotiated` event queued, draining the queue.
pub(crate) fn negotiated(n: &mut Negotiator) -> Option<Negotiation> {
    let mut last = None;
    while let Some(e) = n.poll_event() {
        if let Event::Negotiated(x) = e {
            last = Some(*x);
        }
    }
    last
}

/// A track with the given id.
pub(crate) fn track(id: &str) -> Option<rtcweb_sdp::LocalTrack> {
    Some(rtcweb_sdp::LocalTrack {
        stream_id: "stream".into(),
        track_id: id.into(),
    })
}

/// One complete exchange, `offerer` to `answerer`, through SDP text as signalling carries
/// it. Returns what each side negotiated.
pub(crate) fn exchange(
    offerer: &mut Negotiator,
    answerer: &mut Negotiator,
) -> (Negotiation, Negotiation) {
    use rtcweb_sdp::SdpType;
    let offer = offerer.create_offer().expect("create offer");
    offerer
        .set_local_description(SdpType::Offer, &offer)
        .expect("apply local offer");
    answerer
        .set_remote_sdp(SdpType::Offer, &offer.to_string())
        .expect("apply remote offer");
    let answer = answerer.create_answer().expect("create answer");
    answerer
        .set_local_description(SdpType::Answer, &answer)
        .expect("apply local answer");
    offerer
        .set_remote_sdp(SdpType::Answer, &answer.to_string())
        .expect("apply remote answer");
    (
        negotiated(offerer).expect("offerer negotiated"),
        negotiated(answerer).expect("answerer negotiated"),
    )
}

/// The mids of a description's sections, in order.
pub(crate) fn mids(d: &rtcweb_sdp::SessionDescription) -> Vec<String> {
    d.media
        .iter()
        .map(|m| m.mid().unwrap_or_default().to_owned())
        .collect()
}
