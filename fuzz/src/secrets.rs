//! The library's no-secret property, as tests/key_messages.rs states it: no message contains
//! any 16-byte piece of a key or passphrase it was given. PEM armor lines (`-----BEGIN PRIVATE
//! KEY-----`) are public, as the endpoint contract says, so pieces that lie within one do not
//! count.

use std::ops::Range;

use memchr::memmem;

pub const WINDOW: usize = 16;

/// The byte ranges of `text` that are PEM armor: `-----BEGIN <label>-----` and
/// `-----END <label>-----` (a label of capitals, digits and spaces; the closing dashes may be
/// missing).
fn armor(text: &[u8]) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    for opener in [&b"-----BEGIN "[..], b"-----END "] {
        for start in memmem::find_iter(text, opener) {
            let mut end = start + opener.len();
            while end < text.len()
                && (text[end].is_ascii_uppercase()
                    || text[end].is_ascii_digit()
                    || text[end] == b' ')
            {
                end += 1;
            }
            while end < text.len() && text[end] == b'-' {
                end += 1;
            }
            ranges.push(start..end);
        }
    }
    ranges
}

/// The first 16-byte piece of `message` that is also a piece of `secret` (outside its armor)
/// and of none of the `public` texts: what the message must not hold.
pub fn repeated<'m>(secret: &[u8], message: &'m str, public: &[&[u8]]) -> Option<&'m [u8]> {
    if secret.len() < WINDOW {
        return None;
    }
    let armor = armor(secret);
    message.as_bytes().windows(WINDOW).find(|piece| {
        let finder = memmem::Finder::new(piece);
        let secret_at = finder.find_iter(secret).any(|at| {
            !armor
                .iter()
                .any(|range| range.start <= at && at + WINDOW <= range.end)
        });
        secret_at && !public.iter().any(|text| finder.find(text).is_some())
    })
}

/// `piece` with every letter and digit moved to the next one (`a`→`b`, `z`→`a`, `9`→`0`).
pub fn shifted(piece: &[u8]) -> Vec<u8> {
    piece
        .iter()
        .map(|&b| match b {
            b'z' => b'a',
            b'Z' => b'A',
            b'9' => b'0',
            b if b.is_ascii_alphanumeric() => b + 1,
            b => b,
        })
        .collect()
}

/// `text` with every occurrence of `piece` [`shifted`].
pub fn with_shifted(text: &[u8], piece: &[u8]) -> Vec<u8> {
    let mut out = text.to_vec();
    for at in memmem::find_iter(text, piece) {
        out[at..at + piece.len()].copy_from_slice(&shifted(piece));
    }
    out
}

/// Panics when `message` repeats a piece of any of `secrets`. A piece found is confirmed by
/// `again`, which makes the same call with that piece changed in every secret ([`with_shifted`])
/// and gives its message: a piece of the library's own words (a fuzzed passphrase may contain
/// "layer:///keys/<uuid>") stays, while a repeated secret changes with it.
pub fn assert_not_repeated(
    secrets: &[&[u8]],
    public: &[&[u8]],
    message: &str,
    context: &str,
    again: impl Fn(&[u8]) -> Option<String>,
) {
    for secret in secrets {
        if let Some(piece) = repeated(secret, message, public) {
            let changed = shifted(piece);
            let confirmed = match again(piece) {
                Some(other) => {
                    other.as_bytes().windows(WINDOW).any(|w| w == changed)
                        || !other.as_bytes().windows(WINDOW).any(|w| w == piece)
                }
                None => true,
            };
            if confirmed || changed == piece {
                panic!(
                    "{context}: the message repeats a secret's {:?}:\n{message}",
                    String::from_utf8_lossy(piece)
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn armor_is_public_and_the_body_is_not() {
        let key = b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkq\n-----END ENCRYPTED PRIVATE KEY-----\n";
        assert_eq!(
            repeated(key, "the -----BEGIN ENCRYPTED PRIVATE KEY----- line", &[]),
            None
        );
        assert_eq!(
            repeated(key, "quoted: MIIFHDBOBgkqhkiG9w0B", &[]),
            Some(&b"MIIFHDBOBgkqhkiG"[..])
        );
        assert_eq!(
            repeated(
                key,
                "quoted: MIIFHDBOBgkqhkiG9w0B",
                &[b"xMIIFHDBOBgkqhkiG9w0Bx"]
            ),
            None
        );
        assert_eq!(repeated(b"short", "short", &[]), None);
    }
}
