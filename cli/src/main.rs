//! `layer-identity`: mint, verify and inspect Layer identity tokens, and generate the key pair
//! whose public half is uploaded to Layer. A thin shell over the `layer_identity` crate: every
//! token rule lives in the library, this binary only gathers inputs and reports results.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The exit-status table shared by every `--help`; scripts rely on these numbers.
macro_rules! exit_status_help {
    () => {
        "Exit status:
  0  success (verify: the token is valid)
  1  verify: the token was rejected; the message starts with Layer's eit_* identifier
  2  usage, configuration or input error: a missing or invalid flag, environment variable,
     ID, key, passphrase, file or token to inspect
  3  any other failure: a cryptographic or internal error, or output that cannot be written"
    };
}

// Declared after the macro, so that textual macro scoping makes it visible in them.
mod failure;
mod input;
mod output;

mod emulate;
mod inspect;
mod keygen;
mod serve;
mod server;
mod sign;
mod verify;

#[derive(Parser)]
#[command(
    name = "layer-identity",
    version,
    // A later flag replaces an earlier one, so wrappers and aliases can set defaults.
    args_override_self = true,
    // Our own `help` subcommand, so that `help --help` and `help sign` both work.
    disable_help_subcommand = true,
    about = "Mint, verify and inspect Layer identity tokens (RS256 JWS)",
    long_about = "Mint, verify and inspect Layer identity tokens (RS256 JWS).\n\n\
        The Layer client SDK obtains a nonce and your app sends it to your backend; the backend \
        signs an identity token for the logged-in user with its Layer private key, and the SDK \
        authenticates with that token. This tool does the backend's part from a shell, checks \
        tokens the way Layer does, and generates the key pair whose public key you upload to Layer.",
    after_help = concat!(
        "Configuration (flags take precedence):
  LAYER_PROVIDER_ID        provider ID, layer:///providers/<uuid>
  LAYER_KEY_ID             key ID, layer:///keys/<uuid>
  LAYER_PRIVATE_KEY        the private key PEM itself (literal \\n escapes are fine)
  LAYER_PRIVATE_KEY_PATH   path of the private key file
  LAYER_PRIVATE_KEY_PASSPHRASE  passphrase of an encrypted private key
  LAYER_TOKEN_TYPE         JWS (default) or JWT: the header's typ (sign)
  LAYER_PUBLIC_KEY_PATH    path of the public key file (verify)

Examples:
  layer-identity keygen --private-out layer-private.pem --public-out layer-public.pem
  export LAYER_PROVIDER_ID=layer:///providers/<uuid> LAYER_KEY_ID=layer:///keys/<uuid>
  export LAYER_PRIVATE_KEY_PATH=layer-private.pem
  layer-identity sign --user-id alice --nonce \"$NONCE\" > token.txt
  layer-identity verify --nonce \"$NONCE\" - < token.txt
  layer-identity inspect - < token.txt

",
        exit_status_help!()
    )
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Keygen(keygen::Args),
    Sign(sign::Args),
    Verify(verify::Args),
    Inspect(inspect::Args),
    Serve(serve::Args),
    Emulate(emulate::Args),
    /// Print the help of the tool, or of one command (`help sign`)
    Help(HelpArgs),
}

#[derive(clap::Args)]
#[command(after_help = "Examples:\n  layer-identity help\n  layer-identity help verify")]
struct HelpArgs {
    /// The command to explain
    #[arg(value_name = "COMMAND")]
    command: Option<String>,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(error),
    };
    let result = match &cli.command {
        Command::Keygen(args) => keygen::run(args),
        Command::Sign(args) => sign::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Emulate(args) => emulate::run(args),
        Command::Help(args) => help(args.command.as_deref()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

/// `help [COMMAND]`: the same text as `--help` on the tool or on that command.
fn help(command: Option<&str>) -> Result<(), failure::Failure> {
    let mut cli = <Cli as clap::CommandFactory>::command();
    // Builds the subcommands' usage lines with the tool's name, as `--help` shows them.
    cli.build();
    let target = match command {
        None => &mut cli,
        Some(name) => cli.find_subcommand_mut(name).ok_or_else(|| {
            failure::Failure::usage(format!(
                "there is no command {}; the commands are keygen, sign, verify, inspect, serve, emulate and help",
                layer_identity_quote(name)
            ))
        })?,
    };
    output::print(&format!("{}\n", target.render_long_help()))
}

/// A user's word, quoted and cut short for a message.
fn layer_identity_quote(text: &str) -> String {
    format!("{:?}", text.chars().take(40).collect::<String>())
}

/// clap's own report: usage errors exit with status 2 and `--help` / `--version` with 0, as the
/// table above says. clap repeats an unexpected argument verbatim, so a key pasted onto the
/// command line is kept out of the terminal and the logs instead.
fn usage_error(error: clap::Error) -> ExitCode {
    let rendered = error.render().to_string();
    if rendered.contains("-----BEGIN") || rendered.contains("PRIVATE KEY") {
        return failure::Failure::usage(
            "an argument holds key material, which is not repeated here; pass keys in files \
             (--key FILE) or environment variables (--key-env VAR, LAYER_PRIVATE_KEY), never as \
             arguments",
        )
        .report();
    }
    error.exit()
}
