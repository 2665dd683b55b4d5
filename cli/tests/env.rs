//! The shared environment vectors (vectors/env.json) through the CLI, which reads the
//! environment with the library's code: the same verdict, the same token, the same words as
//! `layer_signer_from_env` (tests/env.rs).

#[path = "../../tests/support/mod.rs"]
mod support;

use std::process::Command;

use support::{env_value, vector_json};

const VARS: [&str; 6] = [
    "LAYER_PROVIDER_ID",
    "LAYER_KEY_ID",
    "LAYER_PRIVATE_KEY",
    "LAYER_PRIVATE_KEY_PATH",
    "LAYER_PRIVATE_KEY_PASSPHRASE",
    "LAYER_TOKEN_TYPE",
];

#[test]
fn environment_vectors_through_the_cli() {
    let cases = vector_json("env.json");
    let cases = cases["cases"].as_array().unwrap();
    let mut cli_checked = 0;
    // Cases with flags have no CLI equivalent of the flag through the environment alone.
    for case in cases
        .iter()
        .filter(|case| case["flags"].as_array().is_some_and(Vec::is_empty))
    {
        let name = case["name"].as_str().unwrap();
        let expected = case["expected_status"].as_str().unwrap();
        let inputs = &case["sign"];
        let mut command = Command::new(env!("CARGO_BIN_EXE_layer-identity"));
        for var in VARS {
            command.env_remove(var);
        }
        for (var, spec) in case["env"].as_object().unwrap() {
            command.env(var, env_value(spec));
        }
        command.args(["sign", "--user-id", "alice", "--nonce", "n"]);
        if expected == "LAYER_OK" {
            command.args([
                "--user-id",
                inputs["user_id"].as_str().unwrap(),
                "--nonce",
                inputs["nonce"].as_str().unwrap(),
                "--issued-at",
                &inputs["issued_at"].to_string(),
            ]);
            if inputs["ttl_seconds"].as_u64() != Some(0) {
                command.args(["--ttl", &inputs["ttl_seconds"].to_string()]);
            }
        }
        let output = command.output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if expected == "LAYER_OK" {
            assert!(output.status.success(), "{name}: CLI {stderr}");
            assert_eq!(
                Some(stdout.trim_end()),
                case["expected_token"].as_str(),
                "{name}"
            );
        } else {
            assert_eq!(output.status.code(), Some(2), "{name}: CLI {stderr}");
            let fragment = case["message_contains"].as_str().unwrap();
            assert!(
                stderr.to_lowercase().contains(fragment),
                "{name}: CLI {stderr}"
            );
        }
        cli_checked += 1;
    }
    assert!(
        cli_checked >= 10,
        "only {cli_checked} cases through the CLI"
    );
}
