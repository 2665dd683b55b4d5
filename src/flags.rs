//! Option bits shared by the Rust API and the C ABI (`LAYER_FLAG_*`).

use crate::error::{Error, Result};

/// OR-ed option bits; `Flags::default()` (no bits) is the safe choice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Flags(u32);

impl Flags {
    /// Sign with `"typ":"JWT"` instead of the original guide's `"typ":"JWS"`.
    pub const TYP_JWT: Flags = Flags(1 << 0);
    /// Admit the 1024-bit RSA keys that early Layer accounts were issued.
    pub const ALLOW_1024_BIT_KEY: Flags = Flags(1 << 1);

    const ALL: u32 = Flags::TYP_JWT.0 | Flags::ALLOW_1024_BIT_KEY.0;

    /// Rejects bits this version does not know, so a typo cannot silently change nothing.
    pub fn from_bits(bits: u32) -> Result<Flags> {
        if bits & !Flags::ALL != 0 {
            return Err(Error::invalid_argument(format!(
                "unknown flag bits {:#x}; known flags are LAYER_FLAG_TYP_JWT (1) and LAYER_FLAG_ALLOW_1024_BIT_KEY (2)",
                bits & !Flags::ALL
            )));
        }
        Ok(Flags(bits))
    }

    pub const fn bits(self) -> u32 {
        self.0
    }

    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;

    fn bitor(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }
}
