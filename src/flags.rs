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

    /// The flags a token type name selects: `JWS` (the default) or `JWT`, in any letter case,
    /// as `LAYER_TOKEN_TYPE` and every wrapper's token-type option take it.
    pub fn from_token_type(name: &str) -> Result<Flags> {
        if name.eq_ignore_ascii_case("JWS") {
            Ok(Flags::default())
        } else if name.eq_ignore_ascii_case("JWT") {
            Ok(Flags::TYP_JWT)
        } else {
            // Shown only when it is short and plain: the value may be a secret put in the
            // wrong place.
            let shown = if name.len() <= 8 && name.bytes().all(|b| b.is_ascii_alphanumeric()) {
                format!("{name:?}")
            } else {
                format!("{} characters long", name.chars().count())
            };
            Err(Error::invalid_argument(format!(
                "token type is {shown}; expected JWS (the default) or JWT"
            )))
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_type_names_are_case_insensitive_and_nothing_else_is_accepted() {
        for (name, flags) in [("JWS", 0), ("jws", 0), ("Jwt", 1), ("JWT", 1)] {
            assert_eq!(
                Flags::from_token_type(name).unwrap().bits(),
                flags,
                "{name}"
            );
        }
        for name in ["", "JOSE", "JWS ", "jwt\0"] {
            assert!(Flags::from_token_type(name).is_err(), "{name:?}");
        }
        let secret = "correct horse battery staple";
        let message = Flags::from_token_type(secret).unwrap_err().to_string();
        assert!(!message.contains("horse"), "{message}");
    }
}
