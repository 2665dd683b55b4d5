'use strict';
// Argument checks and conversions: the whole of what this wrapper does besides calling the
// addon. Wrong types throw TypeError naming the argument (code ERR_INVALID_ARG_TYPE), numbers
// out of range RangeError (ERR_OUT_OF_RANGE), before anything crosses into C. Values the
// library cannot receive at all (U+0000, lone surrogates) throw LayerIdentityError with the
// status the library would use. Everything else, the library judges.

const { KeyObject } = require('node:crypto');
const { LayerIdentityError, Status } = require('./errors');

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

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const isWellFormed = typeof String.prototype.isWellFormed === 'function'
  ? (s) => s.isWellFormed()
  : (s) => !LONE_SURROGATE.test(s);

// A string that can cross into C as NUL-terminated UTF-8 exactly.
function crossable(value, name) {
  const nul = value.indexOf('\0');
  if (nul !== -1) {
    throw new LayerIdentityError(
      `${name} contains U+0000 at index ${nul}: the library takes NUL-terminated strings, so it cannot be passed`,
      { status: Status.LAYER_ERR_INVALID_ARGUMENT },
    );
  }
  if (!isWellFormed(value)) {
    const at = value.search(LONE_SURROGATE);
    throw new LayerIdentityError(
      `${name} is not valid UTF-16: a lone surrogate (U+${value.charCodeAt(at).toString(16).toUpperCase()}) at index ${at} has no UTF-8 encoding`,
      { status: Status.LAYER_ERR_INVALID_UTF8 },
    );
  }
  return value;
}

function string(value, name) {
  if (typeof value !== 'string') throw typeError(name, 'a string', value);
  return crossable(value, name);
}

function optionalString(value, name) {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw typeError(name, 'a string (or left out)', value);
  return crossable(value, name);
}

// A key: PEM or base64 DER text, its bytes in a Buffer / Uint8Array (as fs.readFileSync
// gives them; passed unchanged), or a KeyObject (exported as PKCS#8 / SPKI PEM).
function key(value, name, { allowPublic }) {
  if (typeof value === 'string') return crossable(value, name);
  if (value instanceof Uint8Array) {
    const nul = value.indexOf(0);
    if (nul !== -1) {
      throw new LayerIdentityError(`${name} contains a zero byte at offset ${nul}: the library takes NUL-terminated text, so it cannot be passed`, {
        status: Status.LAYER_ERR_INVALID_ARGUMENT,
      });
    }
    return value;
  }
  if (value instanceof KeyObject) {
    if (value.type === 'private') return value.export({ format: 'pem', type: 'pkcs8' });
    if (value.type === 'public' && allowPublic) return value.export({ format: 'pem', type: 'spki' });
    throw typeError(name, allowPublic ? 'a public or private KeyObject' : 'a private KeyObject', `a ${value.type} KeyObject`);
  }
  throw typeError(name, 'a string, a Buffer or a KeyObject', value);
}

function optionalSecret(value, name) {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return crossable(value, name);
  if (value instanceof Uint8Array) {
    if (value.indexOf(0) !== -1) {
      throw new LayerIdentityError(`${name} contains a zero byte: it cannot be passed`, { status: Status.LAYER_ERR_INVALID_ARGUMENT });
    }
    return value;
  }
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

// A point in time: a Date or Unix seconds (fractions are floored, as `iat` is). Left out: 0,
// which the library reads as now. A number in milliseconds is passed on, for the library to
// refuse with its message.
function time(value, name) {
  if (value === undefined || value === null) return 0;
  let seconds;
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw rangeError(name, 'a valid Date', value);
    seconds = Math.floor(ms / 1000);
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw rangeError(name, 'a finite number of seconds', value);
    seconds = Math.floor(value);
  } else {
    throw typeError(name, 'a Date or a number of seconds since 1970-01-01T00:00:00Z', value);
  }
  if (seconds < 1) throw rangeError(name, 'after 1970-01-01T00:00:00Z (leave it out for now)', value);
  if (seconds > Number.MAX_SAFE_INTEGER) throw rangeError(name, 'a safe integer number of seconds', value);
  return seconds;
}

function tokenType(value, name) {
  if (value === undefined || value === 'JWS') return false;
  if (value === 'JWT') return true;
  if (typeof value !== 'string') throw typeError(name, "'JWS' or 'JWT'", value);
  const error = new TypeError(`${name} must be 'JWS' or 'JWT', received '${value}'`);
  error.code = 'ERR_INVALID_ARG_VALUE';
  throw error;
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
    names[i] = crossable(n, `${name} name ${JSON.stringify(n)}`);
    if (typeof v !== 'string') throw typeError(`${name}[${JSON.stringify(n)}]`, 'a string', v);
    values[i] = crossable(v, `${name}[${JSON.stringify(n)}]`);
  }
  return [names, values];
}

module.exports = {
  typeError, rangeError, string, optionalString, key, optionalSecret, boolean, u32, time, tokenType, options, metadata,
};
