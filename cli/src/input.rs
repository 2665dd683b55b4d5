//! Gathering what the commands consume: Layer IDs, keys, passphrases and tokens, from flags,
//! files, stdin or the environment. Secrets are size-capped and held in memory that is wiped
//! when dropped, and no message here ever repeats a value that might be a secret.

use std::fmt;
use std::fs::File;
use std::io::{self, IsTerminal as _};
use std::path::{Path, PathBuf};

use layer_identity::env::{
    self as layer_env, EnvKey, KeySource, PRIVATE_KEY_PATH_VAR, PRIVATE_KEY_VAR,
};
use layer_identity::{
    validate_key_id, validate_provider_id, Error, ErrorKind, Flags, Signer, Verifier,
};
use zeroize::Zeroizing;

use crate::failure::Failure;

pub const PUBLIC_KEY_PATH_VAR: &str = "LAYER_PUBLIC_KEY_PATH";

/// The provider ID and key ID, from flags or else the environment (read by the library, which
/// names a missing or malformed variable the same way in every language).
#[derive(clap::Args)]
pub struct LayerIds {
    /// Provider ID from the Layer dashboard: layer:///providers/<uuid> (or the bare UUID)
    /// [env: LAYER_PROVIDER_ID]
    #[arg(long, value_name = "ID")]
    provider_id: Option<String>,

    /// Key ID Layer assigned to your public key: layer:///keys/<uuid> (or the bare UUID)
    /// [env: LAYER_KEY_ID]
    #[arg(long, value_name = "ID")]
    key_id: Option<String>,
}

impl LayerIds {
    /// `(provider ID, key ID)`, both checked by the library before any key is touched.
    pub fn resolve(&self) -> Result<(String, String), Failure> {
        let provider_id = match &self.provider_id {
            Some(id) => validate_provider_id(id).map(|()| id.clone())?,
            None => layer_env::provider_id().map_err(|e| or_flag(e, "--provider-id"))?,
        };
        let key_id = match &self.key_id {
            Some(id) => validate_key_id(id).map(|()| id.clone())?,
            None => layer_env::key_id().map_err(|e| or_flag(e, "--key-id"))?,
        };
        Ok((provider_id, key_id))
    }
}

/// A configuration error from the environment, with the flag that can be used instead.
fn or_flag(error: Error, flag: &str) -> Failure {
    Failure::from(error).with_hint(format!("or pass {flag}"))
}

/// `--jwt`, or else `LAYER_TOKEN_TYPE`.
pub fn token_type(jwt: bool) -> Result<Flags, Failure> {
    if jwt {
        return Ok(Flags::TYP_JWT);
    }
    layer_env::token_type().map_err(|e| or_flag(e, "--jwt"))
}

/// Where a key came from, for messages. It never holds the key itself.
pub enum Source {
    Stdin,
    File(PathBuf),
    /// A file named by `LAYER_PUBLIC_KEY_PATH`.
    PublicKeyPath(PathBuf),
    /// The key text in the environment variable named by `--key-env`.
    KeyEnv(String),
    /// `LAYER_PRIVATE_KEY` or `LAYER_PRIVATE_KEY_PATH`, as the library reads them.
    Env(KeySource),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Stdin => f.write_str("the key on stdin"),
            Source::File(path) => write!(f, "key file {}", path.display()),
            Source::PublicKeyPath(path) => {
                write!(f, "{PUBLIC_KEY_PATH_VAR} (file {})", path.display())
            }
            Source::KeyEnv(var) => write!(f, "environment variable {var}"),
            Source::Env(source) => source.fmt(f),
        }
    }
}

/// Key bytes (PEM or DER, exactly as found; the library peels off whatever wrapping they have).
pub struct Key {
    pub bytes: Zeroizing<Vec<u8>>,
    pub source: Source,
}

impl From<EnvKey> for Key {
    fn from(key: EnvKey) -> Key {
        Key {
            bytes: key.bytes,
            source: Source::Env(key.source),
        }
    }
}

impl Key {
    /// A signer on this key; a key error says where the key came from, exactly as the library
    /// says it for the environment.
    pub fn signer(
        &self,
        passphrase: Option<&[u8]>,
        provider_id: &str,
        key_id: &str,
        flags: Flags,
    ) -> Result<Signer, Failure> {
        Signer::new(&self.bytes, passphrase, provider_id, key_id, flags)
            .map_err(|error| self.failure(error))
    }

    /// A verifier on this key (public, or private to derive it from).
    pub fn verifier(
        &self,
        provider_id: &str,
        key_id: &str,
        flags: Flags,
    ) -> Result<Verifier, Failure> {
        Verifier::new(&self.bytes, provider_id, key_id, flags).map_err(|error| self.failure(error))
    }

    fn failure(&self, error: Error) -> Failure {
        let is_path = error.kind() == ErrorKind::InvalidKey && self.is_a_path();
        let failure = Failure::from(error.context(&self.source));
        match &self.source {
            Source::Env(KeySource::Text) | Source::KeyEnv(_) if is_path => {
                failure.with_hint(format!(
                    "the variable must hold the key text itself, not a file path; name a key \
                     file with {PRIVATE_KEY_PATH_VAR} instead"
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

/// The signing key: `--key FILE` (`-`: stdin), `--key-env VAR`, or else `LAYER_PRIVATE_KEY` /
/// `LAYER_PRIVATE_KEY_PATH` as the library reads them.
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
            source: Source::KeyEnv(var.to_owned()),
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
    if let Some(path) = std::env::var_os(PUBLIC_KEY_PATH_VAR).filter(|p| !p.is_empty()) {
        return read_key_file(Path::new(&path), PUBLIC_KEY_PATH_VAR, Source::PublicKeyPath);
    }
    private_key_from_env()?.ok_or_else(|| {
        Failure::usage(format!(
            "missing public key: pass --public-key FILE or set {PUBLIC_KEY_PATH_VAR} \
             (or {PRIVATE_KEY_VAR} / {PRIVATE_KEY_PATH_VAR} to derive it from the private key)"
        ))
    })
}

fn private_key_from_env() -> Result<Option<Key>, Failure> {
    Ok(layer_env::private_key()?.map(Key::from))
}

/// Reads a key from `path` (`-`: stdin). `origin` is the flag or variable that named it.
fn read_key_file(
    path: &Path,
    origin: &str,
    source: impl FnOnce(PathBuf) -> Source,
) -> Result<Key, Failure> {
    if path == Path::new("-") {
        return Ok(Key {
            bytes: read_secret(Ok(io::stdin().lock()), "the key on stdin")?,
            source: Source::Stdin,
        });
    }
    // Pasting the key where its path belongs is a common slip; echoing that "path" back in a
    // "cannot read" message would print the key.
    if layer_env::looks_like_key_text(path.as_os_str().as_encoded_bytes()) {
        return Err(Failure::usage(format!(
            "{origin} takes the path of a key file, but it holds key text; give the file's path \
             instead (a private key's text can go in {PRIVATE_KEY_VAR})"
        )));
    }
    let source = source(path.to_owned());
    let bytes = read_secret(File::open(path), &source)?;
    Ok(Key { bytes, source })
}

/// The passphrase of an encrypted key: from `--passphrase-env VAR` or `--passphrase-file FILE`
/// (one trailing line break dropped, as `echo` writes it), or else `LAYER_PRIVATE_KEY_PASSPHRASE`.
/// Never from the command line, where `ps` and shell history would show it.
pub fn passphrase(var: Option<&str>, file: Option<&Path>) -> Result<Passphrase, Failure> {
    let from_flags = passphrase_from_flags(var, file)?;
    Ok(match from_flags {
        Some(bytes) => Passphrase {
            bytes: Some(bytes),
            from_env: false,
        },
        None => Passphrase {
            bytes: layer_env::passphrase(),
            from_env: true,
        },
    })
}

/// An encrypted key's passphrase, and whether it came from (or was looked for in) the
/// environment rather than a flag.
pub struct Passphrase {
    pub bytes: Option<Zeroizing<Vec<u8>>>,
    pub from_env: bool,
}

fn passphrase_from_flags(
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
    let mut bytes = read_secret(
        File::open(path),
        "the passphrase file given to --passphrase-file",
    )?;
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
    let bytes = read_secret(Ok(stdin.lock()), "the token on stdin")?;
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

/// Reads a key, passphrase or token with the library's cap, into memory wiped when dropped.
fn read_secret(
    reader: io::Result<impl io::Read>,
    what: impl fmt::Display,
) -> Result<Zeroizing<Vec<u8>>, Failure> {
    layer_env::read_secret_file(reader)
        .map_err(|reason| Failure::usage(format!("{what}: {reason}")))
}

/// The variable's bytes, or `None` when it is unset or empty (an empty `export VAR=` is a slip,
/// not a value).
fn env_bytes(var: &str) -> Option<Zeroizing<Vec<u8>>> {
    let value = Zeroizing::new(std::env::var_os(var)?.into_encoded_bytes());
    (!value.is_empty()).then_some(value)
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

/// For a "token" argument that is not a token: if it looks like the name of a file holding one,
/// how to pass that file instead.
pub fn file_name_hint(token: &str, command: &str) -> Option<String> {
    let lower = token.to_ascii_lowercase();
    let has_extension = [".txt", ".jwt", ".jws", ".token", ".json"]
        .iter()
        .any(|ext| lower.ends_with(ext));
    let looks_like_a_file = token.len() < 4096
        && !token.contains(char::is_whitespace)
        && (token.contains('/') || has_extension || Path::new(token).is_file());
    looks_like_a_file.then(|| {
        format!(
            "the token argument looks like a file name; to read the token from a file, pass - \
             and redirect the file: layer-identity {command} ... - < {}",
            shell_word(token)
        )
    })
}

/// `text` quoted for a shell command line when it needs it.
fn shell_word(text: &str) -> String {
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./+".contains(c))
    {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}
