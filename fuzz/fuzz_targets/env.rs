//! The `LAYER_*` environment contract (src/env.rs): fuzzed values for the six variables, set in
//! this process (libFuzzer runs one input at a time), through `Signer::from_env` and the C
//! ABI's `layer_signer_from_env`. No panic; both say the same; a failure's message names the
//! variable to fix (decided here from the README's table: the IDs, the token type, the key
//! sources, the passphrase) and never repeats a secret put in any variable (the passphrase, the
//! key text, the key file's contents, and a value too long or too key-like to be an ID, a token
//! type or a path); a valid configuration with a vector key gives a signer whose tokens verify
//! and carry the token type asked for.
//!
//! Input: `[set u8][flags u8][six values, each a u16 LE length and bytes][file: the rest]`, the
//! values in the order PROVIDER_ID, KEY_ID, PRIVATE_KEY, PRIVATE_KEY_PATH, PASSPHRASE,
//! TOKEN_TYPE; bit i of `set` sets variable i (else it is unset; set and empty is "empty").
//! The path's value is empty, or `[mode][bytes]`: mode 0 a file in a private directory holding the rest
//! of the input, 1 the file `vectors/<bytes>`, 2 `<private directory>/<bytes>` (no such file,
//! or a value that looks like key text), 3 the private directory itself; other files are never
//! named, so no input reads a device or a FIFO. NUL bytes are dropped (no variable holds one).

#![no_main]

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;
use std::sync::OnceLock;

use layer_identity::{Attributes, Flags, Signer, Verifier};
use layer_identity_fuzz::abi::CSigner;
use layer_identity_fuzz::fixtures;
use layer_identity_fuzz::input::Input;
use layer_identity_fuzz::secrets;
use libfuzzer_sys::fuzz_target;

const VARS: [&str; 6] = [
    "LAYER_PROVIDER_ID",
    "LAYER_KEY_ID",
    "LAYER_PRIVATE_KEY",
    "LAYER_PRIVATE_KEY_PATH",
    "LAYER_PRIVATE_KEY_PASSPHRASE",
    "LAYER_TOKEN_TYPE",
];
const PROVIDER: usize = 0;
const KEY_ID: usize = 1;
const KEY: usize = 2;
const PATH: usize = 3;
const PASSPHRASE: usize = 4;
const TOKEN_TYPE: usize = 5;

/// A directory of this process's own, removed at exit by nobody: it is under the system temp
/// directory and holds at most one small file.
fn directory() -> &'static PathBuf {
    static DIRECTORY: OnceLock<PathBuf> = OnceLock::new();
    DIRECTORY.get_or_init(|| {
        let path =
            std::env::temp_dir().join(format!("layer-identity-fuzz-env-{}", std::process::id()));
        std::fs::create_dir_all(&path).expect("a temp directory");
        path
    })
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let set = input.u8();
    let flag_bits = u32::from(input.u8() & 3);
    let fields: Vec<Vec<u8>> = (0..VARS.len())
        .map(|_| input.long().iter().copied().filter(|&b| b != 0).collect())
        .collect();
    let file = input.rest();

    // The variables' values, as the process will hold them.
    let mut values: [Option<Vec<u8>>; 6] = Default::default();
    let mut file_contents: Option<Vec<u8>> = None;
    for (index, field) in fields.iter().enumerate() {
        if set >> index & 1 == 0 {
            continue;
        }
        values[index] = Some(if index == PATH {
            path_value(field, file, &mut file_contents)
        } else {
            field.clone()
        });
    }
    for (var, value) in VARS.iter().zip(&values) {
        match value {
            Some(value) => std::env::set_var(var, OsString::from_vec(value.clone())),
            None => std::env::remove_var(var),
        }
    }

    let flags = Flags::from_bits(flag_bits).expect("known bits");
    let signer = Signer::from_env(flags);
    let c_signer = CSigner::from_env(flag_bits);
    match (&signer, &c_signer) {
        (Ok(_), Ok(_)) => {}
        (Err(error), Err(failure)) => assert_eq!(
            (failure.status, failure.message.as_str()),
            (error.status_name(), error.message()),
            "layer_signer_from_env and Signer::from_env fail differently"
        ),
        _ => panic!(
            "layer_signer_from_env and Signer::from_env disagree: {:?} / {:?}",
            signer.as_ref().err(),
            c_signer.as_ref().err()
        ),
    }

    let value = |index: usize| values[index].as_deref().filter(|v| !v.is_empty());
    let expected = expectation(&values);
    match &signer {
        Err(error) => {
            let message = error.message();
            for var in expected.names {
                assert!(
                    message.contains(var),
                    "the message does not name {var}: {message}"
                );
            }
            if error.kind() == layer_identity::ErrorKind::WrongPassphrase {
                assert!(
                    message.contains(VARS[PASSPHRASE]),
                    "a passphrase problem without the variable: {message}"
                );
            }
            assert!(
                !expected.must_succeed,
                "a valid configuration failed: {message}"
            );
            // Secrets: the passphrase and the key wherever they were put, and any value that
            // cannot be the ID, token type or path it stands for.
            let mut secret_values: Vec<&[u8]> =
                [value(KEY), value(PASSPHRASE), file_contents.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect();
            let mut public: Vec<&[u8]> = Vec::new();
            for index in [PROVIDER, KEY_ID, TOKEN_TYPE, PATH] {
                if let Some(v) = value(index) {
                    if shown_as_is(index, v) {
                        public.push(v);
                    } else {
                        secret_values.push(v);
                    }
                }
            }
            secrets::assert_not_repeated(
                &secret_values,
                &public,
                message,
                "Signer::from_env",
                |piece, replacement| {
                    for (var, value) in VARS.iter().zip(&values) {
                        if let Some(value) = value {
                            std::env::set_var(
                                var,
                                OsString::from_vec(secrets::with_replaced(
                                    value,
                                    piece,
                                    replacement,
                                )),
                            );
                        }
                    }
                    if let Some(contents) = &file_contents {
                        let _ = std::fs::write(
                            directory().join("key.pem"),
                            secrets::with_replaced(contents, piece, replacement),
                        );
                    }
                    Signer::from_env(flags)
                        .err()
                        .map(|error| error.message().to_owned())
                },
            );
        }
        Ok(signer) => {
            assert!(
                !expected.invalid,
                "accepted, but {:?} is wrong",
                expected.names
            );
            let token = signer
                .sign(
                    "user",
                    "nonce",
                    Some(1_700_000_000),
                    None,
                    &Attributes::default(),
                )
                .expect("a signer signs");
            let public = signer.public_key_pem().unwrap();
            let verifier = Verifier::new(
                public.as_bytes(),
                std::str::from_utf8(value(PROVIDER).unwrap()).unwrap(),
                std::str::from_utf8(value(KEY_ID).unwrap()).unwrap(),
                Flags::ALLOW_1024_BIT_KEY,
            )
            .expect("the signer's public key");
            verifier
                .verify(&token, Some("nonce"), Some(1_700_000_100), 0)
                .expect("its token verifies");
            let jwt = value(TOKEN_TYPE).is_some_and(|t| t.eq_ignore_ascii_case(b"JWT"))
                || flag_bits & 1 != 0;
            let header = layer_identity::decode(&token).unwrap().header;
            let typ: &[u8] = if jwt {
                b"\"typ\":\"JWT\""
            } else {
                b"\"typ\":\"JWS\""
            };
            assert!(
                header.windows(typ.len()).any(|w| w == typ),
                "typ is not the one asked for"
            );
        }
    }
});

/// The value of `LAYER_PRIVATE_KEY_PATH` for a path field (see the input format).
fn path_value(field: &[u8], file: &[u8], file_contents: &mut Option<Vec<u8>>) -> Vec<u8> {
    let Some((mode, name)) = field.split_first() else {
        return Vec::new(); // set and empty
    };
    let own = directory().as_os_str().as_encoded_bytes().to_vec();
    match mode % 4 {
        0 => {
            let path = directory().join("key.pem");
            std::fs::write(&path, file).expect("writing the key file");
            *file_contents = Some(file.to_vec());
            path.into_os_string().into_vec()
        }
        1 => {
            let name: Vec<u8> = name
                .iter()
                .copied()
                .filter(|&b| b != b'/' && b != b'\\')
                .collect();
            let mut path = fixtures::vector_path("keys").into_os_string().into_vec();
            path.push(b'/');
            // Only a file of vectors/keys (a name with ".." would be a directory above it).
            path.extend(if name.windows(2).any(|w| w == b"..") {
                b"missing".to_vec()
            } else {
                name
            });
            // A vector key's text is as secret as any key.
            *file_contents = std::fs::read(std::ffi::OsStr::from_bytes(&path)).ok();
            path
        }
        2 => {
            let mut path = own.clone();
            path.extend_from_slice(b"/missing-");
            path.extend(name.iter().map(|&b| if b == b'/' { b'_' } else { b }));
            path
        }
        _ => own,
    }
}

/// Whether the library may quote `value` of variable `index`: an ID that could be one (the
/// characters of `layer:///providers/<uuid>`, no longer), a short plain token type, a path
/// that is not key text.
fn shown_as_is(index: usize, value: &[u8]) -> bool {
    match index {
        PROVIDER | KEY_ID => {
            value.len() <= "layer:///providers/".len() + 36
                && value
                    .iter()
                    .all(|&b| b.is_ascii_hexdigit() || b"layer:/providerskey-".contains(&b))
        }
        TOKEN_TYPE => value.len() <= 8 && value.iter().all(u8::is_ascii_alphanumeric),
        _ => {
            let base64_run = value
                .split(|b| !(b.is_ascii_alphanumeric() || *b == b'+' || *b == b'='))
                .map(<[u8]>::len)
                .max()
                .unwrap_or(0);
            !value.windows(10).any(|w| w == b"-----BEGIN")
                && !value.contains(&b'\n')
                && value.len() <= 512
                && base64_run <= 64
        }
    }
}

struct Expectation {
    /// The variables a failure's message must name.
    names: Vec<&'static str>,
    /// A variable is wrong: the signer must not be made.
    invalid: bool,
    /// Every variable is valid and the key is a vector key that needs no passphrase.
    must_succeed: bool,
}

/// Which variable is wrong, from the README's table ("Configuration from the environment") and
/// the checks in its order: provider ID, key ID, token type, then the key's source.
fn expectation(values: &[Option<Vec<u8>>; 6]) -> Expectation {
    let value = |index: usize| values[index].as_deref().filter(|v| !v.is_empty());
    let wrong = |index: usize| Expectation {
        names: vec![VARS[index]],
        invalid: true,
        must_succeed: false,
    };
    for (index, kind) in [(PROVIDER, "providers"), (KEY_ID, "keys")] {
        match value(index).and_then(|v| std::str::from_utf8(v).ok()) {
            Some(id) if is_layer_id(id, kind) => {}
            _ => return wrong(index),
        }
    }
    if let Some(token_type) = value(TOKEN_TYPE) {
        if !token_type.eq_ignore_ascii_case(b"JWS") && !token_type.eq_ignore_ascii_case(b"JWT") {
            return wrong(TOKEN_TYPE);
        }
    }
    match (value(KEY), value(PATH)) {
        (Some(_), Some(_)) | (None, None) => Expectation {
            names: vec![VARS[KEY], VARS[PATH]],
            invalid: true,
            must_succeed: false,
        },
        (Some(key), None) => Expectation {
            names: vec![VARS[KEY]],
            invalid: false,
            must_succeed: key == fixtures::RSA2048_PRIVATE_PEM,
        },
        (None, Some(path)) => Expectation {
            names: vec![VARS[PATH]],
            invalid: false,
            must_succeed: path
                == fixtures::vector_path("keys/rsa2048.pkcs8.pem")
                    .into_os_string()
                    .into_vec(),
        },
    }
}

/// `layer:///<kind>/<uuid>` or a bare UUID (8-4-4-4-12 hexadecimal digits, either case).
fn is_layer_id(id: &str, kind: &str) -> bool {
    let uuid = id.strip_prefix(&format!("layer:///{kind}/")).unwrap_or(id);
    let groups: Vec<&str> = uuid.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}
