//! Key-pair generation: the private key stays with the backend, the public key is uploaded to
//! Layer, which answers with the key ID.

use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};
use crate::keys::{MAX_BITS, MIN_BITS};

/// Size used when the caller passes 0.
pub const DEFAULT_KEY_BITS: u32 = 2048;

/// A fresh RSA key pair as PEM text.
pub struct KeyPair {
    /// PKCS#8 `PRIVATE KEY`, zeroized on drop.
    pub private_pem: Zeroizing<String>,
    /// SubjectPublicKeyInfo `PUBLIC KEY`: the part uploaded to Layer.
    pub public_pem: String,
}

/// Generates an RSA key pair with public exponent 65537. `None` means 2048 bits; fewer than
/// 2048 bits is a weak key, more than 16384 an invalid argument.
pub fn generate_key_pair(bits: Option<u32>) -> Result<KeyPair> {
    let bits = bits.unwrap_or(DEFAULT_KEY_BITS);
    if bits > MAX_BITS {
        return Err(Error::invalid_argument(format!(
            "bits {bits} is more than the {MAX_BITS} supported; Layer keys are usually 2048 bits"
        )));
    }
    if bits < MIN_BITS {
        return Err(Error::new(
            ErrorKind::WeakKey,
            format!(
                "cannot generate a key of {bits} bits: RS256 requires at least {MIN_BITS} bits"
            ),
        ));
    }
    let crypto = |e| Error::openssl(ErrorKind::Crypto, "RSA key generation failed", &e);
    let key = PKey::from_rsa(Rsa::generate(bits).map_err(crypto)?).map_err(crypto)?;
    Ok(KeyPair {
        private_pem: Zeroizing::new(pem_text(key.private_key_to_pem_pkcs8().map_err(crypto)?)?),
        public_pem: pem_text(key.public_key_to_pem().map_err(crypto)?)?,
    })
}

fn pem_text(bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes)
        .map_err(|_| Error::new(ErrorKind::Internal, "OpenSSL wrote PEM that is not text"))
}
