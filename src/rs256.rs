//! The RS256 primitive (RSASSA-PKCS1-v1_5 with SHA-256) on OpenSSL, shaped for throughput.
//!
//! OpenSSL 3.0 makes three costs easy to pay per call without noticing: fetching the algorithm
//! implementations for a fresh `EVP_PKEY_CTX`, building the key's Montgomery contexts and
//! blinding on its first private operation, and taking the key's blinding lock when threads
//! share one key object. So each key keeps a small pool of ready contexts: a context is used by
//! one thread at a time, signing contexts each own a copy of the private key (no shared blinding
//! lock), every context is warmed up when made, and the digest is computed with the low-level
//! SHA-256 that needs no fetch.

use std::sync::{Mutex, PoisonError};

use openssl::md::Md;
use openssl::pkey::{HasPublic, PKey, Private, Public};
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::Padding;
use openssl::sha::Sha256;
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};
use crate::keys::{public_key_of, require_usable_rsa};

/// Idle contexts kept per key; more concurrent callers than this still work, their extra
/// contexts are simply dropped after use.
const MAX_IDLE_CONTEXTS: usize = 32;

/// Contexts ready for one thread at a time each; the lock is held only to take or return one.
struct Pool<T> {
    idle: Mutex<Vec<T>>,
}

impl<T> Pool<T> {
    fn new(first: T) -> Self {
        Pool {
            idle: Mutex::new(vec![first]),
        }
    }

    fn with<R>(
        &self,
        make: impl FnOnce() -> Result<T>,
        use_it: impl FnOnce(&mut T) -> R,
    ) -> Result<R> {
        // A panic never happens while the lock is held, but a poisoned pool is still usable.
        let taken = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let mut item = match taken {
            Some(item) => item,
            None => make()?,
        };
        let result = use_it(&mut item);
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE_CONTEXTS {
            idle.push(item);
        }
        Ok(result)
    }
}

/// An RSA private key ready to produce RS256 signatures from many threads at once.
pub struct Rs256Signer {
    /// The key as PKCS#8 DER, to give each new context its own key object; zeroized on drop.
    pkcs8: Zeroizing<Vec<u8>>,
    public: PKey<Public>,
    bits: u32,
    contexts: Pool<PkeyCtx<Private>>,
}

impl Rs256Signer {
    /// Takes an RSA private key, checks that its signatures verify under its own public key (a
    /// key with inconsistent CRT parameters would otherwise leak its factors), and warms it up.
    pub fn new(key: &PKey<Private>) -> Result<Self> {
        require_usable_rsa(key)?;
        let pkcs8 = Zeroizing::new(key.private_key_to_pkcs8().map_err(|e| {
            Error::openssl(
                ErrorKind::InvalidKey,
                "cannot encode the RSA private key",
                &e,
            )
        })?);
        let first = signing_context(key)?;
        let signer = Rs256Signer {
            pkcs8,
            public: public_key_of(key)?,
            bits: key.bits(),
            contexts: Pool::new(first),
        };
        let probe = b"layer-identity key self-check";
        let signature = signer.sign(probe)?;
        if !Rs256Verifier::new(signer.public.clone())?.verify(probe, &signature) {
            return Err(Error::invalid_key(
                "the RSA private key is inconsistent: its signature does not verify with its own public key",
            ));
        }
        Ok(signer)
    }

    /// RSASSA-PKCS1-v1_5 SHA-256 signature of `message`; deterministic for a given key.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let digest = sha256(message);
        self.contexts.with(
            || {
                let key = PKey::private_key_from_pkcs8(&self.pkcs8).map_err(|e| {
                    Error::openssl(ErrorKind::Crypto, "cannot copy the private key", &e)
                })?;
                signing_context(&key)
            },
            |ctx| sign_digest(ctx, &digest),
        )?
    }

    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// Length of every signature this key makes, in bytes.
    pub fn signature_len(&self) -> usize {
        self.bits.div_ceil(8) as usize
    }

    pub fn public_key(&self) -> &PKey<Public> {
        &self.public
    }
}

/// An RSA public key ready to check RS256 signatures from many threads at once.
pub struct Rs256Verifier {
    key: PKey<Public>,
    contexts: Pool<PkeyCtx<Public>>,
}

impl Rs256Verifier {
    pub fn new(key: PKey<Public>) -> Result<Self> {
        require_usable_rsa(&key)?;
        let contexts = Pool::new(verifying_context(&key)?);
        Ok(Rs256Verifier { key, contexts })
    }

    /// True only for a valid PKCS#1 v1.5 SHA-256 signature by this key over `message`. Any
    /// malformation (wrong length, bad padding, another hash) is simply false.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let digest = sha256(message);
        let verdict = self.contexts.with(
            || verifying_context(&self.key),
            |ctx| ctx.verify(&digest, signature),
        );
        // A rejected signature may leave reasons in OpenSSL's queue; rust-openssl drains them
        // into the error value, which is dropped here.
        matches!(verdict, Ok(Ok(true)))
    }

    pub fn bits(&self) -> u32 {
        self.key.bits()
    }

    pub fn public_key(&self) -> &PKey<Public> {
        &self.key
    }
}

fn configure(
    ctx: &mut PkeyCtx<impl HasPublic>,
) -> std::result::Result<(), openssl::error::ErrorStack> {
    ctx.set_rsa_padding(Padding::PKCS1)?;
    ctx.set_signature_md(Md::sha256())
}

/// A signing context on `key`, warmed up by one signature so that the Montgomery contexts and
/// the blinding exist before the first real call.
fn signing_context(key: &PKey<Private>) -> Result<PkeyCtx<Private>> {
    let fail = |e| Error::openssl(ErrorKind::Crypto, "cannot prepare RSA signing", &e);
    let mut ctx = PkeyCtx::new(key).map_err(fail)?;
    ctx.sign_init().map_err(fail)?;
    configure(&mut ctx).map_err(fail)?;
    sign_digest(&mut ctx, &sha256(b"warm-up"))?;
    Ok(ctx)
}

fn verifying_context(key: &PKey<Public>) -> Result<PkeyCtx<Public>> {
    let fail = |e| Error::openssl(ErrorKind::Crypto, "cannot prepare RSA verification", &e);
    let mut ctx = PkeyCtx::new(key).map_err(fail)?;
    ctx.verify_init().map_err(fail)?;
    configure(&mut ctx).map_err(fail)?;
    Ok(ctx)
}

/// SHA-256 with OpenSSL's low-level functions: the one-shot `SHA256()` of OpenSSL 3.0 fetches
/// the algorithm through EVP on every call, which costs as much as hashing a whole token.
fn sha256(message: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(message);
    hasher.finish()
}

fn sign_digest(ctx: &mut PkeyCtx<Private>, digest: &[u8; 32]) -> Result<Vec<u8>> {
    let mut signature = Vec::new();
    ctx.sign_to_vec(digest, &mut signature)
        .map_err(|e| Error::openssl(ErrorKind::Crypto, "RSA signing failed", &e))?;
    Ok(signature)
}
