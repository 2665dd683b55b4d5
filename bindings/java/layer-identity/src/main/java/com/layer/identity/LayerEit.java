package com.layer.identity;

/**
 * Layer's identifier for the verifier rule a token broke (the library's {@code LayerEit}),
 * e.g. {@link #EXPIRED} for {@code eit_expired}; {@link #NONE} when a failure is not about the
 * token. A test compares this enum with the header and with {@code layer_eit_name}.
 */
public enum LayerEit {
  /** No verifier rule: the failure is not about the token. */
  NONE(0),
  /** {@code eit_wrong_jws_part_count}: not three {@code .}-separated parts. */
  WRONG_JWS_PART_COUNT(1),
  /** {@code eit_malformed_base64url}: a part is not canonical unpadded base64url. */
  MALFORMED_BASE64URL(2),
  /** {@code eit_malformed_json}: not a JSON object, a duplicate member, or over 16 KiB. */
  MALFORMED_JSON(3),
  /** {@code eit_header_param_not_found}: {@code typ}, {@code alg}, {@code cty} or {@code kid}. */
  HEADER_PARAM_NOT_FOUND(4),
  /** {@code eit_header_param_wrong_type}: a header member is not a string. */
  HEADER_PARAM_WRONG_TYPE(5),
  /** {@code eit_header_param_wrong_value}: an extra member or a wrong alg, typ or cty. */
  HEADER_PARAM_WRONG_VALUE(6),
  /** {@code eit_claim_not_found}: iss, prn, iat, exp or nce is missing. */
  CLAIM_NOT_FOUND(7),
  /** {@code eit_claim_wrong_type}: a claim has the wrong type, or {@code iat >= exp}. */
  CLAIM_WRONG_TYPE(8),
  /** {@code eit_expired}: {@code exp} has passed. */
  EXPIRED(9),
  /** {@code eit_not_before}: {@code iat} is in the future. */
  NOT_BEFORE(10),
  /** {@code eit_key_not_found}: {@code kid} is not the configured key ID. */
  KEY_NOT_FOUND(11),
  /** {@code eit_provider_not_found}: {@code iss} is not the configured provider ID. */
  PROVIDER_NOT_FOUND(12),
  /** {@code eit_signature_verification_failed}: the signature does not verify. */
  SIGNATURE_VERIFICATION_FAILED(13),
  /** {@code eit_nonce_not_found}: {@code nce} is not the expected nonce. */
  NONCE_NOT_FOUND(14);

  private static final LayerEit[] BY_VALUE = values();

  private final int value;

  LayerEit(int value) {
    this.value = value;
  }

  /** {@return the numeric value, as in {@code include/layer_identity.h}} */
  public int value() {
    return value;
  }

  /** {@return Layer's identifier, e.g. {@code "eit_expired"}; {@code ""} for {@link #NONE}} */
  public String code() {
    return this == NONE ? "" : "eit_" + name().toLowerCase(java.util.Locale.ROOT);
  }

  /** The identifier with this value, or {@code null} for one this binding does not define. */
  static LayerEit ofValue(int value) {
    return value >= 0 && value < BY_VALUE.length ? BY_VALUE[value] : null;
  }
}
