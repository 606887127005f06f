//! Real SRTP packets from Chromium (`shared/fixtures/chromium`), unprotected with the keys
//! aiortc exported, must give exactly the RTP packets aiortc decrypted.

use std::path::PathBuf;

use rtcweb_srtp::{Config, Profile, Role, Session};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/chromium")
}

fn read(name: &str) -> Vec<u8> {
    let path = fixtures().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The hex string of `field` inside the `call` object of capture_meta.json.
fn meta_hex(call: &str, field: &str) -> Vec<u8> {
    let text = String::from_utf8(read("capture_meta.json")).expect("UTF-8 JSON");
    let start = text
        .find(&format!("\"{call}\""))
        .unwrap_or_else(|| panic!("no {call} in capture_meta.json"));
    let object = &text[start..];
    let object = &object[..object.find('}').expect("object closes")];
    let at = object
        .find(&format!("\"{field}\""))
        .unwrap_or_else(|| panic!("no {field} in {call}"));
    let value = object[at + field.len() + 2..]
        .split('"')
        .nth(1)
        .expect("a string value");
    hex::decode(value).expect("hex")
}

/// Chromium was the DTLS server of the chromium-offers call, so its packets are protected
/// with the server write key; aiortc, the client, unprotects them. We play aiortc.
fn session_as_aiortc() -> Session {
    let call = "chromium-offers";
    let mut material = meta_hex(call, "client_write_key");
    material.extend(meta_hex(call, "server_write_key"));
    material.extend(meta_hex(call, "client_write_salt"));
    material.extend(meta_hex(call, "server_write_salt"));
    Session::from_keying_material(
        Profile::Aes128CmHmacSha1_80,
        &material,
        Role::Client,
        &Config::default(),
    )
    .expect("30-byte keys and salts")
}

fn check(srtp: &str, decrypted: &str) {
    let mut packet = read(srtp);
    let expected = read(decrypted);
    let mut session = session_as_aiortc();
    let len = session
        .unprotect_rtp(&mut packet)
        .expect("Chromium's packet unprotects");
    assert_eq!(packet[..len], expected[..], "{srtp}");
    assert_eq!(len + 10, read(srtp).len());
}

#[test]
fn opus_packet_unprotects_to_the_decrypted_fixture() {
    check(
        "rtp_opus_chromium.srtp.bin",
        "rtp_opus_chromium.decrypted.bin",
    );
}

#[test]
fn vp8_packet_unprotects_to_the_decrypted_fixture() {
    check(
        "rtp_vp8_chromium.srtp.bin",
        "rtp_vp8_chromium.decrypted.bin",
    );
}

#[test]
fn the_wrong_role_does_not_authenticate() {
    let call = "chromium-offers";
    let mut material = meta_hex(call, "client_write_key");
    material.extend(meta_hex(call, "server_write_key"));
    material.extend(meta_hex(call, "client_write_salt"));
    material.extend(meta_hex(call, "server_write_salt"));
    let mut session = Session::from_keying_material(
        Profile::Aes128CmHmacSha1_80,
        &material,
        Role::Server,
        &Config::default(),
    )
    .unwrap();
    let mut packet = read("rtp_opus_chromium.srtp.bin");
    assert_eq!(
        session.unprotect_rtp(&mut packet),
        Err(rtcweb_srtp::Error::AuthenticationFailed)
    );
}

#[test]
fn our_protect_reproduces_chromiums_bytes() {
    // Protecting the decrypted packet with Chromium's key must give Chromium's exact bytes.
    let call = "chromium-offers";
    let mut material = meta_hex(call, "client_write_key");
    material.extend(meta_hex(call, "server_write_key"));
    material.extend(meta_hex(call, "client_write_salt"));
    material.extend(meta_hex(call, "server_write_salt"));
    let mut as_chromium = Session::from_keying_material(
        Profile::Aes128CmHmacSha1_80,
        &material,
        Role::Server,
        &Config::default(),
    )
    .unwrap();
    for (srtp, plain) in [
        (
            "rtp_opus_chromium.srtp.bin",
            "rtp_opus_chromium.decrypted.bin",
        ),
        (
            "rtp_vp8_chromium.srtp.bin",
            "rtp_vp8_chromium.decrypted.bin",
        ),
    ] {
        let mut buf = read(plain);
        let len = buf.len();
        buf.resize(len + 10, 0);
        let n = as_chromium.protect_rtp(&mut buf, len).unwrap();
        assert_eq!(buf[..n], read(srtp)[..], "{srtp}");
    }
}
