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
    # Raises InvalidKeyError, WeakKeyError, WrongPassphraseError, InvalidArgumentError (an ID).
    def initialize(private_key:, provider_id:, key_id:, passphrase: nil, token_type: :jws,
                   allow_1024_bit_key: false)
      key = Arguments.string(private_key, "private_key")
      pass = Arguments.optional_string(passphrase, "passphrase")
      provider = Arguments.string(provider_id, "provider_id")
      key_id = Arguments.string(key_id, "key_id")
      flags = Arguments.token_type_flag(token_type) | Arguments.legacy_key_flag(allow_1024_bit_key)
      address = Native.with_c_strings(key, pass, provider, key_id) do |*strings|
        out = Native::Out.new(2)
        out.check(Native::LAYER_SIGNER_NEW.call(*strings, flags, out[0], out[1]), 1)
        out.value(0)
      end
      adopt(address, Native::LAYER_SIGNER_FREE, "LayerIdentity::Signer")
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
      signer.send(:adopt, out.value(0), Native::LAYER_SIGNER_FREE, "LayerIdentity::Signer")
      return signer unless block

      begin
        yield signer
      ensure
        signer.close
      end
    end

    def self.from_env_flags(token_type, allow_1024_bit_key)
      flags = Arguments.token_type_flag(token_type || :jws)
      if token_type && flags.zero?
        raise ArgumentError, "from_env: token_type is nil (LAYER_TOKEN_TYPE decides) or :jwt; " \
                             ":jws cannot override LAYER_TOKEN_TYPE=JWT"
      end
      flags | Arguments.legacy_key_flag(allow_1024_bit_key)
    end
    private_class_method :from_env_flags

    # Signs an identity token for `user_id` answering `nonce` (from the Layer client SDK).
    #
    # user_id:: your app's user ID: a String, or an Integer (its decimal text).
    # nonce:: the nonce the client got from Layer.
    # issued_at:: a Time or Integer Unix seconds; nil for now.
    # ttl:: lifetime in seconds (an Integer, or an ActiveSupport::Duration); nil for 600.
    # first_name, last_name, display_name, avatar_url:: optional identity attributes.
    # metadata:: optional Hash of String (or Symbol) names to String values.
    #
    # Returns the token (a String). Raises InvalidArgumentError for values the library
    # refuses (an empty user ID, a time in milliseconds, ...), ClosedError after #close.
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
      count = names.size
      @handle.use do |signer|
        Native.with_c_strings(user, nonce, *attributes, *names, *values) do |user_c, nonce_c, *strings|
          attributes_c = strings.shift(4)
          name_array, value_array = pointer_arrays(strings, count)
          out = Native::Out.new(2)
          status = Native::LAYER_SIGNER_SIGN_WITH.call(signer, user_c, nonce_c, issued, ttl, *attributes_c,
                                                       name_array&.to_i || 0, value_array&.to_i || 0, count,
                                                       out[0], out[1])
          out.check(status, 1)
          Native.take_string(out.value(0))
        ensure
          name_array&.call_free
          value_array&.call_free
        end
      end
    end

    # The public key as SPKI PEM ("-----BEGIN PUBLIC KEY-----"): what you upload to Layer for
    # this key ID, and what a Verifier takes.
    def public_key
      @handle.use do |signer|
        out = Native::Out.new(2)
        out.check(Native::LAYER_SIGNER_PUBLIC_KEY_PEM.call(signer, out[0], out[1]), 1)
        Native.take_string(out.value(0))
      end
    end

    def inspect
      "#<#{self.class.name}#{closed? ? " (closed)" : ""}>"
    end

    private

    # Two C arrays (char *const[]) of the metadata names and values: NULL when there are none.
    def pointer_arrays(strings, count)
      return [nil, nil] if count.zero?

      [strings.first(count), strings.drop(count)].map do |pointers|
        array = Fiddle::Pointer.malloc(Native::SLOT * count, Fiddle::RUBY_FREE)
        array[0, Native::SLOT * count] = pointers.pack("J*")
        array
      end
    end
  end
end
