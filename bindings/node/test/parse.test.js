'use strict';
// require('layer-identity/parse'), the drop-in for Layer's Parse Cloud Code module, driven by
// the old module's own calling code (its README's main.js), with its exact messages, and its
// tokens compared with what the old module made.

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const h = require('./helpers');

const KEY_FILE = path.join(h.VECTORS, 'keys/rsa2048.pkcs1.pem'); // a Layer dashboard key was PKCS#1
const PUBLIC = crypto.createPublicKey(fs.readFileSync(path.join(h.VECTORS, 'keys/rsa2048.public.pem')));

// The old module's token for the same inputs and the same `iat` (its algorithm, with node:crypto
// in place of jsrsasign): JSON.stringify of the header and claims, RS256.
function oldModuleToken(providerID, keyID, key, userID, nonce, iat) {
  const b64 = (text) => Buffer.from(text).toString('base64url');
  const header = JSON.stringify({ typ: 'JWS', alg: 'RS256', cty: 'layer-eit;v=1', kid: keyID });
  const claim = JSON.stringify({ iss: providerID, prn: userID, iat, exp: iat + 10000, nce: nonce });
  const input = `${b64(header)}.${b64(claim)}`;
  return `${input}.${crypto.sign('sha256', Buffer.from(input), crypto.createPrivateKey(key)).toString('base64url')}`;
}

test('the old module\'s Cloud Code runs unchanged but for the require line', () => {
  // cloud/main.js from layerhq/layer-parse-module's README, with the one changed line.
  const defined = {};
  const Parse = { Cloud: { define: (name, fn) => { defined[name] = fn; } } };
  const cloudCode = new Function('require', 'Parse', `
    var fs = require('fs');
    var layer = require('layer-identity/parse');

    var layerProviderID = ${JSON.stringify(h.PROVIDER_ID)};
    var layerKeyID = ${JSON.stringify(h.KEY_ID)};
    var privateKey = fs.readFileSync(${JSON.stringify(KEY_FILE)});
    layer.initialize(layerProviderID, layerKeyID, privateKey);

    Parse.Cloud.define("generateToken", function(request, response) {
      var userID = request.params.userID;
      var nonce = request.params.nonce;
      if (!userID) throw new Error('Missing userID parameter');
      if (!nonce) throw new Error('Missing nonce parameter');
      response.success(layer.layerIdentityToken(userID, nonce));
    });`);
  cloudCode(require, Parse); // resolves layer-identity/parse as an application would

  const before = Math.floor(Date.now() / 1000);
  let token;
  defined.generateToken({ params: { userID: 'kXz3hY0AbC', nonce: 'a nonce "with" \\ quotes' } }, { success: (t) => { token = t; } });
  const after = Math.floor(Date.now() / 1000);
  const { header, claims } = h.independentVerify(token, PUBLIC);
  const iat = JSON.parse(claims).iat;
  assert.ok(iat >= before && iat <= after, 'iat is the clock floored');
  // Byte for byte the old module's token, except exp: iat + 600 instead of iat + 10000.
  const old = oldModuleToken(h.PROVIDER_ID, h.KEY_ID, fs.readFileSync(KEY_FILE), 'kXz3hY0AbC', 'a nonce "with" \\ quotes', iat);
  const [oldHeader, oldClaims] = old.split('.').slice(0, 2).map((p) => Buffer.from(p, 'base64url').toString());
  assert.equal(header, oldHeader);
  assert.equal(claims, oldClaims.replace(`"exp":${iat + 10000}`, `"exp":${iat + 600}`));
  assert.notEqual(claims, oldClaims);
  assert.throws(() => defined.generateToken({ params: { nonce: 'n' } }, {}), { message: 'Missing userID parameter' });
});

test('initialize throws the old module\'s messages for missing parameters, in its order', () => {
  const layer = require('../parse');
  const key = fs.readFileSync(KEY_FILE, 'utf8');
  assert.throws(() => layer.initialize(), { message: 'Missing providerID parameter' });
  assert.throws(() => layer.initialize('', h.KEY_ID, key), { message: 'Missing providerID parameter' });
  assert.throws(() => layer.initialize(h.PROVIDER_ID), { message: 'Missing keyID parameter' });
  assert.throws(() => layer.initialize(h.PROVIDER_ID, null, key), { message: 'Missing keyID parameter' });
  assert.throws(() => layer.initialize(h.PROVIDER_ID, h.KEY_ID), { message: 'Missing private key parameter' });
  assert.throws(() => layer.initialize(h.PROVIDER_ID, h.KEY_ID, ''), { message: 'Missing private key parameter' });
  // What the old module only found out at the first token (or never), is found at start-up.
  assert.throws(() => layer.initialize('YOUR-PROVIDER ID-HERE', h.KEY_ID, key), { name: 'LayerIdentityError', code: 'LAYER_ERR_INVALID_ARGUMENT', message: /provider id/i });
  assert.throws(() => layer.initialize(h.PROVIDER_ID, h.KEY_ID, 'not a key'), { name: 'LayerIdentityError', code: 'LAYER_ERR_INVALID_KEY' });
});

test('tokens: bare UUIDs as IDs, typ JWT, a legacy 1024-bit key by option, the async form', async () => {
  const layer = require('../parse');
  const bare = (id) => id.slice(id.lastIndexOf('/') + 1);
  assert.equal(layer.initialize(bare(h.PROVIDER_ID), bare(h.KEY_ID), fs.readFileSync(KEY_FILE)), layer);
  assert.equal(layer.layerProviderID, bare(h.PROVIDER_ID));
  let claims = JSON.parse(h.independentVerify(layer.layerIdentityToken('u1', 'n1'), PUBLIC).claims);
  assert.equal(claims.iss, bare(h.PROVIDER_ID));
  layer.initialize(h.PROVIDER_ID, h.KEY_ID, fs.readFileSync(KEY_FILE), { tokenType: 'JWT' });
  assert.equal(JSON.parse(h.independentVerify(layer.layerIdentityToken('u2', 'n2'), PUBLIC).header).typ, 'JWT');
  claims = JSON.parse(h.independentVerify(await layer.layerIdentityTokenAsync('u3', 'n3'), PUBLIC).claims);
  assert.equal(claims.prn, 'u3');
  const legacy = fs.readFileSync(path.join(h.VECTORS, 'keys/rsa1024.pkcs8.pem'));
  assert.throws(() => layer.initialize(h.PROVIDER_ID, h.KEY_ID, legacy), { code: 'LAYER_ERR_WEAK_KEY', message: /1024/ });
  assert.equal(JSON.parse(h.independentVerify(layer.layerIdentityToken('u4', 'n4'), PUBLIC).claims).prn, 'u4', 'a failed initialize keeps the previous key');
  layer.initialize(h.PROVIDER_ID, h.KEY_ID, legacy, { allow1024BitKey: true });
  const legacyPublic = crypto.createPublicKey(fs.readFileSync(path.join(h.VECTORS, 'keys/rsa1024.public.pem')));
  assert.equal(JSON.parse(h.independentVerify(layer.layerIdentityToken('u5', 'n5'), legacyPublic).claims).prn, 'u5');
  assert.throws(() => layer.layerIdentityToken('', 'n'), { code: 'LAYER_ERR_INVALID_ARGUMENT', message: /user id/i });
  assert.throws(() => layer.layerIdentityToken(undefined, 'n'), { name: 'TypeError', message: /userId/ });
});

test('before initialize, and as an ES module', () => {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', `
    import layer, { initialize, layerIdentityToken } from 'layer-identity/parse';
    try { layerIdentityToken('u', 'n'); } catch (e) { console.log(e.message); }
    initialize(${JSON.stringify(h.PROVIDER_ID)}, ${JSON.stringify(h.KEY_ID)}, ${JSON.stringify(fs.readFileSync(KEY_FILE, 'utf8'))});
    console.log(layer.layerIdentityToken('u', 'n').split('.').length);`], { cwd: h.PACKAGE, encoding: 'utf8' });
  assert.equal(out, 'layer.initialize(providerID, keyID, privateKey) must be called before layerIdentityToken\n3\n');
});
