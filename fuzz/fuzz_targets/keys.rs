//! Key bytes (PEM, DER, base64 DER, and anything else), a passphrase and flags through
//! `Signer::new`, `Verifier::new` and the key loaders, and through the C ABI's
//! `layer_signer_new_n`, `layer_signer_new`, `layer_verifier_new_n` and `layer_sign_token_n`.
//! No panic; the C ABI says what the Rust API says; a key that is accepted signs a token that
//! verifies (with the signer's public key, by the library and by OpenSSL, and with a verifier
//! made from the same input), the same token through the C ABI; and no message holds any
//! 16-byte piece of the key (outside its PEM armor) or of the passphrase.
//!
//! Input: `[options u8][flags u32 LE][passphrase: u8 length, bytes][key: the rest]`.
//! Options: bit 0 a passphrase is given (else none).

#![no_main]

use layer_identity::{Attributes, Flags, Signer, Verifier};
use layer_identity_fuzz::abi::{self, CSigner, CVerifier, Outcome};
use layer_identity_fuzz::fixtures::{KEY_ID, PROVIDER_ID};
use layer_identity_fuzz::input::Input;
use layer_identity_fuzz::{oracle, secrets};
use libfuzzer_sys::fuzz_target;

const ISSUED_AT: i64 = 1_700_000_000;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let options = input.u8();
    let flags = input.u32();
    let passphrase_field = input.short();
    let key = input.rest();
    let passphrase = (options & 1 != 0).then_some(passphrase_field);
    let _ = layer_identity::is_encrypted_private_key(key);

    // Every call that takes the key; each message is checked for pieces of the secrets below.
    let c_signer = CSigner::new(
        key,
        passphrase,
        PROVIDER_ID.as_bytes(),
        KEY_ID.as_bytes(),
        flags,
    );
    let c_verifier = CVerifier::new(key, PROVIDER_ID.as_bytes(), KEY_ID.as_bytes(), flags);
    let flags = match Flags::from_bits(flags) {
        Ok(flags) => flags,
        Err(_) => {
            for failure in [c_signer.err(), c_verifier.err()] {
                let failure = failure.expect("unknown flag bits were accepted");
                assert_eq!(failure.status, "LAYER_ERR_INVALID_ARGUMENT");
                assert!(failure.message.contains("flag"), "{}", failure.message);
            }
            return;
        }
    };
    let signer = Signer::new(key, passphrase, PROVIDER_ID, KEY_ID, flags);
    let verifier = Verifier::new(key, PROVIDER_ID, KEY_ID, flags);
    assert_same(&c_signer, &signer, "layer_signer_new_n");
    assert_same(&c_verifier, &verifier, "layer_verifier_new_n");

    // The NUL-terminated form takes what has no NUL and is text.
    let text = |bytes: &[u8]| {
        std::str::from_utf8(bytes)
            .ok()
            .and_then(|_| abi::c_string(bytes))
    };
    let c_passphrase = passphrase.map(text);
    if let (Some(c_key), false) = (text(key), matches!(c_passphrase, Some(None))) {
        let provider = abi::c_string(PROVIDER_ID.as_bytes()).unwrap();
        let key_id = abi::c_string(KEY_ID.as_bytes()).unwrap();
        let legacy = CSigner::new_legacy(
            &c_key,
            c_passphrase.flatten().as_deref(),
            &provider,
            &key_id,
            flags.bits(),
        );
        assert_same(&legacy, &signer, "layer_signer_new");
    }

    // The one-shot signer, with its cache of decoded keys, takes no passphrase and no flags.
    if passphrase.is_none() && flags == Flags::default() {
        let one_shot = abi::sign_token(
            key,
            PROVIDER_ID.as_bytes(),
            KEY_ID.as_bytes(),
            b"user",
            b"nonce",
            ISSUED_AT,
        );
        match (&one_shot, &signer) {
            (Ok(token), Ok(signer)) => {
                let expected = signer
                    .sign(
                        "user",
                        "nonce",
                        Some(ISSUED_AT),
                        None,
                        &Attributes::default(),
                    )
                    .unwrap();
                assert_eq!(
                    token, &expected,
                    "layer_sign_token_n and Signer::sign made different tokens"
                );
            }
            (Err(failure), Err(error)) => {
                assert_eq!(
                    (failure.status, failure.message.as_str()),
                    (error.status_name(), error.message())
                );
            }
            _ => panic!(
                "layer_sign_token_n and Signer::new disagree: {one_shot:?} / {:?}",
                signer.as_ref().err()
            ),
        }
    }

    // No message holds a piece of the key or the passphrase. (The C ABI's messages are the Rust
    // API's, checked above.)
    let secrets: Vec<&[u8]> = [Some(key), passphrase].into_iter().flatten().collect();
    let public: [&[u8]; 2] = [PROVIDER_ID.as_bytes(), KEY_ID.as_bytes()];
    let first = messages_of(
        key,
        passphrase,
        flags,
        signer.as_ref().err(),
        verifier.as_ref().err(),
    );
    for (call, message) in first {
        secrets::assert_not_repeated(&secrets, &public, &message, call, |piece, replacement| {
            let key = secrets::with_replaced(key, piece, replacement);
            let passphrase = passphrase.map(|p| secrets::with_replaced(p, piece, replacement));
            messages(&key, passphrase.as_deref(), flags)
                .into_iter()
                .find(|(c, _)| *c == call)
                .map(|(_, m)| m)
        });
    }
    let Ok(signer) = signer else {
        return;
    };
    let token = signer
        .sign(
            "user",
            "nonce",
            Some(ISSUED_AT),
            None,
            &Attributes::default(),
        )
        .expect("an accepted key signs");
    let c_token = c_signer
        .expect("checked")
        .sign(b"user", b"nonce", ISSUED_AT, 0)
        .expect("an accepted key signs");
    assert_eq!(c_token, token, "the C ABI's signer made another token");
    let public_pem = signer.public_key_pem().expect("a signer has a public key");
    let now = Some(ISSUED_AT + 100);
    let by_public = Verifier::new(public_pem.as_bytes(), PROVIDER_ID, KEY_ID, flags)
        .expect("the signer's public key makes a verifier");
    let verified = by_public
        .verify(&token, Some("nonce"), now, 0)
        .expect("the token verifies with the signer's public key");
    assert_eq!(verified.claims.prn, "user");
    let (signing_input, signature) = token.rsplit_once('.').unwrap();
    let signature = layer_identity_fuzz::b64::decode(signature.as_bytes()).unwrap();
    let openssl_key = openssl::pkey::PKey::public_key_from_pem(public_pem.as_bytes()).unwrap();
    assert!(
        oracle::rs256_verifies(&openssl_key, signing_input.as_bytes(), &signature),
        "OpenSSL refuses the signature"
    );
    if let Ok(verifier) = verifier {
        verifier
            .verify(&token, Some("nonce"), now, 0)
            .expect("the token verifies with a verifier of the same key");
    }
});

/// The message of every Rust call that takes the key and fails.
fn messages(key: &[u8], passphrase: Option<&[u8]>, flags: Flags) -> Vec<(&'static str, String)> {
    let signer = Signer::new(key, passphrase, PROVIDER_ID, KEY_ID, flags).err();
    let verifier = Verifier::new(key, PROVIDER_ID, KEY_ID, flags).err();
    messages_of(key, passphrase, flags, signer.as_ref(), verifier.as_ref())
}

/// The same, given how `Signer::new` and `Verifier::new` ended (made once, by the caller).
fn messages_of(
    key: &[u8],
    passphrase: Option<&[u8]>,
    flags: Flags,
    signer: Option<&layer_identity::Error>,
    verifier: Option<&layer_identity::Error>,
) -> Vec<(&'static str, String)> {
    let mut messages: Vec<(&'static str, String)> = [
        (
            "load_private_key",
            layer_identity::load_private_key(key, passphrase).err(),
        ),
        (
            "load_public_key",
            layer_identity::load_public_key(key).err(),
        ),
        ("Signer::new", signer.cloned()),
        ("Verifier::new", verifier.cloned()),
    ]
    .into_iter()
    .filter_map(|(call, error)| Some((call, error?.message().to_owned())))
    .collect();
    if passphrase.is_none() && flags == Flags::default() {
        if let Err(error) = layer_identity::sign_token(
            key,
            PROVIDER_ID,
            KEY_ID,
            "user",
            "nonce",
            Some(ISSUED_AT),
            None,
        ) {
            messages.push(("sign_token", error.message().to_owned()));
        }
    }
    messages
}

/// The C ABI's outcome is the Rust API's: both succeed, or fail with the same status and message.
fn assert_same<T, U>(c: &Outcome<T>, rust: &layer_identity::Result<U>, call: &str) {
    match (c, rust) {
        (Ok(_), Ok(_)) => {}
        (Err(failure), Err(error)) => assert_eq!(
            (failure.status, failure.message.as_str()),
            (error.status_name(), error.message()),
            "{call} and the Rust API fail differently"
        ),
        _ => panic!(
            "{call} and the Rust API disagree: {:?} / {:?}",
            c.as_ref().err(),
            rust.as_ref().err()
        ),
    }
}
