//! A token checked rule by rule, as the Layer dashboard's validation tool showed it: every rule
//! of the verifier with its `eit_*` identifier and whether it holds, not only the first that
//! fails. The verdict is the verifier's own ([`Verifier::verify`]); the rules are the same
//! checks, run one by one wherever their input can be read, so that a token that is both
//! expired and signed with the wrong key shows both.
//!
//! The first rule that fails is always the one the verdict names, with the same message: the
//! rules run in the verifier's order, and a rule is only [`Outcome::NotChecked`] after one it
//! depends on has failed.

use crate::error::{Eit, Error, Result};
use crate::verify::{
    check_arguments, check_expiry, check_nonce, check_not_before, parse_claims, parse_header,
    read_claims, split, Part, VerifiedToken, Verifier,
};

/// One rule of the verifier, in the order they are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    Size,
    PartCount,
    Base64url,
    HeaderJson,
    HeaderMembers,
    HeaderTypes,
    HeaderValues,
    KeyId,
    Signature,
    ClaimsJson,
    ClaimsPresent,
    ClaimTypes,
    Issuer,
    Expiry,
    NotBefore,
    Nonce,
}

impl Rule {
    /// Every rule, in the order the verifier checks them.
    pub const ALL: [Rule; 16] = [
        Rule::Size,
        Rule::PartCount,
        Rule::Base64url,
        Rule::HeaderJson,
        Rule::HeaderMembers,
        Rule::HeaderTypes,
        Rule::HeaderValues,
        Rule::KeyId,
        Rule::Signature,
        Rule::ClaimsJson,
        Rule::ClaimsPresent,
        Rule::ClaimTypes,
        Rule::Issuer,
        Rule::Expiry,
        Rule::NotBefore,
        Rule::Nonce,
    ];

    /// A stable name for automation (`"signature"`, `"expiry"`).
    pub const fn name(self) -> &'static str {
        match self {
            Rule::Size => "size",
            Rule::PartCount => "part_count",
            Rule::Base64url => "base64url",
            Rule::HeaderJson => "header_json",
            Rule::HeaderMembers => "header_members",
            Rule::HeaderTypes => "header_types",
            Rule::HeaderValues => "header_values",
            Rule::KeyId => "key_id",
            Rule::Signature => "signature",
            Rule::ClaimsJson => "claims_json",
            Rule::ClaimsPresent => "claims_present",
            Rule::ClaimTypes => "claim_types",
            Rule::Issuer => "issuer",
            Rule::Expiry => "expiry",
            Rule::NotBefore => "not_before",
            Rule::Nonce => "nonce",
        }
    }

    /// Layer's identifier for a token that breaks this rule.
    pub const fn eit(self) -> Eit {
        match self {
            Rule::Size | Rule::HeaderJson | Rule::ClaimsJson => Eit::MalformedJson,
            Rule::PartCount => Eit::WrongJwsPartCount,
            Rule::Base64url => Eit::MalformedBase64url,
            Rule::HeaderMembers => Eit::HeaderParamNotFound,
            Rule::HeaderTypes => Eit::HeaderParamWrongType,
            Rule::HeaderValues => Eit::HeaderParamWrongValue,
            Rule::KeyId => Eit::KeyNotFound,
            Rule::Signature => Eit::SignatureVerificationFailed,
            Rule::ClaimsPresent => Eit::ClaimNotFound,
            Rule::ClaimTypes => Eit::ClaimWrongType,
            Rule::Issuer => Eit::ProviderNotFound,
            Rule::Expiry => Eit::Expired,
            Rule::NotBefore => Eit::NotBefore,
            Rule::Nonce => Eit::NonceNotFound,
        }
    }

    /// What the rule asks of a token, in a few words.
    pub const fn description(self) -> &'static str {
        match self {
            Rule::Size => "the token is at most 16384 bytes",
            Rule::PartCount => "three parts separated by '.' (JWS compact form)",
            Rule::Base64url => "each part is unpadded, canonical base64url",
            Rule::HeaderJson => "the header is a JSON object without duplicate members",
            Rule::HeaderMembers => "the header has typ, alg, cty and kid",
            Rule::HeaderTypes => "typ, alg, cty and kid are strings",
            Rule::HeaderValues => {
                "typ is JWS or JWT, alg RS256, cty layer-eit;v=1, and nothing else in the header"
            }
            Rule::KeyId => "kid is the key ID registered with Layer",
            Rule::Signature => "the RS256 signature verifies with the public key",
            Rule::ClaimsJson => "the claims are a JSON object without duplicate members",
            Rule::ClaimsPresent => "the claims have iss, prn, iat, exp and nce",
            Rule::ClaimTypes => {
                "prn and nce are non-empty strings, iat and exp integers with iat < exp, attributes strings"
            }
            Rule::Issuer => "iss is the provider ID",
            Rule::Expiry => "exp has not passed (give or take the leeway)",
            Rule::NotBefore => "iat is not in the future (give or take the leeway)",
            Rule::Nonce => "nce is the nonce the client obtained",
        }
    }
}

/// How a token fared on one rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    /// The rule fails; the error is the verifier's (message starting with the `eit_*`).
    Fail(Error),
    /// The rule could not be checked; the text says why (a rule it depends on failed, or no
    /// nonce was given).
    NotChecked(&'static str),
}

/// One rule and its outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleCheck {
    pub rule: Rule,
    pub outcome: Outcome,
}

/// A token checked rule by rule.
#[derive(Clone, Debug)]
pub struct Report {
    /// Every rule of [`Rule::ALL`], in that order.
    pub checks: Vec<RuleCheck>,
    /// What [`Verifier::verify`] says of the token.
    pub verdict: Result<VerifiedToken>,
    /// The header and claims as the token carries them, decoded but not trusted (`None` when a
    /// part cannot be decoded, or is not UTF-8).
    pub header_json: Option<String>,
    pub claims_json: Option<String>,
}

impl Report {
    /// The outcome of `rule`.
    pub fn outcome(&self, rule: Rule) -> &Outcome {
        &self
            .checks
            .iter()
            .find(|check| check.rule == rule)
            .expect("a report holds every rule")
            .outcome
    }

    pub fn is_valid(&self) -> bool {
        self.verdict.is_ok()
    }
}

const TOO_LARGE: &str = "not checked: the token is too large to read";
const NOT_SPLIT: &str = "not checked: the token does not have three parts";
const NO_HEADER: &str = "not checked: the header cannot be decoded";
const NO_HEADER_OBJECT: &str = "not checked: the header is not a JSON object";
const HEADER_INCOMPLETE: &str =
    "not checked: the header lacks a member or has one of the wrong type";
const NO_SIGNATURE: &str = "not checked: the signature cannot be decoded";
const NO_CLAIMS: &str = "not checked: the claims cannot be decoded";
const NO_CLAIMS_OBJECT: &str = "not checked: the claims are not a JSON object";
const CLAIMS_INCOMPLETE: &str =
    "not checked: the claims lack a member or have one of the wrong type";
const NO_NONCE: &str = "not checked: no nonce was given";

/// Checks `token` rule by rule with `verifier`'s key and IDs at time `now` (`None`: the system
/// clock) with `leeway_seconds` of clock skew; with `expected_nonce`, `nce` must be it. The
/// arguments are checked as [`Verifier::verify`] checks them (an error, not a report).
pub fn check(
    verifier: &Verifier,
    token: &str,
    expected_nonce: Option<&str>,
    now: Option<i64>,
    leeway_seconds: u32,
) -> Result<Report> {
    let now = check_arguments(expected_nonce, now)?;
    let leeway = i64::from(leeway_seconds);
    let verdict = verifier.verify(token, expected_nonce, Some(now), leeway_seconds);

    let mut outcomes: Vec<(Rule, Outcome)> = Vec::with_capacity(Rule::ALL.len());
    let mut put = |rule: Rule, outcome: Outcome| outcomes.push((rule, outcome));
    let from = |result: Result<()>| match result {
        Ok(()) => Outcome::Pass,
        Err(error) => Outcome::Fail(error),
    };
    let mut header_json = None;
    let mut claims_json = None;

    match split(token) {
        Err(error) => {
            let (failed, reason) = if error.eit() == Some(Eit::WrongJwsPartCount) {
                put(Rule::Size, Outcome::Pass);
                (Rule::PartCount, NOT_SPLIT)
            } else {
                (Rule::Size, TOO_LARGE)
            };
            put(failed, Outcome::Fail(error));
            for rule in Rule::ALL.into_iter().skip_while(|&r| r != failed).skip(1) {
                put(rule, Outcome::NotChecked(reason));
            }
        }
        Ok(parts) => {
            put(Rule::Size, Outcome::Pass);
            put(Rule::PartCount, Outcome::Pass);
            let header = parts.decode(Part::Header);
            let claims = parts.decode(Part::Claims);
            let signature = parts.decode(Part::Signature);
            let first_error = [&header, &claims, &signature]
                .into_iter()
                .find_map(|part| part.as_ref().err().cloned());
            put(Rule::Base64url, from(first_error.map_or(Ok(()), Err)));

            match &header {
                Err(_) => {
                    for rule in [
                        Rule::HeaderJson,
                        Rule::HeaderMembers,
                        Rule::HeaderTypes,
                        Rule::HeaderValues,
                        Rule::KeyId,
                    ] {
                        put(rule, Outcome::NotChecked(NO_HEADER));
                    }
                }
                Ok(bytes) => {
                    header_json = String::from_utf8(bytes.clone()).ok();
                    check_header(verifier, bytes, &mut put);
                }
            }

            put(
                Rule::Signature,
                match &signature {
                    Ok(signature) => from(verifier.check_signature(&parts, signature)),
                    Err(_) => Outcome::NotChecked(NO_SIGNATURE),
                },
            );

            match &claims {
                Err(_) => {
                    for rule in Rule::ALL.into_iter().skip_while(|&r| r != Rule::ClaimsJson) {
                        put(rule, Outcome::NotChecked(NO_CLAIMS));
                    }
                }
                Ok(bytes) => {
                    claims_json = String::from_utf8(bytes.clone()).ok();
                    let context = Claims {
                        verifier,
                        expected_nonce,
                        now,
                        leeway,
                    };
                    context.check(bytes, &mut put);
                }
            }
        }
    }

    let checks: Vec<RuleCheck> = outcomes
        .into_iter()
        .map(|(rule, outcome)| RuleCheck { rule, outcome })
        .collect();
    debug_assert!(checks.iter().map(|c| c.rule).eq(Rule::ALL));
    Ok(Report {
        checks,
        verdict,
        header_json,
        claims_json,
    })
}

/// The header's rules: JSON, members, types, values, then the key ID (which needs only `kid`
/// to be there as a string, so it is checked even when another value is wrong).
fn check_header(verifier: &Verifier, bytes: &[u8], put: &mut impl FnMut(Rule, Outcome)) {
    let members = match parse_header(bytes) {
        Ok(members) => members,
        Err(error) => {
            put(Rule::HeaderJson, Outcome::Fail(error));
            for rule in [
                Rule::HeaderMembers,
                Rule::HeaderTypes,
                Rule::HeaderValues,
                Rule::KeyId,
            ] {
                put(rule, Outcome::NotChecked(NO_HEADER_OBJECT));
            }
            return;
        }
    };
    put(Rule::HeaderJson, Outcome::Pass);
    let shape = verifier.check_header(&members);
    let failed = shape.as_ref().err().and_then(Error::eit);
    let steps = [
        (Rule::HeaderMembers, Eit::HeaderParamNotFound),
        (Rule::HeaderTypes, Eit::HeaderParamWrongType),
        (Rule::HeaderValues, Eit::HeaderParamWrongValue),
    ];
    let mut error = shape.err();
    let mut broken = false;
    for (rule, eit) in steps {
        if broken {
            put(rule, Outcome::NotChecked(HEADER_INCOMPLETE));
        } else if failed == Some(eit) {
            put(rule, Outcome::Fail(error.take().expect("the failure")));
            broken = eit != Eit::HeaderParamWrongValue;
        } else {
            put(rule, Outcome::Pass);
        }
    }
    put(
        Rule::KeyId,
        if broken {
            Outcome::NotChecked(HEADER_INCOMPLETE)
        } else {
            match verifier.check_key_id(&members) {
                Ok(()) => Outcome::Pass,
                Err(error) => Outcome::Fail(error),
            }
        },
    );
}

/// What the claims' rules are checked against.
struct Claims<'a> {
    verifier: &'a Verifier,
    expected_nonce: Option<&'a str>,
    now: i64,
    leeway: i64,
}

impl Claims<'_> {
    /// The claims' rules: JSON, presence and types, then issuer, times and nonce, each on its
    /// own once the claims can be read.
    fn check(&self, bytes: &[u8], put: &mut impl FnMut(Rule, Outcome)) {
        let rest = |put: &mut dyn FnMut(Rule, Outcome), from: Rule, reason| {
            for rule in Rule::ALL.into_iter().skip_while(|&r| r != from) {
                put(rule, Outcome::NotChecked(reason));
            }
        };
        let members = match parse_claims(bytes).and_then(|members| {
            // The verifier reads the claims as UTF-8 text in the end; say so here already.
            std::str::from_utf8(bytes)
                .map(|_| members)
                .map_err(|_| Error::token(Eit::MalformedJson, "the claims are not UTF-8"))
        }) {
            Ok(members) => members,
            Err(error) => {
                put(Rule::ClaimsJson, Outcome::Fail(error));
                rest(put, Rule::ClaimsPresent, NO_CLAIMS_OBJECT);
                return;
            }
        };
        put(Rule::ClaimsJson, Outcome::Pass);
        let claims = match read_claims(&members, bytes) {
            Ok(claims) => claims,
            Err(error) if error.eit() == Some(Eit::ClaimNotFound) => {
                put(Rule::ClaimsPresent, Outcome::Fail(error));
                rest(put, Rule::ClaimTypes, CLAIMS_INCOMPLETE);
                return;
            }
            Err(error) => {
                put(Rule::ClaimsPresent, Outcome::Pass);
                put(Rule::ClaimTypes, Outcome::Fail(error));
                rest(put, Rule::Issuer, CLAIMS_INCOMPLETE);
                return;
            }
        };
        put(Rule::ClaimsPresent, Outcome::Pass);
        put(Rule::ClaimTypes, Outcome::Pass);
        let outcome = |result: Result<()>| match result {
            Ok(()) => Outcome::Pass,
            Err(error) => Outcome::Fail(error),
        };
        put(Rule::Issuer, outcome(self.verifier.check_issuer(&claims)));
        put(
            Rule::Expiry,
            outcome(check_expiry(&claims, self.now, self.leeway)),
        );
        put(
            Rule::NotBefore,
            outcome(check_not_before(&claims, self.now, self.leeway)),
        );
        put(
            Rule::Nonce,
            match self.expected_nonce {
                None => Outcome::NotChecked(NO_NONCE),
                Some(_) => outcome(check_nonce(&claims, self.expected_nonce)),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Attributes, Flags, Signer};

    const PROVIDER: &str = "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f";
    const KEY: &str = "layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f";
    const IAT: i64 = 1_700_000_000;

    fn pem() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/vectors/keys/rsa2048.pkcs8.pem"
        ))
        .unwrap()
    }

    fn token(key_id: &str) -> String {
        Signer::new(&pem(), None, PROVIDER, key_id, Flags::default())
            .unwrap()
            .sign("alice", "n0nce", Some(IAT), None, &Attributes::default())
            .unwrap()
    }

    fn verifier() -> Verifier {
        Verifier::new(&pem(), PROVIDER, KEY, Flags::default()).unwrap()
    }

    fn names(report: &Report, pass: bool) -> Vec<&'static str> {
        report
            .checks
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Pass) == pass)
            .map(|c| c.rule.name())
            .collect()
    }

    #[test]
    fn a_valid_token_passes_every_rule_and_the_nonce_only_when_given() {
        let report = check(&verifier(), &token(KEY), Some("n0nce"), Some(IAT + 1), 60).unwrap();
        assert!(report.is_valid());
        assert!(names(&report, false).is_empty(), "{report:?}");
        let report = check(&verifier(), &token(KEY), None, Some(IAT + 1), 60).unwrap();
        assert!(report.is_valid());
        assert_eq!(names(&report, false), ["nonce"]);
        assert_eq!(
            report.outcome(Rule::Nonce),
            &Outcome::NotChecked("not checked: no nonce was given")
        );
        assert!(report.claims_json.unwrap().starts_with("{\"iss\":"));
    }

    #[test]
    fn independent_failures_all_show_and_the_first_is_the_verdict() {
        // Another key ID in the header (so the signature over it is also another), expired,
        // and with the wrong nonce.
        let other = "layer:///keys/11111111-56b1-11e5-a0e4-5a0b0c0d0e0f";
        let report = check(&verifier(), &token(other), Some("x"), Some(IAT + 9999), 60).unwrap();
        let failed: Vec<_> = report
            .checks
            .iter()
            .filter_map(|c| match &c.outcome {
                Outcome::Fail(e) => Some((c.rule, e.eit().unwrap())),
                _ => None,
            })
            .collect();
        assert_eq!(
            failed,
            [
                (Rule::KeyId, Eit::KeyNotFound),
                (Rule::Expiry, Eit::Expired),
                (Rule::Nonce, Eit::NonceNotFound)
            ]
        );
        let verdict = report.verdict.clone().unwrap_err();
        assert_eq!(report.outcome(Rule::KeyId), &Outcome::Fail(verdict));
    }

    #[test]
    fn rules_that_cannot_be_read_are_not_checked() {
        let report = check(&verifier(), "a.b", None, Some(IAT), 60).unwrap();
        assert_eq!(names(&report, true), ["size"]);
        assert!(matches!(report.outcome(Rule::PartCount), Outcome::Fail(_)));
        assert!(matches!(
            report.outcome(Rule::Expiry),
            Outcome::NotChecked(_)
        ));

        let mut bad = token(KEY);
        bad.insert(3, '=');
        let report = check(&verifier(), &bad, None, Some(IAT), 60).unwrap();
        assert!(matches!(report.outcome(Rule::Base64url), Outcome::Fail(_)));
        assert_eq!(report.outcome(Rule::KeyId), &Outcome::NotChecked(NO_HEADER));
        // The claims still decode, so their rules are checked.
        assert_eq!(report.outcome(Rule::Issuer), &Outcome::Pass);
    }

    #[test]
    fn arguments_are_refused_as_verify_refuses_them() {
        let error = check(&verifier(), &token(KEY), Some(""), None, 60).unwrap_err();
        assert_eq!(error.kind(), crate::ErrorKind::InvalidArgument);
        assert!(check(&verifier(), &token(KEY), None, Some(-1), 60).is_err());
    }

    #[test]
    fn every_rule_has_a_distinct_name_and_its_eit() {
        let names: std::collections::HashSet<_> = Rule::ALL.iter().map(|r| r.name()).collect();
        assert_eq!(names.len(), Rule::ALL.len());
        let eits: std::collections::HashSet<_> = Rule::ALL.iter().map(|r| r.eit()).collect();
        assert_eq!(eits.len(), 14, "every eit_* identifier has a rule");
    }
}
