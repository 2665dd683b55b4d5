//! Reading arguments from C: NUL-terminated strings (ABI 1 and 2) and pointer-and-length
//! strings and bytes (ABI 3). Each refusal names the argument as the header does.

use std::ffi::{c_char, CStr};

use super::guard::{null_argument, Failure, FfiResult};
use crate::ids::refuse_nul;
use crate::status::LayerStatus;

fn invalid_utf8(name: &str, error: std::str::Utf8Error) -> Failure {
    Failure::new(
        LayerStatus::LAYER_ERR_INVALID_UTF8,
        format!(
            "{name} is not valid UTF-8 (invalid byte at offset {})",
            error.valid_up_to()
        ),
    )
}

/// Borrows a required NUL-terminated UTF-8 argument.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives the call.
pub(super) unsafe fn required_str<'a>(ptr: *const c_char, name: &str) -> FfiResult<&'a str> {
    optional_str(ptr, name)?.ok_or_else(|| null_argument(name))
}

/// Borrows a nullable NUL-terminated UTF-8 argument.
///
/// # Safety
/// As for `required_str`.
pub(super) unsafe fn optional_str<'a>(
    ptr: *const c_char,
    name: &str,
) -> FfiResult<Option<&'a str>> {
    if ptr.is_null() {
        return Ok(None);
    }
    let bytes = CStr::from_ptr(ptr).to_bytes();
    std::str::from_utf8(bytes)
        .map(Some)
        .map_err(|e| invalid_utf8(name, e))
}

/// Borrows a nullable pointer-and-length byte argument (keys, passphrases, request bodies).
///
/// # Safety
/// `ptr` is NULL or points to `len` readable bytes that outlive the call.
pub(super) unsafe fn optional_bytes<'a>(
    ptr: *const u8,
    len: usize,
    name: &str,
) -> FfiResult<Option<&'a [u8]>> {
    if ptr.is_null() {
        return Ok(None);
    }
    if len > isize::MAX as usize {
        return Err(Failure::new(
            LayerStatus::LAYER_ERR_INVALID_ARGUMENT,
            format!("{name}_len {len} is larger than any object in memory"),
        ));
    }
    Ok(Some(std::slice::from_raw_parts(ptr, len)))
}

/// Borrows a required pointer-and-length byte argument.
///
/// # Safety
/// As for `optional_bytes`.
pub(super) unsafe fn required_bytes<'a>(
    ptr: *const u8,
    len: usize,
    name: &str,
) -> FfiResult<&'a [u8]> {
    optional_bytes(ptr, len, name)?.ok_or_else(|| null_argument(name))
}

/// Borrows a nullable pointer-and-length text argument: UTF-8 without U+0000.
///
/// # Safety
/// As for `optional_bytes`.
pub(super) unsafe fn optional_text<'a>(
    ptr: *const c_char,
    len: usize,
    name: &str,
) -> FfiResult<Option<&'a str>> {
    let Some(bytes) = optional_bytes(ptr.cast(), len, name)? else {
        return Ok(None);
    };
    let text = std::str::from_utf8(bytes).map_err(|e| invalid_utf8(name, e))?;
    refuse_nul(text, name)?;
    Ok(Some(text))
}

/// Borrows a required pointer-and-length text argument.
///
/// # Safety
/// As for `optional_bytes`.
pub(super) unsafe fn required_text<'a>(
    ptr: *const c_char,
    len: usize,
    name: &str,
) -> FfiResult<&'a str> {
    optional_text(ptr, len, name)?.ok_or_else(|| null_argument(name))
}

/// Borrows entry `index` of a nullable array of nullable pointer-and-length texts.
///
/// # Safety
/// `texts` and `lens` are NULL or hold more than `index` entries.
pub(super) unsafe fn text_entry<'a>(
    texts: *const *const c_char,
    lens: *const usize,
    index: usize,
    name: &str,
) -> FfiResult<Option<&'a str>> {
    if texts.is_null() {
        return Ok(None);
    }
    if lens.is_null() {
        return Err(null_argument(&format!("the lengths of {name}")));
    }
    optional_text(*texts.add(index), *lens.add(index), name)
}

/// Borrows a caller's output buffer of `len` bytes.
///
/// # Safety
/// `ptr` is NULL (refused) or points to `len` writable bytes that outlive the call.
pub(super) unsafe fn out_bytes<'a>(
    ptr: *mut u8,
    len: usize,
    name: &str,
) -> FfiResult<&'a mut [u8]> {
    if ptr.is_null() {
        return Err(null_argument(name));
    }
    if len > isize::MAX as usize {
        return Err(Failure::new(
            LayerStatus::LAYER_ERR_INVALID_ARGUMENT,
            format!("{name}'s length {len} is larger than any object in memory"),
        ));
    }
    Ok(std::slice::from_raw_parts_mut(ptr, len))
}
