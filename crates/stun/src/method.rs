//! STUN and TURN methods.

/// A STUN method (12 bits): Binding (RFC 8489), and TURN's (RFC 8656 §17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Method(pub u16);

impl Method {
    /// Binding (RFC 8489 §18.2).
    pub const BINDING: Self = Self(0x001);
    /// Allocate (RFC 8656 §17).
    pub const ALLOCATE: Self = Self(0x003);
    /// Refresh (RFC 8656 §17).
    pub const REFRESH: Self = Self(0x004);
    /// Send (indication only, RFC 8656 §17).
    pub const SEND: Self = Self(0x006);
    /// Data (indication only, RFC 8656 §17).
    pub const DATA: Self = Self(0x007);
    /// CreatePermission (RFC 8656 §17).
    pub const CREATE_PERMISSION: Self = Self(0x008);
    /// ChannelBind (RFC 8656 §17).
    pub const CHANNEL_BIND: Self = Self(0x009);

    pub(crate) fn to_stun_rs(self) -> stun_rs::MessageMethod {
        // Fails only for values over 12 bits, which no constant of ours has; any other value
        // is masked to 12 bits first.
        stun_rs::MessageMethod::try_from(self.0 & 0x0FFF)
            .expect("a 12-bit value is always a valid STUN method")
    }
}
