// One benchmark measurement, run by bench.mjs in its own process (pinned to the cores it is
// measured on): `node bench/worker.mjs CASE SECONDS`. Prints "CASE <operations per second>".
// Every library makes the same token (checked by bench.mjs's "check" case), with a distinct
// nonce per call.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import jwt from 'jsonwebtoken';
import { CompactSign, compactVerify, importPKCS8, importSPKI } from 'jose';
import { Signer, Verifier, signToken } from 'layer-identity';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const PEM = readFileSync(`${root}vectors/keys/rsa2048.pkcs8.pem`, 'utf8');
const PUBLIC_PEM = readFileSync(`${root}vectors/keys/rsa2048.public.pem`, 'utf8');
export const PROVIDER_ID = 'layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f';
export const KEY_ID = 'layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f';
const ISSUED_AT = 1700000000;
const HEADER = { typ: 'JWS', alg: 'RS256', cty: 'layer-eit;v=1', kid: KEY_ID };
const IN_FLIGHT = 8;

const keyObject = createPrivateKey(PEM);
const publicKeyObject = createPublicKey(PUBLIC_PEM);
const signer = new Signer({ privateKey: PEM, providerId: PROVIDER_ID, keyId: KEY_ID });
const verifier = new Verifier({ publicKey: PUBLIC_PEM, providerId: PROVIDER_ID, keyId: KEY_ID });
const joseKey = await importPKCS8(PEM, 'RS256');
const josePublic = await importSPKI(PUBLIC_PEM, 'RS256');
const encoder = new TextEncoder();

const claims = (i) => ({ iss: PROVIDER_ID, prn: 'alice@example.com', iat: ISSUED_AT, exp: ISSUED_AT + 600, nce: `nonce-${i}` });
const request = (i) => ({ userId: 'alice@example.com', nonce: `nonce-${i}`, issuedAt: ISSUED_AT, ttl: 600 });

export const make = {
  ours: (i) => signer.sign(request(i)),
  oursAsync: (i) => signer.signAsync(request(i)),
  oneShotPem: (i) => signToken({ privateKey: PEM, providerId: PROVIDER_ID, keyId: KEY_ID, ...request(i) }),
  jwtKeyObject: (i) => jwt.sign(claims(i), keyObject, { algorithm: 'RS256', header: HEADER }),
  jwtPem: (i) => jwt.sign(claims(i), PEM, { algorithm: 'RS256', header: HEADER }),
  jose: (i) => new CompactSign(encoder.encode(JSON.stringify(claims(i)))).setProtectedHeader(HEADER).sign(joseKey),
};

const token = make.ours(0);
const NOW = ISSUED_AT + 1;

// Each case: a function of the call number, sync, or async (then IN_FLIGHT calls at a time).
const cases = {
  sign: [make.ours, false],
  'sign-async': [make.oursAsync, true],
  'sign-token-pem': [make.oneShotPem, false],
  'jsonwebtoken-keyobject': [make.jwtKeyObject, false],
  'jsonwebtoken-pem': [make.jwtPem, false],
  'jose-1': [make.jose, true, 1],
  'jose-8': [make.jose, true],
  verify: [() => verifier.verify(token, { now: NOW }), false],
  'verify-async': [() => verifier.verifyAsync(token, { now: NOW }), true],
  'jsonwebtoken-verify': [() => jwt.verify(token, publicKeyObject, { algorithms: ['RS256'], clockTimestamp: NOW }), false],
  'jose-verify': [() => compactVerify(token, josePublic), true],
};

async function measure(name, seconds) {
  const [fn, async, inFlight = IN_FLIGHT] = cases[name];
  for (let i = 0; i < 50; i++) await fn(i); // warm up
  const end = performance.now() + seconds * 1000;
  let count = 0;
  const started = performance.now();
  if (!async) {
    while (performance.now() < end) {
      for (let k = 0; k < 8; k++) fn(count++);
    }
  } else {
    const lane = async () => {
      while (performance.now() < end) await fn(count++);
    };
    await Promise.all(Array.from({ length: inFlight }, lane));
  }
  return count / ((performance.now() - started) / 1000);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [name, seconds = '3'] = process.argv.slice(2);
  if (!cases[name]) {
    console.error(`usage: worker.mjs ${Object.keys(cases).join('|')} SECONDS`);
    process.exit(2);
  }
  console.log(`${name} ${(await measure(name, Number(seconds))).toFixed(1)}`);
  signer.close();
  verifier.close();
}
