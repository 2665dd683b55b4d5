'use strict';
// The Fastify plugin (layer-identity/fastify) in the real Fastify from npm, over real HTTP on
// loopback: every case of the contract for every kind of authenticate, at the root and under a
// prefix beside the application's own routes and JSON parser; the shared driver; Fastify's
// request given to authenticate; duplicates that Fastify's JSON parser would have merged.

const assert = require('node:assert/strict');
const { test, before, after } = require('node:test');
const Fastify = require('fastify');

const li = require('..');
const fastifyIdentityToken = require('../fastify');
const h = require('./helpers');
const contract = require('./contract');

const signer = new li.Signer({ privateKey: h.keyBytes('keys/rsa2048.pkcs8.pem'), providerId: h.PROVIDER_ID, keyId: h.KEY_ID });
const apps = {};
const ports = {};
const prefixed = {};
let prefixedApp;

// Requests whose framing Node's HTTP parser refuses before any route runs: Fastify answers
// them with its own clientErrorHandler (a JSON 400 of its own), which a plugin cannot change.
const refusedByTheServer = (c) => c.expected.server_may_refuse === true;

async function start(register) {
  const app = Fastify();
  await register(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app;
}

before(async () => {
  for (const [kind, authenticate] of Object.entries(contract.AUTHENTICATORS)) {
    apps[kind] = await start((app) => app.register(fastifyIdentityToken, { signer, authenticate, log: () => {} }));
    ports[kind] = apps[kind].server.address().port;
  }
  prefixedApp = await start(async (app) => {
    app.post('/api/echo', async (request) => ({ parsed: request.body })); // the app's own JSON route
    await app.register(fastifyIdentityToken, { prefix: '/layer', signer, authenticate: li.demoAuthenticate, log: () => {} });
  });
  prefixed.demo = prefixedApp.server.address().port;
});

after(async () => {
  for (const app of [...Object.values(apps), prefixedApp]) await app.close();
  signer.close();
});

test('every case of the contract, for every kind of authenticate (the plugin at the root)', async (t) => {
  const count = await contract.runCases(t, ports, { skip: refusedByTheServer });
  assert.ok(count >= 160, `${count} cases`);
});

test('the framing errors Node refuses are answered by Fastify before the plugin (its clientErrorHandler)', async () => {
  for (const c of contract.CASES.cases.filter(refusedByTheServer)) {
    const [method, target, headers, body] = contract.requestParts(c);
    const response = await contract.send(ports.demo, method, target, headers, body);
    assert.equal(response.status, 400, c.name);
    assert.equal(JSON.parse(response.body).statusCode, 400, c.name); // Fastify's own body
  }
});

test('every demo case under a prefix, beside the application\'s own routes and JSON parser', async (t) => {
  const under = (target) => (target.startsWith('/') ? `/layer${target}` : target.replace(/^(\w+:\/\/[^/]*)/, '$1/layer'));
  let count = 0;
  for (const c of contract.CASES.cases) {
    if (c.authenticator !== 'demo' || refusedByTheServer(c)) continue;
    count++;
    await t.test(c.name, async () => {
      const [method, target, headers, body] = contract.requestParts(c);
      contract.checkResponse(c, await contract.send(prefixed.demo, method, under(target), headers, body));
    });
  }
  assert.ok(count >= 130, `${count} cases`);
  const base = `http://127.0.0.1:${prefixed.demo}`;
  const echo = await fetch(`${base}/api/echo`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"a":[1]}' });
  assert.deepEqual(await echo.json(), { parsed: { a: [1] } }); // the app's parser is untouched
  assert.deepEqual(await (await fetch(`${base}/layer`)).json(), { error: { code: 'not_found', message: 'not found' } });
  assert.equal((await fetch(`${base}/elsewhere`)).status, 404); // outside the prefix: Fastify's own
  assert.ok(prefixedApp.hasPlugin('layer-identity'));
});

test('the shared driver (conformance.py --url) passes for every kind of authenticate', async (t) => {
  const names = contract.CASES.cases.filter((c) => c.authenticator === 'demo' && !refusedByTheServer(c)).flatMap((c) => ['--case', c.name]);
  for (const kind of Object.keys(contract.AUTHENTICATORS)) {
    const summary = await contract.driver(`http://127.0.0.1:${ports[kind]}`, kind, kind === 'demo' ? ['--pipelining', ...names] : []);
    t.diagnostic(`fastify ${kind}: ${summary}`);
  }
});

test('authenticate sees Fastify\'s request (decorations, hooks); duplicates are the library\'s to see', async () => {
  const messages = [];
  const app = await start(async (instance) => {
    instance.decorateRequest('user', null);
    instance.addHook('onRequest', async (request) => {
      request.user = request.headers.cookie === 'session=s3cr3t' ? { id: 'alice' } : null;
    });
    await instance.register(fastifyIdentityToken, {
      prefix: '/layer',
      signer,
      authenticate: (request) => {
        assert.equal(typeof request.log.info, 'function'); // a FastifyRequest
        return request.user?.id;
      },
      log: (m) => messages.push(m),
    });
  });
  const base = `http://127.0.0.1:${app.server.address().port}/layer/identity-token`;
  try {
    const post = (body, cookie) => fetch(base, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(cookie ? { Cookie: cookie } : {}) }, body });
    const ok = await post('{"nonce":"n"}', 'session=s3cr3t');
    assert.equal(ok.status, 200);
    assert.equal(JSON.parse(h.independentVerify((await ok.json()).identity_token, contract.PUBLIC).claims).prn, 'alice');
    const anonymous = await post('{"nonce":"n"}');
    assert.equal(anonymous.status, 401);
    assert.deepEqual(messages, ['identity-token: 401: authenticate returned no user']);
    // Fastify's JSON parser would keep the last nonce; the plugin hands the bytes to the library.
    const duplicate = await post('{"nonce":"a","nonce":"b"}', 'session=s3cr3t');
    assert.deepEqual(await duplicate.json(), { error: { code: 'invalid_field', message: 'nonce is given more than once' } });
  } finally {
    await app.close();
  }
});

test('the plugin follows fastify-plugin\'s conventions and checks its options', async () => {
  assert.equal(fastifyIdentityToken[Symbol.for('fastify.display-name')], 'layer-identity');
  assert.deepEqual(fastifyIdentityToken[Symbol.for('plugin-meta')], { name: 'layer-identity', fastify: '5.x', encapsulate: true });
  assert.equal(fastifyIdentityToken.default, fastifyIdentityToken);
  assert.equal(require('../fastify.js').fastifyIdentityToken, fastifyIdentityToken);
  const esm = await import('layer-identity/fastify');
  assert.equal(esm.default, fastifyIdentityToken);
  const app = Fastify();
  app.register(fastifyIdentityToken, { signer, authenticate: 'nope' });
  await assert.rejects(app.ready(), { name: 'TypeError', message: /options\.authenticate must be a function/ });
});
