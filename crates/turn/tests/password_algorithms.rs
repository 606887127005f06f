//! RFC 8489 §9.2 SHA-256 long-term credentials against a scripted server written with stun-rs
//! alone (its encoder, its nonce cookie, its decoder and HMAC keys check every request): the
//! nonce cookie's features pick SHA-256 and USERHASH, a server without the cookie gets MD5
//! as before, a later challenge that bids the security down is a typed error, a stale nonce
//! keeps the algorithm, a forged response is dropped, bad challenges are dropped and counted.
//! No installable TURN server offers these features (coturn lacks them), so the live tests
//! against coturn show the MD5 fallback.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtcweb_common::{Datagram, Transport};
use rtcweb_stun::stun_rs::attributes::stun::nonce_cookie::StunSecurityFeatures;
use rtcweb_stun::stun_rs::attributes::stun::{
    ErrorCode, MessageIntegrity, MessageIntegritySha256, Nonce, PasswordAlgorithm as AlgorithmAttr,
    PasswordAlgorithms, Realm, UserHash, UserName, XorMappedAddress,
};
use rtcweb_stun::stun_rs::attributes::turn::{LifeTime, XorRelayedAddress};
use rtcweb_stun::stun_rs::{
    self, Algorithm, AlgorithmId, DecoderContextBuilder, HMACKey, MessageClass,
    MessageDecoderBuilder, MessageEncoderBuilder, StunMessage, StunMessageBuilder,
};
use rtcweb_stun::{MessageWriter, Method, raw_attribute};
use rtcweb_turn::{Client, Config, Event, PasswordAlgorithm, TurnError};

const REALM: &str = "example.org";
const USER: &str = "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}";
const PASS: &str = "TheMatrIX";
/// Type of PASSWORD-ALGORITHMS (RFC 8489 §14.11).
const PASSWORD_ALGORITHMS: u16 = 0x8002;

fn server() -> SocketAddr {
    "192.0.2.10:3478".parse().unwrap()
}

fn from(contents: &[u8]) -> Datagram<'_> {
    Datagram {
        transport: Transport::Udp,
        local: "198.51.100.1:5000".parse().unwrap(),
        remote: server(),
        contents,
    }
}

#[allow(clippy::disallowed_methods)] // the simulated epoch
fn epoch() -> Instant {
    Instant::now()
}

fn client() -> Client {
    let mut config = Config::new(server(), Transport::Udp, USER, PASS);
    config.seed = Some(3);
    Client::new(config).unwrap()
}

fn events(c: &mut Client) -> Vec<Event> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

fn list(ids: &[AlgorithmId]) -> PasswordAlgorithms {
    PasswordAlgorithms::from(
        ids.iter()
            .map(|id| AlgorithmAttr::new(Algorithm::from(*id)))
            .collect::<Vec<_>>(),
    )
}

/// A nonce with the cookie, written by stun-rs (features counted from the left).
fn cookie(algorithms: bool, anonymity: bool, rest: &str) -> String {
    use StunSecurityFeatures::{PasswordAlgorithms as Pa, UserNameAnonymity as Ua};
    let flags = match (algorithms, anonymity) {
        (true, true) => Some(Pa | Ua),
        (true, false) => Some(Pa.into()),
        (false, true) => Some(Ua.into()),
        (false, false) => None,
    };
    Nonce::new_nonce_cookie(rest, flags)
        .unwrap()
        .as_str()
        .to_owned()
}

fn key(algorithm: AlgorithmId) -> HMACKey {
    HMACKey::new_long_term(USER, REALM, PASS, Algorithm::from(algorithm)).unwrap()
}

fn encode(msg: &StunMessage) -> Vec<u8> {
    let mut buf = vec![0u8; 1500];
    let n = MessageEncoderBuilder::default()
        .build()
        .encode(&mut buf, msg)
        .unwrap();
    buf.truncate(n);
    buf
}

/// Decodes a request with stun-rs; with `key`, its integrity must validate.
fn decode(bytes: &[u8], key: Option<HMACKey>) -> StunMessage {
    let decoder = match key {
        Some(key) => MessageDecoderBuilder::default()
            .with_context(
                DecoderContextBuilder::default()
                    .with_key(key)
                    .with_validation()
                    .build(),
            )
            .build(),
        None => MessageDecoderBuilder::default().build(),
    };
    decoder
        .decode(bytes)
        .expect("a request stun-rs decodes and validates")
        .0
}

fn has<T: rtcweb_stun::stun_rs::StunAttributeType>(msg: &StunMessage) -> bool {
    msg.get::<T>().is_some()
}

/// The scripted server's 401 (or 438): REALM, NONCE and PASSWORD-ALGORITHMS if given.
fn challenge(
    req: &StunMessage,
    code: u16,
    nonce: &str,
    algorithms: Option<&PasswordAlgorithms>,
) -> Vec<u8> {
    let mut b = StunMessageBuilder::new(req.method(), MessageClass::ErrorResponse)
        .with_transaction_id(*req.transaction_id())
        .with_attribute(ErrorCode::new(
            stun_rs::ErrorCode::new(code, "Unauthorized").unwrap(),
        ))
        .with_attribute(Realm::new(REALM).unwrap())
        .with_attribute(Nonce::new(nonce).unwrap());
    if let Some(algorithms) = algorithms {
        b = b.with_attribute(algorithms.clone());
    }
    encode(&b.build())
}

enum Integrity {
    Sha1,
    Sha256,
}

/// A success answer to `req`, with the integrity attribute of `integrity` under `key`.
fn success(req: &StunMessage, key: HMACKey, integrity: Integrity) -> Vec<u8> {
    let mut b = StunMessageBuilder::new(req.method(), MessageClass::SuccessResponse)
        .with_transaction_id(*req.transaction_id());
    if req.method() == stun_rs::methods::ALLOCATE {
        b = b
            .with_attribute(XorRelayedAddress::from(
                "192.0.2.10:50000".parse::<SocketAddr>().unwrap(),
            ))
            .with_attribute(XorMappedAddress::from(
                "198.51.100.1:40000".parse::<SocketAddr>().unwrap(),
            ));
    }
    b = b.with_attribute(LifeTime::new(600));
    b = match integrity {
        Integrity::Sha1 => b.with_attribute(MessageIntegrity::new(key)),
        Integrity::Sha256 => b.with_attribute(MessageIntegritySha256::new(key)),
    };
    encode(&b.build())
}

/// The next request the client sends, raw.
fn sent(c: &mut Client) -> Vec<u8> {
    c.poll_transmit().expect("a request").contents
}

/// Starts an allocation, answers the bare first request with the 401 and returns the
/// client's authenticated retry, raw.
fn answer_challenge(
    c: &mut Client,
    now: Instant,
    nonce: &str,
    offer: Option<&PasswordAlgorithms>,
) -> Vec<u8> {
    c.allocate(now).unwrap();
    let first = decode(&sent(c), None);
    assert!(!has::<UserName>(&first) && !has::<UserHash>(&first));
    c.handle_datagram(now, from(&challenge(&first, 401, nonce, offer)));
    sent(c)
}

/// Checks an authenticated request with stun-rs: SHA-256 key, MESSAGE-INTEGRITY-SHA256 only,
/// USERHASH, the server's list echoed byte for byte, PASSWORD-ALGORITHM SHA-256.
fn check_sha256_request(bytes: &[u8], nonce: &str, challenge_bytes: &[u8]) -> StunMessage {
    let req = decode(bytes, Some(key(AlgorithmId::SHA256)));
    assert!(has::<MessageIntegritySha256>(&req));
    assert!(
        !has::<MessageIntegrity>(&req),
        "nothing but MESSAGE-INTEGRITY-SHA256"
    );
    assert!(!has::<UserName>(&req), "USERHASH replaces USERNAME");
    let hash = req.get::<UserHash>().unwrap().as_user_hash().unwrap();
    assert_eq!(hash, &UserHash::new(USER, REALM).unwrap());
    let n = req.get::<Nonce>().unwrap().as_nonce().unwrap();
    assert_eq!(n.as_str(), nonce);
    let chosen = req
        .get::<AlgorithmAttr>()
        .unwrap()
        .as_password_algorithm()
        .unwrap();
    assert_eq!(chosen.algorithm(), AlgorithmId::SHA256);
    assert_eq!(
        raw_attribute(bytes, PASSWORD_ALGORITHMS),
        raw_attribute(challenge_bytes, PASSWORD_ALGORITHMS),
        "PASSWORD-ALGORITHMS echoed exactly"
    );
    // The MD5 key of the same credentials does not validate it.
    let md5 = MessageDecoderBuilder::default()
        .with_context(
            DecoderContextBuilder::default()
                .with_key(key(AlgorithmId::MD5))
                .with_validation()
                .build(),
        )
        .build();
    assert!(md5.decode(bytes).is_err());
    req
}

/// A client allocated with SHA-256 and USERHASH through `nonce` and the list {SHA-256, MD5}.
fn allocated_sha256(now: Instant, nonce: &str) -> Client {
    let mut c = client();
    let offer = list(&[AlgorithmId::SHA256, AlgorithmId::MD5]);
    c.allocate(now).unwrap();
    let first = decode(&sent(&mut c), None);
    let challenge_bytes = challenge(&first, 401, nonce, Some(&offer));
    c.handle_datagram(now, from(&challenge_bytes));
    let retry = sent(&mut c);
    let req = check_sha256_request(&retry, nonce, &challenge_bytes);
    assert_eq!(c.password_algorithm(), Some(PasswordAlgorithm::Sha256));
    c.handle_datagram(
        now,
        from(&success(&req, key(AlgorithmId::SHA256), Integrity::Sha256)),
    );
    assert!(matches!(
        events(&mut c).as_slice(),
        [Event::Allocated { .. }]
    ));
    c
}

#[test]
fn cookie_with_password_algorithms_allocates_with_sha256_and_userhash() {
    let now = epoch();
    // The features as stun-rs writes them (from the left, RFC 8656's example) and as Errata
    // 6290 counts them (from the right: "AAAD" sets bits 0 and 1).
    for nonce in [cookie(true, true, "x1"), "obMatJos2AAADx1".to_owned()] {
        let mut c = allocated_sha256(now, &nonce);
        // Later requests carry the same: a CreatePermission, checked by stun-rs.
        let peer: SocketAddr = "203.0.113.5:7000".parse().unwrap();
        c.create_permission(now, peer.ip()).unwrap();
        let bytes = sent(&mut c);
        let offer = list(&[AlgorithmId::SHA256, AlgorithmId::MD5]);
        let req = decode(&bytes, Some(key(AlgorithmId::SHA256)));
        let echoed = MessageWriter::request(Method::BINDING, [0; 12])
            .password_algorithms(&offer)
            .to_vec(None, false)
            .unwrap();
        assert_eq!(
            raw_attribute(&bytes, PASSWORD_ALGORITHMS),
            raw_attribute(&echoed, PASSWORD_ALGORITHMS)
        );
        assert!(has::<UserHash>(&req) && !has::<MessageIntegrity>(&req));
        c.handle_datagram(
            now,
            from(&success(&req, key(AlgorithmId::SHA256), Integrity::Sha256)),
        );
        assert_eq!(
            events(&mut c),
            vec![Event::PermissionCreated { peer: peer.ip() }]
        );
    }
}

#[test]
fn forged_or_downgraded_response_integrity_is_dropped() {
    let now = epoch();
    let mut c = client();
    let offer = list(&[AlgorithmId::SHA256, AlgorithmId::MD5]);
    let nonce = cookie(true, false, "f1");
    let retry = answer_challenge(&mut c, now, &nonce, Some(&offer));
    let req = decode(&retry, Some(key(AlgorithmId::SHA256)));
    assert!(
        has::<UserName>(&req) && !has::<UserHash>(&req),
        "no anonymity asked"
    );
    // HMAC-SHA256 under a wrong password; the right key but MESSAGE-INTEGRITY (HMAC-SHA1)
    // instead of MESSAGE-INTEGRITY-SHA256; the MD5 key: all dropped, the transaction waits.
    let wrong =
        HMACKey::new_long_term(USER, REALM, "guess", Algorithm::from(AlgorithmId::SHA256)).unwrap();
    for forged in [
        success(&req, wrong, Integrity::Sha256),
        success(&req, key(AlgorithmId::SHA256), Integrity::Sha1),
        success(&req, key(AlgorithmId::MD5), Integrity::Sha256),
    ] {
        c.handle_datagram(now, from(&forged));
    }
    assert!(events(&mut c).is_empty() && !c.is_allocated());
    assert_eq!(c.stats().dropped_unauthenticated, 3);
    c.handle_datagram(
        now,
        from(&success(&req, key(AlgorithmId::SHA256), Integrity::Sha256)),
    );
    assert!(c.is_allocated());
}

#[test]
fn without_the_cookie_the_key_is_md5_as_before() {
    let now = epoch();
    // A plain nonce (coturn's are hex): MD5, MESSAGE-INTEGRITY, USERNAME; a
    // PASSWORD-ALGORITHMS the cookie does not vouch for is not acted on (§9.2.5).
    let offer = list(&[AlgorithmId::SHA256]);
    for algorithms in [None, Some(&offer)] {
        let mut c = client();
        let retry = answer_challenge(&mut c, now, "4d7a8c2f0b1e9a36", algorithms);
        let req = decode(&retry, Some(key(AlgorithmId::MD5)));
        assert!(has::<MessageIntegrity>(&req) && !has::<MessageIntegritySha256>(&req));
        assert!(has::<UserName>(&req) && !has::<UserHash>(&req));
        assert!(!has::<PasswordAlgorithms>(&req) && !has::<AlgorithmAttr>(&req));
        assert_eq!(c.password_algorithm(), Some(PasswordAlgorithm::Md5));
        c.handle_datagram(
            now,
            from(&success(&req, key(AlgorithmId::MD5), Integrity::Sha1)),
        );
        assert!(c.is_allocated());
    }
}

#[test]
fn cookie_features_one_at_a_time() {
    let now = epoch();
    // Username anonymity alone (Appendix B.1's "AAAC"): USERHASH with the MD5 key.
    let mut c = client();
    let retry = answer_challenge(
        &mut c,
        now,
        "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA",
        None,
    );
    let req = decode(&retry, Some(key(AlgorithmId::MD5)));
    assert!(has::<UserHash>(&req) && !has::<UserName>(&req));
    assert!(has::<MessageIntegrity>(&req) && !has::<AlgorithmAttr>(&req));
    // Password algorithms offering MD5 only (and an unknown algorithm): MD5 chosen, the list
    // echoed with the unknown entry, MESSAGE-INTEGRITY.
    let mut c = client();
    let offer = list(&[AlgorithmId::Unassigned(9), AlgorithmId::MD5]);
    let nonce = cookie(true, false, "m");
    let retry = answer_challenge(&mut c, now, &nonce, Some(&offer));
    let req = decode(&retry, Some(key(AlgorithmId::MD5)));
    let chosen = req
        .get::<AlgorithmAttr>()
        .unwrap()
        .as_password_algorithm()
        .unwrap();
    assert_eq!(chosen.algorithm(), AlgorithmId::MD5);
    assert_eq!(
        req.get::<PasswordAlgorithms>()
            .unwrap()
            .as_password_algorithms()
            .unwrap(),
        &offer
    );
    assert!(has::<MessageIntegrity>(&req) && !has::<MessageIntegritySha256>(&req));
    assert_eq!(c.password_algorithm(), Some(PasswordAlgorithm::Md5));
    // The list is the server's order of preference (RFC 8489 §9.2.5): {MD5, SHA-256}
    // gives MD5, the first one supported.
    let mut c = client();
    let offer = list(&[AlgorithmId::MD5, AlgorithmId::SHA256]);
    let retry = answer_challenge(&mut c, now, &nonce, Some(&offer));
    let req = decode(&retry, Some(key(AlgorithmId::MD5)));
    let chosen = req
        .get::<AlgorithmAttr>()
        .unwrap()
        .as_password_algorithm()
        .unwrap();
    assert_eq!(chosen.algorithm(), AlgorithmId::MD5);
    assert_eq!(c.password_algorithm(), Some(PasswordAlgorithm::Md5));
}

#[test]
fn later_challenges_that_bid_down_fail_with_a_typed_error() {
    let now = epoch();
    let nonce = cookie(true, true, "b1");
    let offer = list(&[AlgorithmId::SHA256, AlgorithmId::MD5]);
    let md5_only = list(&[AlgorithmId::MD5]);
    let no_algorithms = cookie(false, true, "b2");
    let no_anonymity = cookie(true, false, "b3");
    let cases: [(u16, &str, Option<&PasswordAlgorithms>); 6] = [
        (401, "4d7a8c2f0b1e9a36", Some(&offer)), // the cookie gone
        (401, &no_algorithms, Some(&offer)),     // the password-algorithms bit gone
        (401, &nonce, Some(&md5_only)),          // the list changed
        (401, &no_anonymity, Some(&offer)),      // username anonymity gone
        (438, "4d7a8c2f0b1e9a36", Some(&offer)), // a stale nonce without the cookie
        (438, &nonce, Some(&md5_only)),          // a stale nonce with another list
    ];
    for (code, later, algorithms) in cases {
        let mut c = allocated_sha256(now, &nonce);
        c.refresh(now).unwrap();
        let req = decode(&sent(&mut c), Some(key(AlgorithmId::SHA256)));
        c.handle_datagram(now, from(&challenge(&req, code, later, algorithms)));
        assert_eq!(
            events(&mut c),
            vec![Event::Failed(TurnError::BidDown)],
            "{code} {later} {algorithms:?}"
        );
        assert!(c.poll_transmit().is_none(), "no weaker retry");
        assert!(!c.is_allocated());
    }
    // The same list under the same features is a plain refusal, as before.
    let mut c = allocated_sha256(now, &nonce);
    c.refresh(now).unwrap();
    let req = decode(&sent(&mut c), Some(key(AlgorithmId::SHA256)));
    c.handle_datagram(
        now,
        from(&challenge(
            &req,
            401,
            &cookie(true, true, "b4"),
            Some(&offer),
        )),
    );
    assert_eq!(
        events(&mut c),
        vec![Event::Failed(TurnError::Unauthenticated)]
    );
}

#[test]
fn stale_nonce_keeps_sha256_and_userhash() {
    let now = epoch();
    let nonce = cookie(true, true, "s1");
    let mut c = allocated_sha256(now, &nonce);
    c.refresh(now).unwrap();
    let req = decode(&sent(&mut c), Some(key(AlgorithmId::SHA256)));
    let fresh = cookie(true, true, "s2");
    let offer = list(&[AlgorithmId::SHA256, AlgorithmId::MD5]);
    let stale = challenge(&req, 438, &fresh, Some(&offer));
    c.handle_datagram(now, from(&stale));
    let retry = sent(&mut c);
    let req = check_sha256_request(&retry, &fresh, &stale);
    assert_eq!(req.method(), stun_rs::methods::REFRESH);
    c.handle_datagram(
        now,
        from(&success(&req, key(AlgorithmId::SHA256), Integrity::Sha256)),
    );
    assert_eq!(
        events(&mut c),
        vec![Event::Refreshed {
            lifetime: Duration::from_secs(600)
        }]
    );
    assert_eq!(c.password_algorithm(), Some(PasswordAlgorithm::Sha256));
}

#[test]
fn bad_challenges_are_dropped_counted_or_refused() {
    let now = epoch();
    let nonce = cookie(true, false, "d1");
    let mut c = client();
    c.allocate(now).unwrap();
    let first = decode(&sent(&mut c), None);
    // The password-algorithms bit without PASSWORD-ALGORITHMS, and a list of 100 entries:
    // ignored as if never received (§9.2.5), counted.
    let huge = list(&[AlgorithmId::SHA256; 100]);
    c.handle_datagram(now, from(&challenge(&first, 401, &nonce, None)));
    c.handle_datagram(now, from(&challenge(&first, 401, &nonce, Some(&huge))));
    assert_eq!(c.stats().dropped_bad_challenge, 2);
    // A truncated PASSWORD-ALGORITHMS (an entry announcing 8 parameter bytes, 2 present):
    // malformed, dropped.
    let truncated = MessageWriter::error(
        Method::ALLOCATE,
        *first.transaction_id().as_bytes(),
        401,
        "x",
    )
    .unwrap()
    .realm(REALM)
    .unwrap()
    .nonce(&nonce)
    .unwrap()
    .raw_attribute(PASSWORD_ALGORITHMS, &[0x00, 0x02, 0x00, 0x08, 0xaa, 0xbb])
    .unwrap()
    .to_vec(None, true)
    .unwrap();
    c.handle_datagram(now, from(&truncated));
    assert_eq!(c.stats().dropped_malformed, 1);
    assert!(events(&mut c).is_empty() && c.password_algorithm().is_none());
    // The transaction went on: the next retransmission is the same bare request.
    let deadline = c.poll_timeout().unwrap();
    c.handle_timeout(deadline);
    let again = decode(&sent(&mut c), None);
    assert_eq!(again.transaction_id(), first.transaction_id());
    // A list of algorithms none of which the client can compute: no key, a typed error.
    let unknown = list(&[AlgorithmId::Unassigned(7), AlgorithmId::Reserved]);
    c.handle_datagram(
        deadline,
        from(&challenge(&again, 401, &nonce, Some(&unknown))),
    );
    assert_eq!(
        events(&mut c),
        vec![Event::Failed(TurnError::NoCommonPasswordAlgorithm)]
    );
}
