//! Unpadded base64url (RFC 4648 §5) for the oracles, written out rather than taken from the
//! `base64` crate the library uses: decoding accepts only the canonical form (no `=`, no `+` or
//! `/`, no bits set in the last character that encode nothing).

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

fn sextet(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|i| i as u32)
}

/// The bytes `text` encodes, or `None` unless it is canonical unpadded base64url.
pub fn decode(text: &[u8]) -> Option<Vec<u8>> {
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    for chunk in text.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .try_fold(0u32, |n, (i, &c)| Some(n | sextet(c)? << (18 - 6 * i)))?;
        let bytes = chunk.len() - 1;
        // The bits after the last whole byte must be zero.
        if n & ((1 << (24 - 8 * bytes)) - 1) != 0 {
            return None;
        }
        out.extend((0..bytes).map(|i| (n >> (16 - 8 * i)) as u8));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_what_is_not_canonical() {
        for bytes in [&b""[..], b"f", b"fo", b"foo", b"foob", b"\xff\xfe\x00"] {
            assert_eq!(decode(encode(bytes).as_bytes()).unwrap(), bytes);
        }
        assert_eq!(encode(b"\xfb\xff"), "-_8");
        for bad in ["Zg=", "Zh", "Zm9", "a", "ab+c", "ab/c", "ab c"] {
            assert_eq!(decode(bad.as_bytes()), None, "{bad}");
        }
    }
}
