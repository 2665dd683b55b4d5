'use strict';
// require('layer-identity/parse'): a drop-in for Layer's Parse Cloud Code module
// (layerhq/layer-parse-module, `cloud/layer-parse-module/layer-module.js`). Same two functions,
// same arguments, same messages for missing parameters, so Cloud Code moves over by changing
// its require line:
//
//   var layer = require('layer-identity/parse');
//   layer.initialize(layerProviderID, layerKeyID, privateKey);   // privateKey: text or Buffer
//   response.success(layer.layerIdentityToken(userID, nonce));
//
// The tokens are those of the old module byte for byte (same header and claims, members in
// the same order, JSON escaped the same way) except where it was wrong: `iat` is the clock
// floored to the second (the old module rounded it, so half the tokens were issued up to
// 0.5 s in the future) and the token lives 600 s, as long as the nonce it answers (the old
// module made it live 10,000 s). The key is also checked once, in initialize(), not at the
// first token: a bad key fails at start-up.

const { Signer } = require('./lib/index.js');

let signer = null;

const layer = {
  /**
   * Configures the module: the provider ID, key ID and private key from the Layer dashboard.
   * `options` (not in the old module) may give `tokenType: 'JWT'`, `passphrase` for an
   * encrypted key, and `allow1024BitKey: true` for a legacy 1024-bit key. Returns the module.
   */
  initialize(providerID, keyID, key, options) {
    if (!providerID) throw new Error('Missing providerID parameter');
    if (!keyID) throw new Error('Missing keyID parameter');
    if (!key) throw new Error('Missing private key parameter');
    const next = new Signer({ ...options, privateKey: key, providerId: providerID, keyId: keyID });
    if (signer !== null) signer.close();
    signer = next;
    layer.layerProviderID = providerID;
    layer.layerKeyID = keyID;
    return layer;
  },

  /** The identity token for `userID` answering `nonce` (a string), signed now. */
  layerIdentityToken(userID, nonce) {
    if (signer === null) {
      throw new Error('layer.initialize(providerID, keyID, privateKey) must be called before layerIdentityToken');
    }
    return signer.sign({ userId: userID, nonce });
  },

  /** The same token, signed on the libuv thread pool (for async Cloud Code on Parse Server). */
  layerIdentityTokenAsync(userID, nonce) {
    if (signer === null) {
      return Promise.reject(new Error('layer.initialize(providerID, keyID, privateKey) must be called before layerIdentityTokenAsync'));
    }
    return signer.signAsync({ userId: userID, nonce });
  },

  layerProviderID: '',
  layerKeyID: '',
};

module.exports = layer;
