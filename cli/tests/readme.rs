//! The README's claims about the `layer-identity` command that a program can check: the flags
//! and commands it names exist, and the exit-status table is the tool's.

#[path = "../../tests/support/mod.rs"]
mod support;

use std::collections::BTreeSet;
use std::process::Command;

use support::readme_section;

fn section(title: &str) -> String {
    readme_section(title)
}

fn cli(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_layer-identity"))
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{args:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn every_cli_flag_and_command_the_readme_names_exists() {
    let helps: String = ["sign", "verify", "inspect", "keygen", "help"]
        .iter()
        .map(|command| cli(&[command, "--help"]))
        .chain([cli(&["--help"])])
        .collect();
    let text = section("Command line");
    let flags: BTreeSet<String> = text
        .match_indices("`--")
        .map(|(i, _)| {
            text[i + 1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect()
        })
        .collect();
    assert!(flags.len() >= 10, "{flags:?}");
    for flag in &flags {
        assert!(
            helps.contains(flag.as_str()),
            "README names {flag}, which no --help shows"
        );
    }
    assert!(cli(&["help", "--help"]).contains("Usage: layer-identity help"));
    assert_eq!(cli(&["help", "verify"]), cli(&["verify", "--help"]) + "\n");
    // "Exit status: 0 success, 1 token rejected, 2 usage, configuration or input error, 3 ..."
    let main_help = cli(&["--help"]);
    for line in [
        "0  success",
        "1  verify: the token was rejected",
        "2  usage, configuration or input error",
        "3  any other failure",
    ] {
        assert!(main_help.contains(line), "{line}");
    }
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(
        "Exit status: 0 success, 1 token rejected, 2 usage, configuration or input error, 3 other failure"
    ));
    let verify_help = cli(&["verify", "--help"]);
    assert!(
        verify_help.contains("[default: 60]"),
        "the README says the leeway is 60 s"
    );
    assert!(flat.contains("leeway for clock skew is 60 s"));
}
