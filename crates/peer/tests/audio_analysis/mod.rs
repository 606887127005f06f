//! What a decoded tone sounds like: its level and its strongest frequency.
#![allow(dead_code, unreachable_pub)] // shared by several test binaries

pub use rtcweb_media::analysis::rms;

/// The frequency from 100 Hz to 2 kHz with the most power in 48 kHz `samples`.
pub fn peak_frequency(samples: &[i16]) -> f64 {
    rtcweb_media::analysis::peak_frequency(samples, 48_000)
}

/// Sends `seconds` of a `frequency` Hz tone on `local`, 20 ms frames of 48 kHz mono at the
/// pace of a microphone, while playing `remote` for as long: the frames played, and how
/// many frames went out (the connection was up).
pub async fn tone_and_listen(
    local: rtcweb_peer::driver::RtpSender,
    remote: &mut rtcweb_peer::driver::RemoteAudioTrack,
    frequency: f64,
    seconds: u64,
) -> (Vec<rtcweb_media::audio::DecodedAudio>, u64) {
    use rtcweb_media::{AudioSource, PcmFrame, ToneSource};
    let sender = tokio::spawn(async move {
        let mut tone = ToneSource::new(frequency, 12_000.0, 48_000, 1);
        let mut pcm = vec![0i16; 960];
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(20));
        let mut sent = 0u64;
        for _ in 0..seconds * 50 {
            tick.tick().await;
            tone.fill(&mut pcm);
            let frame = PcmFrame {
                samples: pcm.clone(),
                sample_rate: 48_000,
                channels: 1,
            };
            sent += local
                .send_audio(frame, None)
                .await
                .expect("the track sends") as u64;
        }
        sent
    });
    let mut played = Vec::new();
    let until = tokio::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while let Ok(Some(frame)) = tokio::time::timeout_at(until, remote.recv()).await {
        played.push(frame);
    }
    (played, sender.await.expect("the sender ran"))
}

/// Of the frames played: the samples of the loud ones (decoded, RMS above 0.05), how
/// many were loud, and how many were concealed.
pub fn loud(played: &[rtcweb_media::audio::DecodedAudio]) -> (Vec<i16>, usize, usize) {
    let loud: Vec<&[i16]> = played
        .iter()
        .filter(|f| !f.concealed && rms(&f.samples) > 0.05)
        .map(|f| f.samples.as_slice())
        .collect();
    let concealed = played.iter().filter(|f| f.concealed).count();
    (loud.concat(), loud.len(), concealed)
}
