'use strict';
// Async signing on the libuv thread pool, handle lifetimes, close(), finalizers and memory.

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
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

// Ticks of a 10 ms timer while `work` runs: [ticks, longest gap between ticks (ms), duration].
async function timerDuring(work) {
  const interval = 10;
  const ticks = [];
  const started = performance.now();
  const timer = setInterval(() => ticks.push(performance.now()), interval);
  await work();
  const ended = performance.now();
  clearInterval(timer);
  const marks = [started, ...ticks, ended];
  const gap = Math.max(...marks.slice(1).map((m, i) => m - marks[i]));
  return { ticks: ticks.length, gap, duration: ended - started };
}

test('a timer keeps firing at its interval while 200 async signs run (and would not with sync signs)', async (t) => {
  const signer = newSigner(h.keyBytes('keys/rsa4096.pkcs8.pem')); // slow enough to measure
  const request = (i) => ({ userId: `u${i}`, nonce: `n${i}` });
  const async = await timerDuring(() => Promise.all(Array.from({ length: 200 }, (_, i) => signer.signAsync(request(i)))));
  const sync = await timerDuring(async () => {
    for (let i = 0; i < 40; i++) signer.sign(request(i));
  });
  t.diagnostic(`200 signAsync (4096-bit): ${async.duration.toFixed(0)} ms, ${async.ticks} ticks of 10 ms, longest gap ${async.gap.toFixed(1)} ms`);
  t.diagnostic(`40 sync signs: ${sync.duration.toFixed(0)} ms, ${sync.ticks} ticks, longest gap ${sync.gap.toFixed(1)} ms`);
  // The sync run blocks the loop for its whole duration: the measurement can see blocking.
  assert.ok(sync.gap >= sync.duration * 0.9);
  // The async run leaves the loop free: the timer fires throughout. A 4096-bit signature
  // takes milliseconds, so a gap of even 10 signatures' time would mean work on the loop.
  assert.ok(async.duration > 100, `the async run is long enough to measure (${async.duration} ms)`);
  assert.ok(async.ticks >= async.duration / 10 / 3, `${async.ticks} ticks in ${async.duration} ms`);
  assert.ok(async.gap < Math.max(100, async.duration / 4), `longest gap ${async.gap} ms`);
  signer.close();
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
  assert.ok(report.end - report.start < 12, `RSS grew ${report.start} → ${report.end} MiB overall`);
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
