//! Reading keys the way backend engineers actually hold them: PEM (PKCS#1, PKCS#8, encrypted
//! PKCS#8, legacy encrypted PEM), DER, or base64 DER, with CRLF line ends, surrounding
//! whitespace or quotes, and literal `\n` escapes from environment variables — and the strength
//! policy applied to every key the library uses.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use openssl::pkey::{HasPublic, Id, PKey, PKeyRef, Private, Public};
use openssl::rsa::Rsa;
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};

/// Smallest key accepted by default (RFC 7518 §3.3 requires 2048 bits for RS256).
pub const MIN_BITS: u32 = 2048;
/// Smallest key accepted with the legacy flag: early Layer accounts were issued 1024-bit keys.
pub const LEGACY_MIN_BITS: u32 = 1024;
/// Largest key accepted: beyond this a hostile key only makes verification slow.
pub const MAX_BITS: u32 = 16384;

/// Decodes an RSA private key in any supported form. `passphrase` is used only when the key
/// is encrypted; it is required then.
pub fn load_private_key(input: &[u8], passphrase: Option<&[u8]>) -> Result<PKey<Private>> {
    private_key_from(decode(input)?, passphrase)
}

/// Whether `input` is an encrypted private key (PKCS#8 or legacy PEM), which needs a
/// passphrase; for anything else a passphrase is ignored.
pub fn is_encrypted_private_key(input: &[u8]) -> bool {
    match decode(input) {
        Ok(Encoded::LegacyEncryptedPem(_)) => true,
        Ok(Encoded::Der { der, .. }) => classify(&der) == DerKind::EncryptedPrivateKeyInfo,
        Err(_) => false,
    }
}

fn private_key_from(encoded: Encoded, passphrase: Option<&[u8]>) -> Result<PKey<Private>> {
    match encoded {
        Encoded::LegacyEncryptedPem(pem) => {
            let passphrase = usable_passphrase(passphrase)?;
            PKey::private_key_from_pem_callback(&pem, passphrase_callback(passphrase))
                .map_err(|e| wrong_passphrase(&e))
        }
        Encoded::Der { der, kind } => match classify(&der) {
            DerKind::PrivateKeyInfo => PKey::private_key_from_pkcs8(&der)
                .map_err(|e| Error::openssl(ErrorKind::InvalidKey, "the PKCS#8 private key is malformed", &e)),
            DerKind::RsaPrivateKey => Rsa::private_key_from_der(&der)
                .and_then(PKey::from_rsa)
                .map_err(|e| Error::openssl(ErrorKind::InvalidKey, "the PKCS#1 RSA private key is malformed", &e)),
            DerKind::EncryptedPrivateKeyInfo => {
                let passphrase = usable_passphrase(passphrase)?;
                PKey::private_key_from_pkcs8_callback(&der, passphrase_callback(passphrase))
                    .map_err(|e| wrong_passphrase(&e))
            }
            DerKind::SubjectPublicKeyInfo | DerKind::RsaPublicKey => Err(Error::invalid_key(
                "this is a public key; signing needs the private key (keep it on the backend, upload the public key to Layer)",
            )),
            DerKind::Unknown => Err(unrecognized(kind)),
        },
    }
}

/// Decodes an RSA public key (SPKI or PKCS#1), or derives it from an unencrypted private key.
pub fn load_public_key(input: &[u8]) -> Result<PKey<Public>> {
    let encoded = decode(input)?;
    match &encoded {
        Encoded::LegacyEncryptedPem(_) => return Err(encrypted_for_verifier()),
        Encoded::Der { der, kind } => match classify(der) {
            DerKind::SubjectPublicKeyInfo => {
                return PKey::public_key_from_der(der).map_err(|e| {
                    Error::openssl(ErrorKind::InvalidKey, "the public key is malformed", &e)
                })
            }
            DerKind::RsaPublicKey => {
                return Rsa::public_key_from_der_pkcs1(der)
                    .and_then(PKey::from_rsa)
                    .map_err(|e| {
                        Error::openssl(
                            ErrorKind::InvalidKey,
                            "the PKCS#1 RSA public key is malformed",
                            &e,
                        )
                    })
            }
            DerKind::EncryptedPrivateKeyInfo => return Err(encrypted_for_verifier()),
            DerKind::Unknown => return Err(unrecognized(*kind)),
            DerKind::PrivateKeyInfo | DerKind::RsaPrivateKey => {}
        },
    }
    let private = private_key_from(encoded, None)?;
    public_key_of(&private)
}

/// The public half of a key, as a key object of its own.
pub(crate) fn public_key_of<T: HasPublic>(key: &PKeyRef<T>) -> Result<PKey<Public>> {
    let derive = |e| Error::openssl(ErrorKind::InvalidKey, "cannot derive the public key", &e);
    PKey::public_key_from_der(&key.public_key_to_der().map_err(derive)?).map_err(derive)
}

/// The checks for every key the library signs or verifies with: plain RSA, between 1024 and
/// 16384 bits, and a public exponent no real key generator exceeds: odd, at least 3 (e = 1
/// would make every message's padding a valid signature), at most 32 bits and below the
/// modulus (a larger one makes every verification fail, or take milliseconds). The 2048-bit
/// minimum is checked by [`check_key_size`] where the caller's flags are known.
pub fn require_usable_rsa<T: HasPublic>(key: &PKeyRef<T>) -> Result<()> {
    require_rsa(key)?;
    check_key_size(key.bits(), true)?;
    let rsa = key
        .rsa()
        .map_err(|e| Error::openssl(ErrorKind::InvalidKey, "cannot read the RSA key", &e))?;
    let e = rsa.e();
    if e >= rsa.n() {
        return Err(Error::invalid_key(
            "the RSA key's public exponent is not smaller than its modulus: the key is corrupt",
        ));
    }
    if !e.is_bit_set(0) || e.num_bits() < 2 {
        return Err(Error::invalid_key(
            "the RSA key's public exponent is not an odd number of at least 3",
        ));
    }
    if e.num_bits() > MAX_EXPONENT_BITS {
        return Err(Error::invalid_key(format!(
            "the RSA key's public exponent has {} bits; key generators use 65537 (17 bits), and \
             at most {MAX_EXPONENT_BITS} bits are accepted",
            e.num_bits()
        )));
    }
    Ok(())
}

/// Largest public exponent accepted, in bits (Go's crypto/rsa and Windows CNG have the same
/// limit).
const MAX_EXPONENT_BITS: i32 = 32;

/// Names the key's actual type when it is not plain RSA.
fn require_rsa<T>(key: &PKeyRef<T>) -> Result<()> {
    let not_rsa = |what: &str| {
        Err(Error::invalid_key(format!(
            "the key is {what}; Layer needs an RSA key: {GENERATE_RSA}"
        )))
    };
    match key.id() {
        Id::RSA => Ok(()),
        Id::RSA_PSS => not_rsa("an RSA-PSS key, restricted to PSS signatures, which RS256 is not"),
        Id::EC => not_rsa("an EC key"),
        Id::ED25519 | Id::ED448 => not_rsa("an EdDSA key (Ed25519 or Ed448)"),
        Id::DSA => not_rsa("a DSA key"),
        _ => not_rsa("not an RSA key"),
    }
}

/// Rejects keys too small for RS256 (1024-bit only when `allow_1024_bit_key`) or absurdly large.
pub fn check_key_size(bits: u32, allow_1024_bit_key: bool) -> Result<()> {
    let minimum = if allow_1024_bit_key {
        LEGACY_MIN_BITS
    } else {
        MIN_BITS
    };
    if bits < minimum {
        let how = if bits >= LEGACY_MIN_BITS {
            "; generate a 2048-bit key pair and upload its public key to Layer (the legacy-key flag admits 1024-bit keys)"
        } else {
            "; RSA keys below 1024 bits are never accepted"
        };
        return Err(Error::new(
            ErrorKind::WeakKey,
            format!("the RSA key has {bits} bits, fewer than the {minimum} required{how}"),
        ));
    }
    if bits > MAX_BITS {
        return Err(Error::invalid_key(format!(
            "the RSA key has {bits} bits, more than the {MAX_BITS} supported"
        )));
    }
    Ok(())
}

/// The most passphrase bytes OpenSSL reads when it decrypts a key (`PEM_BUFSIZE`).
const MAX_PASSPHRASE_BYTES: usize = 1024;

/// The passphrase for an encrypted key: given, and no longer than OpenSSL reads (cut short,
/// a longer one would be accepted whenever its first 1,024 bytes were right).
fn usable_passphrase(passphrase: Option<&[u8]>) -> Result<&[u8]> {
    let passphrase = passphrase.ok_or_else(missing_passphrase)?;
    if passphrase.len() > MAX_PASSPHRASE_BYTES {
        return Err(Error::new(
            ErrorKind::WrongPassphrase,
            format!("the passphrase is longer than {MAX_PASSPHRASE_BYTES} bytes, the most OpenSSL reads"),
        ));
    }
    Ok(passphrase)
}

/// Hands OpenSSL the passphrase with its length, so any byte (NUL included) is part of it:
/// `private_key_from_pkcs8_passphrase` makes a C string of it and panics on a NUL.
fn passphrase_callback(
    passphrase: &[u8],
) -> impl FnOnce(&mut [u8]) -> std::result::Result<usize, openssl::error::ErrorStack> + '_ {
    move |buffer| {
        let len = passphrase.len().min(buffer.len());
        buffer[..len].copy_from_slice(&passphrase[..len]);
        Ok(len)
    }
}

fn missing_passphrase() -> Error {
    Error::new(
        ErrorKind::WrongPassphrase,
        "the private key is encrypted and no passphrase was given",
    )
}

fn wrong_passphrase(stack: &openssl::error::ErrorStack) -> Error {
    Error::openssl(
        ErrorKind::WrongPassphrase,
        "cannot decrypt the private key: wrong passphrase (or a corrupted key)",
        stack,
    )
}

fn encrypted_for_verifier() -> Error {
    Error::new(
        ErrorKind::WrongPassphrase,
        "the key is an encrypted private key and the verifier takes no passphrase; give it the public key",
    )
}

fn unrecognized(kind: Option<PemKind>) -> Error {
    match kind {
        Some(kind) => Error::invalid_key(format!(
            "the PEM block is labelled as a {} but does not hold one",
            kind.describe()
        )),
        None => Error::invalid_key("the key is not PEM, DER or base64 DER of an RSA key"),
    }
}

/// Largest key input accepted: a 16384-bit PKCS#1 PEM with CRLF line ends is about 13 KiB, so
/// anything this large is no key, and refusing it early keeps hostile inputs cheap.
const MAX_KEY_INPUT_BYTES: usize = 64 * 1024;

/// A key's bytes after the text layer is peeled off.
enum Encoded {
    /// `Proc-Type: 4,ENCRYPTED` PEM: only OpenSSL's PEM reader decrypts these.
    LegacyEncryptedPem(Zeroizing<Vec<u8>>),
    Der {
        der: Zeroizing<Vec<u8>>,
        /// What the PEM label says the DER is, when the key came as PEM.
        kind: Option<PemKind>,
    },
}

/// The PEM labels of the key forms this library reads. Messages use [`PemKind::describe`],
/// never the label text: no error ever repeats any part of a key's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PemKind {
    RsaPrivate,
    Private,
    EncryptedPrivate,
    Public,
    RsaPublic,
}

impl PemKind {
    fn describe(self) -> &'static str {
        match self {
            PemKind::RsaPrivate => "PKCS#1 RSA private key",
            PemKind::Private => "PKCS#8 private key",
            PemKind::EncryptedPrivate => "encrypted PKCS#8 private key",
            PemKind::Public => "SPKI public key",
            PemKind::RsaPublic => "PKCS#1 RSA public key",
        }
    }
}

fn decode(input: &[u8]) -> Result<Encoded> {
    if input.len() > MAX_KEY_INPUT_BYTES {
        return Err(Error::invalid_key(format!(
            "the key is {} bytes, more than the {} KiB that any supported RSA key takes",
            input.len(),
            MAX_KEY_INPUT_BYTES / 1024
        )));
    }
    let text = strip_quotes(input.trim_ascii()).trim_ascii();
    if text.is_empty() {
        return Err(Error::invalid_key("the key is empty"));
    }
    if text.starts_with(PEM_BEGIN) {
        return decode_pem(&normalize_pem(text));
    }
    if contains(text, PEM_BEGIN) {
        return Err(Error::invalid_key(
            "the key has text before its -----BEGIN line",
        ));
    }
    if text[0] == DER_SEQUENCE {
        return Ok(Encoded::Der {
            der: Zeroizing::new(text.to_vec()),
            kind: None,
        });
    }
    let der = decode_base64(text).ok_or_else(|| unrecognized(None))?;
    Ok(Encoded::Der { der, kind: None })
}

/// `"..."` or `'...'` around a key pasted into a `.env` file.
fn strip_quotes(text: &[u8]) -> &[u8] {
    match text {
        [b'"', inner @ .., b'"'] | [b'\'', inner @ .., b'\''] => inner,
        _ => text,
    }
}

/// Real line feeds for literal `\n` (and `\r\n`) escapes, and no carriage returns.
fn normalize_pem(text: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(text.len()));
    let mut i = 0;
    while i < text.len() {
        match &text[i..] {
            [b'\\', b'r', b'\\', b'n', ..] => {
                out.push(b'\n');
                i += 4;
            }
            [b'\\', b'n', ..] => {
                out.push(b'\n');
                i += 2;
            }
            [b'\r', ..] => i += 1,
            [byte, ..] => {
                out.push(*byte);
                i += 1;
            }
            [] => unreachable!("loop bound"),
        }
    }
    out
}

const PEM_BEGIN: &[u8] = b"-----BEGIN ";
const PEM_END: &[u8] = b"-----END ";
const PEM_DASHES: &[u8] = b"-----";
/// RFC 7468 labels are short; a longer "label" means the armor itself is broken.
const MAX_LABEL_BYTES: usize = 64;

/// Splits `-----BEGIN <label>-----` off the front of `text`: `(label, rest)`.
fn armor_label(text: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = text
        .windows(PEM_DASHES.len())
        .take(MAX_LABEL_BYTES + 1)
        .position(|w| w == PEM_DASHES)?;
    let label = &text[..end];
    label
        .iter()
        .all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ')
        .then(|| (label, &text[end + PEM_DASHES.len()..]))
}

/// Reads one PEM block. The armor is found by its dashes, not by lines, so a PEM whose line
/// breaks were flattened to nothing or to spaces (a common accident when pasting a key into an
/// environment variable) reads like the original: the base64 body ignores whitespace anyway.
fn decode_pem(pem: &[u8]) -> Result<Encoded> {
    let (label, rest) = armor_label(&pem[PEM_BEGIN.len()..]).ok_or_else(|| {
        Error::invalid_key(
            "the key's -----BEGIN line is malformed: its label does not end with -----",
        )
    })?;
    let end_at = find(rest, PEM_END)
        .ok_or_else(|| Error::invalid_key("the PEM key has no -----END line (truncated?)"))?;
    let body = &rest[..end_at];
    let (end_label, after) = armor_label(&rest[end_at + PEM_END.len()..])
        .ok_or_else(|| Error::invalid_key("the PEM key's -----END line is malformed"))?;
    if end_label != label {
        return Err(Error::invalid_key(
            "the PEM key's -----END label differs from its -----BEGIN label (two keys mixed up?)",
        ));
    }
    if !after.trim_ascii().is_empty() {
        return Err(Error::invalid_key(
            "the PEM key has text after its -----END line; give exactly one key",
        ));
    }
    let kind = pem_kind(label, body)?;
    if contains(body, b":") {
        if kind != PemKind::RsaPrivate {
            return Err(Error::invalid_key(format!(
                "the {} has header lines; only legacy encrypted RSA keys have them",
                kind.describe()
            )));
        }
        if !contains(body.trim_ascii(), b"\n") {
            return Err(Error::invalid_key(
                "the legacy encrypted PEM key has lost its line breaks: put each header line \
                 (Proc-Type, DEK-Info) on its own line and a blank line before the base64 body",
            ));
        }
        return Ok(Encoded::LegacyEncryptedPem(Zeroizing::new(pem.to_vec())));
    }
    let der = decode_base64(body).ok_or_else(|| {
        Error::invalid_key(format!(
            "the body of the {} PEM block is not valid base64 (a character changed, or part of it cut?)",
            kind.describe()
        ))
    })?;
    Ok(Encoded::Der {
        der,
        kind: Some(kind),
    })
}

/// What a PEM label says; other key types and non-keys are refused with advice that works.
fn pem_kind(label: &[u8], body: &[u8]) -> Result<PemKind> {
    let not_rsa = |what: &str| {
        Error::invalid_key(format!(
            "the key is {what}; Layer needs an RSA key: {GENERATE_RSA}"
        ))
    };
    Ok(match label {
        b"RSA PRIVATE KEY" => PemKind::RsaPrivate,
        b"PRIVATE KEY" => PemKind::Private,
        b"ENCRYPTED PRIVATE KEY" => PemKind::EncryptedPrivate,
        b"PUBLIC KEY" => PemKind::Public,
        b"RSA PUBLIC KEY" => PemKind::RsaPublic,
        b"EC PRIVATE KEY" | b"EC PUBLIC KEY" => return Err(not_rsa("an EC key")),
        b"DSA PRIVATE KEY" => return Err(not_rsa("a DSA key")),
        b"OPENSSH PRIVATE KEY" => {
            let is_rsa = decode_base64(body).is_some_and(|der| contains(&der, b"ssh-rsa"));
            return Err(if is_rsa {
                Error::invalid_key(
                    "the key is an RSA key in OpenSSH's own format; convert a copy of the file \
                     to PKCS#8 with `ssh-keygen -p -m PKCS8 -f <copy>` (it rewrites the file in \
                     place and asks for the passphrase)",
                )
            } else {
                not_rsa("an OpenSSH key that is not RSA (Ed25519 or ECDSA)")
            });
        }
        b"CERTIFICATE" | b"TRUSTED CERTIFICATE" => {
            return Err(Error::invalid_key(
                "this is a certificate, not a key; give the RSA private key (or, to verify, its public key)",
            ))
        }
        _ => {
            return Err(Error::invalid_key(
                "the PEM block is not an RSA key: its label is none of the PKCS#1, PKCS#8, \
                 encrypted PKCS#8 or SPKI key labels",
            ))
        }
    })
}

/// Advice for anyone holding a key of the wrong type.
const GENERATE_RSA: &str = "generate an RSA key pair with `layer-identity keygen` (or `openssl \
    genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`) and upload its public key to Layer";

fn decode_base64(text: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let compact: Zeroizing<Vec<u8>> = Zeroizing::new(
        text.iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect(),
    );
    STANDARD.decode(&*compact).ok().map(Zeroizing::new)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

const DER_SEQUENCE: u8 = 0x30;
const DER_INTEGER: u8 = 0x02;
const DER_BIT_STRING: u8 = 0x03;
const DER_OCTET_STRING: u8 = 0x04;

/// The key structures told apart by the tags of their first two fields.
#[derive(Debug, PartialEq, Eq)]
enum DerKind {
    /// PKCS#8: SEQUENCE { INTEGER version, SEQUENCE algorithm, OCTET STRING key }
    PrivateKeyInfo,
    /// PKCS#1: SEQUENCE { INTEGER version, INTEGER n, ... } (nine fields)
    RsaPrivateKey,
    /// PKCS#8 encrypted: SEQUENCE { SEQUENCE algorithm, OCTET STRING data }
    EncryptedPrivateKeyInfo,
    /// X.509: SEQUENCE { SEQUENCE algorithm, BIT STRING key }
    SubjectPublicKeyInfo,
    /// PKCS#1: SEQUENCE { INTEGER n, INTEGER e }
    RsaPublicKey,
    Unknown,
}

fn classify(der: &[u8]) -> DerKind {
    let Some((DER_SEQUENCE, body, [])) = read_tlv(der) else {
        return DerKind::Unknown;
    };
    let Some((first, _, rest)) = read_tlv(body) else {
        return DerKind::Unknown;
    };
    let Some((second, _, rest)) = read_tlv(rest) else {
        return DerKind::Unknown;
    };
    match (first, second) {
        (DER_INTEGER, DER_SEQUENCE) => DerKind::PrivateKeyInfo,
        (DER_INTEGER, DER_INTEGER) if rest.is_empty() => DerKind::RsaPublicKey,
        (DER_INTEGER, DER_INTEGER) => DerKind::RsaPrivateKey,
        (DER_SEQUENCE, DER_OCTET_STRING) => DerKind::EncryptedPrivateKeyInfo,
        (DER_SEQUENCE, DER_BIT_STRING) => DerKind::SubjectPublicKeyInfo,
        _ => DerKind::Unknown,
    }
}

/// Splits one DER tag-length-value off the front: `(tag, value, rest)`. Definite lengths only.
fn read_tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let (bytes, after) = rest.split_at(count);
        rest = after;
        bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_escapes_and_carriage_returns() {
        assert_eq!(
            &*normalize_pem(b"-----BEGIN X-----\\nAB\\r\\nCD\r\n-----END X-----"),
            b"-----BEGIN X-----\nAB\nCD\n-----END X-----"
        );
    }

    #[test]
    fn classifies_structures_by_their_first_fields() {
        assert_eq!(
            classify(&[0x30, 0x06, 0x02, 0x01, 0x00, 0x30, 0x01, 0x00]),
            DerKind::PrivateKeyInfo
        );
        assert_eq!(
            classify(&[0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x03]),
            DerKind::RsaPublicKey
        );
        assert_eq!(
            classify(&[0x30, 0x05, 0x30, 0x00, 0x03, 0x01, 0x00]),
            DerKind::SubjectPublicKeyInfo
        );
        // Trailing bytes after the outer SEQUENCE, or a length past the end, are not a key.
        assert_eq!(
            classify(&[0x30, 0x05, 0x30, 0x00, 0x03, 0x01, 0x00, 0x00]),
            DerKind::Unknown
        );
        assert_eq!(
            classify(&[0x30, 0x85, 0xff, 0xff, 0xff, 0xff, 0xff]),
            DerKind::Unknown
        );
        assert_eq!(classify(&[]), DerKind::Unknown);
    }

    #[test]
    fn size_policy() {
        check_key_size(2048, false).unwrap();
        check_key_size(1024, true).unwrap();
        assert_eq!(
            check_key_size(1024, false).unwrap_err().kind(),
            ErrorKind::WeakKey
        );
        assert_eq!(
            check_key_size(512, true).unwrap_err().kind(),
            ErrorKind::WeakKey
        );
        assert_eq!(
            check_key_size(16392, false).unwrap_err().kind(),
            ErrorKind::InvalidKey
        );
    }
}
