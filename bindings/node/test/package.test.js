'use strict';
// The package as users get it: `npm pack` makes a tarball with the prebuilt addon, and
// `npm install <tarball>` into an empty project outside the repository, with no compiler on
// PATH and no registry, gives a package that CommonJS, ES module and TypeScript code use.

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { test, before, after } = require('node:test');

const h = require('./helpers');

let work;
let tarball;
let files;

before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'layer-identity-npm-'));
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: h.PACKAGE, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  tarball = path.join(work, packed[0].filename);
  files = packed[0].files.map((f) => f.path);
});

after(() => fs.rmSync(work, { recursive: true, force: true }));

test('the tarball carries the prebuilt addon, both entry points and the types, and no tests', () => {
  for (const file of ['prebuilds/linux-x64/layer_identity.glibc.node', 'index.js', 'index.mjs', 'index.d.ts', 'index.d.mts',
    'parse.js', 'parse.mjs', 'parse.d.ts', 'lib/native.js', 'lib/handler.js', 'examples/backend.js', 'README.md', 'package.json']) {
    assert.ok(files.includes(file), `${file} is in the tarball`);
  }
  assert.ok(!files.some((f) => f.startsWith('test/') || f.startsWith('node_modules/') || f.startsWith('build/')), files.join(' '));
  const manifest = JSON.parse(fs.readFileSync(path.join(h.PACKAGE, 'package.json'), 'utf8'));
  assert.deepEqual(manifest.dependencies || {}, {}, 'no runtime dependencies');
});

test('installed with npm into an empty project outside the repository, used from CommonJS, ESM and TypeScript', (t) => {
  const project = path.join(work, 'app');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  // PATH holds node and npm only: no compiler can be involved in the install.
  const bin = path.join(work, 'bin');
  fs.mkdirSync(bin);
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  fs.symlinkSync(execFileSync('bash', ['-c', 'readlink -f "$(command -v npm)"'], { encoding: 'utf8' }).trim(), path.join(bin, 'npm'));
  const env = { ...process.env, PATH: bin, npm_config_cache: path.join(work, 'npm-cache') };
  for (const key of Object.keys(env)) if (/^LAYER_/.test(key)) delete env[key];
  execFileSync(path.join(bin, 'npm'), ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: project, env, stdio: 'pipe' });
  assert.ok(fs.existsSync(path.join(project, 'node_modules', 'layer-identity', 'prebuilds', 'linux-x64', 'layer_identity.glibc.node')));
  assert.ok(!project.startsWith(h.ROOT));

  const key = path.join(h.VECTORS, 'keys/rsa2048.pkcs8.pem');
  fs.writeFileSync(path.join(project, 'app.cjs'), `
    const fs = require('fs');
    const { Signer, Verifier, LayerIdentityError } = require('layer-identity');
    const layer = require('layer-identity/parse');
    const signer = new Signer({ privateKey: fs.readFileSync(${JSON.stringify(key)}), providerId: ${JSON.stringify(h.PROVIDER_ID)}, keyId: ${JSON.stringify(h.KEY_ID)} });
    const verifier = new Verifier({ publicKey: signer.publicKeyPem(), providerId: ${JSON.stringify(h.PROVIDER_ID)}, keyId: ${JSON.stringify(h.KEY_ID)} });
    const claims = verifier.verify(signer.sign({ userId: 'cjs', nonce: 'n' }), { nonce: 'n' });
    layer.initialize(${JSON.stringify(h.PROVIDER_ID)}, ${JSON.stringify(h.KEY_ID)}, fs.readFileSync(${JSON.stringify(key)}));
    const parse = verifier.verify(layer.layerIdentityToken('parse', 'p')).userId;
    try { verifier.verify('x'); } catch (e) { if (!(e instanceof LayerIdentityError)) throw e; }
    signer.signAsync({ userId: 'async', nonce: 'n' }).then((t) => console.log(claims.userId, parse, verifier.verify(t).userId, require.resolve('layer-identity')));`);
  fs.writeFileSync(path.join(project, 'app.mjs'), `
    import { readFileSync } from 'node:fs';
    import layerIdentity, { Signer, Verifier, generateKeyPair } from 'layer-identity';
    const { privateKey, publicKey } = generateKeyPair();
    const signer = new Signer({ privateKey, providerId: ${JSON.stringify(h.PROVIDER_ID)}, keyId: ${JSON.stringify(h.KEY_ID)} });
    const verifier = new layerIdentity.Verifier({ publicKey, providerId: ${JSON.stringify(h.PROVIDER_ID)}, keyId: ${JSON.stringify(h.KEY_ID)} });
    console.log(verifier.verify(await signer.signAsync({ userId: 'esm', nonce: 'n' })).userId, Verifier === layerIdentity.Verifier);`);
  const cjs = execFileSync(path.join(bin, 'node'), ['app.cjs'], { cwd: project, env, encoding: 'utf8' }).trim().split(' ');
  assert.deepEqual(cjs.slice(0, 3), ['cjs', 'parse', 'async']);
  assert.ok(cjs[3].startsWith(path.join(project, 'node_modules', 'layer-identity')), cjs[3]);
  assert.equal(execFileSync(path.join(bin, 'node'), ['app.mjs'], { cwd: project, env, encoding: 'utf8' }).trim(), 'esm true');

  // TypeScript against the installed types (the compiler from this package's devDependencies).
  fs.writeFileSync(path.join(project, 'app.mts'), `
    import { Signer, type Claims, LayerIdentityError, identityTokenHandler, demoAuthenticate } from 'layer-identity';
    import layer from 'layer-identity/parse';
    import { createServer } from 'node:http';
    const signer: Signer = Signer.fromEnv();
    const token: Promise<string> = signer.signAsync({ userId: 'u', nonce: 'n', issuedAt: new Date() });
    const claims = (c: Claims): string => c.userId + (c.firstName ?? '');
    const server = createServer(identityTokenHandler({ signer, authenticate: demoAuthenticate }));
    const parsed: string = layer.initialize('p', 'k', Buffer.from('')).layerIdentityToken('u', 'n');
    export { token, claims, server, parsed, LayerIdentityError };`);
  fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, module: 'node16', moduleResolution: 'node16', target: 'es2022', types: ['node'], typeRoots: [path.join(h.PACKAGE, 'node_modules', '@types')], skipLibCheck: false },
    files: ['app.mts'],
  }));
  execFileSync(process.execPath, [path.join(h.PACKAGE, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { cwd: project, encoding: 'utf8' });
  t.diagnostic(`installed ${path.basename(tarball)} (${(fs.statSync(tarball).size / 1024).toFixed(0)} KiB) into ${project}`);
});
