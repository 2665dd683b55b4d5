//! No error message ever quotes key text. Many malformed keys — one-line PEM, spaces for line
//! breaks, truncated, doubled, wrong or mismatched labels, base64 garbage, random bytes, and
//! property-generated damage — go through every C function that takes a key (and, in
//! cli/tests/key_messages.rs, through the CLI), and no message may contain any 16-byte piece of
//! the input. Flattened PEMs, the common paste accident, are accepted.

mod support;

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use layer_identity::ffi::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use support::malformed_keys::{
    assert_quotes_nothing, malformed_keys, misplaced_secrets, secret_part, text, PASSPHRASE,
};
use support::{vector_file, KEY_ID, PROVIDER_ID};

/// Every message the C functions that take a key give for `key` (status and message).
fn c_abi_messages(key: &[u8]) -> Vec<(&'static str, LayerStatus, String)> {
    let key = CString::new(
        key.iter()
            .map(|&b| if b == 0 { 1 } else { b })
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    let provider = CString::new(PROVIDER_ID).unwrap();
    let key_id = CString::new(KEY_ID).unwrap();
    let passphrase = CString::new(PASSPHRASE).unwrap();
    let wrong = CString::new("not the passphrase at all").unwrap();
    let user = CString::new("alice").unwrap();
    let mut results = Vec::new();
    let mut record = |call, status: LayerStatus, error: *mut c_char| {
        if status != LayerStatus::LAYER_OK {
            let message = unsafe { CStr::from_ptr(error) }
                .to_string_lossy()
                .into_owned();
            unsafe { layer_string_free(error) };
            results.push((call, status, message));
        }
    };
    for (call, pass) in [
        ("layer_signer_new", ptr::null()),
        ("layer_signer_new (passphrase)", passphrase.as_ptr()),
        ("layer_signer_new (wrong passphrase)", wrong.as_ptr()),
    ] {
        let mut signer = ptr::null_mut();
        let mut error = ptr::null_mut();
        let status = unsafe {
            layer_signer_new(
                key.as_ptr(),
                pass,
                provider.as_ptr(),
                key_id.as_ptr(),
                0,
                &mut signer,
                &mut error,
            )
        };
        unsafe { layer_signer_free(signer) };
        record(call, status, error);
    }
    let mut verifier = ptr::null_mut();
    let mut error = ptr::null_mut();
    let status = unsafe {
        layer_verifier_new(
            key.as_ptr(),
            provider.as_ptr(),
            key_id.as_ptr(),
            0,
            &mut verifier,
            &mut error,
        )
    };
    unsafe { layer_verifier_free(verifier) };
    record("layer_verifier_new", status, error);
    let mut token = ptr::null_mut();
    let mut error = ptr::null_mut();
    let status = unsafe {
        layer_sign_token(
            key.as_ptr(),
            provider.as_ptr(),
            key_id.as_ptr(),
            user.as_ptr(),
            user.as_ptr(),
            0,
            0,
            &mut token,
            &mut error,
        )
    };
    if status == LayerStatus::LAYER_OK {
        unsafe { layer_string_free(token) };
    }
    record("layer_sign_token", status, error);
    results
}

#[test]
fn no_c_abi_message_quotes_a_malformed_key() {
    let mut failures = 0;
    for (name, key) in malformed_keys() {
        for (call, _, message) in c_abi_messages(&key) {
            assert_quotes_nothing(&key, &message, &format!("{name}, {call}"));
            failures += 1;
        }
    }
    assert!(failures > 150, "only {failures} failing calls were checked");
}

#[test]
fn flattened_pem_keys_are_accepted() {
    let expected = {
        let key = vector_file("keys/rsa2048.pkcs8.pem");
        layer_identity::load_private_key(&key, None)
            .unwrap()
            .private_key_to_der()
            .unwrap()
    };
    let flattened: Vec<String> = ["pkcs8", "pkcs1", "encrypted"]
        .iter()
        .flat_map(|kind| ["one line", "spaces", "escaped"].map(|form| format!("{kind} {form}")))
        .collect();
    for (name, key) in malformed_keys() {
        if !flattened.contains(&name) {
            continue;
        }
        let passphrase = name
            .starts_with("encrypted")
            .then_some(PASSPHRASE.as_bytes());
        let loaded = layer_identity::load_private_key(&key, passphrase)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(loaded.private_key_to_der().unwrap(), expected, "{name}");
    }
    for form in ["one line", "spaces"] {
        let public = malformed_keys()
            .into_iter()
            .find(|(n, _)| *n == format!("public {form}"))
            .unwrap()
            .1;
        layer_identity::load_public_key(&public).unwrap_or_else(|e| panic!("public {form}: {e}"));
    }
}

/// A real key damaged the ways a paste or an editor damages text.
fn damaged_key() -> impl Strategy<Value = Vec<u8>> {
    let pem = text("rsa2048.pkcs8.pem").into_bytes();
    let len = pem.len();
    let edit = prop_oneof![
        (0..len, any::<u8>()).prop_map(|(at, byte)| (0, at, byte)),
        (0..len, any::<u8>()).prop_map(|(at, byte)| (1, at, byte)),
        (0..len, any::<u8>()).prop_map(|(at, byte)| (2, at, byte)),
        (0..len, any::<u8>()).prop_map(|(at, _)| (3, at, 0)),
    ];
    prop_oneof![
        prop::collection::vec(edit, 1..6).prop_map(move |edits| {
            let mut key = pem.clone();
            for (kind, at, byte) in edits {
                let at = at.min(key.len().saturating_sub(1));
                match kind {
                    0 => key[at] = byte,
                    1 => key.insert(at, byte),
                    2 if !key.is_empty() => {
                        key.remove(at);
                    }
                    _ => key.truncate(at),
                }
            }
            key
        }),
        prop::collection::vec(any::<u8>(), 0..3000),
        prop::collection::vec(
            prop::sample::select(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= \n-".to_vec()
            ),
            0..3000
        ),
    ]
}

#[test]
fn no_message_quotes_a_damaged_key() {
    let mut runner = TestRunner::new(Config::with_cases(400));
    runner
        .run(&damaged_key(), |key| {
            for (call, _, message) in c_abi_messages(&key) {
                assert_quotes_nothing(&key, &message, call);
            }
            Ok(())
        })
        .unwrap();
}

/// Characters IDs are made of: a value of only these could be an ID, and is quoted.
fn id_like(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_hexdigit() || "layer:/providerskey-".contains(c))
}

/// Every C function that takes an ID or a token type, with `secret` in that place.
fn id_messages(secret: &str) -> Vec<(&'static str, String)> {
    let key = vector_file("keys/rsa2048.pkcs8.pem");
    let public = vector_file("keys/rsa2048.public.pem");
    let mut messages = Vec::new();
    let mut record = |what: &'static str, status: LayerStatus, error: *mut c_char| {
        assert_ne!(status, LayerStatus::LAYER_OK, "{what} accepted {secret:?}");
        let message = unsafe { CStr::from_ptr(error) }
            .to_string_lossy()
            .into_owned();
        unsafe { layer_string_free(error) };
        messages.push((what, message));
    };
    for (provider_id, key_id, what) in [
        (secret, KEY_ID, "provider_id"),
        (PROVIDER_ID, secret, "key_id"),
    ] {
        let mut error = ptr::null_mut();
        let mut signer = ptr::null_mut();
        let status = unsafe {
            layer_signer_new_n(
                key.as_ptr(),
                key.len(),
                ptr::null(),
                0,
                provider_id.as_ptr().cast(),
                provider_id.len(),
                key_id.as_ptr().cast(),
                key_id.len(),
                0,
                &mut signer,
                &mut error,
            )
        };
        record(what, status, error);
        let mut error = ptr::null_mut();
        let mut verifier = ptr::null_mut();
        let status = unsafe {
            layer_verifier_new_n(
                public.as_ptr(),
                public.len(),
                provider_id.as_ptr().cast(),
                provider_id.len(),
                key_id.as_ptr().cast(),
                key_id.len(),
                0,
                &mut verifier,
                &mut error,
            )
        };
        record(what, status, error);
        let mut error = ptr::null_mut();
        let mut token = ptr::null_mut();
        let status = unsafe {
            layer_sign_token_n(
                key.as_ptr(),
                key.len(),
                provider_id.as_ptr().cast(),
                provider_id.len(),
                key_id.as_ptr().cast(),
                key_id.len(),
                "u".as_ptr().cast(),
                1,
                "n".as_ptr().cast(),
                1,
                0,
                0,
                &mut token,
                &mut error,
            )
        };
        record(what, status, error);
    }
    let mut flags = 0;
    let mut error = ptr::null_mut();
    let status = unsafe {
        layer_token_type_flags(secret.as_ptr().cast(), secret.len(), &mut flags, &mut error)
    };
    record("token_type", status, error);
    messages
}

#[test]
fn no_message_repeats_a_secret_put_where_an_id_belongs() {
    for secret in misplaced_secrets() {
        for (what, message) in id_messages(&secret) {
            assert_quotes_nothing(
                secret_part(&secret),
                &message,
                &format!("{what}: {secret:.20}"),
            );
        }
    }
    let passphrase = "[ -~]{16,64}".prop_filter("not ID-like", |s: &String| !id_like(s));
    let mut runner = TestRunner::new(Config::with_cases(128));
    runner
        .run(&passphrase, |secret| {
            for (what, message) in id_messages(&secret) {
                assert_quotes_nothing(secret.as_bytes(), &message, what);
            }
            Ok(())
        })
        .unwrap();
}
