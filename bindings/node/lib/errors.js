'use strict';
// LayerIdentityError and the tables of LayerStatus and LayerEit from include/layer_identity.h.
// test/errors.test.js parses the header and fails when it has a value these tables lack (or
// the other way round), so a status added to the C ABI cannot fall through.

/** LayerStatus: name → number, exactly as in include/layer_identity.h. */
const Status = Object.freeze({
  LAYER_OK: 0,
  LAYER_ERR_NULL_ARGUMENT: 1,
  LAYER_ERR_INVALID_UTF8: 2,
  LAYER_ERR_INVALID_ARGUMENT: 3,
  LAYER_ERR_INVALID_KEY: 4,
  LAYER_ERR_WEAK_KEY: 5,
  LAYER_ERR_WRONG_PASSPHRASE: 6,
  LAYER_ERR_MALFORMED_TOKEN: 7,
  LAYER_ERR_BAD_SIGNATURE: 8,
  LAYER_ERR_EXPIRED: 9,
  LAYER_ERR_NOT_YET_VALID: 10,
  LAYER_ERR_CLAIM_MISMATCH: 11,
  LAYER_ERR_CRYPTO: 12,
  LAYER_ERR_INTERNAL: 13,
});

/** LayerEit: Layer's identifier of the verifier rule a token broke → its number. */
const Eit = Object.freeze({
  eit_wrong_jws_part_count: 1,
  eit_malformed_base64url: 2,
  eit_malformed_json: 3,
  eit_header_param_not_found: 4,
  eit_header_param_wrong_type: 5,
  eit_header_param_wrong_value: 6,
  eit_claim_not_found: 7,
  eit_claim_wrong_type: 8,
  eit_expired: 9,
  eit_not_before: 10,
  eit_key_not_found: 11,
  eit_provider_not_found: 12,
  eit_signature_verification_failed: 13,
  eit_nonce_not_found: 14,
});

const statusNames = new Map(Object.entries(Status).map(([name, value]) => [value, name]));

/**
 * Every failure the library reports: `code` is the status name (`'LAYER_ERR_EXPIRED'`),
 * `status` its number, `eitCode` Layer's identifier of the verifier rule the token broke
 * (`'eit_expired'`), or null when the failure is not about a token. The message is the
 * library's and never contains key material or a passphrase.
 */
class LayerIdentityError extends Error {
  constructor(message, { status, code, eitCode = null } = {}) {
    super(message);
    if (status === undefined && code !== undefined) status = Status[code];
    if (code === undefined && status !== undefined) code = statusNames.get(status) || 'LAYER_STATUS_UNKNOWN';
    this.code = code;
    this.status = status;
    this.eitCode = eitCode;
  }
}
Object.defineProperty(LayerIdentityError.prototype, 'name', {
  value: 'LayerIdentityError',
  writable: true,
  configurable: true,
  enumerable: false,
});

/** The factory the addon calls to build errors (see setup() in the C source). */
function makeError(status, code, message, eitCode) {
  const error = new LayerIdentityError(message, { status, code, eitCode });
  Error.captureStackTrace(error, makeError); // the stack starts at the caller, not here
  return error;
}

module.exports = { LayerIdentityError, Status, Eit, makeError };
