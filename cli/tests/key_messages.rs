//! No CLI message quotes key text: the malformed keys of tests/key_messages.rs through the
//! `layer-identity` binary (a key file, `LAYER_PRIVATE_KEY`, `LAYER_PRIVATE_KEY_PATH`), and
//! secrets put where an ID or the token type belongs.

#[path = "../../tests/support/mod.rs"]
mod support;

use std::process::Command;

use support::malformed_keys::{
    assert_quotes_nothing, malformed_keys, misplaced_secrets, secret_part,
};
use support::{vector_file, TempDir, KEY_ID, PROVIDER_ID};

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
