# frozen_string_literal: true

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

    # The claims getters that return text, by Claims member.
    STRING_GETTERS = {
      provider_id: Native::LAYER_CLAIMS_PROVIDER_ID, user_id: Native::LAYER_CLAIMS_USER_ID,
      nonce: Native::LAYER_CLAIMS_NONCE, first_name: Native::LAYER_CLAIMS_FIRST_NAME,
      last_name: Native::LAYER_CLAIMS_LAST_NAME, display_name: Native::LAYER_CLAIMS_DISPLAY_NAME,
      avatar_url: Native::LAYER_CLAIMS_AVATAR_URL
    }.freeze
    private_constant :STRING_GETTERS

    # public_key:: the RSA public key (SPKI or PKCS#1 PEM, or base64 DER), or an unencrypted
    #              private key to derive it from.
    # provider_id, key_id:: the values tokens must carry in `iss` and `kid`.
    # allow_1024_bit_key:: admit a legacy 1024-bit key.
    def initialize(public_key:, provider_id:, key_id:, allow_1024_bit_key: false)
      key = Arguments.string(public_key, "public_key")
      provider = Arguments.string(provider_id, "provider_id")
      key_id = Arguments.string(key_id, "key_id")
      flags = Arguments.legacy_key_flag(allow_1024_bit_key)
      address = Native.with_c_strings(key, provider, key_id) do |*strings|
        out = Native::Out.new(2)
        out.check(Native::LAYER_VERIFIER_NEW.call(*strings, flags, out[0], out[1]), 1)
        out.value(0)
      end
      adopt(address, Native::LAYER_VERIFIER_FREE, "LayerIdentity::Verifier")
    end

    # Verifies `token` and returns its Claims.
    #
    # nonce:: the nonce the token must answer; nil skips that check.
    # now:: the time to verify at (Time or Integer Unix seconds); nil for the system clock.
    # leeway:: allowed clock skew in seconds for `exp` and `iat` (default 60).
    #
    # Raises a VerificationError subclass whose #eit_code names the rule the token broke:
    # MalformedTokenError, BadSignatureError, ExpiredError, NotYetValidError,
    # ClaimMismatchError.
    def verify(token, nonce: nil, now: nil, leeway: 60)
      token = Arguments.string(token, "token")
      nonce = Arguments.optional_string(nonce, "nonce")
      now = Arguments.unix_seconds(now, "now")
      leeway = Arguments.seconds(leeway, "leeway", 60)
      @handle.use do |verifier|
        claims = Native.with_c_strings(token, nonce) do |token_c, nonce_c|
          out = Native::Out.new(3)
          status = Native::LAYER_VERIFIER_VERIFY_CLAIMS.call(verifier, token_c, nonce_c, now, leeway,
                                                             out[0], out[1], out[2])
          out.check(status, 2, 1)
          out.value(0)
        end
        begin
          read_claims(claims)
        ensure
          Native::LAYER_CLAIMS_FREE.call(claims)
        end
      end
    end

    def inspect
      "#<#{self.class.name}#{closed? ? " (closed)" : ""}>"
    end

    private

    # Claims from the native handle: every member read by its getter. (Built with allocate
    # and the member writers, then frozen: a keyword_init Struct's #new costs several
    # microseconds on Ruby 3.1, as much as some of the calls.)
    def read_claims(claims)
      length = Native::Out.new(1)
      result = Claims.allocate
      STRING_GETTERS.each do |member, getter|
        result[member] = Native.string_at(getter.call(claims, length[0]), length.value(0))
      end
      result.issued_at = Time.at(Native::LAYER_CLAIMS_ISSUED_AT.call(claims)).utc
      result.expires_at = Time.at(Native::LAYER_CLAIMS_EXPIRES_AT.call(claims)).utc
      result.metadata = read_metadata(claims, length)
      result.freeze
    end

    def read_metadata(claims, length)
      metadata = {}
      Native::LAYER_CLAIMS_METADATA_COUNT.call(claims).times do |index|
        name = Native.string_at(Native::LAYER_CLAIMS_METADATA_NAME.call(claims, index, length[0]), length.value(0))
        metadata[name] = Native.string_at(Native::LAYER_CLAIMS_METADATA_VALUE.call(claims, index, length[0]),
                                          length.value(0))
      end
      metadata.freeze
    end
  end
end
