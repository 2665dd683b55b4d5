'use strict';
// identityTokenHandler: the identity-token endpoint as a (req, res[, next]) handler for
// node:http that also mounts in Express and Connect. It implements tests/endpoint/README.md,
// step by step: path, method, content type, size, parse, fields, authentication, signing.

const { LayerIdentityError, Status } = require('./errors');

const MAX_BODY_BYTES = 65536;
const MAX_FIELD_BYTES = 2048;
const MAX_DEPTH = 64;
const TOKEN_PATH = '/identity-token';
const HEALTH_PATH = '/healthz';
// The fields in the order they are checked; user_id is the demo authenticator's.
const FIELDS = [
  ['nonce', 'nonce'],
  ['first_name', 'firstName'],
  ['last_name', 'lastName'],
  ['display_name', 'displayName'],
  ['avatar_url', 'avatarUrl'],
];
const KNOWN = new Set(['nonce', 'first_name', 'last_name', 'display_name', 'avatar_url', 'user_id']);

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const isWellFormed = typeof String.prototype.isWellFormed === 'function'
  ? (s) => s.isWellFormed()
  : (s) => !LONE_SURROGATE.test(s);

/** A 4xx/5xx answer: status, code, message (and headers). */
class Answer {
  constructor(status, code, message, headers) {
    this.status = status;
    this.code = code;
    this.message = message;
    this.headers = headers;
  }
}

const notFound = () => new Answer(404, 'not_found', 'not found', { Connection: 'close' });
const UNAUTHENTICATED = new Answer(401, 'unauthenticated', 'authentication required');
const SERVER_ERROR = new Answer(500, 'server_error', 'could not create the identity token');

function send(req, res, status, document, headers) {
  const body = JSON.stringify(document);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function sendAnswer(req, res, answer) {
  send(req, res, answer.status, { error: { code: answer.code, message: answer.message } }, answer.headers);
}

// Content-Type: application/json or application/x-www-form-urlencoded (whole media type,
// any letter case), parameters ignored except charset, which must be utf-8.
function bodyKind(header) {
  if (typeof header !== 'string' || header.trim() === '') return null;
  const [type, ...parameters] = header.split(';');
  const media = type.trim().toLowerCase();
  const kind = media === 'application/json' ? 'json' : media === 'application/x-www-form-urlencoded' ? 'form' : null;
  if (kind === null) return null;
  for (const parameter of parameters) {
    const at = parameter.indexOf('=');
    const name = (at === -1 ? parameter : parameter.slice(0, at)).trim().toLowerCase();
    if (name !== 'charset') continue;
    let value = at === -1 ? '' : parameter.slice(at + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (value.toLowerCase() !== 'utf-8') return null;
  }
  return kind;
}

// The body as a Buffer, or null when it is larger than MAX_BODY_BYTES (reading stops there).
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        cleanup();
        req.pause();
        resolve(null);
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      cleanup();
      reject(new Error('the client closed the connection before sending the whole body'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

const invalidJson = (message) => new Answer(400, 'invalid_json', message);

// Nesting depth of JSON text (strings skipped), stopping as soon as it exceeds MAX_DEPTH; it
// runs before JSON.parse so a deep body costs one linear scan.
function tooDeep(text) {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_DEPTH) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

// How often each known field is a member of the top-level object of valid JSON `text`
// (JSON.parse keeps only the last of duplicate members, so they are counted here).
function knownMemberCounts(text) {
  const counts = new Map();
  let depth = 0;
  let expectName = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const start = i;
      let escaped = false;
      for (i++; text.charCodeAt(i) !== 0x22; i++) {
        if (text.charCodeAt(i) === 0x5c) {
          escaped = true;
          i++;
        }
      }
      if (depth === 1 && expectName) {
        const name = escaped ? JSON.parse(text.slice(start, i + 1)) : text.slice(start + 1, i);
        if (KNOWN.has(name)) counts.set(name, (counts.get(name) || 0) + 1);
        expectName = false;
      }
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth === 1) expectName = true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (c === 0x2c && depth === 1) {
      expectName = true;
    }
  }
  return counts;
}

// → { values: Map(name → value), counts: Map(name → occurrences) } or an Answer.
function parseJson(bytes) {
  let text;
  try {
    text = utf8.decode(bytes);
  } catch {
    return invalidJson('the body is not valid UTF-8');
  }
  if (tooDeep(text)) return invalidJson(`the body is nested more than ${MAX_DEPTH} levels deep`);
  let document;
  try {
    document = JSON.parse(text);
  } catch {
    return invalidJson('the body is not valid JSON');
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    return invalidJson('the body must be a JSON object');
  }
  const values = new Map();
  for (const name of KNOWN) {
    if (Object.prototype.hasOwnProperty.call(document, name)) values.set(name, document[name]);
  }
  return { values, counts: knownMemberCounts(text), document };
}

function hexValue(c) {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

// One name or value of a form body: '+' is a space, then %XX escapes; null when malformed.
function formDecode(bytes, start, end) {
  const out = Buffer.allocUnsafe(end - start);
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = bytes[i];
    if (c === 0x2b) {
      out[n++] = 0x20;
    } else if (c === 0x25) {
      const hi = i + 2 < end ? hexValue(bytes[i + 1]) : -1;
      const lo = hi === -1 ? -1 : hexValue(bytes[i + 2]);
      if (lo === -1) return null;
      out[n++] = hi * 16 + lo;
      i += 2;
    } else {
      out[n++] = c;
    }
  }
  try {
    return utf8.decode(out.subarray(0, n));
  } catch {
    return undefined;
  }
}

function parseForm(bytes) {
  const values = new Map();
  const counts = new Map();
  const document = Object.create(null);
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(0x26, start);
    if (end === -1) end = bytes.length;
    if (end > start) {
      let eq = bytes.indexOf(0x3d, start);
      if (eq === -1 || eq > end) eq = end;
      const name = formDecode(bytes, start, eq);
      const value = eq === end ? '' : formDecode(bytes, eq + 1, end);
      if (name === null || value === null) return invalidJson('the body is not valid form data');
      if (name === undefined || value === undefined) return invalidJson('the body is not valid UTF-8');
      if (!(name in document)) document[name] = value;
      if (KNOWN.has(name)) {
        counts.set(name, (counts.get(name) || 0) + 1);
        if (!values.has(name)) values.set(name, value);
      }
    }
    start = end + 1;
  }
  return { values, counts, document };
}

// A body already read by a body parser (express.json(), express.urlencoded(), ...).
function preParsed(body) {
  if (Buffer.isBuffer(body) || body instanceof Uint8Array) return { bytes: Buffer.from(body) };
  if (typeof body === 'string') return { bytes: Buffer.from(body, 'utf8') };
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const values = new Map();
    const counts = new Map();
    for (const name of KNOWN) {
      if (Object.prototype.hasOwnProperty.call(body, name)) {
        values.set(name, body[name]);
        counts.set(name, 1);
      }
    }
    return { parsed: { values, counts, document: body } };
  }
  return null;
}

const invalidField = (message) => new Answer(400, 'invalid_field', message);

// The value of one field under the contract's rules: a string, undefined (absent), or an Answer.
function field(parsed, name, required) {
  if (!parsed.values.has(name)) {
    return required ? new Answer(400, 'missing_field', `${name} is required`) : undefined;
  }
  if (parsed.counts.get(name) > 1) return invalidField(`${name} is given more than once`);
  const value = parsed.values.get(name);
  if (value === null && !required) return undefined;
  if (typeof value !== 'string' || value === '') return invalidField(`${name} must be a non-empty string`);
  if (Buffer.byteLength(value, 'utf8') > MAX_FIELD_BYTES) return invalidField(`${name} must be at most ${MAX_FIELD_BYTES} bytes`);
  if (value.includes('\0')) return invalidField(`${name} must not contain U+0000`);
  if (!isWellFormed(value)) return invalidField(`${name} must be valid Unicode`);
  return value;
}

const DEMO = Symbol('layer-identity demo authenticator');

/**
 * The demo authenticator of the sample backends: it trusts the `user_id` of the request body
 * (checked with the same rules as the other fields), so ANY client can get a token for ANY
 * user. Replace it with your own session check.
 */
function demoAuthenticate(req, fields) {
  const userId = fields.body && fields.body.user_id;
  if (typeof userId !== 'string' || userId === '') throw new Error('no user_id');
  return userId;
}
demoAuthenticate[DEMO] = true;

function describe(error) {
  if (error instanceof LayerIdentityError) return `${error.code}: ${error.message}`;
  return error && error.stack ? error.stack : String(error);
}

/**
 * The identity-token endpoint: `POST /identity-token` answers `{"identity_token": "..."}` for
 * the user `authenticate(req, fields)` returns (a string, or a promise of one); `GET /healthz`
 * answers `{"status":"ok"}`. Mount it on a node:http server, or in Express / Connect, where
 * paths it does not serve go to `next()` instead of a 404.
 *
 * options.signer: a Signer (signing runs on the thread pool, with signAsync).
 * options.authenticate(req, fields): the user ID for this request; throw (or reject) when the
 *   request is not authenticated → 401. `fields` holds nonce, firstName, lastName,
 *   displayName, avatarUrl (checked) and body (the parsed body, unchecked).
 * options.log(message): where failures are described (default: console.error); clients only
 *   ever see the generic message.
 */
function identityTokenHandler(options) {
  if (options === null || typeof options !== 'object') {
    const error = new TypeError('identityTokenHandler options must be an object with signer and authenticate');
    error.code = 'ERR_INVALID_ARG_TYPE';
    throw error;
  }
  const { signer, authenticate, log = (message) => console.error(message) } = options;
  if (signer === null || typeof signer !== 'object' || typeof signer.signAsync !== 'function') {
    const error = new TypeError('options.signer must be a Signer');
    error.code = 'ERR_INVALID_ARG_TYPE';
    throw error;
  }
  if (typeof authenticate !== 'function') {
    const error = new TypeError('options.authenticate must be a function (req, fields) => userId; identityTokenHandler.demoAuthenticate trusts the body and is for demos only');
    error.code = 'ERR_INVALID_ARG_TYPE';
    throw error;
  }
  if (typeof log !== 'function') {
    const error = new TypeError('options.log must be a function');
    error.code = 'ERR_INVALID_ARG_TYPE';
    throw error;
  }
  const demo = authenticate[DEMO] === true;

  async function identityToken(req, res) {
    const kind = bodyKind(req.headers['content-type']);
    if (kind === null) {
      return new Answer(415, 'unsupported_media_type',
        'Content-Type must be application/json or application/x-www-form-urlencoded (charset utf-8)', { Connection: 'close' });
    }
    const tooLarge = new Answer(413, 'body_too_large', `the body is larger than ${MAX_BODY_BYTES} bytes`, { Connection: 'close' });
    let parsed;
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) return tooLarge;
    const consumed = req.readableEnded || req._body === true;
    if (consumed) { // a body parser ran before us: use what it read
      const earlier = preParsed(req.body);
      if (earlier === null) {
        log('identity-token: the request body was read before identityTokenHandler and is not available; mount the handler before body parsers');
        return SERVER_ERROR;
      }
      if (earlier.parsed) parsed = earlier.parsed;
      else if (earlier.bytes.length > MAX_BODY_BYTES) return tooLarge;
      else parsed = kind === 'json' ? parseJson(earlier.bytes) : parseForm(earlier.bytes);
    } else {
      const bytes = await readBody(req);
      if (bytes === null) return tooLarge;
      parsed = kind === 'json' ? parseJson(bytes) : parseForm(bytes);
    }
    if (parsed instanceof Answer) return parsed;

    const fields = { body: parsed.document };
    for (const [name, property] of FIELDS) {
      const value = field(parsed, name, name === 'nonce');
      if (value instanceof Answer) return value;
      if (value !== undefined) fields[property] = value;
    }
    Object.freeze(fields);

    let userId;
    if (demo) {
      userId = field(parsed, 'user_id', true);
      if (userId instanceof Answer) return userId;
    } else {
      try {
        userId = await authenticate(req, fields);
      } catch (error) {
        log(`identity-token: authentication failed: ${describe(error)}`);
        return UNAUTHENTICATED;
      }
      if (typeof userId !== 'string' || userId === '') {
        log(`identity-token: authenticate returned ${userId === '' ? 'an empty string' : typeof userId}, not a user ID`);
        return SERVER_ERROR;
      }
    }

    let token;
    try {
      token = await signer.signAsync({
        userId,
        nonce: fields.nonce,
        firstName: fields.firstName,
        lastName: fields.lastName,
        displayName: fields.displayName,
        avatarUrl: fields.avatarUrl,
      });
    } catch (error) {
      if (error instanceof LayerIdentityError && error.status === Status.LAYER_ERR_INVALID_ARGUMENT) {
        return invalidField(error.message);
      }
      log(`identity-token: signing failed: ${describe(error)}`);
      return SERVER_ERROR;
    }
    send(req, res, 200, { identity_token: token });
    return null;
  }

  return function identityTokenEndpoint(req, res, next) {
    const url = typeof req.url === 'string' ? req.url : '';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const method = req.method;
    if (path === HEALTH_PATH) {
      if (method === 'GET' || method === 'HEAD') return send(req, res, 200, { status: 'ok' });
      return sendAnswer(req, res, new Answer(405, 'method_not_allowed', 'use GET or HEAD', { Allow: 'GET, HEAD', Connection: 'close' }));
    }
    if (path !== TOKEN_PATH) {
      if (typeof next === 'function') return next();
      return sendAnswer(req, res, notFound());
    }
    if (method !== 'POST') {
      return sendAnswer(req, res, new Answer(405, 'method_not_allowed', 'use POST', { Allow: 'POST', Connection: 'close' }));
    }
    identityToken(req, res).then(
      (answer) => {
        if (answer !== null) sendAnswer(req, res, answer);
      },
      (error) => {
        log(`identity-token: ${describe(error)}`);
        if (!res.headersSent && !res.destroyed) sendAnswer(req, res, SERVER_ERROR);
        else res.destroy();
      },
    );
    return undefined;
  };
}

identityTokenHandler.demoAuthenticate = demoAuthenticate;

module.exports = { identityTokenHandler, demoAuthenticate, MAX_BODY_BYTES, MAX_FIELD_BYTES };
