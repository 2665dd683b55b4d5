//! `sign`: mint an identity token, what the backend returns to the Layer client SDK.

use std::path::PathBuf;

use clap::value_parser;
use layer_identity::{is_encrypted_private_key, Attributes, ErrorKind, Flags, DEFAULT_TTL_SECONDS};

use crate::failure::Failure;
use crate::input::{self, LayerIds};
use crate::output;

#[derive(clap::Args)]
#[command(
    about = "Mint an identity token for a user and the nonce from the Layer SDK",
    long_about = "Mint an identity token (RS256 JWS) for a user, answering the nonce the Layer \
        client SDK obtained. Prints the token and a newline on stdout.\n\n\
        The provider ID, key ID and private key come from the flags or from the environment \
        (LAYER_PROVIDER_ID, LAYER_KEY_ID, and LAYER_PRIVATE_KEY holding the PEM text or \
        LAYER_PRIVATE_KEY_PATH naming its file). Passphrases are never taken on the command \
        line, where `ps` and shell history would show them.",
    after_help = concat!(
        "Examples:
  layer-identity sign --user-id alice --nonce \"$NONCE\" \\
      --provider-id layer:///providers/<uuid> --key-id layer:///keys/<uuid> \\
      --key layer-private.pem

  # Configuration from the environment, as a backend would hold it:
  export LAYER_PROVIDER_ID=layer:///providers/<uuid> LAYER_KEY_ID=layer:///keys/<uuid>
  export LAYER_PRIVATE_KEY=\"$(cat layer-private.pem)\"
  layer-identity sign --user-id alice --nonce \"$NONCE\" --display-name 'Alice A.' \\
      --metadata plan=pro --metadata team=blue

  # An encrypted key, its passphrase in a variable, the key on stdin:
  KEY_PASSPHRASE=... layer-identity sign --user-id alice --nonce \"$NONCE\" \\
      --key - --passphrase-env KEY_PASSPHRASE < layer-private.encrypted.pem

",
        exit_status_help!()
    )
)]
pub struct Args {
    /// Your app's ID for the authenticated user (the token's prn)
    #[arg(long, value_name = "ID", allow_hyphen_values = true)]
    user_id: String,

    /// The nonce the Layer client SDK obtained (the token's nce)
    // Nonces are base64url and may well start with '-'.
    #[arg(long, allow_hyphen_values = true)]
    nonce: String,

    #[command(flatten)]
    ids: LayerIds,

    /// Private key file: PEM (PKCS#1, PKCS#8, encrypted PKCS#8) or DER; - reads stdin
    /// [env: LAYER_PRIVATE_KEY_PATH, or the key text itself in LAYER_PRIVATE_KEY]
    // Values that start with '-' are taken as values so that a key pasted here reaches the
    // checks that refuse it without repeating it, instead of clap's "unexpected argument" error,
    // which would print it. The same goes for the other key and passphrase flags.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "key_env",
        allow_hyphen_values = true
    )]
    key: Option<PathBuf>,

    /// Name of an environment variable holding the private key text
    #[arg(long, value_name = "VAR", allow_hyphen_values = true)]
    key_env: Option<String>,

    /// Name of an environment variable holding the passphrase of an encrypted key
    #[arg(
        long,
        value_name = "VAR",
        conflicts_with = "passphrase_file",
        allow_hyphen_values = true
    )]
    passphrase_env: Option<String>,

    /// File holding the passphrase of an encrypted key (one trailing newline is ignored)
    #[arg(long, value_name = "FILE", allow_hyphen_values = true)]
    passphrase_file: Option<PathBuf>,

    /// Issue time in Unix seconds (UTC) [default: now]
    #[arg(long, value_name = "SECS", value_parser = value_parser!(i64).range(1..))]
    issued_at: Option<i64>,

    /// Lifetime in seconds; a Layer nonce lives 10 minutes
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = DEFAULT_TTL_SECONDS,
        value_parser = value_parser!(u32).range(1..)
    )]
    ttl: u32,

    /// Write "typ":"JWT" in the header instead of the original guide's "JWS"
    #[arg(long)]
    jwt: bool,

    /// Admit a legacy 1024-bit key, as early Layer accounts were issued
    #[arg(long)]
    allow_1024_bit_key: bool,

    /// The user's first name, shown by Layer
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Identity attributes",
        allow_hyphen_values = true
    )]
    first_name: Option<String>,

    /// The user's last name, shown by Layer
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Identity attributes",
        allow_hyphen_values = true
    )]
    last_name: Option<String>,

    /// The user's display name, shown by Layer
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Identity attributes",
        allow_hyphen_values = true
    )]
    display_name: Option<String>,

    /// URL of the user's avatar image, shown by Layer
    #[arg(
        long,
        value_name = "URL",
        help_heading = "Identity attributes",
        allow_hyphen_values = true
    )]
    avatar_url: Option<String>,

    /// One entry of the user's metadata (repeat for more); the token carries them sorted by name
    #[arg(
        long,
        value_name = "NAME=VALUE",
        help_heading = "Identity attributes",
        allow_hyphen_values = true,
        value_parser = metadata_entry
    )]
    metadata: Vec<(String, String)>,
}

/// `NAME=VALUE`, split at the first `=` (a value may hold more of them).
fn metadata_entry(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .ok_or_else(|| "expected NAME=VALUE".to_owned())
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let (provider_id, key_id) = args.ids.resolve()?;
    let key = input::private_key(args.key.as_deref(), args.key_env.as_deref())?;
    let passphrase = input::passphrase(
        args.passphrase_env.as_deref(),
        args.passphrase_file.as_deref(),
    )?;

    let mut flags = input::token_type(args.jwt)?;
    if args.allow_1024_bit_key {
        flags = flags | Flags::ALLOW_1024_BIT_KEY;
    }
    let given = passphrase.bytes.as_deref().map(Vec::as_slice);
    if given.is_some() && !is_encrypted_private_key(&key.bytes) {
        output::note(
            "warning: a passphrase was given, but the private key is not encrypted; the \
             passphrase is ignored\n",
        );
    }
    // The IDs are valid (checked above), so every error here is about the key.
    let signer =
        key.signer(given, &provider_id, &key_id, flags)
            .map_err(|failure| {
                match failure.kind() {
            Some(ErrorKind::WeakKey) if !args.allow_1024_bit_key => failure.with_hint(
                "--allow-1024-bit-key admits the 1024-bit keys early Layer accounts were \
                 issued; better, run `layer-identity keygen` and upload the new public key",
            ),
            Some(ErrorKind::WrongPassphrase) if given.is_none() => failure.with_hint(
                "the key is encrypted: pass --passphrase-env VAR or --passphrase-file FILE, or \
                 set LAYER_PRIVATE_KEY_PASSPHRASE",
            ),
            Some(ErrorKind::WrongPassphrase) if passphrase.from_env => failure.with_hint(
                "check LAYER_PRIVATE_KEY_PASSPHRASE",
            ),
            Some(ErrorKind::WrongPassphrase) => failure.with_hint(
                "check the passphrase; --passphrase-file already drops one trailing newline",
            ),
            _ => failure,
        }
            })?;

    let mut attributes = Attributes {
        first_name: args.first_name.clone(),
        last_name: args.last_name.clone(),
        display_name: args.display_name.clone(),
        avatar_url: args.avatar_url.clone(),
        ..Attributes::default()
    };
    for (name, value) in &args.metadata {
        attributes.add_metadata(name.clone(), value.clone())?;
    }
    let token = signer.sign(
        &args.user_id,
        &args.nonce,
        args.issued_at,
        Some(args.ttl),
        &attributes,
    )?;
    output::print(&format!("{token}\n"))
}
