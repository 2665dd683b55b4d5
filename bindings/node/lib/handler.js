'use strict';
// identityTokenHandler: the identity-token endpoint as a (req, res[, next]) handler for
// node:http, which mounts in Express and Connect as middleware. The contract is the library's
// (lib/endpoint.js runs the request through it); this file moves bytes between node:http and
// the core.

const { Unavailable, demoAuthenticate, endpointOptions, exchange, readStream } = require('./endpoint');

const MOUNT_HINT = 'mount identityTokenHandler before any body parser, or give it the raw bytes (app.use(path, express.raw({ type: () => true }), identityTokenHandler(...)))';

// The body, when another layer read the stream first: its bytes if a raw-body parser kept
// them (express.raw() puts a Buffer in req.body; others a Buffer in req.rawBody), otherwise
// nothing the endpoint may use: a parsed object has lost duplicate members, the exact text
// and the depth, which the contract's rules are about.
function consumedBody(req) {
  for (const bytes of [req.rawBody, req.body]) {
    if (bytes instanceof Uint8Array) return bytes;
  }
  return new Unavailable(`the request body was read by another middleware (a body parser such as express.json()) before the endpoint could see its bytes: ${MOUNT_HINT}`);
}

function readBody(req) {
  return (limit) => (req.readableEnded ? Promise.resolve(consumedBody(req)) : readStream(req, limit));
}

function write(req, res, answer) {
  const { status, headers, body } = answer;
  if (req.method !== 'HEAD') headers.push('Content-Length', String(body.length));
  res.writeHead(status, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * The identity-token endpoint (POST /identity-token, GET /healthz) as a node:http handler:
 * `http.createServer(identityTokenHandler({ signer, authenticate }))`. In Express or Connect,
 * `app.use('/layer', identityTokenHandler(...))`: paths are relative to the mount point and
 * paths it does not serve go to next().
 *
 * options.signer: a Signer (the signing step runs on the libuv thread pool).
 * options.authenticate(req, fields): the user ID of the request's user (or a promise of it):
 *   a non-empty string, or an integer (a safe integer or a BigInt, written in decimal);
 *   null, undefined or '' → 401; throwing or rejecting → 401 (logged); anything else → 500.
 *   `fields` holds the checked body fields nonce, firstName, lastName, displayName,
 *   avatarUrl and userId (the body's user_id, untrusted), those absent left out.
 * options.log(message): one line per failure worth knowing (default: console.error); clients
 *   only ever see the contract's messages.
 */
function identityTokenHandler(options) {
  const endpoint = endpointOptions(options, 'identityTokenHandler', (message) => console.error(message));
  return function identityTokenEndpoint(req, res, next) {
    const head = {
      method: req.method,
      target: req.url, // as received: origin or absolute form (Express: relative to the mount point)
      contentType: req.headers['content-type'] ?? null,
      contentLength: req.headers['content-length'] ?? null,
    };
    const passOn = typeof next === 'function' ? () => next() : null;
    exchange(endpoint, head, readBody(req), req, undefined, passOn).then(
      (answer) => {
        if (answer !== null) write(req, res, answer);
      },
      (error) => { // a bug of this adapter: no answer can be trusted
        endpoint.log(`identity-token: ${error && error.message ? error.message : String(error)}`, 500);
        res.destroy();
      },
    );
  };
}

identityTokenHandler.demoAuthenticate = demoAuthenticate;

module.exports = { identityTokenHandler, demoAuthenticate };
