//! Tokens minted by the library are accepted by independent implementations: the `openssl`
//! CLI checks each signature, PyJWT decodes each token, and both agree with our claims.

mod support;

use layer_identity::{sign_token, Attributes, Flags, Signer};
use serde_json::json;
use support::{
    openssl_verifies, openssl_verify_all, pyjwt_verify_all, vector_file, KEY_ID, PROVIDER_ID,
};

#[test]
fn minted_tokens_verify_with_openssl_and_pyjwt() {
    let private = vector_file("keys/rsa2048.pkcs8.pem");
    let public = vector_file("keys/rsa2048.public.pem");
    let jws = Signer::new(&private, None, PROVIDER_ID, KEY_ID, Flags::default()).unwrap();
    let jwt = Signer::new(&private, None, PROVIDER_ID, KEY_ID, Flags::TYP_JWT).unwrap();
    let attributes = Attributes {
        first_name: Some("Zoë".into()),
        last_name: Some("O'Brien \"the\" \\ 2nd".into()),
        display_name: Some("ゾーイ 🦊".into()),
        avatar_url: Some("https://example.com/a/b.png?x=1&y=2".into()),
        metadata: [("tier", "gold"), ("Émoji 🦊", "\u{1}\"x\""), ("a/b", "")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    };
    let users = [
        "user-42",
        "zoë@example.com",
        "名前\u{2028}\u{7f}\t\n\"/\\",
        "🦊🦊🦊",
    ];
    let mut tokens = Vec::new();
    let mut expected = Vec::new();
    for (i, user) in users.iter().enumerate() {
        let nonce = format!("nonce-{i}-\u{1}\u{1f}");
        let iat = 1_700_000_000 + i as i64;
        tokens.push(
            jws.sign(user, &nonce, Some(iat), None, &Attributes::default())
                .unwrap(),
        );
        expected.push((
            "JWS",
            json!({"iss": PROVIDER_ID, "prn": user, "iat": iat, "exp": iat + 600, "nce": nonce}),
        ));
        tokens.push(
            jwt.sign(user, &nonce, Some(iat), Some(3600), &attributes)
                .unwrap(),
        );
        expected.push((
            "JWT",
            json!({"iss": PROVIDER_ID, "prn": user, "iat": iat, "exp": iat + 3600, "nce": nonce,
                   "first_name": "Zoë", "last_name": "O'Brien \"the\" \\ 2nd",
                   "display_name": "ゾーイ 🦊", "avatar_url": "https://example.com/a/b.png?x=1&y=2",
                   "metadata": {"a/b": "", "tier": "gold", "Émoji 🦊": "\u{1}\"x\""}}),
        ));
        tokens.push(
            sign_token(&private, PROVIDER_ID, KEY_ID, user, &nonce, Some(iat), None).unwrap(),
        );
        expected.push((
            "JWS",
            json!({"iss": PROVIDER_ID, "prn": user, "iat": iat, "exp": iat + 600, "nce": nonce}),
        ));
    }
    openssl_verify_all(&tokens, &public);
    let decoded = pyjwt_verify_all(&tokens, &public);
    for (decoded, (typ, claims)) in decoded.iter().zip(&expected) {
        assert_eq!(
            decoded.header,
            json!({"typ": typ, "alg": "RS256", "cty": "layer-eit;v=1", "kid": KEY_ID})
        );
        assert_eq!(&decoded.claims, claims);
    }
}

#[test]
fn a_token_signed_with_another_key_fails_the_independent_checks_too() {
    let private = vector_file("keys/rsa2048.pkcs8.pem");
    let other_public = vector_file("keys/rsa2048-other.public.pem");
    let token = sign_token(
        &private,
        PROVIDER_ID,
        KEY_ID,
        "user",
        "nonce",
        Some(1_700_000_000),
        None,
    )
    .unwrap();
    // The checker itself must be able to say no, or its yes means nothing.
    assert!(!openssl_verifies(&token, &other_public));
}
