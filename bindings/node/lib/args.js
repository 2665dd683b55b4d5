'use strict';
// Argument checks and conversions: the whole of what this wrapper does besides calling the
// addon. Wrong types throw TypeError naming the argument (code ERR_INVALID_ARG_TYPE), numbers
// that cannot be converted RangeError (ERR_OUT_OF_RANGE), before anything crosses into C.
// Every value, the library judges: U+0000, a lone surrogate (the addon hands it over as bytes
// that are not UTF-8), a negative time, a token type name.

const { KeyObject } = require('node:crypto');

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return value.constructor && value.constructor.name ? `an instance of ${value.constructor.name}` : 'an object';
  if (typeof value === 'string') return 'a string';
  return `type ${typeof value}${typeof value === 'number' || typeof value === 'boolean' ? ` (${value})` : ''}`;
}

function typeError(name, expected, value) {
  const error = new TypeError(`${name} must be ${expected}, received ${describe(value)}`);
  error.code = 'ERR_INVALID_ARG_TYPE';
  return error;
}

function rangeError(name, expected, value) {
  const error = new RangeError(`${name} must be ${expected}, received ${String(value)}`);
  error.code = 'ERR_OUT_OF_RANGE';
  return error;
}

function string(value, name) {
  if (typeof value !== 'string') throw typeError(name, 'a string', value);
  return value;
}

function optionalString(value, name) {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw typeError(name, 'a string (or left out)', value);
  return value;
}

// A key: PEM or base64 DER text, its bytes in a Buffer / Uint8Array (as fs.readFileSync
// gives them; passed unchanged), or a KeyObject, exported as PKCS#8 (private) or SPKI
// (public) PEM. Which kind of key fits is the library's call: a public key given to a Signer
// reaches it, and it says "this is a public key; signing needs the private key".
function key(value, name) {
  if (typeof value === 'string' || value instanceof Uint8Array) return value;
  if (value instanceof KeyObject) {
    if (value.type === 'private') return value.export({ format: 'pem', type: 'pkcs8' });
    if (value.type === 'public') return value.export({ format: 'pem', type: 'spki' });
    const error = new TypeError(`${name} must be an RSA key (PEM text, its bytes or an asymmetric KeyObject), received a secret KeyObject`);
    error.code = 'ERR_INVALID_ARG_TYPE';
    throw error;
  }
  throw typeError(name, 'a string, a Buffer or a KeyObject', value);
}

function optionalSecret(value, name) {
  if (value === undefined || value === null || typeof value === 'string' || value instanceof Uint8Array) return value ?? null;
  throw typeError(name, 'a string or a Buffer (or left out)', value);
}

function boolean(value, name) {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw typeError(name, 'a boolean', value);
  return value;
}

function u32(value, name, fallback) {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw typeError(name, 'a number', value);
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw rangeError(name, 'an integer from 0 to 4294967295', value);
  return value;
}

// A point in time as Unix seconds: a Date or a number (fractions floored, as `iat` is), or a
// BigInt. Left out: 0, which the library reads as now. Whether the value is acceptable (a
// negative time, milliseconds) is the library's call.
function time(value, name) {
  if (value === undefined || value === null) return 0;
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw rangeError(name, 'a valid Date', value);
    return Math.floor(ms / 1000);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw rangeError(name, 'a finite number of seconds', value);
    return Math.floor(value);
  }
  if (typeof value === 'bigint') return value;
  throw typeError(name, 'a Date or a number of seconds since 1970-01-01T00:00:00Z', value);
}

// A duration in whole seconds: a number or a BigInt; left out, `fallback`. Its range is the
// library's call.
function seconds(value, name, fallback) {
  if (value === undefined) return fallback;
  if (typeof value === 'bigint') return value;
  if (typeof value !== 'number') throw typeError(name, 'a number of seconds', value);
  if (!Number.isInteger(value)) throw rangeError(name, 'a whole number of seconds', value);
  return value;
}

// first_name, FirstName, firstname → firstname: to suggest the member meant.
const normalized = (member) => member.replace(/[_-]/g, '').toLowerCase();

// An options object with only the known members: a typo is an error, not a silent default.
function options(value, name, allowed, { optional = false } = {}) {
  if (value === undefined && optional) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw typeError(name, optional ? 'an object (or left out)' : 'an object', value);
  }
  for (const member of Object.keys(value)) {
    if (!allowed.has(member)) {
      const wanted = normalized(member);
      const alias = [...allowed].find((known) => normalized(known) === wanted);
      const hint = alias ? ` (did you mean ${alias}?)` : '';
      const error = new TypeError(`${name} has an unknown member '${member}'${hint}; known: ${[...allowed].join(', ')}`);
      error.code = 'ERR_INVALID_ARG_VALUE';
      throw error;
    }
  }
  return value;
}

// Metadata: a plain object or a Map of string names to string values → [names, values].
function metadata(value, name) {
  if (value === undefined || value === null) return [null, null];
  let entries;
  if (value instanceof Map) {
    entries = [...value.entries()];
  } else if (typeof value === 'object' && !Array.isArray(value)) {
    entries = Object.entries(value);
  } else {
    throw typeError(name, 'an object of string values, a Map, or null', value);
  }
  if (entries.length === 0) return [null, null];
  const names = new Array(entries.length);
  const values = new Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const [n, v] = entries[i];
    if (typeof n !== 'string') throw typeError(`a name in ${name}`, 'a string', n);
    if (typeof v !== 'string') throw typeError(`${name}[${JSON.stringify(n)}]`, 'a string', v);
    names[i] = n;
    values[i] = v;
  }
  return [names, values];
}

module.exports = {
  typeError, rangeError, string, optionalString, key, optionalSecret, boolean, u32, time, seconds, options, metadata,
};
