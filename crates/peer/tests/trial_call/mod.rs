//! The call of the field-trial tests (`chromium_snap.rs`, `chromium_sped.rs`): headless
//! Chromium with the trial's flags (or none), its echo page, an rtcweb driver peer on
//! 127.0.0.1, and the first data channel open between them, Chromium offering or rtcweb;
//! then a stream of messages echoed byte-exact.
#![allow(dead_code, unreachable_pub)] // shared by several test binaries

use std::time::{Duration, Instant};

use rtcweb_peer::driver::{DataChannel, DriverConfig, PeerConnection, PeerConnectionInfo};
use serde_json::json;

use crate::chromium::{self, Chromium};
use crate::messages::echo_stream;
use crate::peer_events;

/// An open call. Fields drop in order: the channel and the peer before the browser and
/// the runtime they run on.
pub struct TrialCall {
    pub channel: Option<DataChannel>,
    pub pc: PeerConnection,
    /// The connection's info once the channel opened.
    pub info: PeerConnectionInfo,
    /// From the first offer call to the channel open at rtcweb.
    pub open: Duration,
    /// Chromium's version.
    pub version: String,
    /// The page that holds Chromium's peer connection.
    pub page: String,
    pub browser: Chromium,
    pub rt: tokio::runtime::Runtime,
}

impl TrialCall {
    /// Chromium launched with `flags`, the channel open (Chromium offering when
    /// `chromium_offers`).
    pub fn open(flags: &[&str], chromium_offers: bool) -> Self {
        Self::open_with(flags, chromium_offers, DriverConfig::loopback())
    }

    /// [`Self::open`] with our peer made from `config`.
    pub fn open_with(flags: &[&str], chromium_offers: bool, config: DriverConfig) -> Self {
        let rt = peer_events::runtime();
        let _context = rt.enter();
        let mut browser = Chromium::launch_with(flags);
        let version = browser.version();
        let page = browser.new_page();
        assert_eq!(
            browser.evaluate(&page, chromium::ECHO_PAGE_SCRIPT),
            json!(true)
        );
        let (pc, events) = rt
            .block_on(PeerConnection::new(config))
            .expect("peer on 127.0.0.1");
        let peer_events::Pumped {
            seen,
            channels: mut incoming,
            ..
        } = peer_events::pump(&rt, events);
        let start = Instant::now();
        let channel =
            browser.open_first_channel(&page, &rt, &pc, chromium_offers, &seen, &mut incoming);
        let open = start.elapsed();
        let info = rt.block_on(pc.info()).unwrap();
        Self {
            channel: Some(channel),
            pc,
            info,
            open,
            version,
            page,
            browser,
            rt,
        }
    }

    /// `count` messages of up to `max` bytes echoed byte-exact by Chromium (`name` labels
    /// failures), then the peer closed; the bytes echoed and how long it took.
    pub fn echo_and_close(mut self, name: &str, count: usize, max: usize) -> (usize, Duration) {
        let channel = self.channel.take().expect("the call's channel");
        let (_channel, bytes, took) = self.rt.block_on(echo_stream(channel, count, max, name));
        self.rt.block_on(self.pc.close()).unwrap();
        (bytes, took)
    }
}
