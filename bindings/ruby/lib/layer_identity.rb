# frozen_string_literal: true

# Mint and verify Layer identity tokens (RS256-signed JWS) with the layer-identity native
# library, bound with Fiddle: LayerIdentity::Signer, LayerIdentity::Verifier,
# LayerIdentity.generate_key_pair, LayerIdentity::Rack::IdentityTokenEndpoint.
module LayerIdentity
end

require_relative "layer_identity/version"
require_relative "layer_identity/errors"
require_relative "layer_identity/native"
require_relative "layer_identity/arguments"
require_relative "layer_identity/handle"
require_relative "layer_identity/closeable"
require_relative "layer_identity/claims"
require_relative "layer_identity/signer"
require_relative "layer_identity/verifier"
require_relative "layer_identity/exchange"
require_relative "layer_identity/rack/identity_token_endpoint"

module LayerIdentity
  class << self
    # A new RSA key pair (public exponent 65537) as a KeyPair of PEM texts: the PKCS#8
    # private key and the SPKI public key to upload to Layer. bits: 2048 to 16384.
    def generate_key_pair(bits: 2048)
      bits = Arguments.uint32(bits, "bits", 2048)
      out = Native::Out.new(3)
      out.check(Native::LAYER_GENERATE_KEY_PAIR.call(bits, out[0], out[1], out[2]), 2)
      KeyPair.new(private_key: Native.take_string(out.value(0)), public_key: Native.take_string(out.value(1)))
    end

    # Signs one token without a Signer (an unencrypted key, typ JWS, no attributes). The
    # library keeps up to 8 decoded keys in a process-wide cache, so passing the same PEM text
    # on every call costs one signature, not a key decode; clear_key_cache empties it.
    # Prefer a Signer for a long-lived key.
    def sign_token(private_key:, provider_id:, key_id:, user_id:, nonce:, issued_at: nil, ttl: nil)
      texts = [Arguments.string(private_key, "private_key"), Arguments.string(provider_id, "provider_id"),
               Arguments.string(key_id, "key_id"), Arguments.user_id(user_id), Arguments.string(nonce, "nonce")]
      issued = Arguments.unix_seconds(issued_at, "issued_at")
      ttl = Arguments.seconds(ttl, "ttl", 0)
      out = Native::Out.new(2)
      out.check(Native::LAYER_SIGN_TOKEN_N.call(*texts.flat_map { |text| [text, text.bytesize] }, issued, ttl,
                                                out[0], out[1]), 1)
      Native.take_string(out.value(0))
    end

    # Empties the key cache of sign_token (for example after rotating a key out).
    def clear_key_cache
      Native::LAYER_KEY_CACHE_CLEAR.call
      nil
    end

    # Decodes a token WITHOUT verifying it, for debugging: nothing in the result is
    # trustworthy. Raises MalformedTokenError unless it is three base64url parts of UTF-8.
    def decode_unverified(token)
      token = Arguments.string(token, "token")
      out = Native::Out.new(3)
      out.check(Native::LAYER_TOKEN_INSPECT_N.call(token, token.bytesize, out[0], out[1], out[2]), 2)
      UnverifiedToken.new(header_json: Native.take_string(out.value(0)), claims_json: Native.take_string(out.value(1)))
    end

    # The native library's version, e.g. "0.1.0".
    def library_version
      Native.static_string(Native::LAYER_VERSION.call)
    end

    # The ABI version of the loaded native library (at least Native::ABI_VERSION).
    def abi_version
      Native::LIBRARY_ABI_VERSION
    end

    # Where the native library was loaded from.
    def library_path
      Native.library_path
    end
  end
end
