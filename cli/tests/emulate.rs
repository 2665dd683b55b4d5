//! `layer-identity emulate` as a real process: nonces, sessions, and every way Layer refused a
//! session (the message starting with the eit_* identifier).

#[path = "../../tests/support/mod.rs"]
mod support;

mod process;

use std::time::Duration;

use layer_identity::{Attributes, Flags, Signer};
use process::{post_json, request, run_to_end, Process};
use serde_json::{json, Value};
use support::{repo_path, KEY_ID, PROVIDER_ID};

const OTHER_KEY_ID: &str = "layer:///keys/11111111-2222-4333-8444-555555555555";
const APP_ID: &str = "layer:///apps/staging/6a4e0c1e-0000-4000-8000-000000000001";

fn key_file(name: &str) -> String {
    repo_path("vectors/keys").join(name).display().to_string()
}

fn emulator(extra: &[&str]) -> Process {
    let first = format!("{KEY_ID}={}", key_file("rsa2048.public.pem"));
    let second = format!("{OTHER_KEY_ID}={}", key_file("rsa2048-other.public.pem"));
    let mut args = vec![
        "emulate",
        "--provider-id",
        PROVIDER_ID,
        "--key",
        &first,
        "--key",
        &second,
    ];
    args.extend_from_slice(extra);
    Process::start(&args, &[])
}

fn nonce(emulator: &Process) -> String {
    let response = request(emulator.addr, "POST", "/nonces", &[], b"");
    assert_eq!(response.status, 201);
    response.json()["nonce"].as_str().unwrap().to_owned()
}

fn token(key: &str, key_id: &str, provider_id: &str, nonce: &str) -> String {
    let pem = std::fs::read(repo_path("vectors/keys").join(key)).unwrap();
    Signer::new(&pem, None, provider_id, key_id, Flags::default())
        .unwrap()
        .sign("alice", nonce, None, None, &Attributes::default())
        .unwrap()
}

fn session(emulator: &Process, token: &str) -> (u16, Value) {
    let response = post_json(
        emulator.addr,
        "/sessions",
        &[],
        &json!({"identity_token": token, "app_id": APP_ID}).to_string(),
    );
    (response.status, response.json())
}

fn assert_refused(answer: (u16, Value), eit: &str) {
    let (status, body) = answer;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["id"], "invalid_property");
    assert_eq!(body["code"], 105);
    assert_eq!(body["data"], json!({"property": "identity_token"}));
    let message = body["message"].as_str().unwrap();
    assert!(message.starts_with(&format!("{eit}: ")), "{message}");
}

#[test]
fn a_nonce_buys_one_session_with_any_registered_key() {
    let emulator = emulator(&[]);
    let first = nonce(&emulator);
    let second = nonce(&emulator);
    assert_ne!(first, second);
    assert!(first.len() >= 32, "{first}");

    let (status, body) = session(
        &emulator,
        &token("rsa2048.pkcs8.pem", KEY_ID, PROVIDER_ID, &first),
    );
    assert_eq!(status, 201, "{body}");
    assert!(body["session_token"].as_str().unwrap().len() >= 32);
    // The same nonce again: used.
    assert_refused(
        session(
            &emulator,
            &token("rsa2048.pkcs8.pem", KEY_ID, PROVIDER_ID, &first),
        ),
        "eit_nonce_not_found",
    );
    // The second registered key works as well.
    let (status, _) = session(
        &emulator,
        &token(
            "rsa2048-other.pkcs8.pem",
            OTHER_KEY_ID,
            PROVIDER_ID,
            &second,
        ),
    );
    assert_eq!(status, 201);
}

#[test]
fn each_bad_token_is_refused_with_its_eit() {
    let emulator = emulator(&[]);
    let fresh = nonce(&emulator);
    let unregistered = "layer:///keys/99999999-2222-4333-8444-555555555555";
    let other_provider = "layer:///providers/99999999-2222-4333-8444-555555555555";
    for (token, eit) in [
        (
            token("rsa2048.pkcs8.pem", KEY_ID, PROVIDER_ID, "never-issued"),
            "eit_nonce_not_found",
        ),
        (
            token("rsa2048-other.pkcs8.pem", KEY_ID, PROVIDER_ID, &fresh),
            "eit_signature_verification_failed",
        ),
        (
            token("rsa2048.pkcs8.pem", unregistered, PROVIDER_ID, &fresh),
            "eit_key_not_found",
        ),
        (
            token("rsa2048.pkcs8.pem", KEY_ID, other_provider, &fresh),
            "eit_provider_not_found",
        ),
        ("not.a-token.here!".to_owned(), "eit_malformed_base64url"),
        ("abc".to_owned(), "eit_wrong_jws_part_count"),
    ] {
        assert_refused(session(&emulator, &token), eit);
    }
    // None of the refusals used the nonce up.
    let (status, _) = session(
        &emulator,
        &token("rsa2048.pkcs8.pem", KEY_ID, PROVIDER_ID, &fresh),
    );
    assert_eq!(status, 201);
}

#[test]
fn nonces_expire() {
    let emulator = emulator(&["--nonce-ttl", "1"]);
    let stale = nonce(&emulator);
    std::thread::sleep(Duration::from_millis(2100));
    assert_refused(
        session(
            &emulator,
            &token("rsa2048.pkcs8.pem", KEY_ID, PROVIDER_ID, &stale),
        ),
        "eit_nonce_not_found",
    );
}

#[test]
fn the_request_must_carry_both_properties_and_the_app() {
    let emulator = emulator(&["--app-id", APP_ID]);
    let fresh = nonce(&emulator);
    let token = token("rsa2048.pkcs8.pem", KEY_ID, PROVIDER_ID, &fresh);
    for (body, status, id, property) in [
        (
            json!({"app_id": APP_ID}),
            422,
            "missing_property",
            "identity_token",
        ),
        (
            json!({"identity_token": token}),
            422,
            "missing_property",
            "app_id",
        ),
        (
            json!({"identity_token": 5, "app_id": APP_ID}),
            422,
            "invalid_property",
            "identity_token",
        ),
        (
            json!({"identity_token": token, "app_id": "layer:///apps/staging/other"}),
            422,
            "invalid_property",
            "app_id",
        ),
    ] {
        let response = post_json(emulator.addr, "/sessions", &[], &body.to_string());
        assert_eq!(response.status, status, "{body}");
        let answer = response.json();
        assert_eq!(answer["id"], id, "{body}");
        assert_eq!(answer["data"]["property"], property);
    }
    let not_json = post_json(emulator.addr, "/sessions", &[], "nope");
    assert_eq!(not_json.status, 400);
    assert_eq!(
        request(emulator.addr, "GET", "/nonces", &[], b"").status,
        405
    );
    assert_eq!(
        request(emulator.addr, "POST", "/other", &[], b"").status,
        404
    );
    // The refusals did not use the nonce.
    let (status, _) = session(&emulator, &token);
    assert_eq!(status, 201);
}

#[test]
fn keys_from_the_environment_and_bad_configuration() {
    let public = key_file("rsa2048.public.pem");
    let emulator = Process::start(
        &["emulate"],
        &[
            ("LAYER_PROVIDER_ID", PROVIDER_ID),
            ("LAYER_KEY_ID", KEY_ID),
            ("LAYER_PUBLIC_KEY_PATH", &public),
        ],
    );
    let fresh = nonce(&emulator);
    let (status, _) = session(
        &emulator,
        &token("rsa2048.pkcs8.pem", KEY_ID, PROVIDER_ID, &fresh),
    );
    assert_eq!(status, 201);

    let output = run_to_end(&["emulate", "--provider-id", PROVIDER_ID], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("LAYER_KEY_ID"));
    let output = run_to_end(
        &[
            "emulate",
            "--provider-id",
            PROVIDER_ID,
            "--key",
            "not-a-key-id=x.pem",
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    let output = run_to_end(&["emulate", "--key", &format!("{KEY_ID}={public}")], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("LAYER_PROVIDER_ID"));
}
