//! Quickstart: what a backend does for the Layer client SDK, end to end.
//!
//! Generates a key pair (in production: once, uploading the public key to Layer, which gives
//! you the key ID), mints an identity token for a user and the nonce the SDK obtained, and
//! verifies it with the same rules as Layer's validation tool.
//!
//! Run: `cargo run --example quickstart` (or `make demo`).

use layer_identity::{decode, generate_key_pair, Attributes, Flags, Signer, Verifier};

const PROVIDER_ID: &str = "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f";
const KEY_ID: &str = "layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("layer-identity {}", env!("CARGO_PKG_VERSION"));

    let keys = generate_key_pair(None)?; // 2048 bits
    println!("1. generated a 2048-bit RSA key pair; the public key to upload to Layer:");
    print!("{}", keys.public_pem);

    // A backend creates one signer at start-up and shares it across requests and threads.
    let signer = Signer::new(
        keys.private_pem.as_bytes(),
        None,
        PROVIDER_ID,
        KEY_ID,
        Flags::default(),
    )?;
    let attributes = Attributes {
        display_name: Some("Ada Lovelace".into()),
        ..Attributes::default()
    };
    let nonce = "nonce-the-client-sdk-got-from-layer";
    let token = signer.sign("ada@example.com", nonce, None, None, &attributes)?;
    println!("2. minted an identity token for ada@example.com:\n{token}");

    let (header, claims) = decode(&token)?.into_text()?;
    println!("   header: {header}");
    println!("   claims: {claims}");

    let verifier = Verifier::new(
        keys.public_pem.as_bytes(),
        PROVIDER_ID,
        KEY_ID,
        Flags::default(),
    )?;
    let verified = verifier.verify(&token, Some(nonce), None, 0)?;
    println!(
        "3. verdict: VALID (the Layer validation rules all pass) for {}, expires at {} (Unix s), nonce {:?}",
        verified.claims.prn, verified.claims.exp, verified.claims.nce
    );

    let rejection = verifier
        .verify(&token, Some("some-other-nonce"), None, 0)
        .unwrap_err();
    println!("4. the same token for another nonce is rejected: {rejection}");
    Ok(())
}
