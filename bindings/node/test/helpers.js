'use strict';
// Shared by the tests: paths, the shared vectors, header constants, an independent RS256 check.

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const PACKAGE = path.resolve(__dirname, '..');
const ROOT = path.resolve(PACKAGE, '..', '..');
const VECTORS = path.join(ROOT, 'vectors');
const HEADER = path.join(ROOT, 'include', 'layer_identity.h');
const ADDON = path.join(PACKAGE, 'prebuilds', `${process.platform}-${process.arch}`, 'layer_identity.glibc.node');

const PROVIDER_ID = 'layer:///providers/5d3c4e1a-7b2f-4c8d-9e6a-0f1b2c3d4e5f';
const KEY_ID = 'layer:///keys/a1b2c3d4-e5f6-4789-8abc-def012345678';

function vectors(name) {
  return JSON.parse(fs.readFileSync(path.join(VECTORS, name), 'utf8')).cases;
}

/** A key file's bytes, exactly as stored. */
function keyBytes(file) {
  return fs.readFileSync(path.join(VECTORS, file));
}

/** The `typedef enum { ... } Name;` members of the header as [name, value] pairs. */
function headerEnum(name) {
  const text = fs.readFileSync(HEADER, 'utf8');
  const match = new RegExp(`typedef enum \\{([^}]*)\\} ${name};`).exec(text);
  if (!match) throw new Error(`enum ${name} not found in ${HEADER}`);
  const body = match[1].replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  return [...body.matchAll(/([A-Z0-9_]+)\s*=\s*(\d+)/g)].map((m) => [m[1], Number(m[2])]);
}

/** #define LAYER_FLAG_* values from the header. */
function headerFlags() {
  const text = fs.readFileSync(HEADER, 'utf8');
  return Object.fromEntries([...text.matchAll(/#define LAYER_FLAG_([A-Z0-9_]+) (\d+)/g)].map((m) => [m[1], Number(m[2])]));
}

/** Signer / Verifier options for a vector's flag names (TYP_JWT, ALLOW_1024_BIT_KEY). */
function flagOptions(flags, { signer = true } = {}) {
  const known = headerFlags();
  const options = {};
  for (const flag of flags) {
    if (!(flag in known)) throw new Error(`unknown flag ${flag}`);
    if (flag === 'TYP_JWT') {
      if (signer) options.tokenType = 'JWT';
    } else if (flag === 'ALLOW_1024_BIT_KEY') {
      options.allow1024BitKey = true;
    } else {
      throw new Error(`no option for flag ${flag}`);
    }
  }
  return options;
}

/** Bytes of a `{"hex": "c3 28"}` vector argument. */
function hexBytes(value) {
  return Buffer.from(value.hex.replace(/ /g, ''), 'hex');
}

/**
 * An independent check of an RS256 token with Node's own crypto (its bundled OpenSSL, not
 * the library): canonical base64url parts, RSASSA-PKCS1-v1_5 SHA-256 over header.claims.
 * Returns the decoded header and claims texts.
 */
function independentVerify(token, publicKey) {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('not three parts');
  for (const part of parts) {
    if (!/^[A-Za-z0-9_-]+$/.test(part) || Buffer.from(part, 'base64url').toString('base64url') !== part) {
      throw new Error(`not canonical base64url: ${part.slice(0, 40)}`);
    }
  }
  const ok = crypto.verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii'),
    { key: publicKey, padding: crypto.constants.RSA_PKCS1_PADDING }, Buffer.from(parts[2], 'base64url'));
  if (!ok) throw new Error('RS256 signature does not verify with node:crypto');
  return {
    header: Buffer.from(parts[0], 'base64url').toString('utf8'),
    claims: Buffer.from(parts[1], 'base64url').toString('utf8'),
  };
}

/** Typed claims as the bindings return them, from a claims JSON text (expected values). */
function typedClaims(json) {
  const c = JSON.parse(json);
  const int = (v) => (Object.is(v, -0) ? 0 : v);
  const claims = { providerId: c.iss, userId: c.prn, nonce: c.nce, issuedAt: int(c.iat), expiresAt: int(c.exp) };
  for (const [snake, camel] of [['first_name', 'firstName'], ['last_name', 'lastName'], ['display_name', 'displayName'], ['avatar_url', 'avatarUrl']]) {
    if (c[snake] !== undefined && c[snake] !== null) claims[camel] = c[snake];
  }
  claims.metadata = Object.assign(Object.create(null), c.metadata || {});
  return claims;
}

module.exports = {
  PACKAGE, ROOT, VECTORS, HEADER, ADDON, PROVIDER_ID, KEY_ID,
  vectors, keyBytes, headerEnum, headerFlags, flagOptions, hexBytes, independentVerify, typedClaims,
};
