'use strict';
// The shared vectors (vectors/README.md) through the public API: every signing case byte for
// byte (sync, async and, where one_shot, signToken), every error case with its exact status
// and message fragment, every verification case with its exact status and eitCode and, on
// accept, the typed claims, every environment case through Signer.fromEnv. Inputs the typed
// API cannot express are mapped to the nearest thing it does, or listed by name below.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const path = require('node:path');
const { test } = require('node:test');

const li = require('..');
const native = require('../lib/native');
const h = require('./helpers');

const ATTRIBUTES = { first_name: 'firstName', last_name: 'lastName', display_name: 'displayName', avatar_url: 'avatarUrl' };
const OPTION_NAMES = new Set(['userId', 'nonce', 'issuedAt', 'ttl', 'firstName', 'lastName', 'displayName', 'avatarUrl', 'metadata']);

// attributes_json that JSON.parse reads without complaint although it has a duplicate member:
// a JavaScript object cannot hold one, so the typed API cannot be given it.
const DUPLICATE_MEMBERS = new Set([
  'signer-sign-attributes-duplicate-member',
  'signer-sign-attributes-duplicate-member-via-escape',
  'signer-sign-attributes-duplicate-metadata-member',
  'signer-sign-metadata-duplicate-name',
  'signer-sign-metadata-duplicate-name-via-escape',
]);

const tally = { exact: 0, typeError: 0, nullIsAbsent: 0, internalBinding: 0, keyBytes: 0, notExpressible: [] };

function readKey(args, fileField, inlineField) {
  if (args[fileField] !== undefined) return h.keyBytes(args[fileField]);
  const value = args[inlineField];
  if (value !== null && typeof value === 'object') return h.hexBytes(value); // raw bytes: the library judges them
  return value;
}

// A JS string for a vector string argument: {hex} (invalid UTF-8) becomes a string with a lone
// surrogate, the nearest thing a JS string can hold that has no UTF-8 encoding.
function text(value) {
  if (value !== null && typeof value === 'object') return `${h.hexBytes(value).toString('latin1').replace(/[^\x20-\x7e]/g, '')}\uD800`;
  return value;
}

// A passphrase: a string, or {hex} bytes (ABI 3 takes passphrases as bytes), as a Buffer.
const secret = (value) => (value !== null && typeof value === 'object' ? h.hexBytes(value) : value);

// Sign options for an ABI 3 case's `attributes` (an object of some of the four) and `metadata`
// ([name, value] pairs, a Map in the same order; {hex} texts as strings with a lone surrogate).
function abi3Options(a) {
  const options = {};
  for (const [member, value] of Object.entries(a.attributes || {})) options[ATTRIBUTES[member]] = text(value);
  if (a.metadata !== null && a.metadata !== undefined) options.metadata = new Map(a.metadata.map(([n, v]) => [text(n), text(v)]));
  return options;
}

// Sign options for an attributes_json text, or { unexpressible: reason }.
function attributeOptions(name, json) {
  if (json === null) return {};
  if (typeof json === 'object') return { firstName: 'x\uD800' }; // {hex}: invalid UTF-8 in an attribute
  if (DUPLICATE_MEMBERS.has(name)) return { unexpressible: 'a duplicate member: a JavaScript object cannot hold one' };
  let value;
  try {
    value = JSON.parse(json);
  } catch {
    return { unexpressible: 'not JSON: the typed API takes values, not JSON text' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { unexpressible: 'not a JSON object: the typed API takes the attributes as members of the sign request' };
  }
  const options = {};
  for (const [member, v] of Object.entries(value)) {
    if (member === 'metadata') options.metadata = v;
    else if (ATTRIBUTES[member]) options[ATTRIBUTES[member]] = v;
    // An unknown member: the same name, unless it is one of our option names (firstName in a
    // snake_case API), then its snake_case spelling, which is unknown to ours.
    else options[OPTION_NAMES.has(member) ? member.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : member] = v;
  }
  return options;
}

// Keys cross as bytes (layer_signer_new_n and the other _n functions take DER as it is): key
// bytes that are not UTF-8 are a malformed key there, LAYER_ERR_INVALID_KEY, where the
// NUL-terminated functions these cases were written for say LAYER_ERR_INVALID_UTF8.
function keyAsBytes(args, keyField, expected) {
  const value = args[keyField];
  if (value === null || typeof value !== 'object' || expected !== 'LAYER_ERR_INVALID_UTF8') return expected;
  tally.keyBytes++;
  tally.exact--;
  return 'LAYER_ERR_INVALID_KEY';
}

function expectLibraryError(fn, expected, fragment) {
  let error;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof li.LayerIdentityError, `expected LayerIdentityError ${expected}, got ${error && error.stack}`);
  assert.equal(error.code, expected);
  assert.equal(error.status, li.Status[expected]);
  assert.equal(error.eitCode, null);
  if (fragment !== null) assert.ok(error.message.toLowerCase().includes(fragment), `message ${JSON.stringify(error.message)} lacks ${JSON.stringify(fragment)}`);
  return error;
}

async function expectLibraryRejection(promise, expected, fragment) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof li.LayerIdentityError, String(error && error.stack));
    assert.equal(error.code, expected);
    if (fragment !== null) assert.ok(error.message.toLowerCase().includes(fragment));
    return true;
  });
}

test('sign.json: every token byte for byte, sync, async and one-shot', async (t) => {
  const cases = h.vectors('sign.json');
  assert.ok(cases.length >= 70);
  for (const c of cases) {
    await t.test(c.name, async () => {
      const privateKey = h.keyBytes(c.private_key_file);
      const tokenType = c.token_type === undefined ? {} : { tokenType: c.token_type }; // the library reads the name
      const signer = new li.Signer({
        privateKey, providerId: c.provider_id, keyId: c.key_id, passphrase: secret(c.passphrase), ...h.flagOptions(c.flags), ...tokenType,
      });
      const options = attributeOptions(c.name, c.attributes_json);
      assert.equal(options.unexpressible, undefined);
      const request = { userId: c.user_id, nonce: c.nonce, issuedAt: c.issued_at, ttl: c.ttl_seconds, ...options };
      const token = signer.sign(request);
      assert.equal(token, c.expected_token);
      assert.equal(await signer.signAsync(request), c.expected_token);
      if (c.issued_at > 0) { // the same instant as a Date
        assert.equal(signer.sign({ ...request, issuedAt: new Date(c.issued_at * 1000 + 999) }), c.expected_token);
      }
      // The key's public half from its own file (rsa2048.pkcs8.oneline.pem → rsa2048.public.pem),
      // read by node:crypto, not by the library.
      const publicFile = `keys/${path.basename(c.private_key_file).split('.')[0]}.public.pem`;
      const publicKey = crypto.createPublicKey(h.keyBytes(publicFile));
      assert.equal(signer.publicKeyPem(), publicKey.export({ type: 'spki', format: 'pem' }));
      const decoded = h.independentVerify(token, publicKey);
      assert.equal(decoded.header, c.expected_header_json);
      assert.equal(decoded.claims, c.expected_claims_json);
      if (c.one_shot) {
        const oneShot = { privateKey, providerId: c.provider_id, keyId: c.key_id, userId: c.user_id, nonce: c.nonce, issuedAt: c.issued_at, ttl: c.ttl_seconds };
        assert.equal(li.signToken(oneShot), c.expected_token);
        assert.equal(await li.signTokenAsync(oneShot), c.expected_token);
        assert.equal(li.signToken({ ...oneShot, privateKey: privateKey.toString('utf8') }), c.expected_token);
      }
      signer.close();
    });
  }
});

test('errors.json: every case with its exact status and fragment, or its mapping', async (t) => {
  const cases = h.vectors('errors.json');
  assert.ok(cases.length >= 100);
  const signers = new Map();
  const signerFor = (s) => {
    const key = JSON.stringify(s);
    if (!signers.has(key)) {
      signers.set(key, new li.Signer({ privateKey: h.keyBytes(s.private_key_file), passphrase: s.passphrase, providerId: s.provider_id, keyId: s.key_id, ...h.flagOptions(s.flags) }));
    }
    return signers.get(key);
  };
  for (const c of cases) {
    await t.test(c.name, async () => {
      const a = c.args;
      const expected = c.expected_status;
      const fragment = c.message_contains;
      const isNull = (v) => v === null;
      const nulls = [];
      // NULL → a TypeError naming the argument, before anything crosses into C.
      const nullArgument = (names) => {
        for (const [field, option] of names) if (field in a && isNull(a[field])) nulls.push(option);
      };
      if (c.call === 'sign_token') {
        nullArgument([['private_key', 'privateKey'], ['provider_id', 'providerId'], ['key_id', 'keyId'], ['user_id', 'userId'], ['nonce', 'nonce']]);
        const request = {
          privateKey: readKey(a, 'private_key_file', 'private_key'), providerId: text(a.provider_id), keyId: text(a.key_id),
          userId: text(a.user_id), nonce: text(a.nonce), issuedAt: a.issued_at, ttl: a.ttl_seconds,
        };
        if (nulls.length) {
          assert.equal(expected, 'LAYER_ERR_NULL_ARGUMENT');
          assert.throws(() => li.signToken(request), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: new RegExp(`^${nulls[0]} must be`) });
          await assert.rejects(li.signTokenAsync(request), { name: 'TypeError' });
          tally.typeError++;
          return;
        }
        tally.exact++;
        const status = keyAsBytes(a, 'private_key', expected);
        const words = status === expected ? fragment : null;
        expectLibraryError(() => li.signToken(request), status, words);
        await expectLibraryRejection(li.signTokenAsync(request), status, words);
      } else if (c.call === 'signer_new' || c.call === 'verifier_new') {
        const signer = c.call === 'signer_new';
        const keyField = signer ? ['private_key_file', 'private_key'] : ['key_file', 'key'];
        nullArgument([[keyField[1], signer ? 'privateKey' : 'publicKey'], ['provider_id', 'providerId'], ['key_id', 'keyId']]);
        const key = readKey(a, ...keyField);
        if (a.flags_value !== undefined) {
          // No option sets an undefined flag bit: the library's answer through the addon itself.
          const fn = signer
            ? () => native.signerNew(key, a.passphrase, a.provider_id, a.key_id, a.flags_value)
            : () => native.verifierNew(key, a.provider_id, a.key_id, a.flags_value);
          expectLibraryError(fn, expected, fragment);
          tally.internalBinding++;
          return;
        }
        const options = signer
          ? { privateKey: key, passphrase: secret(a.passphrase), providerId: text(a.provider_id), keyId: text(a.key_id), ...h.flagOptions(a.flags) }
          : { publicKey: key, providerId: text(a.provider_id), keyId: text(a.key_id), ...h.flagOptions(a.flags, { signer: false }) };
        const make = () => (signer ? new li.Signer(options) : new li.Verifier(options));
        if (nulls.length) {
          assert.equal(expected, 'LAYER_ERR_NULL_ARGUMENT');
          assert.throws(make, { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: new RegExp(`^${nulls[0]} must be`) });
          tally.typeError++;
          return;
        }
        tally.exact++;
        const status = keyAsBytes(a, keyField[1], expected);
        expectLibraryError(make, status, status === expected ? fragment : null);
      } else if (c.call === 'signer_sign') {
        const signer = signerFor(a.signer);
        nullArgument([['user_id', 'userId'], ['nonce', 'nonce']]);
        const options = c.abi === 3 ? abi3Options(a) : attributeOptions(c.name, a.attributes_json);
        if (options.unexpressible) {
          tally.notExpressible.push(`${c.name}: ${options.unexpressible}`);
          t.diagnostic(`not expressible: ${options.unexpressible}`);
          return;
        }
        const request = { userId: text(a.user_id), nonce: text(a.nonce), issuedAt: a.issued_at, ttl: a.ttl_seconds, ...options };
        if (nulls.length) {
          assert.equal(expected, 'LAYER_ERR_NULL_ARGUMENT');
          assert.throws(() => signer.sign(request), { name: 'TypeError', message: new RegExp(`^${nulls[0]} must be`) });
          await assert.rejects(signer.signAsync(request), { name: 'TypeError' });
          tally.typeError++;
          return;
        }
        const nullAttributes = Object.entries(options).filter(([k, v]) => v === null && k !== 'metadata');
        if (nullAttributes.length) {
          // The typed API reads null as absent (as layer_signer_sign_with reads NULL): the same
          // token as without the attribute.
          const without = Object.fromEntries(Object.entries(request).filter(([, v]) => v !== null));
          assert.equal(signer.sign(request), signer.sign(without));
          tally.nullIsAbsent++;
          return;
        }
        const unknown = Object.keys(options).filter((k) => !OPTION_NAMES.has(k));
        const wrongType = Object.entries(options).filter(([k, v]) => OPTION_NAMES.has(k) && k !== 'metadata' && typeof v !== 'string');
        const metadata = options.metadata;
        const badMetadata = metadata !== undefined && metadata !== null
          && (typeof metadata !== 'object' || Array.isArray(metadata) || Object.values(metadata).some((v) => typeof v !== 'string'));
        if (unknown.length || wrongType.length || badMetadata) {
          assert.equal(expected, 'LAYER_ERR_INVALID_ARGUMENT');
          const named = unknown.length ? unknown[0] : wrongType.length ? wrongType[0][0] : 'metadata';
          assert.throws(() => signer.sign(request), (error) => {
            assert.ok(error instanceof TypeError, String(error));
            assert.match(error.message, new RegExp(named.replace(/[[\]]/g, '\\$&')));
            return true;
          });
          await assert.rejects(signer.signAsync(request), TypeError);
          tally.typeError++;
          return;
        }
        expectLibraryError(() => signer.sign(request), expected, fragment);
        await expectLibraryRejection(signer.signAsync(request), expected, fragment);
        tally.exact++;
      } else if (c.call === 'verifier_verify') { // ABI 3: layer_verifier_verify_n
        const v = a.verifier;
        const verifier = new li.Verifier({ publicKey: h.keyBytes(v.key_file), providerId: v.provider_id, keyId: v.key_id, ...h.flagOptions(v.flags, { signer: false }) });
        const options = { nonce: text(a.expected_nonce), now: a.now, leeway: a.leeway_seconds };
        expectLibraryError(() => verifier.verify(text(a.token), options), expected, fragment);
        await expectLibraryRejection(verifier.verifyAsync(text(a.token), options), expected, fragment);
        verifier.close();
        tally.exact++;
      } else if (c.call === 'token_type_flags') { // ABI 3: the signer's tokenType option
        const make = () => new li.Signer({ privateKey: h.keyBytes('keys/rsa2048.pkcs8.pem'), providerId: h.PROVIDER_ID, keyId: h.KEY_ID, tokenType: text(a.token_type) });
        expectLibraryError(make, expected, fragment);
        tally.exact++;
      } else if (c.call === 'generate_key_pair') {
        expectLibraryError(() => li.generateKeyPair(a.bits), expected, fragment);
        await expectLibraryRejection(li.generateKeyPairAsync(a.bits), expected, fragment);
        tally.exact++;
      } else {
        assert.fail(`unknown call ${c.call}`);
      }
    });
  }
  for (const signer of signers.values()) signer.close();
  assert.ok(cases.filter((c) => c.abi === 3).length >= 55);
  const counted = tally.exact + tally.typeError + tally.nullIsAbsent + tally.internalBinding + tally.keyBytes + tally.notExpressible.length;
  assert.equal(counted, cases.length, 'every case is counted');
  t.diagnostic(`errors.json: ${tally.exact} with the library's exact status, ${tally.typeError} as the TypeError naming the argument, ${tally.nullIsAbsent} null attributes read as absent, ${tally.internalBinding} through the addon (no option sets an unknown flag bit), ${tally.keyBytes} key bytes that are not UTF-8 (INVALID_KEY: keys cross as bytes), ${tally.notExpressible.length} not expressible:`);
  for (const line of tally.notExpressible) t.diagnostic(`  ${line}`);
});

test('verify.json: every case with its exact status and eitCode, and the typed claims', async (t) => {
  const cases = h.vectors('verify.json');
  assert.ok(cases.length >= 150);
  const verifiers = new Map();
  for (const c of cases) {
    await t.test(c.name, async () => {
      const config = JSON.stringify([c.key_file, c.provider_id, c.key_id, c.flags]);
      if (!verifiers.has(config)) {
        verifiers.set(config, new li.Verifier({ publicKey: h.keyBytes(c.key_file), providerId: c.provider_id, keyId: c.key_id, ...h.flagOptions(c.flags, { signer: false }) }));
      }
      const verifier = verifiers.get(config);
      // now <= 0 is the library's "system clock": in this API, leaving `now` out.
      const options = { nonce: c.expected_nonce, now: c.now > 0 ? c.now : undefined, leeway: c.leeway_seconds };
      if (c.expected_status === 'LAYER_OK') {
        const claims = verifier.verify(c.token, options);
        assert.ok(Object.isFrozen(claims) && Object.isFrozen(claims.metadata));
        assert.deepEqual({ ...claims, metadata: { ...claims.metadata } }, { ...h.typedClaims(c.expected_claims_json), metadata: { ...h.typedClaims(c.expected_claims_json).metadata } });
        assert.equal(claims.json, c.expected_claims_json);
        const again = await verifier.verifyAsync(c.token, options);
        assert.equal(again.json, c.expected_claims_json);
      } else {
        const check = (error) => {
          assert.ok(error instanceof li.LayerIdentityError, String(error && error.stack));
          assert.equal(error.code, c.expected_status);
          assert.equal(error.status, li.Status[c.expected_status]);
          assert.equal(error.eitCode, c.expected_eit);
          assert.ok(error.message.startsWith(c.expected_eit), error.message);
          return true;
        };
        assert.throws(() => verifier.verify(c.token, options), check);
        await assert.rejects(verifier.verifyAsync(c.token, options), check);
      }
    });
  }
  for (const verifier of verifiers.values()) verifier.close();
});

test('env.json: every case through Signer.fromEnv', async (t) => {
  const cases = h.vectors('env.json');
  assert.ok(cases.length >= 50);
  const saved = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('LAYER_')));
  try {
    for (const c of cases) {
      await t.test(c.name, () => {
        for (const name of Object.keys(process.env)) if (name.startsWith('LAYER_')) delete process.env[name];
        for (const [name, value] of Object.entries(c.env)) {
          if (typeof value === 'string') process.env[name] = value;
          else if (value.file_contents) process.env[name] = h.keyBytes(value.file_contents).toString('utf8');
          else if (value.path) process.env[name] = path.join(h.VECTORS, value.path);
          else assert.fail(`unknown env value ${JSON.stringify(value)}`);
        }
        const options = h.flagOptions(c.flags);
        if (c.expected_status === 'LAYER_OK') {
          const signer = li.Signer.fromEnv(options);
          const s = c.sign;
          assert.equal(signer.sign({ userId: s.user_id, nonce: s.nonce, issuedAt: s.issued_at, ttl: s.ttl_seconds }), c.expected_token);
          signer.close();
        } else {
          expectLibraryError(() => li.Signer.fromEnv(options), c.expected_status, c.message_contains);
        }
      });
    }
  } finally {
    for (const name of Object.keys(process.env)) if (name.startsWith('LAYER_')) delete process.env[name];
    Object.assign(process.env, saved);
  }
});
