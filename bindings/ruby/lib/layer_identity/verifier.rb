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

    # What layer_verifier_verify_into writes first: iat and exp, then the length of each text
    # in LayerClaimText order (CLAIM_ABSENT for an absent one); the texts follow it.
    HEADER_LAYOUT = "q2L#{Native::CLAIM_TEXT_COUNT}".freeze
    # The LayerClaimText of the metadata object's JSON.
    METADATA_JSON = 8
    EMPTY_METADATA = {}.freeze
    # Buffers not in use (a Fiddle::Pointer to malloc'd memory and an Out for the LayerEit and
    # the message, each). A call takes one, or makes one when all are in use, and gives it
    # back when the claims are read: Array#pop and #push hold the GVL, so no two calls share
    # one, and making one per call would cost more than reading the claims.
    FREE_BUFFERS = [] # rubocop:disable Style/MutableConstant -- the pool itself
    private_constant :HEADER_LAYOUT, :METADATA_JSON, :EMPTY_METADATA, :FREE_BUFFERS

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
        buffer, out = FREE_BUFFERS.pop || [Fiddle::Pointer.malloc(Native::VERIFY_INTO_BUFFER_BYTES, Fiddle::RUBY_FREE),
                                           Native::Out.new(2)]
        begin
          status = Native::LAYER_VERIFIER_VERIFY_INTO.call(verifier, token, token.bytesize, nonce,
                                                           nonce&.bytesize || 0, now, leeway, buffer.to_i,
                                                           Native::VERIFY_INTO_BUFFER_BYTES, out[0], out[1])
          out.check(status, 1, 0)
          read_claims(buffer)
        ensure
          FREE_BUFFERS.push([buffer, out])
        end
      end
    end

    private

    # Claims from what layer_verifier_verify_into wrote: each text copied out of the buffer
    # (Fiddle::Pointer#[] makes a new String), then frozen; built with allocate and the member
    # writers: verify is fast enough in C that every allocation around it shows.
    def read_claims(buffer) # rubocop:disable Metrics/AbcSize -- one line per claim
      issued_at, expires_at, *lengths = buffer[0, Native::VERIFY_INTO_HEADER_BYTES].unpack(HEADER_LAYOUT)
      offset = Native::VERIFY_INTO_HEADER_BYTES
      texts = lengths.map do |length|
        next if length == Native::CLAIM_ABSENT

        text = buffer[offset, length].force_encoding(Encoding::UTF_8).freeze
        offset += length
        text
      end
      claims = Claims.allocate
      claims.provider_id, claims.user_id, claims.nonce, claims.first_name, claims.last_name,
        claims.display_name, claims.avatar_url = texts
      metadata = texts[METADATA_JSON]
      claims.metadata = metadata ? JSON.parse(metadata, freeze: true) : EMPTY_METADATA
      claims.issued_at = Time.at(issued_at).utc
      claims.expires_at = Time.at(expires_at).utc
      claims.freeze
    end
  end
end
