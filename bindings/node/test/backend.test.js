'use strict';
// The sample backend (examples/backend.js) as scripts/run-backend starts it: keep-alive, and a
// graceful SIGTERM that a second SIGTERM does not turn into a kill.

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');
const { test } = require('node:test');

const h = require('./helpers');
const contract = require('./contract');

function start() {
  const env = { ...process.env, LAYER_PROVIDER_ID: h.PROVIDER_ID, LAYER_KEY_ID: h.KEY_ID, LAYER_PRIVATE_KEY_PATH: path.join(h.VECTORS, 'keys/rsa2048.pkcs8.pem'), PORT: '0', HOST: '127.0.0.1' };
  for (const name of ['LAYER_PRIVATE_KEY', 'LAYER_PRIVATE_KEY_PASSPHRASE', 'LAYER_TOKEN_TYPE', 'LAYER_IDENTITY_ADDON']) delete env[name];
  const child = spawn(process.execPath, [path.join(h.PACKAGE, 'examples', 'backend.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
  const ready = new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /^listening on http:\/\/127\.0\.0\.1:(\d+)\n/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    exited.then((e) => reject(new Error(`the backend exited: ${JSON.stringify(e)}`)));
  });
  return { child, ready, exited };
}

// Reads from a socket until `predicate(text so far)` holds.
function until(socket, predicate) {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (d) => {
      text += d;
      if (predicate(text)) {
        socket.off('data', onData);
        resolve(text);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

const requestHead = (length) => `POST /identity-token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
const body = '{"nonce":"n","user_id":"in-flight"}';

test('keep-alive: several requests on one connection', async () => {
  const { child, ready, exited } = start();
  const port = await ready;
  const socket = net.connect(port, '127.0.0.1');
  try {
    for (let i = 0; i < 3; i++) {
      socket.write(requestHead(body.length) + body);
      const answer = await until(socket, (t) => /\r\n\r\n\{"identity_token":"[^"]+"\}$/.test(t));
      assert.match(answer, /^HTTP\/1\.1 200 /);
      assert.doesNotMatch(answer, /Connection: close/i);
    }
  } finally {
    socket.destroy();
    child.kill('SIGTERM');
  }
  assert.deepEqual(await exited.then(({ code, signal }) => [code, signal]), [0, null]);
});

test('a second SIGTERM while stopping neither kills the process nor loses the request in flight', async () => {
  const { child, ready, exited } = start();
  const port = await ready;
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  // In flight: the server has read the head (its 100 Continue says so), and waits for the body.
  socket.write(requestHead(body.length).replace('\r\n\r\n', '\r\nExpect: 100-continue\r\n\r\n'));
  await until(socket, (t) => t.includes('HTTP/1.1 100 Continue\r\n\r\n'));
  child.kill('SIGTERM');
  // Stopping: new connections are refused (the listening socket is closed).
  for (;;) {
    const refused = await fetch(`http://127.0.0.1:${port}/healthz`).then(() => false, () => true);
    if (refused) break;
  }
  child.kill('SIGTERM');
  while (!/SIGTERM again: already stopping/.test(stderr)) await new Promise((resolve) => child.stderr.once('data', resolve));
  assert.equal(child.exitCode, null, 'the second SIGTERM did not end the process');
  const answer = until(socket, (t) => /\r\n\r\n\{"identity_token":"[^"]+"\}$/.test(t));
  socket.write(body);
  const text = await answer;
  const token = /"identity_token":"([^"]+)"/.exec(text)[1];
  assert.equal(JSON.parse(h.independentVerify(token, contract.PUBLIC).claims).prn, 'in-flight');
  const { code, signal } = await exited; // the keep-alive connection is closed for it
  assert.deepEqual([code, signal], [0, null], stderr);
  socket.destroy();
});
