'use strict';
// The endpoint adapter in process, without a server (so make check runs it): the cases of
// tests/endpoint/cases.json that a Request can carry as sent, for every kind of authenticate,
// through identityTokenFetchHandler (a Request in, a Response out); how much of a body it
// reads; the mount prefix.

const assert = require('node:assert/strict');
const { test, after } = require('node:test');

const li = require('..');
const h = require('./helpers');
const contract = require('./contract');
const { relativeTarget } = require('../lib/endpoint');

const signer = new li.Signer({ privateKey: h.keyBytes('keys/rsa2048.pkcs8.pem'), providerId: h.PROVIDER_ID, keyId: h.KEY_ID });
after(() => signer.close());

const handlers = Object.fromEntries(Object.entries(contract.AUTHENTICATORS)
  .map(([kind, authenticate]) => [kind, li.identityTokenFetchHandler({ signer, authenticate, log: () => {} })]));

// A Request for the case, or null when a Request cannot carry it as sent (a URL normalizes
// the path, fetch sets Content-Length itself, a body on GET or HEAD).
function requestFor(c) {
  const [method, target, headers, body] = contract.requestParts(c);
  const url = target.startsWith('/') ? `http://localhost${target}` : target;
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const path = target.startsWith('/') ? target : target.slice(target.indexOf('/', target.indexOf('://') + 3));
  if (parsed.pathname + parsed.search !== path) return null;
  if (c.request.headers.some(([n]) => n.toLowerCase() === 'content-length')) return null;
  if (body !== null && ['GET', 'HEAD'].includes(method)) return null;
  return new Request(url, { method, headers: headers.filter(([n]) => n.toLowerCase() !== 'content-length'), body });
}

// The contract's iat rule holds however slowly the machine runs: under valgrind (make sanitize)
// a case took 30 s between signing and checking, and a 5 s tolerance around the check failed it.
test('contract.checkToken: a token checked 30 s after signing passes; one issued before the run fails', () => {
  const token = signer.sign({ userId: 'user-42', nonce: 'nonce-abc' });
  const realNow = Date.now;
  Date.now = () => realNow() + 30_000;
  try {
    contract.checkToken(token, { prn: 'user-42', nce: 'nonce-abc' });
  } finally {
    Date.now = realNow;
  }
  const stale = signer.sign({ userId: 'user-42', nonce: 'nonce-abc', issuedAt: Math.floor(Date.now() / 1000) - 3600 });
  assert.throws(() => contract.checkToken(stale, { prn: 'user-42', nce: 'nonce-abc' }), /is outside this run/);
});

test('the cases a Request can carry, for every kind of authenticate, a Request in and a Response out', async (t) => {
  let count = 0;
  for (const c of contract.CASES.cases) {
    const request = requestFor(c);
    if (request === null) continue;
    count++;
    await t.test(c.name, async () => {
      const response = await handlers[c.authenticator](request);
      const headers = [...response.headers.entries()];
      contract.checkResponse(c, { status: response.status, headers, body: Buffer.from(await response.arrayBuffer()) });
    });
  }
  assert.ok(count >= 120, `${count} cases`);
  t.diagnostic(`${count} of ${contract.CASES.cases.length} cases in process (the rest need raw bytes on a socket)`);
});

test('a body over the limit is read only as far as the library needs (65537 bytes), then 413', async () => {
  let pulled = 0;
  const endless = new ReadableStream({ pull(controller) { pulled += 1024; controller.enqueue(new Uint8Array(1024)); } });
  const response = await handlers.demo(new Request('http://localhost/identity-token', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: endless, duplex: 'half' }));
  assert.equal(response.status, 413);
  assert.equal(response.headers.get('connection'), 'close');
  assert.ok(pulled <= 65536 + 2 * 1024, `${pulled} bytes pulled`);
});

test('a request whose body fails midway is logged on one line, and answered for nobody', async () => {
  const messages = [];
  const handler = li.identityTokenFetchHandler({ signer, authenticate: li.demoAuthenticate, log: (m) => messages.push(m) });
  let pulls = 0;
  const failing = new ReadableStream({
    pull(controller) {
      if (pulls++ === 0) controller.enqueue(new TextEncoder().encode('{"nonce":'));
      else controller.error(new Error('socket hang up'));
    },
  });
  await handler(new Request('http://localhost/identity-token', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: failing, duplex: 'half' }));
  assert.deepEqual(messages, ["identity-token: the request's body ended early after 9 bytes (socket hang up); no answer sent"]);
});

test('the mount prefix comes off the path, in origin and absolute form, at a segment boundary', () => {
  const cases = [
    ['/layer/identity-token', '/layer', '/identity-token'],
    ['/layer/identity-token?x=1', '/layer', '/identity-token?x=1'],
    ['/layer', '/layer', '/'],
    ['/layer?x', '/layer', '/?x'],
    ['/layerx/identity-token', '/layer', '/layerx/identity-token'],
    ['/other/identity-token', '/layer', '/other/identity-token'],
    ['http://h:1/layer/healthz?p', '/layer', 'http://h:1/healthz?p'],
    ['http://h:1/layer', '/layer', 'http://h:1/'],
    ['http://h:1', '/layer', 'http://h:1'],
    ['/identity-token', '', '/identity-token'],
  ];
  for (const [target, prefix, expected] of cases) assert.equal(relativeTarget(target, prefix), expected, `${target} under ${prefix}`);
});
