//! Header and claims bytes, base64url-encoded and signed RS256 with a test key (by the `openssl`
//! crate, not the library's signer), then verified: the library's verdict — accepted with these
//! claims, or rejected under one `eit_*` identifier — must be the rule oracle's
//! (`layer_identity_fuzz::oracle`, written from the README's table). Signing every input is
//! what lets the fuzzer past the signature, so a token that breaks a rule and still verifies,
//! or a valid one rejected, is found.
//!
//! Input: `[options u8][now offset i32 LE][leeway u16 LE][nonce: u8 length, bytes]
//! [header: u16 length, bytes][claims: the rest]`; `now` is 1700000100 plus the offset (the
//! vectors' tokens are issued at 1700000000). Options: bits 0-1 the expected nonce (0 none, 1
//! the given bytes, 2 and 3 the claims' own `nce`); bits 2-3 the signature (0 and 1 valid, 2
//! one bit flipped, 3 made over other bytes).

#![no_main]

use std::sync::OnceLock;

use layer_identity::{Flags, Verifier};
use layer_identity_fuzz::fixtures::{
    self, KEY_ID, PROVIDER_ID, RSA1024_PRIVATE_PEM, RSA1024_PUBLIC_PEM,
};
use layer_identity_fuzz::input::Input;
use layer_identity_fuzz::json::{self, Value};
use layer_identity_fuzz::{b64, oracle};
use libfuzzer_sys::fuzz_target;
use openssl::pkey::{PKey, Private};

struct Fixed {
    key: PKey<Private>,
    verifier: Verifier,
    oracle: oracle::Config,
}

fn fixed() -> &'static Fixed {
    static FIXED: OnceLock<Fixed> = OnceLock::new();
    FIXED.get_or_init(|| Fixed {
        key: fixtures::private_key(RSA1024_PRIVATE_PEM),
        verifier: Verifier::new(
            RSA1024_PUBLIC_PEM,
            PROVIDER_ID,
            KEY_ID,
            Flags::ALLOW_1024_BIT_KEY,
        )
        .expect("the vector key"),
        oracle: oracle::Config {
            public_key: fixtures::public_key(RSA1024_PUBLIC_PEM),
            provider_id: PROVIDER_ID.to_owned(),
            key_id: KEY_ID.to_owned(),
        },
    })
}

const VECTORS_NOW: i64 = 1_700_000_100;

fuzz_target!(|data: &[u8]| {
    let fixed = fixed();
    let mut input = Input::new(data);
    let options = input.u8();
    let now = VECTORS_NOW + i64::from(input.u32() as i32);
    let leeway = u32::from(input.u16());
    let given_nonce = input.short();
    let header = input.long();
    let claims = input.rest();

    let signing_input = format!("{}.{}", b64::encode(header), b64::encode(claims));
    let mut signature = match options >> 2 & 3 {
        3 => oracle::rs256_sign(&fixed.key, format!("{signing_input}.").as_bytes()),
        _ => oracle::rs256_sign(&fixed.key, signing_input.as_bytes()),
    };
    if options >> 2 & 3 == 2 {
        let bit = now.rem_euclid(signature.len() as i64 * 8) as usize;
        signature[bit / 8] ^= 1 << (bit % 8);
    }
    let token = format!("{signing_input}.{}", b64::encode(&signature));

    let own_nonce;
    let nonce: Option<&str> = match options & 3 {
        0 => None,
        1 => match std::str::from_utf8(given_nonce) {
            Ok(nonce) => Some(nonce),
            Err(_) => return,
        },
        _ => {
            own_nonce = json::parse(claims).and_then(|value| {
                value
                    .member("nce")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            });
            own_nonce.as_deref()
        }
    };

    let result = fixed.verifier.verify(&token, nonce, Some(now), leeway);
    let verdict = oracle::verdict(&fixed.oracle, &token, nonce, Some(now), leeway);
    assert!(
        oracle::agrees(&verdict, &result),
        "the library and the rule oracle disagree:\n  header: {:?}\n  claims: {:?}\n  nonce {nonce:?}, now {now}, leeway {leeway}\n  oracle: {verdict:?}\n  library: {result:?}",
        String::from_utf8_lossy(header),
        String::from_utf8_lossy(claims),
    );
});
