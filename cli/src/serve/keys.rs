//! The service's signing key: loaded from the `LAYER_*` environment by the library, swapped
//! whole on reload (SIGHUP, or a change of the file `LAYER_PRIVATE_KEY_PATH` names) so that a
//! request in flight finishes with the key it started with, and a bad new key leaves the old
//! one serving.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use layer_identity::env::{self as layer_env, PRIVATE_KEY_PATH_VAR};
use layer_identity::{Flags, Signer};
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;

use crate::server::LogLine;

/// A signer and what the service shows about it (all of it public).
pub struct Key {
    pub signer: Signer,
    pub provider_id: String,
    pub key_id: String,
    pub public_key_pem: String,
    /// SHA-256 of the public key (SPKI DER), hex: tells keys apart in metrics and logs.
    pub fingerprint: String,
    /// When it was loaded, Unix seconds.
    pub loaded_at: u64,
}

impl Key {
    /// The key the environment configures now: `LAYER_PROVIDER_ID`, `LAYER_KEY_ID`, the key
    /// from `LAYER_PRIVATE_KEY` or `LAYER_PRIVATE_KEY_PATH` (read again each time), its
    /// passphrase and `LAYER_TOKEN_TYPE`. The error is the library's, naming the variable.
    pub fn from_env() -> layer_identity::Result<Key> {
        let signer = Signer::from_env(Flags::default())?;
        let public_key_pem = signer.public_key_pem()?;
        Ok(Key {
            signer,
            provider_id: layer_env::provider_id()?,
            key_id: layer_env::key_id()?,
            fingerprint: fingerprint(&public_key_pem),
            public_key_pem,
            loaded_at: unix_seconds(SystemTime::now()),
        })
    }
}

fn fingerprint(public_key_pem: &str) -> String {
    PKey::public_key_from_pem(public_key_pem.as_bytes())
        .and_then(|key| key.public_key_to_der())
        .and_then(|der| openssl::hash::hash(MessageDigest::sha256(), &der))
        .map(|digest| digest.iter().map(|b| format!("{b:02x}")).collect())
        .unwrap_or_default()
}

pub fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The key in service, replaced whole on reload.
pub struct Keys {
    current: RwLock<Arc<Key>>,
    /// The file the key is read from, when it is one (not inline in `LAYER_PRIVATE_KEY`).
    path: Option<PathBuf>,
}

/// What a reload did.
#[derive(Debug, PartialEq, Eq)]
pub enum Reloaded {
    /// A key was loaded (it may be the same key as before).
    Loaded,
    /// The new configuration is bad: the old key keeps serving.
    Failed,
    /// The key is inline in `LAYER_PRIVATE_KEY`, which cannot change while the process runs.
    Inline,
}

impl Keys {
    pub fn new(key: Key) -> Keys {
        let path = std::env::var_os(PRIVATE_KEY_PATH_VAR)
            .filter(|path| !path.is_empty())
            .map(PathBuf::from);
        Keys {
            current: RwLock::new(Arc::new(key)),
            path,
        }
    }

    /// The key to sign this request with; it stays valid for the request even if a reload
    /// replaces it meanwhile.
    pub fn current(&self) -> Arc<Key> {
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn path(&self) -> Option<&PathBuf> {
        self.path.as_ref()
    }

    /// Loads the key again from the environment; on failure the old key stays and the error
    /// is logged (the library's message names the variable and never quotes the key).
    pub fn reload(&self, cause: &str) -> Reloaded {
        if self.path.is_none() {
            LogLine::new("warn", "key_reload_skipped")
                .text("cause", cause)
                .text(
                    "message",
                    "the key is inline in LAYER_PRIVATE_KEY, which cannot change while the \
                     service runs; use LAYER_PRIVATE_KEY_PATH to rotate keys without a restart",
                )
                .write();
            return Reloaded::Inline;
        }
        match Key::from_env() {
            Ok(key) => {
                let line = LogLine::new("info", "key_reloaded")
                    .text("cause", cause)
                    .text("key_id", &key.key_id)
                    .text("public_key_sha256", &key.fingerprint);
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(key);
                line.write();
                Reloaded::Loaded
            }
            Err(error) => {
                LogLine::new("error", "key_reload_failed")
                    .text("cause", cause)
                    .text("error", error.message())
                    .text("message", "the previous key keeps serving")
                    .write();
                Reloaded::Failed
            }
        }
    }
}

/// What identifies a version of the key file: it changes when the file is rewritten or
/// replaced (a new inode, as a Kubernetes secret update or `mv` does).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileStamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
    device: u64,
}

impl FileStamp {
    pub fn of(path: &PathBuf) -> Option<FileStamp> {
        use std::os::unix::fs::MetadataExt as _;
        let meta = std::fs::metadata(path).ok()?;
        Some(FileStamp {
            modified: meta.modified().ok(),
            len: meta.len(),
            inode: meta.ino(),
            device: meta.dev(),
        })
    }
}

/// Polls the key file every `interval` and reloads when it changed.
pub async fn watch_file(keys: Arc<Keys>, interval: Duration, on_reload: impl Fn(Reloaded)) {
    let Some(path) = keys.path().cloned() else {
        return;
    };
    let mut last = FileStamp::of(&path);
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let stamp = FileStamp::of(&path);
        if stamp != last {
            last = stamp;
            // An unreadable or half-written file fails to load and is tried again when it
            // changes once more.
            on_reload(keys.reload("file_changed"));
        }
    }
}
