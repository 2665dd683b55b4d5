'use strict';
// Every JavaScript and TypeScript block of the README's Node section and of the package README
// runs here, as an application would run it: in a directory of its own with `layer-identity`
// (and the frameworks the blocks use) in its node_modules, the key files it reads, and the
// LAYER_* variables set. TypeScript blocks are first compiled by `tsc --strict`, which must
// accept them. Servers are started, sent a logged-in and a logged-out request, and stopped; a
// Next.js route module is called with Requests; Parse Cloud Code runs against a stand-in for
// Parse.Cloud; printed results are compared with the blocks' `// output` comments.

const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { test, before, after } = require('node:test');

const h = require('./helpers');

const PUBLIC = crypto.createPublicKey(h.keyBytes('keys/rsa2048.public.pem'));
let dir;

function blocks(file, start, end) {
  let text = fs.readFileSync(file, 'utf8');
  if (start) text = text.slice(text.indexOf(start), text.indexOf(end));
  return [...text.matchAll(/```(js|ts)\n([\s\S]*?)```/g)].map((m) => ({ language: m[1], code: m[2] }));
}

const SOURCES = [
  ['README.md (## Node)', blocks(path.join(h.ROOT, 'README.md'), '<!-- bindings:node -->', '<!-- /bindings:node -->')],
  ['bindings/node/README.md', blocks(path.join(h.PACKAGE, 'README.md'))],
];

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'layer-identity-readme-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(h.PACKAGE, path.join(dir, 'node_modules', 'layer-identity'));
  for (const name of ['express', 'fastify', 'hono', '@hono/node-server', '@types/express']) {
    fs.mkdirSync(path.dirname(path.join(dir, 'node_modules', name)), { recursive: true });
    fs.symlinkSync(path.join(h.PACKAGE, 'node_modules', name), path.join(dir, 'node_modules', name));
  }
  fs.copyFileSync(path.join(h.VECTORS, 'keys/rsa2048.pkcs8.pem'), path.join(dir, 'layer-private.pem'));
  fs.copyFileSync(path.join(h.VECTORS, 'keys/rsa2048.public.pem'), path.join(dir, 'layer-public.pem'));
  fs.mkdirSync(path.join(dir, 'cloud', 'layer-parse-module', 'keys'), { recursive: true });
  fs.copyFileSync(path.join(h.VECTORS, 'keys/rsa2048.pkcs1.pem'), path.join(dir, 'cloud', 'layer-parse-module', 'keys', 'layer-key.js'));
  // A stand-in for Parse Cloud Code: Parse.Cloud.define, then the function called once.
  fs.writeFileSync(path.join(dir, 'fake-parse.cjs'), `
    const functions = {};
    global.Parse = { Cloud: { define: (name, fn) => { functions[name] = fn; } } };
    process.once('beforeExit', () => {
      functions.generateToken({ params: { userID: 'parse-user', nonce: 'parse-nonce' } }, {
        success: (token) => console.log('TOKEN ' + token),
        error: (e) => { console.error(e); process.exitCode = 1; },
      });
    });`);
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

function env(port) {
  const e = { ...process.env, LAYER_PROVIDER_ID: h.PROVIDER_ID, LAYER_KEY_ID: h.KEY_ID, LAYER_PRIVATE_KEY_PATH: path.join(dir, 'layer-private.pem') };
  delete e.LAYER_PRIVATE_KEY;
  delete e.LAYER_TOKEN_TYPE;
  delete e.LAYER_PRIVATE_KEY_PASSPHRASE;
  delete e.NODE_OPTIONS;
  if (port) e.PORT = String(port);
  return e;
}

const freePort = () => new Promise((resolve) => {
  const server = net.createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
});

// Printed lines the block announces with `console.log(...); // expected output`.
const expectedOutput = (code) => [...code.matchAll(/console\.log\([^\n]*\);\s*\/\/ (.+)$/gm)].map((m) => m[1].trim());

async function runServer(file, code) {
  const port = await freePort();
  const child = spawn(process.execPath, [file], { cwd: dir, env: env(port), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const prefix = /'\/layer/.test(code) ? '/layer' : '';
  const url = `http://127.0.0.1:${port}${prefix}/identity-token`;
  const post = (cookie) => fetch(url, {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...(cookie ? { Cookie: cookie } : {}) }, body: JSON.stringify({ nonce: 'readme-nonce' }),
  });
  try {
    let response;
    for (let i = 0; i < 1200 && !response; i++) { // until it listens (a loaded machine is slow)
      try {
        response = await post('theme=dark; session=s3cr3t');
      } catch {
        if (child.exitCode !== null) throw new Error(`the block exited: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    assert.ok(response, `no answer from the block: ${stderr}`);
    assert.equal(response.status, 200, stderr);
    const claims = JSON.parse(h.independentVerify((await response.json()).identity_token, PUBLIC).claims);
    assert.deepEqual([claims.prn, claims.nce], ['alice', 'readme-nonce']);
    const anonymous = await post(null);
    assert.equal(anonymous.status, 401);
    assert.deepEqual(await anonymous.json(), { error: { code: 'unauthenticated', message: 'authentication required' } });
  } finally {
    child.kill('SIGTERM');
  }
}

// A Next.js route module: its handlers called as Next.js calls them, with a Request.
async function runRoute(file) {
  const saved = { ...process.env };
  Object.assign(process.env, env()); // the module reads LAYER_* when it is loaded
  let route;
  try {
    route = await import(file);
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  }
  assert.equal(route.runtime, 'nodejs');
  const post = (cookie) => route.POST(new Request('http://localhost/api/layer/identity-token', {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...(cookie ? { Cookie: cookie } : {}) }, body: JSON.stringify({ nonce: 'readme-nonce' }),
  }));
  const response = await post('session=s3cr3t');
  assert.equal(response.status, 200);
  const claims = JSON.parse(h.independentVerify((await response.json()).identity_token, PUBLIC).claims);
  assert.deepEqual([claims.prn, claims.nce], ['alice', 'readme-nonce']);
  assert.equal((await post(null)).status, 401);
  assert.deepEqual(await (await route.GET(new Request('http://localhost/api/layer/healthz'))).json(), { status: 'ok' });
}

// tsc --strict over the TypeScript blocks (x.mts → x.mjs beside it); its errors fail the test.
function compile(files) {
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, module: 'node16', moduleResolution: 'node16', target: 'es2022', types: ['node'], typeRoots: [path.join(h.PACKAGE, 'node_modules', '@types')], skipLibCheck: true },
    files,
  }));
  const tsc = path.join(h.PACKAGE, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = require('node:child_process').spawnSync(process.execPath, [tsc, '-p', dir], { cwd: dir, encoding: 'utf8' });
  assert.equal(result.status, 0, `tsc --strict refuses a README block:\n${result.stdout}${result.stderr}`);
}

for (const [source, blocksOf] of SOURCES) {
  test(`${source}: every JavaScript and TypeScript block runs (TypeScript after tsc --strict)`, async (t) => {
    assert.ok(blocksOf.length >= 5, `${blocksOf.length} blocks`);
    const name = (i, extension) => path.join(dir, `block-${source.replace(/\W+/g, '-')}-${i}.${extension}`);
    const typescript = blocksOf.map((b, i) => [b, i]).filter(([b]) => b.language === 'ts');
    for (const [b, i] of typescript) fs.writeFileSync(name(i, 'mts'), b.code);
    if (typescript.length) compile(typescript.map(([, i]) => path.basename(name(i, 'mts'))));
    for (const [i, { language, code }] of blocksOf.entries()) {
      await t.test(`block ${i + 1} (${language}): ${code.split('\n').find((l) => /require|import/.test(l)).trim()}`, async () => {
        const esm = language === 'ts' || /^import /m.test(code);
        const file = language === 'ts' ? name(i, 'mjs') : name(i, esm ? 'mjs' : 'cjs');
        if (language === 'js') fs.writeFileSync(file, code);
        if (/\.listen\(|serve\(\{/.test(code)) return runServer(file, code);
        if (/export \{ handler as GET/.test(code)) return runRoute(file);
        const parse = /Parse\.Cloud\.define/.test(code);
        const out = execFileSync(process.execPath, [...(parse ? ['-r', './fake-parse.cjs'] : []), file], { cwd: dir, env: env(), encoding: 'utf8', timeout: 120000 });
        if (parse) {
          const token = /^TOKEN (\S+)$/m.exec(out)[1];
          const claims = JSON.parse(h.independentVerify(token, PUBLIC).claims);
          assert.deepEqual([claims.prn, claims.nce, claims.exp - claims.iat], ['parse-user', 'parse-nonce', 600]);
        }
        assert.ok(out.trim().length > 0, 'the block prints its result');
        for (const line of expectedOutput(code)) assert.ok(out.includes(line), `output ${JSON.stringify(out)} lacks ${JSON.stringify(line)}`);
      });
    }
  });
}
