#!/usr/bin/env node
// The sample backend (examples/backend.js) over keep-alive HTTP, beside `openssl speed -multi 2
// rsa2048` measured in the same run: tokens per second with 1 and with 8 connections, each
// sending its next request as soon as the previous answer arrives, and the latency's median
// and 99th percentile. Every answer is checked to carry a token. The load generator is this
// process (raw sockets, one prebuilt request, minimal parsing), which shares the machine's
// cores with the server: the ratios are the server's throughput with that load beside it.
//
//   node bench/http.mjs [--seconds S] [--rounds N]      (npm run bench:http; make build first)
//
// Targets (issue 18): >= 0.7 of openssl -multi 2 at 8 connections; <= 1 ms median at 1.
import { execFileSync, spawn } from 'node:child_process';
import { cpus } from 'node:os';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('..', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const seconds = option('--seconds', 5);
const rounds = option('--rounds', 3);
const PROVIDER_ID = 'layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f';
const KEY_ID = 'layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f';

function startBackend() {
  const env = { ...process.env, LAYER_PROVIDER_ID: PROVIDER_ID, LAYER_KEY_ID: KEY_ID, LAYER_PRIVATE_KEY_PATH: `${root}vectors/keys/rsa2048.pkcs8.pem`, PORT: '0', HOST: '127.0.0.1' };
  for (const name of ['LAYER_PRIVATE_KEY', 'LAYER_PRIVATE_KEY_PASSPHRASE', 'LAYER_TOKEN_TYPE']) delete env[name];
  const child = spawn(process.execPath, [`${here}examples/backend.js`], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`the backend exited with ${code}`)));
  });
}

const body = '{"nonce":"Zk3v+Qm/9tLwR2bN8cXy1A==","user_id":"alice@example.com"}';
const request = Buffer.from(`POST /identity-token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);

// One keep-alive connection in a closed loop until `end`: the latency of each answer (ms).
function connection(port, end) {
  return new Promise((resolve, reject) => {
    const latencies = [];
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    let buffer = Buffer.alloc(0);
    let sent = 0;
    const send = () => {
      sent = performance.now();
      socket.write(request);
    };
    socket.on('connect', send);
    socket.on('data', (chunk) => {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      for (;;) {
        const head = buffer.indexOf('\r\n\r\n');
        if (head === -1) return;
        const text = buffer.subarray(0, head).toString('latin1');
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text)[1]);
        if (buffer.length < head + 4 + length) return;
        if (!text.startsWith('HTTP/1.1 200') || buffer.indexOf('"identity_token":"', head) === -1) {
          reject(new Error(`not a token: ${buffer.subarray(0, head + 4 + length).toString()}`));
          socket.destroy();
          return;
        }
        latencies.push(performance.now() - sent);
        buffer = buffer.subarray(head + 4 + length);
        if (performance.now() < end) send();
        else {
          socket.end();
          resolve(latencies);
          return;
        }
      }
    });
    socket.on('error', reject);
  });
}

async function load(port, connections) {
  // A short warm-up (JIT, the thread pool's threads), then the measurement.
  await Promise.all(Array.from({ length: connections }, () => connection(port, performance.now() + 300)));
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: connections }, () => connection(port, started + seconds * 1000)));
  const elapsed = (performance.now() - started) / 1000;
  const all = results.flat().sort((a, b) => a - b);
  const at = (q) => all[Math.min(all.length - 1, Math.floor(q * all.length))];
  return { rate: all.length / elapsed, p50: at(0.5), p99: at(0.99) };
}

function opensslMulti() {
  const out = execFileSync('openssl', ['speed', '-elapsed', '-multi', '2', '-seconds', String(seconds), 'rsa2048'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return Number(out.split('\n').find((l) => l.startsWith('rsa 2048 bits')).trim().split(/\s+/).slice(-2)[0]);
}

const median = (values) => {
  const v = [...values].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

const { child, port } = await startBackend();
console.log(`node ${process.version}, ${execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim()}, ${cpus().length} x ${cpus()[0].model}; ${rounds} rounds x ${seconds} s`);
const rows = { one: [], eight: [] };
try {
  for (let round = 1; round <= rounds; round++) {
    const multi = opensslMulti();
    const one = await load(port, 1);
    const eight = await load(port, 8);
    console.log(`round ${round}: openssl -multi 2 sign ${multi.toFixed(0)}/s | 1 connection ${one.rate.toFixed(0)} tokens/s, p50 ${one.p50.toFixed(2)} ms, p99 ${one.p99.toFixed(2)} ms | 8 connections ${eight.rate.toFixed(0)} tokens/s, p50 ${eight.p50.toFixed(2)} ms, p99 ${eight.p99.toFixed(2)} ms`);
    rows.one.push({ ...one, ratio: one.rate / multi });
    rows.eight.push({ ...eight, ratio: eight.rate / multi });
  }
} finally {
  child.kill('SIGTERM');
}
console.log('\nmedian of the rounds:');
for (const [name, label, target] of [['one', '1 connection ', 'p50 <= 1 ms'], ['eight', '8 connections', 'ratio >= 0.70']]) {
  const r = rows[name];
  console.log(`  ${label}: ${median(r.map((x) => x.rate)).toFixed(0)} tokens/s = ${median(r.map((x) => x.ratio)).toFixed(3)} of openssl -multi 2, p50 ${median(r.map((x) => x.p50)).toFixed(2)} ms, p99 ${median(r.map((x) => x.p99)).toFixed(2)} ms   [target ${target}]`);
}
