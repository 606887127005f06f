//! The CRC32c checksum of a packet (RFC 9260 §6.8, Appendix A).

/// Offset of the checksum in the common header.
pub(crate) const OFFSET: usize = 8;

/// CRC32c of `packet` computed with its checksum field taken as zero (RFC 9260 §6.8), with
/// no copy: the bytes before and after the field are fed around four zero bytes.
///
/// `packet` must be at least 12 bytes long.
pub(crate) fn compute(packet: &[u8]) -> u32 {
    let crc = crc32c::crc32c(&packet[..OFFSET]);
    let crc = crc32c::crc32c_append(crc, &[0; 4]);
    crc32c::crc32c_append(crc, &packet[OFFSET + 4..])
}

/// The checksum as stored in a packet. RFC 9260 Appendix A transmits the CRC32c's least
/// significant byte first, which reads as a little-endian word.
pub(crate) fn stored(packet: &[u8]) -> u32 {
    u32::from_le_bytes([
        packet[OFFSET],
        packet[OFFSET + 1],
        packet[OFFSET + 2],
        packet[OFFSET + 3],
    ])
}

/// Writes `crc` into the checksum field of `packet` (at least 12 bytes long).
pub(crate) fn store(packet: &mut [u8], crc: u32) {
    packet[OFFSET..OFFSET + 4].copy_from_slice(&crc.to_le_bytes());
}

/// CRC32c (Castagnoli) of `bytes`, as RFC 9260 Appendix A defines it: the function the
/// checksum is made of, exposed for tests and tools.
pub fn crc32c(bytes: &[u8]) -> u32 {
    crc32c::crc32c(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 3720 §B.4 (the iSCSI CRC32c test vectors RFC 3309 and RFC 9260 Appendix A use),
    /// with the CRC shown as the bytes sent: least significant first.
    #[test]
    fn rfc3720_b4_vectors() {
        let zeros = [0u8; 32];
        let ones = [0xffu8; 32];
        let inc: Vec<u8> = (0..32).collect();
        let dec: Vec<u8> = (0..32).rev().collect();
        assert_eq!(crc32c(&zeros).to_le_bytes(), [0xaa, 0x36, 0x91, 0x8a]);
        assert_eq!(crc32c(&ones).to_le_bytes(), [0x43, 0xab, 0xa8, 0x62]);
        assert_eq!(crc32c(&inc).to_le_bytes(), [0x4e, 0x79, 0xdd, 0x46]);
        assert_eq!(crc32c(&dec).to_le_bytes(), [0x5c, 0xdb, 0x3f, 0x11]);
    }

    /// The CRC-32C catalogue check value over "123456789".
    #[test]
    fn check_value() {
        assert_eq!(crc32c(b"123456789"), 0xe306_9283);
    }

    #[test]
    fn compute_ignores_the_field() {
        let mut p = [7u8; 40];
        let before = compute(&p);
        store(&mut p, 0xdead_beef);
        assert_eq!(compute(&p), before);
        p[8..12].fill(0);
        assert_eq!(crc32c(&p), before);
    }
}
