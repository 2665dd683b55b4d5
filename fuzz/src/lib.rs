//! What the fuzz targets share: the fixed keys and IDs, a reader for their structured inputs,
//! the rule oracle with its own JSON reader and base64url, the no-secret check, and calls
//! through the C ABI.

pub mod abi;
pub mod b64;
pub mod fixtures;
pub mod input;
pub mod json;
pub mod oracle;
pub mod secrets;
