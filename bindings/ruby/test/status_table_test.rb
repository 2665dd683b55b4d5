# frozen_string_literal: true

require_relative "test_helper"

# The gem's tables against include/layer_identity.h: a status or identifier added to the
# header (or removed from it) fails here until the gem maps it.
class StatusTableTest < Minitest::Test
  HEADER = File.read(File.join(ROOT, "include/layer_identity.h"))

  # {name => value} of the C enum whose typedef name is `name`.
  def enum(name)
    body = HEADER[/typedef enum \{([^}]*)\} #{name};/, 1] or flunk "no enum #{name} in the header"
    body.gsub(%r{/\*.*?\*/}m, "").scan(/^\s*(LAYER_\w+)\s*=\s*(\d+),/).to_h.transform_values { |value| Integer(value) }
  end

  def native
    LayerIdentity.const_get(:Native)
  end

  def test_every_status_of_the_header_is_mapped_and_no_other
    statuses = enum("LayerStatus")
    assert_operator statuses.size, :>=, 14
    assert_equal statuses.invert, LayerIdentity::STATUS_NAMES
    assert_equal statuses.values.sort - [0], LayerIdentity::STATUS_CLASSES.keys.sort
    statuses.each do |name, value|
      assert_equal name, native.status_name(value), "layer_status_name(#{value})"
      next if value.zero?

      error_class = LayerIdentity::STATUS_CLASSES.fetch(value)
      assert_operator error_class, :<, LayerIdentity::Error
      assert_equal value, error_class.status
      assert_equal error_class, LayerIdentity::Error.for_status(value)
      error = error_class.new("message")
      assert_equal [value, name, nil], [error.status, error.status_name, error.eit_code]
    end
  end

  def test_class_names_follow_the_status_names
    LayerIdentity::STATUS_CLASSES.each do |value, error_class|
      words = LayerIdentity::STATUS_NAMES.fetch(value).delete_prefix("LAYER_ERR_").split("_")
      expected = "LayerIdentity::#{words.map(&:capitalize).join}Error"
      assert_equal expected, error_class.name
    end
  end

  def test_verification_statuses_share_a_superclass
    verification = %w[MALFORMED_TOKEN BAD_SIGNATURE EXPIRED NOT_YET_VALID CLAIM_MISMATCH]
    LayerIdentity::STATUS_CLASSES.each do |value, error_class|
      name = LayerIdentity::STATUS_NAMES.fetch(value).delete_prefix("LAYER_ERR_")
      assert_equal verification.include?(name), error_class.ancestors.include?(LayerIdentity::VerificationError), name
    end
  end

  def test_every_eit_of_the_header_is_mapped_and_no_other
    eits = enum("LayerEit")
    assert_equal 15, eits.size
    assert_equal eits.values.sort, LayerIdentity::EIT_CODES.keys.sort
    eits.each do |name, value|
      if value.zero?
        assert_nil LayerIdentity::EIT_CODES.fetch(value), name
        assert_nil native.eit_name(value), "layer_eit_name(0)"
      else
        expected = name.sub("LAYER_EIT_", "eit_").downcase
        assert_equal expected, LayerIdentity::EIT_CODES.fetch(value), name
        assert_equal expected, native.eit_name(value), "layer_eit_name(#{value})"
      end
    end
  end

  def test_a_status_this_gem_does_not_know_is_still_an_error
    assert_equal LayerIdentity::UnknownStatusError, LayerIdentity::Error.for_status(99)
    assert_operator LayerIdentity::UnknownStatusError, :<, LayerIdentity::Error
    assert_equal "LAYER_STATUS_UNKNOWN", native.status_name(99)
    assert_nil native.eit_name(99)
  end

  def test_the_header_abi_version_is_the_one_the_gem_binds
    assert_equal Integer(HEADER[/#define LAYER_ABI_VERSION (\d+)/, 1]), native::ABI_VERSION
    assert_operator LayerIdentity.abi_version, :>=, native::ABI_VERSION
  end

  def test_the_header_constants_are_the_ones_the_gem_uses
    { "LAYER_FLAG_ALLOW_1024_BIT_KEY" => :FLAG_ALLOW_1024_BIT_KEY,
      "LAYER_DEFAULT_LEEWAY_SECONDS" => :DEFAULT_LEEWAY_SECONDS, "LAYER_CLAIM_TEXT_COUNT" => :CLAIM_TEXT_COUNT,
      "LAYER_FIELD_COUNT" => :FIELD_COUNT, "LAYER_ATTRIBUTE_COUNT" => :ATTRIBUTE_COUNT,
      "LAYER_ENDPOINT_MAX_BODY_BYTES" => :ENDPOINT_MAX_BODY_BYTES,
      "LAYER_EXCHANGE_MAX_HEADERS" => :EXCHANGE_MAX_HEADERS,
      "LAYER_VERIFY_INTO_BUFFER_BYTES" => :VERIFY_INTO_BUFFER_BYTES }.each do |macro, constant|
      assert_equal Integer(HEADER[/#define #{macro} (\d+)/, 1]), native.const_get(constant), macro
    end
  end

  def test_the_header_enums_are_the_ones_the_gem_uses
    claim_texts = enum("LayerClaimText")
    assert_equal [0, 1, 2, 3, 4, 5, 6, 8], claim_texts.values_at(*%w[LAYER_CLAIM_PROVIDER_ID LAYER_CLAIM_USER_ID
                                                                     LAYER_CLAIM_NONCE LAYER_CLAIM_FIRST_NAME
                                                                     LAYER_CLAIM_LAST_NAME LAYER_CLAIM_DISPLAY_NAME
                                                                     LAYER_CLAIM_AVATAR_URL
                                                                     LAYER_CLAIM_METADATA_JSON])
    endpoint = LayerIdentity::Rack::IdentityTokenEndpoint
    assert_equal enum("LayerField").except("LAYER_FIELD_COUNT")
                                   .transform_keys { |name| name.delete_prefix("LAYER_FIELD_").downcase.to_sym },
                 endpoint.const_get(:FIELDS).each_with_index.to_h
    assert_equal enum("LayerAuthOutcome").transform_keys { |name| name.delete_prefix("LAYER_AUTH_").downcase.to_sym },
                 endpoint.const_get(:OUTCOMES)
    assert_equal enum("LayerExchangeStep").transform_keys { |name|
                   name.delete_prefix("LAYER_EXCHANGE_").downcase.to_sym
                 },
                 endpoint.const_get(:STEPS)
  end

  # Functions of the header the gem leaves alone on purpose: the ABI 1 and 2 forms of the
  # calls it binds as pointer and length (ABI 3), and the claims handle's functions:
  # layer_verifier_verify_into writes every claim into the gem's buffer in the same call.
  SUPERSEDED = { "layer_sign_token" => "layer_sign_token_n", "layer_signer_new" => "layer_signer_new_n",
                 "layer_signer_sign" => "layer_signer_sign_n", "layer_signer_sign_with" => "layer_signer_sign_n",
                 "layer_verifier_new" => "layer_verifier_new_n",
                 "layer_verifier_verify" => "layer_verifier_verify_into",
                 "layer_verifier_verify_claims" => "layer_verifier_verify_into",
                 "layer_verifier_verify_n" => "layer_verifier_verify_into",
                 "layer_token_inspect" => "layer_token_inspect_n" }.freeze
  CLAIMS_GETTERS = %w[layer_claims_provider_id layer_claims_user_id layer_claims_nonce layer_claims_issued_at
                      layer_claims_expires_at layer_claims_first_name layer_claims_last_name
                      layer_claims_display_name layer_claims_avatar_url layer_claims_metadata_count
                      layer_claims_metadata_name layer_claims_metadata_value layer_claims_json
                      layer_claims_free].freeze

  def test_every_function_of_the_header_is_bound
    declared = HEADER.scan(/\b(layer_\w+)\(/).flatten.uniq - %w[layer_abi_version]
    bound = native::SIGNATURES.keys
    unbound = SUPERSEDED.keys + CLAIMS_GETTERS
    assert_empty declared - bound - unbound, "functions of the header the gem does not bind"
    assert_empty unbound - declared, "an unbound name the header lacks"
    assert_empty bound - declared, "functions the gem binds that the header lacks"
    SUPERSEDED.each { |name, replacement| assert_includes bound, replacement, "#{name} without its ABI 3 form" }
  end
end
