'use strict';
// Loads the native addon: the path in LAYER_IDENTITY_ADDON when that is set (the only place
// tried then: a wrong path is an error that names it, never a silent fall-back), otherwise the
// copy that ships inside this package, laid out per platform as native packages ship them
// (prebuilds/<platform>-<arch>/layer_identity.glibc.node: built against glibc). The addon is
// statically linked with the Rust core, so there is no separate library to look for on the
// system: when nothing loads, the message lists every place tried and why each failed.
//
// The addon is loaded with RTLD_DEEPBIND. The node executable exports the symbols of its own
// bundled OpenSSL; without DEEPBIND the dynamic linker would bind the addon's (and the system
// libcrypto's own internal) OpenSSL calls to Node's copy instead of the system's libcrypto.so.3.
// With it, the addon's dependencies come first in its lookup scope. The load then checks where
// the calls actually go, and refuses an addon whose OpenSSL is Node's.

const os = require('node:os');
const path = require('node:path');

const ADDON_INTERFACE = 2; // must equal ADDON_INTERFACE in src/layer_identity_node.c
const REQUIRED_ABI = 3; // the C ABI version these bindings are written against
const ENV_VAR = 'LAYER_IDENTITY_ADDON';

function packagedPath() {
  return path.join(__dirname, '..', 'prebuilds', `${process.platform}-${process.arch}`, 'layer_identity.glibc.node');
}

function dlopenFlags() {
  const { RTLD_NOW = 0, RTLD_DEEPBIND = 0 } = os.constants.dlopen || {};
  return RTLD_NOW | RTLD_DEEPBIND;
}

function open(file) {
  const module = { exports: {} };
  process.dlopen(module, file, dlopenFlags());
  return module.exports;
}

// Why an addon that loaded is still not usable, or null.
function problemWith(addon) {
  if (addon.addonInterface !== ADDON_INTERFACE) {
    return `it is a different build of the addon (interface ${addon.addonInterface}, these bindings need ${ADDON_INTERFACE}): rebuild it with scripts/build-addon.sh`;
  }
  if (!(addon.abiVersion >= REQUIRED_ABI)) {
    return `its library has C ABI version ${addon.abiVersion}, these bindings need ${REQUIRED_ABI} or later`;
  }
  if (process.platform === 'linux') {
    for (const [symbol, file] of Object.entries(addon.cryptoLibrary())) {
      if (!/libcrypto\.so/.test(path.basename(file))) {
        return `its OpenSSL call ${symbol} resolves to ${file}, not the system's libcrypto.so.3 (was it loaded without RTLD_DEEPBIND?)`;
      }
    }
  }
  return null;
}

// Whether Node runs on glibc (asked only to explain a failure: the report takes a moment).
function glibc() {
  try {
    return Boolean(process.report.getReport().header.glibcVersionRuntime);
  } catch {
    return true;
  }
}

function load() {
  // One place: the explicit one when it is set, else the package's own copy.
  const explicit = process.env[ENV_VAR];
  const [label, file] = explicit
    ? [`${ENV_VAR}=${explicit}`, path.resolve(explicit)]
    : [`${packagedPath()} (the copy inside the package)`, packagedPath()];
  let reason;
  try {
    const addon = open(file);
    reason = problemWith(addon);
    if (reason === null) return addon;
  } catch (error) {
    reason = error && error.code === 'ERR_DLOPEN_FAILED' && /No such file/.test(error.message)
      ? 'no such file'
      : String(error && error.message ? error.message : error).split('\n')[0];
  }
  let hint;
  if (explicit) {
    hint = `${ENV_VAR} is set, so no other place was tried: correct it, or unset it to use the addon inside the package.`;
  } else if (process.platform !== 'linux' || process.arch !== 'x64') {
    hint = `This package carries a prebuilt addon for linux-x64 only, and this is ${process.platform}-${process.arch}: build one from a checkout (make build, then bindings/node/scripts/build-addon.sh) and set ${ENV_VAR} to its path.`;
  } else if (!glibc()) {
    hint = `The prebuilt addon is built against glibc, and this system's C library is not glibc (musl, as on Alpine?): build one from a checkout (make build, then bindings/node/scripts/build-addon.sh) and set ${ENV_VAR} to its path.`;
  } else {
    hint = 'Reinstall the package, or build the addon from a checkout (make build, then bindings/node/scripts/build-addon.sh).';
  }
  const error = new Error(`layer-identity: could not load the native addon. Tried:\n  ${label}: ${reason}\n${hint}`);
  error.code = 'ERR_LAYER_IDENTITY_ADDON';
  throw error;
}

module.exports = load();
