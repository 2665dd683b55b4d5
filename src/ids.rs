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
    refuse_nul(id, label)?;
    let shown = shown(id);
    if id.trim() != id {
        return Err(Error::invalid_argument(format!(
            "{label} {shown} has leading or trailing whitespace; IDs are used exactly as given"
        )));
    }
    let other = kind.other();
    if id.starts_with(other.prefix()) {
        return Err(Error::invalid_argument(format!(
            "{label} {shown} is a {}, not a {label}; expected {form}",
            other.label()
        )));
    }
    let uuid = id.strip_prefix(kind.prefix()).unwrap_or(id);
    if let Some(problem) = uuid_problem(uuid) {
        return Err(Error::invalid_argument(format!(
            "{label} {shown} is not a Layer {label}: {problem}; expected {form}"
        )));
    }
    Ok(())
}

/// How a message shows an ID it refuses: quoted when it could be one (only the characters of
/// `layer:///providers/<uuid>` and `layer:///keys/<uuid>`, and no longer than those), otherwise
/// by its length alone. A passphrase or a key pasted where an ID belongs is never repeated.
fn shown(id: &str) -> String {
    const LONGEST: usize = PROVIDER_PREFIX.len() + 36;
    let id_like = id.len() <= LONGEST
        && id
            .chars()
            .all(|c| c.is_ascii_hexdigit() || "layer:/providerskey-".contains(c));
    if id_like {
        quote(id)
    } else {
        format!("({} characters, not repeated here)", id.chars().count())
    }
}

/// `8-4-4-4-12` hexadecimal digits, either case.
const UUID_GROUPS: [usize; 5] = [8, 4, 4, 4, 12];

/// What is wrong with a would-be UUID, in words; `None` when it is one.
fn uuid_problem(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    if text.contains(['<', '>', '{', '}', '$'])
        || ["your", "xxxx", "uuid", "example", "replace", "changeme"]
            .iter()
            .any(|word| lower.contains(word))
    {
        return Some(
            "it is a placeholder; copy the real value from the Layer dashboard".to_owned(),
        );
    }
    if let Some((position, c)) = text
        .chars()
        .enumerate()
        .find(|&(_, c)| !c.is_ascii_hexdigit() && c != '-')
    {
        return Some(format!(
            "character {} is {}, but a UUID has only hexadecimal digits and '-'",
            position + 1,
            quote(&c.to_string())
        ));
    }
    let groups: Vec<&str> = text.split('-').collect();
    if groups.len() == 1 && text.len() == 32 {
        return Some(
            "it has its 32 hexadecimal digits but no hyphens; write it as 8-4-4-4-12".to_owned(),
        );
    }
    if groups.len() != UUID_GROUPS.len() {
        return Some(format!(
            "it has {} groups of digits between hyphens, a UUID has 5 (8-4-4-4-12)",
            groups.len()
        ));
    }
    let ordinals = ["first", "second", "third", "fourth", "fifth"];
    groups
        .iter()
        .zip(UUID_GROUPS)
        .zip(ordinals)
        .find(|((group, expected), _)| group.len() != *expected)
        .map(|((group, expected), ordinal)| {
            format!(
                "its {ordinal} group has {} digits, expected {expected} (8-4-4-4-12)",
                group.len()
            )
        })
}

/// Whether `a` and `b` name the same Layer ID written differently: one with the
/// `layer:///...` prefix and one bare, or in another letter case.
pub fn same_id_in_other_form(a: &str, b: &str) -> bool {
    let bare = |id: &str| {
        [PROVIDER_PREFIX, KEY_PREFIX]
            .iter()
            .find_map(|prefix| id.strip_prefix(prefix))
            .unwrap_or(id)
            .to_ascii_lowercase()
    };
    a != b && uuid_problem(&bare(a)).is_none() && bare(a) == bare(b)
}

/// User IDs and nonces are opaque to the library but must not be empty (nor, see
/// [`refuse_nul`], hold U+0000).
pub fn validate_non_empty(value: &str, label: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid_argument(format!("{label} is empty")));
    }
    Ok(())
}

/// Every text a token carries: U+0000 is valid JSON (`\u0000`) but what C, and many databases
/// and logs, read as the end of the string, so a token holding it means different things to
/// different readers. `label` names the argument.
pub fn refuse_nul(value: &str, label: &str) -> Result<()> {
    match value.bytes().position(|b| b == 0) {
        None => Ok(()),
        Some(offset) => Err(Error::invalid_argument(format!(
            "{label} contains U+0000 (at byte {offset}), which no Layer token may carry"
        ))),
    }
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
            ("e3b70b6a-8a3c-11e5-b1c0-4a64b0d1f0f0-", "6 groups"),
            ("e3b70b6a8a3c11e5b1c04a64b0d1f0f0", "no hyphens"),
            (
                "e3b70b6a-8a3c-11e5-b1c0-4a64b0d1f0f",
                "fifth group has 11 digits",
            ),
            (
                "e3b70b6a-8a3c-11g5-b1c0-4a64b0d1f0f0",
                "character 17 is \"g\"",
            ),
        ];
        for (id, fragment) in cases {
            let err = validate_provider_id(id).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
            assert!(err.message().contains(fragment), "{id:?}: {err}");
        }
        let err = validate_key_id(&format!("layer:///providers/{UUID}")).unwrap_err();
        assert!(err.message().contains("is a provider ID"), "{err}");
    }

    #[test]
    fn recognizes_the_same_id_in_another_form() {
        let uri = format!("layer:///keys/{UUID}");
        assert!(same_id_in_other_form(&uri, UUID));
        assert!(same_id_in_other_form(UUID, &uri));
        assert!(same_id_in_other_form(&UUID.to_uppercase(), UUID));
        assert!(!same_id_in_other_form(UUID, UUID));
        assert!(!same_id_in_other_form(
            UUID,
            "e3b70b6a-8a3c-11e5-b1c0-4a64b0d1f0f1"
        ));
        assert!(!same_id_in_other_form("abc", "ABC"));
    }
}
