//! `keygen`: a fresh RSA key pair. The private key stays on the backend; the public key is
//! uploaded to Layer, which answers with the key ID that tokens name.

use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use clap::value_parser;
use layer_identity::{generate_key_pair, DEFAULT_KEY_BITS};
use zeroize::Zeroizing;

use crate::failure::Failure;
use crate::output;

#[derive(clap::Args)]
#[command(
    about = "Generate an RSA key pair: the private key signs, the public key goes to Layer",
    long_about = "Generate an RSA key pair (public exponent 65537): the PKCS#8 private key your \
        backend signs with, and the SubjectPublicKeyInfo public key you upload to Layer, which \
        answers with the key ID (layer:///keys/<uuid>) to sign with.\n\n\
        Without --private-out / --public-out the PEM goes to stdout (private key first). The \
        private key file is created with mode 0600. Existing files are never replaced unless \
        --force is given.",
    after_help = concat!(
        "Examples:
  layer-identity keygen --private-out layer-private.pem --public-out layer-public.pem
  layer-identity keygen --bits 4096 --private-out layer-private.pem --public-out layer-public.pem
  layer-identity keygen > layer-keys.pem

",
        exit_status_help!()
    )
)]
pub struct Args {
    /// RSA key size in bits (at least 2048)
    #[arg(
        long,
        value_name = "N",
        default_value_t = DEFAULT_KEY_BITS,
        value_parser = value_parser!(u32).range(1..)
    )]
    bits: u32,

    /// Write the private key (PKCS#8 PEM) to FILE, created with mode 0600 [default: stdout]
    #[arg(long, value_name = "FILE")]
    private_out: Option<PathBuf>,

    /// Write the public key (SPKI PEM, the part to upload to Layer) to FILE [default: stdout]
    #[arg(long, value_name = "FILE")]
    public_out: Option<PathBuf>,

    /// Replace output files that already exist
    #[arg(long)]
    force: bool,
}

const PRIVATE_MODE: u32 = 0o600;
const PUBLIC_MODE: u32 = 0o644;

pub fn run(args: &Args) -> Result<(), Failure> {
    let private_out = args.private_out.as_deref();
    let public_out = args.public_out.as_deref();
    if private_out.is_some() && private_out == public_out {
        return Err(Failure::usage(
            "--private-out and --public-out name the same file; give two files",
        ));
    }
    // Refuse before generating (which takes a moment) rather than after; `create_new` below
    // still guards against a file that appears in between.
    if !args.force {
        for path in private_out.into_iter().chain(public_out) {
            if path.symlink_metadata().is_ok() {
                return Err(already_exists(path));
            }
        }
    }

    let pair = generate_key_pair(Some(args.bits))?;

    let mut stdout = Zeroizing::new(String::new());
    match private_out {
        Some(path) => write_file(path, pair.private_pem.as_bytes(), PRIVATE_MODE, args.force)?,
        None => stdout.push_str(&pair.private_pem),
    }
    match public_out {
        Some(path) => {
            if let Err(failure) =
                write_file(path, pair.public_pem.as_bytes(), PUBLIC_MODE, args.force)
            {
                // Without its public key the new private key cannot be registered; leaving
                // it would only make the next attempt refuse to overwrite it.
                if let Some(private) = private_out {
                    let _ = fs::remove_file(private);
                }
                return Err(failure);
            }
        }
        None => stdout.push_str(&pair.public_pem),
    }
    output::print(&stdout)?;

    let mut note = String::new();
    if let Some(path) = private_out {
        note += &format!("Wrote the private key to {} (mode 0600).\n", path.display());
    }
    let public_key = match public_out {
        Some(path) => {
            note += &format!("Wrote the public key to {}.\n", path.display());
            path.display().to_string()
        }
        None => "the PUBLIC KEY block".to_owned(),
    };
    note += &format!(
        "Upload the public key ({public_key}) to Layer; Layer then shows its key ID \
         (layer:///keys/<uuid>) for --key-id / LAYER_KEY_ID.\n\
         Keep the private key on your backend only, never in an app or a repository.\n"
    );
    output::note(&note);
    Ok(())
}

fn already_exists(path: &Path) -> Failure {
    Failure::usage(format!(
        "{} already exists; pass --force to replace it",
        path.display()
    ))
}

/// Writes `contents` to a new file with `mode`. An existing file is replaced only with `force`,
/// and then through a new temporary file renamed over it: writing into the existing file would
/// keep its old, possibly world-readable, mode, and a crash mid-write would leave half a key.
fn write_file(path: &Path, contents: &[u8], mode: u32, force: bool) -> Result<(), Failure> {
    let what = || format!("file {}", path.display());
    if !force {
        return write_new(path, contents, mode).map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => already_exists(path),
            _ => Failure::write(what(), &e),
        });
    }
    let name = path
        .file_name()
        .ok_or_else(|| Failure::usage(format!("{} is not a file name", path.display())))?;
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(name);
    temporary_name.push(format!(".{}.tmp", std::process::id()));
    let temporary = path.with_file_name(temporary_name);
    write_new(&temporary, contents, mode)
        .and_then(|()| fs::rename(&temporary, path))
        .map_err(|e| {
            let _ = fs::remove_file(&temporary);
            Failure::write(what(), &e)
        })
}

fn write_new(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path)?;
    let written = file.write_all(contents).and_then(|()| file.sync_all());
    if written.is_err() {
        let _ = fs::remove_file(path);
    }
    written
}
