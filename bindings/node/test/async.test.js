'use strict';
// Async signing on the libuv thread pool, handle lifetimes, close(), finalizers and memory.

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { test } = require('node:test');
const { Worker } = require('node:worker_threads');

const li = require('..');
const h = require('./helpers');

const KEY = h.keyBytes('keys/rsa2048.pkcs8.pem');
const PUBLIC = crypto.createPublicKey(h.keyBytes('keys/rsa2048.public.pem'));
const newSigner = (privateKey = KEY) => new li.Signer({ privateKey, providerId: h.PROVIDER_ID, keyId: h.KEY_ID });

test('1,000 concurrent signAsync calls, each token its own and verified twice', async () => {
  const signer = newSigner();
  const verifier = new li.Verifier({ publicKey: PUBLIC, providerId: h.PROVIDER_ID, keyId: h.KEY_ID });
  const requests = Array.from({ length: 1000 }, (_, i) => ({ userId: `user-${i}@example.com`, nonce: `nonce-${i}-${crypto.randomUUID()}`, displayName: `User ${i}` }));
  const tokens = await Promise.all(requests.map((r) => signer.signAsync(r)));
  assert.equal(new Set(tokens).size, 1000);
  const verified = await Promise.all(tokens.map((t, i) => verifier.verifyAsync(t, { nonce: requests[i].nonce })));
  verified.forEach((claims, i) => {
    assert.equal(claims.userId, requests[i].userId);
    assert.equal(claims.displayName, requests[i].displayName);
    const { claims: text } = h.independentVerify(tokens[i], PUBLIC); // node:crypto, not the library
    assert.equal(JSON.parse(text).nce, requests[i].nonce);
  });
  signer.close();
  verifier.close();
});

test('the RSA work of every async call runs on the libuv thread pool (no clock involved)', (t) => {
  // See test/fixtures/thread-pool.js: with the pool's only thread held, each call stays
  // pending while the event loop turns 200 times, and settles once the thread is released.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-pool-'));
  const fifo = path.join(dir, 'hold');
  try {
    execFileSync('mkfifo', [fifo]);
    const out = execFileSync(process.execPath, [path.join(__dirname, 'fixtures', 'thread-pool.js'), fifo], {
      encoding: 'utf8', env: { ...process.env, UV_THREADPOOL_SIZE: '1' }, timeout: 120000,
    });
    const turns = JSON.parse(out);
    assert.deepEqual(Object.keys(turns), ['signAsync', 'verifyAsync', 'signTokenAsync', 'generateKeyPairAsync', 'endpointSigning']);
    for (const [name, count] of Object.entries(turns)) assert.equal(count, 200, name);
    t.diagnostic(`pool held: ${Object.keys(turns).join(', ')} each pending through 200 event-loop turns, then done`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('use after close() throws ERR_USE_AFTER_CLOSE, never crashes; close() is idempotent', async () => {
  const signer = newSigner();
  const verifier = new li.Verifier({ publicKey: PUBLIC, providerId: h.PROVIDER_ID, keyId: h.KEY_ID });
  const token = signer.sign({ userId: 'u', nonce: 'n' });
  assert.equal(signer.closed, false);
  signer.close();
  signer.close();
  assert.equal(signer.closed, true);
  const closed = { name: 'Error', code: 'ERR_USE_AFTER_CLOSE', message: 'the signer is closed' };
  assert.throws(() => signer.sign({ userId: 'u', nonce: 'n' }), closed);
  assert.throws(() => signer.publicKeyPem(), closed);
  await assert.rejects(signer.signAsync({ userId: 'u', nonce: 'n' }), closed);
  verifier.close();
  verifier.close();
  assert.throws(() => verifier.verify(token), { code: 'ERR_USE_AFTER_CLOSE', message: 'the verifier is closed' });
  await assert.rejects(verifier.verifyAsync(token), { code: 'ERR_USE_AFTER_CLOSE' });
  if (typeof Symbol.dispose === 'symbol') {
    const s = newSigner();
    s[Symbol.dispose]();
    assert.equal(s.closed, true);
  }
});

test('close() while async calls are pending: they finish with valid tokens, then the key is freed', async () => {
  const signer = newSigner(h.keyBytes('keys/rsa4096.pkcs8.pem'));
  const pending = Array.from({ length: 32 }, (_, i) => signer.signAsync({ userId: `u${i}`, nonce: `n${i}` }));
  signer.close();
  assert.throws(() => signer.sign({ userId: 'u', nonce: 'n' }), { code: 'ERR_USE_AFTER_CLOSE' });
  const tokens = await Promise.all(pending);
  const publicKey = crypto.createPublicKey(h.keyBytes('keys/rsa4096.public.pem'));
  tokens.forEach((token, i) => assert.equal(JSON.parse(h.independentVerify(token, publicKey).claims).prn, `u${i}`));
  const verifier = new li.Verifier({ publicKey, providerId: h.PROVIDER_ID, keyId: h.KEY_ID });
  const checks = tokens.map((token) => verifier.verifyAsync(token));
  verifier.close();
  assert.equal((await Promise.all(checks)).length, 32);
});

test('async failures reject with the same LayerIdentityError as sync', async () => {
  const signer = newSigner();
  const request = { userId: 'u', nonce: 'n', issuedAt: 1700000000123 };
  const sync = (() => { try { signer.sign(request); } catch (e) { return e; } return null; })();
  const rejected = await signer.signAsync(request).catch((e) => e);
  assert.ok(rejected instanceof li.LayerIdentityError);
  assert.deepEqual([rejected.code, rejected.status, rejected.eitCode, rejected.message], [sync.code, sync.status, sync.eitCode, sync.message]);
  const verifier = new li.Verifier({ publicKey: PUBLIC, providerId: h.PROVIDER_ID, keyId: h.KEY_ID });
  await assert.rejects(verifier.verifyAsync('a.b'), { name: 'LayerIdentityError', code: 'LAYER_ERR_MALFORMED_TOKEN', eitCode: 'eit_wrong_jws_part_count' });
  signer.close();
  verifier.close();
});

test('a signer dropped with async calls pending stays alive until they finish (GC forced)', () => {
  const out = execFileSync(process.execPath, ['--expose-gc', path.join(__dirname, 'fixtures', 'gc-pending.js')], { encoding: 'utf8' });
  assert.equal(out, '16');
});

test('create/sign/close loops under --expose-gc keep a stable RSS', (t) => {
  const out = execFileSync(process.execPath, ['--expose-gc', path.join(__dirname, 'fixtures', 'rss-loop.js'), '600'], { encoding: 'utf8' });
  const report = JSON.parse(out);
  t.diagnostic(`RSS (MiB) after warm-up ${report.start}, at the end ${report.end}`);
  for (const loop of report.results) {
    t.diagnostic(`${loop.name} x${loop.rounds}: RSS ${loop.samples.join(' ')}; anonymous ${loop.anon.join(' ')}`);
    // After the warm-up, the heaps do not grow: a leaked signer per round (its key and
    // contexts, tens of KiB) would add megabytes here. (RSS as a whole also steps up once by
    // a few MiB when the node executable's code pages are first touched.)
    const growth = Math.max(...loop.anon) - loop.anon[0];
    assert.ok(growth < 1.5, `${loop.name}: anonymous RSS grew ${loop.anon[0]} → ${Math.max(...loop.anon)} MiB`);
  }
  // Overall, the heaps grow by what the loops' code and caches take once (V8's compiled code,
  // allocator arenas), a few MiB; RSS also counts the executable's pages as they are touched.
  t.diagnostic(`anonymous RSS (MiB) ${report.startAnon} → ${report.endAnon} over all the loops`);
  assert.ok(report.endAnon - report.startAnon < 12, `anonymous RSS grew ${report.startAnon} → ${report.endAnon} MiB overall`);
});

test('worker threads: each loads the addon and signs on its own', async () => {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const li = require(workerData.pkg);
    const s = new li.Signer({ privateKey: workerData.key, providerId: workerData.p, keyId: workerData.k });
    Promise.all([s.signAsync({ userId: 'w', nonce: 'n1' }), s.sign({ userId: 'w', nonce: 'n2' })])
      .then((tokens) => { parentPort.postMessage(tokens); });`;
  const results = await Promise.all([0, 1, 2].map(() => new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: { pkg: h.PACKAGE, key: KEY, p: h.PROVIDER_ID, k: h.KEY_ID } });
    worker.once('message', resolve);
    worker.once('error', reject);
  })));
  for (const tokens of results) for (const token of tokens) h.independentVerify(token, PUBLIC);
  // Terminating a worker with a signer it never closed, and with async signs still queued or
  // running on the thread pool, neither crashes nor hangs the process.
  for (let round = 0; round < 3; round++) {
    const worker = new Worker(`${code}; for (let i = 0; i < 40; i++) s.signAsync({ userId: 'w', nonce: 'q' + i }); setInterval(() => {}, 1000);`, { eval: true, workerData: { pkg: h.PACKAGE, key: KEY, p: h.PROVIDER_ID, k: h.KEY_ID } });
    await new Promise((resolve) => worker.once('message', resolve));
    assert.equal(await worker.terminate(), 1);
  }
  h.independentVerify(newSigner().sign({ userId: 'after', nonce: 'workers' }), PUBLIC);
});
