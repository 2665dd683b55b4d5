'use strict';
// The identity-token endpoint, once for every server this package adapts to (node:http and
// Express in handler.js, Fastify in fastify.js, fetch-style servers in fetch.js): an adapter
// over the library's LayerExchange, which implements the whole HTTP contract
// (tests/endpoint/README.md) without I/O. This file parses nothing: it hands the core the
// request head as received, reads at most MAX_BODY_BYTES + 1 bytes of body when the core asks
// for it, calls the application's authenticate, tells the core what it returned, and gives
// back the core's answer for the server to write, logging what the core says to log (never
// to the client).

const native = require('./native');
const { nativeSigner } = require('./index');

const MAX_BODY_BYTES = native.MAX_BODY_BYTES;
const READ_LIMIT = MAX_BODY_BYTES + 1; // one byte more tells the core the body is too large
// layer_exchange_fields, in LayerField order.
const FIELD_NAMES = ['nonce', 'firstName', 'lastName', 'displayName', 'avatarUrl', 'userId'];
// Where the fields given to authenticate keep their exchange, for demoAuthenticate.
const EXCHANGE = Symbol('layer-identity exchange');

/** The body could not be read: the client went away (no answer is possible). */
class Aborted extends Error {}

/** The body is not available to the endpoint (consumed by another layer): answer 500. */
class Unavailable {
  constructor(log) {
    this.log = log;
  }
}

function typeError(message) {
  const error = new TypeError(message);
  error.code = 'ERR_INVALID_ARG_TYPE';
  return error;
}

/**
 * The demo authenticator of the sample backends: it trusts the `user_id` of the request body
 * (under the same rules as the other fields: the library's), so ANY client can get a token
 * for ANY user. Replace it with your own session check. Mounted as it is or called from your
 * own authenticate (returning its result), its refusal answers 400 missing_field /
 * invalid_field, never 401.
 */
function demoAuthenticate(_request, fields) {
  const exchange = fields !== null && typeof fields === 'object' ? fields[EXCHANGE] : undefined;
  if (exchange === undefined) {
    throw typeError('demoAuthenticate takes the fields the identity-token endpoint gives authenticate');
  }
  return native.exchangeDemoUserId(exchange);
}

/** The options every adapter takes, checked once: { signer, authenticate, log? }. */
function endpointOptions(options, name, defaultLog) {
  if (options === null || typeof options !== 'object') {
    throw typeError(`${name} options must be an object with signer and authenticate`);
  }
  const { signer, authenticate, log = defaultLog } = options;
  if (nativeSigner(signer) === null) throw typeError('options.signer must be a Signer');
  if (typeof authenticate !== 'function') {
    throw typeError('options.authenticate must be a function (request, fields) => userId; demoAuthenticate trusts the body and is for demos only');
  }
  if (typeof log !== 'function') throw typeError('options.log must be a function');
  return { signer, authenticate, log };
}

// The fields for authenticate: the checked body fields (absent ones left out) and, for
// demoAuthenticate, the exchange (an enumerable symbol, so `{ ...fields }` keeps it).
function fieldsOf(exchange) {
  const values = native.exchangeFields(exchange);
  const fields = {};
  for (let i = 0; i < FIELD_NAMES.length; i++) {
    if (values[i] !== undefined) fields[FIELD_NAMES[i]] = values[i];
  }
  fields[EXCHANGE] = exchange;
  return Object.freeze(fields);
}

// authenticate's result → [LayerAuthOutcome, user ID or a description for the log].
function outcomeOf(value) {
  if (value === null || value === undefined) return [native.AUTH_NONE, null];
  switch (typeof value) {
    case 'string':
      return value === '' ? [native.AUTH_NONE, null] : [native.AUTH_USER, value];
    case 'bigint':
      return [native.AUTH_USER, value.toString()];
    case 'number':
      if (Number.isSafeInteger(value)) return [native.AUTH_USER, String(value)];
      return [native.AUTH_NOT_A_USER_ID, Number.isInteger(value)
        ? 'an integer beyond Number.MAX_SAFE_INTEGER (return a BigInt or a string)'
        : 'a number that is not an integer'];
    case 'boolean':
      return [native.AUTH_NOT_A_USER_ID, 'a boolean'];
    default:
      return [native.AUTH_NOT_A_USER_ID, Array.isArray(value) ? 'an array' : `a value of type ${typeof value}`];
  }
}

// What a failure says, on one line and without its stack.
function oneLine(error) {
  let text;
  if (error instanceof Error) text = error.name === 'Error' ? error.message : `${error.name}: ${error.message}`;
  else text = String(error);
  const line = text.split('\n', 1)[0];
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}

/**
 * Runs one request through the core.
 *
 * head: { method, target, contentType, contentLength } as received (null when absent);
 * readBody(limit): a promise of the body's first `limit` bytes (all of them when shorter), an
 *   Unavailable, or a rejection with Aborted when the client went away;
 * request: what authenticate gets; context: its third argument (fetch-style handlers);
 * passOn: called instead of answering when the core says 404 at once (Express's next()).
 *
 * Resolves with { status, headers: [name, value, ...], body: Buffer, close } to write, or null
 * when nothing is to be written (passed on, or the client went away).
 */
async function exchange(options, head, readBody, request, context, passOn) {
  const handle = native.exchangeNew(head.method, head.target, head.contentType, head.contentLength);
  let detail = null;
  try {
    let step = native.exchangeStep(handle);
    if (step === native.STEP_RESPOND && passOn !== null) {
      const answer = native.exchangeResponse(handle);
      if (answer[0] === 404) {
        passOn();
        return null;
      }
    }
    try {
      if (step === native.STEP_READ_BODY) {
        let body;
        try {
          body = await readBody(READ_LIMIT);
        } catch (error) {
          if (!(error instanceof Aborted)) throw error;
          options.log(`identity-token: ${error.message}; no answer sent`, 0);
          return null;
        }
        if (body instanceof Unavailable) native.exchangeFail(handle, body.log);
        else step = native.exchangePutBody(handle, body.length > READ_LIMIT ? body.subarray(0, READ_LIMIT) : body);
      }
      if (step === native.STEP_AUTHENTICATE) {
        let outcome;
        let userId;
        try {
          [outcome, userId] = outcomeOf(await options.authenticate(request, fieldsOf(handle), context));
        } catch (error) {
          outcome = native.AUTH_FAILED;
          userId = null;
          detail = oneLine(error);
        }
        if (outcome === native.AUTH_USER) {
          // The signing step, on the thread pool.
          await native.exchangeFinishAsync(handle, nativeSigner(options.signer), outcome, userId);
        } else {
          native.exchangeFinish(handle, null, outcome, userId);
        }
      }
    } catch (error) { // the adapter's own failure (a closed signer, say): the core's 500
      native.exchangeFail(handle, `the endpoint failed: ${oneLine(error)}`);
    }
    const [status, headers, body, close, log] = native.exchangeResponse(handle);
    if (log !== undefined) options.log(`identity-token: ${status}: ${log}${detail === null ? '' : `: ${detail}`}`, status);
    return { status, headers, body, close };
  } finally {
    native.close(handle);
  }
}

/**
 * Reads a Node.js readable stream (an IncomingMessage) until it ends or more than `limit`
 * bytes have arrived, then stops reading: a promise of the bytes (possibly over `limit`),
 * rejected with Aborted when the client goes away first.
 */
function readStream(stream, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    const onData = (chunk) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > limit) {
        cleanup();
        stream.pause();
        resolve(Buffer.concat(chunks, size));
      }
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error) => { // node:http says 'aborted' (ECONNRESET) when the client goes
      cleanup();
      reject(new Aborted(error && error.code === 'ECONNRESET'
        ? `the client closed the connection after ${size} bytes of the body`
        : `the request failed after ${size} bytes of its body (${oneLine(error)})`));
    };
    const onClose = () => {
      cleanup();
      reject(new Aborted(`the client closed the connection after ${size} bytes of the body`));
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

/**
 * The target relative to where the endpoint is mounted: `prefix` taken off the front of the
 * path, in origin form (`/layer/healthz?probe`) or absolute form (`http://host/layer/healthz`).
 * A path outside the prefix is given as it is (the core answers 404).
 */
function relativeTarget(target, prefix) {
  if (prefix === '' || prefix === '/') return target;
  let at = 0;
  if (target[0] !== '/') {
    const scheme = target.indexOf('://');
    if (scheme === -1) return target;
    at = target.indexOf('/', scheme + 3);
    if (at === -1) return target;
  }
  const end = at + prefix.length;
  if (!target.startsWith(prefix, at) || (end < target.length && target[end] !== '/' && target[end] !== '?')) return target;
  const rest = target.slice(end);
  return target.slice(0, at) + (rest === '' || rest[0] === '?' ? `/${rest}` : rest);
}

/** A mount prefix as given to an adapter: '' or a path that starts with '/' (no trailing '/'). */
function prefixOption(prefix, name) {
  if (prefix === undefined) return '';
  if (typeof prefix !== 'string' || (prefix !== '' && prefix[0] !== '/')) {
    throw typeError(`${name} must be a path such as '/layer' (or '' for none)`);
  }
  return prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
}

module.exports = {
  MAX_BODY_BYTES,
  Aborted,
  Unavailable,
  demoAuthenticate,
  endpointOptions,
  exchange,
  readStream,
  relativeTarget,
  prefixOption,
  oneLine,
};
