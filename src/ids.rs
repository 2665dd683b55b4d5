//! Validation of the identifiers that go into a token. IDs are emitted exactly as given, so
//! nothing here trims or rewrites: it only accepts or explains the rejection.

use crate::error::{quote, Error, Result};

const PROVIDER_PREFIX: &str = "layer:///providers/";
const KEY_PREFIX: &str = "layer:///keys/";

/// Which of Layer's two identifiers a string is meant to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IdKind {
    Provider,
    Key,
}

impl IdKind {
    fn label(self) -> &'static str {
        match self {
            IdKind::Provider => "provider ID",
            IdKind::Key => "key ID",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            IdKind::Provider => PROVIDER_PREFIX,
            IdKind::Key => KEY_PREFIX,
        }
    }

    fn other(self) -> IdKind {
        match self {
            IdKind::Provider => IdKind::Key,
            IdKind::Key => IdKind::Provider,
        }
    }
}

/// Accepts `layer:///providers/<uuid>` or a bare UUID.
pub fn validate_provider_id(id: &str) -> Result<()> {
    validate_layer_id(id, IdKind::Provider)
}

/// Accepts `layer:///keys/<uuid>` or a bare UUID.
pub fn validate_key_id(id: &str) -> Result<()> {
    validate_layer_id(id, IdKind::Key)
}

fn validate_layer_id(id: &str, kind: IdKind) -> Result<()> {
    let label = kind.label();
    let form = format!("{}<uuid> or a bare UUID", kind.prefix());
    if id.is_empty() {
        return Err(Error::invalid_argument(format!(
            "{label} is empty; expected {form} from the Layer dashboard"
        )));
    }
    if id.trim() != id {
        return Err(Error::invalid_argument(format!(
            "{label} {} has leading or trailing whitespace; IDs are used exactly as given",
            quote(id)
        )));
    }
    let other = kind.other();
    if id.starts_with(other.prefix()) {
        return Err(Error::invalid_argument(format!(
            "{label} {} is a {}, not a {label}; expected {form}",
            quote(id),
            other.label()
        )));
    }
    let uuid = id.strip_prefix(kind.prefix()).unwrap_or(id);
    if !is_uuid(uuid) {
        return Err(Error::invalid_argument(format!(
            "{label} {} is not a Layer {label} (a placeholder?); expected {form}",
            quote(id)
        )));
    }
    Ok(())
}

/// `8-4-4-4-12` hexadecimal digits, either case.
fn is_uuid(text: &str) -> bool {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    let mut parts = text.split('-');
    GROUPS.iter().all(|&len| {
        parts
            .next()
            .is_some_and(|p| p.len() == len && p.bytes().all(|b| b.is_ascii_hexdigit()))
    }) && parts.next().is_none()
}

/// User IDs and nonces are opaque to the library but must not be empty.
pub fn validate_non_empty(value: &str, label: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid_argument(format!("{label} is empty")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    const UUID: &str = "e3b70b6a-8a3c-11e5-b1c0-4a64b0d1f0f0";

    #[test]
    fn accepts_both_forms_in_either_case() {
        validate_provider_id(&format!("layer:///providers/{UUID}")).unwrap();
        validate_provider_id(&UUID.to_uppercase()).unwrap();
        validate_key_id(&format!("layer:///keys/{UUID}")).unwrap();
        validate_key_id(UUID).unwrap();
    }

    #[test]
    fn explains_each_rejection() {
        let cases = [
            ("", "provider ID is empty"),
            (" layer:///providers/x", "whitespace"),
            (
                "layer:///keys/e3b70b6a-8a3c-11e5-b1c0-4a64b0d1f0f0",
                "is a key ID",
            ),
            ("layer:///providers/<uuid>", "placeholder"),
            ("YOUR_PROVIDER_ID", "placeholder"),
            ("e3b70b6a-8a3c-11e5-b1c0-4a64b0d1f0f0-", "placeholder"),
            ("e3b70b6a8a3c11e5b1c04a64b0d1f0f0", "placeholder"),
        ];
        for (id, fragment) in cases {
            let err = validate_provider_id(id).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
            assert!(err.message().contains(fragment), "{id:?}: {err}");
        }
        let err = validate_key_id(&format!("layer:///providers/{UUID}")).unwrap_err();
        assert!(err.message().contains("is a provider ID"), "{err}");
    }
}
