//! OpenSSL keeps a per-thread error queue; a call that fails must drain it into its own error,
//! or the next caller on that thread (another goroutine, another Node request) inherits it.
//! Checked here on the Rust API, which the C ABI's guard then only has to keep clean.

mod support;

use layer_identity::{load_private_key, load_public_key, Flags, Signer, Verifier};
use openssl::error::ErrorStack;
use support::{vector_file, vector_json, KEY_ID, PROVIDER_ID};

fn assert_queue_empty(context: &str) {
    let left = ErrorStack::get();
    assert!(
        left.errors().is_empty(),
        "{context} left OpenSSL errors: {left}"
    );
}

#[test]
fn failing_key_loads_leave_no_openssl_errors() {
    let encrypted = vector_file("keys/rsa2048.pkcs8.encrypted.pem");
    let truncated = &vector_file("keys/rsa2048.pkcs8.pem")[..900];
    let mut garbage_der = vec![0x30, 0x82, 0x01, 0x00];
    garbage_der.extend([0x02; 256]);
    // (what, key bytes, passphrase)
    type Case<'a> = (&'a str, &'a [u8], Option<&'a [u8]>);
    let cases: [Case; 6] = [
        ("wrong passphrase", &encrypted, Some(b"wrong")),
        ("missing passphrase", &encrypted, None),
        ("truncated PEM", truncated, None),
        ("garbage DER", &garbage_der, None),
        ("EC key", &vector_file("keys/ec-p256.pkcs8.pem"), None),
        ("Ed25519 key", &vector_file("keys/ed25519.pkcs8.pem"), None),
    ];
    for (name, key, passphrase) in cases {
        assert!(
            Signer::new(key, passphrase, PROVIDER_ID, KEY_ID, Flags::default()).is_err(),
            "{name}"
        );
        assert_queue_empty(name);
        let _ = load_private_key(key, passphrase);
        assert_queue_empty(name);
        let _ = load_public_key(key);
        assert_queue_empty(name);
    }
}

#[test]
fn rejected_tokens_leave_no_openssl_errors() {
    let cases = vector_json("verify.json");
    for case in cases["cases"].as_array().unwrap() {
        let text = |member: &str| case[member].as_str().unwrap();
        let flags = if case["flags"].as_array().unwrap().is_empty() {
            Flags::default()
        } else {
            Flags::ALLOW_1024_BIT_KEY
        };
        let verifier = Verifier::new(
            &vector_file(text("key_file")),
            text("provider_id"),
            text("key_id"),
            flags,
        )
        .unwrap();
        let now = case["now"].as_i64().unwrap();
        let leeway = case["leeway_seconds"].as_u64().unwrap() as u32;
        let now = Some(now).filter(|t| *t > 0);
        let outcome = verifier.verify(text("token"), case["expected_nonce"].as_str(), now, leeway);
        assert_eq!(
            outcome.is_ok(),
            case["expected_status"] == "LAYER_OK",
            "{}",
            text("name")
        );
        assert_queue_empty(text("name"));
    }
}
