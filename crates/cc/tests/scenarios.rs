//! The estimator judged end to end in simulated time: video senders (a synthetic encoder at
//! the target rate, paced at the pacing rate, probes sent as asked) through a rate-limited
//! drop-tail bottleneck to receivers that send transport-wide feedback every 50 ms
//! (`TwccRecorder`). Each scenario prints a table row and asserts the criterion.
//!
//! Packets leave through the crate's `Pacer` (at the controller's pacing and padding rates,
//! probes as the controller asks, held back while the congestion window is full), and the
//! encoder aims at the controller's `encoder_target` (the target less the window's
//! pushback), as in rtcweb-peer. The bottleneck is modelled here (crates/netsim's
//! bottleneck lives inside its `Network` of hosts and sockets): the link serialises packets
//! at its current rate, one at a time in FIFO order; its buffer holds `queue` worth of
//! bytes at the current rate (a buffer sized in time, netsim's `QueueLimit::Time`) and drops
//! what does not fit.

#![allow(clippy::disallowed_methods)] // the simulation's epoch comes from the clock once

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rtcweb_cc::{
    Bitrate, CcConfig, CcEvent, CongestionController, Paced, Pacer, PacerConfig, PacketClass,
    SentPacket, TwccRecorder, TwccRecorderConfig,
};
use rtcweb_rtp::rtcp::TransportCc;

const STEP: Duration = Duration::from_millis(1);
const BIN: Duration = Duration::from_millis(100);
const MAX_PACKET: usize = 1200;
const FRAME_INTERVAL: Duration = Duration::from_nanos(1_000_000_000 / 30);
const KEY_FRAME_INTERVAL: Duration = Duration::from_secs(3);

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

#[derive(Debug, Clone, Copy)]
struct Packet {
    flow: usize,
    sequence: u64,
    size: usize,
    enqueued: Instant,
}

/// A rate-limited drop-tail bottleneck with a one-way propagation delay and random loss.
struct Link {
    /// (from, rate) in time order.
    rates: Vec<(Duration, Bitrate)>,
    queue_time: Duration,
    loss: f64,
    propagation: Duration,
    queue: VecDeque<Packet>,
    queued_bytes: usize,
    next_free: Instant,
}

impl Link {
    fn rate_at(&self, since_start: Duration) -> Bitrate {
        self.rates
            .iter()
            .rev()
            .find(|(from, _)| *from <= since_start)
            .map_or(self.rates[0].1, |r| r.1)
    }
}

/// One video sender with its controller, and the receiver that answers it.
struct Flow {
    cc: CongestionController,
    next_sequence: u64,
    /// Items are packet sizes.
    pacer: Pacer<usize>,
    next_frame: Instant,
    next_key_frame: Instant,
    start_after: Duration,
    recorder: TwccRecorder,
    /// Packets on the way to the receiver, with their arrival time (FIFO order).
    to_receiver: VecDeque<(Instant, u64)>,
    /// Feedback on the way back, with its arrival time at the sender.
    to_sender: VecDeque<(Instant, TransportCc)>,
    next_rtt_report: Instant,
    last_queue_delay: Duration,
    // Per-bin measurements.
    delivered: Vec<u64>,
    targets: Vec<Bitrate>,
}

struct Scenario {
    name: &'static str,
    rates: Vec<(Duration, Bitrate)>,
    queue_time: Duration,
    loss: f64,
    flows: Vec<(CcConfig, Duration)>,
    duration: Duration,
}

struct Outcome {
    capacity: Vec<f64>,
    flows: Vec<(Vec<u64>, Vec<Bitrate>)>,
    /// Per bin: the largest queue delay of a packet entering service.
    queue_delay: Vec<Duration>,
    /// Per-packet queue delays with the time they were measured.
    delays: Vec<(Duration, Duration)>,
    drops: Vec<Duration>,
    sent_packets: u64,
}

fn run(s: &Scenario, seed: u64) -> Outcome {
    let start = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut link = Link {
        rates: s.rates.clone(),
        queue_time: s.queue_time,
        loss: s.loss,
        propagation: Duration::from_millis(25),
        queue: VecDeque::new(),
        queued_bytes: 0,
        next_free: start,
    };
    let bins = (s.duration.as_millis() / BIN.as_millis()) as usize;
    let mut flows: Vec<Flow> = s
        .flows
        .iter()
        .map(|&(config, start_after)| Flow {
            cc: CongestionController::new(start + start_after, config),
            next_sequence: 1,
            pacer: Pacer::new(start + start_after, PacerConfig::default()),
            next_frame: start + start_after,
            next_key_frame: start + start_after,
            start_after,
            recorder: TwccRecorder::new(TwccRecorderConfig::default()),
            to_receiver: VecDeque::new(),
            to_sender: VecDeque::new(),
            next_rtt_report: start + start_after + Duration::from_secs(1),
            last_queue_delay: Duration::ZERO,
            delivered: vec![0; bins],
            targets: vec![Bitrate::ZERO; bins],
        })
        .collect();
    let mut out = Outcome {
        capacity: (0..bins)
            .map(|b| link.rate_at(BIN * b as u32).as_f64() * BIN.as_secs_f64())
            .collect(),
        flows: Vec::new(),
        queue_delay: vec![Duration::ZERO; bins],
        delays: Vec::new(),
        drops: Vec::new(),
        sent_packets: 0,
    };

    let mut now = start;
    let end = start + s.duration;
    while now < end {
        let t = now - start;
        let bin = ((t.as_millis() / BIN.as_millis()) as usize).min(bins - 1);
        // Senders: feedback, timers, encoder, pacer.
        let mut sent: Vec<Packet> = Vec::new();
        for (index, flow) in flows.iter_mut().enumerate() {
            if t < flow.start_after {
                continue;
            }
            while flow.to_sender.front().is_some_and(|(at, _)| *at <= now) {
                let (at, feedback) = flow.to_sender.pop_front().unwrap();
                flow.cc.handle_transport_cc(at, &feedback);
            }
            if now >= flow.next_rtt_report {
                // Receiver reports once a second: the RTT is both ways plus the queue.
                flow.cc
                    .handle_rtt(now, 2 * link.propagation + flow.last_queue_delay);
                flow.next_rtt_report = now + Duration::from_secs(1);
            }
            if flow.cc.poll_timeout().is_some_and(|d| d <= now) {
                flow.cc.handle_timeout(now);
            }
            while let Some(event) = flow.cc.poll_event() {
                match event {
                    CcEvent::TargetChanged(rate) => {
                        flow.pacer.set_rates(now, rate.pacing, rate.padding)
                    }
                    CcEvent::Probe(cluster) => flow.pacer.add_probe(now, cluster),
                }
            }
            // The encoder aims at the target less the congestion window's pushback.
            let target = flow.cc.encoder_target();
            if now >= flow.next_frame {
                let mut bytes = target.bytes_in(FRAME_INTERVAL) as f64;
                bytes *= rng.random_range(0.8..1.2);
                if now >= flow.next_key_frame {
                    bytes *= 4.0;
                    flow.next_key_frame += KEY_FRAME_INTERVAL;
                }
                let mut left = bytes.max(100.0) as usize;
                while left > 0 {
                    let size = left.min(MAX_PACKET);
                    // A full pacer refuses the packet: the encoder's frame is cut short.
                    let _ = flow.pacer.enqueue(now, PacketClass::Video, size, size);
                    left -= size;
                }
                flow.next_frame += FRAME_INTERVAL;
            }
            // The pacer lets packets out at its deadlines within this step.
            let step_end = now + STEP;
            let mut at = now;
            loop {
                // A full congestion window holds the pacer back (checked per packet, as
                // every packet sent fills the window).
                while let Some(paced) = {
                    flow.pacer.set_congested(at, flow.cc.is_congested());
                    flow.pacer.poll_packet(at)
                } {
                    let (size, probe) = match paced {
                        Paced::Packet { item, probe, .. } => (item, probe),
                        Paced::Padding { size, probe } => (size, probe),
                    };
                    let sequence = flow.next_sequence;
                    flow.next_sequence += 1;
                    flow.cc.on_packet_sent(SentPacket {
                        sequence,
                        size,
                        send_time: at,
                        probe,
                        audio: false,
                    });
                    sent.push(Packet {
                        flow: index,
                        sequence,
                        size,
                        enqueued: at,
                    });
                }
                match flow.pacer.poll_timeout() {
                    Some(deadline) if deadline > at && deadline < step_end => at = deadline,
                    _ => break,
                }
            }
        }
        // Into the bottleneck in send order.
        sent.sort_by_key(|p| p.enqueued);
        for p in sent {
            out.sent_packets += 1;
            serve(&mut link, start, p.enqueued, &mut flows, &mut out);
            if rng.random::<f64>() < link.loss {
                out.drops.push(p.enqueued - start);
                continue;
            }
            let rate = link.rate_at(p.enqueued - start);
            let limit = rate.bytes_in(link.queue_time) as usize;
            if link.queued_bytes + p.size > limit.max(MAX_PACKET) {
                out.drops.push(p.enqueued - start);
                continue;
            }
            link.queued_bytes += p.size;
            link.queue.push_back(p);
        }
        serve(&mut link, start, now + STEP, &mut flows, &mut out);
        // Receivers.
        for flow in &mut flows {
            while flow
                .to_receiver
                .front()
                .is_some_and(|(at, _)| *at <= now + STEP)
            {
                let (at, sequence) = flow.to_receiver.pop_front().unwrap();
                flow.recorder.handle_packet(at, sequence as u16);
            }
            if flow
                .recorder
                .poll_timeout()
                .is_some_and(|d| d <= now + STEP)
            {
                flow.recorder.handle_timeout(now + STEP);
                while let Some(f) = flow.recorder.poll_feedback() {
                    flow.to_sender.push_back((now + STEP + link.propagation, f));
                }
            }
            flow.targets[bin] = flow.cc.target().target;
        }
        let _ = bin;
        now += STEP;
    }
    if std::env::var_os("CC_TRACE").is_some() {
        for f in &flows {
            println!("{:?}\n{:?}", f.cc.stats(), f.pacer.stats());
        }
    }
    out.flows = flows
        .into_iter()
        .map(|f| (f.delivered, f.targets))
        .collect();
    out
}

/// Serves the bottleneck queue up to `until`.
fn serve(link: &mut Link, start: Instant, until: Instant, flows: &mut [Flow], out: &mut Outcome) {
    while let Some(&head) = link.queue.front() {
        let begin = link.next_free.max(head.enqueued);
        if begin > until {
            break;
        }
        link.queue.pop_front();
        link.queued_bytes -= head.size;
        let rate = link.rate_at(begin - start);
        let done = begin + rate.time_for(head.size as u64).unwrap();
        link.next_free = done;
        let delay = begin - head.enqueued;
        let bin = (((begin - start).as_millis() / BIN.as_millis()) as usize)
            .min(out.queue_delay.len() - 1);
        out.queue_delay[bin] = out.queue_delay[bin].max(delay);
        out.delays.push((begin - start, delay));
        let arrival = done + link.propagation;
        let flow = &mut flows[head.flow];
        flow.last_queue_delay = delay;
        let abin = (((arrival - start).as_millis() / BIN.as_millis()) as usize)
            .min(flow.delivered.len() - 1);
        flow.delivered[abin] += head.size as u64 * 8;
        flow.to_receiver.push_back((arrival, head.sequence));
    }
}

impl Outcome {
    fn bins(from: Duration, to: Duration) -> std::ops::Range<usize> {
        (from.as_millis() / BIN.as_millis()) as usize..(to.as_millis() / BIN.as_millis()) as usize
    }

    /// Delivered bits of all flows over capacity, in `from..to`.
    fn utilisation(&self, from: Duration, to: Duration) -> f64 {
        let r = Self::bins(from, to);
        let delivered: u64 = self
            .flows
            .iter()
            .map(|f| f.0[r.clone()].iter().sum::<u64>())
            .sum();
        delivered as f64 / self.capacity[r].iter().sum::<f64>()
    }

    /// One flow's throughput in bit/s over `from..to`.
    fn throughput(&self, flow: usize, from: Duration, to: Duration) -> f64 {
        let r = Self::bins(from, to);
        self.flows[flow].0[r.clone()].iter().sum::<u64>() as f64
            / (r.len() as f64 * BIN.as_secs_f64())
    }

    /// The 95th percentile of the queue delay of packets entering service in `from..to`.
    fn queue_p95(&self, from: Duration, to: Duration) -> Duration {
        let mut d: Vec<Duration> = self
            .delays
            .iter()
            .filter(|(at, _)| *at >= from && *at < to)
            .map(|x| x.1)
            .collect();
        if d.is_empty() {
            return Duration::ZERO;
        }
        d.sort();
        d[(d.len() * 95 / 100).min(d.len() - 1)]
    }

    /// Dropped over sent in `from..to`.
    fn loss(&self, from: Duration, to: Duration) -> f64 {
        let dropped = self
            .drops
            .iter()
            .filter(|t| **t >= from && **t < to)
            .count();
        let delivered = self
            .delays
            .iter()
            .filter(|(t, _)| *t >= from && *t < to)
            .count();
        dropped as f64 / (dropped + delivered).max(1) as f64
    }

    /// The longest run of drops where each follows the previous within 100 ms.
    fn longest_loss_burst(&self) -> Duration {
        let mut longest = Duration::ZERO;
        let mut run_start = None;
        let mut last = Duration::ZERO;
        for &t in &self.drops {
            match run_start {
                Some(s) if t - last <= Duration::from_millis(100) => longest = longest.max(t - s),
                _ => run_start = Some(t),
            }
            last = t;
        }
        longest
    }

    /// The first time from `from` on at which one second of delivery by `flow` reached
    /// `rate`.
    fn time_to_reach(&self, flow: usize, from: Duration, rate: f64) -> Option<Duration> {
        let start = Self::bins(from, from).start;
        (start..self.capacity.len().saturating_sub(10)).find_map(|b| {
            let bits: u64 = self.flows[flow].0[b..b + 10].iter().sum();
            (bits as f64 >= rate).then(|| BIN * (b as u32 + 10))
        })
    }

    /// The first time from `from` on after which every 100 ms bin's largest queue delay
    /// stays under `limit` for a second.
    fn queue_settles(&self, from: Duration, limit: Duration) -> Option<Duration> {
        let start = Self::bins(from, from).start;
        (start..self.queue_delay.len().saturating_sub(10))
            .find(|&b| self.queue_delay[b..b + 10].iter().all(|d| *d < limit))
            .map(|b| BIN * b as u32)
    }

    fn target_at(&self, flow: usize, at: Duration) -> Bitrate {
        self.flows[flow].1[Self::bins(at, at).start.min(self.capacity.len() - 1)]
    }
}

fn trace(o: &Outcome) {
    if std::env::var_os("CC_TRACE").is_none() {
        return;
    }
    for b in (0..o.capacity.len()).step_by(5) {
        let t: Vec<String> = o
            .flows
            .iter()
            .map(|f| format!("{:>6}", f.1[b].bps() / 1000))
            .collect();
        let d: Vec<String> = o
            .flows
            .iter()
            .map(|f| format!("{:>6}", f.0[b] * 10 / 1000))
            .collect();
        println!(
            "{:>5.1}s target {} deliv {} qmax {:?}",
            b as f64 / 10.0,
            t.join(" "),
            d.join(" "),
            o.queue_delay[b]
        );
    }
}

fn row(name: &str, o: &Outcome, from: Duration, to: Duration) {
    trace(o);
    let targets: Vec<String> = (0..o.flows.len())
        .map(|f| o.target_at(f, to - BIN).to_string())
        .collect();
    let throughput: Vec<String> = (0..o.flows.len())
        .map(|f| Bitrate::from_f64(o.throughput(f, from, to)).to_string())
        .collect();
    println!(
        "| {name:<34} | {from:>4.0?}..{to:<4.0?} | {:<24} | {:<24} | {:>5.1} % | {:>6.0?} | {:>5.2} % |",
        targets.join(" / "),
        throughput.join(" / "),
        100.0 * o.utilisation(from, to),
        o.queue_p95(from, to),
        100.0 * o.loss(from, to),
    );
}

/// Failed criteria, collected so that every seed's row is printed before the test fails.
#[derive(Default)]
struct Checks(Vec<String>);

impl Checks {
    fn that(&mut self, ok: bool, what: String) {
        if !ok {
            println!("  FAILED: {what}");
            self.0.push(what);
        }
    }

    fn all_hold(self) {
        assert!(self.0.is_empty(), "{:?}", self.0);
    }
}

fn header() {
    println!(
        "| scenario                           | window      | target (end)             | throughput               | util    | q p95  | loss    |"
    );
}

/// Each scenario runs with these seeds (the encoder's frame sizes and the random loss).
const SEEDS: [u64; 3] = [1, 2, 3];

fn one_flow(rate_mbps: f64, queue_ms: u64, loss: f64, duration_s: f64) -> Scenario {
    Scenario {
        name: "",
        rates: vec![(Duration::ZERO, Bitrate::from_f64(rate_mbps * 1e6))],
        queue_time: Duration::from_millis(queue_ms),
        loss,
        flows: vec![(CcConfig::default(), Duration::ZERO)],
        duration: secs(duration_s),
    }
}

#[test]
fn steady_3_mbps_link() {
    let s = Scenario {
        name: "steady 3 Mbit/s, 50 ms RTT",
        ..one_flow(3.0, 300, 0.0, 30.0)
    };
    header();
    let mut checks = Checks::default();
    for seed in SEEDS {
        let o = run(&s, 100 + seed);
        row(s.name, &o, secs(5.0), s.duration);
        let reached = o.time_to_reach(0, Duration::ZERO, 0.9 * 3e6);
        println!("  90 % of the link first reached over one second by {reached:?}");
        checks.that(
            reached.is_some_and(|t| t <= secs(5.0)),
            format!("{reached:?}"),
        );
        // The criterion is the ramp (90 % within 5 s); the mean after it is printed and
        // guarded (91-94 % through the pacer; key frames every 3 s make the detector back off
        // to 0.85x, so it is not 100 %).
        let util = o.utilisation(secs(5.0), s.duration);
        println!("  utilisation after 5 s {:.1} %", 100.0 * util);
        checks.that(util >= 0.8, format!("utilisation after 5 s {util}"));
        let p95 = o.queue_p95(secs(5.0), s.duration);
        checks.that(p95 <= Duration::from_millis(100), format!("{p95:?}"));
    }
    checks.all_hold();
}

#[test]
fn step_up_1_to_5_mbps() {
    let s = Scenario {
        name: "step up 1 -> 5 Mbit/s at 20 s",
        rates: vec![
            (Duration::ZERO, Bitrate::from_mbps(1)),
            (secs(20.0), Bitrate::from_mbps(5)),
        ],
        ..one_flow(1.0, 300, 0.0, 40.0)
    };
    header();
    let mut checks = Checks::default();
    for seed in SEEDS {
        let o = run(&s, 200 + seed);
        row(s.name, &o, secs(5.0), secs(20.0));
        row(s.name, &o, secs(20.0), secs(30.0));
        row(s.name, &o, secs(30.0), s.duration);
        let reached = o.time_to_reach(0, secs(20.0), 0.9 * 5e6);
        println!("  90 % of 5 Mbit/s over one second by {reached:?}");
        checks.that(
            reached.is_some_and(|t| t <= secs(30.0)),
            format!("{reached:?}"),
        );
    }
    checks.all_hold();
}

#[test]
fn step_down_5_to_1_mbps() {
    let s = Scenario {
        name: "step down 5 -> 1 Mbit/s at 20 s",
        rates: vec![
            (Duration::ZERO, Bitrate::from_mbps(5)),
            (secs(20.0), Bitrate::from_mbps(1)),
        ],
        ..one_flow(5.0, 300, 0.0, 40.0)
    };
    header();
    let mut checks = Checks::default();
    for seed in SEEDS {
        let o = run(&s, 300 + seed);
        row(s.name, &o, secs(5.0), secs(20.0));
        row(s.name, &o, secs(20.0), secs(22.0));
        row(s.name, &o, secs(22.0), s.duration);
        let settled = o.queue_settles(secs(20.0), Duration::from_millis(100));
        let burst = o.longest_loss_burst();
        println!("  queue under 100 ms (for 1 s) from {settled:?}; longest loss burst {burst:?}");
        checks.that(
            settled.is_some_and(|t| t <= secs(22.0)),
            format!("{settled:?}"),
        );
        checks.that(burst <= secs(1.0), format!("{burst:?}"));
    }
    checks.all_hold();
}

#[test]
fn five_percent_random_loss() {
    let s = Scenario {
        name: "5 % random loss, 3 Mbit/s",
        ..one_flow(3.0, 300, 0.05, 40.0)
    };
    header();
    let mut checks = Checks::default();
    for seed in SEEDS {
        let o = run(&s, 400 + seed);
        row(s.name, &o, secs(5.0), s.duration);
        let util = o.utilisation(secs(5.0), s.duration);
        checks.that(util >= 0.7, format!("throughput {util} of the link"));
    }
    checks.all_hold();
}

#[test]
fn bufferbloat_1_s_queue() {
    let s = Scenario {
        name: "bufferbloat: 3 Mbit/s, 1 s queue",
        ..one_flow(3.0, 1000, 0.0, 40.0)
    };
    header();
    let mut checks = Checks::default();
    for seed in SEEDS {
        let o = run(&s, 500 + seed);
        row(s.name, &o, Duration::ZERO, s.duration);
        let p95 = o.queue_p95(Duration::ZERO, s.duration);
        checks.that(p95 <= Duration::from_millis(150), format!("{p95:?}"));
    }
    checks.all_hold();
}

#[test]
fn two_flows_share_4_mbps() {
    let s = Scenario {
        name: "two flows sharing 4 Mbit/s",
        flows: vec![
            (CcConfig::default(), Duration::ZERO),
            (CcConfig::default(), secs(2.0)),
        ],
        ..one_flow(4.0, 300, 0.0, 60.0)
    };
    header();
    let mut checks = Checks::default();
    for seed in SEEDS {
        let o = run(&s, 600 + seed);
        row(s.name, &o, secs(30.0), s.duration);
        for f in 0..2 {
            let share = o.throughput(f, secs(30.0), s.duration) / 4e6;
            println!("  flow {f}: {:.1} % of the link", 100.0 * share);
            checks.that((0.35..=0.65).contains(&share), format!("flow {f}: {share}"));
        }
    }
    checks.all_hold();
}

#[test]
fn probing_finds_10_mbps_from_300_kbps() {
    let s = Scenario {
        name: "10 Mbit/s, start at 300 kbit/s",
        ..one_flow(10.0, 300, 0.0, 15.0)
    };
    header();
    let mut checks = Checks::default();
    for seed in SEEDS {
        let o = run(&s, 700 + seed);
        row(s.name, &o, Duration::ZERO, secs(5.0));
        row(s.name, &o, secs(5.0), s.duration);
        let at_5 = o.target_at(0, secs(5.0));
        let throughput = o.throughput(0, secs(5.0), secs(6.0));
        println!(
            "  target at 5 s {at_5}, throughput 5..6 s {}",
            Bitrate::from_f64(throughput)
        );
        checks.that(at_5 >= Bitrate::from_mbps(5), format!("{at_5}"));
        checks.that(throughput >= 5e6, format!("{throughput}"));
    }
    checks.all_hold();
}
