//! No error message ever quotes key text. Many malformed keys — one-line PEM, spaces for line
//! breaks, truncated, doubled, wrong or mismatched labels, base64 garbage, random bytes, and
//! property-generated damage — go through every C function that takes a key and through the
//! CLI (a key file, `LAYER_PRIVATE_KEY`, `LAYER_PRIVATE_KEY_PATH`), and no message may contain
//! any 16-byte piece of the input. Flattened PEMs, the common paste accident, are accepted.

mod support;

use std::collections::HashSet;
use std::ffi::{c_char, CStr, CString};
use std::process::Command;
use std::ptr;

use layer_identity::ffi::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use support::{vector_file, TempDir, KEY_ID, PROVIDER_ID};

const WINDOW: usize = 16;
const PASSPHRASE: &str = "correct horse battery staple";

/// Fails if `message` shares any `WINDOW`-byte run with `input`.
fn assert_quotes_nothing(input: &[u8], message: &str, context: &str) {
    let pieces: HashSet<&[u8]> = input.windows(WINDOW).collect();
    if let Some(piece) = message
        .as_bytes()
        .windows(WINDOW)
        .find(|w| pieces.contains(w))
    {
        panic!(
            "{context}: the message repeats key text {:?}:\n{message}",
            String::from_utf8_lossy(piece)
        );
    }
}

fn text(name: &str) -> String {
    String::from_utf8(vector_file(&format!("keys/{name}"))).unwrap()
}

/// Every malformed (or merely mangled) key the deterministic part of the test feeds in.
fn malformed_keys() -> Vec<(String, Vec<u8>)> {
    let pkcs8 = text("rsa2048.pkcs8.pem");
    let pkcs1 = text("rsa2048.pkcs1.pem");
    let encrypted = text("rsa2048.pkcs8.encrypted.pem");
    let public = text("rsa2048.public.pem");
    let body: String = pkcs8.lines().filter(|l| !l.starts_with("-----")).collect();
    let mut keys: Vec<(String, String)> = Vec::new();
    for (name, pem) in [
        ("pkcs8", &pkcs8),
        ("pkcs1", &pkcs1),
        ("encrypted", &encrypted),
        ("public", &public),
    ] {
        let flat = pem.replace('\n', "");
        let spaced = pem.trim_end().replace('\n', " ");
        keys.push((format!("{name} one line"), flat.clone()));
        keys.push((format!("{name} spaces"), spaced));
        keys.push((format!("{name} escaped"), pem.replace('\n', "\\n")));
        for cut in [40, pem.len() / 2, pem.len() - 30] {
            keys.push((format!("{name} truncated at {cut}"), pem[..cut].to_owned()));
            keys.push((
                format!("{name} one line truncated at {cut}"),
                flat[..cut.min(flat.len())].to_owned(),
            ));
        }
        keys.push((format!("{name} doubled"), format!("{pem}{pem}")));
        keys.push((
            format!("{name} doubled on one line"),
            format!("{flat}{flat}"),
        ));
        keys.push((
            format!("{name} no END line"),
            pem.lines()
                .filter(|l| !l.starts_with("-----END"))
                .collect::<Vec<_>>()
                .join("\n"),
        ));
    }
    keys.push((
        "mismatched labels".into(),
        pkcs8.replace("-----END PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----"),
    ));
    for label in [
        "OPENSSH PRIVATE KEY",
        "CERTIFICATE",
        "EC PRIVATE KEY",
        "X509 CRL",
        "ENCRYPTED PRIVATE KEYS",
        "PRIVATE KEY BLOB DATA",
        "lower case label",
        "A VERY LONG LABEL THAT GOES ON AND ON AND ON AND ON AND ON AND ON AND ON AND ON",
    ] {
        keys.push((
            format!("label {label}"),
            pkcs8.replace("PRIVATE KEY-----", &format!("{label}-----")),
        ));
    }
    keys.push((
        "garbage inside armor".into(),
        format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            body.replace(['A', 'Q'], "*")
        ),
    ));
    keys.push((
        "body with a changed character".into(),
        pkcs8.replacen("MII", "MI!", 1),
    ));
    keys.push(("bare body".into(), body.clone()));
    keys.push(("base64 DER, one line".into(), text("rsa2048.pkcs8.der.b64")));
    keys.push((
        "PKCS#1 body, one line".into(),
        pkcs1.lines().filter(|l| !l.starts_with("-----")).collect(),
    ));
    keys.push((
        "bare body, one character changed".into(),
        body.replacen('B', "!", 1),
    ));
    keys.push(("bare body, cut".into(), body[..body.len() - 7].to_owned()));
    keys.push(("text before BEGIN".into(), format!("my key: {pkcs8}")));
    keys.push((
        "text after END".into(),
        format!("{pkcs8}and more text here that is long\n"),
    ));
    keys.push((
        "a header line in PKCS#8".into(),
        pkcs8.replacen("\n", "\nProc-Type: 4,ENCRYPTED\n", 1),
    ));
    keys.push(("header lines flattened".into(), "-----BEGIN RSA PRIVATE KEY-----Proc-Type: 4,ENCRYPTEDDEK-Info: AES-256-CBC,00112233445566778899AABBCCDDEEFF".to_owned() + &body + "-----END RSA PRIVATE KEY-----"));
    let mut keys: Vec<(String, Vec<u8>)> =
        keys.into_iter().map(|(n, k)| (n, k.into_bytes())).collect();
    keys.push(("DER cut short".into(), der_of_body(&body)[..600].to_vec()));
    keys.push((
        "random bytes".into(),
        (0..2000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8 | 1)
            .collect(),
    ));
    keys
}

fn der_of_body(body: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

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

#[test]
fn no_cli_message_quotes_a_malformed_key() {
    let dir = TempDir::new("key-messages");
    let mut checked = 0;
    for (i, (name, key)) in malformed_keys().into_iter().enumerate() {
        let path = dir.join(&format!("key-{i}.pem"));
        std::fs::write(&path, &key).unwrap();
        let sign = || {
            let mut command = Command::new(env!("CARGO_BIN_EXE_layer-identity"));
            command.args(["sign", "--user-id", "alice", "--nonce", "n"]);
            command
                .env_remove("LAYER_PRIVATE_KEY")
                .env_remove("LAYER_PRIVATE_KEY_PATH");
            command
                .env("LAYER_PROVIDER_ID", PROVIDER_ID)
                .env("LAYER_KEY_ID", KEY_ID);
            command
        };
        let mut runs = vec![
            (
                "--key FILE",
                sign().arg("--key").arg(&path).output().unwrap(),
            ),
            (
                "LAYER_PRIVATE_KEY_PATH",
                sign()
                    .env("LAYER_PRIVATE_KEY_PATH", &path)
                    .output()
                    .unwrap(),
            ),
            (
                "verify --public-key FILE",
                Command::new(env!("CARGO_BIN_EXE_layer-identity"))
                    .args([
                        "verify",
                        "a.b.c",
                        "--provider-id",
                        PROVIDER_ID,
                        "--key-id",
                        KEY_ID,
                        "--public-key",
                    ])
                    .arg(&path)
                    .output()
                    .unwrap(),
            ),
        ];
        if let Ok(text) = std::str::from_utf8(&key) {
            if !text.contains('\0') {
                runs.push((
                    "LAYER_PRIVATE_KEY",
                    sign().env("LAYER_PRIVATE_KEY", text).output().unwrap(),
                ));
                // The key's text where its path belongs, as a variable and as a flag.
                runs.push((
                    "key text in LAYER_PRIVATE_KEY_PATH",
                    sign().env("LAYER_PRIVATE_KEY_PATH", text).output().unwrap(),
                ));
                runs.push((
                    "key text as --key",
                    sign().arg("--key").arg(text).output().unwrap(),
                ));
            }
        }
        for (how, output) in runs {
            let printed = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            if !output.status.success() {
                assert_quotes_nothing(&key, &printed, &format!("{name}, CLI {how}"));
                checked += 1;
            }
        }
    }
    assert!(
        checked > 100,
        "only {checked} failing CLI runs were checked"
    );
}

/// Secrets a user might put where an ID or the token type belongs: a passphrase, key text in
/// any shape, and property-generated passphrases of printable characters.
fn misplaced_secrets() -> Vec<String> {
    let pkcs8 = text("rsa2048.pkcs8.pem");
    let body: String = pkcs8.lines().filter(|l| !l.starts_with("-----")).collect();
    vec![
        PASSPHRASE.to_owned(),
        "hunter2 is not a good passphrase".to_owned(),
        pkcs8.clone(),
        pkcs8.replace('\n', ""),
        pkcs8.replace('\n', "\\n"),
        body[..120].to_owned(),
        format!("layer:///providers/{}", &body[..40]),
        format!("layer:///keys/{PASSPHRASE}"),
    ]
}

/// The part of a misplaced secret no message may repeat: the ID prefix in front of it is the
/// public form that messages name.
fn secret_part(secret: &str) -> &[u8] {
    ["layer:///providers/", "layer:///keys/"]
        .iter()
        .find_map(|prefix| secret.strip_prefix(prefix))
        .unwrap_or(secret)
        .as_bytes()
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

/// The same through the environment: `LAYER_PROVIDER_ID`, `LAYER_KEY_ID` and
/// `LAYER_TOKEN_TYPE` holding a secret, as the CLI (and every wrapper's `fromEnv`) reads them.
#[test]
fn no_message_repeats_a_secret_put_in_an_id_variable() {
    let dir = TempDir::new("id-variables");
    let key = dir.join("key.pem");
    std::fs::write(&key, vector_file("keys/rsa2048.pkcs8.pem")).unwrap();
    let mut checked = 0;
    for secret in misplaced_secrets() {
        for variable in ["LAYER_PROVIDER_ID", "LAYER_KEY_ID", "LAYER_TOKEN_TYPE"] {
            let output = Command::new(env!("CARGO_BIN_EXE_layer-identity"))
                .args(["sign", "--user-id", "alice", "--nonce", "n"])
                .env_remove("LAYER_PRIVATE_KEY")
                .env("LAYER_PRIVATE_KEY_PATH", &key)
                .env("LAYER_PROVIDER_ID", PROVIDER_ID)
                .env("LAYER_KEY_ID", KEY_ID)
                .env(variable, &secret)
                .output()
                .unwrap();
            assert!(!output.status.success(), "{variable} accepted {secret:.20}");
            let printed = String::from_utf8_lossy(&output.stderr);
            assert!(printed.contains(variable), "{variable}: {printed}");
            assert_quotes_nothing(secret_part(&secret), &printed, variable);
            checked += 1;
        }
    }
    assert_eq!(checked, 3 * misplaced_secrets().len());
}
