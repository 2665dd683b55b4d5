//! The boundary itself: every exported body runs inside [`guard`], which turns a panic into
//! `LAYER_ERR_INTERNAL`, writes the error message, and leaves OpenSSL's error queue empty.

use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use crate::error::{Eit, Error};
use crate::flags::Flags;
use crate::status::{LayerEit, LayerStatus};

/// A failure on its way to C: the status, the message for `out_error`, and the rule a rejected
/// token broke.
pub(super) struct Failure {
    pub(super) status: LayerStatus,
    pub(super) message: String,
    pub(super) eit: Option<Eit>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure {
            status: error.kind().into(),
            message: error.message().to_owned(),
            eit: error.eit(),
        }
    }
}

impl Failure {
    pub(super) fn new(status: LayerStatus, message: impl Into<String>) -> Failure {
        Failure {
            status,
            message: message.into(),
            eit: None,
        }
    }
}

pub(super) type FfiResult<T> = Result<T, Failure>;

/// Runs one exported body: catches panics, writes the error message, and leaves OpenSSL's
/// per-thread error queue empty (the next call on this thread may belong to another caller).
pub(super) fn guard(
    out_error: *mut *mut c_char,
    body: impl FnOnce() -> FfiResult<()>,
) -> LayerStatus {
    guard_eit(out_error, ptr::null_mut(), body)
}

/// [`guard`], also writing the rejected token's identifier to `out_eit` (may be NULL) on failure.
pub(super) fn guard_eit(
    out_error: *mut *mut c_char,
    out_eit: *mut LayerEit,
    body: impl FnOnce() -> FfiResult<()>,
) -> LayerStatus {
    let outcome = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|panic| {
        Err(Failure::new(
            LayerStatus::LAYER_ERR_INTERNAL,
            format!("internal error (please report it): {}", panic_text(&*panic)),
        ))
    });
    drop(openssl::error::ErrorStack::get());
    match outcome {
        Ok(()) => LayerStatus::LAYER_OK,
        Err(failure) => {
            if !out_error.is_null() {
                let message = CString::new(failure.message.replace('\0', "\\0"))
                    .expect("NUL bytes were replaced");
                // SAFETY: the caller passes either NULL (checked) or a writable `char *` slot.
                unsafe { *out_error = message.into_raw() };
            }
            if !out_eit.is_null() {
                // SAFETY: the caller passes either NULL (checked) or a writable `LayerEit` slot.
                unsafe { *out_eit = LayerEit::from(failure.eit) };
            }
            failure.status
        }
    }
}

/// Runs an exported body that cannot fail, such as a getter: a panic (a bug) gives `fallback`
/// instead of crossing the boundary.
pub(super) fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

pub(super) fn null_argument(name: &str) -> Failure {
    Failure::new(
        LayerStatus::LAYER_ERR_NULL_ARGUMENT,
        format!("{name} is NULL"),
    )
}

/// Checks that an out-parameter can be written, before any work is done.
pub(super) fn require_out<T>(out: *mut T, name: &str) -> FfiResult<()> {
    if out.is_null() {
        return Err(null_argument(name));
    }
    Ok(())
}

pub(super) fn into_c_string(text: String) -> FfiResult<*mut c_char> {
    CString::new(text).map(CString::into_raw).map_err(|_| {
        Failure::new(
            LayerStatus::LAYER_ERR_INTERNAL,
            "internal error: an output string contains a NUL byte",
        )
    })
}

pub(super) fn flags(bits: u32) -> FfiResult<Flags> {
    Ok(Flags::from_bits(bits)?)
}

/// Writes `value` to an optional out-parameter.
///
/// # Safety
/// `out` is NULL or writable.
pub(super) unsafe fn write_optional<T>(out: *mut T, value: T) {
    if !out.is_null() {
        *out = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    /// A panic inside a body becomes LAYER_ERR_INTERNAL with a message, not an abort.
    #[test]
    fn guard_turns_a_panic_into_internal() {
        let mut error: *mut c_char = ptr::null_mut();
        let status = guard(&mut error, || panic!("boom"));
        assert_eq!(status, LayerStatus::LAYER_ERR_INTERNAL);
        let message = unsafe { CString::from_raw(error) };
        assert!(message.to_str().unwrap().contains("boom"), "{message:?}");
    }

    /// Crypto failures map to LAYER_ERR_CRYPTO (OpenSSL does not fail on demand, so the mapping
    /// itself is what can be tested).
    #[test]
    fn every_error_kind_has_a_status() {
        let failure = Failure::from(Error::new(ErrorKind::Crypto, "x"));
        assert_eq!(failure.status, LayerStatus::LAYER_ERR_CRYPTO);
    }

    #[test]
    fn a_panic_in_a_getter_gives_its_fallback() {
        assert_eq!(guard_value(7, || panic!("boom")), 7);
    }
}
