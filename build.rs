//! Generates include/layer_identity.h from src/ffi/*.rs and src/status.rs with cbindgen, and gives the shared
//! library its soname. The header is committed; CI fails when a build changes it.

use std::path::Path;

/// Major version in the soname (`liblayer_identity.so.<major>`), bumped on ABI breaks.
const SONAME_MAJOR: &str = "0";

fn main() {
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=src/status.rs");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,liblayer_identity.so.{SONAME_MAJOR}");

    let crate_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let crate_dir = Path::new(&crate_dir);
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable");
    // The module's constants, the statuses, then every other file of the C ABI in name order
    // (so the header does not depend on the file system's order).
    let mut subjects: Vec<_> = std::fs::read_dir(crate_dir.join("src/ffi"))
        .expect("src/ffi is a directory")
        .map(|entry| entry.expect("src/ffi is readable").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .filter(|path| !path.ends_with("mod.rs"))
        .collect();
    subjects.sort();
    let sources = [
        crate_dir.join("src/ffi/mod.rs"),
        crate_dir.join("src/status.rs"),
    ]
    .into_iter()
    .chain(subjects);
    let bindings = sources
        .into_iter()
        .fold(
            cbindgen::Builder::new().with_config(config),
            |builder, source| builder.with_src(source),
        )
        .generate()
        .expect("cbindgen can read src/ffi");
    // write_to_file leaves the file untouched when nothing changed, so builds do not dirty it.
    bindings.write_to_file(crate_dir.join("include/layer_identity.h"));
}
