//! The rule-by-rule report (`layer_identity::report`) never contradicts the verifier: over
//! every shared verification vector and over property-generated damage to valid tokens, the
//! token is valid exactly when every rule passes (the nonce's only when one is expected), and
//! otherwise the first rule that fails is the verdict's, with the same message.

mod support;

use layer_identity::report::{self, Outcome, Report, Rule};
use layer_identity::{Attributes, Flags, Signer, Verifier};
use proptest::prelude::*;
use support::{vector_file, vector_json, KEY_ID, PROVIDER_ID};

fn assert_agrees(report: &Report, expected_nonce: Option<&str>, context: &str) {
    let first_failure = report.checks.iter().find_map(|check| match &check.outcome {
        Outcome::Fail(error) => Some((check.rule, error)),
        _ => None,
    });
    match (&report.verdict, first_failure) {
        (Ok(_), None) => {
            for check in &report.checks {
                let nonce_unchecked = check.rule == Rule::Nonce && expected_nonce.is_none();
                assert!(
                    check.outcome == Outcome::Pass || nonce_unchecked,
                    "{context}: valid, but {:?} is {:?}",
                    check.rule,
                    check.outcome
                );
            }
        }
        (Err(verdict), Some((rule, error))) => {
            assert_eq!(
                verdict, error,
                "{context}: the first failing rule is {rule:?}"
            );
            assert_eq!(verdict.eit(), Some(rule.eit()), "{context}");
        }
        (verdict, failure) => panic!("{context}: verdict {verdict:?}, first failure {failure:?}"),
    }
    // A rule is only left unchecked after a failure (or for want of a nonce).
    let first_unchecked = report.checks.iter().position(|check| {
        matches!(check.outcome, Outcome::NotChecked(_))
            && !(check.rule == Rule::Nonce && expected_nonce.is_none())
    });
    if let Some(unchecked) = first_unchecked {
        let failed_before = report.checks[..unchecked]
            .iter()
            .any(|check| matches!(check.outcome, Outcome::Fail(_)));
        assert!(failed_before, "{context}: unchecked with no failure before");
    }
    let rules: Vec<Rule> = report.checks.iter().map(|check| check.rule).collect();
    assert_eq!(rules, Rule::ALL, "{context}");
}

#[test]
fn the_report_agrees_with_every_verification_vector() {
    let cases = vector_json("verify.json");
    let mut checked = 0;
    for case in cases["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let key = vector_file(case["key_file"].as_str().unwrap());
        let flags =
            case["flags"]
                .as_array()
                .unwrap()
                .iter()
                .fold(Flags::default(), |flags, flag| {
                    flags
                        | match flag.as_str().unwrap() {
                            "TYP_JWT" => Flags::TYP_JWT,
                            "ALLOW_1024_BIT_KEY" => Flags::ALLOW_1024_BIT_KEY,
                            other => panic!("unknown flag {other}"),
                        }
                });
        let provider_id = case["provider_id"].as_str().unwrap();
        let key_id = case["key_id"].as_str().unwrap();
        let Ok(verifier) = Verifier::new(&key, provider_id, key_id, flags) else {
            continue; // a case about the verifier's own arguments
        };
        let nonce = case["expected_nonce"].as_str();
        let now = case["now"].as_i64().filter(|&now| now != 0);
        let leeway = case["leeway_seconds"].as_u64().unwrap() as u32;
        let token = case["token"].as_str().unwrap();
        let Ok(report) = report::check(&verifier, token, nonce, now, leeway) else {
            assert!(
                verifier.verify(token, nonce, now, leeway).is_err(),
                "{name}"
            );
            continue;
        };
        let expected_eit = case["expected_eit"].as_str();
        assert_eq!(
            report
                .verdict
                .as_ref()
                .err()
                .and_then(|e| e.eit())
                .map(|e| e.as_str()),
            expected_eit,
            "{name}"
        );
        assert_agrees(&report, nonce, name);
        checked += 1;
    }
    assert!(checked >= 150, "only {checked} vectors checked");
}

fn valid_token() -> String {
    let pem = vector_file("keys/rsa2048.pkcs8.pem");
    Signer::new(&pem, None, PROVIDER_ID, KEY_ID, Flags::default())
        .unwrap()
        .sign(
            "alice",
            "the-nonce",
            Some(1_700_000_000),
            None,
            &Attributes::default(),
        )
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Damage anywhere in a valid token (a byte replaced, removed or inserted), at any time
    /// and with or without the nonce: the report and the verifier agree.
    #[test]
    fn damaged_tokens(
        position in 0usize..1000,
        byte in prop::sample::select(b"A_-.=+/{}\"x0 ".to_vec()),
        edit in 0u8..3,
        now in prop::sample::select(vec![1_699_999_000i64, 1_700_000_100, 1_700_009_000]),
        with_nonce: bool,
    ) {
        let pem = vector_file("keys/rsa2048.public.pem");
        let verifier = Verifier::new(&pem, PROVIDER_ID, KEY_ID, Flags::default()).unwrap();
        let mut token = valid_token().into_bytes();
        let at = position % token.len();
        match edit {
            0 => token[at] = byte,
            1 => { token.remove(at); }
            _ => token.insert(at, byte),
        }
        let token = String::from_utf8(token).unwrap();
        let nonce = with_nonce.then_some("the-nonce");
        let report = report::check(&verifier, &token, nonce, Some(now), 60).unwrap();
        assert_agrees(&report, nonce, &token);
    }
}
