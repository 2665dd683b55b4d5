'use strict';
// identityTokenHandler (node:http and Express) against every case of tests/endpoint/cases.json
// for every kind of authenticate, over real HTTP on loopback, then the shared driver against
// the same servers; then what the cases cannot show: the 500 paths, authenticate's outcomes,
// the logs, absolute-form targets, Express mounting and body parsers in front.

const assert = require('node:assert/strict');
const http = require('node:http');
const net = require('node:net');
const { test, before, after } = require('node:test');

const li = require('..');
const h = require('./helpers');
const contract = require('./contract');

const signer = new li.Signer({ privateKey: h.keyBytes('keys/rsa2048.pkcs8.pem'), providerId: h.PROVIDER_ID, keyId: h.KEY_ID });
const servers = {};
const ports = {};

function listen(handler) {
  return new Promise((resolve) => {
    const server = http.createServer(handler);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

const url = (server, path = '/identity-token') => `http://127.0.0.1:${server.address().port}${path}`;

before(async () => {
  for (const [kind, authenticate] of Object.entries(contract.AUTHENTICATORS)) {
    servers[kind] = await listen(li.identityTokenHandler({ signer, authenticate, log: () => {} }));
    ports[kind] = servers[kind].address().port;
  }
});

after(() => {
  for (const server of Object.values(servers)) server.close();
  signer.close();
});

test('every case of tests/endpoint/cases.json, for every kind of authenticate, over HTTP on loopback', async (t) => {
  const count = await contract.runCases(t, ports);
  assert.equal(count, contract.CASES.cases.length);
  assert.ok(count >= 170, `${count} cases`);
});

test('the shared driver (conformance.py --url) passes for every kind of authenticate', async (t) => {
  for (const kind of Object.keys(contract.AUTHENTICATORS)) {
    const summary = await contract.driver(`http://127.0.0.1:${ports[kind]}`, kind, kind === 'demo' ? ['--pipelining'] : []);
    t.diagnostic(`node:http ${kind}: ${summary}`);
  }
});

// One request's answer: { status, body (parsed JSON or null) }.
async function post(target, body, headers = {}) {
  const response = await fetch(target, {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

const prnOf = (token) => JSON.parse(h.independentVerify(token, contract.PUBLIC).claims).prn;
const SERVER_ERROR = { error: { code: 'server_error', message: 'could not create the identity token' } };
const UNAUTHENTICATED = { error: { code: 'unauthenticated', message: 'authentication required' } };

test('the 500 path: the adapter\'s own failure (a closed signer) and a user ID the library refuses', async () => {
  const messages = [];
  const closed = new li.Signer({ privateKey: h.keyBytes('keys/rsa2048.pkcs8.pem'), providerId: h.PROVIDER_ID, keyId: h.KEY_ID });
  const server = await listen(li.identityTokenHandler({ signer: closed, authenticate: li.demoAuthenticate, log: (m) => messages.push(m) }));
  const nul = await listen(li.identityTokenHandler({ signer, authenticate: () => 'al\0ice', log: (m) => messages.push(m) }));
  try {
    assert.equal((await post(url(server), { nonce: 'n', user_id: 'u' })).status, 200);
    closed.close();
    assert.deepEqual(await post(url(server), { nonce: 'n', user_id: 'u' }), { status: 500, body: SERVER_ERROR });
    assert.deepEqual(messages, ['identity-token: 500: the endpoint failed: the signer is closed']);
    assert.deepEqual(await post(url(nul), { nonce: 'n' }), { status: 500, body: SERVER_ERROR });
    assert.match(messages[1], /^identity-token: 500: authenticate returned a user ID that contains U\+0000$/);
  } finally {
    server.close();
    nul.close();
  }
});

test('authenticate\'s outcomes: a user ID, an integer, nothing, a failure, anything else', async () => {
  const outcomes = [
    // [returned, status, prn or error code, log]
    ['alice', 200, 'alice', null],
    ['grin 😀', 200, 'grin 😀', null],
    [42, 200, '42', null],
    [-7, 200, '-7', null],
    [2 ** 53 - 1, 200, '9007199254740991', null],
    [12345678901234567890n, 200, '12345678901234567890', null],
    [null, 401, 'unauthenticated', 'identity-token: 401: authenticate returned no user'],
    [undefined, 401, 'unauthenticated', 'identity-token: 401: authenticate returned no user'],
    ['', 401, 'unauthenticated', 'identity-token: 401: authenticate returned no user'],
    [true, 500, 'server_error', 'identity-token: 500: authenticate returned a boolean, which is not a user ID (a non-empty string)'],
    [false, 500, 'server_error', /a boolean/],
    [42.5, 500, 'server_error', /a number that is not an integer/],
    [2 ** 53, 500, 'server_error', /beyond Number\.MAX_SAFE_INTEGER/],
    [NaN, 500, 'server_error', /not an integer/],
    [['alice'], 500, 'server_error', /an array/],
    [{ id: 'alice' }, 500, 'server_error', /a value of type object/],
    [new String('alice'), 500, 'server_error', /a value of type object/],
    ['x\uD800', 500, 'server_error', /not valid UTF-8/],
  ];
  for (const [returned, status, expected, log] of outcomes) {
    for (const form of ['value', 'promise']) {
      const messages = [];
      const authenticate = form === 'value' ? () => returned : async () => returned;
      const server = await listen(li.identityTokenHandler({ signer, authenticate, log: (m) => messages.push(m) }));
      try {
        const response = await post(url(server), { nonce: 'n' });
        const label = `${typeof returned} ${String(returned)} (${form})`;
        assert.equal(response.status, status, label);
        if (status === 200) assert.equal(prnOf(response.body.identity_token), expected, label);
        else assert.equal(response.body.error.code, expected, label);
        if (status === 401) assert.deepEqual(response.body, UNAUTHENTICATED);
        if (status === 500) assert.deepEqual(response.body, SERVER_ERROR);
        if (log === null) assert.deepEqual(messages, [], label);
        else if (typeof log === 'string') assert.deepEqual(messages, [log], label);
        else assert.ok(messages.length === 1 && log.test(messages[0]), `${label}: ${messages}`);
      } finally {
        server.close();
      }
    }
  }
});

test('a failing authenticate is 401 with ONE log line: no stack trace, whatever it threw', async () => {
  const failures = [
    [() => { throw new Error('no session cookie'); }, 'identity-token: 401: authenticate failed: no session cookie'],
    [async () => { throw new TypeError('req.session is undefined'); }, 'identity-token: 401: authenticate failed: TypeError: req.session is undefined'],
    [() => Promise.reject(new Error('line one\nline two')), 'identity-token: 401: authenticate failed: line one'],
    [() => { throw 'a string'; }, 'identity-token: 401: authenticate failed: a string'],
  ];
  for (const [authenticate, line] of failures) {
    const messages = [];
    const server = await listen(li.identityTokenHandler({ signer, authenticate, log: (m) => messages.push(m) }));
    try {
      assert.deepEqual(await post(url(server), { nonce: 'n' }), { status: 401, body: UNAUTHENTICATED });
      assert.deepEqual(messages, [line]);
    } finally {
      server.close();
    }
  }
  // The default log (console.error) gets the same single line.
  const written = [];
  const original = console.error;
  console.error = (...a) => written.push(a);
  const server = await listen(li.identityTokenHandler({ signer, authenticate: () => { throw new Error('nope'); } }));
  try {
    assert.equal((await post(url(server), { nonce: 'n' })).status, 401);
  } finally {
    console.error = original;
    server.close();
  }
  assert.deepEqual(written, [['identity-token: 401: authenticate failed: nope']]);
});

test('an aborted request logs one line and is not answered', async () => {
  const messages = [];
  let logged;
  const done = new Promise((resolve) => { logged = resolve; });
  const server = await listen(li.identityTokenHandler({ signer, authenticate: li.demoAuthenticate, log: (m) => { messages.push(m); logged(); } }));
  try {
    const socket = net.connect(server.address().port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('POST /identity-token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"nonce":');
    await new Promise((resolve) => setImmediate(resolve));
    socket.destroy();
    await done;
    assert.equal(messages.length, 1);
    assert.match(messages[0], /^identity-token: the client closed the connection after \d+ bytes of the body; no answer sent$/);
  } finally {
    server.close();
  }
});

test('an absolute-form target (RFC 9112 section 3.2.2) is routed by its path', async () => {
  for (const target of ['http://127.0.0.1/identity-token', 'HTTP://example.com:8080/identity-token?x=1']) {
    const c = {
      request: { method: 'POST', path: target, headers: [['Content-Type', 'application/json']], body: { json: { nonce: 'n', user_id: 'abs' } } },
      expected: { status: 200, error_code: null, allow: null, token: { prn: 'abs', nce: 'n' } },
    };
    const [method, , headers, body] = contract.requestParts(c);
    contract.checkResponse(c, await contract.send(ports.demo, method, target, headers, body));
  }
  const health = await contract.send(ports.demo, 'GET', 'http://127.0.0.1/healthz', [], null);
  assert.equal(health.status, 200);
});

test('Express: under a prefix, other routes still served, unknown paths to next(), absolute form', async () => {
  const express = require('express');
  const app = express();
  app.get('/', (req, res) => res.send('home'));
  app.use('/layer', li.identityTokenHandler({ signer, authenticate: li.demoAuthenticate }));
  const server = await listen(app);
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    assert.equal(await (await fetch(`${base}/`)).text(), 'home');
    assert.deepEqual(await (await fetch(`${base}/layer/healthz`)).json(), { status: 'ok' });
    const ok = await post(`${base}/layer/identity-token`, { nonce: 'n', user_id: 'alice' });
    assert.equal(prnOf(ok.body.identity_token), 'alice');
    const form = await fetch(`${base}/layer/identity-token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'nonce=a%2Bb&user_id=bob' });
    assert.equal(JSON.parse(h.independentVerify((await form.json()).identity_token, contract.PUBLIC).claims).nce, 'a+b');
    const wrong = await fetch(`${base}/layer/identity-token`, { method: 'GET' });
    assert.deepEqual([wrong.status, wrong.headers.get('allow')], [405, 'POST']);
    const elsewhere = await fetch(`${base}/layer/elsewhere`);
    assert.equal(elsewhere.status, 404);
    assert.match(await elsewhere.text(), /Cannot GET \/layer\/elsewhere/); // Express's own 404, via next()
    const absolute = await contract.send(server.address().port, 'POST', `${base}/layer/identity-token`,
      [['Content-Type', 'application/json'], ['Content-Length', '26']], Buffer.from('{"nonce":"n","user_id":"x"}'.slice(0, 26)));
    assert.equal(absolute.status, 400); // reached the endpoint (a cut body: invalid JSON), not Express's 404
    assert.equal(JSON.parse(absolute.body).error.code, 'invalid_json');
  } finally {
    server.close();
  }
});

test('behind express.json(): never signs from a body whose duplicates were merged; raw bytes are used when kept', async () => {
  const express = require('express');
  const messages = [];
  const log = (m) => messages.push(m);
  const app = express();
  app.use('/parsed', express.json(), li.identityTokenHandler({ signer, authenticate: li.demoAuthenticate, log }));
  app.use('/raw', express.raw({ type: () => true }), li.identityTokenHandler({ signer, authenticate: li.demoAuthenticate, log }));
  app.use('/verify', express.json({ verify: (req, _res, bytes) => { req.rawBody = bytes; } }), li.identityTokenHandler({ signer, authenticate: li.demoAuthenticate, log }));
  app.use('/form', express.json(), li.identityTokenHandler({ signer, authenticate: li.demoAuthenticate, log })); // json() skips a form body
  const server = await listen(app);
  const base = `http://127.0.0.1:${server.address().port}`;
  const duplicate = '{"nonce":"n","user_id":"alice","user_id":"admin"}';
  try {
    // express.json() kept "admin" (the last one): the endpoint cannot see the body as sent.
    assert.deepEqual(await post(`${base}/parsed/identity-token`, duplicate), { status: 500, body: SERVER_ERROR });
    assert.equal(messages.length, 1);
    assert.match(messages[0], /^identity-token: 500: the request body was read by another middleware \(a body parser such as express\.json\(\)\).*mount identityTokenHandler before any body parser, or give it the raw bytes \(app\.use\(path, express\.raw\(\{ type: \(\) => true \}\), identityTokenHandler\(\.\.\.\)\)\)$/);
    assert.ok(!messages[0].includes('\n'));
    // With the bytes (express.raw(), or a raw copy in req.rawBody) the library sees the duplicate.
    for (const prefix of ['/raw', '/verify']) {
      const refused = await post(`${base}${prefix}/identity-token`, duplicate);
      assert.deepEqual(refused, { status: 400, body: { error: { code: 'invalid_field', message: 'user_id is given more than once' } } }, prefix);
      const ok = await post(`${base}${prefix}/identity-token`, { nonce: 'n', user_id: 'alice' });
      assert.equal(prnOf(ok.body.identity_token), 'alice');
    }
    const form = await fetch(`${base}/form/identity-token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'nonce=n&user_id=carol' });
    assert.equal(prnOf((await form.json()).identity_token), 'carol');
    assert.equal(messages.length, 1);
  } finally {
    server.close();
  }
});

test('Express: authenticate sees the Express request (req.user set by earlier middleware)', async () => {
  const express = require('express');
  const app = express();
  app.use((req, _res, next) => {
    req.user = req.get('cookie') === 'session=s3cr3t' ? { id: 7 } : undefined;
    next();
  });
  app.use(li.identityTokenHandler({ signer, authenticate: (req) => req.user?.id }));
  const server = await listen(app);
  try {
    const ok = await post(url(server), { nonce: 'n' }, { Cookie: 'session=s3cr3t' });
    assert.equal(prnOf(ok.body.identity_token), '7');
    assert.deepEqual(await post(url(server), { nonce: 'n' }), { status: 401, body: UNAUTHENTICATED });
  } finally {
    server.close();
  }
});

test('authenticate gets the checked fields; demoAuthenticate needs the endpoint\'s fields', async () => {
  const seen = [];
  const server = await listen(li.identityTokenHandler({ signer, authenticate: (_req, fields) => { seen.push(fields); return 'u'; } }));
  try {
    assert.equal((await post(url(server), { nonce: 'n1', first_name: 'Zoë', user_id: 'claimed', extra: [1] })).status, 200);
    assert.equal((await post(url(server), { nonce: 'n2', user_id: 42 })).status, 200);
  } finally {
    server.close();
  }
  assert.deepEqual(Object.fromEntries(Object.entries(seen[0])), { nonce: 'n1', firstName: 'Zoë', userId: 'claimed' });
  assert.ok(Object.isFrozen(seen[0]));
  assert.deepEqual(Object.fromEntries(Object.entries(seen[1])), { nonce: 'n2' }); // user_id is there only when it passes the rules
  assert.throws(() => li.demoAuthenticate({}, { nonce: 'n', userId: 'u' }), { name: 'TypeError', message: /fields the identity-token endpoint gives/ });
});

test('the handler rejects bad options with a TypeError', () => {
  assert.throws(() => li.identityTokenHandler(), TypeError);
  assert.throws(() => li.identityTokenHandler({ signer }), { name: 'TypeError', message: /authenticate/ });
  assert.throws(() => li.identityTokenHandler({ signer: { signAsync() {} }, authenticate() {} }), { name: 'TypeError', message: /options\.signer must be a Signer/ });
  assert.throws(() => li.identityTokenHandler({ signer, authenticate() {}, log: 'x' }), { name: 'TypeError', message: /log/ });
  assert.equal(li.identityTokenHandler.demoAuthenticate, li.demoAuthenticate);
});
