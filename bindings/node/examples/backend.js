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
const server = http.createServer(handler);
server.on('error', (error) => fail(`cannot listen on ${host}:${port}: ${error.message}`));
server.listen(port, host, () => {
  process.stdout.write(`listening on http://${host}:${server.address().port}\n`);
});

function stop() {
  // Stop accepting now; finish the requests in flight; close idle keep-alive connections at
  // once and as they become idle; give up on stragglers after 4 s.
  server.close(() => {
    signer.close();
    process.exit(0);
  });
  server.closeIdleConnections();
  setInterval(() => server.closeIdleConnections(), 50).unref();
  setTimeout(() => server.closeAllConnections(), 4000).unref();
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
