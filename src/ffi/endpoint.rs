//! The identity-token endpoint through the C ABI: `LayerExchange`, one per HTTP request, wraps
//! the core's sans-I/O [`Exchange`]. The server adapter in each language moves bytes between
//! its framework and these calls; every rule of the HTTP contract is decided here.

use std::ffi::{c_char, c_int};
use std::ptr;

use super::args::{optional_bytes, required_bytes};
use super::guard::{guard, guard_value, null_argument, require_out, write_optional, FfiResult};
use super::signing::LayerSigner;
use crate::endpoint::{Authentication, Exchange, Field, RequestHead, Response, Step};
use crate::error::Error;
use crate::status::LayerStatus;

/// One HTTP request on its way through the identity-token endpoint's contract. Created by
/// `layer_exchange_new`, owned by the request's handler, released once with
/// `layer_exchange_free`. Unlike signers it changes as the request advances: use it from one
/// thread at a time.
pub struct LayerExchange(Exchange);

/// What the server does next with a `LayerExchange` (`layer_exchange_step`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerExchangeStep {
    /// Read the body until it ends or more than `LAYER_ENDPOINT_MAX_BODY_BYTES` bytes have
    /// arrived (read at most one byte more), then `layer_exchange_put_body`.
    LAYER_EXCHANGE_READ_BODY = 1,
    /// Call the application's authenticate with `layer_exchange_fields`, then
    /// `layer_exchange_finish`.
    LAYER_EXCHANGE_AUTHENTICATE = 2,
    /// Write the answer: `layer_exchange_status`, `_headers`, `_body`; close the connection
    /// afterwards when `layer_exchange_closes_connection` says so.
    LAYER_EXCHANGE_RESPOND = 3,
}

/// What the application's authenticate returned, for `layer_exchange_finish`. One rule in
/// every language: a user ID gets a token; nothing or a failure is 401; anything else is 500.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerAuthOutcome {
    /// A user ID (`user_id`); an empty one counts as nothing.
    LAYER_AUTH_USER = 1,
    /// Nothing: nil, None, null, undefined, an empty Optional. Answers 401.
    LAYER_AUTH_NONE = 2,
    /// It raised, threw or returned an error (log it). Answers 401, or the demo
    /// authenticator's 400 when `layer_exchange_demo_user_id` refused the request.
    LAYER_AUTH_FAILED = 3,
    /// Something that is not a user ID (a float, a list, ...): the application's bug, 500.
    /// `user_id` may describe it for the log ("a float"); it is never sent to the client.
    LAYER_AUTH_NOT_A_USER_ID = 4,
}

/// The integer behind a `LayerAuthOutcome` passed in from C (a value outside the enum must
/// not be undefined behaviour); the header shows `LayerAuthOutcome`.
pub type LayerAuthOutcomeValue = c_int;

/// Indexes of the fields `layer_exchange_fields` reads, in the order their rules are checked.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerField {
    LAYER_FIELD_NONCE = 0,
    LAYER_FIELD_FIRST_NAME = 1,
    LAYER_FIELD_LAST_NAME = 2,
    LAYER_FIELD_DISPLAY_NAME = 3,
    LAYER_FIELD_AVATAR_URL = 4,
    /// Present only when it passes the field rules (what the demo authenticator accepts).
    LAYER_FIELD_USER_ID = 5,
}

/// The number of fields `layer_exchange_fields` can read (the size of `LayerField`).
pub const LAYER_FIELD_COUNT: usize = 6;
/// The largest request body the endpoint reads, in bytes.
pub const LAYER_ENDPOINT_MAX_BODY_BYTES: usize = 65536;
/// The most headers an answer has (`layer_exchange_headers`).
pub const LAYER_EXCHANGE_MAX_HEADERS: usize = 4;

const _: () = assert!(LAYER_FIELD_COUNT == Field::ALL.len());
const _: () = assert!(LAYER_ENDPOINT_MAX_BODY_BYTES == crate::endpoint::MAX_BODY_BYTES);

fn exchange_mut<'a>(exchange: *mut LayerExchange) -> FfiResult<&'a mut LayerExchange> {
    // SAFETY: the caller passes NULL (refused) or a live exchange it uses from one thread.
    unsafe { exchange.as_mut() }.ok_or_else(|| null_argument("exchange"))
}

/// Starts an exchange with the request head as the server received it: `method` and `target`
/// (the request target: `/path?query`, or absolute-form `http://host/path`) as bytes;
/// `content_type` and `content_length`: the header values as bytes, NULL when the request has
/// no such header. The path is routed byte for byte, the media type, charset and length are
/// checked here (a malformed `Content-Length` is an answer, 400 `invalid_request`).
///
/// On success `*out_exchange` receives a new exchange at step `LAYER_EXCHANGE_READ_BODY`, or
/// at `LAYER_EXCHANGE_RESPOND` when the head alone decides the answer (404, 405, 415, 413, the
/// health check). Fails only for a NULL `method`, `target` or `out_exchange`.
#[no_mangle]
pub unsafe extern "C" fn layer_exchange_new(
    method: *const c_char,
    method_len: usize,
    target: *const c_char,
    target_len: usize,
    content_type: *const c_char,
    content_type_len: usize,
    content_length: *const c_char,
    content_length_len: usize,
    out_exchange: *mut *mut LayerExchange,
    out_error: *mut *mut c_char,
) -> LayerStatus {
    guard(out_error, || {
        require_out(out_exchange, "out_exchange")?;
        let head = RequestHead {
            method: required_bytes(method.cast(), method_len, "method")?,
            target: required_bytes(target.cast(), target_len, "target")?,
            content_type: optional_bytes(content_type.cast(), content_type_len, "content_type")?,
            content_length: optional_bytes(
                content_length.cast(),
                content_length_len,
                "content_length",
            )?,
        };
        *out_exchange = Box::into_raw(Box::new(LayerExchange(Exchange::new(&head))));
        Ok(())
    })
}

/// The exchange's step; `LAYER_EXCHANGE_RESPOND` for NULL.
#[no_mangle]
pub unsafe extern "C" fn layer_exchange_step(exchange: *const LayerExchange) -> LayerExchangeStep {
    guard_value(LayerExchangeStep::LAYER_EXCHANGE_RESPOND, || match exchange
        .as_ref()
        .map(|e| e.0.step())
    {
        Some(Step::ReadBody) => LayerExchangeStep::LAYER_EXCHANGE_READ_BODY,
        Some(Step::Authenticate) => LayerExchangeStep::LAYER_EXCHANGE_AUTHENTICATE,
        Some(Step::Respond) | None => LayerExchangeStep::LAYER_EXCHANGE_RESPOND,
    })
}

/// Gives the body (step `LAYER_EXCHANGE_READ_BODY`): every byte read, up to
/// `LAYER_ENDPOINT_MAX_BODY_BYTES` + 1 (more means 413). The body is parsed (JSON or form, as
/// the content type said) and the fields checked: the exchange moves to
/// `LAYER_EXCHANGE_AUTHENTICATE`, or to `LAYER_EXCHANGE_RESPOND` with 400 or 413. `body` may be
/// NULL when `body_len` is 0.
///
/// Fails (`LAYER_ERR_INVALID_ARGUMENT`) only when the exchange is at another step.
#[no_mangle]
pub unsafe extern "C" fn layer_exchange_put_body(
    exchange: *mut LayerExchange,
    body: *const u8,
    body_len: usize,
    out_error: *mut *mut c_char,
) -> LayerStatus {
    guard(out_error, || {
        let exchange = exchange_mut(exchange)?;
        let body = match optional_bytes(body, body_len, "body")? {
            Some(body) => body,
            None if body_len == 0 => &[],
            None => return Err(null_argument("body")),
        };
        Ok(exchange.0.put_body(body)?)
    })
}

/// Reads the validated fields for the application's authenticate (step
/// `LAYER_EXCHANGE_AUTHENTICATE`): `out_values[i]` / `out_lens[i]` for `i < min(count,
/// LAYER_FIELD_COUNT)`, indexed by `LayerField`, receive each field's UTF-8 text (not
/// NUL-terminated; owned by the exchange, valid until the next call that changes it), or NULL
/// and 0 when absent. At any other step every entry is NULL and 0.
#[no_mangle]
pub unsafe extern "C" fn layer_exchange_fields(
    exchange: *const LayerExchange,
    out_values: *mut *const c_char,
    out_lens: *mut usize,
    count: usize,
) {
    guard_value((), || {
        let fields = exchange.as_ref().and_then(|e| e.0.fields());
        for (index, field) in Field::ALL.into_iter().enumerate().take(count) {
            let value = fields.and_then(|fields| fields.get(field));
            if !out_values.is_null() {
                *out_values.add(index) = value.map_or(ptr::null(), |v| v.as_ptr().cast());
            }
            if !out_lens.is_null() {
                *out_lens.add(index) = value.map_or(0, str::len);
            }
        }
    })
}

/// The demo authenticator, which trusts the body's `user_id`: on success `*out_user_id` and
/// `*out_user_id_len` receive it (owned by the exchange, not NUL-terminated). When `user_id`
/// breaks the field rules the call fails with `LAYER_ERR_INVALID_ARGUMENT` and the field's
/// message ("user_id is required"), and the exchange remembers it: `layer_exchange_finish`
/// with `LAYER_AUTH_FAILED` then answers that 400 rather than 401, so the demo authenticator
/// behaves the same whether mounted as it is or called from the application's own.
#[no_mangle]
pub unsafe extern "C" fn layer_exchange_demo_user_id(
    exchange: *mut LayerExchange,
    out_user_id: *mut *const c_char,
    out_user_id_len: *mut usize,
    out_error: *mut *mut c_char,
) -> LayerStatus {
    guard(out_error, || {
        require_out(out_user_id, "out_user_id")?;
        require_out(out_user_id_len, "out_user_id_len")?;
        let user_id = exchange_mut(exchange)?.0.demo_user_id()?;
        *out_user_id = user_id.as_ptr().cast();
        *out_user_id_len = user_id.len();
        Ok(())
    })
}

/// Gives what the application's authenticate returned (step `LAYER_EXCHANGE_AUTHENTICATE`)
/// and moves to `LAYER_EXCHANGE_RESPOND`: for `LAYER_AUTH_USER` with a non-empty `user_id`, a
/// token signed by `signer` with the library's defaults and the body's attributes (200), or
/// 400 `invalid_field` when the library refuses the values (the token would be too large);
/// 401 for nothing or a failure; 500 for anything else, a user ID that is not UTF-8 or holds
/// U+0000, or a signing failure (details in `layer_exchange_log_message`).
///
/// `user_id` may be the pointer `layer_exchange_demo_user_id` gave. `signer` may be NULL
/// unless the outcome is `LAYER_AUTH_USER`. Fails only for misuse: a
/// NULL argument that is needed, an unknown outcome, another step.
#[no_mangle]
pub unsafe extern "C" fn layer_exchange_finish(
    exchange: *mut LayerExchange,
    signer: *const LayerSigner,
    outcome: LayerAuthOutcomeValue,
    user_id: *const c_char,
    user_id_len: usize,
    out_error: *mut *mut c_char,
) -> LayerStatus {
    guard(out_error, || {
        // Copied first: the pointer may be one the exchange gave out (the demo authenticator's
        // user ID), and finishing changes the exchange.
        let user_id = optional_bytes(user_id.cast(), user_id_len, "user_id")?.map(<[u8]>::to_vec);
        let user_id = user_id.as_deref();
        let exchange = exchange_mut(exchange)?;
        let described = user_id.map(String::from_utf8_lossy);
        let authentication = match outcome {
            1 => match user_id.map(std::str::from_utf8) {
                None => return Err(null_argument("user_id")),
                Some(Ok(user_id)) => Authentication::User(user_id),
                Some(Err(_)) => Authentication::NotAUserId("a user ID that is not valid UTF-8"),
            },
            2 => Authentication::Nothing,
            3 => Authentication::Failed,
            4 => Authentication::NotAUserId(described.as_deref().unwrap_or("a value")),
            other => {
                return Err(Error::invalid_argument(format!(
                    "outcome {other} is not a LayerAuthOutcome"
                ))
                .into())
            }
        };
        let signer = signer.as_ref().map(|signer| &signer.0);
        if signer.is_none() && outcome == 1 {
            return Err(null_argument("signer"));
        }
        Ok(exchange.0.finish(signer, authentication)?)
    })
}

/// Answers `500 server_error` for a failure of the adapter's own (the body was consumed by
/// another layer, an unexpected exception), at any step; `log_message` (may be NULL) says why,
/// for `layer_exchange_log_message` only.
#[no_mangle]
pub unsafe extern "C" fn layer_exchange_fail(
    exchange: *mut LayerExchange,
    log_message: *const c_char,
    log_message_len: usize,
    out_error: *mut *mut c_char,
) -> LayerStatus {
    guard(out_error, || {
        let exchange = exchange_mut(exchange)?;
        let log = optional_bytes(log_message.cast(), log_message_len, "log_message")?
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        exchange.0.fail(log.into_owned());
        Ok(())
    })
}

/// Writes entry `index` of an optional caller array.
///
/// # Safety
/// `array` is NULL or holds more than `index` writable entries.
unsafe fn write_entry<T>(array: *mut T, index: usize, value: T) {
    if !array.is_null() {
        *array.add(index) = value;
    }
}

fn response<'a>(exchange: *const LayerExchange) -> Option<&'a Response> {
    // SAFETY: the caller passes NULL or a live exchange.
    unsafe { exchange.as_ref() }.and_then(|e| e.0.response())
}

/// The answer's HTTP status; 0 before step `LAYER_EXCHANGE_RESPOND` and for NULL.
#[no_mangle]
pub unsafe extern "C" fn layer_exchange_status(exchange: *const LayerExchange) -> u16 {
    guard_value(0, || response(exchange).map_or(0, |r| r.status))
}

/// Reads the answer's headers (`Content-Type`, `Cache-Control`, and `Allow` and `Connection`
/// where they apply; the server adds its own framing): entry `i < min(capacity,
/// LAYER_EXCHANGE_MAX_HEADERS)` of each array (any may be NULL) receives a name and a value,
/// ASCII and not NUL-terminated, owned by the exchange. Returns how many headers the answer
/// has (0 before step `LAYER_EXCHANGE_RESPOND`).
#[no_mangle]
pub unsafe extern "C" fn layer_exchange_headers(
    exchange: *const LayerExchange,
    out_names: *mut *const c_char,
    out_name_lens: *mut usize,
    out_values: *mut *const c_char,
    out_value_lens: *mut usize,
    capacity: usize,
) -> usize {
    guard_value(0, || {
        let Some(response) = response(exchange) else {
            return 0;
        };
        for (index, (name, value)) in response.headers.iter().enumerate().take(capacity) {
            write_entry(out_names, index, name.as_ptr().cast());
            write_entry(out_name_lens, index, name.len());
            write_entry(out_values, index, value.as_ptr().cast());
            write_entry(out_value_lens, index, value.len());
        }
        response.headers.len()
    })
}

/// The answer's body, JSON (empty for HEAD), owned by the exchange and not NUL-terminated;
/// `*out_len` (may be NULL) receives its length. NULL before step `LAYER_EXCHANGE_RESPOND`.
#[no_mangle]
pub unsafe extern "C" fn layer_exchange_body(
    exchange: *const LayerExchange,
    out_len: *mut usize,
) -> *const u8 {
    guard_value(ptr::null(), || {
        let body = response(exchange).map(|r| r.body.as_slice());
        write_optional(out_len, body.map_or(0, <[u8]>::len));
        body.map_or(ptr::null(), <[u8]>::as_ptr)
    })
}

/// Whether the connection must be closed after this answer: the request's body was left
/// unread (the answer then carries `Connection: close`). True for NULL, false before step
/// `LAYER_EXCHANGE_RESPOND`.
#[no_mangle]
pub unsafe extern "C" fn layer_exchange_closes_connection(exchange: *const LayerExchange) -> bool {
    guard_value(true, || {
        exchange
            .as_ref()
            .map_or(true, |e| e.0.response().is_some_and(|r| r.close))
    })
}

/// What the server should log about the answer (why a 500 or a 401 happened), never sent to
/// the client; owned by the exchange, not NUL-terminated, `*out_len` (may be NULL) receives its
/// length. NULL when there is nothing to log.
#[no_mangle]
pub unsafe extern "C" fn layer_exchange_log_message(
    exchange: *const LayerExchange,
    out_len: *mut usize,
) -> *const c_char {
    guard_value(ptr::null(), || {
        let log = response(exchange).and_then(|r| r.log.as_deref());
        write_optional(out_len, log.map_or(0, str::len));
        log.map_or(ptr::null(), |log| log.as_ptr().cast())
    })
}

/// Releases an exchange. NULL is a no-op. The exchange and every pointer read from it must not
/// be used afterwards, nor freed twice.
#[no_mangle]
pub unsafe extern "C" fn layer_exchange_free(exchange: *mut LayerExchange) {
    if !exchange.is_null() {
        guard(ptr::null_mut(), || {
            drop(Box::from_raw(exchange));
            Ok(())
        });
    }
}
