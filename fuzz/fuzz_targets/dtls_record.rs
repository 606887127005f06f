//! The DTLS record layer parser on arbitrary datagrams: every record, every handshake fragment
//! and alert inside; never panics, and what parses re-emits to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtcweb_dtls::wire::alert::Alert;
use rtcweb_dtls::wire::handshake::{Fragment, emit_header as emit_fragment_header};
use rtcweb_dtls::wire::record::{ContentType, RECORD_HEADER_LEN, Record, emit_header};

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok((record, tail)) = Record::parse(rest) {
        let consumed = rest.len() - tail.len();
        assert_eq!(consumed, RECORD_HEADER_LEN + record.fragment.len());
        let mut header = [0u8; RECORD_HEADER_LEN];
        emit_header(
            &mut header,
            record.content_type,
            record.version,
            record.epoch,
            record.sequence,
            record.fragment.len() as u16,
        );
        assert_eq!(header[..], rest[..RECORD_HEADER_LEN]);
        match record.content_type {
            ContentType::HANDSHAKE => {
                let mut body = record.fragment;
                while let Ok((f, after)) = Fragment::parse(body) {
                    assert!(u64::from(f.offset) + f.body.len() as u64 <= u64::from(f.length));
                    let mut again = Vec::new();
                    emit_fragment_header(
                        &mut again,
                        f.msg_type,
                        f.length as usize,
                        f.message_seq,
                        f.offset as usize,
                        f.body.len(),
                    );
                    again.extend_from_slice(f.body);
                    assert_eq!(again[..], body[..body.len() - after.len()]);
                    body = after;
                }
            }
            ContentType::ALERT => {
                if let Ok(a) = Alert::parse(record.fragment) {
                    assert_eq!(a.to_bytes()[..], record.fragment[..]);
                }
            }
            _ => {}
        }
        rest = tail;
    }
});
