//! A small cache of decoded private keys for the one-shot signing call.
//!
//! Decoding a key with OpenSSL 3.0 costs about one RSA signature, and the first signature with a
//! fresh key about one more, so a one-shot call that decoded every time would run at a third of
//! the speed of a long-lived signer. Backends call the one-shot API with the same key over and
//! over, so the decoded, warmed-up key is kept, keyed by a SHA-256 digest of the key bytes and
//! passphrase. The cache holds at most `CAPACITY` keys (least recently used goes first) and
//! `clear` empties it, e.g. when a key is rotated out.

use std::sync::{Arc, Mutex, PoisonError};

use openssl::sha::Sha256;

use crate::error::Result;
use crate::keys::load_private_key;
use crate::rs256::Rs256Signer;

const CAPACITY: usize = 8;

type Digest = [u8; 32];

/// Most recently used first.
static CACHE: Mutex<Vec<(Digest, Arc<Rs256Signer>)>> = Mutex::new(Vec::new());

/// The signing key for `key_bytes`, decoded once and shared afterwards.
pub fn signing_key(key_bytes: &[u8], passphrase: Option<&[u8]>) -> Result<Arc<Rs256Signer>> {
    let digest = digest(key_bytes, passphrase);
    {
        let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(position) = cache.iter().position(|(d, _)| *d == digest) {
            let entry = cache.remove(position);
            let key = Arc::clone(&entry.1);
            cache.insert(0, entry);
            return Ok(key);
        }
    }
    // Decode outside the lock: it is slow, and two threads decoding the same key is harmless.
    let key = Arc::new(Rs256Signer::new(&load_private_key(key_bytes, passphrase)?)?);
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    cache.retain(|(d, _)| *d != digest);
    cache.insert(0, (digest, Arc::clone(&key)));
    cache.truncate(CAPACITY);
    Ok(key)
}

/// Drops every cached key (signers that already hold one keep theirs).
pub fn clear() {
    CACHE.lock().unwrap_or_else(PoisonError::into_inner).clear();
}

fn digest(key_bytes: &[u8], passphrase: Option<&[u8]>) -> Digest {
    let mut hasher = Sha256::new();
    // Length-prefix the key so that no key/passphrase split collides with another.
    hasher.update(&(key_bytes.len() as u64).to_be_bytes());
    hasher.update(key_bytes);
    match passphrase {
        Some(passphrase) => {
            hasher.update(&[1]);
            hasher.update(passphrase);
        }
        None => hasher.update(&[0]),
    }
    hasher.finish()
}
