// layer-identity: mint and verify Layer identity tokens (ES module entry point). The same
// objects as the CommonJS entry point, so `instanceof` works across both.
import layerIdentity from './index.js';

export const {
  Signer,
  Verifier,
  LayerIdentityError,
  Status,
  Eit,
  generateKeyPair,
  generateKeyPairAsync,
  signToken,
  signTokenAsync,
  clearKeyCache,
  inspectToken,
  identityTokenHandler,
  identityTokenFetchHandler,
  demoAuthenticate,
  version,
  abiVersion,
  DEFAULT_LEEWAY,
} = layerIdentity;
export default layerIdentity;
