#!/usr/bin/env node
'use strict';
// The sample backend: the identity-token endpoint (identityTokenHandler) with the demo
// authenticator, on node:http. Started by `scripts/run-backend node` at the repository root.
//
// Configuration, read by the library: LAYER_PROVIDER_ID, LAYER_KEY_ID, LAYER_PRIVATE_KEY (the
// PEM text) or LAYER_PRIVATE_KEY_PATH, LAYER_PRIVATE_KEY_PASSPHRASE, LAYER_TOKEN_TYPE; and
// PORT (default 8080), HOST (default 127.0.0.1). Prints `listening on http://HOST:PORT` on
// stdout when ready (nothing else goes there); SIGTERM stops it cleanly with status 0.

const http = require('node:http');
const { Signer, identityTokenHandler, demoAuthenticate } = require('layer-identity');

function fail(message) {
  process.stderr.write(`backend: ${message}\n`);
  process.exit(1);
}

const host = process.env.HOST || '127.0.0.1';
const port = process.env.PORT === undefined || process.env.PORT === '' ? 8080 : Number(process.env.PORT);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`PORT must be a port number, not ${JSON.stringify(process.env.PORT)}`);

let signer;
try {
  signer = Signer.fromEnv();
} catch (error) {
  fail(`cannot start: ${error.message}`); // the library's message names the variable; never the key
}

process.stderr.write('WARNING: demo authenticator: trusting user_id from the request body; replace it with your own session check\n');

const handler = identityTokenHandler({ signer, authenticate: demoAuthenticate });
// Keep-alive is node:http's default (idle connections kept 5 s).
const server = http.createServer(handler);
server.on('error', (error) => fail(`cannot listen on ${host}:${port}: ${error.message}`));
server.listen(port, host, () => {
  process.stdout.write(`listening on http://${host}:${server.address().port}\n`);
});

// SIGTERM (or Ctrl-C): stop accepting at once, finish the requests in flight, close idle
// keep-alive connections now and as they become idle, give up on stragglers after 4 s, exit 0.
// A second signal while stopping changes nothing (process.on, not once: with once, the second
// would get Node's default action and kill the process with its requests in flight).
let stopping = false;
function stop(signal) {
  if (stopping) {
    process.stderr.write(`backend: ${signal} again: already stopping, finishing the requests in flight\n`);
    return;
  }
  stopping = true;
  server.close(() => {
    signer.close();
    process.exit(0);
  });
  server.closeIdleConnections();
  setInterval(() => server.closeIdleConnections(), 50).unref();
  setTimeout(() => server.closeAllConnections(), 4000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
