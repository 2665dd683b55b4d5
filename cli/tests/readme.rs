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

/// Backticked words of `text` that start with `prefix`.
fn backticked(text: &str, prefix: &str) -> BTreeSet<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|word| word.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

fn source(path: &str) -> String {
    std::fs::read_to_string(support::repo_path(path)).unwrap()
}

#[test]
fn the_service_sections_name_real_flags_routes_metrics_and_files() {
    let service = section("Token service");
    let page = section("Validation page");
    let emulated = section("Layer's authentication calls, emulated");
    // Flags of the commands, and of the conformance suite the sections run.
    let helps = cli(&["serve", "--help"])
        + &cli(&["emulate", "--help"])
        + &source("tests/endpoint/conformance.py");
    let all = format!("{service}{page}{emulated}");
    let flags: BTreeSet<String> = all
        .match_indices("`--")
        .map(|(i, _)| {
            all[i + 1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect()
        })
        .collect();
    assert!(flags.len() >= 6, "{flags:?}");
    for flag in &flags {
        assert!(
            helps.contains(flag.as_str()),
            "README names {flag}, which no --help shows"
        );
    }

    // Every metric the README lists is rendered, and every rendered one is listed.
    let rendered: BTreeSet<String> = source("cli/src/serve/metrics.rs")
        .split('"')
        .filter(|word| {
            (word.starts_with("layer_identity_") || word.starts_with("process_"))
                && word.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        })
        .map(str::to_owned)
        .collect();
    let named: BTreeSet<String> = backticked(&service, "layer_identity_")
        .into_iter()
        .chain(backticked(&service, "process_"))
        .map(|word| word.split(['{', '=']).next().unwrap().to_owned())
        .collect();
    assert_eq!(named, rendered);

    // The routes table names the service's routes.
    let routes = source("cli/src/serve/app.rs");
    for row in service.lines().filter(|l| l.starts_with("| `")) {
        for route in backticked(row, "GET ")
            .into_iter()
            .chain(backticked(row, "POST "))
        {
            let path = route.split(' ').nth(1).unwrap();
            assert!(routes.contains(&format!("\"{path}\"")), "no route {path}");
        }
    }

    // The files it names exist, the screenshot too.
    for path in backticked(&all, "cli/")
        .into_iter()
        .chain(["cli/docs/validation-page.png".to_owned()])
    {
        assert!(support::repo_path(&path).exists(), "{path} does not exist");
    }
    assert!(page.contains("](cli/docs/validation-page.png)"));
}

#[test]
fn the_page_has_every_element_id_the_readme_lists() {
    let page = section("Validation page");
    let html = source("cli/src/serve/page/index.html");
    let script = source("cli/src/serve/page/tools.js");
    let ids: BTreeSet<String> = page
        .lines()
        .filter(|line| line.starts_with("| "))
        .flat_map(|line| backticked(line, "#"))
        .map(|id| id.trim_start_matches('#').to_owned())
        .collect();
    assert!(ids.len() >= 25, "{ids:?}");
    for id in &ids {
        assert!(
            html.contains(&format!("id=\"{id}\"")),
            "the page has no #{id}"
        );
    }
    // And the script uses no id the page lacks.
    for (i, _) in script.match_indices("$(\"") {
        let id: String = script[i + 3..].chars().take_while(|c| *c != '"').collect();
        assert!(
            html.contains(&format!("id=\"{id}\"")),
            "tools.js uses #{id}"
        );
    }
}
