//! Interop with libsrtp 2, the reference implementation, through a small C harness
//! (`tests/libsrtp_harness.c`) compiled here with the system C compiler and linked with
//! Debian's libsrtp2.
//!
//! For every profile, SRTP and SRTCP: what libsrtp protects we unprotect and the reverse,
//! across a sequence-number wrap (ROC 0 → 1), and a replayed packet is refused on both sides.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use rtcweb_srtp::{Config, Error, Profile, Role, Session};

const INSTALL_HINT: &str = "libsrtp2 is needed for the interop tests: `cargo xtask test` \
     installs it (Debian packages libsrtp2-dev and gcc; by hand: apt-get install -y libsrtp2-dev gcc)";

/// libsrtp's srtp_err_status_replay_fail.
const LIBSRTP_REPLAY_FAIL: i32 = 9;

/// Compiles the harness once per test run.
fn harness() -> &'static PathBuf {
    static HARNESS: OnceLock<PathBuf> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/libsrtp_harness.c");
        let dir = std::env::temp_dir().join(format!("rtcweb-srtp-libsrtp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let exe = dir.join("libsrtp_harness");
        let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
        let out = Command::new(&cc)
            .arg("-O1")
            .arg("-o")
            .arg(&exe)
            .arg(&source)
            .arg("-lsrtp2")
            .output()
            .unwrap_or_else(|e| panic!("cannot run the C compiler `{cc}`: {e}. {INSTALL_HINT}"));
        assert!(
            out.status.success(),
            "compiling the libsrtp harness failed:\n{}\n{INSTALL_HINT}",
            String::from_utf8_lossy(&out.stderr)
        );
        exe
    })
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Ok(Vec<u8>),
    Err(i32),
}

/// Runs libsrtp over `packets` ("rtp"/"rtcp", bytes) with one session, in order.
fn libsrtp(
    profile: Profile,
    protect: bool,
    key_and_salt: &[u8],
    packets: &[(&str, Vec<u8>)],
) -> Vec<Outcome> {
    let mut child = Command::new(harness())
        .arg(profile.id().to_string())
        .arg(if protect { "protect" } else { "unprotect" })
        .arg(hex::encode(key_and_salt))
        .arg("1024")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("harness runs");
    let mut stdin = child.stdin.take().expect("piped");
    let input: String = packets
        .iter()
        .map(|(kind, bytes)| format!("{kind} {}\n", hex::encode(bytes)))
        .collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("harness finishes");
    writer
        .join()
        .expect("writer thread")
        .expect("write to harness");
    assert!(
        out.status.success(),
        "harness failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("ASCII");
    let results: Vec<Outcome> = text
        .lines()
        .map(|line| match line.split_once(' ') {
            Some(("ok", h)) => Outcome::Ok(hex::decode(h).expect("hex")),
            Some(("err", code)) => Outcome::Err(code.parse().expect("status")),
            _ => panic!("harness said {line:?}"),
        })
        .collect();
    assert_eq!(results.len(), packets.len(), "one answer per packet");
    results
}

/// DTLS-SRTP keying material with distinct client and server halves.
fn material(profile: Profile) -> Vec<u8> {
    (0..profile.keying_material_len())
        .map(|i| (i as u8).wrapping_mul(37).wrapping_add(profile.id() as u8))
        .collect()
}

/// (client key || client salt, server key || server salt) as libsrtp takes them.
fn libsrtp_keys(profile: Profile) -> (Vec<u8>, Vec<u8>) {
    let m = material(profile);
    let (k, s) = (profile.master_key_len(), profile.master_salt_len());
    let client = [&m[..k], &m[2 * k..2 * k + s]].concat();
    let server = [&m[k..2 * k], &m[2 * k + s..]].concat();
    (client, server)
}

/// RTP packets with sequence numbers 65530..=65535, 0..=5 (ROC 0 → 1), one with a CSRC and
/// a header extension.
fn rtp_packets() -> Vec<Vec<u8>> {
    (0..12u32)
        .map(|n| {
            let seq = 65_530u16.wrapping_add(n as u16);
            let ts = 960 * n;
            let mut p = if n == 3 {
                vec![0x91, 0x6f]
            } else {
                vec![0x80, 0x6f]
            };
            p.extend_from_slice(&seq.to_be_bytes());
            p.extend_from_slice(&ts.to_be_bytes());
            p.extend_from_slice(&0x1234_5678u32.to_be_bytes());
            if n == 3 {
                p.extend_from_slice(&[0, 0, 0, 42, 0xbe, 0xde, 0, 1, 0x10, 0x55, 0, 0]);
            }
            p.extend((0..40 + 17 * n).map(|i| (i * 7 + n) as u8));
            p
        })
        .collect()
}

fn rtcp_packets() -> Vec<Vec<u8>> {
    (0..5u8)
        .map(|n| {
            // A receiver report with one report block.
            let mut p = vec![0x81, 0xc9, 0x00, 0x07, 0x12, 0x34, 0x56, 0x78];
            p.extend((0..24).map(|i| i ^ n));
            p
        })
        .collect()
}

fn session(profile: Profile, role: Role) -> Session {
    Session::from_keying_material(
        profile,
        &material(profile),
        role,
        &Config::default().with_replay_window(1024),
    )
    .expect("keys")
}

fn libsrtp_protects_we_unprotect(profile: Profile) {
    let (client, _) = libsrtp_keys(profile);
    // libsrtp plays the DTLS client, we the server.
    let mut ours = session(profile, Role::Server);
    let plain_rtp = rtp_packets();
    let plain_rtcp = rtcp_packets();
    let mut input: Vec<(&str, Vec<u8>)> = plain_rtp.iter().map(|p| ("rtp", p.clone())).collect();
    input.extend(plain_rtcp.iter().map(|p| ("rtcp", p.clone())));
    let protected = libsrtp(profile, true, &client, &input);
    for (i, (outcome, (kind, plain))) in protected.iter().zip(&input).enumerate() {
        let Outcome::Ok(packet) = outcome else {
            panic!("{profile:?}: libsrtp refused to protect packet {i}: {outcome:?}");
        };
        let mut buf = packet.clone();
        let len = if *kind == "rtp" {
            ours.unprotect_rtp(&mut buf)
        } else {
            ours.unprotect_rtcp(&mut buf)
        }
        .unwrap_or_else(|e| panic!("{profile:?}: {kind} packet {i} from libsrtp: {e}"));
        assert_eq!(buf[..len], plain[..], "{profile:?}: {kind} packet {i}");
    }
    assert_eq!(ours.remote().rollover_counter(0x1234_5678), Some(1));
    // Replays: the last RTP packet (ROC 1) and the last RTCP packet.
    let Outcome::Ok(last_rtp) = &protected[plain_rtp.len() - 1] else {
        unreachable!("checked above")
    };
    let mut again = last_rtp.clone();
    assert_eq!(
        ours.unprotect_rtp(&mut again),
        Err(Error::Replayed { index: 65_536 + 5 })
    );
    let Outcome::Ok(last_rtcp) = protected.last().expect("packets") else {
        unreachable!("checked above")
    };
    let mut again = last_rtcp.clone();
    assert!(matches!(
        ours.unprotect_rtcp(&mut again),
        Err(Error::Replayed { .. })
    ));
}

fn we_protect_libsrtp_unprotects(profile: Profile) {
    let (_, server) = libsrtp_keys(profile);
    let mut ours = session(profile, Role::Server);
    let mut input: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut expected = Vec::new();
    for p in rtp_packets() {
        let mut buf = p.clone();
        buf.resize(p.len() + profile.rtp_overhead(), 0);
        let n = ours.protect_rtp(&mut buf, p.len()).expect("protect");
        buf.truncate(n);
        input.push(("rtp", buf));
        expected.push(Outcome::Ok(p));
    }
    for p in rtcp_packets() {
        let mut buf = p.clone();
        buf.resize(p.len() + profile.rtcp_overhead(), 0);
        let n = ours.protect_rtcp(&mut buf, p.len()).expect("protect");
        buf.truncate(n);
        input.push(("rtcp", buf));
        expected.push(Outcome::Ok(p));
    }
    // Replays of the last RTP packet (after the wrap) and of the last RTCP packet.
    let last_rtp = input[rtp_packets().len() - 1].clone();
    let last_rtcp = input[input.len() - 1].clone();
    input.push(last_rtp);
    expected.push(Outcome::Err(LIBSRTP_REPLAY_FAIL));
    input.push(last_rtcp);
    expected.push(Outcome::Err(LIBSRTP_REPLAY_FAIL));
    let results = libsrtp(profile, false, &server, &input);
    for (i, (got, want)) in results.iter().zip(&expected).enumerate() {
        assert_eq!(got, want, "{profile:?}: packet {i} ({})", input[i].0);
    }
}

#[test]
fn aes128_cm_sha1_80_libsrtp_to_us() {
    libsrtp_protects_we_unprotect(Profile::Aes128CmHmacSha1_80);
}

#[test]
fn aes128_cm_sha1_80_us_to_libsrtp() {
    we_protect_libsrtp_unprotects(Profile::Aes128CmHmacSha1_80);
}

#[test]
fn aes128_cm_sha1_32_libsrtp_to_us() {
    libsrtp_protects_we_unprotect(Profile::Aes128CmHmacSha1_32);
}

#[test]
fn aes128_cm_sha1_32_us_to_libsrtp() {
    we_protect_libsrtp_unprotects(Profile::Aes128CmHmacSha1_32);
}

#[test]
fn aead_aes_128_gcm_libsrtp_to_us() {
    libsrtp_protects_we_unprotect(Profile::AeadAes128Gcm);
}

#[test]
fn aead_aes_128_gcm_us_to_libsrtp() {
    we_protect_libsrtp_unprotects(Profile::AeadAes128Gcm);
}

#[test]
fn aead_aes_256_gcm_libsrtp_to_us() {
    libsrtp_protects_we_unprotect(Profile::AeadAes256Gcm);
}

#[test]
fn aead_aes_256_gcm_us_to_libsrtp() {
    we_protect_libsrtp_unprotects(Profile::AeadAes256Gcm);
}
