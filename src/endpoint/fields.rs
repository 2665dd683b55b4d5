//! The fields of `POST /identity-token` and their rules, checked in the contract's order with
//! its messages: `nonce`, the four identity attributes, then (for the demo authenticator only)
//! `user_id`.

use super::response::{ErrorCode, Refusal};
use crate::token::Attributes;

/// The longest value a field may have, in UTF-8 bytes.
pub const MAX_FIELD_BYTES: usize = 2048;

/// The fields the endpoint knows, in the order their rules are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Nonce,
    FirstName,
    LastName,
    DisplayName,
    AvatarUrl,
    UserId,
}

impl Field {
    pub const ALL: [Field; 6] = [
        Field::Nonce,
        Field::FirstName,
        Field::LastName,
        Field::DisplayName,
        Field::AvatarUrl,
        Field::UserId,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Field::Nonce => "nonce",
            Field::FirstName => "first_name",
            Field::LastName => "last_name",
            Field::DisplayName => "display_name",
            Field::AvatarUrl => "avatar_url",
            Field::UserId => "user_id",
        }
    }

    pub fn named(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|field| field.name() == name)
    }

    /// `nonce` and (for the demo authenticator) `user_id` must be given; attributes may not be.
    const fn required(self) -> bool {
        matches!(self, Field::Nonce | Field::UserId)
    }
}

/// A known field as the body gave it, before its rules are checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Given {
    #[default]
    Absent,
    Text(String),
    /// A JSON string naming an unpaired surrogate: not valid Unicode, no UTF-8 form.
    LoneSurrogate,
    Null,
    /// Some other JSON value, described ("a number").
    NotAString(&'static str),
    Twice,
}

/// The known fields of one body, as given.
#[derive(Clone, Debug, Default)]
pub struct RawFields {
    given: [Given; 6],
}

impl RawFields {
    pub fn give(&mut self, field: Field, given: Given) {
        let slot = &mut self.given[field as usize];
        *slot = match slot {
            Given::Absent => given,
            _ => Given::Twice,
        };
    }

    #[cfg(test)]
    pub fn given(&self, field: Field) -> &Given {
        &self.given[field as usize]
    }

    /// Checks the fields in the contract's order (the first failure answers), leaving
    /// `user_id` to the demo authenticator.
    pub fn check(mut self) -> Result<Fields, Refusal> {
        let mut values: [Option<String>; 6] = Default::default();
        for field in Field::ALL {
            let given = std::mem::take(&mut self.given[field as usize]);
            match (field, check(field, given)) {
                (Field::UserId, Ok(value)) => values[field as usize] = value,
                (Field::UserId, Err(refusal)) => {
                    return Ok(Fields {
                        values,
                        user_id_refusal: Some(refusal),
                    })
                }
                (_, Ok(value)) => values[field as usize] = value,
                (_, Err(refusal)) => return Err(refusal),
            }
        }
        Ok(Fields {
            values,
            user_id_refusal: None,
        })
    }
}

/// One field's rules: `Ok(None)` when an optional field is absent.
fn check(field: Field, given: Given) -> Result<Option<String>, Refusal> {
    let name = field.name();
    let invalid = |rule: &str| {
        Err(Refusal::new(
            ErrorCode::InvalidField,
            format!("{name} {rule}"),
        ))
    };
    match given {
        Given::Absent if field.required() => Err(Refusal::new(
            ErrorCode::MissingField,
            format!("{name} is required"),
        )),
        Given::Absent | Given::Null if !field.required() => Ok(None),
        Given::Twice => invalid("is given more than once"),
        Given::LoneSurrogate => invalid("must be valid Unicode"),
        Given::Text(text) if text.len() > MAX_FIELD_BYTES => {
            invalid(&format!("must be at most {MAX_FIELD_BYTES} bytes"))
        }
        Given::Text(text) if text.contains('\0') => invalid("must not contain U+0000"),
        Given::Text(text) if !text.is_empty() => Ok(Some(text)),
        Given::Text(_) | Given::Absent | Given::Null | Given::NotAString(_) => {
            invalid("must be a non-empty string")
        }
    }
}

/// The fields of a body that passed every rule, for `authenticate` and for signing.
#[derive(Clone, Debug)]
pub struct Fields {
    values: [Option<String>; 6],
    /// Why `user_id` fails its rules, if it does: the demo authenticator's answer.
    user_id_refusal: Option<Refusal>,
}

impl Fields {
    /// A field's value; `None` when absent (and for a `user_id` that breaks the field rules).
    pub fn get(&self, field: Field) -> Option<&str> {
        self.values[field as usize].as_deref()
    }

    pub fn nonce(&self) -> &str {
        self.get(Field::Nonce).expect("nonce is required")
    }

    /// The identity attributes the token will carry.
    pub fn attributes(&self) -> Attributes {
        let value = |field| self.get(field).map(str::to_owned);
        Attributes {
            first_name: value(Field::FirstName),
            last_name: value(Field::LastName),
            display_name: value(Field::DisplayName),
            avatar_url: value(Field::AvatarUrl),
            ..Attributes::default()
        }
    }

    /// The demo authenticator: `user_id` from the body under the field rules, or the 400 that
    /// its failure answers.
    pub fn demo_user_id(&self) -> Result<&str, &Refusal> {
        match &self.user_id_refusal {
            Some(refusal) => Err(refusal),
            None => Ok(self.get(Field::UserId).expect("user_id passed its rules")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(given: Given, field: Field) -> (u16, String) {
        let mut raw = RawFields::default();
        if field != Field::Nonce {
            raw.give(Field::Nonce, Given::Text("n".into()));
        }
        raw.give(field, given);
        let fields = match raw.check() {
            Err(refusal) => return (refusal.code.status(), refusal.message),
            Ok(fields) => fields,
        };
        match fields.demo_user_id() {
            Err(refusal) => (refusal.code.status(), refusal.message.clone()),
            Ok(user) => (200, user.to_owned()),
        }
    }

    #[test]
    fn each_rule_has_its_message() {
        let long = "é".repeat(1025);
        for (field, given, status, message) in [
            (Field::Nonce, Given::Absent, 400, "nonce is required"),
            (
                Field::Nonce,
                Given::Null,
                400,
                "nonce must be a non-empty string",
            ),
            (Field::UserId, Given::Absent, 400, "user_id is required"),
            (
                Field::FirstName,
                Given::NotAString("a number"),
                400,
                "first_name must be a non-empty string",
            ),
            (
                Field::LastName,
                Given::Text(String::new()),
                400,
                "last_name must be a non-empty string",
            ),
            (
                Field::DisplayName,
                Given::Text(long),
                400,
                "display_name must be at most 2048 bytes",
            ),
            (
                Field::AvatarUrl,
                Given::Text("a\0".into()),
                400,
                "avatar_url must not contain U+0000",
            ),
            (
                Field::UserId,
                Given::LoneSurrogate,
                400,
                "user_id must be valid Unicode",
            ),
            (
                Field::UserId,
                Given::Twice,
                400,
                "user_id is given more than once",
            ),
        ] {
            let (got_status, body) = answer(given, field);
            assert_eq!(got_status, status, "{field:?}");
            assert!(body.contains(message), "{field:?}: {body}");
        }
        assert_eq!(
            answer(Given::Null, Field::FirstName).0,
            400,
            "user_id absent"
        );
    }

    #[test]
    fn the_first_failing_field_in_contract_order_answers() {
        let mut raw = RawFields::default();
        raw.give(Field::AvatarUrl, Given::Text(String::new()));
        raw.give(Field::FirstName, Given::NotAString("a boolean"));
        raw.give(Field::Nonce, Given::Text("n".into()));
        assert!(raw.check().unwrap_err().message.starts_with("first_name "));
    }
}
