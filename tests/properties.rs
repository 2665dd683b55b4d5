//! Properties over generated inputs: any user ID and nonce round-trip exactly (and PyJWT and
//! the openssl CLI accept every token), and no input makes the verifier, the key loader or the
//! attributes parser panic.

mod support;

use std::sync::Mutex;

use layer_identity::{
    load_private_key, load_public_key, Attributes, ErrorKind, Flags, Signer, Verifier,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use support::{openssl_verify_all, pyjwt_verify_all, vector_file, KEY_ID, PROVIDER_ID};

const ISSUED_AT: i64 = 1_700_000_000;

fn new_signer_and_verifier() -> (Signer, Verifier) {
    let private = vector_file("keys/rsa2048.pkcs8.pem");
    (
        Signer::new(&private, None, PROVIDER_ID, KEY_ID, Flags::default()).unwrap(),
        Verifier::new(&private, PROVIDER_ID, KEY_ID, Flags::default()).unwrap(),
    )
}

/// Any non-empty string of arbitrary characters, control characters included; U+0000 is
/// refused (see below), so it is left out.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        any::<char>().prop_filter("not U+0000", |c| *c != '\0'),
        1..80,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

#[test]
fn u_0000_anywhere_is_refused_naming_the_argument() {
    let (signer, _) = shared();
    let mut runner = TestRunner::new(Config::with_cases(64));
    runner
        .run(&(text(), text(), 0usize..6), |(text, other, which)| {
            let mut values = [
                other.clone(),
                other.clone(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ];
            values[which] = format!("{text}\0{other}");
            let attributes = Attributes {
                first_name: Some(values[2].clone()),
                last_name: Some(values[3].clone()),
                display_name: Some(values[4].clone()),
                avatar_url: Some(values[5].clone()),
                ..Attributes::default()
            };
            let error = signer
                .sign(&values[0], &values[1], Some(ISSUED_AT), None, &attributes)
                .unwrap_err();
            let name = [
                "user_id",
                "nonce",
                "first_name",
                "last_name",
                "display_name",
                "avatar_url",
            ][which];
            prop_assert!(
                error
                    .message()
                    .starts_with(&format!("{name} contains U+0000")),
                "{}",
                error
            );
            Ok(())
        })
        .unwrap();
}

#[test]
fn arbitrary_user_ids_and_nonces_round_trip_exactly() {
    let (signer, verifier) = shared();
    let minted = Mutex::new(Vec::new());
    let mut runner = TestRunner::new(Config::with_cases(256));
    runner
        .run(&(text(), text(), 0u32..100_000), |(user, nonce, ttl)| {
            let token = signer
                .sign(
                    &user,
                    &nonce,
                    Some(ISSUED_AT),
                    Some(ttl).filter(|t| *t > 0),
                    &Attributes::default(),
                )
                .unwrap();
            let verified = verifier
                .verify(&token, Some(&nonce), Some(ISSUED_AT), 0)
                .unwrap();
            prop_assert_eq!(&verified.claims.prn, &user);
            prop_assert_eq!(&verified.claims.nce, &nonce);
            let expected_ttl = if ttl == 0 { 600 } else { i64::from(ttl) };
            prop_assert_eq!(verified.claims.exp - verified.claims.iat, expected_ttl);
            // serde_json reads back what the signer wrote, member for member.
            let claims: serde_json::Value = serde_json::from_str(&verified.claims_json).unwrap();
            prop_assert_eq!(claims["prn"].as_str(), Some(user.as_str()));
            minted.lock().unwrap().push((token, user, nonce));
            Ok(())
        })
        .unwrap();

    let minted = minted.into_inner().unwrap();
    let tokens: Vec<String> = minted.iter().map(|(token, _, _)| token.clone()).collect();
    let public = vector_file("keys/rsa2048.public.pem");
    openssl_verify_all(&tokens, &public);
    let decoded = pyjwt_verify_all(&tokens, &public);
    for (decoded, (_, user, nonce)) in decoded.iter().zip(&minted) {
        assert_eq!(decoded.claims["prn"].as_str(), Some(user.as_str()));
        assert_eq!(decoded.claims["nce"].as_str(), Some(nonce.as_str()));
    }
}

proptest! {
    #![proptest_config(Config::with_cases(2000))]

    #[test]
    fn the_verifier_rejects_arbitrary_bytes_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let (_, verifier) = shared();
        let token = String::from_utf8_lossy(&bytes);
        prop_assert!(verifier.verify(&token, None, Some(ISSUED_AT), 0).is_err());
    }

    #[test]
    fn the_verifier_rejects_three_random_base64url_parts(
        parts in prop::collection::vec("[A-Za-z0-9_-]{0,400}", 3)
    ) {
        let (_, verifier) = shared();
        let token = parts.join(".");
        let error = verifier.verify(&token, None, Some(ISSUED_AT), 0).unwrap_err();
        prop_assert!(error.eit().is_some(), "every rejection names its rule: {}", error);
    }

    #[test]
    fn any_changed_character_breaks_a_valid_token(position in any::<prop::sample::Index>(), replacement in "[A-Za-z0-9_.=+/ -]") {
        let (signer, verifier) = shared();
        let token = signer.sign("user", "nonce", Some(ISSUED_AT), None, &Attributes::default()).unwrap();
        let index = position.index(token.len());
        let mut tampered = token.clone();
        tampered.replace_range(index..index + 1, &replacement);
        prop_assume!(tampered != token);
        prop_assert!(verifier.verify(&tampered, None, Some(ISSUED_AT), 0).is_err());
    }

    #[test]
    fn key_loading_rejects_arbitrary_bytes_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        prop_assert!(load_private_key(&bytes, None).is_err());
        prop_assert!(load_public_key(&bytes).is_err());
    }

    #[test]
    fn a_damaged_pem_key_is_an_error_not_a_panic(position in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut pem = vector_file("keys/rsa2048.pkcs8.pem");
        let index = position.index(pem.len());
        pem[index] = byte;
        if let Err(error) = load_private_key(&pem, None) {
            prop_assert!(matches!(error.kind(), ErrorKind::InvalidKey), "{:?}: {}", error.kind(), error);
        }
    }

    #[test]
    fn attributes_json_never_panics(text in "\\PC{0,80}") {
        let _ = Attributes::from_json(&text);
    }
}

/// Key decoding is slow; the generated cases share one signer and verifier.
fn shared() -> &'static (Signer, Verifier) {
    static SHARED: std::sync::OnceLock<(Signer, Verifier)> = std::sync::OnceLock::new();
    SHARED.get_or_init(new_signer_and_verifier)
}
