//! `inspect`: show what a token says without checking any of it, for debugging. Everything it
//! prints is whatever the token's maker chose, which the output says loudly.

use std::io::{self, IsTerminal as _};

use clap::value_parser;
use layer_identity::{decode, Eit, MILLISECONDS_THRESHOLD};
use serde_json::Value;

use crate::failure::Failure;
use crate::input;
use crate::output;

#[derive(clap::Args)]
#[command(
    about = "Decode a token WITHOUT verifying it: header, claims, iat/exp as dates",
    long_about = "Decode a token WITHOUT verifying it: print its header and claims as JSON \
        (members in the token's order), its iat and exp as UTC dates, and whether exp has passed. \
        Nothing shown is checked: anyone can create a token with any contents. Use `verify` to \
        know whether Layer would accept it.",
    after_help = concat!(
        "Examples:
  layer-identity inspect \"$TOKEN\"
  pbpaste | layer-identity inspect
  layer-identity inspect --now 1700000300 - < token.txt

",
        exit_status_help!()
    )
)]
pub struct Args {
    /// The token; - (or no argument, with stdin not a terminal) reads it from stdin, ignoring
    /// surrounding whitespace there
    #[arg(value_name = "TOKEN")]
    token: Option<String>,

    /// Judge iat and exp against this Unix time (seconds) [default: now]
    #[arg(long, value_name = "SECS", value_parser = value_parser!(i64).range(1..))]
    now: Option<i64>,
}

pub const BANNER: &str =
    "NOT VERIFIED — anyone can create a token with these contents; `layer-identity verify` checks it.";

pub fn run(args: &Args) -> Result<(), Failure> {
    let token = input::token(args.token.as_deref())?;
    let undecodable = |error: layer_identity::Error| {
        let hint = match error.eit() {
            Some(Eit::WrongJwsPartCount) => input::file_name_hint(&token, "inspect"),
            _ => None,
        }
        .or_else(|| error.eit().map(|eit| eit.hint().to_owned()));
        // Bad input to this command (exit status 2), with Layer's identifier and a hint.
        let failure = Failure::from(error);
        match hint {
            Some(hint) => failure.with_hint(hint),
            None => failure,
        }
    };
    let decoded = decode(&token).map_err(undecodable)?;
    let signature_len = decoded.signature.len();
    let (header, claims) = decoded.into_text().map_err(undecodable)?;
    let now = args.now.unwrap_or_else(layer_identity::unix_now);

    // The banner goes once to each stream a person sees: in the report, and on the terminal
    // too when the report goes into a file or a pipe.
    if !io::stdout().is_terminal() && io::stderr().is_terminal() {
        output::note(&format!("{BANNER}\n"));
    }
    let mut report = format!("{BANNER}\n\nHeader:\n{}\n\n", json_block(&header));
    report += &format!("Claims:\n{}\n\n", json_block(&claims));
    report += &format!("Signature: {signature_len} bytes, not checked\n");
    report += &timeline(&claims, now);
    output::print(&report)
}

fn json_block(text: &str) -> String {
    output::pretty_json(text)
        .unwrap_or_else(|| format!("(not valid JSON, shown escaped)\n{}", output::escaped(text)))
}

/// `iat`, `exp` and the time they are judged against, as dates, with what stands out.
fn timeline(claims: &str, now: i64) -> String {
    let claims: Option<serde_json::Map<String, Value>> = serde_json::from_str(claims).ok();
    let time = |name: &str| -> Result<i64, &'static str> {
        match claims.as_ref().and_then(|c| c.get(name)) {
            None => Err("missing"),
            Some(value) => value.as_i64().ok_or("not an integer"),
        }
    };
    let iat = time("iat");
    let exp = time("exp");
    let describe = |value: Result<i64, &str>| match value {
        Ok(seconds) if seconds >= MILLISECONDS_THRESHOLD => format!(
            "{} ({seconds}), looks like milliseconds: Layer expects Unix seconds",
            output::utc(seconds)
        ),
        Ok(seconds) => format!("{} ({seconds})", output::utc(seconds)),
        Err(problem) => problem.to_owned(),
    };

    let mut lines = format!("Issued at (iat): {}", describe(iat));
    if let Ok(iat) = iat {
        if iat > now {
            lines += &format!(", {} in the future", output::duration(iat.abs_diff(now)));
        }
    }
    lines += &format!("\nExpires (exp):   {}", describe(exp));
    if let Ok(exp) = exp {
        if exp <= now {
            lines += &format!(", EXPIRED {} ago", output::duration(now.abs_diff(exp)));
        } else {
            lines += &format!(
                ", not expired, {} left",
                output::duration(exp.abs_diff(now))
            );
        }
    }
    if let (Ok(iat), Ok(exp)) = (iat, exp) {
        if iat >= exp {
            lines += "\nexp is not after iat: no verifier accepts this token";
        }
    }
    lines += &format!("\nNow:             {} ({now})\n", output::utc(now));
    lines
}
