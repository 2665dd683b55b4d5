# frozen_string_literal: true

require "json"

module LayerIdentity
  # Checks identity tokens with the rules of Layer's identity token validation tool (strict
  # RS256 JWS; see the README). Immutable and safe to use from many threads at once.
  #
  #   verifier = LayerIdentity::Verifier.new(public_key: File.read("layer-public.pem"),
  #                                          provider_id: "layer:///providers/...",
  #                                          key_id: "layer:///keys/...")
  #   claims = verifier.verify(token, nonce: nonce)
  #   claims.user_id # => "alice"
  class Verifier
    include Closeable

    # Out slots of layer_verifier_verify_n: the claims handle (slot 0), the texts
    # (LayerClaimText order), their lengths, iat and exp, the LayerEit, the error message.
    TEXTS = 1
    LENGTHS = TEXTS + Native::CLAIM_TEXT_COUNT
    TIMES = LENGTHS + Native::CLAIM_TEXT_COUNT
    EIT = TIMES + 2
    ERROR = EIT + 1
    SLOTS = ERROR + 1
    # The pack directives of the slots: addresses and sizes, then the two int64_t times.
    SLOTS_LAYOUT = "J#{TIMES}q2J#{SLOTS - TIMES - 2}".freeze
    # The LayerClaimText of the metadata object's JSON.
    METADATA_JSON = 8
    EMPTY_METADATA = {}.freeze
    private_constant :TEXTS, :LENGTHS, :TIMES, :EIT, :ERROR, :SLOTS, :SLOTS_LAYOUT, :METADATA_JSON,
                     :EMPTY_METADATA

    # public_key:: the RSA public key (SPKI or PKCS#1 PEM, base64 or raw DER), or an
    #              unencrypted private key to derive it from.
    # provider_id, key_id:: the values tokens must carry in `iss` and `kid`.
    # allow_1024_bit_key:: admit a legacy 1024-bit key.
    def initialize(public_key:, provider_id:, key_id:, allow_1024_bit_key: false)
      key = Arguments.string(public_key, "public_key")
      provider = Arguments.string(provider_id, "provider_id")
      key_id = Arguments.string(key_id, "key_id")
      flags = Arguments.legacy_key_flag(allow_1024_bit_key)
      out = Native::Out.new(2)
      out.check(Native::LAYER_VERIFIER_NEW_N.call(key, key.bytesize, provider, provider.bytesize, key_id,
                                                  key_id.bytesize, flags, out[0], out[1]), 1)
      adopt(out.value(0), Native::LAYER_VERIFIER_FREE)
    end

    # Verifies `token` and returns its Claims.
    #
    # nonce:: the nonce the token must answer; nil skips that check ("" is refused: it
    #         cannot skip it by accident).
    # now:: the time to verify at (Time or Integer Unix seconds); nil (or 0) for the system
    #       clock.
    # leeway:: allowed clock skew in seconds for `exp` and `iat` (default 60).
    #
    # Raises a VerificationError subclass whose #eit_code names the rule the token broke:
    # MalformedTokenError, BadSignatureError, ExpiredError, NotYetValidError,
    # ClaimMismatchError; InvalidArgumentError for an argument the library refuses.
    def verify(token, nonce: nil, now: nil, leeway: Native::DEFAULT_LEEWAY_SECONDS)
      token = Arguments.string(token, "token")
      nonce = Arguments.optional_string(nonce, "nonce")
      now = Arguments.unix_seconds(now, "now")
      leeway = Arguments.seconds(leeway, "leeway", Native::DEFAULT_LEEWAY_SECONDS)
      with_handle do |verifier|
        out = Native::Out.new(SLOTS)
        base = out.address # (slot addresses by arithmetic: a method call each would show)
        status = Native::LAYER_VERIFIER_VERIFY_N.call(verifier, token, token.bytesize, nonce, nonce&.bytesize || 0,
                                                      now, leeway, base, base + (TEXTS * Native::SLOT),
                                                      base + (LENGTHS * Native::SLOT), Native::CLAIM_TEXT_COUNT,
                                                      base + (TIMES * Native::SLOT), base + (EIT * Native::SLOT),
                                                      base + (ERROR * Native::SLOT))
        out.check(status, ERROR, EIT)
        begin
          read_claims(out)
        ensure
          Native::LAYER_CLAIMS_FREE.call(out.value(0))
        end
      end
    end

    private

    # Claims from what layer_verifier_verify_n wrote: the texts (copied: they live in the
    # claims handle), iat and exp. Read with one unpack and built with allocate and the member
    # writers, then frozen: verify is fast enough in C that every allocation around it shows.
    def read_claims(out) # rubocop:disable Metrics/AbcSize -- one line per claim
      slots = out.values(SLOTS_LAYOUT)
      claims = Claims.allocate
      claims.provider_id = Native.string_at(slots[TEXTS], slots[LENGTHS])
      claims.user_id = Native.string_at(slots[TEXTS + 1], slots[LENGTHS + 1])
      claims.nonce = Native.string_at(slots[TEXTS + 2], slots[LENGTHS + 2])
      claims.first_name = Native.string_at(slots[TEXTS + 3], slots[LENGTHS + 3])
      claims.last_name = Native.string_at(slots[TEXTS + 4], slots[LENGTHS + 4])
      claims.display_name = Native.string_at(slots[TEXTS + 5], slots[LENGTHS + 5])
      claims.avatar_url = Native.string_at(slots[TEXTS + 6], slots[LENGTHS + 6])
      metadata = Native.string_at(slots[TEXTS + METADATA_JSON], slots[LENGTHS + METADATA_JSON])
      claims.metadata = metadata ? JSON.parse(metadata, freeze: true) : EMPTY_METADATA
      claims.issued_at = Time.at(slots[TIMES]).utc
      claims.expires_at = Time.at(slots[TIMES + 1]).utc
      claims.freeze
    end
  end
end
