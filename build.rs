//! Generates include/layer_identity.h from src/ffi.rs and src/status.rs with cbindgen, and gives the shared
//! library its soname. The header is committed; CI fails when a build changes it.

use std::path::Path;

/// Major version in the soname (`liblayer_identity.so.<major>`), bumped on ABI breaks.
const SONAME_MAJOR: &str = "0";

fn main() {
    println!("cargo:rerun-if-changed=src/ffi.rs");
    println!("cargo:rerun-if-changed=src/status.rs");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,liblayer_identity.so.{SONAME_MAJOR}");

    let crate_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let crate_dir = Path::new(&crate_dir);
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/ffi.rs"))
        .with_src(crate_dir.join("src/status.rs"))
        .generate()
        .expect("cbindgen can read src/ffi.rs");
    // write_to_file leaves the file untouched when nothing changed, so builds do not dirty it.
    bindings.write_to_file(crate_dir.join("include/layer_identity.h"));
}
