# frozen_string_literal: true

module LayerIdentity
  # A private key bound to a provider ID and key ID, for any number of tokens. Create it once
  # (at boot) and share it: it is immutable and safe to use from many threads at once.
  #
  #   signer = LayerIdentity::Signer.new(private_key: File.read("layer.pem"),
  #                                      provider_id: "layer:///providers/...",
  #                                      key_id: "layer:///keys/...")
  #   token = signer.sign(user_id: current_user.id, nonce: params[:nonce])
  #
  # The native key is freed by #close, or by the garbage collector if you never call it.
  class Signer
    include Closeable

    # Loads and checks the private key once.
    #
    # private_key:: RSA private key text: PEM (PKCS#1, PKCS#8, encrypted PKCS#8) or base64
    #               DER; CRLF, surrounding whitespace, literal "\n" escapes and line breaks
    #               lost in a paste are fine.
    # provider_id:: "layer:///providers/<uuid>" or the bare UUID.
    # key_id:: "layer:///keys/<uuid>" or the bare UUID.
    # passphrase:: for an encrypted key.
    # token_type:: :jws (the default, "typ":"JWS") or :jwt.
    # allow_1024_bit_key:: admit a legacy 1024-bit key (early Layer accounts); never by default.
    #
    # Raises InvalidKeyError, WeakKeyError, WrongPassphraseError, InvalidArgumentError (an ID,
    # a token type).
    def initialize(private_key:, provider_id:, key_id:, passphrase: nil, token_type: :jws,
                   allow_1024_bit_key: false)
      key = Arguments.string(private_key, "private_key")
      pass = Arguments.optional_string(passphrase, "passphrase")
      provider = Arguments.string(provider_id, "provider_id")
      key_id = Arguments.string(key_id, "key_id")
      flags = Arguments.token_type_flags(token_type) | Arguments.legacy_key_flag(allow_1024_bit_key)
      out = Native::Out.new(2)
      out.check(Native::LAYER_SIGNER_NEW_N.call(key, key.bytesize, pass, pass&.bytesize || 0, provider,
                                                provider.bytesize, key_id, key_id.bytesize, flags, out[0], out[1]), 1)
      adopt(out.value(0), Native::LAYER_SIGNER_FREE)
    end

    # A signer configured by the environment, read by the library: LAYER_PROVIDER_ID,
    # LAYER_KEY_ID, LAYER_PRIVATE_KEY (the PEM text) or LAYER_PRIVATE_KEY_PATH (a file),
    # LAYER_PRIVATE_KEY_PASSPHRASE, LAYER_TOKEN_TYPE (JWS or JWT). A missing or malformed
    # variable raises the library's error, which names it.
    #
    # token_type:: nil (LAYER_TOKEN_TYPE decides) or :jwt (JWT whatever it says).
    # allow_1024_bit_key:: as for #initialize (there is no variable for it).
    #
    # With a block, yields the signer and closes it when the block ends.
    def self.from_env(token_type: nil, allow_1024_bit_key: false, &block)
      flags = from_env_flags(token_type, allow_1024_bit_key)
      out = Native::Out.new(2)
      out.check(Native::LAYER_SIGNER_FROM_ENV.call(flags, out[0], out[1]), 1)
      signer = allocate
      signer.send(:adopt, out.value(0), Native::LAYER_SIGNER_FREE)
      return signer unless block

      begin
        yield signer
      ensure
        signer.close
      end
    end

    def self.from_env_flags(token_type, allow_1024_bit_key)
      flags = token_type.nil? ? 0 : Arguments.token_type_flags(token_type)
      if token_type && flags.zero?
        raise InvalidArgumentError, "from_env: token_type is nil (LAYER_TOKEN_TYPE decides) or :jwt; " \
                                    ":jws cannot override LAYER_TOKEN_TYPE=JWT"
      end
      flags | Arguments.legacy_key_flag(allow_1024_bit_key)
    end
    private_class_method :from_env_flags

    # Signs an identity token for `user_id` answering `nonce` (from the Layer client SDK).
    #
    # user_id:: your app's user ID: a String, or an Integer (its decimal text).
    # nonce:: the nonce the client got from Layer.
    # issued_at:: a Time or Integer Unix seconds; nil (or 0) for now.
    # ttl:: lifetime in seconds (an Integer, or an ActiveSupport::Duration); nil (or 0) for 600.
    # first_name, last_name, display_name, avatar_url:: optional identity attributes (nil or
    #                                                    "" for none).
    # metadata:: optional Hash of String (or Symbol) names to String values.
    #
    # Returns the token (a String). Raises InvalidArgumentError (also an ArgumentError) for
    # values the library refuses (an empty user ID, U+0000, a negative time, one in
    # milliseconds, ...), InvalidUtf8Error for bytes that are not UTF-8, ClosedError after
    # #close.
    def sign(user_id:, nonce:, issued_at: nil, ttl: nil, first_name: nil, last_name: nil,
             display_name: nil, avatar_url: nil, metadata: nil)
      user = Arguments.user_id(user_id)
      nonce = Arguments.string(nonce, "nonce")
      issued = Arguments.unix_seconds(issued_at, "issued_at")
      ttl = Arguments.seconds(ttl, "ttl", 0)
      attributes = [Arguments.optional_string(first_name, "first_name"),
                    Arguments.optional_string(last_name, "last_name"),
                    Arguments.optional_string(display_name, "display_name"),
                    Arguments.optional_string(avatar_url, "avatar_url")]
      names, values = Arguments.metadata(metadata)
      with_handle do |signer|
        sign_n(signer, user, nonce, issued, ttl, attributes, names, values)
      end
    end

    # The public key as SPKI PEM ("-----BEGIN PUBLIC KEY-----"): what you upload to Layer for
    # this key ID, and what a Verifier takes.
    def public_key
      with_handle do |signer|
        out = Native::Out.new(2)
        out.check(Native::LAYER_SIGNER_PUBLIC_KEY_PEM.call(signer, out[0], out[1]), 1)
        Native.take_string(out.value(0))
      end
    end

    private

    # (The _kept_* locals hold, and pin, the Strings the arrays point to until this returns.)
    def sign_n(signer, user, nonce, issued, ttl, attributes, names, values) # rubocop:disable Metrics/ParameterLists
      attribute_pointers, attribute_lengths, _kept_attributes =
        attributes.any? ? Native.text_arrays(attributes) : [nil, nil, nil]
      name_pointers, name_lengths, _kept_names = Native.text_arrays(names)
      value_pointers, value_lengths, _kept_values = Native.text_arrays(values)
      out = Native::Out.new(2)
      status = Native::LAYER_SIGNER_SIGN_N.call(signer, user, user.bytesize, nonce, nonce.bytesize, issued, ttl,
                                                attribute_pointers, attribute_lengths, name_pointers, name_lengths,
                                                value_pointers, value_lengths, names.size, out[0], out[1])
      out.check(status, 1)
      Native.take_string(out.value(0))
    end
  end
end
