#!/usr/bin/env node
// Benchmarks the Node bindings beside `openssl speed -elapsed rsa2048`, the C ABI (abi_bench),
// jsonwebtoken (with a KeyObject, and with the PEM text) and jose, all making the same token,
// measured in the same run, round after round, each in its own process pinned to the cores it
// is measured on (taskset). Reports the median of the per-round ratios; with --json FILE it also
// writes every round's rates to FILE (bench/run.py, `make bench`, reads it). The C ABI's verify
// is layer_verifier_verify_n, the call the addon makes.
//
//   node bench/bench.mjs [--rounds N] [--seconds S] [--json FILE]   (npm run bench; make build first)
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const rounds = option('--rounds', 3);
const seconds = option('--seconds', 3);
const json = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
const key = `${root}vectors/keys/rsa2048.pkcs8.pem`;
const oneCore = ['taskset', '-c', '0'];
const twoCores = ['taskset', '-c', '0-1'];

const run = (command, ...rest) => execFileSync(command[0], [...command.slice(1), ...rest], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], cwd: root });
const rate = (output) => Number(output.trim().split(/\s+/).pop());

// The C ABI's own benchmark, built as scripts/bench.sh builds it (again when its source is newer).
const abiBench = `${root}target/release/abi_bench`;
if (!existsSync(abiBench) || statSync(abiBench).mtimeMs < statSync(`${root}benches/c/abi_bench.c`).mtimeMs) {
  execFileSync('gcc', ['-O2', '-std=c99', '-Iinclude', 'benches/c/abi_bench.c', '-Ltarget/release', '-llayer_identity', '-lpthread', '-o', abiBench], { cwd: root, stdio: 'inherit' });
}
process.env.LD_LIBRARY_PATH = `${root}target/release`;

// The same token from every library: ours and jose byte for byte; jsonwebtoken writes the
// header's members in its own order (alg first), so its claims and signature input differ
// only there; our verifier accepts all three.
const worker = await import('./worker.mjs');
const ours = worker.make.ours(1);
assert.equal(await worker.make.jose(1), ours, 'jose makes our token byte for byte');
assert.equal(worker.make.oneShotPem(1), ours);
assert.equal(await worker.make.oursAsync(1), ours);
const jwtToken = worker.make.jwtKeyObject(1);
assert.equal(jwtToken.split('.')[1], ours.split('.')[1], 'jsonwebtoken makes the same claims');
assert.equal(worker.make.jwtPem(1), jwtToken);
const { Verifier } = await import('layer-identity');
const verifier = new Verifier({ publicKey: readFileSync(key), providerId: worker.PROVIDER_ID, keyId: worker.KEY_ID });
assert.equal(verifier.verify(jwtToken, { now: 1700000001 }).nonce, 'nonce-1');

const node = (name, cores = oneCore) => rate(run(cores, process.execPath, `${here}worker.mjs`, name, String(seconds)));
const median = (values) => {
  const v = [...values].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

console.log(`node ${process.version}, ${run(['openssl', 'version']).trim()}, ${cpus()[0].model}, ${rounds} rounds x ${seconds} s`);
const ratios = {};
const perRound = [];
const add = (name, value) => { (ratios[name] ||= []).push(value); };
for (let round = 1; round <= rounds; round++) {
  const [osslSign, osslVerify] = run(oneCore, 'openssl', 'speed', '-elapsed', '-seconds', String(seconds), 'rsa2048')
    .split('\n').find((l) => l.startsWith('rsa 2048 bits')).trim().split(/\s+/).slice(-2).map(Number);
  const osslMulti = Number(run(twoCores, 'openssl', 'speed', '-elapsed', '-multi', '2', '-seconds', String(seconds), 'rsa2048')
    .split('\n').find((l) => l.startsWith('rsa 2048 bits')).trim().split(/\s+/).slice(-2)[0]);
  const abiSign = rate(run([...oneCore, abiBench], 'sign', String(seconds), key));
  const abiOneshot = rate(run([...oneCore, abiBench], 'oneshot', String(seconds), key));
  const abiVerify = rate(run([...oneCore, abiBench], 'verify-n', String(seconds), key));
  const abiThreads = rate(run([...twoCores, abiBench], 'sign-threads=2', String(seconds), key));
  const r = {
    sign: node('sign'), signAsync: node('sign-async', twoCores), pem: node('sign-token-pem'),
    jwt: node('jsonwebtoken-keyobject'), jwtPem: node('jsonwebtoken-pem'), jose1: node('jose-1'), jose8: node('jose-8', twoCores),
    verify: node('verify'), verifyAsync: node('verify-async', twoCores), jwtVerify: node('jsonwebtoken-verify'), joseVerify: node('jose-verify'),
  };
  console.log(`round ${round}: openssl sign ${osslSign}/s verify ${osslVerify}/s, -multi 2 sign ${osslMulti}/s | C ABI sign ${abiSign}/s (one-shot ${abiOneshot}/s, 2 threads ${abiThreads}/s) verify_n ${abiVerify}/s`);
  perRound.push({
    'openssl sign': osslSign, 'openssl verify': osslVerify, 'openssl sign multi 2': osslMulti,
    'C sign': abiSign, 'C oneshot': abiOneshot, 'C verify_n': abiVerify, 'C sign 2 threads': abiThreads,
    sign: r.sign, oneshot: r.pem, verify: r.verify, 'sign 2 threads': r.signAsync, 'verify 2 threads': r.verifyAsync,
    'peer jsonwebtoken sign': r.jwt, 'peer jsonwebtoken sign pem': r.jwtPem, 'peer jsonwebtoken verify': r.jwtVerify,
    'peer jose sign': r.jose1, 'peer jose sign 2 cores': r.jose8, 'peer jose verify': r.joseVerify,
  });
  console.log(`  node: sign ${r.sign.toFixed(0)}/s, signAsync (2 cores) ${r.signAsync.toFixed(0)}/s, signToken(PEM) ${r.pem.toFixed(0)}/s, verify ${r.verify.toFixed(0)}/s, verifyAsync (2 cores) ${r.verifyAsync.toFixed(0)}/s`);
  console.log(`  jsonwebtoken: KeyObject ${r.jwt.toFixed(0)}/s, PEM ${r.jwtPem.toFixed(0)}/s, verify ${r.jwtVerify.toFixed(0)}/s | jose: 1 in flight ${r.jose1.toFixed(0)}/s, 8 in flight (2 cores) ${r.jose8.toFixed(0)}/s, verify ${r.joseVerify.toFixed(0)}/s`);
  add('sign (sync) / C ABI handle sign         [target >= 0.95]', r.sign / abiSign);
  add('sign (sync) / openssl speed sign', r.sign / osslSign);
  add('jsonwebtoken KeyObject / openssl sign', r.jwt / osslSign);
  add('signAsync, 2 cores / openssl -multi 2   [target >= 0.90]', r.signAsync / osslMulti);
  add('jose, 8 in flight, 2 cores / -multi 2', r.jose8 / osslMulti);
  add('jose, 1 in flight / openssl sign', r.jose1 / osslSign);
  add('signToken, PEM each call / openssl sign [target >= 0.90]', r.pem / osslSign);
  add('signToken, PEM each call / C ABI sign', r.pem / abiSign);
  add('jsonwebtoken, PEM each call / openssl sign', r.jwtPem / osslSign);
  add('signToken, PEM each call / C ABI one-shot', r.pem / abiOneshot);
  add('signAsync, 2 cores / C ABI 2 threads', r.signAsync / abiThreads);
  add('verify (sync) / C ABI verify_n          [target >= 0.85]', r.verify / abiVerify);
  add('verify (sync) / openssl speed verify', r.verify / osslVerify);
  add('verifyAsync, 2 cores / openssl verify', r.verifyAsync / osslVerify);
  add('jsonwebtoken verify / openssl verify', r.jwtVerify / osslVerify);
  add('jose verify / openssl verify', r.joseVerify / osslVerify);
}
console.log('\nmedian of per-round ratios:');
for (const [name, values] of Object.entries(ratios)) console.log(`  ${name.padEnd(58)} ${median(values).toFixed(3)}`);
verifier.close();
if (json) {
  const environment = { node: process.version, jsonwebtoken: packageVersion('jsonwebtoken'), jose: packageVersion('jose') };
  writeFileSync(json, JSON.stringify({ bench: 'node', seconds, environment, rounds: perRound }));
}

function packageVersion(name) {
  return JSON.parse(readFileSync(`${here}../node_modules/${name}/package.json`, 'utf8')).version;
}
