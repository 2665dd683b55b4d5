'use strict';
// identityTokenHandler against every case of tests/endpoint/cases.json over real HTTP on
// loopback (raw sockets, so each request goes out exactly as the case says), with the checks
// of tests/endpoint/README.md; then the shared driver (conformance.py --url) against the same
// servers; then what the cases cannot show: a failing signer (500), authenticate's contract,
// and mounting in Express.

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const { test, before, after } = require('node:test');

const li = require('..');
const h = require('./helpers');

const CASES = JSON.parse(fs.readFileSync(path.join(h.ROOT, 'tests', 'endpoint', 'cases.json'), 'utf8'));
const PUBLIC_PEM_FILE = path.join(h.VECTORS, 'keys/rsa2048.public.pem');
const PUBLIC = crypto.createPublicKey(fs.readFileSync(PUBLIC_PEM_FILE));
const ATTRIBUTES = ['first_name', 'last_name', 'display_name', 'avatar_url'];
const signer = new li.Signer({ privateKey: h.keyBytes('keys/rsa2048.pkcs8.pem'), providerId: h.PROVIDER_ID, keyId: h.KEY_ID });
const logged = [];
const servers = {};

function listen(handler) {
  return new Promise((resolve) => {
    const server = http.createServer(handler);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

before(async () => {
  const log = (message) => logged.push(message);
  servers.demo = await listen(li.identityTokenHandler({ signer, authenticate: li.demoAuthenticate, log }));
  servers.reject = await listen(li.identityTokenHandler({ signer, authenticate: () => { throw new Error('no session'); }, log }));
});

after(() => {
  for (const server of Object.values(servers)) server.close();
  signer.close();
});

function bodyBytes(body) {
  if (body === null || body === undefined) return null;
  const [[kind, value]] = Object.entries(body);
  switch (kind) {
    case 'text': return Buffer.from(value, 'utf8');
    case 'json': return Buffer.from(JSON.stringify(value), 'utf8');
    case 'form': return Buffer.from(new URLSearchParams(value).toString(), 'ascii');
    case 'base64': return Buffer.from(value, 'base64');
    case 'repeat': return Buffer.from((value.prefix || '') + value.text.repeat(value.count) + (value.suffix || ''), 'utf8');
    default: throw new Error(`unknown body kind ${kind}`);
  }
}

// One request on a new connection, bytes exactly as given; resolves with the raw response.
function send(port, method, target, headers, body) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks = [];
    socket.setTimeout(10000, () => socket.destroy(new Error('timeout')));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error) => {
      if (['EPIPE', 'ECONNRESET'].includes(error.code) && chunks.length) return; // answered before reading it all
      reject(error);
    });
    socket.on('close', () => {
      const raw = Buffer.concat(chunks);
      const end = raw.indexOf('\r\n\r\n');
      if (end === -1) return reject(new Error(`no response: ${raw.toString('latin1').slice(0, 200)}`));
      const [statusLine, ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
      const responseHeaders = lines.map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]);
      resolve({ status: Number(statusLine.split(' ')[1]), headers: responseHeaders, body: raw.subarray(end + 4) });
    });
    let head = `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`;
    for (const [name, value] of headers) head += `${name}: ${value}\r\n`;
    head += 'Connection: close\r\n\r\n';
    socket.write(Buffer.from(head, 'latin1'));
    if (body) socket.write(body);
  });
}

function requestParts(c) {
  const headers = c.request.headers.map(([n, v]) => [n, v]);
  const body = bodyBytes(c.request.body);
  if (body !== null && !headers.some(([n]) => n.toLowerCase() === 'content-length')) headers.push(['Content-Length', String(body.length)]);
  return [c.request.method, c.request.path, headers, body];
}

const values = (response, name) => response.headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);

function clientTexts(target, body) {
  const texts = [target];
  if (body) {
    const raw = body.toString('utf8');
    texts.push(raw);
    try { texts.push(decodeURIComponent(raw.replace(/\+/g, ' '))); } catch { /* not form data */ }
    const walk = (v) => {
      if (typeof v === 'string') texts.push(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) { texts.push(k); walk(x); }
    };
    try { walk(JSON.parse(raw)); } catch { /* not JSON */ }
  }
  return texts;
}

function checkToken(token, expected) {
  const now = Date.now() / 1000;
  const decoded = h.independentVerify(token, PUBLIC); // canonical base64url, RS256 by node:crypto
  assert.equal(decoded.header, JSON.stringify({ typ: 'JWS', alg: 'RS256', cty: 'layer-eit;v=1', kid: h.KEY_ID }));
  const claims = JSON.parse(decoded.claims);
  assert.ok(Number.isInteger(claims.iat) && Number.isInteger(claims.exp));
  assert.equal(claims.exp - claims.iat, CASES.token_lifetime_seconds);
  assert.ok(Math.abs(claims.iat - now) <= 5, `iat ${claims.iat} is far from now`);
  const wanted = { iss: h.PROVIDER_ID, prn: expected.prn, iat: claims.iat, exp: claims.exp, nce: expected.nce };
  for (const name of ATTRIBUTES) if (name in expected) wanted[name] = expected[name];
  assert.equal(decoded.claims, JSON.stringify(wanted));
}

function checkResponse(c, response) {
  const expected = c.expected;
  assert.equal(response.status, expected.status, `status ${response.status} ${response.body.toString().slice(0, 200)}`);
  const cacheControl = values(response, 'Cache-Control').flatMap((v) => v.split(',').map((d) => d.trim().toLowerCase()));
  assert.ok(cacheControl.includes('no-store'), 'Cache-Control: no-store');
  if (expected.allow !== null) {
    const allow = values(response, 'Allow');
    assert.equal(allow.length, 1);
    assert.deepEqual(new Set(allow[0].split(',').map((m) => m.trim())), new Set(expected.allow.split(',').map((m) => m.trim())));
  }
  if (c.request.method === 'HEAD') {
    assert.equal(response.body.length, 0, 'a response to HEAD carried a body');
    return;
  }
  const contentType = values(response, 'Content-Type');
  assert.equal(contentType.length, 1);
  const [type, ...parameters] = contentType[0].split(';').map((p) => p.trim().toLowerCase());
  assert.equal(type, 'application/json');
  assert.ok(parameters.every((p) => p.replace(/\s/g, '') === 'charset=utf-8'), contentType[0]);
  const length = values(response, 'Content-Length');
  assert.equal(Number(length[0]), response.body.length);
  const text = new TextDecoder('utf-8', { fatal: true }).decode(response.body);
  const document = JSON.parse(text);
  assert.ok(!text.includes('PRIVATE KEY'));
  if (expected.error_code !== null) {
    assert.deepEqual(Object.keys(document), ['error']);
    assert.deepEqual(Object.keys(document.error).sort(), ['code', 'message']);
    assert.equal(document.error.code, expected.error_code);
    const { message } = document.error;
    assert.ok(typeof message === 'string' && message.length > 0);
    if (expected.message !== undefined) assert.equal(message, expected.message);
    if (expected.message_contains !== undefined) assert.ok(message.includes(expected.message_contains), message);
    const [, target, , body] = requestParts(c);
    const texts = clientTexts(target, body);
    for (let i = 0; i + 65 <= message.length; i++) {
      const window = message.slice(i, i + 65);
      assert.ok(!texts.some((t) => t.includes(window)), `the message echoes client input: ${window}`);
    }
  } else if (expected.token !== null) {
    assert.deepEqual(Object.keys(document), ['identity_token']);
    checkToken(document.identity_token, expected.token);
  } else if (expected.json !== undefined) {
    assert.deepEqual(document, expected.json);
  }
}

test('every case of tests/endpoint/cases.json, over HTTP on loopback', async (t) => {
  assert.ok(CASES.cases.length >= 129);
  for (const c of CASES.cases) {
    await t.test(c.name, async () => {
      const server = servers[c.authenticator];
      assert.ok(server, `authenticator ${c.authenticator}`);
      const [method, target, headers, body] = requestParts(c);
      checkResponse(c, await send(server.address().port, method, target, headers, body));
    });
  }
});

// The servers live in this process, so the driver runs asynchronously (spawnSync would block
// the event loop that serves its requests).
function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('the shared driver (conformance.py --url) passes against the same handler', async (t) => {
  for (const authenticator of ['demo', 'reject']) {
    const result = await run('/usr/bin/python3', [
      path.join(h.ROOT, 'tests', 'endpoint', 'conformance.py'), '--url', `http://127.0.0.1:${servers[authenticator].address().port}`,
      '--public-key', PUBLIC_PEM_FILE, '--provider-id', h.PROVIDER_ID, '--key-id', h.KEY_ID, '--authenticator', authenticator,
    ]);
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    const summary = result.stdout.trim().split('\n').pop();
    assert.match(summary, /cases passed$/);
    t.diagnostic(`${authenticator}: ${summary}`);
  }
});

async function post(server, body, headers = {}) {
  const response = await fetch(`http://127.0.0.1:${server.address().port}/identity-token`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

test('a signing failure is 500 server_error with the fixed message; the details go to the log only', async () => {
  const failures = [
    new li.LayerIdentityError('boom: the detail', { code: 'LAYER_ERR_INTERNAL' }),
    new li.LayerIdentityError('key gone', { code: 'LAYER_ERR_CRYPTO' }),
    new Error('the closed signer detail'),
  ];
  for (const failure of failures) {
    const messages = [];
    const failing = { signAsync: () => Promise.reject(failure) };
    const server = await listen(li.identityTokenHandler({ signer: failing, authenticate: li.demoAuthenticate, log: (m) => messages.push(m) }));
    try {
      const response = await post(server, { nonce: 'n', user_id: 'u' });
      assert.equal(response.status, 500);
      assert.deepEqual(response.body, { error: { code: 'server_error', message: 'could not create the identity token' } });
      assert.ok(messages.some((m) => m.includes(failure.message)), messages.join('\n'));
    } finally {
      server.close();
    }
  }
  // A closed signer is such a failure too.
  const closed = new li.Signer({ privateKey: h.keyBytes('keys/rsa2048.pkcs8.pem'), providerId: h.PROVIDER_ID, keyId: h.KEY_ID });
  closed.close();
  const messages = [];
  const server = await listen(li.identityTokenHandler({ signer: closed, authenticate: li.demoAuthenticate, log: (m) => messages.push(m) }));
  try {
    assert.equal((await post(server, { nonce: 'n', user_id: 'u' })).status, 500);
    assert.match(messages.join('\n'), /signer is closed/);
  } finally {
    server.close();
  }
});

test('authenticate gets the request and the checked fields; its failures are 401, bad results 500', async () => {
  const seen = [];
  const authenticate = async (req, fields) => {
    seen.push(fields);
    const session = /session=(\w+)/.exec(req.headers.cookie || '');
    if (!session) throw new Error('no session cookie');
    if (session[1] === 'number') return 42;
    if (session[1] === 'empty') return '';
    return `user-of-${session[1]}`;
  };
  const messages = [];
  const server = await listen(li.identityTokenHandler({ signer, authenticate, log: (m) => messages.push(m) }));
  try {
    const ok = await post(server, { nonce: 'n1', first_name: 'Zoë', user_id: 'ignored' }, { Cookie: 'session=abc' });
    assert.equal(ok.status, 200);
    const claims = JSON.parse(h.independentVerify(ok.body.identity_token, PUBLIC).claims);
    assert.equal(claims.prn, 'user-of-abc');
    assert.equal(claims.first_name, 'Zoë');
    assert.equal(seen[0].nonce, 'n1');
    assert.equal(seen[0].firstName, 'Zoë');
    assert.equal(seen[0].body.user_id, 'ignored');
    assert.ok(Object.isFrozen(seen[0]));
    const none = await post(server, { nonce: 'n2' });
    assert.deepEqual([none.status, none.body], [401, { error: { code: 'unauthenticated', message: 'authentication required' } }]);
    assert.match(messages.join('\n'), /no session cookie/);
    for (const cookie of ['session=number', 'session=empty']) {
      const bad = await post(server, { nonce: 'n3' }, { Cookie: cookie });
      assert.deepEqual([bad.status, bad.body.error.code], [500, 'server_error']);
    }
    const badNonce = await post(server, { nonce: '' }); // fields are checked before authentication
    assert.deepEqual([badNonce.status, badNonce.body.error.code], [400, 'invalid_field']);
  } finally {
    server.close();
  }
});

test('mounted in Express: under a prefix, other routes still served, body parsers tolerated', async () => {
  const express = require('express');
  const app = express();
  app.get('/', (req, res) => res.send('home'));
  app.use('/layer', li.identityTokenHandler({ signer, authenticate: li.demoAuthenticate }));
  app.use('/parsed', express.json(), li.identityTokenHandler({ signer, authenticate: li.demoAuthenticate }));
  const server = await listen(app);
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    assert.equal(await (await fetch(`${base}/`)).text(), 'home');
    assert.deepEqual(await (await fetch(`${base}/layer/healthz`)).json(), { status: 'ok' });
    for (const prefix of ['/layer', '/parsed']) {
      const response = await fetch(`${base}${prefix}/identity-token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ nonce: 'n', user_id: 'alice' }) });
      assert.equal(response.status, 200);
      assert.equal(JSON.parse(h.independentVerify((await response.json()).identity_token, PUBLIC).claims).prn, 'alice');
    }
    const form = await fetch(`${base}/layer/identity-token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'nonce=a%2Bb&user_id=bob' });
    assert.equal(JSON.parse(h.independentVerify((await form.json()).identity_token, PUBLIC).claims).nce, 'a+b');
    const wrong = await fetch(`${base}/layer/identity-token`, { method: 'GET' });
    assert.deepEqual([wrong.status, wrong.headers.get('allow')], [405, 'POST']);
    assert.equal((await fetch(`${base}/layer/elsewhere`)).status, 404); // Express's own 404, via next()
  } finally {
    server.close();
  }
});

test('the handler rejects bad options with a TypeError', () => {
  assert.throws(() => li.identityTokenHandler(), TypeError);
  assert.throws(() => li.identityTokenHandler({ signer }), { name: 'TypeError', message: /authenticate/ });
  assert.throws(() => li.identityTokenHandler({ signer, authenticate() {}, log: 'x' }), { name: 'TypeError', message: /log/ });
  assert.equal(li.identityTokenHandler.demoAuthenticate, li.demoAuthenticate);
});
