'use strict';
// The error tables against the header, LayerIdentityError, argument checks (TypeError naming
// the argument, before anything crosses into C), times as Date and seconds, defaults.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { test } = require('node:test');

const li = require('..');
const native = require('../lib/native');
const h = require('./helpers');

const KEY = h.keyBytes('keys/rsa2048.pkcs8.pem');
const PUBLIC = h.keyBytes('keys/rsa2048.public.pem');
const signer = new li.Signer({ privateKey: KEY, providerId: h.PROVIDER_ID, keyId: h.KEY_ID });
const verifier = new li.Verifier({ publicKey: PUBLIC, providerId: h.PROVIDER_ID, keyId: h.KEY_ID });
const base = { userId: 'alice', nonce: 'n0nce' };

test('Status has exactly the LayerStatus values of the header, and the library agrees', () => {
  const header = h.headerEnum('LayerStatus');
  assert.ok(header.length >= 14);
  assert.deepEqual(Object.fromEntries(header), { ...li.Status }, 'lib/errors.js Status differs from include/layer_identity.h');
  for (const [name, value] of header) assert.equal(native.statusName(value), name);
  assert.ok(Object.isFrozen(li.Status));
});

test('Eit has exactly the LayerEit values of the header, and the library agrees', () => {
  const header = h.headerEnum('LayerEit').filter(([name]) => name !== 'LAYER_EIT_NONE');
  assert.ok(header.length >= 14);
  const expected = Object.fromEntries(header.map(([, value]) => [native.eitName(value), value]));
  assert.deepEqual(expected, { ...li.Eit });
  for (const [name] of header) assert.equal(`eit_${name.slice('LAYER_EIT_'.length).toLowerCase()}`, native.eitName(li.Eit[`eit_${name.slice('LAYER_EIT_'.length).toLowerCase()}`]));
  assert.equal(native.eitName(0), '');
});

test('the flags and the ABI version come from the header the addon was built with', () => {
  const flags = h.headerFlags();
  assert.equal(native.FLAG_TYP_JWT, flags.TYP_JWT);
  assert.equal(native.FLAG_ALLOW_1024_BIT_KEY, flags.ALLOW_1024_BIT_KEY);
  const abi = Number(/#define LAYER_ABI_VERSION (\d+)/.exec(require('node:fs').readFileSync(h.HEADER, 'utf8'))[1]);
  assert.equal(native.headerAbiVersion, abi);
  assert.ok(li.abiVersion >= abi);
  assert.match(li.version, /^\d+\.\d+\.\d+/);
  assert.equal(native.napiVersion, 8);
});

test('LayerIdentityError: an Error with code, status and eitCode', () => {
  const error = new li.LayerIdentityError('boom', { code: 'LAYER_ERR_EXPIRED', eitCode: 'eit_expired' });
  assert.ok(error instanceof Error);
  assert.equal(error.name, 'LayerIdentityError');
  assert.equal(error.status, 9);
  assert.equal(error.code, 'LAYER_ERR_EXPIRED');
  assert.equal(error.eitCode, 'eit_expired');
  assert.equal(new li.LayerIdentityError('x', { status: 4 }).code, 'LAYER_ERR_INVALID_KEY');
  assert.equal(new li.LayerIdentityError('x', { status: 99 }).code, 'LAYER_STATUS_UNKNOWN');
  assert.match(String(error), /^LayerIdentityError: boom$/);
});

test('a library error carries the status name, number and no eitCode; the stack starts at the caller', () => {
  assert.throws(() => new li.Signer({ privateKey: 'not a key', providerId: h.PROVIDER_ID, keyId: h.KEY_ID }), (error) => {
    assert.ok(error instanceof li.LayerIdentityError);
    assert.equal(error.code, 'LAYER_ERR_INVALID_KEY');
    assert.equal(error.status, li.Status.LAYER_ERR_INVALID_KEY);
    assert.equal(error.eitCode, null);
    assert.doesNotMatch(error.stack.split('\n')[1], /makeError/);
    return true;
  });
});

test('no message quotes the key or the passphrase', () => {
  const encrypted = h.keyBytes('keys/rsa2048.pkcs8.encrypted.pem').toString();
  const secret = 'Tr0ub4dor&3-very-secret';
  assert.throws(() => new li.Signer({ privateKey: encrypted, passphrase: secret, providerId: h.PROVIDER_ID, keyId: h.KEY_ID }), (error) => {
    assert.equal(error.code, 'LAYER_ERR_WRONG_PASSPHRASE');
    assert.ok(!error.message.includes(secret));
    const body = encrypted.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
    for (let i = 0; i + 16 <= body.length; i += 16) assert.ok(!error.message.includes(body.slice(i, i + 16)));
    return true;
  });
});

test('wrong argument types throw TypeError naming the argument', () => {
  const typeError = (fn, name) => assert.throws(fn, (error) => {
    assert.ok(error instanceof TypeError, `${name}: ${error}`);
    assert.ok(error.message.includes(name), `${JSON.stringify(error.message)} names ${name}`);
    assert.ok(['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE'].includes(error.code));
    return true;
  });
  const make = (o) => () => new li.Signer({ privateKey: KEY, providerId: h.PROVIDER_ID, keyId: h.KEY_ID, ...o });
  typeError(() => new li.Signer(), 'Signer options');
  typeError(() => new li.Signer('pem'), 'Signer options');
  typeError(make({ privateKey: 42 }), 'privateKey');
  typeError(make({ privateKey: undefined }), 'privateKey');
  typeError(make({ providerId: null }), 'providerId');
  typeError(make({ keyId: ['x'] }), 'keyId');
  typeError(make({ passphrase: 1 }), 'passphrase');
  typeError(make({ tokenType: 1 }), 'tokenType');
  typeError(make({ allow1024BitKey: 'yes' }), 'allow1024BitKey');
  typeError(make({ private_key: KEY }), 'private_key');
  typeError(make({ privateKey: crypto.createSecretKey(Buffer.alloc(32)) }), 'privateKey');
  typeError(() => signer.sign(), 'sign options');
  typeError(() => signer.sign({ nonce: 'n' }), 'userId');
  typeError(() => signer.sign({ userId: 7, nonce: 'n' }), 'userId');
  typeError(() => signer.sign({ userId: 'u' }), 'nonce');
  typeError(() => signer.sign({ ...base, issuedAt: '1700000000' }), 'issuedAt');
  typeError(() => signer.sign({ ...base, issuedAt: true }), 'issuedAt');
  typeError(() => signer.sign({ ...base, ttl: '600' }), 'ttl');
  typeError(() => signer.sign({ ...base, firstName: 1 }), 'firstName');
  typeError(() => signer.sign({ ...base, avatarUrl: {} }), 'avatarUrl');
  typeError(() => signer.sign({ ...base, metadata: 'plan=pro' }), 'metadata');
  typeError(() => signer.sign({ ...base, metadata: [['plan', 'pro']] }), 'metadata');
  typeError(() => signer.sign({ ...base, metadata: { seats: 5 } }), 'metadata["seats"]');
  typeError(() => signer.sign({ ...base, metadata: new Map([[1, 'x']]) }), 'metadata');
  typeError(() => signer.sign({ ...base, user_id: 'x' }), "'user_id' (did you mean userId?)");
  typeError(() => verifier.verify(42), 'token');
  typeError(() => verifier.verify('a.b.c', { nonce: 5 }), 'nonce');
  typeError(() => verifier.verify('a.b.c', { now: '2024' }), 'now');
  typeError(() => verifier.verify('a.b.c', { leeway: '60' }), 'leeway');
  typeError(() => verifier.verify('a.b.c', { expected_nonce: 'x' }), 'expected_nonce');
  typeError(() => new li.Verifier({ publicKey: 5, providerId: h.PROVIDER_ID, keyId: h.KEY_ID }), 'publicKey');
  typeError(() => li.generateKeyPair('2048'), 'bits');
  typeError(() => li.signToken({ privateKey: KEY, providerId: h.PROVIDER_ID, keyId: h.KEY_ID, userId: 1, nonce: 'n' }), 'userId');
  typeError(() => li.inspectToken(null), 'token');
  typeError(() => li.identityTokenHandler({ signer, authenticate: 'x' }), 'authenticate');
  typeError(() => li.identityTokenHandler({ signer: {}, authenticate() {} }), 'signer');
});

test('numbers that cannot be converted throw RangeError naming the argument', () => {
  const rangeError = (fn, name) => assert.throws(fn, (error) => {
    assert.ok(error instanceof RangeError, String(error));
    assert.ok(error.message.startsWith(name), error.message);
    assert.equal(error.code, 'ERR_OUT_OF_RANGE');
    return true;
  });
  rangeError(() => signer.sign({ ...base, ttl: 1.5 }), 'ttl');
  rangeError(() => signer.sign({ ...base, issuedAt: NaN }), 'issuedAt');
  rangeError(() => signer.sign({ ...base, issuedAt: Infinity }), 'issuedAt');
  rangeError(() => signer.sign({ ...base, issuedAt: new Date('nope') }), 'issuedAt');
  rangeError(() => signer.sign({ ...base, issuedAt: 2n ** 63n }), 'issuedAt');
  rangeError(() => signer.sign({ ...base, issuedAt: 2 ** 63 }), 'issuedAt');
  rangeError(() => verifier.verify('a.b.c', { leeway: 0.5 }), 'leeway');
  rangeError(() => li.generateKeyPair(-2048), 'bits');
});

test('times are converted, never judged: 0 is now, a negative time or an oversized one is the library\'s error', () => {
  const invalid = (fn, argument) => assert.throws(fn, (error) => {
    assert.ok(error instanceof li.LayerIdentityError, String(error));
    assert.equal(error.code, 'LAYER_ERR_INVALID_ARGUMENT');
    assert.ok(error.message.startsWith(argument), error.message);
    return true;
  });
  invalid(() => signer.sign({ ...base, issuedAt: -5 }), 'issued_at');
  invalid(() => signer.sign({ ...base, issuedAt: -5n }), 'issued_at');
  invalid(() => signer.sign({ ...base, issuedAt: new Date(-1000) }), 'issued_at');
  invalid(() => signer.sign({ ...base, ttl: -1 }), 'ttl_seconds');
  invalid(() => signer.sign({ ...base, ttl: 2 ** 32 }), 'ttl_seconds');
  invalid(() => verifier.verify('a.b.c', { leeway: -1 }), 'leeway_seconds');
  invalid(() => verifier.verify('a.b.c', { now: -1 }), 'now');
  invalid(() => verifier.verify('a.b.c', { nonce: '' }), 'expected_nonce');
  // 0 is now (and the default TTL), as when left out; a BigInt is the same number of seconds.
  const now = Math.floor(Date.now() / 1000);
  const claims = verifier.verify(signer.sign({ ...base, issuedAt: 0, ttl: 0 }), { now: 0 });
  assert.ok(claims.issuedAt >= now && claims.issuedAt <= now + 5);
  assert.equal(claims.expiresAt - claims.issuedAt, 600);
  assert.equal(signer.sign({ ...base, issuedAt: 1700000000n, ttl: 60n }), signer.sign({ ...base, issuedAt: 1700000000, ttl: 60 }));
  assert.equal(verifier.verify(signer.sign({ ...base, issuedAt: 1700000000 }), { now: 1700000001n, leeway: 0n }).issuedAt, 1700000000);
});

test('token type names are the library\'s rule: JWS or JWT in any letter case', () => {
  const typ = (tokenType) => {
    const s = new li.Signer({ privateKey: KEY, providerId: h.PROVIDER_ID, keyId: h.KEY_ID, tokenType });
    const header = JSON.parse(h.independentVerify(s.sign(base), crypto.createPublicKey(PUBLIC)).header);
    s.close();
    return header.typ;
  };
  assert.deepEqual(['jwt', 'Jwt', 'JWT', 'jws', 'JWS'].map(typ), ['JWT', 'JWT', 'JWT', 'JWS', 'JWS']);
  assert.throws(() => typ('JWE'), { name: 'LayerIdentityError', code: 'LAYER_ERR_INVALID_ARGUMENT', message: /token type/ });
  assert.throws(() => typ(''), { code: 'LAYER_ERR_INVALID_ARGUMENT' });
});

test('a public KeyObject given as privateKey is named for what it is: a public key', () => {
  // It was "privateKey must be a private KeyObject, received a string".
  for (const privateKey of [crypto.createPublicKey(PUBLIC), PUBLIC, PUBLIC.toString()]) {
    assert.throws(() => new li.Signer({ privateKey, providerId: h.PROVIDER_ID, keyId: h.KEY_ID }), (error) => {
      assert.ok(error instanceof li.LayerIdentityError, String(error));
      assert.equal(error.code, 'LAYER_ERR_INVALID_KEY');
      assert.match(error.message, /this is a public key; signing needs the private key/);
      assert.doesNotMatch(error.message, /string/);
      return true;
    });
  }
  assert.throws(() => new li.Signer({ privateKey: crypto.createSecretKey(Buffer.alloc(32)), providerId: h.PROVIDER_ID, keyId: h.KEY_ID }),
    { name: 'TypeError', message: 'privateKey must be an RSA key (PEM text, its bytes or an asymmetric KeyObject), received a secret KeyObject' });
});

test('the async forms report bad arguments through their promise, not by throwing', async () => {
  const p = signer.signAsync({ userId: 1, nonce: 'n' });
  assert.ok(p instanceof Promise);
  await assert.rejects(p, TypeError);
  await assert.rejects(verifier.verifyAsync(null), TypeError);
  await assert.rejects(li.generateKeyPairAsync('x'), TypeError);
  await assert.rejects(li.signTokenAsync(null), TypeError);
});

test('U+0000 and lone surrogates reach the library, which refuses them naming the argument', () => {
  assert.throws(() => signer.sign({ userId: 'al\0ice', nonce: 'n' }), { name: 'LayerIdentityError', code: 'LAYER_ERR_INVALID_ARGUMENT', message: /^user_id contains U\+0000 \(at byte 2\)/ });
  assert.throws(() => signer.sign({ ...base, lastName: 'x\0' }), { code: 'LAYER_ERR_INVALID_ARGUMENT', message: /^last_name/ });
  assert.throws(() => signer.sign({ ...base, metadata: { 'a\0': 'b' } }), { code: 'LAYER_ERR_INVALID_ARGUMENT', message: /^metadata_names\[0\]/ });
  // A lone surrogate has no UTF-8 form: it crosses as its 3-byte form, never as U+FFFD.
  assert.throws(() => signer.sign({ userId: 'a', nonce: 'x\uD800y' }), { code: 'LAYER_ERR_INVALID_UTF8', message: /^nonce is not valid UTF-8 \(invalid byte at offset 1\)/ });
  assert.throws(() => signer.sign({ userId: 'ab\uDC00', nonce: 'n' }), { code: 'LAYER_ERR_INVALID_UTF8', message: /^user_id .* offset 2/ });
  assert.throws(() => signer.sign({ userId: '\uD83D\uD83D\uDE00', nonce: 'n' }), { code: 'LAYER_ERR_INVALID_UTF8', message: /^user_id .* offset 0/ }); // a high surrogate, then a pair
  assert.throws(() => signer.sign({ ...base, metadata: { a: 'b\uDFFF' } }), { code: 'LAYER_ERR_INVALID_UTF8', message: /^metadata_values\[0\]/ });
  assert.throws(() => new li.Signer({ privateKey: KEY, providerId: `${h.PROVIDER_ID}\uD800`, keyId: h.KEY_ID }), { code: 'LAYER_ERR_INVALID_UTF8', message: /^provider_id/ });
  assert.throws(() => verifier.verify('a\0b'), { code: 'LAYER_ERR_INVALID_ARGUMENT', message: /^token/ });
  assert.throws(() => verifier.verify('a.\uDBFF.c'), { code: 'LAYER_ERR_INVALID_UTF8', message: /^token/ });
  assert.throws(() => li.inspectToken('\uD800'), { code: 'LAYER_ERR_INVALID_UTF8' });
  // U+FFFD itself is text like any other (the addon tells it from a replaced lone surrogate).
  assert.equal(verifier.verify(signer.sign({ userId: 'a\uFFFDb', nonce: 'n' })).userId, 'a\uFFFDb');
  assert.throws(() => signer.sign({ userId: 'a\uFFFD\uD800', nonce: 'n' }), { code: 'LAYER_ERR_INVALID_UTF8', message: /^user_id .* offset 4/ });
  assert.throws(() => signer.sign({ userId: `${'\uFFFD'.repeat(600)}\uDC00`, nonce: 'n' }), { code: 'LAYER_ERR_INVALID_UTF8', message: /offset 1800/ });
  // Key bytes cross as they are: a zero byte is simply not a key.
  assert.throws(() => new li.Signer({ privateKey: Buffer.from('ab\0cd'), providerId: h.PROVIDER_ID, keyId: h.KEY_ID }), { code: 'LAYER_ERR_INVALID_KEY' });
  // A well-formed pair is fine and reaches the token as UTF-8.
  const token = signer.sign({ userId: 'grin \uD83D\uDE00', nonce: 'n' });
  assert.equal(verifier.verify(token).userId, 'grin 😀');
});

test('the addon itself checks types too (it never trusts its caller)', () => {
  assert.throws(() => native.sign({}, 'u', 'n', 0, 0, null, null, null, null, null, null), { name: 'TypeError', message: /signer/ });
  const v = native.verifierNew(PUBLIC, h.PROVIDER_ID, h.KEY_ID, 0);
  assert.throws(() => native.sign(v, 'u', 'n', 0, 0, null, null, null, null, null, null), { name: 'TypeError', message: /signer handle/ });
  native.close(v);
  const s = native.signerNew(KEY, null, h.PROVIDER_ID, h.KEY_ID, 0);
  assert.throws(() => native.sign(s, 5, 'n', 0, 0, null, null, null, null, null, null), { name: 'TypeError', message: /userId/ });
  assert.throws(() => native.sign(s, 'u', 'n', 1.5, 0, null, null, null, null, null, null), { name: 'RangeError', message: /issuedAt/ });
  assert.throws(() => native.sign(s, 'u', 'n', 0, 0.5, null, null, null, null, null, null), { name: 'RangeError', message: /ttl/ });
  assert.throws(() => native.sign(s, 'u', 'n', '0', 0, null, null, null, null, null, null), { name: 'TypeError', message: /issuedAt/ });
  assert.throws(() => native.sign(s, 'u', 'n', 0, 0, null, null, null, null, ['a'], []), { name: 'TypeError', message: /metadata/ });
  assert.throws(() => native.sign(s, 'u', 'n', 0, 0, null, null, null, null, ['a'], [1]), { name: 'TypeError', message: /metadata value/ });
  assert.throws(() => native.exchangeStep(s), { name: 'TypeError', message: /exchange handle/ });
  assert.throws(() => native.exchangeFinish(native.exchangeNew('GET', '/healthz', null, null), s, 9, null), { name: 'RangeError', message: /outcome/ });
  assert.throws(() => native.sign(s, 'u'), { name: 'TypeError', message: /missing arguments/ });
  assert.equal(native.close(s), true);
  assert.equal(native.close(s), false);
  assert.throws(() => native.sign(s, 'u', 'n', 0, 0, null, null, null, null, null, null), { code: 'ERR_USE_AFTER_CLOSE' });
  assert.throws(() => native.close({}), TypeError);
});

test('defaults: typ JWS, TTL 600 s, issued now, leeway 60 s', () => {
  const before = Math.floor(Date.now() / 1000);
  const token = signer.sign(base);
  const after = Math.floor(Date.now() / 1000);
  const { header } = h.independentVerify(token, crypto.createPublicKey(PUBLIC));
  assert.equal(JSON.parse(header).typ, 'JWS');
  const claims = verifier.verify(token, { nonce: 'n0nce' });
  assert.ok(claims.issuedAt >= before && claims.issuedAt <= after);
  assert.equal(claims.expiresAt - claims.issuedAt, 600);
  assert.equal(li.DEFAULT_LEEWAY, 60);
  // Expired 59 s ago: inside the default leeway; 61 s: outside.
  const now = 1700000000;
  const old = signer.sign({ ...base, issuedAt: now - 600 - 59, ttl: 600 });
  assert.equal(verifier.verify(old, { now }).userId, 'alice');
  const older = signer.sign({ ...base, issuedAt: now - 600 - 61, ttl: 600 });
  assert.throws(() => verifier.verify(older, { now }), { code: 'LAYER_ERR_EXPIRED', eitCode: 'eit_expired' });
  assert.equal(verifier.verify(older, { now, leeway: 120 }).userId, 'alice');
  // Without `now`, the system clock: long expired.
  assert.throws(() => verifier.verify(older), { code: 'LAYER_ERR_EXPIRED' });
  const jwt = new li.Signer({ privateKey: KEY, providerId: h.PROVIDER_ID, keyId: h.KEY_ID, tokenType: 'JWT' });
  assert.equal(JSON.parse(h.independentVerify(jwt.sign(base), crypto.createPublicKey(PUBLIC)).header).typ, 'JWT');
  jwt.close();
});

test('times: a Date or Unix seconds (floored); milliseconds are the library\'s error', () => {
  const at = new Date('2024-05-06T07:08:09.999Z');
  const seconds = Math.floor(at.getTime() / 1000);
  assert.equal(signer.sign({ ...base, issuedAt: at }), signer.sign({ ...base, issuedAt: seconds }));
  assert.equal(signer.sign({ ...base, issuedAt: seconds + 0.7 }), signer.sign({ ...base, issuedAt: seconds }));
  assert.throws(() => signer.sign({ ...base, issuedAt: at.getTime() }), { code: 'LAYER_ERR_INVALID_ARGUMENT', message: /milliseconds/ });
  const token = signer.sign({ ...base, issuedAt: at });
  assert.equal(verifier.verify(token, { now: new Date(at.getTime() + 1000) }).issuedAt, seconds);
  assert.equal(verifier.verify(token, { now: seconds + 10 }).expiresAt, seconds + 600);
  assert.throws(() => verifier.verify(token, { now: seconds - 3600 }), { code: 'LAYER_ERR_NOT_YET_VALID', eitCode: 'eit_not_before' });
});

test('keys as text, bytes, Uint8Array or KeyObject give the same signer', () => {
  const expected = signer.sign({ ...base, issuedAt: 1700000000 });
  const forms = [KEY.toString('utf8'), new Uint8Array(KEY), crypto.createPrivateKey(KEY)];
  for (const privateKey of forms) {
    const s = new li.Signer({ privateKey, providerId: h.PROVIDER_ID, keyId: h.KEY_ID });
    assert.equal(s.sign({ ...base, issuedAt: 1700000000 }), expected);
    s.close();
  }
  for (const publicKey of [PUBLIC.toString(), crypto.createPublicKey(PUBLIC), crypto.createPrivateKey(KEY), KEY]) {
    const v = new li.Verifier({ publicKey, providerId: h.PROVIDER_ID, keyId: h.KEY_ID });
    assert.equal(v.verify(expected, { now: 1700000001 }).userId, 'alice');
    v.close();
  }
});

test('metadata as an object or a Map; typed claims read it back, null-prototype and frozen', () => {
  const metadata = { plan: 'pro', __proto__: 'x', toString: 'y' };
  Object.defineProperty(metadata, '__proto__', { value: 'proto', enumerable: true });
  const fromObject = signer.sign({ ...base, issuedAt: 1700000000, metadata });
  const fromMap = signer.sign({ ...base, issuedAt: 1700000000, metadata: new Map(Object.entries(metadata)) });
  assert.equal(fromObject, fromMap);
  const claims = verifier.verify(fromObject, { now: 1700000001 });
  assert.equal(Object.getPrototypeOf(claims.metadata), null);
  assert.deepEqual(Object.keys(claims.metadata), ['__proto__', 'plan', 'toString']);
  assert.equal(claims.metadata.__proto__, 'proto');
  assert.equal(claims.metadata.toString, 'y');
  assert.ok(Object.isFrozen(claims.metadata));
  assert.equal(signer.sign({ ...base, issuedAt: 1700000000, metadata: {} }), signer.sign({ ...base, issuedAt: 1700000000 }));
  assert.deepEqual(Object.keys(verifier.verify(signer.sign(base)).metadata), []);
});

test('claims with U+0000 (\\u0000 in the token) come back whole', () => {
  // A token whose nce holds U+0000, signed by node:crypto with the same key.
  const header = Buffer.from(`{"typ":"JWS","alg":"RS256","cty":"layer-eit;v=1","kid":"${h.KEY_ID}"}`).toString('base64url');
  const body = Buffer.from(`{"iss":"${h.PROVIDER_ID}","prn":"a\\u0000b","iat":1700000000,"exp":1700000600,"nce":"n\\u0000","first_name":"F\\u0000"}`).toString('base64url');
  const signature = crypto.sign('sha256', Buffer.from(`${header}.${body}`), crypto.createPrivateKey(KEY)).toString('base64url');
  const claims = verifier.verify(`${header}.${body}.${signature}`, { now: 1700000001 });
  assert.equal(claims.userId, 'a\0b');
  assert.equal(claims.nonce, 'n\0');
  assert.equal(claims.firstName, 'F\0');
});

test('inspectToken decodes without verifying; generateKeyPair makes a usable pair', async () => {
  const token = signer.sign({ ...base, issuedAt: 1700000000 });
  const { header, claims } = li.inspectToken(token);
  assert.equal(JSON.parse(header).kid, h.KEY_ID);
  assert.equal(JSON.parse(claims).prn, 'alice');
  assert.throws(() => li.inspectToken('nope'), { code: 'LAYER_ERR_MALFORMED_TOKEN' });
  for (const pair of [li.generateKeyPair(), await li.generateKeyPairAsync(2048)]) {
    assert.match(pair.privateKey, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.match(pair.publicKey, /^-----BEGIN PUBLIC KEY-----\n/);
    assert.equal(crypto.createPublicKey(pair.publicKey).asymmetricKeyDetails.modulusLength, 2048);
    const s = new li.Signer({ privateKey: pair.privateKey, providerId: h.PROVIDER_ID, keyId: h.KEY_ID });
    h.independentVerify(s.sign(base), crypto.createPublicKey(pair.publicKey));
    assert.equal(s.publicKeyPem(), pair.publicKey);
    s.close();
  }
  li.clearKeyCache();
});

test('every token is accepted by jsonwebtoken with a KeyObject too', () => {
  const jwt = require('jsonwebtoken');
  const token = signer.sign({ ...base, firstName: 'Zoë', metadata: { plan: 'pro' } });
  const payload = jwt.verify(token, crypto.createPublicKey(PUBLIC), { algorithms: ['RS256'] });
  assert.equal(payload.prn, 'alice');
  assert.equal(payload.first_name, 'Zoë');
  assert.deepEqual(payload.metadata, { plan: 'pro' });
});

test('strings of every length around the addon\'s inline buffer cross whole, in 1- to 4-byte characters', () => {
  const pieces = ['a', 'é', '李', '😀'];
  for (let length = 150; length <= 260; length++) {
    for (const piece of pieces) {
      const value = piece.repeat(Math.ceil(length / Buffer.byteLength(piece))).slice(0, length);
      if (!value.isWellFormed()) continue; // a cut surrogate pair
      const token = signer.sign({ userId: value, nonce: `n${value}`, displayName: value, metadata: { [value]: value } });
      const claims = verifier.verify(token, { nonce: `n${value}` });
      assert.equal(claims.userId, value);
      assert.equal(claims.displayName, value);
      assert.equal(claims.metadata[value], value);
    }
  }
});
