//! No CLI message quotes key text: the malformed keys of tests/key_messages.rs through the
//! `layer-identity` binary (a key file, `LAYER_PRIVATE_KEY`, `LAYER_PRIVATE_KEY_PATH`).

#[path = "../../tests/support/mod.rs"]
mod support;

use std::process::Command;

use support::malformed_keys::{assert_quotes_nothing, malformed_keys};
use support::{TempDir, KEY_ID, PROVIDER_ID};

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
