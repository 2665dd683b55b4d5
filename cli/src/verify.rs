//! `verify`: check a token the way Layer does, naming a rejection by Layer's own `eit_*`
//! identifier, so a backend can be debugged without a round trip to Layer.

use std::path::{Path, PathBuf};

use clap::value_parser;
use layer_identity::{Eit, Error, ErrorKind, Flags, VerifiedToken, DEFAULT_LEEWAY_SECONDS};

use crate::failure::{status, Failure};
use crate::input::{self, LayerIds};
use crate::output::{self, json_string};

#[derive(clap::Args)]
#[command(
    about = "Verify a token as Layer would; name the failed rule (eit_*) and how to fix it",
    long_about = "Verify a token as Layer would: the header exactly as Layer defines it, the \
        RS256 signature from your public key, then the provider ID, key ID, lifetime and \
        (with --nonce) the nonce.\n\n\
        A valid token prints \"valid\" and its claims on stdout. A rejected token prints Layer's \
        eit_* identifier for the failed rule, the reason and a hint on stderr, and exits with \
        status 1. With --json, stdout holds one JSON object whenever the exit status is 0 or 1:\n\
        \x20 {\"valid\":true,\"claims\":{...}}\n\
        \x20 {\"valid\":false,\"eit\":\"eit_expired\",\"status\":\"LAYER_ERR_EXPIRED\",\
        \"message\":\"...\",\"hint\":\"...\"}",
    after_help = concat!(
        "Examples:
  layer-identity verify \"$TOKEN\" --nonce \"$NONCE\" --public-key layer-public.pem \\
      --provider-id layer:///providers/<uuid> --key-id layer:///keys/<uuid>

  # Configuration from the environment; the token on stdin:
  layer-identity sign --user-id alice --nonce \"$NONCE\" | layer-identity verify --nonce \"$NONCE\"

  # For a script:
  layer-identity verify --json \"$TOKEN\" | jq -r .eit

",
        exit_status_help!()
    )
)]
pub struct Args {
    /// The token; - (or no argument, with stdin not a terminal) reads it from stdin, ignoring
    /// surrounding whitespace there
    #[arg(value_name = "TOKEN")]
    token: Option<String>,

    #[command(flatten)]
    ids: LayerIds,

    /// Public key file (SPKI or PKCS#1, PEM or DER; an unencrypted private key also works)
    /// [env: LAYER_PUBLIC_KEY_PATH, else derived from LAYER_PRIVATE_KEY or
    /// LAYER_PRIVATE_KEY_PATH]
    // A value starting with '-' is taken as one, so that a key pasted here is refused by a check
    // that does not repeat it rather than echoed by clap as an "unexpected argument".
    #[arg(long, value_name = "FILE", allow_hyphen_values = true)]
    public_key: Option<PathBuf>,

    /// The nonce the token must answer; without it nce is not checked (Layer always checks it)
    // Nonces are base64url and may well start with '-'.
    #[arg(long, allow_hyphen_values = true)]
    nonce: Option<String>,

    /// Check at this Unix time (seconds) [default: now]
    #[arg(long, value_name = "SECS", value_parser = value_parser!(i64).range(1..))]
    now: Option<i64>,

    /// Clock skew to tolerate, in seconds (signers that round the clock put iat up to a
    /// second ahead; Layer's own check tolerates a minute)
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_LEEWAY_SECONDS)]
    leeway: u32,

    /// Admit a legacy 1024-bit key, as early Layer accounts were issued
    #[arg(long)]
    allow_1024_bit_key: bool,

    /// Print the result as one JSON object on stdout: {"valid":true,"claims":{...}} or
    /// {"valid":false,"eit":...,"status":...,"message":...,"hint":...}
    #[arg(long)]
    json: bool,
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let (provider_id, key_id) = args.ids.resolve()?;
    if args.public_key.as_deref() == Some(Path::new("-"))
        && input::token_reads_stdin(args.token.as_deref())
    {
        return Err(Failure::usage(
            "the public key and the token cannot both come from stdin; pass the token as an argument",
        ));
    }
    let key = input::verification_key(args.public_key.as_deref())?;
    let token = input::token(args.token.as_deref())?;

    let flags = if args.allow_1024_bit_key {
        Flags::ALLOW_1024_BIT_KEY
    } else {
        Flags::default()
    };
    // The IDs are valid (checked above), so every error here is about the key.
    let verifier = key
        .verifier(&provider_id, &key_id, flags)
        .map_err(|failure| match failure.kind() {
            Some(ErrorKind::WeakKey) if !args.allow_1024_bit_key => failure.with_hint(
                "--allow-1024-bit-key admits the 1024-bit keys early Layer accounts were issued",
            ),
            Some(ErrorKind::WrongPassphrase) => failure.with_hint(
                "the verifier needs the public key: pass --public-key FILE or set LAYER_PUBLIC_KEY_PATH",
            ),
            _ => failure,
        })?;

    match verifier.verify(&token, args.nonce.as_deref(), args.now, args.leeway) {
        Ok(verified) => report_valid(&verified, args),
        Err(error) if error.eit() == Some(Eit::WrongJwsPartCount) => {
            let failure = report_rejected(&error, args.json);
            Err(match input::file_name_hint(&token, "verify") {
                Some(hint) => failure.with_hint(hint),
                None => failure,
            })
        }
        Err(error) if error.eit().is_some() => Err(report_rejected(&error, args.json)),
        // An argument the library refused, such as an empty --nonce or --now in milliseconds.
        Err(error) => Err(Failure::from(error)),
    }
}

fn report_valid(verified: &VerifiedToken, args: &Args) -> Result<(), Failure> {
    if args.json {
        // The claims exactly as the token carries them: the verifier has parsed them as a JSON
        // object without duplicate members, so they embed as they are.
        return output::print(&format!(
            "{{\"valid\":true,\"claims\":{}}}\n",
            verified.claims_json
        ));
    }
    let claims = output::pretty_json(&verified.claims_json)
        .unwrap_or_else(|| output::escaped(&verified.claims_json));
    output::print(&format!("valid\n{claims}\n"))?;
    if args.nonce.is_none() {
        output::note("note: nce was not checked; pass --nonce to check it as Layer does\n");
    }
    Ok(())
}

/// Prints the rejection (JSON on stdout, or the human report on stderr when the failure is
/// reported) and returns the failure that carries exit status 1.
fn report_rejected(error: &Error, json: bool) -> Failure {
    if !json {
        return Failure::rejected(error);
    }
    let eit = error.eit().expect("a rejection names its rule");
    let printed = output::print(&format!(
        "{{\"valid\":false,\"eit\":{},\"status\":{},\"message\":{},\"hint\":{}}}\n",
        json_string(eit.as_str()),
        json_string(error.status_name()),
        json_string(error.message()),
        json_string(eit.hint()),
    ));
    match printed {
        Ok(()) => Failure::reported(status::REJECTED),
        Err(failure) => failure,
    }
}
