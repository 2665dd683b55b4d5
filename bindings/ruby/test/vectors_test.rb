# frozen_string_literal: true

require_relative "test_helper"

# The shared vectors (vectors/README.md) through the Ruby API: every signing case byte for
# byte (attributes_json parsed here and passed as keyword arguments, so sign_with is what
# runs), every error case with its status and message fragment, every verification case with
# its status, eit_* identifier and claims, every environment case.
#
# A case the typed Ruby API cannot express is either mapped to what Ruby does with the
# nearest call (a nil argument or a non-String attribute is refused in Ruby with
# ArgumentError or TypeError before anything reaches C; an unknown attribute is an unknown
# keyword) or, when nothing fits, listed in INEXPRESSIBLE with the reason. Nothing is
# skipped silently: the counts are printed, and every case must be accounted for.
class VectorsTest < Minitest::Test
  include TestSupport

  # Cases whose input the Ruby API has no way to write, and why.
  INEXPRESSIBLE = {
    "signer-new-unknown-flag-bit" => "raw flag bits: the Ruby API has token_type: and allow_1024_bit_key: only",
    "verifier-new-unknown-flag-bit" => "raw flag bits: the Ruby API has allow_1024_bit_key: only",
    "signer-sign-attributes-non-string-null" => "an attribute given as null: nil is how Ruby says absent",
    "signer-sign-attributes-null-attribute-beside-metadata" => "an attribute given as null: nil means absent",
    "signer-sign-attributes-not-object-array" => "attributes that are not an object: attributes are keywords",
    "signer-sign-attributes-not-object-string" => "attributes that are not an object: attributes are keywords",
    "signer-sign-attributes-not-object-null-literal" => "attributes that are JSON null: attributes are keywords",
    "signer-sign-attributes-invalid-json-truncated" => "attributes that are not JSON: attributes are keywords",
    "signer-sign-attributes-invalid-json-trailing-garbage" => "attributes that are not JSON: attributes are keywords",
    "signer-sign-attributes-invalid-json-empty-string" => "attributes that are not JSON: attributes are keywords",
    "signer-sign-attributes-duplicate-member" => "a keyword given twice: Ruby keeps one (a duplicate-key warning)",
    "signer-sign-attributes-duplicate-member-via-escape" => "a keyword given twice: Ruby keeps one",
    "signer-sign-attributes-duplicate-metadata-member" => "metadata: given twice: Ruby keeps one"
  }.freeze

  # Arguments whose null is the absent value, not a NULL for a required one.
  NULLABLE = %w[passphrase attributes_json attributes metadata expected_nonce].freeze

  # Vector argument names => the Ruby keyword that carries them.
  RUBY_NAMES = { "private_key" => "private_key", "private_key_file" => "private_key", "key" => "public_key",
                 "key_file" => "public_key" }.freeze

  # JSON objects as name/value pairs in order, duplicates kept (JSON.parse calls #[]= for
  # each member of an object_class).
  class Pairs
    attr_reader :pairs

    def initialize
      @pairs = []
    end

    def []=(name, value)
      @pairs << [name, value]
    end
  end

  # attributes_json => the keyword arguments of #sign, or [:inexpressible, reason].
  def attribute_keywords(text)
    return {} if text.nil?

    parsed = JSON.parse(vector_string(text), object_class: Pairs)
    return [:inexpressible, "not an object"] unless parsed.is_a?(Pairs)

    parsed.pairs.each_with_object({}) do |(name, value), keywords|
      return [:inexpressible, "#{name} twice"] if keywords.key?(name.to_sym)
      return [:inexpressible, "#{name}: null"] if value.nil? && name != "metadata"

      keywords[name.to_sym] = name == "metadata" ? metadata(value) : value
    end
  rescue JSON::ParserError
    [:inexpressible, "not JSON"]
  end

  # A metadata member as the Hash #sign takes. A name given twice is written the second time
  # as a Symbol, the one way a Ruby Hash holds a name twice.
  def metadata(value)
    return value unless value.is_a?(Pairs)

    value.pairs.each_with_object({}) do |(name, text), hash|
      hash[hash.key?(name) ? name.to_sym : name] = text.is_a?(Pairs) ? text.pairs.to_h : text
    end
  end

  def test_every_signing_vector_byte_for_byte
    cases = vectors("sign")["cases"]
    one_shot = 0
    cases.each do |c|
      keywords = attribute_keywords(c["attributes_json"])
      refute_equal :inexpressible, keywords.first, c["name"]
      options = flag_options(c["flags"])
      options[:token_type] = c["token_type"] if c.key?("token_type")
      signer = LayerIdentity::Signer.new(private_key: vector_key(c["private_key_file"]),
                                         passphrase: vector_string(c["passphrase"]), provider_id: c["provider_id"],
                                         key_id: c["key_id"], **options)
      token = signer.sign(user_id: c["user_id"], nonce: c["nonce"], issued_at: c["issued_at"],
                          ttl: c["ttl_seconds"], **keywords)
      assert_equal c["expected_token"], token, c["name"]
      assert_equal c["expected_header_json"], decode_segment(token, 0), c["name"]
      assert_equal c["expected_claims_json"], decode_segment(token, 1), c["name"]
      payload, = jwt_decode(token, signer.public_key)
      assert_equal JSON.parse(c["expected_claims_json"]), payload, "#{c["name"]}: ruby-jwt"
      if c["one_shot"]
        one_shot += 1
        assert_equal c["expected_token"],
                     LayerIdentity.sign_token(private_key: vector_key(c["private_key_file"]),
                                              provider_id: c["provider_id"], key_id: c["key_id"],
                                              user_id: c["user_id"], nonce: c["nonce"],
                                              issued_at: c["issued_at"], ttl: c["ttl_seconds"]),
                     "#{c["name"]}: sign_token"
      end
      signer.close
    end
    report_file("sign.json", "#{cases.size} cases byte for byte (#{one_shot} also through sign_token), " \
                             "each verified by ruby-jwt")
  end

  def decode_segment(token, index)
    part = token.split(".")[index]
    (part + ("=" * (-part.size % 4))).tr("-_", "+/").unpack1("m0").force_encoding(Encoding::UTF_8)
  end

  def test_every_error_vector
    cases = vectors("errors")["cases"]
    counts = Hash.new(0)
    cases.each do |c|
      if (reason = INEXPRESSIBLE[c["name"]])
        counts[:inexpressible] += 1
        assert_inexpressible(c, reason)
        next
      end
      culprit_class, culprit = ruby_culprit(c)
      error = assert_raises(StandardError, c["name"]) { run_error_case(c) }
      if culprit
        assert_instance_of culprit_class, error, "#{c["name"]}: #{error.class}: #{error.message}"
        assert_includes error.message, culprit, c["name"]
        counts[:ruby] += 1
        next
      end
      assert_kind_of LayerIdentity::Error, error, "#{c["name"]}: #{error.class}: #{error.message}"
      if key_bytes_case?(c)
        # ABI 3 takes keys as bytes (DER passes as it is), so bytes that are not UTF-8 make a
        # key that does not load, not a text that is not UTF-8.
        assert_equal "LAYER_ERR_INVALID_KEY", error.status_name, "#{c["name"]}: #{error.message}"
        counts[:key_bytes] += 1
        next
      end
      assert_equal c["expected_status"], error.status_name, "#{c["name"]}: #{error.message}"
      assert_equal LayerIdentity::STATUS_CLASSES.fetch(error.status), error.class, c["name"]
      assert_nil error.eit_code, c["name"]
      if (null = null_argument(c))
        # nil is refused in Ruby, with the library's status and a Ruby message naming it.
        assert_includes error.message, null, c["name"]
        counts[:nil] += 1
      else
        assert_includes error.message.downcase, c["message_contains"], c["name"]
        counts[:library] += 1
      end
    end
    assert_equal cases.size, counts.values.sum
    assert_equal INEXPRESSIBLE.size, counts[:inexpressible], "every INEXPRESSIBLE name is a case"
    report_file("errors.json", "#{cases.size} cases: #{counts[:library]} with the library's status and message, " \
                               "#{counts[:nil]} nil arguments (NullArgumentError, LAYER_ERR_NULL_ARGUMENT), " \
                               "#{counts[:key_bytes]} keys of bytes that are not UTF-8 " \
                               "(InvalidKeyError: keys are bytes), " \
                               "#{counts[:ruby]} refused by Ruby (a wrong type or an unknown keyword, naming it), " \
                               "#{counts[:inexpressible]} not expressible (listed by name); " \
                               "#{cases.count { |c| c["abi"] == 3 }} of them ABI 3 cases")
  end

  # An inexpressible case must still be a real case: it names the argument it is about.
  def assert_inexpressible(c, reason)
    args = c["args"]
    assert(args.key?("flags_value") || args.key?("attributes_json"), "#{c["name"]}: #{reason}")
  end

  # Whether case `c` is one of a key that is not UTF-8 as NUL-terminated text, which the _n
  # functions (so this gem) read as bytes that are not a key.
  def key_bytes_case?(c)
    c["nul_terminated_only"] == true
  end

  # The Ruby name of the nil argument of case `c`, or nil when it has none.
  def null_argument(c)
    null = c["args"].find { |name, value| value.nil? && !NULLABLE.include?(name) }
    null && RUBY_NAMES.fetch(null[0], null[0])
  end

  # [error class, argument name] when Ruby itself refuses case `c`: an unknown attribute is
  # an unknown keyword (ArgumentError), an attribute or metadata value that is not a String a
  # TypeError. nil when the library must answer.
  def ruby_culprit(c)
    return nil if null_argument(c)

    attribute_keywords(c["args"]["attributes_json"]).each do |name, value|
      return [ArgumentError, name.to_s] unless %i[first_name last_name display_name avatar_url metadata].include?(name)
      return [TypeError, name.to_s] if name != :metadata && !value.is_a?(String)
      next unless name == :metadata

      return [TypeError, "metadata"] unless value.nil? || value.is_a?(Hash)
      return [TypeError, "metadata"] if value&.any? { |_, text| !text.is_a?(String) }
    end
    nil
  end

  def key_argument(args, file, inline)
    args.key?(file) ? vector_key(args[file]) : vector_string(args[inline])
  end

  def flag_arguments(args)
    flag_options(args.fetch("flags", []))
  end

  def run_error_case(c)
    args = c["args"]
    case c["call"]
    when "sign_token"
      LayerIdentity.sign_token(private_key: key_argument(args, "private_key_file", "private_key"),
                               provider_id: vector_string(args["provider_id"]),
                               key_id: vector_string(args["key_id"]), user_id: vector_string(args["user_id"]),
                               nonce: vector_string(args["nonce"]), issued_at: args["issued_at"],
                               ttl: args["ttl_seconds"])
    when "signer_new"
      LayerIdentity::Signer.new(private_key: key_argument(args, "private_key_file", "private_key"),
                                passphrase: vector_string(args["passphrase"]),
                                provider_id: vector_string(args["provider_id"]),
                                key_id: vector_string(args["key_id"]), **flag_arguments(args)).close
    when "signer_sign"
      config = args["signer"]
      LayerIdentity::Signer.open(private_key: vector_key(config["private_key_file"]), passphrase: config["passphrase"],
                                 provider_id: config["provider_id"], key_id: config["key_id"],
                                 **flag_options(config["flags"])) do |signer|
        signer.sign(user_id: vector_string(args["user_id"]), nonce: vector_string(args["nonce"]),
                    issued_at: args["issued_at"], ttl: args["ttl_seconds"], **sign_keywords(args))
      end
    when "verifier_verify"
      config = args["verifier"]
      LayerIdentity::Verifier.open(public_key: vector_key(config["key_file"]), provider_id: config["provider_id"],
                                   key_id: config["key_id"]) do |verifier|
        verifier.verify(vector_string(args["token"]), nonce: vector_string(args["expected_nonce"]), now: args["now"],
                                                      leeway: args["leeway_seconds"])
      end
    when "token_type_flags" # the signer's token type option
      LayerIdentity::Signer.new(private_key: private_key, provider_id: PROVIDER_ID, key_id: KEY_ID,
                                token_type: vector_string(args["token_type"])).close
    when "verifier_new"
      options = flag_arguments(args).slice(:allow_1024_bit_key)
      LayerIdentity::Verifier.new(public_key: key_argument(args, "key_file", "key"),
                                  provider_id: vector_string(args["provider_id"]),
                                  key_id: vector_string(args["key_id"]), **options).close
    when "generate_key_pair"
      LayerIdentity.generate_key_pair(bits: args["bits"])
    else
      flunk "unknown call #{c["call"]}"
    end
  end

  # The attribute and metadata keywords of a signer_sign case: from attributes_json, or (ABI
  # 3) from attributes (an object) and metadata (a list of [name, value] pairs).
  def sign_keywords(args)
    return attribute_keywords(args["attributes_json"]) unless args.key?("attributes")

    keywords = (args["attributes"] || {}).to_h { |name, value| [name.to_sym, vector_string(value)] }
    metadata = args["metadata"]&.to_h { |name, value| [vector_string(name), vector_string(value)] }
    metadata ? keywords.merge(metadata: metadata) : keywords
  end

  def test_every_verification_vector
    cases = vectors("verify")["cases"]
    accepted = 0
    cases.each do |c|
      verifier = LayerIdentity::Verifier.new(public_key: vector_key(c["key_file"]), provider_id: c["provider_id"],
                                             key_id: c["key_id"], **flag_options(c["flags"]).slice(:allow_1024_bit_key))
      if c["expected_status"] == "LAYER_OK"
        claims = verifier.verify(c["token"], nonce: c["expected_nonce"], now: c["now"], leeway: c["leeway_seconds"])
        assert_equal expected_claims(c["expected_claims_json"]), claims.to_h, c["name"]
        assert_predicate claims, :frozen?
        accepted += 1
      else
        error = assert_raises(LayerIdentity::VerificationError, LayerIdentity::Error, c["name"]) do
          verifier.verify(c["token"], nonce: c["expected_nonce"], now: c["now"], leeway: c["leeway_seconds"])
        end
        assert_equal c["expected_status"], error.status_name, "#{c["name"]}: #{error.message}"
        assert_equal c["expected_eit"], error.eit_code, "#{c["name"]}: #{error.message}"
        assert error.message.start_with?("#{c["expected_eit"]}:"), c["name"]
        assert_equal LayerIdentity::STATUS_CLASSES.fetch(error.status), error.class, c["name"]
      end
      verifier.close
    end
    report_file("verify.json", "#{cases.size} cases (#{accepted} accepted with their claims, " \
                               "#{cases.size - accepted} refused with status and eit_*)")
  end

  # The Claims#to_h a verified token's claims JSON must give: attributes that are null or
  # absent are nil, metadata is a Hash ({} when absent or null), unknown claims are ignored.
  def expected_claims(json)
    claims = JSON.parse(json)
    { provider_id: claims["iss"], user_id: claims["prn"], nonce: claims["nce"],
      issued_at: Time.at(claims["iat"]).utc, expires_at: Time.at(claims["exp"]).utc,
      first_name: claims["first_name"], last_name: claims["last_name"], display_name: claims["display_name"],
      avatar_url: claims["avatar_url"], metadata: claims["metadata"] || {} }
  end

  CONFIGURATION = %w[LAYER_PROVIDER_ID LAYER_KEY_ID LAYER_PRIVATE_KEY LAYER_PRIVATE_KEY_PATH
                     LAYER_PRIVATE_KEY_PASSPHRASE LAYER_TOKEN_TYPE].freeze

  def test_every_environment_vector
    cases = vectors("env")["cases"]
    saved = ENV.to_h
    cases.each do |c|
      ENV.keys.grep(/\ALAYER_/).each { |name| ENV.delete(name) unless name == "LAYER_IDENTITY_LIB" }
      c["env"].each { |name, value| ENV[name] = environment_value(value) }
      options = { token_type: c["flags"].include?("TYP_JWT") ? :jwt : nil,
                  allow_1024_bit_key: c["flags"].include?("ALLOW_1024_BIT_KEY") }
      if c["expected_status"] == "LAYER_OK"
        token = LayerIdentity::Signer.from_env(**options) do |signer|
          sign = c["sign"]
          signer.sign(user_id: sign["user_id"], nonce: sign["nonce"], issued_at: sign["issued_at"],
                      ttl: sign["ttl_seconds"])
        end
        assert_equal c["expected_token"], token, c["name"]
      else
        error = assert_raises(LayerIdentity::Error, c["name"]) { LayerIdentity::Signer.from_env(**options) }
        assert_equal c["expected_status"], error.status_name, "#{c["name"]}: #{error.message}"
        assert_includes error.message.downcase, c["message_contains"], c["name"]
        refute_match(%r{MII[A-Za-z0-9+/]{8}}, error.message, "#{c["name"]}: key material in the message")
      end
    end
    report_file("env.json", "#{cases.size} cases through Signer.from_env")
  ensure
    ENV.replace(saved)
  end

  def environment_value(value)
    return value if value.is_a?(String)
    return vector_key(value["file_contents"]) if value.key?("file_contents")

    File.join(VECTORS, value.fetch("path"))
  end

  def report_file(file, text)
    report("vectors/#{file}: #{text}")
  end
end
