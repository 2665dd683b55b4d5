//! # layer-identity
//!
//! Mints and verifies *Layer identity tokens*: the RS256-signed JWS an application's backend
//! returns to the Layer client SDK after the SDK hands it a nonce.
//!
//! ```no_run
//! use layer_identity::{Attributes, Flags, Signer, Verifier};
//!
//! # fn main() -> Result<(), layer_identity::Error> {
//! let pem = std::fs::read("layer-private.pem").unwrap();
//! let provider_id = "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f";
//! let key_id = "layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f";
//! let signer = Signer::new(&pem, None, provider_id, key_id, Flags::default())?;
//! let token = signer.sign("user-42", "nonce-from-the-sdk", None, None, &Attributes::default())?;
//!
//! let verifier = Verifier::new(&pem, provider_id, key_id, Flags::default())?;
//! let verified = verifier.verify(&token, Some("nonce-from-the-sdk"), None, 0)?;
//! assert_eq!(verified.claims.prn, "user-42");
//! # Ok(())
//! # }
//! ```
//!
//! The crate is also a C library: `include/layer_identity.h` declares its C ABI, which the Go,
//! Ruby, Java, Node and Python packages bind. Only the `ffi` module knows about that. The
//! [`endpoint`] module is the identity-token endpoint's HTTP contract without I/O, which every
//! language's server adapter (and `layer-identity serve`) drives.

#![deny(unsafe_code)]

mod base64url;
pub mod endpoint;
pub mod env;
mod error;
// The C ABI, the one place with raw pointers; public so that the tests can drive it from Rust.
#[doc(hidden)]
#[allow(unsafe_code)]
pub mod ffi;
mod flags;
mod ids;
mod json;
mod key_cache;
mod keygen;
mod keys;
pub mod report;
pub mod rs256;
mod status;
mod time;
mod token;
mod verify;

pub use error::{Eit, Error, ErrorKind, Result};
pub use flags::Flags;
pub use ids::{validate_key_id, validate_provider_id};
pub use keygen::{generate_key_pair, KeyPair, DEFAULT_KEY_BITS};
pub use keys::{
    is_encrypted_private_key, load_private_key, load_public_key, LEGACY_MIN_BITS, MAX_BITS,
    MIN_BITS,
};
pub use status::{LayerEit, LayerStatus};
pub use time::{now as unix_now, MILLISECONDS_THRESHOLD};
pub use token::{
    clear_key_cache, sign_token, Attributes, Metadata, Signer, ATTRIBUTE_NAMES, CONTENT_TYPE,
    DEFAULT_TTL_SECONDS, MAX_TOKEN_BYTES, METADATA,
};
pub use verify::{decode, Claims, DecodedToken, VerifiedToken, Verifier, DEFAULT_LEEWAY_SECONDS};
