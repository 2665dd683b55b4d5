'use strict';
// The addon's linkage and which OpenSSL it calls. Node exports the symbols of its own bundled
// OpenSSL from the node executable, so an addon loaded the usual way would have its OpenSSL
// calls (and the system libcrypto's own internal calls) bound to Node's copy. lib/native.js
// loads the addon with RTLD_DEEPBIND; these tests show the calls reach the system's
// libcrypto.so.3 and that both OpenSSLs work side by side in one process.

const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { test } = require('node:test');
const tls = require('node:tls');

const li = require('..');
const native = require('../lib/native');
const h = require('./helpers');

const KEY = h.keyBytes('keys/rsa2048.pkcs8.pem');

test('the addon needs no liblayer_identity; OpenSSL stays the system\'s shared libssl3', () => {
  const dynamic = execFileSync('readelf', ['-d', h.ADDON], { encoding: 'utf8' });
  const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  assert.ok(needed.includes('libcrypto.so.3'), needed.join(' '));
  assert.ok(needed.includes('libssl.so.3'), needed.join(' '));
  assert.ok(!needed.some((lib) => /layer_identity/.test(lib)), `NEEDED ${needed.join(' ')}`);
  assert.ok(!/RPATH|RUNPATH/.test(dynamic));
  // Only the Node-API entry points are exported: nothing of the Rust archive can clash.
  const symbols = execFileSync('readelf', ['--dyn-syms', '--wide', h.ADDON], { encoding: 'utf8' });
  const exported = symbols.split('\n').map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 8 && f[6] !== 'UND' && /GLOBAL|WEAK/.test(f[4]) && f[7]).map((f) => f[7]);
  assert.deepEqual(exported.sort(), ['napi_register_module_v1', 'node_api_module_get_api_version_v1']);
});

test('the addon\'s OpenSSL calls resolve to libcrypto.so.3, not to Node\'s bundled copy', (t) => {
  const where = native.cryptoLibrary();
  for (const file of Object.values(where)) assert.match(path.basename(file), /^libcrypto\.so\.3$/);
  t.diagnostic(`addon: ${native.opensslVersion} from ${where.EVP_PKEY_sign}; node:crypto: OpenSSL ${process.versions.openssl} (bundled in ${process.execPath})`);
});

test('LD_DEBUG=bindings: no OpenSSL symbol of the addon, libssl or libcrypto binds to the node executable', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-ld-'));
  try {
    const script = `const li = require(${JSON.stringify(h.PACKAGE)}); const s = new li.Signer({ privateKey: require('fs').readFileSync(${JSON.stringify(path.join(h.VECTORS, 'keys/rsa2048.pkcs8.pem'))}), providerId: ${JSON.stringify(h.PROVIDER_ID)}, keyId: ${JSON.stringify(h.KEY_ID)} }); s.sign({ userId: 'u', nonce: 'n' });`;
    execFileSync(process.execPath, ['-e', script], { env: { ...process.env, LD_DEBUG: 'bindings', LD_DEBUG_OUTPUT: path.join(dir, 'ld') } });
    const lines = fs.readdirSync(dir).flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n'));
    const bindings = lines.map((line) => /binding file (\S+) \[\d+\] to (\S+) \[\d+\]: normal symbol `([^']+)'/.exec(line)).filter(Boolean);
    const ours = (file) => file === fs.realpathSync(h.ADDON) || file === h.ADDON || /lib(ssl|crypto)\.so\.3$/.test(file);
    const isNode = (file) => !file.startsWith('/') || file === process.execPath || path.basename(file) === 'node';
    const fromOurs = bindings.filter(([, from]) => ours(from));
    assert.ok(fromOurs.filter(([, from, to]) => /layer_identity\.glibc\.node$/.test(from) && /libcrypto\.so\.3$/.test(to)).length > 10, 'the addon binds to libcrypto.so.3');
    const wrong = fromOurs.filter(([, , to, symbol]) => isNode(to) && !/^(napi_|node_api_)/.test(symbol));
    assert.deepEqual(wrong.map(([, from, , symbol]) => `${path.basename(from)}: ${symbol}`), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('loaded without RTLD_DEEPBIND the calls would go to Node\'s OpenSSL, and the loader refuses that', () => {
  const script = `
    const m = { exports: {} };
    process.dlopen(m, ${JSON.stringify(h.ADDON)}, require('os').constants.dlopen.RTLD_NOW);
    console.log(JSON.stringify(m.exports.cryptoLibrary()));
    try { require(${JSON.stringify(h.PACKAGE)}); console.log('loaded'); } catch (e) { console.log(e.message); }`;
  const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).split('\n');
  const where = JSON.parse(out[0]);
  assert.ok(Object.values(where).every((file) => !/libcrypto/.test(file)), out[0]);
  assert.match(out.slice(1).join('\n'), /could not load the native addon[\s\S]*resolves to .*not the system's libcrypto\.so\.3/);
});

test('LAYER_IDENTITY_ADDON, when set, is the only place tried: a wrong path is an error naming it', () => {
  // It used to fall back silently to the packaged addon.
  const wrong = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(h.PACKAGE)})`], {
    encoding: 'utf8', env: { ...process.env, LAYER_IDENTITY_ADDON: '/nonexistent/layer_identity.glibc.node' },
  });
  assert.notEqual(wrong.status, 0);
  assert.match(wrong.stderr, /could not load the native addon\. Tried:\n {2}LAYER_IDENTITY_ADDON=\/nonexistent\/layer_identity\.glibc\.node: no such file\n/);
  assert.match(wrong.stderr, /LAYER_IDENTITY_ADDON is set, so no other place was tried/);
  assert.doesNotMatch(wrong.stderr, /prebuilds/);
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'li-pkg-'));
  try {
    fs.writeFileSync(path.join(empty, 'bad.node'), 'not an ELF file');
    const bad = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(h.PACKAGE)})`], {
      encoding: 'utf8', env: { ...process.env, LAYER_IDENTITY_ADDON: path.join(empty, 'bad.node') },
    });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /LAYER_IDENTITY_ADDON=.*bad\.node: .*(invalid ELF header|too short)/);
    // Set to the packaged addon's path, it loads that.
    const right = spawnSync(process.execPath, ['-e', `console.log(require(${JSON.stringify(h.PACKAGE)}).abiVersion)`], {
      encoding: 'utf8', env: { ...process.env, LAYER_IDENTITY_ADDON: h.ADDON },
    });
    assert.equal(right.status, 0, right.stderr);
    // Unset, the copy inside the package; when that is missing the message says where it looked.
    fs.cpSync(path.join(h.PACKAGE, 'lib'), path.join(empty, 'lib'), { recursive: true });
    const env = { ...process.env };
    delete env.LAYER_IDENTITY_ADDON;
    const missing = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(empty, 'lib', 'native.js'))})`], { encoding: 'utf8', env });
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /prebuilds\/linux-x64\/layer_identity\.glibc\.node \(the copy inside the package\): no such file/);
    assert.match(missing.stderr, /Reinstall the package/);
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});

test('signing beside node:crypto in one process: identical signatures, both OpenSSLs intact', async () => {
  const signer = new li.Signer({ privateKey: KEY, providerId: h.PROVIDER_ID, keyId: h.KEY_ID });
  const keyObject = crypto.createPrivateKey(KEY);
  const publicKey = crypto.createPublicKey(KEY);
  const abcDigest = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
  const work = [];
  for (let i = 0; i < 50; i++) {
    const token = signer.sign({ userId: `u${i}`, nonce: `n${i}`, issuedAt: 1700000000 + i });
    const [head, body, signature] = token.split('.');
    // PKCS#1 v1.5 is deterministic: node:crypto signing the same bytes gives the same signature.
    assert.equal(crypto.sign('sha256', Buffer.from(`${head}.${body}`), keyObject).toString('base64url'), signature);
    assert.equal(crypto.createHash('sha256').update('abc').digest('hex'), abcDigest);
    work.push(signer.signAsync({ userId: `a${i}`, nonce: `m${i}` }));
    work.push(new Promise((resolve, reject) => crypto.pbkdf2('pw', 'salt', 1000, 32, 'sha256', (e, k) => (e ? reject(e) : resolve(k.toString('hex'))))));
  }
  const results = await Promise.all(work);
  for (let i = 0; i < results.length; i += 2) h.independentVerify(results[i], publicKey);
  assert.ok(results.filter((_, i) => i % 2).every((k) => k === results[1]));
  assert.ok(tls.createSecureContext({ key: KEY, cert: fs.readFileSync(path.join(h.VECTORS, 'keys/rsa2048.cert.pem')) }));
  const { publicKey: generated } = await new Promise((resolve, reject) => crypto.generateKeyPair('rsa', { modulusLength: 2048 }, (e, pub, priv) => (e ? reject(e) : resolve({ publicKey: pub, privateKey: priv }))));
  assert.equal(generated.asymmetricKeyDetails.modulusLength, 2048);
  signer.close();
});
