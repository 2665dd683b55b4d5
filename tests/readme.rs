//! The README's claims that a program can check: the C ABI table names every exported function
//! and nothing else, its C code compiles, the CLI flags and commands it names exist, the
//! exit-status and rule tables match the tool and the library, the counts of vectors and tests
//! are the real ones, the environment table lists what the library reads, and the files and make
//! targets it names exist.

mod support;

use std::collections::BTreeSet;
use std::process::Command;

use layer_identity::{LayerEit, LayerStatus};
use support::{repo_path, vector_json, TempDir};

fn readme() -> String {
    std::fs::read_to_string(repo_path("README.md")).unwrap()
}

fn header() -> String {
    std::fs::read_to_string(repo_path("include/layer_identity.h")).unwrap()
}

/// The README's text from `## <title>` to the next `## ` heading.
fn section(title: &str) -> String {
    section_text(title)
}

/// [`section`] with every run of whitespace made one space, for claims that wrap.
fn flat_section(title: &str) -> String {
    section_text(title)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn section_text(title: &str) -> String {
    let text = readme();
    let start = text
        .find(&format!("\n## {title}\n"))
        .unwrap_or_else(|| panic!("no section {title:?}"));
    let rest = &text[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    rest[..end].to_owned()
}

/// Words in backticks that look like `prefix...` identifiers.
fn identifiers(text: &str, prefix: &str) -> BTreeSet<String> {
    text.match_indices(prefix)
        .map(|(i, _)| {
            text[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .collect()
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
fn the_abi_table_names_every_exported_function_and_only_those() {
    let exported: BTreeSet<String> = header()
        .lines()
        .filter(|line| !line.starts_with(' ') && !line.starts_with('#'))
        .flat_map(|line| identifiers(line, "layer_"))
        .filter(|name| name.len() > "layer_".len())
        .collect();
    assert!(exported.len() >= 30, "{exported:?}");
    let abi = section("The C ABI");
    let mut named = identifiers(&abi, "layer_");
    // `layer_claims_*` getters are listed by their suffixes.
    for suffix in [
        "provider_id",
        "user_id",
        "nonce",
        "issued_at",
        "expires_at",
        "first_name",
        "last_name",
        "display_name",
        "avatar_url",
        "metadata_count",
        "metadata_name",
        "metadata_value",
        "json",
    ] {
        assert!(
            abi.contains(&format!("`{suffix}`")) || abi.contains(suffix),
            "{suffix}"
        );
        named.insert(format!("layer_claims_{suffix}"));
    }
    for function in &exported {
        assert!(
            named.contains(function),
            "the README's ABI section lacks {function}"
        );
    }
    let known = |name: &String| {
        exported.contains(name) || name == "layer_claims_" || name.starts_with("layer_identity")
    };
    let unknown: Vec<&String> = named.iter().filter(|name| !known(name)).collect();
    assert!(
        unknown.is_empty(),
        "the README names functions the header lacks: {unknown:?}"
    );
}

#[test]
fn the_readme_c_code_compiles() {
    let text = readme();
    let blocks: Vec<&str> = text
        .split("```c\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    assert!(blocks.len() >= 2, "C blocks: {}", blocks.len());
    let dir = TempDir::new("readme-c");
    for (i, block) in blocks.iter().enumerate() {
        let (includes, body): (Vec<&str>, Vec<&str>) =
            block.lines().partition(|line| line.starts_with("#include"));
        // The snippet's free variables become parameters, unless it declares them itself.
        let mut parameters = vec![
            "const char *private_key_pem",
            "const char *user_id",
            "const char *nonce",
            "const LayerVerifier *verifier",
        ];
        for (declaration, parameter) in [
            ("char *token", "const char *token"),
            ("char *error", "char *error"),
            ("LayerSigner *signer", "const LayerSigner *signer"),
        ] {
            if !block.contains(declaration) {
                parameters.push(parameter);
            }
        }
        let names: Vec<&str> = parameters
            .iter()
            .map(|p| p.rsplit(['*', ' ']).next().unwrap())
            .collect();
        let signature = format!("int snippet({})", parameters.join(", "));
        // A block that defines its own function is a whole file; others are a function body.
        let defines_a_function = body.iter().any(|line| line.starts_with("static "));
        let program = if defines_a_function {
            format!(
                "{}\n#include <stdio.h>\n#include <string.h>\n{}\n",
                if includes.is_empty() {
                    "#include \"layer_identity.h\"".to_owned()
                } else {
                    includes.join("\n")
                },
                body.join("\n")
            )
        } else {
            format!(
            "{}\n#include <stdio.h>\n#include <string.h>\nvoid respond_with(const char *token);\n{signature};\n\
             {signature} {{\n{}\n{}\nreturn 0;\n}}\n",
            if includes.is_empty() {
                "#include \"layer_identity.h\"".to_owned()
            } else {
                includes.join("\n")
            },
            names
                .iter()
                .map(|n| format!("(void){n};"))
                .collect::<String>(),
            body.join("\n")
            )
        };
        let source = dir.join(&format!("block{i}.c"));
        std::fs::write(&source, &program).unwrap();
        let output = Command::new("gcc")
            .args([
                "-std=c99",
                "-Wall",
                "-Wextra",
                "-Werror",
                "-Wno-unused-function",
                "-pedantic",
                "-fsyntax-only",
            ])
            .arg(format!("-I{}", repo_path("include").display()))
            .arg(&source)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "README C block {i} does not compile:\n{program}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
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

#[test]
fn the_rule_table_names_real_identifiers_and_statuses() {
    let rules = section("The verifier's rules");
    let eits: BTreeSet<String> = identifiers(&rules, "eit_");
    let known: BTreeSet<String> = (1..15)
        .map(|value| {
            let name = layer_identity::ffi::layer_eit_name(value);
            unsafe { std::ffi::CStr::from_ptr(name) }
                .to_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        eits, known,
        "the rule table's identifiers are exactly Layer's"
    );
    for row in rules
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("`eit_"))
    {
        let status = row.rsplit('|').nth(1).unwrap().trim().trim_matches('`');
        let status = if status.starts_with("LAYER_") {
            status.to_owned()
        } else {
            format!("LAYER_ERR_{status}")
        };
        assert!(
            (0..14).any(|v| LayerStatus::from_value(v).unwrap().name() == status),
            "{status}"
        );
    }
    assert_eq!(LayerEit::LAYER_EIT_NONCE_NOT_FOUND as i32, 14);
}

#[test]
fn counts_in_the_readme_are_the_real_counts() {
    let tests = flat_section("Tests");
    let count = |file: &str| vector_json(file)["cases"].as_array().unwrap().len();
    for (file, words) in [
        ("sign.json", "signing cases"),
        ("errors.json", "bad-input cases"),
        ("verify.json", "verification cases"),
        ("env.json", "configuration cases"),
    ] {
        let claim = format!("{} {words}", count(file));
        assert!(tests.contains(&claim), "README Tests should say {claim:?}");
    }
    // What `cargo test` runs: each `#[test]` attribute line, and each doc-test block in src/.
    let count_tests = |source: &str| {
        let mut in_doc_block = false;
        let mut tests = 0;
        for line in source.lines().map(str::trim) {
            if line == "#[test]" {
                tests += 1;
            } else if let Some(info) = ["//! ```", "/// ```"]
                .iter()
                .find_map(|f| line.strip_prefix(f))
            {
                if !in_doc_block && info != "text" {
                    tests += 1;
                }
                in_doc_block = !in_doc_block;
            }
        }
        tests
    };
    let mut rust_tests = 0;
    let mut dirs = vec![repo_path("tests"), repo_path("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() && !path.ends_with("data") {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                rust_tests += count_tests(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let claim = format!("(Rust, {rust_tests} tests)");
    assert!(tests.contains(&claim), "README Tests should say {claim:?}");
}

#[test]
fn the_environment_table_is_what_the_library_reads() {
    let table = section("Configuration from the environment");
    let named = identifiers(&table, "LAYER_");
    let source = std::fs::read_to_string(repo_path("src/env.rs")).unwrap();
    let read: BTreeSet<String> = source
        .lines()
        .filter(|line| line.starts_with("pub const") && line.contains("_VAR: &str"))
        .map(|line| line.split('"').nth(1).unwrap().to_owned())
        .collect();
    assert_eq!(read.len(), 6, "{read:?}");
    assert_eq!(named, read);
}

#[test]
fn files_and_make_targets_the_readme_names_exist() {
    let text = readme();
    let makefile = std::fs::read_to_string(repo_path("Makefile")).unwrap();
    for target in identifiers(&text.replace("make test-<language>", ""), "make ")
        .into_iter()
        .chain(text.match_indices("`make ").map(|(i, _)| {
            text[i + 6..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect()
        }))
    {
        let target = target.trim_start_matches("make ").to_owned();
        if target.is_empty() || target == "make" || target.ends_with('-') {
            continue;
        }
        assert!(
            makefile.contains(&format!("\n{target}:"))
                || makefile.contains(&format!(" {target}:"))
                || makefile.contains(&format!("\n{target} ")),
            "make {target} is not a Makefile target"
        );
    }
    let paths: BTreeSet<String> = text
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|word| {
            !word.contains(' ')
                && !word.contains('<')
                && !word.contains('*')
                && [
                    "src/",
                    "tests/",
                    "scripts/",
                    "examples/",
                    "vectors/",
                    "include/",
                    "benches/",
                ]
                .iter()
                .any(|dir| word.starts_with(dir))
        })
        .map(str::to_owned)
        .collect();
    assert!(paths.len() >= 10, "{paths:?}");
    for path in paths {
        assert!(
            repo_path(&path).exists(),
            "the README names {path}, which does not exist"
        );
    }
}
