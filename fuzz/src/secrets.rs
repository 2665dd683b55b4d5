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

/// `byte` moved to the next letter or digit (`a`→`b`, `z`→`a`, `9`→`0`); other bytes stay.
fn shifted_byte(byte: u8) -> u8 {
    match byte {
        b'z' => b'a',
        b'Z' => b'A',
        b'9' => b'0',
        b if b.is_ascii_alphanumeric() => b + 1,
        b => b,
    }
}

/// `piece` with every letter and digit moved to the next one.
fn shifted(piece: &[u8]) -> Vec<u8> {
    piece.iter().copied().map(shifted_byte).collect()
}

/// The changes tried on a piece: all of its letters and digits shifted, then each one alone
/// (a whole changed word can take the input down another path, one letter rarely does).
fn variants(piece: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    let singles = (0..piece.len())
        .filter(|&at| piece[at].is_ascii_alphanumeric())
        .map(|at| {
            let mut variant = piece.to_vec();
            variant[at] = shifted_byte(piece[at]);
            variant
        });
    std::iter::once(shifted(piece)).chain(singles)
}

/// `text` with every occurrence of `piece` replaced by `replacement` (of the same length).
pub fn with_replaced(text: &[u8], piece: &[u8], replacement: &[u8]) -> Vec<u8> {
    let mut out = text.to_vec();
    for at in memmem::find_iter(text, piece) {
        out[at..at + piece.len()].copy_from_slice(replacement);
    }
    out
}

/// Panics when `message` repeats a piece of any of `secrets`. A piece found is judged by
/// `again(piece, replacement)`, which makes the same call with `piece` replaced in every input
/// ([`with_replaced`]) and gives its message, if it fails. A message that follows the change
/// repeats the secret; one that keeps the piece although every input lost it says the library's
/// own words (a fuzzed key may contain "the key's -----BEGIN line", a passphrase
/// "layer:///keys/<uuid>"). When no change tells (the call takes another path each time, or the
/// piece has no letter or digit to change), the piece counts as repeated.
pub fn assert_not_repeated(
    secrets: &[&[u8]],
    public: &[&[u8]],
    message: &str,
    context: &str,
    again: impl Fn(&[u8], &[u8]) -> Option<String>,
) {
    let holds = |text: &str, piece: &[u8]| text.as_bytes().windows(WINDOW).any(|w| w == piece);
    for secret in secrets {
        let Some(piece) = repeated(secret, message, public) else {
            continue;
        };
        let library_words = variants(piece).find_map(|replacement| {
            let other = again(piece, &replacement)?;
            if holds(&other, &replacement) {
                Some(false)
            } else if holds(&other, piece) {
                Some(true)
            } else {
                None
            }
        });
        if library_words != Some(true) {
            panic!(
                "{context}: the message repeats a secret's {:?}:\n{message}",
                String::from_utf8_lossy(piece)
            );
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

    /// A message made the way a library would: its own words, then what it quotes of the key.
    fn message_for(key: &[u8], quotes_key: bool) -> Option<String> {
        let words = if key.starts_with(b"-----BEGIN") {
            "the key's -----BEGIN line is malformed"
        } else {
            "this is not a key"
        };
        let quoted = if quotes_key {
            format!(": {}", String::from_utf8_lossy(key))
        } else {
            String::new()
        };
        Some(format!("{words}{quoted}"))
    }

    /// The check on `key` and the message [`message_for`] makes of it.
    fn check(key: &[u8], quotes_key: bool) {
        let message = message_for(key, quotes_key).unwrap();
        assert_not_repeated(&[key], &[], &message, "check", |piece, replacement| {
            message_for(&with_replaced(key, piece, replacement), quotes_key)
        });
    }

    #[test]
    fn the_library_own_words_in_a_key_are_not_a_leak() {
        check(b"-----BEGIN line is malformed, says the fuzzer", false);
    }

    #[test]
    #[should_panic(expected = "repeats a secret")]
    fn a_quoted_key_is_a_leak() {
        check(
            b"-----BEGIN RSA KEY-----MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
            true,
        );
    }

    #[test]
    #[should_panic(expected = "repeats a secret")]
    fn a_piece_no_change_tells_about_is_a_leak() {
        let key = b"!!!!!!!!!!!!!!!!!!!!";
        let message = format!("quoted: {}", String::from_utf8_lossy(key));
        assert_not_repeated(&[key], &[], &message, "unchangeable", |_, _| {
            Some(message.clone())
        });
    }
}
