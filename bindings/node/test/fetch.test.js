'use strict';
// identityTokenFetchHandler, the fetch-style (Request) => Promise<Response> handler, served by
// Hono on its Node.js server (@hono/node-server) from npm, over real HTTP on loopback: every
// case of the contract for every kind of authenticate, mounted with app.mount() and, as a
// Next.js route handler is, under a prefix it takes off itself; the shared driver; the
// Request and the server's context given to authenticate.

const assert = require('node:assert/strict');
const { test, before, after } = require('node:test');

const li = require('..');
const h = require('./helpers');
const contract = require('./contract');

const signer = new li.Signer({ privateKey: h.keyBytes('keys/rsa2048.pkcs8.pem'), providerId: h.PROVIDER_ID, keyId: h.KEY_ID });
const servers = [];
const ports = {};
let honoModules;

async function serve(app) {
  const { serve: honoServe } = honoModules.node;
  return new Promise((resolve) => {
    const server = honoServe({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(server));
    servers.push(server);
  });
}

before(async () => {
  honoModules = { hono: await import('hono'), node: await import('@hono/node-server') };
  const { Hono } = honoModules.hono;
  for (const [kind, authenticate] of Object.entries(contract.AUTHENTICATORS)) {
    const app = new Hono();
    app.mount('/', li.identityTokenFetchHandler({ signer, authenticate, log: () => {} }));
    ports[kind] = (await serve(app)).address().port;
  }
});

after(() => {
  for (const server of servers) server.close();
  signer.close();
});

test('every case of the contract, for every kind of authenticate (Hono, app.mount)', async (t) => {
  const count = await contract.runCases(t, ports);
  assert.equal(count, contract.CASES.cases.length);
});

test('the shared driver (conformance.py --url) passes for every kind of authenticate', async (t) => {
  for (const kind of Object.keys(contract.AUTHENTICATORS)) {
    const summary = await contract.driver(`http://127.0.0.1:${ports[kind]}`, kind, kind === 'demo' ? ['--pipelining'] : []);
    t.diagnostic(`hono ${kind}: ${summary}`);
  }
});

test('under a prefix the handler takes off itself (as in a Next.js route handler), with the server\'s context', async (t) => {
  const { Hono } = honoModules.hono;
  const app = new Hono();
  const seen = [];
  app.use('*', async (c, next) => {
    c.set('user', c.req.header('cookie') === 'session=s3cr3t' ? 'alice' : undefined);
    await next();
  });
  app.get('/', (c) => c.text('home'));
  const demo = li.identityTokenFetchHandler({ prefix: '/api/layer/', signer, authenticate: li.demoAuthenticate, log: () => {} });
  app.all('/api/layer/*', (c) => demo(c.req.raw, c));
  const session = li.identityTokenFetchHandler({
    prefix: '/session',
    signer,
    authenticate: (request, fields, c) => {
      seen.push([request instanceof Request, typeof fields.nonce, typeof c.get]);
      return c.get('user');
    },
  });
  app.all('/session/*', (c) => session(c.req.raw, c));
  const port = (await serve(app)).address().port;
  const under = (target) => (target.startsWith('/') ? `/api/layer${target}` : target.replace(/^(\w+:\/\/[^/]*)/, '$1/api/layer'));
  let count = 0;
  for (const c of contract.CASES.cases) {
    // The request target reaches a fetch-style handler as a URL the server built: the paths
    // no URL keeps as sent ('//identity-token', '/./identity-token') route under Hono's rules.
    if (c.authenticator !== 'demo' || !c.request.path.startsWith('/identity-token')) continue;
    count++;
    await t.test(c.name, async () => {
      const [method, target, headers, body] = contract.requestParts(c);
      contract.checkResponse(c, await contract.send(port, method, under(target), headers, body));
    });
  }
  assert.ok(count >= 100, `${count} cases`);
  const base = `http://127.0.0.1:${port}`;
  assert.equal(await (await fetch(`${base}/`)).text(), 'home');
  assert.deepEqual(await (await fetch(`${base}/api/layer/healthz?probe=1`)).json(), { status: 'ok' });
  const post = (cookie) => fetch(`${base}/session/identity-token`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(cookie ? { Cookie: cookie } : {}) }, body: '{"nonce":"n"}' });
  const ok = await post('session=s3cr3t');
  assert.equal(JSON.parse(h.independentVerify((await ok.json()).identity_token, contract.PUBLIC).claims).prn, 'alice');
  assert.equal((await post()).status, 401);
  assert.deepEqual(seen[0], [true, 'string', 'function']);
});
