//! H.264 `profile-level-id` (RFC 6184 §8.1): the profile a stream uses and its level.

/// H.264 profiles as `profile_idc` and the constraint flags of `profile-iop` define them
/// (RFC 6184 §8.1, ITU-T H.264 Annex A).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Profile {
    ConstrainedBaseline,
    Baseline,
    Main,
    Extended,
    ConstrainedHigh,
    High,
    Other(u8),
}

/// A parsed `profile-level-id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProfileLevelId {
    pub(crate) profile_idc: u8,
    pub(crate) profile_iop: u8,
    pub(crate) level_idc: u8,
}

/// RFC 6184 §8.1: without `profile-level-id` the stream is Baseline, level 1 (`42000a`).
const DEFAULT: ProfileLevelId = ProfileLevelId {
    profile_idc: 0x42,
    profile_iop: 0x00,
    level_idc: 0x0a,
};

impl ProfileLevelId {
    /// Parses the 6 hex digits; `None` for anything else. An absent parameter means the
    /// default.
    pub(crate) fn parse(value: Option<&str>) -> Option<Self> {
        let Some(v) = value else {
            return Some(DEFAULT);
        };
        let v = v.trim();
        if v.len() != 6 || !v.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let n = u32::from_str_radix(v, 16).ok()?;
        let [_, profile_idc, profile_iop, level_idc] = n.to_be_bytes();
        Some(Self {
            profile_idc,
            profile_iop,
            level_idc,
        })
    }

    /// The profile: a Baseline stream with constraint_set1, a Main stream with
    /// constraint_set0, or an Extended one with both, is Constrained Baseline; a High stream
    /// with constraint_set4 and 5 is Constrained High.
    pub(crate) fn profile(self) -> Profile {
        let iop = self.profile_iop;
        match self.profile_idc {
            0x42 if iop & 0x40 != 0 => Profile::ConstrainedBaseline,
            0x42 => Profile::Baseline,
            0x4d if iop & 0x80 != 0 => Profile::ConstrainedBaseline,
            0x4d => Profile::Main,
            0x58 if iop & 0xc0 == 0xc0 => Profile::ConstrainedBaseline,
            0x58 => Profile::Extended,
            0x64 if iop & 0x0c == 0x0c => Profile::ConstrainedHigh,
            0x64 => Profile::High,
            other => Profile::Other(other),
        }
    }

    /// The same profile bytes with another level.
    pub(crate) fn with_level(self, level_idc: u8) -> Self {
        Self { level_idc, ..self }
    }

    /// The six lower-case hex digits.
    pub(crate) fn to_hex(self) -> String {
        format!(
            "{:02x}{:02x}{:02x}",
            self.profile_idc, self.profile_iop, self.level_idc
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_of_chromium_and_safari_offers() {
        let p = |s| ProfileLevelId::parse(Some(s)).unwrap().profile();
        assert_eq!(p("42e01f"), Profile::ConstrainedBaseline);
        assert_eq!(p("42001f"), Profile::Baseline);
        assert_eq!(p("4d001f"), Profile::Main);
        assert_eq!(p("640c1f"), Profile::ConstrainedHigh);
        assert_eq!(p("64001f"), Profile::High);
        assert_eq!(
            ProfileLevelId::parse(None).unwrap().profile(),
            Profile::Baseline
        );
        assert_eq!(ProfileLevelId::parse(Some("42e0")), None);
        let l = ProfileLevelId::parse(Some("42E01F")).unwrap();
        assert_eq!(l.level_idc, 0x1f);
        assert_eq!(l.with_level(0x0d).to_hex(), "42e00d");
    }
}
