//! ICE restart (RFC 8445 §9, RFC 8829 §3.5.1): new credentials on both sides, reported in the
//! negotiation; other exchanges keep them.

mod support;

use rtcweb_sdp::{Credentials, Direction, Event, MediaKind};
use support::{exchange, negotiator, track};

#[test]
fn restart_changes_both_sides_credentials_once() {
    let mut a = negotiator(41);
    let mut b = negotiator(42);
    a.add_transceiver(MediaKind::Audio, Direction::SendRecv, track("a"))
        .unwrap();
    let (ra, rb) = exchange(&mut a, &mut b);
    let ta = ra.transport.unwrap();
    let tb = rb.transport.unwrap();
    assert!(!ta.ice.restart && !tb.ice.restart);
    assert_eq!(ta.ice.remote, tb.ice.local);

    a.restart_ice(None).unwrap();
    assert!(std::iter::from_fn(|| a.poll_event()).any(|e| e == Event::NegotiationNeeded));
    let (ra2, rb2) = exchange(&mut a, &mut b);
    let ta2 = ra2.transport.unwrap();
    let tb2 = rb2.transport.unwrap();
    assert!(ta2.ice.restart && tb2.ice.restart);
    assert_ne!(ta2.ice.local, ta.ice.local, "offerer restarted");
    assert_ne!(
        tb2.ice.local, tb.ice.local,
        "answerer answered with new credentials"
    );
    assert_eq!(ta2.ice.remote, tb2.ice.local);
    assert_eq!(tb2.ice.remote, ta2.ice.local);
    assert_eq!(ta2.dtls.role, ta.dtls.role, "DTLS is not restarted");

    // A later exchange without restart keeps the credentials.
    a.set_direction(a.transceivers()[0].id(), Direction::SendOnly)
        .unwrap();
    let (ra3, _) = exchange(&mut a, &mut b);
    let ta3 = ra3.transport.unwrap();
    assert!(!ta3.ice.restart);
    assert_eq!(ta3.ice.local, ta2.ice.local);
}

#[test]
fn restart_takes_the_agents_credentials() {
    let mut a = negotiator(43);
    let mut b = negotiator(44);
    a.add_data_channel().unwrap();
    exchange(&mut a, &mut b);
    let agent = Credentials::new("AgNt", "agentpassword0123456789");
    a.restart_ice(Some(agent.clone())).unwrap();
    let (ra, _) = exchange(&mut a, &mut b);
    assert_eq!(ra.transport.unwrap().ice.local, agent);
    assert!(
        a.restart_ice(Some(Credentials::new("bad:ufrag", "x".repeat(22))))
            .is_err()
    );
}
