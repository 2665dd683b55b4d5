//! What the fuzz targets (fuzz/, `make test-fuzz`) found, each pinned here so that it stays
//! fixed without the fuzzer: the input, reduced, and the answer the README's rules give.

mod support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use layer_identity::rs256::Rs256Signer;
use layer_identity::{load_private_key, Eit, ErrorKind, Flags, Verifier};
use support::{vector_file, KEY_ID, PROVIDER_ID};

const NOW: i64 = 1_700_000_100;

fn header() -> String {
    format!(r#"{{"typ":"JWS","alg":"RS256","cty":"layer-eit;v=1","kid":"{KEY_ID}"}}"#)
}

fn claims_with(extra: &str) -> String {
    format!(
        r#"{{"iss":"{PROVIDER_ID}","prn":"alice","iat":1700000000,"exp":1700000600,"nce":"n"{extra}}}"#
    )
}

/// `header.claims.signature`, validly signed with the test key.
fn signed(header: &str, claims: &str) -> String {
    let key = load_private_key(&vector_file("keys/rsa2048.pkcs8.pem"), None).unwrap();
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let signature = Rs256Signer::new(&key)
        .unwrap()
        .sign(input.as_bytes())
        .unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn verify(token: &str) -> layer_identity::Result<layer_identity::VerifiedToken> {
    Verifier::new(
        &vector_file("keys/rsa2048.public.pem"),
        PROVIDER_ID,
        KEY_ID,
        Flags::default(),
    )
    .unwrap()
    .verify(token, None, Some(NOW), 0)
}

/// fuzz target `resigned`: numbers are read as IEEE doubles, correctly rounded. A number that
/// rounds to the largest double is a number like any other (an unknown claim is ignored); the
/// JSON reader used to call `1.7976931348623158e308` "out of range" because it rounded
/// carelessly. One that rounds to infinity (`1e400`, 400 nines) makes the claims malformed JSON,
/// as the README's rule table says — even where a claim of another type is expected.
#[test]
fn numbers_are_doubles_rounded_correctly() {
    for fine in [
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "-1.7976931348623158079e308",
        "1e-400",
    ] {
        let token = signed(&header(), &claims_with(&format!(r#","x":{fine}"#)));
        verify(&token).unwrap_or_else(|e| panic!("{fine}: {e}"));
    }
    let nines = "9".repeat(400);
    for (claims, where_) in [
        (claims_with(r#","x":1e400"#), "an unknown claim"),
        (
            claims_with(r#","x":-1.797693134862315808e308"#),
            "an unknown claim",
        ),
        (claims_with(&format!(r#","x":[{nines}]"#)), "an array"),
        (
            claims_with(r#","metadata":{"a":1e999}"#),
            "metadata (wrong type otherwise)",
        ),
        (
            claims_with("").replace("1700000600", "1e400"),
            "exp (wrong type otherwise)",
        ),
    ] {
        let error = verify(&signed(&header(), &claims)).unwrap_err();
        assert_eq!(error.eit(), Some(Eit::MalformedJson), "{where_}: {error}");
        assert!(
            error.message().contains("number out of range"),
            "{where_}: {error}"
        );
    }
    let header = header().replace(r#""typ""#, r#""x":1e400,"typ""#);
    let error = verify(&signed(&header, &claims_with(""))).unwrap_err();
    assert_eq!(error.eit(), Some(Eit::MalformedJson), "{error}");
}

/// fuzz target `resigned`: header and claims are nested at most 127 levels deep (the object
/// itself is one); deeper is malformed JSON, which the README's rule table now says.
#[test]
fn nesting_is_at_most_127_levels() {
    let nested = |levels: usize| format!(r#","x":{}{}"#, "[".repeat(levels), "]".repeat(levels));
    verify(&signed(&header(), &claims_with(&nested(126)))).unwrap();
    let error = verify(&signed(&header(), &claims_with(&nested(127)))).unwrap_err();
    assert_eq!(error.eit(), Some(Eit::MalformedJson), "{error}");
    assert!(error.message().contains("recursion limit"), "{error}");
    let deep_header = header().replace(
        r#""typ""#,
        &format!(r#""x":{}0{},"typ""#, "[".repeat(127), "]".repeat(127)),
    );
    let error = verify(&signed(&deep_header, &claims_with(""))).unwrap_err();
    assert_eq!(error.eit(), Some(Eit::MalformedJson), "{error}");
}

/// fuzz target `keys`: a passphrase is bytes, NUL included. Decrypting a PKCS#8 key made a C
/// string of it and panicked on a NUL (the C ABI turned that into LAYER_ERR_INTERNAL). Now
/// OpenSSL gets the bytes with their length, for PKCS#8 as for legacy PEM: a key encrypted with
/// `pass\0word` opens with exactly that and not with `pass`, the C string's cut. A passphrase
/// longer than OpenSSL reads (1,024 bytes) is refused, not cut short.
#[test]
fn passphrases_are_bytes_nul_included() {
    use openssl::rsa::Rsa;
    use openssl::symm::Cipher;

    let passphrase = b"pass\0word";
    let key = load_private_key(&vector_file("keys/rsa2048.pkcs8.pem"), None).unwrap();
    let pkcs8 = key
        .private_key_to_pem_pkcs8_passphrase(Cipher::aes_256_cbc(), passphrase)
        .unwrap();
    let legacy = Rsa::private_key_from_pem(&vector_file("keys/rsa2048.pkcs1.pem"))
        .unwrap()
        .private_key_to_pem_passphrase(Cipher::aes_256_cbc(), passphrase)
        .unwrap();
    for encrypted in [&pkcs8, &legacy] {
        let opened = load_private_key(encrypted, Some(passphrase)).unwrap();
        assert!(opened.public_eq(&key));
        for wrong in [&b"pass"[..], b"pass\0wore", b"\0"] {
            let error = load_private_key(encrypted, Some(wrong)).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::WrongPassphrase, "{error}");
        }
        let error = load_private_key(encrypted, Some(&[b'p'; 1025])).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::WrongPassphrase, "{error}");
        assert!(
            error.message().contains("longer than 1024 bytes"),
            "{error}"
        );
    }
    let vector = vector_file("keys/rsa2048.pkcs8.encrypted.pem");
    let error = load_private_key(&vector, Some(b"correct horse\0battery staple")).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::WrongPassphrase, "{error}");
}
