//! Base64url without padding (RFC 7515 §2), as the token's three parts use it.
//!
//! Decoding accepts only the canonical form, so every token has exactly one spelling and a
//! verifier cannot be fooled by an alternative one.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Appends the encoding of `bytes` to `out`.
pub fn encode_into(bytes: &[u8], out: &mut String) {
    URL_SAFE_NO_PAD.encode_string(bytes, out);
}

pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Length of the encoding of `len` bytes.
pub const fn encoded_len(len: usize) -> usize {
    (len * 4).div_ceil(3)
}

/// Decodes the canonical spelling only: the engine rejects padding, `+` and `/`, whitespace
/// and stray bits in the last character.
pub fn decode(text: &[u8]) -> Result<Vec<u8>, base64::DecodeError> {
    URL_SAFE_NO_PAD.decode(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_length() {
        let bytes: Vec<u8> = (0..=255u8).rev().chain(0..=255).collect();
        for len in 0..bytes.len() {
            let text = encode(&bytes[..len]);
            assert_eq!(
                decode(text.as_bytes()).unwrap(),
                &bytes[..len],
                "length {len}"
            );
            assert_eq!(encoded_len(len), text.len());
        }
    }

    #[test]
    fn rejects_everything_but_the_canonical_spelling() {
        assert_eq!(decode(b"QUJD").unwrap(), b"ABC");
        assert_eq!(decode(b"QQ").unwrap(), b"A");
        assert_eq!(decode(b"QUI").unwrap(), b"AB");
        for bad in [
            &b"QR"[..],
            b"QUJ",
            b"QQ==",
            b"QUJD+A",
            b"QU/D",
            b"QUJD\n",
            b"QU D",
            b"Q",
        ] {
            assert!(decode(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
