'use strict';
// The identity-token contract as the adapters' tests check it: the cases of
// tests/endpoint/cases.json sent over real HTTP on loopback (raw sockets, so each request goes
// out exactly as the case says) and checked as tests/endpoint/README.md says; the kinds of
// authenticate the cases are written for; the shared driver (conformance.py --url).

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const li = require('..');
const h = require('./helpers');

const CASES = JSON.parse(fs.readFileSync(path.join(h.ROOT, 'tests', 'endpoint', 'cases.json'), 'utf8'));
const PUBLIC_PEM_FILE = path.join(h.VECTORS, 'keys/rsa2048.public.pem');
const PUBLIC = crypto.createPublicKey(fs.readFileSync(PUBLIC_PEM_FILE));
const ATTRIBUTES = ['first_name', 'last_name', 'display_name', 'avatar_url'];

/** authenticate for each kind of cases.json (the request object is whatever the adapter gives). */
const AUTHENTICATORS = {
  demo: li.demoAuthenticate,
  demo_wrapped: (request, fields) => li.demoAuthenticate(request, fields),
  reject: () => { throw new Error('no session'); },
  none: () => undefined,
  empty: () => '',
  throws: async () => { throw new Error('no session cookie'); },
  integer: () => 42,
  not_a_user_id: (_request, fields) => ({ boolean: true, float: 42.5, list: ['alice'] })[fields.userId],
};

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

// A chunked body's bytes (RFC 9112 section 7.1), for servers that frame answers so.
function dechunk(raw) {
  const parts = [];
  let at = 0;
  for (;;) {
    const line = raw.indexOf('\r\n', at);
    const size = parseInt(raw.subarray(at, line).toString('latin1'), 16);
    if (!(size > 0)) return Buffer.concat(parts);
    parts.push(raw.subarray(line + 2, line + 2 + size));
    at = line + 2 + size + 2;
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
      const chunked = responseHeaders.some(([n, v]) => n.toLowerCase() === 'transfer-encoding' && /chunked/i.test(v));
      resolve({ status: Number(statusLine.split(' ')[1]), headers: responseHeaders, body: chunked ? dechunk(raw.subarray(end + 4)) : raw.subarray(end + 4) });
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

// A token's iat lies between this module's load and its check, in whole seconds: a rule that
// holds however slowly the machine runs (valgrind, a busy CI), unlike a tolerance around the
// time of the check, which a case that took 30 s under valgrind failed.
const LOADED_AT = Math.floor(Date.now() / 1000);

function checkToken(token, expected) {
  const now = Math.ceil(Date.now() / 1000);
  const decoded = h.independentVerify(token, PUBLIC); // canonical base64url, RS256 by node:crypto
  assert.equal(decoded.header, JSON.stringify({ typ: 'JWS', alg: 'RS256', cty: 'layer-eit;v=1', kid: h.KEY_ID }));
  const claims = JSON.parse(decoded.claims);
  assert.ok(Number.isInteger(claims.iat) && Number.isInteger(claims.exp));
  assert.equal(claims.exp - claims.iat, CASES.token_lifetime_seconds);
  assert.ok(claims.iat >= LOADED_AT && claims.iat <= now, `iat ${claims.iat} is outside this run [${LOADED_AT}, ${now}]`);
  const wanted = { iss: h.PROVIDER_ID, prn: expected.prn, iat: claims.iat, exp: claims.exp, nce: expected.nce };
  for (const name of ATTRIBUTES) if (name in expected) wanted[name] = expected[name];
  assert.equal(decoded.claims, JSON.stringify(wanted));
}

function isJsonObject(bytes) {
  try {
    const value = JSON.parse(bytes.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}

function checkResponse(c, response) {
  const expected = c.expected;
  // A request whose framing is invalid may be refused by the HTTP server before the endpoint
  // sees it: its own 400, not a JSON object, closing the connection (RFC 9112 section 6.3).
  if (expected.server_may_refuse && response.status === 400 && !isJsonObject(response.body)) {
    assert.ok(values(response, 'Connection').some((v) => /close/i.test(v)), 'the server\'s own 400 closes the connection');
    return;
  }
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
  if (length.length) assert.equal(Number(length[0]), response.body.length);
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


/** Every case of `kind` (all kinds when null) sent to port, checked; `skip(c)` names cases left out. */
async function runCases(t, ports, { skip = () => false } = {}) {
  let count = 0;
  for (const c of CASES.cases) {
    if (!(c.authenticator in ports) || skip(c)) continue;
    count++;
    await t.test(c.name, async () => {
      const [method, target, headers, body] = requestParts(c);
      checkResponse(c, await send(ports[c.authenticator], method, target, headers, body));
    });
  }
  return count;
}

// The servers live in the test's process, so the driver runs asynchronously (spawnSync would
// block the event loop that serves its requests).
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

/** conformance.py --url against a server mounted with `kind`; resolves with its summary line. */
async function driver(url, kind, extra = []) {
  const result = await run('/usr/bin/python3', [
    path.join(h.ROOT, 'tests', 'endpoint', 'conformance.py'), '--url', url,
    '--public-key', PUBLIC_PEM_FILE, '--provider-id', h.PROVIDER_ID, '--key-id', h.KEY_ID, '--authenticator', kind, ...extra,
  ]);
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  const summary = result.stdout.trim().split('\n').pop();
  assert.match(summary, /cases passed$/);
  return summary;
}

module.exports = { CASES, PUBLIC, PUBLIC_PEM_FILE, AUTHENTICATORS, bodyBytes, send, requestParts, checkResponse, checkToken, runCases, driver, values };
