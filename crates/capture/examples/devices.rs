//! Lists the devices rtcweb-capture finds, as a table: id, kind, label, capabilities.
//!
//! `cargo run -p rtcweb-capture --example devices`. Sound-server devices appear when a
//! PulseAudio (or pipewire-pulse) socket is found: `PULSE_SERVER=unix:/path/to/native`.

use rtcweb_capture::{AudioMode, Capabilities, DeviceInfo, enumerate_audio};

fn main() {
    let devices = enumerate_audio();
    let rows: Vec<[String; 4]> = devices.iter().map(row).collect();
    let headers = ["id", "kind", "label", "capabilities"].map(String::from);
    let mut widths = headers.each_ref().map(String::len);
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for r in std::iter::once(&headers).chain(&rows) {
        let line: Vec<String> = r
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
    println!("{} devices", devices.len());
}

fn row(d: &DeviceInfo) -> [String; 4] {
    [
        d.id.to_string(),
        d.kind.to_string(),
        d.label.clone(),
        capabilities(&d.capabilities),
    ]
}

/// Audio modes folded: channel counts that share a rate range are written as one span
/// (`1-31 ch 1-384000 Hz`).
fn capabilities(caps: &Capabilities) -> String {
    match caps {
        Capabilities::Audio(audio) => {
            let mut spans: Vec<(AudioMode, u16)> = Vec::new();
            for m in &audio.modes {
                match spans.last_mut() {
                    Some((first, last))
                        if *last + 1 == m.channels
                            && (first.min_sample_rate, first.max_sample_rate)
                                == (m.min_sample_rate, m.max_sample_rate) =>
                    {
                        *last = m.channels;
                    }
                    _ => spans.push((*m, m.channels)),
                }
            }
            let text: Vec<String> = spans
                .iter()
                .map(|(m, last)| {
                    let ch = if *last == m.channels {
                        format!("{} ch", m.channels)
                    } else {
                        format!("{}-{last} ch", m.channels)
                    };
                    let hz = if m.min_sample_rate == m.max_sample_rate {
                        format!("{} Hz", m.min_sample_rate)
                    } else {
                        format!("{}-{} Hz", m.min_sample_rate, m.max_sample_rate)
                    };
                    format!("{ch} {hz}")
                })
                .collect();
            if text.is_empty() {
                "none we convert".to_owned()
            } else {
                text.join(", ")
            }
        }
        Capabilities::Video(video) => video
            .modes
            .iter()
            .map(|m| {
                let rates: Vec<String> = m
                    .frame_rates
                    .iter()
                    .map(|r| format!("{:.2}", r.as_f64()))
                    .collect();
                format!(
                    "{} {}x{} @ {} fps",
                    String::from_utf8_lossy(&m.format.fourcc()),
                    m.width,
                    m.height,
                    rates.join("/")
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}
