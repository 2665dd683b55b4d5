# frozen_string_literal: true

module LayerIdentity
  # The claims of a verified token: a frozen value (Ruby 3.1 has no Data, so this is a frozen
  # Struct with keyword arguments; #to_h, #==, pattern matching with `in {user_id:}` work).
  #
  # provider_id:: `iss`, the provider ID the token was issued by.
  # user_id:: `prn`, your app's user ID.
  # nonce:: `nce`, the nonce the token answers.
  # issued_at, expires_at:: `iat` and `exp` as Time (UTC).
  # first_name, last_name, display_name, avatar_url:: the identity attributes, nil when absent.
  # metadata:: the `metadata` member as a frozen Hash of Strings, empty when there is none.
  #
  # Every String is frozen UTF-8, read by its length (a claim may hold U+0000).
  Claims = Struct.new(:provider_id, :user_id, :nonce, :issued_at, :expires_at, :first_name,
                      :last_name, :display_name, :avatar_url, :metadata, keyword_init: true) do
    def initialize(**members)
      super
      freeze
    end
  end

  # A key pair from LayerIdentity.generate_key_pair: the PKCS#8 private key PEM and the SPKI
  # public key PEM (the part you upload to Layer). Frozen; #inspect does not show the private
  # key.
  KeyPair = Struct.new(:private_key, :public_key, keyword_init: true) do
    def initialize(**members)
      super
      freeze
    end

    def inspect
      "#<struct #{self.class.name} private_key=[REDACTED], public_key=#{public_key.inspect}>"
    end
    alias_method :to_s, :inspect
  end

  # What LayerIdentity.decode_unverified finds in a token: its header and claims JSON text,
  # NOT verified (for debugging only: nothing in it is trustworthy).
  UnverifiedToken = Struct.new(:header_json, :claims_json, keyword_init: true) do
    def initialize(**members)
      super
      freeze
    end
  end
end
