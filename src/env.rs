//! Configuration from the environment, once for every language: `LAYER_PROVIDER_ID`,
//! `LAYER_KEY_ID`, the private key as `LAYER_PRIVATE_KEY` (the text) or `LAYER_PRIVATE_KEY_PATH`
//! (a file), `LAYER_PRIVATE_KEY_PASSPHRASE` and `LAYER_TOKEN_TYPE`. Each missing or malformed
//! variable gets its own message naming it, and no message repeats a key or a passphrase.
//! An empty variable counts as unset: `export VAR=` is a slip, not a value.

use std::ffi::OsString;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;

use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};
use crate::flags::Flags;
use crate::ids::{validate_key_id, validate_provider_id};
use crate::token::Signer;

pub const PROVIDER_ID_VAR: &str = "LAYER_PROVIDER_ID";
pub const KEY_ID_VAR: &str = "LAYER_KEY_ID";
pub const PRIVATE_KEY_VAR: &str = "LAYER_PRIVATE_KEY";
pub const PRIVATE_KEY_PATH_VAR: &str = "LAYER_PRIVATE_KEY_PATH";
pub const PASSPHRASE_VAR: &str = "LAYER_PRIVATE_KEY_PASSPHRASE";
pub const TOKEN_TYPE_VAR: &str = "LAYER_TOKEN_TYPE";

/// Keys, passphrases and tokens are a few KiB at most; the cap keeps a wrong file (or
/// `/dev/zero`) from eating memory.
pub const MAX_SECRET_FILE_BYTES: usize = 1 << 20;
/// Buffers start this large so that reading a key never reallocates, which would leave
/// unwiped copies of it in freed memory (a 16384-bit PKCS#8 PEM is about 13 KiB).
const INITIAL_CAPACITY: usize = 64 * 1024;

/// A signer configured entirely by the environment; `flags` add to what `LAYER_TOKEN_TYPE`
/// selects (`Flags::ALLOW_1024_BIT_KEY` has no variable).
pub fn signer_from_env(flags: Flags) -> Result<Signer> {
    let provider_id = provider_id()?;
    let key_id = key_id()?;
    let flags = flags | token_type()?;
    let key = private_key()?.ok_or_else(|| {
        Error::invalid_argument(format!(
            "no private key in the environment: set {PRIVATE_KEY_VAR} to the key's PEM text or \
             {PRIVATE_KEY_PATH_VAR} to its file"
        ))
    })?;
    let passphrase = passphrase();
    key.signer(
        passphrase.as_deref().map(Vec::as_slice),
        &provider_id,
        &key_id,
        flags,
    )
    .map_err(|error| with_passphrase_advice(error, passphrase.is_some()))
}

/// `LAYER_PROVIDER_ID`, validated.
pub fn provider_id() -> Result<String> {
    layer_id(
        PROVIDER_ID_VAR,
        "the provider ID from the Layer dashboard (layer:///providers/<uuid>)",
        validate_provider_id,
    )
}

/// `LAYER_KEY_ID`, validated.
pub fn key_id() -> Result<String> {
    layer_id(
        KEY_ID_VAR,
        "the key ID Layer assigned to your public key (layer:///keys/<uuid>)",
        validate_key_id,
    )
}

fn layer_id(var: &str, what: &str, validate: fn(&str) -> Result<()>) -> Result<String> {
    let value = text(var)?
        .ok_or_else(|| Error::invalid_argument(format!("{var} is not set; set it to {what}")))?;
    validate(&value).map_err(|error| error.context(var))?;
    Ok(value)
}

/// `LAYER_TOKEN_TYPE`: `JWS` (also when unset) or `JWT`, in any letter case.
pub fn token_type() -> Result<Flags> {
    match text(TOKEN_TYPE_VAR)? {
        None => Ok(Flags::default()),
        Some(value) => {
            Flags::from_token_type(&value).map_err(|error| error.context(TOKEN_TYPE_VAR))
        }
    }
}

/// `LAYER_PRIVATE_KEY_PASSPHRASE`, if set.
pub fn passphrase() -> Option<Zeroizing<Vec<u8>>> {
    bytes(PASSPHRASE_VAR)
}

/// Where a key in the environment came from. It never holds the key itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// The key text in `LAYER_PRIVATE_KEY`.
    Text,
    /// The file named by `LAYER_PRIVATE_KEY_PATH`.
    Path(PathBuf),
}

impl fmt::Display for KeySource {
    /// How messages name the source, e.g. `LAYER_PRIVATE_KEY_PATH (file key.pem)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Text => f.write_str(PRIVATE_KEY_VAR),
            KeySource::Path(path) => write!(f, "{PRIVATE_KEY_PATH_VAR} (file {})", path.display()),
        }
    }
}

/// A private key read from the environment.
pub struct EnvKey {
    pub bytes: Zeroizing<Vec<u8>>,
    pub source: KeySource,
}

impl EnvKey {
    /// A signer on this key; a key error names the variable the key came from.
    pub fn signer(
        &self,
        passphrase: Option<&[u8]>,
        provider_id: &str,
        key_id: &str,
        flags: Flags,
    ) -> Result<Signer> {
        Signer::new(&self.bytes, passphrase, provider_id, key_id, flags)
            .map_err(|error| error.context(&self.source))
    }
}

/// The private key from `LAYER_PRIVATE_KEY` or `LAYER_PRIVATE_KEY_PATH`, or `None` when neither
/// is set. Both set is an error: signing with the other key would only surface later, as Layer's
/// eit_signature_verification_failed.
pub fn private_key() -> Result<Option<EnvKey>> {
    match (bytes(PRIVATE_KEY_VAR), path(PRIVATE_KEY_PATH_VAR)) {
        (Some(_), Some(_)) => Err(Error::invalid_argument(format!(
            "both {PRIVATE_KEY_VAR} and {PRIVATE_KEY_PATH_VAR} are set; unset one of them"
        ))),
        (Some(bytes), None) => Ok(Some(EnvKey {
            bytes,
            source: KeySource::Text,
        })),
        (None, Some(path)) => {
            // The key's text where its path belongs: never repeat it as a "file name".
            if looks_like_key_text(path.as_os_str().as_encoded_bytes()) {
                return Err(Error::invalid_argument(format!(
                    "{PRIVATE_KEY_PATH_VAR} holds key text, not the path of a key file; put the \
                     key text in {PRIVATE_KEY_VAR} instead"
                )));
            }
            let source = KeySource::Path(path.clone());
            let bytes = read_secret_file(File::open(&path))
                .map_err(|reason| Error::invalid_argument(format!("{source}: {reason}")))?;
            Ok(Some(EnvKey { bytes, source }))
        }
        (None, None) => Ok(None),
    }
}

/// Whether a value given as a file path is more likely key text: PEM in any shape, anything
/// longer than real paths are (base64 DER of the smallest RSA key accepted is over 600
/// characters), or a run of base64 longer than a sensible file or directory name. Such a value
/// is refused without being repeated, since a message would otherwise print the key.
pub fn looks_like_key_text(value: &[u8]) -> bool {
    const LONGEST_PATH: usize = 512;
    const LONGEST_BASE64_WORD: usize = 64;
    let longest_run = value
        .split(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'=')))
        .map(<[u8]>::len)
        .max()
        .unwrap_or(0);
    value.windows(10).any(|w| w == b"-----BEGIN")
        || value.contains(&b'\n')
        || value.len() > LONGEST_PATH
        || longest_run > LONGEST_BASE64_WORD
}

/// Reads a key or passphrase file, capped at [`MAX_SECRET_FILE_BYTES`], into memory that is
/// wiped when dropped. The error says what went wrong in words (it never holds the contents).
pub fn read_secret_file(
    file: io::Result<impl Read>,
) -> std::result::Result<Zeroizing<Vec<u8>>, String> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(INITIAL_CAPACITY));
    file.and_then(|file| {
        file.take(MAX_SECRET_FILE_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
    })
    .map_err(|error| format!("cannot read it: {error}"))?;
    if bytes.len() > MAX_SECRET_FILE_BYTES {
        return Err(format!(
            "it is larger than {} KiB, which no key, passphrase or token is",
            MAX_SECRET_FILE_BYTES / 1024
        ));
    }
    Ok(bytes)
}

/// For a passphrase problem with a key from the environment, the variable to fix.
fn with_passphrase_advice(error: Error, passphrase_given: bool) -> Error {
    match (error.kind(), passphrase_given) {
        (ErrorKind::WrongPassphrase, true) => error.advise(format!("check {PASSPHRASE_VAR}")),
        (ErrorKind::WrongPassphrase, false) => {
            error.advise(format!("set {PASSPHRASE_VAR} to its passphrase"))
        }
        _ => error,
    }
}

impl Signer {
    /// A signer configured by the `LAYER_*` environment variables; see [`signer_from_env`].
    pub fn from_env(flags: Flags) -> Result<Signer> {
        signer_from_env(flags)
    }
}

/// The variable's bytes, or `None` when it is unset or empty.
fn bytes(var: &str) -> Option<Zeroizing<Vec<u8>>> {
    let value = Zeroizing::new(std::env::var_os(var)?.into_encoded_bytes());
    (!value.is_empty()).then_some(value)
}

fn path(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|value| !value.is_empty())
        .map(OsString::into)
}

/// A variable that must be text (IDs, the token type); `None` when unset or empty.
fn text(var: &str) -> Result<Option<String>> {
    match std::env::var_os(var).filter(|value| !value.is_empty()) {
        None => Ok(None),
        Some(value) => value
            .into_string()
            .map(Some)
            .map_err(|_| Error::invalid_argument(format!("{var} is not valid UTF-8 text"))),
    }
}
