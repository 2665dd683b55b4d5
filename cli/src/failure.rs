//! How a command fails: an exit status from the documented table, and what to tell the user on
//! stderr. Nothing here ever formats key material or a passphrase: messages come from the
//! library (which guarantees that) or name flags, variables and file paths.

use std::fmt::Display;
use std::io::{self, Write as _};
use std::process::ExitCode;

use layer_identity::{Error, ErrorKind};

/// The exit statuses listed in `--help` (see `exit_status_help!`).
pub mod status {
    /// `verify`: the token was rejected by a verifier rule.
    pub const REJECTED: u8 = 1;
    /// Usage, configuration or input error: something the user has to change.
    pub const USAGE: u8 = 2;
    /// Anything else: cryptographic or internal errors, output that cannot be written.
    pub const FAILURE: u8 = 3;
}

#[derive(Debug)]
pub struct Failure {
    code: u8,
    /// The library's error kind, when the failure is one.
    kind: Option<ErrorKind>,
    /// First word on stderr: "error", or "invalid" for a rejected token.
    label: &'static str,
    /// Empty when the command has already reported the failure itself (`verify --json`).
    message: String,
    hint: Option<String>,
}

impl Failure {
    /// A usage or configuration error (exit status 2).
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            code: status::USAGE,
            kind: None,
            label: "error",
            message: message.into(),
            hint: None,
        }
    }

    /// A token the verifier rejected (exit status 1), with Layer's hint for the rule.
    pub fn rejected(error: &Error) -> Failure {
        Failure {
            code: status::REJECTED,
            kind: Some(error.kind()),
            label: "invalid",
            message: error.message().to_owned(),
            hint: error.eit().map(|eit| eit.hint().to_owned()),
        }
    }

    /// An output that cannot be written (exit status 3).
    pub fn write(what: impl Display, error: &io::Error) -> Failure {
        Failure {
            code: status::FAILURE,
            ..Failure::usage(format!("cannot write {what}: {error}"))
        }
    }

    /// Exit with `code` without printing anything more: the command has reported already.
    pub fn reported(code: u8) -> Failure {
        Failure {
            code,
            ..Failure::usage(String::new())
        }
    }

    /// The library's error kind, when the failure is a library error.
    pub fn kind(&self) -> Option<ErrorKind> {
        self.kind
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Failure {
        self.hint = Some(hint.into());
        self
    }

    /// Prints the failure on stderr and turns it into the process exit status.
    pub fn report(self) -> ExitCode {
        if !self.message.is_empty() {
            let mut stderr = io::stderr().lock();
            // If stderr itself is gone there is nobody left to tell; the exit status remains.
            let _ = writeln!(stderr, "{}: {}", self.label, self.message);
            if let Some(hint) = &self.hint {
                let _ = writeln!(stderr, "hint: {hint}");
            }
        }
        ExitCode::from(self.code)
    }
}

impl From<Error> for Failure {
    /// Library errors outside `verify`'s rejections: bad input is the user's to fix (2), a
    /// crypto or internal failure is not (3).
    fn from(error: Error) -> Failure {
        let code = match error.kind() {
            ErrorKind::Crypto | ErrorKind::Internal => status::FAILURE,
            ErrorKind::InvalidArgument
            | ErrorKind::InvalidKey
            | ErrorKind::WeakKey
            | ErrorKind::WrongPassphrase
            | ErrorKind::MalformedToken
            | ErrorKind::BadSignature
            | ErrorKind::Expired
            | ErrorKind::NotYetValid
            | ErrorKind::ClaimMismatch => status::USAGE,
        };
        Failure {
            code,
            kind: Some(error.kind()),
            label: "error",
            hint: None,
            message: error.message().to_owned(),
        }
    }
}
