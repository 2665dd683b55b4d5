//! Arbitrary token bytes, expected nonce, `now` and leeway against one verifier (the vectors'
//! `rsa2048.public.pem` and IDs). No panic; the verdict is the rule oracle's
//! (`layer_identity_fuzz::oracle`); an accepted token's claims JSON is its decoded payload
//! and its claims agree with that JSON; verifying again gives the same; and the C ABI's
//! `layer_verifier_verify_n`, `_verify_into`, `_verify` and `_verify_claims` give what the Rust
//! API gives.
//!
//! Input: `[options u8][now u32 LE][leeway u32 LE][nonce: u8 length, bytes][token: the rest]`.
//! Options: bits 0-1 the nonce (0 none, 2 empty, 1 and 3 the given bytes); bit 2 an
//! out-of-range `now` instead (negative, milliseconds, extremes); bit 3 an out-of-range leeway.

#![no_main]

use std::sync::OnceLock;

use layer_identity::ffi::LayerClaimText;
use layer_identity::{Flags, VerifiedToken, Verifier};
use layer_identity_fuzz::abi::{self, CClaims, CVerifier, Outcome};
use layer_identity_fuzz::fixtures::{self, KEY_ID, PROVIDER_ID, RSA2048_PUBLIC_PEM};
use layer_identity_fuzz::input::Input;
use layer_identity_fuzz::{b64, oracle};
use libfuzzer_sys::fuzz_target;

struct Fixed {
    verifier: Verifier,
    c_verifier: CVerifier,
    oracle: oracle::Config,
}

// SAFETY: a `LayerVerifier` is immutable and safe to share between threads (the header says so).
unsafe impl Send for Fixed {}
unsafe impl Sync for Fixed {}

fn fixed() -> &'static Fixed {
    static FIXED: OnceLock<Fixed> = OnceLock::new();
    FIXED.get_or_init(|| Fixed {
        verifier: Verifier::new(RSA2048_PUBLIC_PEM, PROVIDER_ID, KEY_ID, Flags::default())
            .expect("the vector key"),
        c_verifier: CVerifier::new(
            RSA2048_PUBLIC_PEM,
            PROVIDER_ID.as_bytes(),
            KEY_ID.as_bytes(),
            0,
        )
        .expect("the vector key"),
        oracle: oracle::Config {
            public_key: fixtures::public_key(RSA2048_PUBLIC_PEM),
            provider_id: PROVIDER_ID.to_owned(),
            key_id: KEY_ID.to_owned(),
        },
    })
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let options = input.u8();
    let now_field = input.u32();
    let leeway_field = input.u32();
    let nonce_field = input.short();
    let token = input.rest();
    let nonce: Option<&[u8]> = match options & 3 {
        0 => None,
        2 => Some(b""),
        _ => Some(nonce_field),
    };
    let now: i64 = if options & 4 != 0 {
        [-1, oracle_milliseconds(), i64::MAX, i64::MIN][now_field as usize % 4]
    } else {
        now_field.into()
    };
    let leeway: i64 = if options & 8 != 0 {
        [-1, i64::from(u32::MAX) + 1][leeway_field as usize % 2]
    } else {
        leeway_field.into()
    };
    check(token, nonce, now, leeway);
});

fn oracle_milliseconds() -> i64 {
    layer_identity::MILLISECONDS_THRESHOLD
}

fn check(token: &[u8], nonce: Option<&[u8]>, now: i64, leeway: i64) {
    let fixed = fixed();
    let c_result = fixed.c_verifier.verify_n(token, nonce, now, leeway);
    let into = fixed.c_verifier.verify_into(token, nonce, now, leeway);
    assert_eq!(c_result, into, "verify_n and verify_into disagree");

    // What the C ABI refuses before verifying: its arguments as pointer-and-length texts and
    // 64-bit times, in the order of the parameters.
    let text_refusal = |bytes: &[u8]| match std::str::from_utf8(bytes) {
        Err(_) => Some("LAYER_ERR_INVALID_UTF8"),
        Ok(text) if text.contains('\0') => Some("LAYER_ERR_INVALID_ARGUMENT"),
        Ok(_) => None,
    };
    let refusal = text_refusal(token)
        .or_else(|| nonce.and_then(text_refusal))
        .or((now < 0).then_some("LAYER_ERR_INVALID_ARGUMENT"))
        .or(u32::try_from(leeway)
            .is_err()
            .then_some("LAYER_ERR_INVALID_ARGUMENT"));
    if let Some(status) = refusal {
        let failure = c_result.expect_err("a refused argument was accepted");
        assert_eq!(failure.status, status, "{}", failure.message);
        assert_eq!(failure.eit, "");
        return;
    }

    // From here every argument is one the Rust API takes as it is.
    let token = std::str::from_utf8(token).expect("checked");
    let nonce = nonce.map(|n| std::str::from_utf8(n).expect("checked"));
    let now = (now != 0).then_some(now);
    let leeway = u32::try_from(leeway).expect("checked");
    let mut result = fixed.verifier.verify(token, nonce, now, leeway);
    let mut verdict = oracle::verdict(&fixed.oracle, token, nonce, now, leeway);
    if now.is_none() && !oracle::agrees(&verdict, &result) {
        // The system clock may have moved to the next second between the two.
        result = fixed.verifier.verify(token, nonce, now, leeway);
        verdict = oracle::verdict(&fixed.oracle, token, nonce, now, leeway);
    }
    assert!(
        oracle::agrees(&verdict, &result),
        "the library and the rule oracle disagree on {token:?} (nonce {nonce:?}, now {now:?}, leeway {leeway}):\n  oracle: {verdict:?}\n  library: {result:?}"
    );
    if now.is_some() {
        assert_eq!(
            fixed.verifier.verify(token, nonce, now, leeway),
            result,
            "verifying again differs"
        );
    }

    if let Ok(verified) = &result {
        let payload = token
            .split('.')
            .nth(1)
            .and_then(|p| b64::decode(p.as_bytes()));
        assert_eq!(
            payload.as_deref(),
            Some(verified.claims_json.as_bytes()),
            "claims JSON is not the payload"
        );
    }
    let c_expected: Outcome<CClaims> = match &result {
        Ok(verified) => Ok(c_claims(verified)),
        Err(error) => Err(abi::Failure {
            status: error.status_name(),
            message: error.message().replace('\0', "\\0"),
            eit: error.eit().map_or("", |e| e.as_str()),
        }),
    };
    if now.is_some() {
        assert_eq!(c_result, c_expected, "verify_n and the Rust API disagree");
    } else {
        assert_eq!(
            c_result.is_ok(),
            c_expected.is_ok(),
            "verify_n and the Rust API disagree"
        );
    }

    // The NUL-terminated functions take what has no NUL.
    let (Some(c_token), Some(c_nonce)) = (
        abi::c_string(token.as_bytes()),
        nonce.map(|n| abi::c_string(n.as_bytes())),
    ) else {
        return;
    };
    let Some(now) = now else {
        return;
    };
    let legacy = fixed
        .c_verifier
        .verify_legacy(&c_token, c_nonce.as_deref(), now, leeway);
    match (&legacy, &c_expected) {
        (Ok(json), Ok(claims)) => assert_eq!(
            Some(json.as_bytes()),
            claims.texts[LayerClaimText::LAYER_CLAIM_JSON as usize].as_deref()
        ),
        (Err(failure), Err(expected)) => assert_eq!(
            (failure.status, &failure.message),
            (expected.status, &expected.message)
        ),
        _ => panic!("layer_verifier_verify and the Rust API disagree: {legacy:?} / {c_expected:?}"),
    }
    let typed = fixed
        .c_verifier
        .verify_claims(&c_token, c_nonce.as_deref(), now, leeway);
    assert_eq!(
        typed, c_expected,
        "layer_verifier_verify_claims and the Rust API disagree"
    );
}

/// The texts and times the C ABI gives for a verified token.
fn c_claims(verified: &VerifiedToken) -> CClaims {
    let claims = &verified.claims;
    let attributes = &claims.attributes;
    let text = |s: &str| Some(s.as_bytes().to_vec());
    let metadata_json = (!attributes.metadata.is_empty())
        .then(|| serde_json::to_vec(&attributes.metadata).unwrap());
    CClaims {
        texts: [
            text(&claims.iss),
            text(&claims.prn),
            text(&claims.nce),
            attributes.first_name.as_deref().and_then(text),
            attributes.last_name.as_deref().and_then(text),
            attributes.display_name.as_deref().and_then(text),
            attributes.avatar_url.as_deref().and_then(text),
            text(&verified.claims_json),
            metadata_json,
        ],
        iat: claims.iat,
        exp: claims.exp,
    }
}
