'use strict';
// The package as users get it: `npm publish --dry-run` is clean, `npm pack` makes a tarball
// with the prebuilt addon, and `npm install <tarball>` into an empty project outside the
// repository, with no compiler on PATH and no registry, gives a package that CommonJS, ES
// module and TypeScript code use, with node:http, Fastify and a fetch-style handler.

const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
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

test('npm publish --dry-run is clean; the manifest says what the package needs and offers', (t) => {
  const result = spawnSync('npm', ['publish', '--dry-run', '--json', '--ignore-scripts'], { cwd: h.PACKAGE, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  // The only warning allowed is the registry's login, which a dry run cannot have.
  const warnings = result.stderr.split('\n').filter((l) => /\bwarn\b/i.test(l) && !/requires you to be logged in/.test(l));
  assert.deepEqual(warnings, []);
  const published = JSON.parse(result.stdout.slice(result.stdout.indexOf('{')))['layer-identity'];
  assert.deepEqual(published.files.map((f) => f.path).sort(), [...files].sort());
  const manifest = JSON.parse(fs.readFileSync(path.join(h.PACKAGE, 'package.json'), 'utf8'));
  assert.deepEqual(manifest.dependencies || {}, {}, 'no runtime dependencies');
  assert.deepEqual(manifest.peerDependenciesMeta, { fastify: { optional: true } });
  assert.deepEqual([manifest.os, manifest.cpu], [['linux'], ['x64']]);
  assert.match(manifest.engines.node, /^>=\d+/);
  for (const [entry, conditions] of Object.entries(manifest.exports)) {
    if (entry === './package.json') continue;
    for (const kind of ['import', 'require']) {
      assert.deepEqual(Object.keys(conditions[kind]), ['types', 'default'], `${entry} ${kind}: types first`);
      for (const file of Object.values(conditions[kind])) assert.ok(files.includes(file.slice(2)), `${file} is in the tarball`);
    }
  }
  t.diagnostic(`publish --dry-run: ${published.name}@${published.version}, ${published.entryCount} files, ${(published.size / 1024).toFixed(0)} KiB`);
});

test('the tarball carries the prebuilt addon per platform, every entry point and its types, and no tests', () => {
  for (const file of ['prebuilds/linux-x64/layer_identity.glibc.node', 'index.js', 'index.mjs', 'index.d.ts', 'index.d.mts',
    'fastify.js', 'fastify.mjs', 'fastify.d.ts', 'fastify.d.mts', 'parse.js', 'parse.mjs', 'parse.d.ts', 'parse.d.mts',
    'lib/native.js', 'lib/endpoint.js', 'lib/handler.js', 'lib/fetch.js', 'lib/fastify.js', 'examples/backend.js', 'README.md', 'package.json']) {
    assert.ok(files.includes(file), `${file} is in the tarball`);
  }
  assert.ok(!files.some((f) => f.startsWith('test/') || f.startsWith('node_modules/') || f.startsWith('build/') || f.startsWith('bench/')), files.join(' '));
});

test('installed with npm into an empty project outside the repository: node:http, Fastify, fetch-style, ESM and TypeScript', async (t) => {
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
  const installed = path.join(project, 'node_modules', 'layer-identity');
  assert.ok(fs.existsSync(path.join(installed, 'prebuilds', 'linux-x64', 'layer_identity.glibc.node')));
  assert.ok(!project.startsWith(h.ROOT));
  // The application's own frameworks (from this package's devDependencies: no registry here).
  for (const name of ['fastify', 'express', '@types/express']) {
    fs.mkdirSync(path.dirname(path.join(project, 'node_modules', name)), { recursive: true });
    fs.symlinkSync(path.join(h.PACKAGE, 'node_modules', name), path.join(project, 'node_modules', name));
  }

  const key = path.join(h.VECTORS, 'keys/rsa2048.pkcs8.pem');
  const ids = `providerId: ${JSON.stringify(h.PROVIDER_ID)}, keyId: ${JSON.stringify(h.KEY_ID)}`;
  fs.writeFileSync(path.join(project, 'app.cjs'), `
    const fs = require('fs');
    const http = require('http');
    const { Signer, Verifier, LayerIdentityError, identityTokenHandler, identityTokenFetchHandler, demoAuthenticate } = require('layer-identity');
    const fastifyIdentityToken = require('layer-identity/fastify');
    const layer = require('layer-identity/parse');
    const signer = new Signer({ privateKey: fs.readFileSync(${JSON.stringify(key)}), ${ids} });
    const verifier = new Verifier({ publicKey: signer.publicKeyPem(), ${ids} });
    const request = (url) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"nonce":"n","user_id":"u"}' })
      .then((r) => r.json()).then((b) => verifier.verify(b.identity_token, { nonce: 'n' }).userId);
    (async () => {
      const out = [verifier.verify(signer.sign({ userId: 'cjs', nonce: 'n' })).userId];
      layer.initialize(${JSON.stringify(h.PROVIDER_ID)}, ${JSON.stringify(h.KEY_ID)}, fs.readFileSync(${JSON.stringify(key)}));
      out.push(verifier.verify(layer.layerIdentityToken('parse', 'p')).userId);
      try { verifier.verify('x'); } catch (e) { if (!(e instanceof LayerIdentityError)) throw e; }
      const server = http.createServer(identityTokenHandler({ signer, authenticate: () => 'http' })).listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      out.push(await request('http://127.0.0.1:' + server.address().port + '/identity-token'));
      server.close();
      const app = require('fastify')();
      app.register(fastifyIdentityToken, { prefix: '/layer', signer, authenticate: () => 'fastify' });
      await app.listen({ port: 0, host: '127.0.0.1' });
      out.push(await request('http://127.0.0.1:' + app.server.address().port + '/layer/identity-token'));
      await app.close();
      const handler = identityTokenFetchHandler({ signer, authenticate: demoAuthenticate });
      const response = await handler(new Request('http://x/identity-token', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"nonce":"n","user_id":"fetch"}' }));
      out.push(verifier.verify((await response.json()).identity_token).userId);
      console.log(out.join(' '), require.resolve('layer-identity'));
    })();`);
  fs.writeFileSync(path.join(project, 'app.mjs'), `
    import layerIdentity, { Signer, Verifier, generateKeyPair } from 'layer-identity';
    import fastifyIdentityToken from 'layer-identity/fastify';
    const { privateKey, publicKey } = generateKeyPair();
    const signer = new Signer({ privateKey, ${ids} });
    const verifier = new layerIdentity.Verifier({ publicKey, ${ids} });
    console.log(verifier.verify(await signer.signAsync({ userId: 'esm', nonce: 'n' })).userId, Verifier === layerIdentity.Verifier, typeof fastifyIdentityToken);`);
  const cjs = execFileSync(path.join(bin, 'node'), ['app.cjs'], { cwd: project, env, encoding: 'utf8' }).trim().split(' ');
  assert.deepEqual(cjs.slice(0, 5), ['cjs', 'parse', 'http', 'fastify', 'fetch']);
  assert.ok(cjs[5].startsWith(installed), cjs[5]);
  assert.equal(execFileSync(path.join(bin, 'node'), ['app.mjs'], { cwd: project, env, encoding: 'utf8' }).trim(), 'esm true function');

  // TypeScript against the installed types, every check on (the compiler from this package's
  // devDependencies).
  fs.writeFileSync(path.join(project, 'app.mts'), `
    import { Signer, type Claims, LayerIdentityError, identityTokenHandler, identityTokenFetchHandler, demoAuthenticate } from 'layer-identity';
    import fastifyIdentityToken from 'layer-identity/fastify';
    import layer from 'layer-identity/parse';
    import express from 'express';
    import Fastify from 'fastify';
    import { createServer } from 'node:http';
    const signer: Signer = Signer.fromEnv();
    const token: Promise<string> = signer.signAsync({ userId: 'u', nonce: 'n', issuedAt: new Date() });
    const claims = (c: Claims): string => c.userId + (c.firstName ?? '');
    const server = createServer(identityTokenHandler({ signer, authenticate: demoAuthenticate }));
    express().use(identityTokenHandler<express.Request>({ signer, authenticate: (req) => req.get('x-user') }));
    void Fastify().register(fastifyIdentityToken, { prefix: '/layer', signer, authenticate: (request) => request.headers['x-user'] as string });
    const fetchHandler: (request: Request) => Promise<Response> = identityTokenFetchHandler({ signer, authenticate: () => 42n });
    const parsed: string = layer.initialize('p', 'k', Buffer.from('')).layerIdentityToken('u', 'n');
    export { token, claims, server, parsed, fetchHandler, LayerIdentityError };`);
  fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, module: 'node16', moduleResolution: 'node16', target: 'es2022', types: ['node'], typeRoots: [path.join(h.PACKAGE, 'node_modules', '@types')], skipLibCheck: false },
    files: ['app.mts'],
  }));
  execFileSync(process.execPath, [path.join(h.PACKAGE, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { cwd: project, encoding: 'utf8' });
  t.diagnostic(`installed ${path.basename(tarball)} (${(fs.statSync(tarball).size / 1024).toFixed(0)} KiB) into ${project}: node:http, Fastify, fetch-style, ESM, TypeScript`);
});
