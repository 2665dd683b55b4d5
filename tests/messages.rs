//! The verifier's and the key loader's messages name the real cause: the member and its type,
//! the base64url character and where it is, a duplicated typ, local time in iat, IDs in another
//! form, malformed UUIDs, and key types that need other advice. Tokens here are crafted and
//! signed with the right key by the RS256 primitive, so that exactly one rule fails.

mod support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use layer_identity::rs256::Rs256Signer;
use layer_identity::{load_private_key, Eit, ErrorKind, Flags, Signer, Verifier};
use support::{vector_file, KEY_ID, PROVIDER_ID};

const NOW: i64 = 1_700_000_100;
const HEADER: &str = r#"{"typ":"JWS","alg":"RS256","cty":"layer-eit;v=1","kid":"layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f"}"#;

fn claims_with(extra: &str) -> String {
    format!(
        r#"{{"iss":"{PROVIDER_ID}","prn":"alice","iat":1700000000,"exp":1700000600,"nce":"n"{extra}}}"#
    )
}

/// `header.claims.signature`, validly signed with the test key.
fn signed(header: &str, claims: &str) -> String {
    let key = load_private_key(&vector_file("keys/rsa2048.pkcs8.pem"), None).unwrap();
    let signer = Rs256Signer::new(&key).unwrap();
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let signature = URL_SAFE_NO_PAD.encode(signer.sign(input.as_bytes()).unwrap());
    format!("{input}.{signature}")
}

fn verifier() -> Verifier {
    Verifier::new(
        &vector_file("keys/rsa2048.public.pem"),
        PROVIDER_ID,
        KEY_ID,
        Flags::default(),
    )
    .unwrap()
}

/// The rejection of `token` at `NOW` (no leeway), which must carry `eit`.
fn rejection(token: &str, eit: Eit) -> String {
    let error = verifier().verify(token, None, Some(NOW), 0).unwrap_err();
    assert_eq!(error.eit(), Some(eit), "{error}");
    error.message().to_owned()
}

fn assert_contains(message: &str, fragments: &[&str]) {
    for fragment in fragments {
        assert!(
            message.contains(fragment),
            "{fragment:?} missing from: {message}"
        );
    }
}

#[test]
fn wrong_types_name_the_member_and_its_type() {
    let cases = [
        (
            r#","first_name":7"#,
            "\"first_name\" must be a string",
            "not an integer",
        ),
        (
            r#","display_name":true"#,
            "\"display_name\"",
            "not a boolean",
        ),
        (
            r#","metadata":{"a":1}"#,
            "\"metadata\" must be an object whose values are all strings",
            "not an object",
        ),
        (r#","metadata":["a"]"#, "\"metadata\"", "not an array"),
        (r#","metadata":"a""#, "\"metadata\"", "not a string"),
    ];
    for (extra, member, what) in cases {
        let message = rejection(&signed(HEADER, &claims_with(extra)), Eit::ClaimWrongType);
        assert_contains(&message, &[member, what]);
    }
    let claims = claims_with("").replace("\"iat\":1700000000", "\"iat\":1.7e9");
    let message = rejection(&signed(HEADER, &claims), Eit::ClaimWrongType);
    assert_contains(
        &message,
        &["\"iat\"", "a number with a fraction or exponent"],
    );
    let claims = claims_with("").replace("\"prn\":\"alice\"", "\"prn\":\"\"");
    let message = rejection(&signed(HEADER, &claims), Eit::ClaimWrongType);
    assert_contains(
        &message,
        &["\"prn\" must be a non-empty string", "not an empty string"],
    );
    let header = HEADER.replace("\"typ\":\"JWS\"", "\"typ\":null");
    let message = rejection(
        &signed(&header, &claims_with("")),
        Eit::HeaderParamWrongType,
    );
    assert_contains(&message, &["\"typ\" must be a string, not null"]);
}

#[test]
fn presence_is_checked_before_types() {
    let header = r#"{"typ":1,"alg":"RS256","cty":"layer-eit;v=1"}"#;
    let message = rejection(&signed(header, &claims_with("")), Eit::HeaderParamNotFound);
    assert_contains(&message, &["no \"kid\""]);
    let claims = r#"{"iss":1,"prn":"alice","iat":1700000000,"exp":1700000600}"#;
    let message = rejection(&signed(HEADER, claims), Eit::ClaimNotFound);
    assert_contains(&message, &["no \"nce\""]);
}

#[test]
fn null_attributes_and_metadata_are_read_and_negative_zero_is_an_integer() {
    let token = signed(
        HEADER,
        &claims_with(r#","last_name":null,"first_name":"Zoë","metadata":{"b":"2","a":"1"}"#),
    );
    let verified = verifier().verify(&token, Some("n"), Some(NOW), 0).unwrap();
    assert_eq!(verified.claims.attributes.last_name, None);
    assert_eq!(
        verified.claims.attributes.first_name.as_deref(),
        Some("Zoë")
    );
    let metadata: Vec<(&str, &str)> = verified
        .claims
        .attributes
        .metadata
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(metadata, [("a", "1"), ("b", "2")]);

    let claims = claims_with(r#","metadata":null"#).replace("1700000000", "-0");
    let verified = verifier()
        .verify(&signed(HEADER, &claims), None, Some(NOW), 0)
        .unwrap();
    assert_eq!(verified.claims.iat, 0);
    assert!(verified.claims.attributes.metadata.is_empty());
    for spelling in ["-0.0", "-0e0", "-0E+0"] {
        let claims = claims_with("").replace("1700000000", spelling);
        let message = rejection(&signed(HEADER, &claims), Eit::ClaimWrongType);
        assert_contains(&message, &["\"iat\" must be an integer"]);
    }
}

#[test]
fn a_duplicated_typ_names_the_gem_that_wrote_it() {
    let header = HEADER.replace("{\"typ\":\"JWS\",", "{\"typ\":\"JWS\",\"typ\":\"JWT\",");
    let message = rejection(&signed(&header, &claims_with("")), Eit::MalformedJson);
    assert_contains(
        &message,
        &["duplicate member \"typ\"", "layer-identity_token", "0.2.0"],
    );
    let header = HEADER.replace("{\"typ\":\"JWS\",", "{\"alg\":\"RS256\",\"typ\":\"JWS\",");
    let message = rejection(&signed(&header, &claims_with("")), Eit::MalformedJson);
    assert!(!message.contains("layer-identity_token"), "{message}");
}

#[test]
fn local_time_is_named_as_the_likely_cause() {
    // Berlin: iat from local time (UTC+1), exp from UTC with a 120 s lifetime.
    let claims = claims_with("")
        .replace("1700000000", "1700003600")
        .replace("1700000600", "1700000120");
    let message = rejection(&signed(HEADER, &claims), Eit::ClaimWrongType);
    assert_contains(&message, &["3480 s after it", "local time instead of UTC"]);

    // iat ahead of now by 5 h 30 min (India) and a few seconds.
    let iat = NOW + 5 * 3600 + 1800 + 7;
    let claims = claims_with("")
        .replace("1700000000", &iat.to_string())
        .replace("1700000600", &(iat + 600).to_string());
    let message = rejection(&signed(HEADER, &claims), Eit::NotBefore);
    assert_contains(&message, &["UTC+5:30", "local time instead of UTC"]);

    // 17 minutes, or 1 h 7 min, ahead is no time zone.
    for ahead in [17 * 60, 67 * 60] {
        let iat = NOW + ahead;
        let claims = claims_with("")
            .replace("1700000000", &iat.to_string())
            .replace("1700000600", &(iat + 600).to_string());
        let message = rejection(&signed(HEADER, &claims), Eit::NotBefore);
        assert!(!message.contains("local time"), "{message}");
    }
    // Nepal is UTC+5:45.
    let iat = NOW + 5 * 3600 + 2700;
    let claims = claims_with("")
        .replace("1700000000", &iat.to_string())
        .replace("1700000600", &(iat + 600).to_string());
    let message = rejection(&signed(HEADER, &claims), Eit::NotBefore);
    assert_contains(&message, &["UTC+5:45"]);
}

#[test]
fn ids_in_another_form_are_called_the_same_id_but_still_refused() {
    let bare_kid = KEY_ID.strip_prefix("layer:///keys/").unwrap();
    let header = HEADER.replace(KEY_ID, bare_kid);
    let message = rejection(&signed(&header, &claims_with("")), Eit::KeyNotFound);
    assert_contains(
        &message,
        &["same key ID written differently", "compares IDs exactly"],
    );
    let claims = claims_with("").replace(
        PROVIDER_ID,
        &PROVIDER_ID
            .to_uppercase()
            .replace("LAYER:///PROVIDERS/", "layer:///providers/"),
    );
    let message = rejection(&signed(HEADER, &claims), Eit::ProviderNotFound);
    assert_contains(&message, &["same provider ID written differently"]);
    let claims = claims_with("").replace("7d1c2f4e", "7d1c2f4f");
    let message = rejection(&signed(HEADER, &claims), Eit::ProviderNotFound);
    assert!(!message.contains("written differently"), "{message}");
}

#[test]
fn base64url_errors_say_which_part_which_character_and_where() {
    let token = signed(HEADER, &claims_with(""));
    let (header, rest) = token.split_once('.').unwrap();
    let corrupt = |at: usize, c: char| {
        let mut rest = rest.to_owned();
        rest.replace_range(at..at + 1, &c.to_string());
        format!("{header}.{rest}")
    };
    let message = rejection(&corrupt(4, '*'), Eit::MalformedBase64url);
    let position = header.len() + 1 + 5;
    assert_contains(
        &message,
        &[
            "the claims part",
            "character 5 of the part",
            &format!("character {position} of the token"),
            "'*'",
        ],
    );
    let message = rejection(&corrupt(4, '+'), Eit::MalformedBase64url);
    assert_contains(&message, &["standard base64", "'-' and '_'"]);
    let message = rejection(&format!("{token}=="), Eit::MalformedBase64url);
    assert_contains(&message, &["the signature part", "padding"]);
    let message = rejection(&corrupt(2, 'é'), Eit::MalformedBase64url);
    assert_contains(&message, &["character 3 of the part", "non-ASCII"]);
    let (input, signature) = token.rsplit_once('.').unwrap();
    let message = rejection(
        &format!("{input}.{}", &signature[..signature.len() - 1]),
        Eit::MalformedBase64url,
    );
    assert_contains(&message, &["the signature part"]);
}

#[test]
fn huge_inputs_are_refused_before_any_work() {
    let signer = Signer::new(
        &vector_file("keys/rsa2048.pkcs8.pem"),
        None,
        PROVIDER_ID,
        KEY_ID,
        Flags::default(),
    )
    .unwrap();
    let user = "\u{1}".repeat(64 << 20);
    let error = signer
        .sign(&user, "n", None, None, &Default::default())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    assert_contains(error.message(), &["more than the 16384"]);
    let attributes = format!("{{\"first_name\":\"{}\"}}", "a".repeat(200_000));
    let error = layer_identity::Attributes::from_json(&attributes).unwrap_err();
    assert_contains(error.message(), &["attributes JSON is 200017 bytes"]);
    let error = load_private_key(&vec![b'A'; 70_000], None).unwrap_err();
    assert_contains(error.message(), &["70000 bytes", "64 KiB"]);
}

#[test]
fn a_header_with_many_members_is_rejected_for_the_right_reason() {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let name = |i: usize| format!("{}{}", CHARS[i / 62] as char, CHARS[i % 62] as char);
    let members: String = (0..1350).map(|i| format!(",\"{}\":0", name(i))).collect();
    let header = HEADER.replace("}", &format!("{members}}}"));
    let token = signed(&header, &claims_with(""));
    assert!(token.len() <= 16384, "{}", token.len());
    let message = rejection(&token, Eit::HeaderParamWrongValue);
    assert_contains(&message, &["\"AA\" is not allowed"]);
    let duplicate = HEADER.replace("}", &format!("{members},\"Bx\":1}}"));
    rejection(&signed(&duplicate, &claims_with("")), Eit::MalformedJson);
}

#[test]
fn key_types_get_advice_that_works() {
    let message = |name: &str| {
        load_private_key(&vector_file(&format!("keys/{name}")), None)
            .and_then(|key| {
                Signer::new(
                    &key.private_key_to_pem_pkcs8().unwrap(),
                    None,
                    PROVIDER_ID,
                    KEY_ID,
                    Flags::default(),
                )
                .map(|_| ())
            })
            .unwrap_err()
            .to_string()
    };
    assert_contains(
        &message("ed25519.pkcs8.pem"),
        &["EdDSA", "layer-identity keygen"],
    );
    assert_contains(
        &message("ec-p256.pkcs8.pem"),
        &["EC key", "layer-identity keygen"],
    );
}

#[test]
fn malformed_uuids_say_what_is_malformed() {
    let cases = [
        (
            "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0",
            "fifth group has 11 digits",
        ),
        (
            "layer:///providers/7d1c2f4e56b111e5a0e45a0b0c0d0e0f",
            "no hyphens",
        ),
        (
            "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0z",
            "character 36 is \"z\"",
        ),
        ("layer:///providers/YOUR-PROVIDER-ID", "placeholder"),
    ];
    for (id, fragment) in cases {
        let error = layer_identity::validate_provider_id(id).unwrap_err();
        assert_contains(error.message(), &[fragment]);
        assert!(!error.message().contains("(a placeholder?)"), "{error}");
    }
}

#[test]
fn openssh_keys_get_the_advice_that_works_for_their_type() {
    let message = |name: &str| {
        load_private_key(&vector_file(&format!("keys/{name}")), None)
            .unwrap_err()
            .to_string()
    };
    // `ssh-keygen -p -m PKCS8` does turn an OpenSSH RSA key into PKCS#8 ...
    assert_contains(
        &message("rsa2048.openssh"),
        &["RSA key in OpenSSH", "ssh-keygen -p -m PKCS8"],
    );
    // ... but leaves an Ed25519 key what it is, so that advice would not work for one.
    let ed25519 = message("ed25519.openssh");
    assert_contains(&ed25519, &["not RSA", "layer-identity keygen"]);
    assert!(!ed25519.contains("ssh-keygen"), "{ed25519}");
}

#[test]
fn inspecting_a_part_that_decodes_to_a_nul_byte_is_a_malformed_token() {
    use layer_identity::ffi::*;
    let token = std::ffi::CString::new("AA.AA.AA").unwrap();
    let (mut header, mut claims, mut error) = (
        std::ptr::null_mut(),
        std::ptr::null_mut(),
        std::ptr::null_mut(),
    );
    let status =
        unsafe { layer_token_inspect(token.as_ptr(), &mut header, &mut claims, &mut error) };
    assert_eq!(status, LayerStatus::LAYER_ERR_MALFORMED_TOKEN);
    let message = unsafe { std::ffi::CStr::from_ptr(error) }
        .to_str()
        .unwrap()
        .to_owned();
    unsafe { layer_string_free(error) };
    assert_contains(&message, &["eit_malformed_json", "NUL byte"]);
    assert!(header.is_null() && claims.is_null());
}
