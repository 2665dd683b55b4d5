//! Gathering what the commands consume: Layer IDs, keys, passphrases and tokens, from flags,
//! files, stdin or the environment. Secrets are size-capped and held in memory that is wiped
//! when dropped, and no message here ever repeats a value that might be a secret.

use std::env;
use std::ffi::OsString;
use std::fmt;
use std::fs::File;
use std::io::{self, IsTerminal as _, Read};
use std::path::{Path, PathBuf};

use layer_identity::{validate_key_id, validate_provider_id, Error, ErrorKind};
use zeroize::Zeroizing;

use crate::failure::Failure;

pub const PRIVATE_KEY_VAR: &str = "LAYER_PRIVATE_KEY";
pub const PRIVATE_KEY_PATH_VAR: &str = "LAYER_PRIVATE_KEY_PATH";
pub const PUBLIC_KEY_PATH_VAR: &str = "LAYER_PUBLIC_KEY_PATH";

/// Keys, passphrases and tokens are a few KiB at most; the cap keeps a wrong file (or
/// `/dev/zero`) from eating memory.
const MAX_INPUT_BYTES: usize = 1 << 20;
/// Buffers start this large so that reading a key never reallocates, which would leave
/// unwiped copies of it behind in freed memory (a 16384-bit PKCS#8 PEM is about 13 KiB).
const INITIAL_CAPACITY: usize = 64 * 1024;

/// The provider ID and key ID, from flags or the environment (clap reads the variables).
#[derive(clap::Args)]
pub struct LayerIds {
    /// Provider ID from the Layer dashboard: layer:///providers/<uuid> (or the bare UUID)
    #[arg(
        long,
        value_name = "ID",
        env = "LAYER_PROVIDER_ID",
        hide_env_values = true
    )]
    provider_id: Option<String>,

    /// Key ID Layer assigned to your public key: layer:///keys/<uuid> (or the bare UUID)
    #[arg(long, value_name = "ID", env = "LAYER_KEY_ID", hide_env_values = true)]
    key_id: Option<String>,
}

impl LayerIds {
    /// `(provider ID, key ID)`, both checked by the library before any key is touched.
    /// They are optional for clap so that a missing one is reported with its variable too.
    pub fn resolve(&self) -> Result<(&str, &str), Failure> {
        let provider_id = self.provider_id.as_deref().ok_or_else(|| {
            Failure::usage(
                "missing provider ID: pass --provider-id or set LAYER_PROVIDER_ID \
                 (layer:///providers/<uuid>, from the Layer dashboard)",
            )
        })?;
        let key_id = self.key_id.as_deref().ok_or_else(|| {
            Failure::usage(
                "missing key ID: pass --key-id or set LAYER_KEY_ID \
                 (layer:///keys/<uuid>, assigned by Layer when you uploaded the public key)",
            )
        })?;
        validate_provider_id(provider_id)?;
        validate_key_id(key_id)?;
        Ok((provider_id, key_id))
    }
}

/// Where a key came from, for messages. It never holds the key itself.
pub enum Source {
    Stdin,
    File(PathBuf),
    /// A file named by an environment variable.
    EnvPath(&'static str, PathBuf),
    /// The key text in an environment variable.
    EnvText(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Stdin => f.write_str("stdin"),
            Source::File(path) => write!(f, "file {}", path.display()),
            Source::EnvPath(var, path) => write!(f, "file {} (from {var})", path.display()),
            Source::EnvText(var) => write!(f, "environment variable {var}"),
        }
    }
}

/// Key bytes (PEM or DER, exactly as found; the library peels off whatever wrapping they have).
pub struct Key {
    pub bytes: Zeroizing<Vec<u8>>,
    pub source: Source,
}

impl Key {
    /// A library error about this key, saying where the key came from. `what` is "private key"
    /// or "public key".
    pub fn failure(&self, what: &str, error: &Error) -> Failure {
        let failure = Failure::library(format_args!("{what} from {}", self.source), error);
        match &self.source {
            Source::EnvText(var) if error.kind() == ErrorKind::InvalidKey && self.is_a_path() => {
                failure.with_hint(format!(
                    "{var} must hold the key text itself, not a file path; name a key file \
                     with {PRIVATE_KEY_PATH_VAR} instead"
                ))
            }
            _ => failure,
        }
    }

    /// Whether the "key" is short, one word, and shaped like a file path: the variable for the
    /// key text was given the key's path. (Base64 DER has '/' too, but is never this short.)
    fn is_a_path(&self) -> bool {
        let text = String::from_utf8_lossy(&self.bytes);
        let text = text.trim();
        text.len() < 512
            && !text.contains(char::is_whitespace)
            && (text.starts_with(['/', '.', '~'])
                || [".pem", ".key", ".der"]
                    .iter()
                    .any(|ext| text.ends_with(ext)))
    }
}

/// The signing key: `--key FILE` (`-`: stdin), `--key-env VAR`, `LAYER_PRIVATE_KEY` or
/// `LAYER_PRIVATE_KEY_PATH`, in that order.
pub fn private_key(file: Option<&Path>, var: Option<&str>) -> Result<Key, Failure> {
    if let Some(path) = file {
        return read_key_file(path, "--key", Source::File);
    }
    if let Some(var) = var {
        check_var_name(var, "--key-env")?;
        return Ok(Key {
            bytes: env_bytes(var).ok_or_else(|| {
                Failure::usage("--key-env: the environment variable it names is not set or empty")
            })?,
            source: Source::EnvText(var.to_owned()),
        });
    }
    private_key_from_env()?.ok_or_else(|| {
        Failure::usage(format!(
            "missing private key: pass --key FILE (- for stdin) or --key-env VAR, or set \
             {PRIVATE_KEY_VAR} (the PEM text) or {PRIVATE_KEY_PATH_VAR} (its file)"
        ))
    })
}

/// The verifying key: `--public-key FILE` (`-`: stdin), `LAYER_PUBLIC_KEY_PATH`, or the public
/// half of the private key in `LAYER_PRIVATE_KEY` / `LAYER_PRIVATE_KEY_PATH`.
pub fn verification_key(file: Option<&Path>) -> Result<Key, Failure> {
    if let Some(path) = file {
        return read_key_file(path, "--public-key", Source::File);
    }
    if let Some(path) = env_path(PUBLIC_KEY_PATH_VAR) {
        return read_key_file(&path, PUBLIC_KEY_PATH_VAR, |path| {
            Source::EnvPath(PUBLIC_KEY_PATH_VAR, path)
        });
    }
    private_key_from_env()?.ok_or_else(|| {
        Failure::usage(format!(
            "missing public key: pass --public-key FILE or set {PUBLIC_KEY_PATH_VAR} \
             (or {PRIVATE_KEY_VAR} / {PRIVATE_KEY_PATH_VAR} to derive it from the private key)"
        ))
    })
}

/// `LAYER_PRIVATE_KEY` or `LAYER_PRIVATE_KEY_PATH`; both set is ambiguous, and signing with the
/// other key would only surface later as Layer's eit_signature_verification_failed.
fn private_key_from_env() -> Result<Option<Key>, Failure> {
    match (env_bytes(PRIVATE_KEY_VAR), env_path(PRIVATE_KEY_PATH_VAR)) {
        (Some(_), Some(_)) => Err(Failure::usage(format!(
            "both {PRIVATE_KEY_VAR} and {PRIVATE_KEY_PATH_VAR} are set; unset one of them"
        ))),
        (Some(bytes), None) => Ok(Some(Key {
            bytes,
            source: Source::EnvText(PRIVATE_KEY_VAR.to_owned()),
        })),
        (None, Some(path)) => read_key_file(&path, PRIVATE_KEY_PATH_VAR, |path| {
            Source::EnvPath(PRIVATE_KEY_PATH_VAR, path)
        })
        .map(Some),
        (None, None) => Ok(None),
    }
}

/// Reads a key from `path` (`-`: stdin). `origin` is the flag or variable that named it.
fn read_key_file(
    path: &Path,
    origin: &str,
    source: impl FnOnce(PathBuf) -> Source,
) -> Result<Key, Failure> {
    if path == Path::new("-") {
        return Ok(Key {
            bytes: read_limited(io::stdin().lock(), "the key on stdin")?,
            source: Source::Stdin,
        });
    }
    // Pasting the key where its path belongs is a common slip; echoing that "path" back in a
    // "cannot read" message would print the key.
    let raw = path.as_os_str().as_encoded_bytes();
    if raw.windows(10).any(|w| w == b"-----BEGIN") || raw.contains(&b'\n') {
        return Err(Failure::usage(format!(
            "{origin} takes the path of a key file, but it holds key text; give the file's path \
             instead (a private key's text can go in {PRIVATE_KEY_VAR})"
        )));
    }
    let source = source(path.to_owned());
    let bytes = File::open(path)
        .and_then(read_capped)
        .map_err(|e| Failure::read(format_args!("key {source}"), &e))?
        .ok_or_else(|| too_large(format_args!("key {source}")))?;
    Ok(Key { bytes, source })
}

/// The passphrase of an encrypted key: from `--passphrase-env VAR` or `--passphrase-file FILE`
/// (one trailing line break dropped, as `echo` writes it). Never from the command line, where
/// `ps` and shell history would show it.
pub fn passphrase(
    var: Option<&str>,
    file: Option<&Path>,
) -> Result<Option<Zeroizing<Vec<u8>>>, Failure> {
    if let Some(var) = var {
        check_var_name(var, "--passphrase-env")?;
        return env_bytes(var).map(Some).ok_or_else(|| {
            Failure::usage(
                "--passphrase-env: the environment variable it names is not set or empty",
            )
        });
    }
    let Some(path) = file else {
        return Ok(None);
    };
    // The path is not repeated in messages: someone who typed the passphrase itself here would
    // otherwise see it printed back, and into logs.
    let what = "the passphrase file given to --passphrase-file";
    let mut bytes = File::open(path)
        .and_then(read_capped)
        .map_err(|e| Failure::read(what, &e))?
        .ok_or_else(|| too_large(what))?;
    if bytes.ends_with(b"\n") {
        bytes.pop();
        if bytes.ends_with(b"\r") {
            bytes.pop();
        }
    }
    Ok(Some(bytes))
}

/// The token argument, exactly as given; `-`, or no argument with stdin not a terminal, reads
/// it from stdin, where surrounding whitespace (a file's or `echo`'s final newline) is not part
/// of the token. An argument is not trimmed: a stray space or newline in a token is a real bug
/// in whatever produced it, and the verifier should name it.
pub fn token(argument: Option<&str>) -> Result<String, Failure> {
    if let Some(token) = argument.filter(|&token| token != "-") {
        return Ok(token.to_owned());
    }
    let stdin = io::stdin();
    if argument.is_none() && stdin.is_terminal() {
        return Err(Failure::usage(
            "no token given: pass it as an argument, or - to read it from stdin",
        ));
    }
    let bytes = read_limited(stdin.lock(), "the token on stdin")?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| Failure::usage("the token on stdin is not UTF-8 text"))?
        .trim();
    if text.is_empty() {
        return Err(Failure::usage("no token on stdin"));
    }
    Ok(text.to_owned())
}

/// Whether `token(argument)` reads stdin, so two inputs do not both claim it.
pub fn token_reads_stdin(argument: Option<&str>) -> bool {
    matches!(argument, None | Some("-"))
}

fn read_limited(reader: impl Read, what: &str) -> Result<Zeroizing<Vec<u8>>, Failure> {
    read_capped(reader)
        .map_err(|e| Failure::read(what, &e))?
        .ok_or_else(|| too_large(what))
}

/// Everything `reader` holds, or `None` if that is more than `MAX_INPUT_BYTES`.
fn read_capped(reader: impl Read) -> io::Result<Option<Zeroizing<Vec<u8>>>> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(INITIAL_CAPACITY));
    reader
        .take(MAX_INPUT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() <= MAX_INPUT_BYTES).then_some(bytes))
}

fn too_large(what: impl fmt::Display) -> Failure {
    Failure::usage(format!(
        "{what} is larger than {} KiB; that is no key, passphrase or token",
        MAX_INPUT_BYTES / 1024
    ))
}

/// The variable's bytes, or `None` when it is unset or empty (an empty `export VAR=` is a slip,
/// not a value).
fn env_bytes(var: &str) -> Option<Zeroizing<Vec<u8>>> {
    let value = Zeroizing::new(env::var_os(var)?.into_encoded_bytes());
    (!value.is_empty()).then_some(value)
}

fn env_path(var: &str) -> Option<PathBuf> {
    env::var_os(var)
        .filter(|value| !value.is_empty())
        .map(OsString::into)
}

/// `flag` takes a variable's name. Someone who passes the value instead (a key, a passphrase)
/// must not see it echoed back, so neither this message nor the "not set" ones repeat it.
fn check_var_name(name: &str, flag: &str) -> Result<(), Failure> {
    let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(Failure::usage(format!(
            "{flag} takes the name of an environment variable (letters, digits and _), not its value"
        )))
    }
}
