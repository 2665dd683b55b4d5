//! The vectors' keys and IDs, compiled in so that a target runs from any directory.

use openssl::pkey::{PKey, Private, Public};

/// The IDs of the verification vectors (`vectors/verify.json`).
pub const PROVIDER_ID: &str = "layer:///providers/5d3c4e1a-7b2f-4c8d-9e6a-0f1b2c3d4e5f";
pub const KEY_ID: &str = "layer:///keys/a1b2c3d4-e5f6-4789-8abc-def012345678";
/// The expected nonce of most verification vectors.
pub const NONCE: &str = "c2VjcmV0LW5vbmNlLWZyb20tbGF5ZXItc2RrLTAwMDE";
/// The passphrase of the encrypted vector keys.
pub const PASSPHRASE: &str = "correct horse battery staple";

pub const RSA2048_PUBLIC_PEM: &[u8] = include_bytes!("../../vectors/keys/rsa2048.public.pem");
pub const RSA2048_PRIVATE_PEM: &[u8] = include_bytes!("../../vectors/keys/rsa2048.pkcs8.pem");
/// The legacy 1024-bit key: the targets that sign every input use it (with
/// `Flags::ALLOW_1024_BIT_KEY`), since an RSA-1024 signature costs a sixth of an RSA-2048 one
/// and the rules under test do not depend on the key's size.
pub const RSA1024_PRIVATE_PEM: &[u8] = include_bytes!("../../vectors/keys/rsa1024.pkcs8.pem");
pub const RSA1024_PUBLIC_PEM: &[u8] = include_bytes!("../../vectors/keys/rsa1024.public.pem");

pub fn public_key(pem: &[u8]) -> PKey<Public> {
    PKey::public_key_from_pem(pem).expect("a vector key")
}

pub fn private_key(pem: &[u8]) -> PKey<Private> {
    PKey::private_key_from_pem(pem).expect("a vector key")
}

/// Absolute path of a file under `vectors/`.
pub fn vector_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vectors")
        .join(name)
}
