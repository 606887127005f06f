//! The congestion controller fed arbitrary sent packets, feedback (transport-wide CC on the
//! wire, and mapped arrivals), RTTs, REMBs, bounds and times.
//!
//! Each input is a sequence of operations: the first byte picks one, the next bytes carry its
//! argument. Nothing may panic, the target stays within the bounds, and the event queue stays
//! within its limit.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtcweb_cc::{Bitrate, CcConfig, CcEvent, CongestionController, PacketArrival, SentPacket};
use rtcweb_rtp::rtcp::{Compound, Packet, TransportCc};

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_be_bytes([
        b.get(i).copied().unwrap_or(0),
        b.get(i + 1).copied().unwrap_or(0),
    ])
}

fuzz_target!(|data: &[u8]| {
    #[allow(clippy::disallowed_methods)]
    let start = Instant::now();
    let mut now = start;
    let config = CcConfig::default();
    let mut max = config.max_bitrate;
    // Events queued before a bound changed may carry the old one.
    let mut ceiling = max;
    let mut cc = CongestionController::new(now, config);
    let mut next_seq = 0u64;
    let mut rest = data;
    while let Some((&op, tail)) = rest.split_first() {
        let len = usize::from(tail.first().copied().unwrap_or(0)).min(tail.len().saturating_sub(1));
        let arg = tail.get(1..1 + len).unwrap_or_default();
        rest = tail.get(1 + len..).unwrap_or_default();
        let a0 = arg.first().copied().unwrap_or(0);
        match op % 10 {
            0 => {
                // A burst of packets, sometimes jumping or going back in sequence or time.
                let jump = u64::from(u16_at(arg, 1));
                next_seq = match a0 % 4 {
                    0 => next_seq.wrapping_add(jump),
                    1 => next_seq.saturating_sub(jump),
                    _ => next_seq,
                };
                for i in 0..u32::from(a0 % 64) + 1 {
                    let back =
                        Duration::from_millis(u64::from(arg.get(3).copied().unwrap_or(0) % 8));
                    cc.on_packet_sent(SentPacket {
                        sequence: next_seq,
                        size: usize::from(u16_at(arg, 4)) % 1500,
                        send_time: now.checked_sub(back).unwrap_or(now)
                            + Duration::from_micros(u64::from(i) * 300),
                        probe: (a0 & 0x40 != 0).then_some(u32::from(a0 % 4)),
                        audio: a0 & 0x80 != 0,
                    });
                    next_seq = next_seq.wrapping_add(1);
                }
            }
            1 => now += Duration::from_micros(u64::from(u16_at(arg, 0)) * 50),
            2 => cc.handle_timeout(now),
            3 => {
                // Bytes on the wire: whatever parses as TWCC is handed over.
                for packet in Compound::new(arg).flatten() {
                    if let Packet::TransportCc(f) = packet {
                        cc.handle_transport_cc(now, &f);
                    }
                }
            }
            4 => {
                // A TWCC packet made up from the bytes, near the packets sent.
                let f = TransportCc {
                    base_seq: (next_seq as u16).wrapping_sub(u16_at(arg, 0) % 512),
                    reference_time: i32::from(u16_at(arg, 2) as i16) << 8 >> 8,
                    arrivals: arg
                        .iter()
                        .skip(4)
                        .map(|&b| (b != 0).then_some(i64::from(b as i8) * 1000))
                        .collect(),
                    ..TransportCc::default()
                };
                cc.handle_transport_cc(now, &f);
            }
            5 => {
                let arrivals: Vec<PacketArrival> = arg
                    .chunks(2)
                    .enumerate()
                    .map(|(i, c)| PacketArrival {
                        sequence: next_seq
                            .wrapping_sub(u64::from(c[0]))
                            .wrapping_add(i as u64 % 3),
                        arrival: c.get(1).filter(|&&b| b != 0).map(|&b| {
                            Duration::from_millis(
                                now.duration_since(start).as_millis() as u64 + u64::from(b),
                            )
                        }),
                    })
                    .collect();
                cc.handle_feedback(now, &arrivals);
            }
            6 => cc.handle_rtt(now, Duration::from_micros(u64::from(u16_at(arg, 0)) * 100)),
            7 => cc.handle_remb(
                now,
                Bitrate::from_bps(u64::from(u16_at(arg, 0)) << (a0 % 24)),
            ),
            8 => {
                if a0 & 1 == 0 {
                    cc.on_data_sent(now, usize::from(u16_at(arg, 1)));
                } else {
                    let min = Bitrate::from_bps(u64::from(u16_at(arg, 1)) << (a0 % 8));
                    max = Bitrate::from_bps(u64::from(u16_at(arg, 3)) << (a0 % 16));
                    cc.set_bitrates(now, min, max);
                    max = max.max(min);
                    ceiling = ceiling.max(max);
                }
            }
            _ => {
                let mut events = 0;
                while let Some(event) = cc.poll_event() {
                    events += 1;
                    if let CcEvent::TargetChanged(rate) = event {
                        assert!(rate.target <= ceiling, "{rate:?} above {ceiling}");
                        assert!((0.0..=1.0).contains(&rate.loss));
                    }
                }
                assert!(events <= 64);
                let _ = (cc.poll_timeout(), cc.stats());
                assert!(cc.target().target <= max);
            }
        }
    }
});
