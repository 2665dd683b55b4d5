//! Calls through the C ABI (`layer_identity::ffi`), each turned into a Rust result that owns
//! everything the call gave out, so the targets compare them with the Rust API's. Every handle
//! and string is freed here: the targets run under LeakSanitizer.

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use layer_identity::ffi::*;

/// A failed call: its status name, message, and `eit_*` identifier (`""` for none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub status: &'static str,
    pub message: String,
    pub eit: &'static str,
}

pub type Outcome<T> = Result<T, Failure>;

fn name(text: *const c_char) -> &'static str {
    // SAFETY: the library's names are static NUL-terminated ASCII.
    unsafe { CStr::from_ptr(text) }
        .to_str()
        .expect("names are ASCII")
}

/// Takes (and frees) a message the library gave out.
///
/// # Safety
/// `message` is NULL or a string from the library not yet freed.
unsafe fn take_string(message: *mut c_char) -> String {
    if message.is_null() {
        return String::new();
    }
    let text = CStr::from_ptr(message).to_string_lossy().into_owned();
    layer_string_free(message);
    text
}

/// # Safety
/// `error` is what the call wrote to its `out_error` (NULL on success).
unsafe fn outcome(status: LayerStatus, error: *mut c_char, eit: LayerEit) -> Outcome<()> {
    if status == LayerStatus::LAYER_OK {
        assert!(error.is_null(), "an error message was written on success");
        return Ok(());
    }
    assert!(!error.is_null(), "a failure without a message");
    Err(Failure {
        status: name(layer_status_name(status as _)),
        message: take_string(error),
        eit: name(layer_eit_name(eit as _)),
    })
}

/// A copy of `len` bytes the library gave out at `text`.
///
/// # Safety
/// `text` points to `len` readable bytes (any pointer when `len` is 0 and `text` is not NULL).
unsafe fn copied(text: *const c_char, len: usize) -> Vec<u8> {
    std::slice::from_raw_parts(text.cast::<u8>(), len).to_vec()
}

/// The claim getters, by `LayerClaimText` index (the metadata JSON has none: see
/// `metadata`).
const CLAIM_GETTERS: [unsafe extern "C" fn(*const LayerClaims, *mut usize) -> *const c_char; 8] = [
    layer_claims_provider_id,
    layer_claims_user_id,
    layer_claims_nonce,
    layer_claims_first_name,
    layer_claims_last_name,
    layer_claims_display_name,
    layer_claims_avatar_url,
    layer_claims_json,
];

/// The metadata of `claims`, read with the metadata getters, in their order.
///
/// # Safety
/// `claims` is a live handle.
unsafe fn metadata(claims: *const LayerClaims) -> Vec<(Vec<u8>, Vec<u8>)> {
    (0..layer_claims_metadata_count(claims))
        .map(|index| {
            let (mut name_len, mut value_len) = (0, 0);
            let name = layer_claims_metadata_name(claims, index, &mut name_len);
            let value = layer_claims_metadata_value(claims, index, &mut value_len);
            assert!(!name.is_null() && !value.is_null());
            (copied(name, name_len), copied(value, value_len))
        })
        .collect()
}

/// Pointer and length of an optional text (NULL for none).
fn parts(text: Option<&[u8]>) -> (*const c_char, usize) {
    text.map_or((ptr::null(), 0), |t| (t.as_ptr().cast(), t.len()))
}

/// The claims a verification gave, the same for every C function that gives them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CClaims {
    /// By `LayerClaimText` index; `None` when absent.
    pub texts: [Option<Vec<u8>>; LAYER_CLAIM_TEXT_COUNT],
    pub iat: i64,
    pub exp: i64,
}

/// Owns a verifier made through the C ABI.
pub struct CVerifier(*mut LayerVerifier);

impl Drop for CVerifier {
    fn drop(&mut self) {
        // SAFETY: a live handle from `layer_verifier_new_n`, freed once.
        unsafe { layer_verifier_free(self.0) };
    }
}

impl CVerifier {
    pub fn new(key: &[u8], provider_id: &[u8], key_id: &[u8], flags: u32) -> Outcome<CVerifier> {
        let mut verifier = ptr::null_mut();
        let mut error = ptr::null_mut();
        // SAFETY: every pointer and length is of a live slice.
        unsafe {
            let status = layer_verifier_new_n(
                key.as_ptr(),
                key.len(),
                provider_id.as_ptr().cast(),
                provider_id.len(),
                key_id.as_ptr().cast(),
                key_id.len(),
                flags,
                &mut verifier,
                &mut error,
            );
            outcome(status, error, LayerEit::LAYER_EIT_NONE)?;
        }
        assert!(!verifier.is_null());
        Ok(CVerifier(verifier))
    }

    /// `layer_verifier_verify_n`, every text read.
    pub fn verify_n(
        &self,
        token: &[u8],
        nonce: Option<&[u8]>,
        now: i64,
        leeway: i64,
    ) -> Outcome<CClaims> {
        let (nonce, nonce_len) = parts(nonce);
        let mut claims = ptr::null_mut();
        let mut texts = [ptr::null(); LAYER_CLAIM_TEXT_COUNT];
        let mut lens = [usize::MAX; LAYER_CLAIM_TEXT_COUNT];
        let mut times = [i64::MIN; 2];
        let mut eit = LayerEit::LAYER_EIT_NONE;
        let mut error = ptr::null_mut();
        // SAFETY: arrays of LAYER_CLAIM_TEXT_COUNT entries and two times, as the header says.
        unsafe {
            let status = layer_verifier_verify_n(
                self.0,
                token.as_ptr().cast(),
                token.len(),
                nonce,
                nonce_len,
                now,
                leeway,
                &mut claims,
                texts.as_mut_ptr(),
                lens.as_mut_ptr(),
                LAYER_CLAIM_TEXT_COUNT,
                times.as_mut_ptr(),
                &mut eit,
                &mut error,
            );
            outcome(status, error, eit)?;
            let mut read = CClaims {
                iat: times[0],
                exp: times[1],
                ..CClaims::default()
            };
            for (slot, (text, len)) in read.texts.iter_mut().zip(texts.iter().zip(lens)) {
                if text.is_null() {
                    assert_eq!(len, 0, "an absent text with a length");
                } else {
                    *slot = Some(copied(*text, len));
                }
            }
            // The getters read the same handle (the JSON's: the same pointer).
            let json = LayerClaimText::LAYER_CLAIM_JSON as usize;
            for (index, getter) in CLAIM_GETTERS.into_iter().enumerate().take(json) {
                let mut len = usize::MAX;
                let text = getter(claims, &mut len);
                assert_eq!(text, texts[index], "getter {index} and verify_n disagree");
                if !text.is_null() {
                    assert_eq!(len, lens[index]);
                    assert_eq!(*text.add(len), 0, "getter {index}: no NUL after the text");
                }
            }
            let mut len = usize::MAX;
            assert_eq!(CLAIM_GETTERS[json](claims, &mut len), texts[json]);
            assert_eq!(layer_claims_issued_at(claims), read.iat);
            assert_eq!(layer_claims_expires_at(claims), read.exp);
            let metadata = metadata(claims);
            let count = metadata.len();
            assert!(layer_claims_metadata_name(claims, count, ptr::null_mut()).is_null());
            layer_claims_free(claims);
            assert_eq!(
                metadata_json(&metadata),
                read.texts[LayerClaimText::LAYER_CLAIM_METADATA_JSON as usize],
                "the metadata getters and the metadata JSON disagree"
            );
            Ok(read)
        }
    }

    /// `layer_verifier_verify_into`, the buffer read back.
    pub fn verify_into(
        &self,
        token: &[u8],
        nonce: Option<&[u8]>,
        now: i64,
        leeway: i64,
    ) -> Outcome<CClaims> {
        let (nonce, nonce_len) = parts(nonce);
        let mut buffer = vec![0xA5u8; LAYER_VERIFY_INTO_BUFFER_BYTES];
        let mut eit = LayerEit::LAYER_EIT_NONE;
        let mut error = ptr::null_mut();
        // SAFETY: a buffer of the length given.
        unsafe {
            let status = layer_verifier_verify_into(
                self.0,
                token.as_ptr().cast(),
                token.len(),
                nonce,
                nonce_len,
                now,
                leeway,
                buffer.as_mut_ptr(),
                buffer.len(),
                &mut eit,
                &mut error,
            );
            if let Err(failure) = outcome(status, error, eit) {
                assert!(
                    buffer.iter().all(|&b| b == 0xA5),
                    "a failed call wrote the buffer"
                );
                return Err(failure);
            }
        }
        let int = |at: usize| i64::from_ne_bytes(buffer[at..at + 8].try_into().unwrap());
        let mut read = CClaims {
            iat: int(0),
            exp: int(8),
            ..CClaims::default()
        };
        let mut at = LAYER_VERIFY_INTO_HEADER_BYTES;
        for (index, slot) in read.texts.iter_mut().enumerate() {
            let len_at = 16 + 4 * index;
            let len = u32::from_ne_bytes(buffer[len_at..len_at + 4].try_into().unwrap());
            if len != LAYER_CLAIM_ABSENT {
                *slot = Some(buffer[at..at + len as usize].to_vec());
                at += len as usize;
            }
        }
        Ok(read)
    }

    /// `layer_verifier_verify` (ABI 1: NUL-terminated, `now <= 0` is the clock): the claims JSON.
    pub fn verify_legacy(
        &self,
        token: &CStr,
        nonce: Option<&CStr>,
        now: i64,
        leeway: u32,
    ) -> Outcome<String> {
        let mut json = ptr::null_mut();
        let mut error = ptr::null_mut();
        // SAFETY: NUL-terminated strings that outlive the call.
        unsafe {
            let status = layer_verifier_verify(
                self.0,
                token.as_ptr(),
                nonce.map_or(ptr::null(), CStr::as_ptr),
                now,
                leeway,
                &mut json,
                &mut error,
            );
            outcome(status, error, LayerEit::LAYER_EIT_NONE).map_err(|mut failure| {
                failure.eit = "";
                failure
            })?;
            Ok(take_string(json))
        }
    }

    /// `layer_verifier_verify_claims` (ABI 2): the typed claims, read with the getters.
    pub fn verify_claims(
        &self,
        token: &CStr,
        nonce: Option<&CStr>,
        now: i64,
        leeway: u32,
    ) -> Outcome<CClaims> {
        let mut claims = ptr::null_mut();
        let mut eit = LayerEit::LAYER_EIT_NONE;
        let mut error = ptr::null_mut();
        // SAFETY: NUL-terminated strings that outlive the call.
        unsafe {
            let status = layer_verifier_verify_claims(
                self.0,
                token.as_ptr(),
                nonce.map_or(ptr::null(), CStr::as_ptr),
                now,
                leeway,
                &mut claims,
                &mut eit,
                &mut error,
            );
            outcome(status, error, eit)?;
            let mut read = CClaims {
                iat: layer_claims_issued_at(claims),
                exp: layer_claims_expires_at(claims),
                ..CClaims::default()
            };
            for (slot, getter) in read.texts.iter_mut().zip(CLAIM_GETTERS) {
                let mut len = 0;
                let text = getter(claims, &mut len);
                if !text.is_null() {
                    *slot = Some(copied(text, len));
                }
            }
            let metadata = metadata(claims);
            read.texts[LayerClaimText::LAYER_CLAIM_METADATA_JSON as usize] =
                metadata_json(&metadata);
            layer_claims_free(claims);
            Ok(read)
        }
    }
}

/// The metadata as the C ABI's `LAYER_CLAIM_METADATA_JSON` writes it: compact, in name order
/// (the getters give them in that order), absent when empty.
fn metadata_json(entries: &[(Vec<u8>, Vec<u8>)]) -> Option<Vec<u8>> {
    if entries.is_empty() {
        return None;
    }
    let text = |bytes: &[u8]| {
        serde_json::to_string(std::str::from_utf8(bytes).expect("claims are UTF-8")).unwrap()
    };
    let members: Vec<String> = entries
        .iter()
        .map(|(name, value)| format!("{}:{}", text(name), text(value)))
        .collect();
    Some(format!("{{{}}}", members.join(",")).into_bytes())
}

/// Owns a signer made through the C ABI.
pub struct CSigner(pub *mut LayerSigner);

impl Drop for CSigner {
    fn drop(&mut self) {
        // SAFETY: a live handle, freed once.
        unsafe { layer_signer_free(self.0) };
    }
}

impl CSigner {
    /// `layer_signer_new_n`.
    pub fn new(
        key: &[u8],
        passphrase: Option<&[u8]>,
        provider_id: &[u8],
        key_id: &[u8],
        flags: u32,
    ) -> Outcome<CSigner> {
        let (pass, pass_len) = parts(passphrase);
        let mut signer = ptr::null_mut();
        let mut error = ptr::null_mut();
        // SAFETY: every pointer and length is of a live slice.
        unsafe {
            let status = layer_signer_new_n(
                key.as_ptr(),
                key.len(),
                pass.cast(),
                pass_len,
                provider_id.as_ptr().cast(),
                provider_id.len(),
                key_id.as_ptr().cast(),
                key_id.len(),
                flags,
                &mut signer,
                &mut error,
            );
            outcome(status, error, LayerEit::LAYER_EIT_NONE)?;
        }
        Ok(CSigner(signer))
    }

    /// `layer_signer_new` (ABI 1, NUL-terminated).
    pub fn new_legacy(
        key: &CStr,
        passphrase: Option<&CStr>,
        provider_id: &CStr,
        key_id: &CStr,
        flags: u32,
    ) -> Outcome<CSigner> {
        let mut signer = ptr::null_mut();
        let mut error = ptr::null_mut();
        // SAFETY: NUL-terminated strings that outlive the call.
        unsafe {
            let status = layer_signer_new(
                key.as_ptr(),
                passphrase.map_or(ptr::null(), CStr::as_ptr),
                provider_id.as_ptr(),
                key_id.as_ptr(),
                flags,
                &mut signer,
                &mut error,
            );
            outcome(status, error, LayerEit::LAYER_EIT_NONE)?;
        }
        Ok(CSigner(signer))
    }

    /// `layer_signer_from_env`.
    pub fn from_env(flags: u32) -> Outcome<CSigner> {
        let mut signer = ptr::null_mut();
        let mut error = ptr::null_mut();
        // SAFETY: out-parameters of the right types.
        unsafe {
            let status = layer_signer_from_env(flags, &mut signer, &mut error);
            outcome(status, error, LayerEit::LAYER_EIT_NONE)?;
        }
        Ok(CSigner(signer))
    }

    /// `layer_signer_sign_n` with no attributes.
    pub fn sign(&self, user_id: &[u8], nonce: &[u8], issued_at: i64, ttl: i64) -> Outcome<String> {
        let mut token = ptr::null_mut();
        let mut error = ptr::null_mut();
        // SAFETY: live slices; NULL attributes and metadata.
        unsafe {
            let status = layer_signer_sign_n(
                self.0,
                user_id.as_ptr().cast(),
                user_id.len(),
                nonce.as_ptr().cast(),
                nonce.len(),
                issued_at,
                ttl,
                ptr::null(),
                ptr::null(),
                ptr::null(),
                ptr::null(),
                ptr::null(),
                ptr::null(),
                0,
                &mut token,
                &mut error,
            );
            outcome(status, error, LayerEit::LAYER_EIT_NONE)?;
            Ok(take_string(token))
        }
    }

    /// `layer_signer_public_key_pem`.
    pub fn public_key_pem(&self) -> String {
        let mut pem = ptr::null_mut();
        let mut error = ptr::null_mut();
        // SAFETY: out-parameters of the right types.
        unsafe {
            let status = layer_signer_public_key_pem(self.0, &mut pem, &mut error);
            outcome(status, error, LayerEit::LAYER_EIT_NONE).expect("a signer has a public key");
            take_string(pem)
        }
    }
}

/// `layer_sign_token_n` (the one-shot, with its key cache).
pub fn sign_token(
    key: &[u8],
    provider_id: &[u8],
    key_id: &[u8],
    user_id: &[u8],
    nonce: &[u8],
    issued_at: i64,
) -> Outcome<String> {
    let mut token = ptr::null_mut();
    let mut error = ptr::null_mut();
    // SAFETY: live slices.
    unsafe {
        let status = layer_sign_token_n(
            key.as_ptr(),
            key.len(),
            provider_id.as_ptr().cast(),
            provider_id.len(),
            key_id.as_ptr().cast(),
            key_id.len(),
            user_id.as_ptr().cast(),
            user_id.len(),
            nonce.as_ptr().cast(),
            nonce.len(),
            issued_at,
            0,
            &mut token,
            &mut error,
        );
        outcome(status, error, LayerEit::LAYER_EIT_NONE)?;
        Ok(take_string(token))
    }
}

/// `CString` of `bytes`, when they hold no NUL (what the NUL-terminated functions can take).
pub fn c_string(bytes: &[u8]) -> Option<CString> {
    CString::new(bytes).ok()
}

/// What an exchange answered, read through the C ABI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub close: bool,
    pub log: Option<String>,
}

/// Owns a `LayerExchange`.
pub struct CExchange(*mut LayerExchange);

impl Drop for CExchange {
    fn drop(&mut self) {
        // SAFETY: a live exchange, freed once.
        unsafe { layer_exchange_free(self.0) };
    }
}

impl CExchange {
    pub fn new(
        method: &[u8],
        target: &[u8],
        content_type: Option<&[u8]>,
        content_length: Option<&[u8]>,
    ) -> CExchange {
        let (ct, ct_len) = parts(content_type);
        let (cl, cl_len) = parts(content_length);
        let mut exchange = ptr::null_mut();
        let mut error = ptr::null_mut();
        // SAFETY: live slices.
        unsafe {
            let status = layer_exchange_new(
                method.as_ptr().cast(),
                method.len(),
                target.as_ptr().cast(),
                target.len(),
                ct,
                ct_len,
                cl,
                cl_len,
                &mut exchange,
                &mut error,
            );
            outcome(status, error, LayerEit::LAYER_EIT_NONE)
                .expect("layer_exchange_new fails only for NULL");
        }
        CExchange(exchange)
    }

    pub fn step(&self) -> LayerExchangeStep {
        // SAFETY: a live exchange.
        unsafe { layer_exchange_step(self.0) }
    }

    pub fn put_body(&mut self, body: &[u8]) -> Outcome<()> {
        let mut error = ptr::null_mut();
        // SAFETY: a live exchange and slice.
        unsafe {
            let status = layer_exchange_put_body(self.0, body.as_ptr(), body.len(), &mut error);
            outcome(status, error, LayerEit::LAYER_EIT_NONE)
        }
    }

    /// The fields, by `LayerField` index.
    pub fn fields(&self) -> [Option<Vec<u8>>; LAYER_FIELD_COUNT] {
        let mut values = [ptr::null(); LAYER_FIELD_COUNT];
        let mut lens = [usize::MAX; LAYER_FIELD_COUNT];
        // SAFETY: arrays of LAYER_FIELD_COUNT entries.
        unsafe {
            layer_exchange_fields(
                self.0,
                values.as_mut_ptr(),
                lens.as_mut_ptr(),
                LAYER_FIELD_COUNT,
            );
            std::array::from_fn(|i| {
                if values[i].is_null() {
                    assert_eq!(lens[i], 0);
                    None
                } else {
                    Some(copied(values[i], lens[i]))
                }
            })
        }
    }

    /// The demo authenticator: the user ID, or the refusal's message.
    pub fn demo_user_id(&mut self) -> Outcome<Vec<u8>> {
        let mut user = ptr::null();
        let mut len = 0;
        let mut error = ptr::null_mut();
        // SAFETY: a live exchange; the user ID is read before the next call.
        unsafe {
            let status = layer_exchange_demo_user_id(self.0, &mut user, &mut len, &mut error);
            outcome(status, error, LayerEit::LAYER_EIT_NONE)?;
            Ok(copied(user, len))
        }
    }

    pub fn finish(
        &mut self,
        signer: Option<&CSigner>,
        outcome_value: i32,
        user_id: Option<&[u8]>,
    ) -> Outcome<()> {
        let (user, user_len) = parts(user_id);
        let mut error = ptr::null_mut();
        // SAFETY: a live exchange, signer and slice.
        unsafe {
            let status = layer_exchange_finish(
                self.0,
                signer.map_or(ptr::null(), |s| s.0),
                outcome_value,
                user,
                user_len,
                &mut error,
            );
            outcome(status, error, LayerEit::LAYER_EIT_NONE)
        }
    }

    pub fn fail(&mut self, log: &[u8]) -> Outcome<()> {
        let mut error = ptr::null_mut();
        // SAFETY: a live exchange and slice.
        unsafe {
            let status = layer_exchange_fail(self.0, log.as_ptr().cast(), log.len(), &mut error);
            outcome(status, error, LayerEit::LAYER_EIT_NONE)
        }
    }

    /// The answer; `None` before step RESPOND.
    pub fn answer(&self) -> Option<CAnswer> {
        // SAFETY: a live exchange; what it gives out is copied before the next call.
        unsafe {
            let status = layer_exchange_status(self.0);
            let mut body_len = usize::MAX;
            let body = layer_exchange_body(self.0, &mut body_len);
            let mut names = [ptr::null(); LAYER_EXCHANGE_MAX_HEADERS];
            let mut name_lens = [0; LAYER_EXCHANGE_MAX_HEADERS];
            let mut values = [ptr::null(); LAYER_EXCHANGE_MAX_HEADERS];
            let mut value_lens = [0; LAYER_EXCHANGE_MAX_HEADERS];
            let count = layer_exchange_headers(
                self.0,
                names.as_mut_ptr(),
                name_lens.as_mut_ptr(),
                values.as_mut_ptr(),
                value_lens.as_mut_ptr(),
                LAYER_EXCHANGE_MAX_HEADERS,
            );
            if status == 0 {
                assert!(
                    body.is_null() && body_len == 0 && count == 0,
                    "an answer before step RESPOND"
                );
                assert!(!layer_exchange_closes_connection(self.0));
                return None;
            }
            assert!(count <= LAYER_EXCHANGE_MAX_HEADERS, "{count} headers");
            let text = |p: *const c_char, len: usize| {
                String::from_utf8(copied(p, len)).expect("header text is ASCII")
            };
            let mut log_len = usize::MAX;
            let log = layer_exchange_log_message(self.0, &mut log_len);
            Some(CAnswer {
                status,
                headers: (0..count)
                    .map(|i| (text(names[i], name_lens[i]), text(values[i], value_lens[i])))
                    .collect(),
                body: copied(body.cast(), body_len),
                close: layer_exchange_closes_connection(self.0),
                log: (!log.is_null()).then(|| {
                    String::from_utf8(copied(log, log_len)).expect("the log message is UTF-8")
                }),
            })
        }
    }
}
