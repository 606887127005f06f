//! The STUN and TURN URL parser (RFC 7064, RFC 7065; `rtcweb_ice::IceUrl`) fed arbitrary
//! text: it never panics, what it accepts names a port and a transport its scheme allows,
//! and it formats to a URL that parses back to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtcweb_common::Transport;
use rtcweb_ice::{IceUrl, UrlScheme};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(url) = text.parse::<IceUrl>() {
        assert_ne!(url.port, 0, "{text:?}");
        let allowed = match url.scheme {
            UrlScheme::Stun => url.transport == Transport::Udp,
            UrlScheme::Turn => matches!(url.transport, Transport::Udp | Transport::Tcp),
            UrlScheme::Stuns | UrlScheme::Turns => url.transport == Transport::Tls,
        };
        assert!(allowed, "{text:?} gave {url:?}");
        let formatted = url.to_string();
        let again: IceUrl = formatted.parse().expect("a formatted URL parses");
        assert_eq!(again, url, "round trip of {formatted:?}");
    }
});
