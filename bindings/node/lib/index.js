'use strict';
// The public API of layer-identity for Node: Signer, Verifier, generateKeyPair, signToken,
// LayerIdentityError and the identity-token endpoint. Everything is done by the native addon
// (the library's C ABI); this file checks and converts arguments and assembles results.

const native = require('./native');
const args = require('./args');
const { LayerIdentityError, Status, Eit, makeError } = require('./errors');

native.setup(makeError);

const DEFAULT_LEEWAY = native.DEFAULT_LEEWAY_SECONDS; // the core's default, as in every language
const DEFAULT_BITS = 2048;

function useAfterClose(what) {
  const error = new Error(`the ${what} is closed`);
  error.code = 'ERR_USE_AFTER_CLOSE';
  return error;
}

// Runs `fn` and turns a synchronous throw (a bad argument) into a rejected promise, so an
// async method always reports through its promise.
function promised(fn) {
  try {
    return fn();
  } catch (error) {
    return Promise.reject(error);
  }
}

const SIGNER_OPTIONS = new Set(['privateKey', 'providerId', 'keyId', 'passphrase', 'tokenType', 'allow1024BitKey']);
const FROM_ENV_OPTIONS = new Set(['tokenType', 'allow1024BitKey']);
const SIGN_OPTIONS = new Set([
  'userId', 'nonce', 'issuedAt', 'ttl', 'firstName', 'lastName', 'displayName', 'avatarUrl', 'metadata',
]);
const SIGN_TOKEN_OPTIONS = new Set(['privateKey', 'providerId', 'keyId', 'userId', 'nonce', 'issuedAt', 'ttl']);
const VERIFIER_OPTIONS = new Set(['publicKey', 'providerId', 'keyId', 'allow1024BitKey']);
const VERIFY_OPTIONS = new Set(['nonce', 'now', 'leeway']);

// tokenType names are the library's rule (JWS or JWT, any letter case): it gives the flags.
function signerFlags(o, name) {
  let flags = 0;
  if (o.tokenType !== undefined) {
    if (typeof o.tokenType !== 'string') throw args.typeError(`${name}.tokenType`, "'JWS' or 'JWT'", o.tokenType);
    flags |= native.tokenTypeFlags(o.tokenType);
  }
  if (args.boolean(o.allow1024BitKey, `${name}.allow1024BitKey`)) flags |= native.FLAG_ALLOW_1024_BIT_KEY;
  return flags;
}

// The addon's arguments for sign(): userId, nonce, issuedAt, ttl, the four attributes (null
// when absent), metadata names and values.
function signArguments(request) {
  const o = args.options(request, 'sign options', SIGN_OPTIONS);
  const [names, values] = args.metadata(o.metadata, 'metadata');
  return [
    args.string(o.userId, 'userId'),
    args.string(o.nonce, 'nonce'),
    args.time(o.issuedAt, 'issuedAt'),
    args.seconds(o.ttl, 'ttl', 0),
    args.optionalString(o.firstName, 'firstName'),
    args.optionalString(o.lastName, 'lastName'),
    args.optionalString(o.displayName, 'displayName'),
    args.optionalString(o.avatarUrl, 'avatarUrl'),
    names,
    values,
  ];
}

let nativeSigner; // (signer) => its native handle, for the endpoint adapters (lib/endpoint.js)
let adopting = null; // a native handle for the next `new Signer(ADOPT)`, from Signer.fromEnv
const ADOPT = Symbol('adopt');

/**
 * Signs Layer identity tokens with one private key. Create it once at start-up and share it:
 * it is immutable, and signAsync() calls run in parallel on the libuv thread pool.
 */
class Signer {
  #handle;

  static {
    nativeSigner = (signer) => {
      if (signer === null || typeof signer !== 'object' || !(#handle in signer)) return null;
      return signer.#open();
    };
  }

  constructor(options) {
    if (options === ADOPT && adopting !== null) {
      this.#handle = adopting;
      adopting = null;
      return;
    }
    const o = args.options(options, 'Signer options', SIGNER_OPTIONS);
    const privateKey = args.key(o.privateKey, 'privateKey');
    const passphrase = args.optionalSecret(o.passphrase, 'passphrase');
    const providerId = args.string(o.providerId, 'providerId');
    const keyId = args.string(o.keyId, 'keyId');
    this.#handle = native.signerNew(privateKey, passphrase, providerId, keyId, signerFlags(o, 'Signer options'));
  }

  /**
   * A signer configured by LAYER_PROVIDER_ID, LAYER_KEY_ID, LAYER_PRIVATE_KEY or
   * LAYER_PRIVATE_KEY_PATH, LAYER_PRIVATE_KEY_PASSPHRASE and LAYER_TOKEN_TYPE, read by the
   * library itself, so a missing or malformed variable is reported with the same words as in
   * every other language.
   */
  static fromEnv(options) {
    const o = args.options(options, 'fromEnv options', FROM_ENV_OPTIONS, { optional: true });
    adopting = native.signerFromEnv(signerFlags(o, 'fromEnv options'));
    return new Signer(ADOPT);
  }

  #open() {
    if (this.#handle === null) throw useAfterClose('signer');
    return this.#handle;
  }

  /** A token for `userId` answering `nonce`, signed now on the calling thread. */
  sign(request) {
    const a = signArguments(request);
    return native.sign(this.#open(), a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]);
  }

  /** The same token as sign(), signed on the libuv thread pool: the event loop keeps serving. */
  signAsync(request) {
    return promised(() => {
      const a = signArguments(request);
      return native.signAsync(this.#open(), a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]);
    });
  }

  /** The SPKI public key PEM: what to upload to Layer for this key ID, or give a Verifier. */
  publicKeyPem() {
    return native.signerPublicKeyPem(this.#open());
  }

  /** True until close() is called. */
  get closed() {
    return this.#handle === null;
  }

  /**
   * Releases the key now (it is zeroized). Idempotent. Calls still pending finish first; any
   * later call throws ERR_USE_AFTER_CLOSE. A signer that is never closed is released when it
   * is garbage-collected.
   */
  close() {
    if (this.#handle === null) return;
    const handle = this.#handle;
    this.#handle = null;
    native.close(handle);
  }
}

const NO_METADATA = Object.freeze(Object.create(null));

// The claims from layer_verifier_verify_n's texts (by LayerClaimText: iss, prn, nce, the four
// attributes, the claims JSON, the metadata JSON or undefined), then iat and exp.
function claimsFrom(a) {
  const claims = { providerId: a[0], userId: a[1], nonce: a[2], issuedAt: a[9], expiresAt: a[10] };
  if (a[3] !== undefined) claims.firstName = a[3];
  if (a[4] !== undefined) claims.lastName = a[4];
  if (a[5] !== undefined) claims.displayName = a[5];
  if (a[6] !== undefined) claims.avatarUrl = a[6];
  // The library's compact object of strings, in name order; JSON.parse keeps a "__proto__"
  // member as an own property, and the object gets no prototype.
  claims.metadata = a[8] === undefined ? NO_METADATA : Object.freeze(Object.setPrototypeOf(JSON.parse(a[8]), null));
  // The claims JSON exactly as signed, unknown claims included; not enumerable, so logging or
  // comparing the claims shows the typed values only.
  Object.defineProperty(claims, 'json', { value: a[7], enumerable: false });
  return Object.freeze(claims);
}

function verifyArguments(token, options) {
  const o = args.options(options, 'verify options', VERIFY_OPTIONS, { optional: true });
  return [
    args.string(token, 'token'),
    args.optionalString(o.nonce, 'nonce'),
    args.time(o.now, 'now'),
    args.seconds(o.leeway, 'leeway', DEFAULT_LEEWAY),
  ];
}

/**
 * Verifies identity tokens with the rules of Layer's identity token validation tool: RS256
 * with the configured key only, the configured key ID and provider ID, the lifetime, and the
 * nonce when one is expected. Each rejection is a LayerIdentityError whose eitCode is
 * Layer's identifier of the rule the token broke.
 */
class Verifier {
  #handle;

  constructor(options) {
    const o = args.options(options, 'Verifier options', VERIFIER_OPTIONS);
    const publicKey = args.key(o.publicKey, 'publicKey');
    const providerId = args.string(o.providerId, 'providerId');
    const keyId = args.string(o.keyId, 'keyId');
    const flags = args.boolean(o.allow1024BitKey, 'Verifier options.allow1024BitKey') ? native.FLAG_ALLOW_1024_BIT_KEY : 0;
    this.#handle = native.verifierNew(publicKey, providerId, keyId, flags);
  }

  #open() {
    if (this.#handle === null) throw useAfterClose('verifier');
    return this.#handle;
  }

  /** The token's claims, frozen, or a LayerIdentityError naming the rule it broke. */
  verify(token, options) {
    const a = verifyArguments(token, options);
    return claimsFrom(native.verify(this.#open(), a[0], a[1], a[2], a[3]));
  }

  /** verify() on the libuv thread pool. */
  verifyAsync(token, options) {
    return promised(() => {
      const a = verifyArguments(token, options);
      return native.verifyAsync(this.#open(), a[0], a[1], a[2], a[3]).then(claimsFrom);
    });
  }

  get closed() {
    return this.#handle === null;
  }

  /** Releases the key now. Idempotent; pending calls finish first. */
  close() {
    if (this.#handle === null) return;
    const handle = this.#handle;
    this.#handle = null;
    native.close(handle);
  }
}

for (const Class of [Signer, Verifier]) {
  if (typeof Symbol.dispose === 'symbol') {
    Object.defineProperty(Class.prototype, Symbol.dispose, {
      value() { this.close(); }, writable: true, configurable: true,
    });
  }
}

function bitsArgument(bits) {
  return args.u32(bits, 'bits', DEFAULT_BITS);
}

function keyPairFrom([privateKey, publicKey]) {
  return { privateKey, publicKey };
}

/**
 * A new RSA key pair (public exponent 65537): `privateKey` as PKCS#8 PEM, `publicKey` as
 * SPKI PEM (the part uploaded to Layer). At least 2048 bits, the default.
 */
function generateKeyPair(bits) {
  return keyPairFrom(native.generateKeyPair(bitsArgument(bits)));
}

/** generateKeyPair() on the libuv thread pool (a 4096-bit key takes about a second). */
function generateKeyPairAsync(bits) {
  return promised(() => native.generateKeyPairAsync(bitsArgument(bits)).then(keyPairFrom));
}

function signTokenArguments(request) {
  const o = args.options(request, 'signToken options', SIGN_TOKEN_OPTIONS);
  return [
    args.key(o.privateKey, 'privateKey'),
    args.string(o.providerId, 'providerId'),
    args.string(o.keyId, 'keyId'),
    args.string(o.userId, 'userId'),
    args.string(o.nonce, 'nonce'),
    args.time(o.issuedAt, 'issuedAt'),
    args.seconds(o.ttl, 'ttl', 0),
  ];
}

/**
 * One token in one call, from the key text itself (default options: typ JWS, no attributes).
 * The library keeps up to 8 decoded keys in a process-wide cache, keyed by a digest of the
 * text, so repeated calls cost one signature; clearKeyCache() empties it. A Signer is the
 * better choice for a long-lived key.
 */
function signToken(request) {
  const a = signTokenArguments(request);
  return native.signToken(a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
}

/** signToken() on the libuv thread pool. */
function signTokenAsync(request) {
  return promised(() => {
    const a = signTokenArguments(request);
    return native.signTokenAsync(a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
  });
}

/** Forgets the keys signToken() cached (after rotating a key out, say). */
function clearKeyCache() {
  native.keyCacheClear();
}

/**
 * Decodes a token WITHOUT verifying it, for debugging: the header and claims JSON texts.
 * Nothing in them is trustworthy; use a Verifier for that.
 */
function inspectToken(token) {
  const [header, claims] = native.inspectToken(args.string(token, 'token'));
  return { header, claims };
}

module.exports = {
  Signer,
  Verifier,
  LayerIdentityError,
  Status,
  Eit,
  generateKeyPair,
  generateKeyPairAsync,
  signToken,
  signTokenAsync,
  clearKeyCache,
  inspectToken,
  version: native.version,
  abiVersion: native.abiVersion,
  DEFAULT_LEEWAY,
};

// Not part of the API (not enumerable, so the entry points do not re-export it): the native
// handle of a Signer, or null for anything else; throws ERR_USE_AFTER_CLOSE when closed.
Object.defineProperty(module.exports, 'nativeSigner', { value: nativeSigner });
