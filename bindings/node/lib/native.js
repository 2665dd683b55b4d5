'use strict';
// Loads the native addon: in order, an explicit path in LAYER_IDENTITY_ADDON, then the copy
// that ships inside this package (prebuilds/<platform>-<arch>/layer_identity.node). The addon
// is statically linked with the Rust core, so there is no separate library to look for on
// the system: when nothing loads, the message lists every place tried and why each failed.
//
// The addon is loaded with RTLD_DEEPBIND. The node executable exports the symbols of its own
// bundled OpenSSL; without DEEPBIND the dynamic linker would bind the addon's (and the system
// libcrypto's own internal) OpenSSL calls to Node's copy instead of the system's libcrypto.so.3.
// With it, the addon's dependencies come first in its lookup scope. The load then checks where
// the calls actually go, and refuses an addon whose OpenSSL is Node's.

const os = require('node:os');
const path = require('node:path');

const ADDON_INTERFACE = 1; // must equal ADDON_INTERFACE in src/layer_identity_node.c
const REQUIRED_ABI = 2; // the C ABI version these bindings are written against
const ENV_VAR = 'LAYER_IDENTITY_ADDON';

function packagedPath() {
  return path.join(__dirname, '..', 'prebuilds', `${process.platform}-${process.arch}`, 'layer_identity.node');
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

function load() {
  const tried = [];
  const candidates = [];
  if (process.env[ENV_VAR]) candidates.push([`${ENV_VAR}=${process.env[ENV_VAR]}`, path.resolve(process.env[ENV_VAR])]);
  candidates.push([`${packagedPath()} (the copy inside the package)`, packagedPath()]);
  for (const [label, file] of candidates) {
    let addon;
    try {
      addon = open(file);
    } catch (error) {
      const reason = error && error.code === 'ERR_DLOPEN_FAILED' && /No such file/.test(error.message)
        ? 'no such file'
        : String(error && error.message ? error.message : error).split('\n')[0];
      tried.push(`  ${label}: ${reason}`);
      continue;
    }
    const problem = problemWith(addon);
    if (problem === null) return addon;
    tried.push(`  ${label}: ${problem}`);
  }
  const hint = process.platform === 'linux' && process.arch === 'x64'
    ? 'Reinstall the package, or build the addon from a checkout (make build, then bindings/node/scripts/build-addon.sh).'
    : `This package carries a prebuilt addon for linux-x64 only, and this is ${process.platform}-${process.arch}: build one from a checkout (make build, then bindings/node/scripts/build-addon.sh) and set ${ENV_VAR} to its path.`;
  const error = new Error(`layer-identity: could not load the native addon. Tried, in order:\n${tried.join('\n')}\n${hint}`);
  error.code = 'ERR_LAYER_IDENTITY_ADDON';
  throw error;
}

module.exports = load();
