//! The shared environment vectors (vectors/env.json) through `layer_signer_from_env` (and, in
//! cli/tests/env.rs, through the CLI, which reads the environment with the same code).
//!
//! The environment is process-wide, so this binary has a single test that sets and clears the
//! variables itself, one case after the other.

mod support;

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use layer_identity::ffi::*;
use serde_json::Value;
use support::{env_value, vector_json};

const VARS: [&str; 6] = [
    "LAYER_PROVIDER_ID",
    "LAYER_KEY_ID",
    "LAYER_PRIVATE_KEY",
    "LAYER_PRIVATE_KEY_PATH",
    "LAYER_PRIVATE_KEY_PASSPHRASE",
    "LAYER_TOKEN_TYPE",
];

fn flag_bits(case: &Value) -> u32 {
    case["flags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|name| match name.as_str().unwrap() {
            "TYP_JWT" => LAYER_FLAG_TYP_JWT,
            "ALLOW_1024_BIT_KEY" => LAYER_FLAG_ALLOW_1024_BIT_KEY,
            other => panic!("unknown flag {other}"),
        })
        .fold(0, |bits, flag| bits | flag)
}

fn take(s: *mut c_char) -> String {
    let text = unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned();
    unsafe { layer_string_free(s) };
    text
}

fn sign(signer: *const LayerSigner, inputs: &Value) -> String {
    let user = CString::new(inputs["user_id"].as_str().unwrap()).unwrap();
    let nonce = CString::new(inputs["nonce"].as_str().unwrap()).unwrap();
    let mut token = ptr::null_mut();
    let mut error = ptr::null_mut();
    let status = unsafe {
        layer_signer_sign(
            signer,
            user.as_ptr(),
            nonce.as_ptr(),
            inputs["issued_at"].as_i64().unwrap(),
            inputs["ttl_seconds"].as_u64().unwrap() as u32,
            ptr::null(),
            &mut token,
            &mut error,
        )
    };
    assert_eq!(status, LayerStatus::LAYER_OK, "{}", take(error));
    take(token)
}

#[test]
fn environment_vectors_through_the_c_abi() {
    let cases = vector_json("env.json");
    let cases = cases["cases"].as_array().unwrap();
    assert!(cases.len() >= 20, "only {} environment cases", cases.len());
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let env: Vec<(&str, String)> = case["env"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(var, spec)| (var.as_str(), env_value(spec)))
            .collect();
        for var in VARS {
            std::env::remove_var(var);
        }
        for (var, value) in &env {
            std::env::set_var(var, value);
        }
        let mut signer = ptr::null_mut();
        let mut error = ptr::null_mut();
        let status = unsafe { layer_signer_from_env(flag_bits(case), &mut signer, &mut error) };
        let expected = case["expected_status"].as_str().unwrap();
        let status_name = unsafe { CStr::from_ptr(layer_status_name(status as i32)) };
        if expected == "LAYER_OK" {
            assert_eq!(status, LayerStatus::LAYER_OK, "{name}: {}", take(error));
            let token = sign(signer, &case["sign"]);
            assert_eq!(
                Some(token.as_str()),
                case["expected_token"].as_str(),
                "{name}"
            );
            unsafe { layer_signer_free(signer) };
        } else {
            let message = take(error);
            assert_eq!(status_name.to_str().unwrap(), expected, "{name}: {message}");
            assert!(signer.is_null(), "{name}: out_signer written on failure");
            let fragment = case["message_contains"].as_str().unwrap();
            assert!(
                message.to_lowercase().contains(fragment),
                "{name}: {message:?} lacks {fragment:?}"
            );
            // Secrets never reach a message: the passphrase, or any 16-byte piece of key text.
            for (var, value) in &env {
                match *var {
                    "LAYER_PRIVATE_KEY_PASSPHRASE" if !value.is_empty() => {
                        assert!(
                            !message.contains(value.as_str()),
                            "{name}: passphrase in {message:?}"
                        )
                    }
                    "LAYER_PRIVATE_KEY" => assert!(
                        value
                            .as_bytes()
                            .windows(16)
                            .all(|piece| !message.as_bytes().windows(16).any(|w| w == piece)),
                        "{name}: key text in {message:?}"
                    ),
                    _ => {}
                }
            }
        }
    }
    for var in VARS {
        std::env::remove_var(var);
    }
}
