//! Chromium's decrypted RTP packets (`shared/fixtures/chromium`) parse, extensions included.

use rtcweb_rtp::{AudioLevel, ExtensionForm, RtpPacket, parse_abs_send_time, parse_sdes_text};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../../shared/fixtures/chromium/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn opus_packet_with_mid_and_audio_level() {
    let bytes = fixture("rtp_opus_chromium.decrypted.bin");
    let p = RtpPacket::parse(&bytes).unwrap();
    assert_eq!(p.payload_type(), 111);
    assert!(p.marker(), "first packet of a talk spurt");
    let ext = p.extensions();
    assert_eq!(ext.form(), Some(ExtensionForm::OneByte));
    // a=extmap:4 sdes:mid, a=extmap:1 ssrc-audio-level in the offer.
    assert_eq!(parse_sdes_text(ext.get(4).unwrap()), Some("0"));
    let level = AudioLevel::parse(ext.get(1).unwrap()).unwrap();
    assert_eq!(
        level,
        AudioLevel {
            voice: true,
            level: 127
        }
    );
    // The payload starts after the 4-byte extension block: Opus TOC byte first.
    assert_eq!(p.payload().len(), bytes.len() - 12 - 8);
}

#[test]
fn vp8_key_frame_start_with_a_15_bit_picture_id() {
    let bytes = fixture("rtp_vp8_chromium.decrypted.bin");
    let p = RtpPacket::parse(&bytes).unwrap();
    assert_eq!(p.payload_type(), 96);
    let ext = p.extensions();
    // a=extmap:2 abs-send-time, a=extmap:4 sdes:mid (the video m-line is mid 1).
    assert!(parse_abs_send_time(ext.get(2).unwrap()).is_some());
    assert_eq!(parse_sdes_text(ext.get(4).unwrap()), Some("1"));
    let payload = p.payload();
    // RFC 7741 §4.2 payload descriptor: X=1, S=1 (start of partition), PID=0; I=1; a
    // 15-bit picture ID (M bit set).
    assert_eq!(payload[0] & 0x90, 0x90);
    assert_eq!(payload[0] & 0x07, 0);
    assert_eq!(payload[1] & 0x80, 0x80);
    assert_eq!(payload[2] & 0x80, 0x80, "15-bit picture ID");
    let picture_id = u16::from_be_bytes([payload[2] & 0x7f, payload[3]]);
    assert_eq!(picture_id, 0x5cbc);
    // VP8 payload header: P bit 0 (key frame), then the key-frame start code 9d 01 2a.
    let vp8 = &payload[4..];
    assert_eq!(vp8[0] & 0x01, 0, "key frame");
    assert_eq!(&vp8[3..6], &[0x9d, 0x01, 0x2a]);
}
