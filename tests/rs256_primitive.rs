//! The RS256 primitive against public known answers: RFC 7515 Appendix A.2 and Project
//! Wycheproof's RSASSA-PKCS1-v1_5 SHA-256 vectors (tests/data, copied with their license).

use std::path::PathBuf;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use layer_identity::rs256::{Rs256Signer, Rs256Verifier};
use layer_identity::{load_private_key, load_public_key};
use serde_json::Value;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn json(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(data(name)).unwrap()).unwrap()
}

fn hex(text: &str) -> Vec<u8> {
    assert!(text.len() % 2 == 0, "odd hex length");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn rfc7515_a2_signature_is_reproduced_byte_for_byte_from_every_key_form() {
    let vector = json("rfc7515_a2.json");
    let signing_input = vector["signing_input"].as_str().unwrap();
    let expected = vector["signature_b64url"].as_str().unwrap();
    for file in [
        "rfc7515_a2_private_pkcs8.pem",
        "rfc7515_a2_private_pkcs1.pem",
    ] {
        let key = load_private_key(&std::fs::read(data(file)).unwrap(), None).unwrap();
        let signature = Rs256Signer::new(&key)
            .unwrap()
            .sign(signing_input.as_bytes())
            .unwrap();
        assert_eq!(URL_SAFE_NO_PAD.encode(&signature), expected, "{file}");
        assert_eq!(hex(vector["signature_hex"].as_str().unwrap()), signature);
    }
    let public =
        load_public_key(&std::fs::read(data("rfc7515_a2_public_spki.pem")).unwrap()).unwrap();
    let verifier = Rs256Verifier::new(public).unwrap();
    let signature = URL_SAFE_NO_PAD.decode(expected).unwrap();
    assert!(verifier.verify(signing_input.as_bytes(), &signature));
    assert!(!verifier.verify(b"another message", &signature));
}

struct Tally {
    valid: usize,
    invalid: usize,
    acceptable: usize,
}

fn run_verify_file(name: &str) -> Tally {
    let file = json(&format!("wycheproof/{name}"));
    let mut tally = Tally {
        valid: 0,
        invalid: 0,
        acceptable: 0,
    };
    for group in file["testGroups"].as_array().unwrap() {
        assert_eq!(group["sha"], "SHA-256");
        let pem = group["publicKeyPem"].as_str().unwrap();
        let verifier = Rs256Verifier::new(load_public_key(pem.as_bytes()).unwrap()).unwrap();
        for test in group["tests"].as_array().unwrap() {
            let id = &test["tcId"];
            let message = hex(test["msg"].as_str().unwrap());
            let signature = hex(test["sig"].as_str().unwrap());
            let verdict = verifier.verify(&message, &signature);
            match test["result"].as_str().unwrap() {
                "valid" => {
                    assert!(verdict, "{name} tcId {id} must verify: {}", test["comment"]);
                    tally.valid += 1;
                }
                "invalid" => {
                    assert!(
                        !verdict,
                        "{name} tcId {id} must not verify: {}",
                        test["comment"]
                    );
                    tally.invalid += 1;
                }
                // MissingNull DigestInfo: either answer passes; OpenSSL's strict
                // encode-and-compare rejects it, and so do we.
                "acceptable" => {
                    assert!(!verdict, "{name} tcId {id}: expected the strict answer");
                    tally.acceptable += 1;
                }
                other => panic!("unknown result {other}"),
            }
        }
    }
    tally
}

#[test]
fn wycheproof_verification_2048() {
    let tally = run_verify_file("rsa_signature_2048_sha256_test.json");
    assert_eq!((tally.valid, tally.invalid, tally.acceptable), (9, 249, 1));
}

#[test]
fn wycheproof_verification_3072() {
    let tally = run_verify_file("rsa_signature_3072_sha256_test.json");
    assert_eq!((tally.valid, tally.invalid, tally.acceptable), (8, 250, 1));
}

#[test]
fn wycheproof_verification_4096() {
    let tally = run_verify_file("rsa_signature_4096_sha256_test.json");
    assert_eq!((tally.valid, tally.invalid, tally.acceptable), (7, 250, 1));
}

#[test]
fn wycheproof_signing_known_answers() {
    let mut checked = 0;
    for bits in [2048, 3072, 4096] {
        let file = json(&format!("wycheproof/rsa_pkcs1_{bits}_sig_gen_test.json"));
        for group in file["testGroups"].as_array().unwrap() {
            if group["sha"] != "SHA-256" {
                continue;
            }
            let pem = group["privateKeyPem"].as_str().unwrap();
            let signer =
                Rs256Signer::new(&load_private_key(pem.as_bytes(), None).unwrap()).unwrap();
            assert_eq!(signer.bits(), bits);
            for test in group["tests"].as_array().unwrap() {
                let signature = signer.sign(&hex(test["msg"].as_str().unwrap())).unwrap();
                assert_eq!(
                    signature,
                    hex(test["sig"].as_str().unwrap()),
                    "{bits}-bit tcId {}",
                    test["tcId"]
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 27, "10 + 9 + 8 SHA-256 signing known answers");
}
