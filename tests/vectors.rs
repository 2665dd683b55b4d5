//! The shared vectors (vectors/*.json, made by an independent generator) driven through the C
//! ABI exactly as a C caller uses it, and the signing vectors through the Rust API as well.

mod support;

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use layer_identity::ffi::*;
use layer_identity::{sign_token, Attributes, Flags, Signer};
use serde_json::Value;
use support::{vector_file, vector_json};

/// A non-NULL pointer value that no allocation has: out-parameters must keep it on failure.
const SENTINEL: usize = 0x5e17;

/// A string argument from a vector: JSON null is a NULL pointer, `{"hex": "c3 28"}` raw bytes
/// (invalid UTF-8), a `*_file` member the contents of a file in vectors/.
fn c_arg(args: &Value, name: &str) -> Option<CString> {
    let file_member = format!("{name}_file");
    if let Some(path) = args.get(&file_member).and_then(Value::as_str) {
        return Some(CString::new(vector_file(path)).unwrap());
    }
    match args.get(name)? {
        Value::Null => None,
        Value::String(text) => Some(CString::new(text.as_str()).unwrap()),
        Value::Object(object) => {
            let hex = object["hex"].as_str().unwrap().replace(' ', "");
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect::<Vec<u8>>();
            Some(CString::new(bytes).unwrap())
        }
        other => panic!("unexpected argument {name}: {other}"),
    }
}

fn ptr_of(arg: &Option<CString>) -> *const c_char {
    arg.as_ref().map_or(ptr::null(), |s| s.as_ptr())
}

fn flag_bits(args: &Value) -> u32 {
    if let Some(value) = args.get("flags_value") {
        return value.as_u64().unwrap() as u32;
    }
    args.get("flags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|name| match name.as_str().unwrap() {
            "TYP_JWT" => LAYER_FLAG_TYP_JWT,
            "ALLOW_1024_BIT_KEY" => LAYER_FLAG_ALLOW_1024_BIT_KEY,
            other => panic!("unknown flag name {other}"),
        })
        .fold(0, |bits, flag| bits | flag)
}

fn int(args: &Value, name: &str) -> i64 {
    args.get(name).and_then(Value::as_i64).unwrap_or(0)
}

fn status_name(status: LayerStatus) -> String {
    let name = layer_status_name(status as i32);
    unsafe { CStr::from_ptr(name) }.to_str().unwrap().to_owned()
}

/// Takes ownership of a library string.
fn take(s: *mut c_char) -> String {
    assert!(!s.is_null());
    let text = unsafe { CStr::from_ptr(s) }.to_str().unwrap().to_owned();
    unsafe { layer_string_free(s) };
    text
}

/// The outcome of one C call: its status, and the message on failure.
struct Outcome {
    status: LayerStatus,
    message: String,
}

fn outcome(status: LayerStatus, error: *mut c_char) -> Outcome {
    if status == LayerStatus::LAYER_OK {
        assert!(error.is_null(), "no message on success");
        Outcome {
            status,
            message: String::new(),
        }
    } else {
        let message = take(error);
        assert!(!message.is_empty(), "every failure has a message");
        Outcome { status, message }
    }
}

fn new_signer(args: &Value) -> (Outcome, *mut LayerSigner) {
    let key = c_arg(args, "private_key");
    let passphrase = c_arg(args, "passphrase");
    let provider_id = c_arg(args, "provider_id");
    let key_id = c_arg(args, "key_id");
    let mut signer = SENTINEL as *mut LayerSigner;
    let mut error = ptr::null_mut();
    let status = unsafe {
        layer_signer_new(
            ptr_of(&key),
            ptr_of(&passphrase),
            ptr_of(&provider_id),
            ptr_of(&key_id),
            flag_bits(args),
            &mut signer,
            &mut error,
        )
    };
    if status != LayerStatus::LAYER_OK {
        assert_eq!(signer as usize, SENTINEL, "out_signer written on failure");
    }
    (outcome(status, error), signer)
}

fn sign_with(signer: *const LayerSigner, args: &Value) -> (Outcome, Option<String>) {
    let user_id = c_arg(args, "user_id");
    let nonce = c_arg(args, "nonce");
    let attributes = c_arg(args, "attributes_json");
    let mut token = SENTINEL as *mut c_char;
    let mut error = ptr::null_mut();
    let status = unsafe {
        layer_signer_sign(
            signer,
            ptr_of(&user_id),
            ptr_of(&nonce),
            int(args, "issued_at"),
            int(args, "ttl_seconds") as u32,
            ptr_of(&attributes),
            &mut token,
            &mut error,
        )
    };
    finish_string_call(status, error, token)
}

fn sign_one_shot(args: &Value) -> (Outcome, Option<String>) {
    let key = c_arg(args, "private_key");
    let provider_id = c_arg(args, "provider_id");
    let key_id = c_arg(args, "key_id");
    let user_id = c_arg(args, "user_id");
    let nonce = c_arg(args, "nonce");
    let mut token = SENTINEL as *mut c_char;
    let mut error = ptr::null_mut();
    let status = unsafe {
        layer_sign_token(
            ptr_of(&key),
            ptr_of(&provider_id),
            ptr_of(&key_id),
            ptr_of(&user_id),
            ptr_of(&nonce),
            int(args, "issued_at"),
            int(args, "ttl_seconds") as u32,
            &mut token,
            &mut error,
        )
    };
    finish_string_call(status, error, token)
}

fn finish_string_call(
    status: LayerStatus,
    error: *mut c_char,
    out: *mut c_char,
) -> (Outcome, Option<String>) {
    let result = outcome(status, error);
    if result.status == LayerStatus::LAYER_OK {
        (result, Some(take(out)))
    } else {
        assert_eq!(out as usize, SENTINEL, "out-parameter written on failure");
        (result, None)
    }
}

fn new_verifier(args: &Value) -> (Outcome, *mut LayerVerifier) {
    let key = c_arg(args, "key");
    let provider_id = c_arg(args, "provider_id");
    let key_id = c_arg(args, "key_id");
    let mut verifier = SENTINEL as *mut LayerVerifier;
    let mut error = ptr::null_mut();
    let status = unsafe {
        layer_verifier_new(
            ptr_of(&key),
            ptr_of(&provider_id),
            ptr_of(&key_id),
            flag_bits(args),
            &mut verifier,
            &mut error,
        )
    };
    if status != LayerStatus::LAYER_OK {
        assert_eq!(
            verifier as usize, SENTINEL,
            "out_verifier written on failure"
        );
    }
    (outcome(status, error), verifier)
}

#[test]
fn sign_vectors_through_the_c_abi() {
    let cases = vector_json("sign.json");
    let cases = cases["cases"].as_array().unwrap();
    assert!(cases.len() >= 24);
    let mut one_shot = 0;
    for case in cases.iter().filter(|case| !needs_abi_3(case)) {
        let name = case["name"].as_str().unwrap();
        let expected = case["expected_token"].as_str().unwrap();
        let (created, signer) = new_signer(case);
        assert_eq!(
            created.status,
            LayerStatus::LAYER_OK,
            "{name}: {}",
            created.message
        );
        let (signed, token) = sign_with(signer, case);
        assert_eq!(
            signed.status,
            LayerStatus::LAYER_OK,
            "{name}: {}",
            signed.message
        );
        assert_eq!(token.as_deref(), Some(expected), "{name}");
        unsafe { layer_signer_free(signer) };
        if case["one_shot"] == true {
            let (signed, token) = sign_one_shot(case);
            assert_eq!(
                signed.status,
                LayerStatus::LAYER_OK,
                "{name}: {}",
                signed.message
            );
            assert_eq!(token.as_deref(), Some(expected), "{name} (one-shot)");
            one_shot += 1;
        }
    }
    assert!(one_shot > 0);
}

#[test]
fn sign_vectors_through_the_rust_api() {
    let cases = vector_json("sign.json");
    for case in cases["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let key = vector_file(case["private_key_file"].as_str().unwrap());
        let text = |member: &str| case[member].as_str().unwrap();
        let mut flags = Flags::from_bits(flag_bits(case)).unwrap();
        if let Some(token_type) = case["token_type"].as_str() {
            flags = flags | Flags::from_token_type(token_type).unwrap();
        }
        let passphrase = bytes_arg(case, "passphrase");
        let signer = Signer::new(
            &key,
            passphrase.as_deref(),
            text("provider_id"),
            text("key_id"),
            flags,
        )
        .unwrap();
        let attributes = match case["attributes_json"].as_str() {
            Some(json) => Attributes::from_json(json).unwrap(),
            None => Attributes::default(),
        };
        // The vectors follow the C ABI: 0 means now / 600.
        let issued_at = Some(case["issued_at"].as_i64().unwrap()).filter(|t| *t > 0);
        let ttl = Some(case["ttl_seconds"].as_u64().unwrap() as u32).filter(|t| *t > 0);
        let token = signer
            .sign(text("user_id"), text("nonce"), issued_at, ttl, &attributes)
            .unwrap();
        assert_eq!(token, text("expected_token"), "{name}");
        let (header, claims) = layer_identity::decode(&token).unwrap().into_text().unwrap();
        assert_eq!(header, text("expected_header_json"), "{name}");
        assert_eq!(claims, text("expected_claims_json"), "{name}");
        if case["one_shot"] == true {
            let token = sign_token(
                &key,
                text("provider_id"),
                text("key_id"),
                text("user_id"),
                text("nonce"),
                issued_at,
                ttl,
            )
            .unwrap();
            assert_eq!(token, text("expected_token"), "{name} (one-shot)");
        }
    }
}

#[test]
fn error_vectors_through_the_c_abi() {
    let cases = vector_json("errors.json");
    let cases = cases["cases"].as_array().unwrap();
    assert!(cases.len() >= 40);
    for case in cases.iter().filter(|case| !needs_abi_3(case)) {
        let name = case["name"].as_str().unwrap();
        let args = &case["args"];
        let result = match case["call"].as_str().unwrap() {
            "sign_token" => sign_one_shot(args).0,
            "signer_new" => {
                let (result, signer) = new_signer(args);
                if result.status == LayerStatus::LAYER_OK {
                    unsafe { layer_signer_free(signer) };
                }
                result
            }
            "signer_sign" => {
                let (created, signer) = new_signer(&args["signer"]);
                assert_eq!(
                    created.status,
                    LayerStatus::LAYER_OK,
                    "{name}: the signer itself must be valid"
                );
                let (result, _) = sign_with(signer, args);
                unsafe { layer_signer_free(signer) };
                result
            }
            "verifier_new" => {
                let (result, verifier) = new_verifier(args);
                if result.status == LayerStatus::LAYER_OK {
                    unsafe { layer_verifier_free(verifier) };
                }
                result
            }
            "generate_key_pair" => {
                let mut private = SENTINEL as *mut c_char;
                let mut public = SENTINEL as *mut c_char;
                let mut error = ptr::null_mut();
                let bits = args["bits"].as_u64().unwrap() as u32;
                let status =
                    unsafe { layer_generate_key_pair(bits, &mut private, &mut public, &mut error) };
                if status == LayerStatus::LAYER_OK {
                    take(private);
                    take(public);
                } else {
                    assert_eq!(
                        (private as usize, public as usize),
                        (SENTINEL, SENTINEL),
                        "{name}"
                    );
                }
                outcome(status, error)
            }
            other => panic!("unknown call {other}"),
        };
        assert_eq!(
            status_name(result.status),
            case["expected_status"].as_str().unwrap(),
            "{name}: {}",
            result.message
        );
        let fragment = case["message_contains"].as_str().unwrap().to_lowercase();
        assert!(
            result.message.to_lowercase().contains(&fragment),
            "{name}: message {:?} lacks {fragment:?}",
            result.message
        );
    }
}

#[test]
fn verify_vectors_through_the_c_abi() {
    let cases = vector_json("verify.json");
    let cases = cases["cases"].as_array().unwrap();
    assert!(cases.len() >= 70);
    let mut accepted = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (created, verifier) = new_verifier(case);
        assert_eq!(
            created.status,
            LayerStatus::LAYER_OK,
            "{name}: {}",
            created.message
        );
        let token = c_arg(case, "token");
        let nonce = c_arg(case, "expected_nonce");
        let mut claims = SENTINEL as *mut c_char;
        let mut error = ptr::null_mut();
        let status = unsafe {
            layer_verifier_verify(
                verifier,
                ptr_of(&token),
                ptr_of(&nonce),
                int(case, "now"),
                int(case, "leeway_seconds") as u32,
                &mut claims,
                &mut error,
            )
        };
        unsafe { layer_verifier_free(verifier) };
        let (result, claims) = finish_string_call(status, error, claims);
        let description = case["description"].as_str().unwrap_or_default();
        assert_eq!(
            status_name(result.status),
            case["expected_status"].as_str().unwrap(),
            "{name} ({description}): {}",
            result.message
        );
        match case["expected_eit"].as_str() {
            Some(eit) => assert!(
                result.message.starts_with(&format!("{eit}: ")),
                "{name} ({description}): expected {eit}, got {:?}",
                result.message
            ),
            None => {
                assert_eq!(
                    claims.as_deref(),
                    case["expected_claims_json"].as_str(),
                    "{name}"
                );
                accepted += 1;
            }
        }
    }
    assert!(accepted > 0);
}

/// A claims getter's text, by pointer and length (claims may hold U+0000).
fn claim_text(get: impl FnOnce(*mut usize) -> *const c_char) -> Option<String> {
    let mut len = usize::MAX;
    let text = get(&mut len);
    if text.is_null() {
        assert_eq!(len, 0, "an absent claim has length 0");
        return None;
    }
    let bytes = unsafe { std::slice::from_raw_parts(text.cast::<u8>(), len) };
    assert_eq!(unsafe { *text.add(len) }, 0, "claim text is NUL-terminated");
    Some(String::from_utf8(bytes.to_vec()).unwrap())
}

/// The claims as the typed getters give them, in the shape of the claims JSON.
fn typed_claims(claims: *const LayerClaims) -> Value {
    let text = |get: unsafe extern "C" fn(*const LayerClaims, *mut usize) -> *const c_char| {
        claim_text(|len| unsafe { get(claims, len) })
    };
    let mut object = serde_json::Map::new();
    object.insert("iss".into(), text(layer_claims_provider_id).unwrap().into());
    object.insert("prn".into(), text(layer_claims_user_id).unwrap().into());
    object.insert(
        "iat".into(),
        unsafe { layer_claims_issued_at(claims) }.into(),
    );
    object.insert(
        "exp".into(),
        unsafe { layer_claims_expires_at(claims) }.into(),
    );
    object.insert("nce".into(), text(layer_claims_nonce).unwrap().into());
    for (name, get) in [
        (
            "first_name",
            layer_claims_first_name as unsafe extern "C" fn(_, _) -> _,
        ),
        ("last_name", layer_claims_last_name),
        ("display_name", layer_claims_display_name),
        ("avatar_url", layer_claims_avatar_url),
    ] {
        if let Some(value) = text(get) {
            object.insert(name.into(), value.into());
        }
    }
    let count = unsafe { layer_claims_metadata_count(claims) };
    if count > 0 {
        let metadata: serde_json::Map<String, Value> = (0..count)
            .map(|i| {
                let name = claim_text(|len| unsafe { layer_claims_metadata_name(claims, i, len) });
                let value =
                    claim_text(|len| unsafe { layer_claims_metadata_value(claims, i, len) });
                (name.unwrap(), Value::from(value.unwrap()))
            })
            .collect();
        let names: Vec<&String> = metadata.keys().collect();
        assert!(
            names.windows(2).all(|w| w[0] < w[1]),
            "metadata in name order"
        );
        object.insert("metadata".into(), metadata.into());
    }
    assert!(claim_text(|len| unsafe { layer_claims_metadata_name(claims, count, len) }).is_none());
    Value::Object(object)
}

/// What the typed claims must say for a token's claims JSON: the five claims, the attributes
/// that are strings (null means absent), metadata when it has entries; `-0` is the integer 0.
fn expected_typed_claims(claims_json: &str) -> Value {
    let claims: serde_json::Map<String, Value> = serde_json::from_str(claims_json).unwrap();
    let integer = |value: &Value| {
        value
            .as_i64()
            .or_else(|| (value.as_f64() == Some(0.0)).then_some(0))
            .unwrap()
    };
    let mut object = serde_json::Map::new();
    for name in ["iss", "prn", "nce"] {
        object.insert(name.into(), claims[name].clone());
    }
    object.insert("iat".into(), integer(&claims["iat"]).into());
    object.insert("exp".into(), integer(&claims["exp"]).into());
    for name in ["first_name", "last_name", "display_name", "avatar_url"] {
        if let Some(Value::String(value)) = claims.get(name) {
            object.insert(name.into(), value.clone().into());
        }
    }
    if let Some(Value::Object(metadata)) = claims.get("metadata") {
        if !metadata.is_empty() {
            object.insert("metadata".into(), Value::Object(metadata.clone()));
        }
    }
    Value::Object(object)
}

#[test]
fn verify_vectors_through_typed_claims() {
    let cases = vector_json("verify.json");
    for case in cases["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (created, verifier) = new_verifier(case);
        assert_eq!(created.status, LayerStatus::LAYER_OK, "{name}");
        let token = c_arg(case, "token");
        let nonce = c_arg(case, "expected_nonce");
        let mut claims = SENTINEL as *mut LayerClaims;
        let mut eit = LayerEit::LAYER_EIT_NONE;
        let mut error = ptr::null_mut();
        let status = unsafe {
            layer_verifier_verify_claims(
                verifier,
                ptr_of(&token),
                ptr_of(&nonce),
                int(case, "now"),
                int(case, "leeway_seconds") as u32,
                &mut claims,
                &mut eit,
                &mut error,
            )
        };
        unsafe { layer_verifier_free(verifier) };
        let result = outcome(status, error);
        assert_eq!(
            status_name(result.status),
            case["expected_status"].as_str().unwrap(),
            "{name}: {}",
            result.message
        );
        let eit_name = unsafe { CStr::from_ptr(layer_eit_name(eit as i32)) };
        match case["expected_eit"].as_str() {
            Some(expected) => {
                assert_eq!(eit_name.to_str().unwrap(), expected, "{name}");
                assert!(result.message.starts_with(&format!("{expected}: ")));
                assert_eq!(claims as usize, SENTINEL, "{name}: out_claims written");
            }
            None => {
                assert_eq!(eit, LayerEit::LAYER_EIT_NONE, "{name}");
                let json = case["expected_claims_json"].as_str().unwrap();
                assert_eq!(
                    claim_text(|len| unsafe { layer_claims_json(claims, len) }).as_deref(),
                    Some(json),
                    "{name}"
                );
                assert_eq!(typed_claims(claims), expected_typed_claims(json), "{name}");
                unsafe { layer_claims_free(claims) };
            }
        }
    }
}

#[test]
fn sign_vectors_through_sign_with_plain_strings() {
    let cases = vector_json("sign.json");
    for case in cases["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !needs_abi_3(c))
    {
        let name = case["name"].as_str().unwrap();
        let attributes: serde_json::Map<String, Value> = match case["attributes_json"].as_str() {
            Some(json) => serde_json::from_str(json).unwrap(),
            None => serde_json::Map::new(),
        };
        let attribute = |member: &str| {
            attributes
                .get(member)
                .and_then(Value::as_str)
                .map(|text| CString::new(text).unwrap())
        };
        let metadata: Vec<(CString, CString)> = match attributes.get("metadata") {
            Some(Value::Object(entries)) => entries
                .iter()
                .map(|(k, v)| {
                    let value = v.as_str().unwrap();
                    (
                        CString::new(k.as_str()).unwrap(),
                        CString::new(value).unwrap(),
                    )
                })
                .collect(),
            _ => Vec::new(),
        };
        // Given in reverse order: the library sorts them.
        let names: Vec<*const c_char> = metadata.iter().rev().map(|(k, _)| k.as_ptr()).collect();
        let values: Vec<*const c_char> = metadata.iter().rev().map(|(_, v)| v.as_ptr()).collect();
        let (created, signer) = new_signer(case);
        assert_eq!(created.status, LayerStatus::LAYER_OK, "{name}");
        let [first, last, display, avatar] =
            ["first_name", "last_name", "display_name", "avatar_url"].map(attribute);
        let user_id = c_arg(case, "user_id");
        let nonce = c_arg(case, "nonce");
        let mut token = SENTINEL as *mut c_char;
        let mut error = ptr::null_mut();
        let status = unsafe {
            layer_signer_sign_with(
                signer,
                ptr_of(&user_id),
                ptr_of(&nonce),
                int(case, "issued_at"),
                int(case, "ttl_seconds") as u32,
                ptr_of(&first),
                ptr_of(&last),
                ptr_of(&display),
                ptr_of(&avatar),
                if names.is_empty() {
                    ptr::null()
                } else {
                    names.as_ptr()
                },
                if values.is_empty() {
                    ptr::null()
                } else {
                    values.as_ptr()
                },
                names.len(),
                &mut token,
                &mut error,
            )
        };
        unsafe { layer_signer_free(signer) };
        let (result, token) = finish_string_call(status, error, token);
        assert_eq!(
            result.status,
            LayerStatus::LAYER_OK,
            "{name}: {}",
            result.message
        );
        assert_eq!(token.as_deref(), case["expected_token"].as_str(), "{name}");
    }
}

// ---------------------------------------------------------------------------------------------
// ABI 3: the pointer-and-length functions, which every wrapper uses. They run every vector,
// including those marked "abi": 3 that the NUL-terminated functions cannot express.

fn needs_abi_3(case: &Value) -> bool {
    case["abi"] == 3
}

/// An argument as the bytes a `_n` function gets: a string's UTF-8 (U+0000 included),
/// `{"hex": ...}` raw bytes, a `*_file` member's file; `None` for null or absent.
fn bytes_arg(args: &Value, name: &str) -> Option<Vec<u8>> {
    if let Some(path) = args.get(format!("{name}_file")).and_then(Value::as_str) {
        return Some(vector_file(path));
    }
    match args.get(name)? {
        Value::Null => None,
        Value::String(text) => Some(text.clone().into_bytes()),
        Value::Object(object) => {
            let hex = object["hex"].as_str().unwrap().replace(' ', "");
            Some(
                (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                    .collect(),
            )
        }
        other => panic!("unexpected argument {name}: {other}"),
    }
}

/// Pointer and length of an optional argument.
fn n_arg(arg: &Option<Vec<u8>>) -> (*const c_char, usize) {
    arg.as_ref().map_or((ptr::null(), 0), |bytes| {
        (bytes.as_ptr().cast(), bytes.len())
    })
}

fn token_type_flags(token_type: &[u8]) -> (Outcome, u32) {
    let mut flags = 0xdead_u32;
    let mut error = ptr::null_mut();
    let status = unsafe {
        layer_token_type_flags(
            token_type.as_ptr().cast(),
            token_type.len(),
            &mut flags,
            &mut error,
        )
    };
    if status != LayerStatus::LAYER_OK {
        assert_eq!(flags, 0xdead, "out_flags written on failure");
    }
    (outcome(status, error), flags)
}

fn new_signer_n(args: &Value) -> (Outcome, *mut LayerSigner) {
    let key = bytes_arg(args, "private_key");
    let passphrase = bytes_arg(args, "passphrase");
    let provider_id = bytes_arg(args, "provider_id");
    let key_id = bytes_arg(args, "key_id");
    let mut flags = flag_bits(args);
    if let Some(token_type) = bytes_arg(args, "token_type") {
        let (typed, bits) = token_type_flags(&token_type);
        assert_eq!(typed.status, LayerStatus::LAYER_OK, "{}", typed.message);
        flags |= bits;
    }
    let (key, key_len) = n_arg(&key);
    let (passphrase, passphrase_len) = n_arg(&passphrase);
    let (provider_id, provider_id_len) = n_arg(&provider_id);
    let (key_id, key_id_len) = n_arg(&key_id);
    let mut signer = SENTINEL as *mut LayerSigner;
    let mut error = ptr::null_mut();
    let status = unsafe {
        layer_signer_new_n(
            key.cast(),
            key_len,
            passphrase.cast(),
            passphrase_len,
            provider_id,
            provider_id_len,
            key_id,
            key_id_len,
            flags,
            &mut signer,
            &mut error,
        )
    };
    if status != LayerStatus::LAYER_OK {
        assert_eq!(signer as usize, SENTINEL, "out_signer written on failure");
    }
    (outcome(status, error), signer)
}

/// The four identity attributes by `LayerAttribute` index, as bytes.
type AttributeBytes = [Option<Vec<u8>>; 4];
/// Metadata names and values, as bytes, in the order given.
type MetadataBytes = Vec<(Vec<u8>, Vec<u8>)>;

/// The attributes and metadata of a case: `attributes` (an object) and `metadata` (pairs) in
/// ABI 3 cases, or the members of `attributes_json`.
fn attributes_and_metadata(args: &Value) -> (AttributeBytes, MetadataBytes) {
    let from_json: Value = match args.get("attributes_json").and_then(Value::as_str) {
        Some(json) => serde_json::from_str(json).unwrap(),
        None => Value::Null,
    };
    let attributes = if args["attributes"].is_object() {
        &args["attributes"]
    } else {
        &from_json
    };
    let values = ["first_name", "last_name", "display_name", "avatar_url"]
        .map(|name| bytes_arg(attributes, name));
    let metadata = match (&args["metadata"], &from_json["metadata"]) {
        (Value::Array(pairs), _) => pairs
            .iter()
            .map(|pair| {
                let pair = Value::Array(pair.as_array().unwrap().clone());
                let entry = |i: usize| bytes_arg(&serde_json::json!({"v": pair[i]}), "v").unwrap();
                (entry(0), entry(1))
            })
            .collect(),
        (_, Value::Object(entries)) => entries
            .iter()
            .map(|(k, v)| {
                (
                    k.clone().into_bytes(),
                    v.as_str().unwrap().as_bytes().to_vec(),
                )
            })
            .collect(),
        _ => Vec::new(),
    };
    (values, metadata)
}

fn sign_n(signer: *const LayerSigner, args: &Value) -> (Outcome, Option<String>) {
    let user_id = bytes_arg(args, "user_id");
    let nonce = bytes_arg(args, "nonce");
    let (attributes, metadata) = attributes_and_metadata(args);
    let attribute_ptrs = attributes.each_ref().map(|a| n_arg(a).0);
    let attribute_lens = attributes.each_ref().map(|a| n_arg(a).1);
    let names: Vec<*const c_char> = metadata.iter().map(|(n, _)| n.as_ptr().cast()).collect();
    let name_lens: Vec<usize> = metadata.iter().map(|(n, _)| n.len()).collect();
    let values: Vec<*const c_char> = metadata.iter().map(|(_, v)| v.as_ptr().cast()).collect();
    let value_lens: Vec<usize> = metadata.iter().map(|(_, v)| v.len()).collect();
    let (user_id, user_id_len) = n_arg(&user_id);
    let (nonce, nonce_len) = n_arg(&nonce);
    let mut token = SENTINEL as *mut c_char;
    let mut error = ptr::null_mut();
    let status = unsafe {
        layer_signer_sign_n(
            signer,
            user_id,
            user_id_len,
            nonce,
            nonce_len,
            int(args, "issued_at"),
            int(args, "ttl_seconds"),
            attribute_ptrs.as_ptr(),
            attribute_lens.as_ptr(),
            names.as_ptr(),
            name_lens.as_ptr(),
            values.as_ptr(),
            value_lens.as_ptr(),
            metadata.len(),
            &mut token,
            &mut error,
        )
    };
    finish_string_call(status, error, token)
}

fn sign_one_shot_n(args: &Value) -> (Outcome, Option<String>) {
    let [key, provider_id, key_id, user_id, nonce] =
        ["private_key", "provider_id", "key_id", "user_id", "nonce"].map(|n| bytes_arg(args, n));
    let (key, key_len) = n_arg(&key);
    let (provider_id, provider_id_len) = n_arg(&provider_id);
    let (key_id, key_id_len) = n_arg(&key_id);
    let (user_id, user_id_len) = n_arg(&user_id);
    let (nonce, nonce_len) = n_arg(&nonce);
    let mut token = SENTINEL as *mut c_char;
    let mut error = ptr::null_mut();
    let status = unsafe {
        layer_sign_token_n(
            key.cast(),
            key_len,
            provider_id,
            provider_id_len,
            key_id,
            key_id_len,
            user_id,
            user_id_len,
            nonce,
            nonce_len,
            int(args, "issued_at"),
            int(args, "ttl_seconds"),
            &mut token,
            &mut error,
        )
    };
    finish_string_call(status, error, token)
}

fn new_verifier_n(args: &Value) -> (Outcome, *mut LayerVerifier) {
    let [key, provider_id, key_id] = ["key", "provider_id", "key_id"].map(|n| bytes_arg(args, n));
    let (key, key_len) = n_arg(&key);
    let (provider_id, provider_id_len) = n_arg(&provider_id);
    let (key_id, key_id_len) = n_arg(&key_id);
    let mut verifier = SENTINEL as *mut LayerVerifier;
    let mut error = ptr::null_mut();
    let status = unsafe {
        layer_verifier_new_n(
            key.cast(),
            key_len,
            provider_id,
            provider_id_len,
            key_id,
            key_id_len,
            flag_bits(args),
            &mut verifier,
            &mut error,
        )
    };
    if status != LayerStatus::LAYER_OK {
        assert_eq!(
            verifier as usize, SENTINEL,
            "out_verifier written on failure"
        );
    }
    (outcome(status, error), verifier)
}

/// `layer_verifier_verify_n`: the outcome, the identifier, and on success the claims as the
/// one call reads them, in the shape of `typed_claims`.
fn verify_n(verifier: *const LayerVerifier, args: &Value) -> (Outcome, LayerEit, Option<Value>) {
    let token = bytes_arg(args, "token");
    let nonce = bytes_arg(args, "expected_nonce");
    let (token, token_len) = n_arg(&token);
    let (nonce, nonce_len) = n_arg(&nonce);
    let mut claims = SENTINEL as *mut LayerClaims;
    let mut texts = [ptr::null::<c_char>(); LAYER_CLAIM_TEXT_COUNT];
    let mut lens = [usize::MAX; LAYER_CLAIM_TEXT_COUNT];
    let mut times = [i64::MIN; 2];
    let mut eit = LayerEit::LAYER_EIT_NONE;
    let mut error = ptr::null_mut();
    let status = unsafe {
        layer_verifier_verify_n(
            verifier,
            token,
            token_len,
            nonce,
            nonce_len,
            int(args, "now"),
            int(args, "leeway_seconds"),
            &mut claims,
            texts.as_mut_ptr(),
            lens.as_mut_ptr(),
            texts.len(),
            times.as_mut_ptr(),
            &mut eit,
            &mut error,
        )
    };
    let result = outcome(status, error);
    if result.status != LayerStatus::LAYER_OK {
        assert_eq!(claims as usize, SENTINEL, "out_claims written on failure");
        assert_eq!(times, [i64::MIN; 2], "out_times written on failure");
        return (result, eit, None);
    }
    let text = |index: LayerClaimText| {
        let (pointer, len) = (texts[index as usize], lens[index as usize]);
        if pointer.is_null() {
            assert_eq!(len, 0);
            return None;
        }
        let bytes = unsafe { std::slice::from_raw_parts(pointer.cast::<u8>(), len) };
        Some(String::from_utf8(bytes.to_vec()).unwrap())
    };
    let mut object = serde_json::Map::new();
    object.insert(
        "iss".into(),
        text(LayerClaimText::LAYER_CLAIM_PROVIDER_ID).into(),
    );
    object.insert(
        "prn".into(),
        text(LayerClaimText::LAYER_CLAIM_USER_ID).into(),
    );
    object.insert("iat".into(), times[0].into());
    object.insert("exp".into(), times[1].into());
    object.insert("nce".into(), text(LayerClaimText::LAYER_CLAIM_NONCE).into());
    for (name, index) in [
        ("first_name", LayerClaimText::LAYER_CLAIM_FIRST_NAME),
        ("last_name", LayerClaimText::LAYER_CLAIM_LAST_NAME),
        ("display_name", LayerClaimText::LAYER_CLAIM_DISPLAY_NAME),
        ("avatar_url", LayerClaimText::LAYER_CLAIM_AVATAR_URL),
    ] {
        if let Some(value) = text(index) {
            object.insert(name.into(), value.into());
        }
    }
    if let Some(metadata) = text(LayerClaimText::LAYER_CLAIM_METADATA_JSON) {
        object.insert("metadata".into(), serde_json::from_str(&metadata).unwrap());
    }
    let json = text(LayerClaimText::LAYER_CLAIM_JSON).unwrap();
    assert_eq!(Some(json.as_str()), args["expected_claims_json"].as_str());
    assert_eq!(
        Value::Object(object.clone()),
        typed_claims(claims),
        "the getters agree"
    );
    unsafe { layer_claims_free(claims) };
    (result, eit, Some(Value::Object(object)))
}

#[test]
fn sign_vectors_through_the_n_functions() {
    let cases = vector_json("sign.json");
    let cases = cases["cases"].as_array().unwrap();
    let abi_3 = cases.iter().filter(|case| needs_abi_3(case)).count();
    assert!(abi_3 >= 5, "{abi_3} cases need ABI 3");
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (created, signer) = new_signer_n(case);
        assert_eq!(
            created.status,
            LayerStatus::LAYER_OK,
            "{name}: {}",
            created.message
        );
        let (signed, token) = sign_n(signer, case);
        unsafe { layer_signer_free(signer) };
        assert_eq!(
            signed.status,
            LayerStatus::LAYER_OK,
            "{name}: {}",
            signed.message
        );
        assert_eq!(token.as_deref(), case["expected_token"].as_str(), "{name}");
        if case["one_shot"] == true {
            let (signed, token) = sign_one_shot_n(case);
            assert_eq!(
                signed.status,
                LayerStatus::LAYER_OK,
                "{name}: {}",
                signed.message
            );
            assert_eq!(
                token.as_deref(),
                case["expected_token"].as_str(),
                "{name} (one-shot)"
            );
        }
    }
}

#[test]
fn error_vectors_through_the_n_functions() {
    let cases = vector_json("errors.json");
    let cases = cases["cases"].as_array().unwrap();
    let mut ran = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let args = &case["args"];
        let call = case["call"].as_str().unwrap();
        // The NUL-terminated calls' JSON attributes have no pointer-and-length form, key
        // generation has no _n function, and keys are bytes there (nul_terminated_only).
        if (call == "signer_sign" && !args["attributes_json"].is_null())
            || call == "generate_key_pair"
            || case["nul_terminated_only"] == true
        {
            continue;
        }
        let result = match call {
            "sign_token" => sign_one_shot_n(args).0,
            "signer_new" => {
                let (result, signer) = new_signer_n(args);
                if result.status == LayerStatus::LAYER_OK {
                    unsafe { layer_signer_free(signer) };
                }
                result
            }
            "signer_sign" => {
                let (created, signer) = new_signer_n(&args["signer"]);
                assert_eq!(
                    created.status,
                    LayerStatus::LAYER_OK,
                    "{name}: the signer is valid"
                );
                let (result, _) = sign_n(signer, args);
                unsafe { layer_signer_free(signer) };
                result
            }
            "verifier_new" => {
                let (result, verifier) = new_verifier_n(args);
                if result.status == LayerStatus::LAYER_OK {
                    unsafe { layer_verifier_free(verifier) };
                }
                result
            }
            "verifier_verify" => {
                let (created, verifier) = new_verifier_n(&args["verifier"]);
                assert_eq!(
                    created.status,
                    LayerStatus::LAYER_OK,
                    "{name}: the verifier is valid"
                );
                let (result, _, _) = verify_n(verifier, args);
                unsafe { layer_verifier_free(verifier) };
                result
            }
            "token_type_flags" => token_type_flags(&bytes_arg(args, "token_type").unwrap()).0,
            other => panic!("unknown call {other}"),
        };
        assert_eq!(
            status_name(result.status),
            case["expected_status"].as_str().unwrap(),
            "{name}: {}",
            result.message
        );
        let fragment = case["message_contains"].as_str().unwrap().to_lowercase();
        assert!(
            result.message.to_lowercase().contains(&fragment),
            "{name}: message {:?} lacks {fragment:?}",
            result.message
        );
        ran += 1;
    }
    assert!(ran >= 150, "{ran} cases ran");
}

#[test]
fn verify_vectors_through_verify_n() {
    let cases = vector_json("verify.json");
    for case in cases["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (created, verifier) = new_verifier_n(case);
        assert_eq!(created.status, LayerStatus::LAYER_OK, "{name}");
        let (result, eit, claims) = verify_n(verifier, case);
        unsafe { layer_verifier_free(verifier) };
        assert_eq!(
            status_name(result.status),
            case["expected_status"].as_str().unwrap(),
            "{name}: {}",
            result.message
        );
        let eit_name = unsafe { CStr::from_ptr(layer_eit_name(eit as i32)) };
        match case["expected_eit"].as_str() {
            Some(expected) => assert_eq!(eit_name.to_str().unwrap(), expected, "{name}"),
            None => assert_eq!(
                claims.unwrap(),
                expected_typed_claims(case["expected_claims_json"].as_str().unwrap()),
                "{name}"
            ),
        }
    }
}

/// `layer_verifier_verify_into`: the claims in the caller's buffer, as the typed getters give
/// them (checked against `verify_n`'s reading of the same case).
fn verify_into(verifier: *const LayerVerifier, args: &Value) -> (Outcome, LayerEit, Option<Value>) {
    let token = bytes_arg(args, "token");
    let nonce = bytes_arg(args, "expected_nonce");
    let (token, token_len) = n_arg(&token);
    let (nonce, nonce_len) = n_arg(&nonce);
    let mut buffer = vec![0xa5u8; LAYER_VERIFY_INTO_BUFFER_BYTES];
    let mut eit = LayerEit::LAYER_EIT_NONE;
    let mut error = ptr::null_mut();
    let status = unsafe {
        layer_verifier_verify_into(
            verifier,
            token,
            token_len,
            nonce,
            nonce_len,
            int(args, "now"),
            int(args, "leeway_seconds"),
            buffer.as_mut_ptr(),
            buffer.len(),
            &mut eit,
            &mut error,
        )
    };
    let result = outcome(status, error);
    if result.status != LayerStatus::LAYER_OK {
        assert!(
            buffer.iter().all(|b| *b == 0xa5),
            "the buffer is written on failure"
        );
        return (result, eit, None);
    }
    let int64 = |at: usize| i64::from_ne_bytes(buffer[at..at + 8].try_into().unwrap());
    let mut texts = Vec::new();
    let mut at = LAYER_VERIFY_INTO_HEADER_BYTES;
    for index in 0..LAYER_CLAIM_TEXT_COUNT {
        let len = u32::from_ne_bytes(buffer[16 + 4 * index..20 + 4 * index].try_into().unwrap());
        texts.push((len != LAYER_CLAIM_ABSENT).then(|| {
            let text = String::from_utf8(buffer[at..at + len as usize].to_vec()).unwrap();
            at += len as usize;
            text
        }));
    }
    let mut object = serde_json::Map::new();
    object.insert("iss".into(), texts[0].clone().into());
    object.insert("prn".into(), texts[1].clone().into());
    object.insert("iat".into(), int64(0).into());
    object.insert("exp".into(), int64(8).into());
    object.insert("nce".into(), texts[2].clone().into());
    for (name, text) in ["first_name", "last_name", "display_name", "avatar_url"]
        .into_iter()
        .zip(&texts[3..7])
    {
        if let Some(value) = text {
            object.insert(name.into(), value.clone().into());
        }
    }
    assert_eq!(texts[7].as_deref(), args["expected_claims_json"].as_str());
    if let Some(metadata) = &texts[8] {
        object.insert("metadata".into(), serde_json::from_str(metadata).unwrap());
    }
    (result, eit, Some(Value::Object(object)))
}

#[test]
fn verify_vectors_through_verify_into() {
    let cases = vector_json("verify.json");
    for case in cases["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (created, verifier) = new_verifier_n(case);
        assert_eq!(created.status, LayerStatus::LAYER_OK, "{name}");
        let (result, eit, claims) = verify_into(verifier, case);
        let (reference, reference_eit, reference_claims) = verify_n(verifier, case);
        unsafe { layer_verifier_free(verifier) };
        assert_eq!(
            result.status, reference.status,
            "{name}: {}",
            result.message
        );
        assert_eq!(result.message, reference.message, "{name}");
        assert_eq!(eit, reference_eit, "{name}");
        assert_eq!(claims, reference_claims, "{name}");
    }
}

/// A buffer too small is refused with what it needs, and nothing is written.
#[test]
fn verify_into_says_how_large_a_buffer_it_needs() {
    let case = vector_json("verify.json")["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|case| case["expected_status"] == "LAYER_OK")
        .unwrap()
        .clone();
    let (_, verifier) = new_verifier_n(&case);
    let token = bytes_arg(&case, "token").unwrap();
    let mut buffer = vec![0u8; LAYER_VERIFY_INTO_HEADER_BYTES + 3];
    let mut error = ptr::null_mut();
    let status = unsafe {
        layer_verifier_verify_into(
            verifier,
            token.as_ptr().cast(),
            token.len(),
            ptr::null(),
            0,
            int(&case, "now"),
            int(&case, "leeway_seconds"),
            buffer.as_mut_ptr(),
            buffer.len(),
            ptr::null_mut(),
            &mut error,
        )
    };
    let result = outcome(status, error);
    unsafe { layer_verifier_free(verifier) };
    assert_eq!(result.status, LayerStatus::LAYER_ERR_INVALID_ARGUMENT);
    assert!(
        result.message.contains("LAYER_VERIFY_INTO_BUFFER_BYTES"),
        "{}",
        result.message
    );
    assert!(buffer.iter().all(|b| *b == 0));
}
