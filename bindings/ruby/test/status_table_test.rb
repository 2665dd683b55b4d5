# frozen_string_literal: true

require_relative "test_helper"

# The gem's tables against include/layer_identity.h: a status or identifier added to the
# header (or removed from it) fails here until the gem maps it.
class StatusTableTest < Minitest::Test
  HEADER = File.read(File.join(ROOT, "include/layer_identity.h"))

  # {name => value} of the C enum whose typedef name is `name`.
  def enum(name)
    body = HEADER[/typedef enum \{([^}]*)\} #{name};/, 1] or flunk "no enum #{name} in the header"
    body.gsub(%r{/\*.*?\*/}m, "").scan(/^\s*(LAYER_\w+)\s*=\s*(\d+),/).to_h { |key, value| [key, Integer(value)] }
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
    assert_equal LayerIdentity::Error, LayerIdentity::Error.for_status(99)
    assert_equal "LAYER_STATUS_UNKNOWN", native.status_name(99)
    assert_nil native.eit_name(99)
  end

  def test_the_header_abi_version_is_the_one_the_gem_binds
    assert_equal Integer(HEADER[/#define LAYER_ABI_VERSION (\d+)/, 1]), native::ABI_VERSION
    assert_operator LayerIdentity.abi_version, :>=, native::ABI_VERSION
  end

  def test_the_header_flags_are_the_ones_the_gem_passes
    arguments = LayerIdentity.const_get(:Arguments)
    assert_equal Integer(HEADER[/#define LAYER_FLAG_TYP_JWT (\d+)/, 1]), arguments::FLAG_TYP_JWT
    assert_equal Integer(HEADER[/#define LAYER_FLAG_ALLOW_1024_BIT_KEY (\d+)/, 1]), arguments::FLAG_ALLOW_1024_BIT_KEY
  end

  # Functions of the header the gem leaves alone on purpose: the JSON variants of calls it
  # binds in their typed form (a wrapper builds no JSON and parses no claims).
  UNBOUND = {
    "layer_signer_sign" => "attributes as JSON text; #sign passes them as strings (layer_signer_sign_with)",
    "layer_verifier_verify" => "claims as JSON text; #verify reads them typed (layer_verifier_verify_claims)",
    "layer_claims_json" => "the claims JSON text; Claims holds the typed claims"
  }.freeze

  def test_every_function_of_the_header_is_bound
    declared = HEADER.scan(/\b(layer_\w+)\(/).flatten.uniq - %w[layer_abi_version]
    bound = native::SIGNATURES.keys
    assert_empty declared - bound - UNBOUND.keys, "functions of the header the gem does not bind"
    assert_empty UNBOUND.keys - declared, "UNBOUND names a function the header lacks"
    assert_empty bound - declared, "functions the gem binds that the header lacks"
  end
end
