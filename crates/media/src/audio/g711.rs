//! G.711 (ITU-T G.711, RFC 3551 §4.5.14): µ-law (PCMU) and A-law (PCMA), 8 kHz, one byte
//! per sample. Small enough to write here: the segment encoding of the recommendation.

/// µ-law bias (G.711 §3).
const BIAS: i32 = 0x84;
const CLIP: i32 = 32_635;

/// One 16-bit sample to µ-law.
pub fn ulaw_encode(sample: i16) -> u8 {
    let s = i32::from(sample);
    let sign = if s < 0 { 0x80 } else { 0 };
    let mut magnitude = s.abs().min(CLIP) + BIAS;
    let mut exponent = 7;
    let mut mask = 0x4000;
    while exponent > 0 && magnitude & mask == 0 {
        exponent -= 1;
        mask >>= 1;
    }
    magnitude >>= exponent + 3;
    let mantissa = (magnitude & 0x0f) as u8;
    !(sign | ((exponent as u8) << 4) | mantissa)
}

/// One µ-law byte to a 16-bit sample.
pub fn ulaw_decode(byte: u8) -> i16 {
    let b = !byte;
    let sign = b & 0x80;
    let exponent = i32::from((b >> 4) & 0x07);
    let mantissa = i32::from(b & 0x0f);
    let magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
    let v = if sign != 0 { -magnitude } else { magnitude };
    v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

/// One 16-bit sample to A-law.
pub fn alaw_encode(sample: i16) -> u8 {
    let s = i32::from(sample);
    let (sign, magnitude) = if s >= 0 {
        (0xd5u8, s)
    } else {
        (0x55u8, -s - 1)
    };
    let magnitude = magnitude.min(0x7fff) >> 3;
    let (exponent, mantissa) = if magnitude < 32 {
        (0, (magnitude >> 1) & 0x0f)
    } else {
        let mut exponent = 1;
        let mut m = magnitude >> 5;
        while m > 1 {
            m >>= 1;
            exponent += 1;
        }
        (exponent, (magnitude >> exponent) & 0x0f)
    };
    (((exponent << 4) | mantissa) as u8) ^ sign
}

/// One A-law byte to a 16-bit sample.
pub fn alaw_decode(byte: u8) -> i16 {
    let b = byte ^ 0x55;
    let sign = b & 0x80;
    let exponent = i32::from((b >> 4) & 0x07);
    let mantissa = i32::from(b & 0x0f);
    let magnitude = if exponent == 0 {
        (mantissa << 4) + 8
    } else {
        ((mantissa << 4) + 0x108) << (exponent - 1)
    };
    (if sign != 0 { magnitude } else { -magnitude }) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulaw_known_values_and_round_trip() {
        // G.711 µ-law: silence is 0xFF, the extremes 0x80 and 0x00.
        assert_eq!(ulaw_encode(0), 0xff);
        assert_eq!(ulaw_encode(i16::MAX), 0x80);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
        assert_eq!(ulaw_decode(0xff), 0);
        assert_eq!(ulaw_decode(0x80), 32_124);
        assert_eq!(ulaw_decode(0x00), -32_124);
        for byte in 0..=255u8 {
            // Every code decodes to a value that encodes back to it (0x7f and 0xff are
            // both zero).
            let back = ulaw_encode(ulaw_decode(byte));
            assert!(
                back == byte || ulaw_decode(back) == ulaw_decode(byte),
                "{byte:#x}"
            );
        }
    }

    #[test]
    fn alaw_known_values_and_round_trip() {
        assert_eq!(alaw_encode(0), 0xd5);
        assert_eq!(alaw_decode(0xd5), 8);
        assert_eq!(alaw_decode(0x55), -8);
        assert_eq!(alaw_decode(0xaa), 32_256);
        assert_eq!(alaw_decode(0x2a), -32_256);
        for byte in 0..=255u8 {
            assert_eq!(alaw_encode(alaw_decode(byte)), byte, "{byte:#x}");
        }
    }

    #[test]
    fn quantization_error_stays_within_the_segment() {
        for s in (-32_000i32..32_000).step_by(97) {
            let s = s as i16;
            let u = i32::from(ulaw_decode(ulaw_encode(s))) - i32::from(s);
            let a = i32::from(alaw_decode(alaw_encode(s))) - i32::from(s);
            // The step of the top segment is 1024 (µ) / 1024 (A): half of it at most.
            assert!(u.abs() <= 1024 && a.abs() <= 1024, "{s}: {u} {a}");
            if i32::from(s).abs() < 256 {
                assert!(u.abs() <= 16 && a.abs() <= 16, "{s}: {u} {a}");
            }
        }
    }
}
