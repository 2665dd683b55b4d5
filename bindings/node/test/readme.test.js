'use strict';
// Every JavaScript block of the README's Node section and of the package README runs here,
// as an application would run it: in a directory of its own with `layer-identity` in its
// node_modules, the key files it reads, and the LAYER_* variables set. Servers are started,
// sent a logged-in and a logged-out request, and stopped; Parse Cloud Code runs against a
// stand-in for Parse.Cloud; printed results are compared with the blocks' `// output` comments.

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
  return [...text.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
}

const SOURCES = [
  ['README.md (## Node)', blocks(path.join(h.ROOT, 'README.md'), '<!-- bindings:node -->', '<!-- /bindings:node -->')],
  ['bindings/node/README.md', blocks(path.join(h.PACKAGE, 'README.md'))],
];

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'layer-identity-readme-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(h.PACKAGE, path.join(dir, 'node_modules', 'layer-identity'));
  fs.symlinkSync(path.join(h.PACKAGE, 'node_modules', 'express'), path.join(dir, 'node_modules', 'express'));
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
  const prefix = /app\.use\('\/layer'/.test(code) ? '/layer' : '';
  const url = `http://127.0.0.1:${port}${prefix}/identity-token`;
  const post = (cookie) => fetch(url, {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...(cookie ? { Cookie: cookie } : {}) }, body: JSON.stringify({ nonce: 'readme-nonce' }),
  });
  try {
    let response;
    for (let i = 0; i < 200 && !response; i++) {
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

for (const [source, codes] of SOURCES) {
  test(`${source}: every JavaScript block runs`, async (t) => {
    assert.ok(codes.length >= 5, `${codes.length} blocks`);
    for (const [i, code] of codes.entries()) {
      await t.test(`block ${i + 1}: ${code.split('\n').find((l) => /require|import/.test(l)).trim()}`, async () => {
        const esm = /^import /m.test(code);
        const file = path.join(dir, `block-${source.replace(/\W+/g, '-')}-${i}.${esm ? 'mjs' : 'cjs'}`);
        fs.writeFileSync(file, code);
        if (/\.listen\(/.test(code)) return runServer(file, code);
        const parse = /Parse\.Cloud\.define/.test(code);
        const out = execFileSync(process.execPath, [...(parse ? ['-r', './fake-parse.cjs'] : []), file], { cwd: dir, env: env(), encoding: 'utf8', timeout: 60000 });
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
