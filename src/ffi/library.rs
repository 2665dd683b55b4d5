//! What belongs to the library as a whole: key generation, freeing strings, names of statuses
//! and identifiers, versions.

use std::ffi::{c_char, CString};
use std::ptr;

use zeroize::Zeroize;

use super::guard::{guard, guard_value, into_c_string, require_out};
use super::{LayerEitValue, LayerStatusValue, LAYER_ABI_VERSION};
use crate::error::Eit;
use crate::keygen::generate_key_pair;
use crate::status::{LayerEit, LayerStatus};

/// Generates an RSA key pair (public exponent 65537). `bits`: `0` for 2048; fewer than 2048 is
/// `LAYER_ERR_WEAK_KEY`, more than 16384 `LAYER_ERR_INVALID_ARGUMENT`.
///
/// On success `*out_private_pem` receives the PKCS#8 private key (`PRIVATE KEY`) and
/// `*out_public_pem` the SPKI public key (`PUBLIC KEY`, the part uploaded to Layer); free both
/// with `layer_string_free`, which zeroizes them.
#[no_mangle]
pub unsafe extern "C" fn layer_generate_key_pair(
    bits: u32,
    out_private_pem: *mut *mut c_char,
    out_public_pem: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> LayerStatus {
    guard(out_error, || {
        require_out(out_private_pem, "out_private_pem")?;
        require_out(out_public_pem, "out_public_pem")?;
        // 0 is the C ABI's "the default".
        let mut pair = generate_key_pair((bits > 0).then_some(bits))?;
        let public = into_c_string(pair.public_pem)?;
        // Moved, not copied, into the CString; layer_string_free zeroizes it.
        let private = into_c_string(std::mem::take(&mut *pair.private_pem));
        match private {
            Ok(private) => {
                *out_private_pem = private;
                *out_public_pem = public;
                Ok(())
            }
            Err(failure) => {
                layer_string_free(public);
                Err(failure)
            }
        }
    })
}

/// Frees a string returned by this library (tokens, PEM text, claims, error messages), first
/// overwriting it with zeros. NULL is a no-op. Never pass a string from anywhere else.
#[no_mangle]
pub unsafe extern "C" fn layer_string_free(s: *mut c_char) {
    if !s.is_null() {
        guard(ptr::null_mut(), || {
            let mut bytes = CString::from_raw(s).into_bytes_with_nul();
            bytes.zeroize();
            Ok(())
        });
    }
}

/// The name of a status, e.g. `"LAYER_ERR_EXPIRED"`; `"LAYER_STATUS_UNKNOWN"` for a value
/// this version does not define. Static storage: never freed.
#[no_mangle]
pub extern "C" fn layer_status_name(status: LayerStatusValue) -> *const c_char {
    LayerStatus::from_value(status)
        .map_or(c"LAYER_STATUS_UNKNOWN", LayerStatus::c_name)
        .as_ptr()
}

/// Layer's identifier as text, e.g. `"eit_expired"`; `""` for `LAYER_EIT_NONE` and for a value
/// this version does not define. Static storage: never freed.
#[no_mangle]
pub extern "C" fn layer_eit_name(eit: LayerEitValue) -> *const c_char {
    guard_value(c"".as_ptr(), || {
        LayerEit::from_value(eit)
            .and_then(LayerEit::eit)
            .map_or(c"", Eit::c_name)
            .as_ptr()
    })
}

/// The library version, e.g. `"0.1.0"`. Static storage: never freed.
#[no_mangle]
pub extern "C" fn layer_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The ABI version of the loaded library (see `LAYER_ABI_VERSION`).
#[no_mangle]
pub extern "C" fn layer_abi_version() -> u32 {
    LAYER_ABI_VERSION
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::{c_int, CStr};

    /// Every status has its own name, the names match the enum, and the values are 0..=13.
    #[test]
    fn status_names_match_the_enum() {
        for (value, status) in LayerStatus::ALL.into_iter().enumerate() {
            assert_eq!(status as LayerStatusValue, value as LayerStatusValue);
            let name = unsafe { CStr::from_ptr(layer_status_name(status as LayerStatusValue)) };
            assert_eq!(name.to_str().unwrap(), format!("{status:?}"));
        }
        for unknown in [
            -1,
            LayerStatus::ALL.len() as LayerStatusValue,
            LayerStatusValue::MAX,
        ] {
            let name = unsafe { CStr::from_ptr(layer_status_name(unknown)) };
            assert_eq!(name.to_str().unwrap(), "LAYER_STATUS_UNKNOWN");
        }
    }

    /// Unknown identifiers have the empty name, known ones theirs.
    #[test]
    fn identifiers_have_their_names() {
        for value in [-1, 0, 15, c_int::MAX] {
            let name = unsafe { CStr::from_ptr(layer_eit_name(value)) };
            assert_eq!(name.to_bytes(), b"", "{value}");
        }
        let name = unsafe { CStr::from_ptr(layer_eit_name(LayerEit::LAYER_EIT_EXPIRED as c_int)) };
        assert_eq!(name.to_str().unwrap(), "eit_expired");
    }
}
