# frozen_string_literal: true

require "date"
require_relative "test_helper"

# The Ruby API: arguments checked in Ruby, conversions, defaults, values returned.
class ApiTest < Minitest::Test
  include TestSupport

  def setup
    @signer = signer
    @verifier = verifier
  end

  def teardown
    @signer.close
    @verifier.close
  end

  def test_sign_and_verify_with_the_defaults
    before = Time.now.to_i
    token = @signer.sign(user_id: "alice", nonce: "nonce-1")
    claims = @verifier.verify(token, nonce: "nonce-1")
    assert_equal [PROVIDER_ID, "alice", "nonce-1"], [claims.provider_id, claims.user_id, claims.nonce]
    assert_in_delta before, claims.issued_at.to_i, 5
    assert_equal 600, claims.expires_at - claims.issued_at
    assert_predicate claims.issued_at, :utc?
    assert_equal({}, claims.metadata)
    assert_nil claims.first_name
    header = JSON.parse(LayerIdentity.decode_unverified(token).header_json)
    assert_equal({ "typ" => "JWS", "alg" => "RS256", "cty" => "layer-eit;v=1", "kid" => KEY_ID }, header)
    payload, = jwt_decode(token, @signer.public_key)
    assert_equal "alice", payload["prn"]
  end

  def test_claims_are_a_frozen_value
    token = @signer.sign(user_id: "zoë", nonce: "n", first_name: "Zoë", last_name: "Ng", display_name: "Zoë Ng",
                         avatar_url: "https://example.com/z.png", metadata: { plan: "pro", "seats" => "5" })
    claims = @verifier.verify(token)
    assert_predicate claims, :frozen?
    assert_kind_of Struct, claims
    assert_equal %i[provider_id user_id nonce issued_at expires_at first_name last_name display_name avatar_url
                    metadata],
                 claims.to_h.keys
    assert_equal({ "plan" => "pro", "seats" => "5" }, claims.metadata)
    assert_predicate claims.metadata, :frozen?
    [claims.user_id, claims.first_name, *claims.metadata.keys, *claims.metadata.values].each do |text|
      assert_predicate text, :frozen?
      assert_equal Encoding::UTF_8, text.encoding
    end
    assert_raises(FrozenError) { claims.user_id = "mallory" }
    assert_equal claims, @verifier.verify(token)
    case claims
    in { user_id: String => user, metadata: Hash => metadata }
      assert_equal %w[zoë pro], [user, metadata["plan"]]
    end
    own = LayerIdentity::Claims.new(**claims.to_h)
    assert_predicate own, :frozen?
    assert_equal claims, own
  end

  def test_metadata_is_sorted_by_name_whatever_the_hash_order
    token = @signer.sign(user_id: "u", nonce: "n", issued_at: 1_700_000_000,
                         metadata: { "z" => "1", b: "2", "\u{1F600}" => "3", "\uFF21" => "4" })
    claims = LayerIdentity.decode_unverified(token).claims_json
    assert_includes claims, %("metadata":{"b":"2","z":"1","\uFF21":"4","\u{1F600}":"3"})
  end

  def test_integer_user_ids_are_their_decimal_text
    token = @signer.sign(user_id: 12_345, nonce: "n")
    assert_equal "12345", @verifier.verify(token).user_id
    assert_equal "-7", @verifier.verify(@signer.sign(user_id: -7, nonce: "n")).user_id
  end

  def test_times_as_time_datetime_or_integer
    at = Time.at(1_700_000_000, 999_999, :usec)
    token = @signer.sign(user_id: "u", nonce: "n", issued_at: at, ttl: 60)
    claims = @verifier.verify(token, now: Time.at(1_700_000_030))
    assert_equal [1_700_000_000, 1_700_000_060], [claims.issued_at.to_i, claims.expires_at.to_i]
    date_time = DateTime.new(2023, 11, 14, 22, 13, 20, "+00:00")
    token = @signer.sign(user_id: "u", nonce: "n", issued_at: date_time)
    assert_equal 1_700_000_000, @verifier.verify(token, now: 1_700_000_000).issued_at.to_i
  end

  def test_verifier_leeway_defaults_to_sixty_seconds
    token = @signer.sign(user_id: "u", nonce: "n", issued_at: 1_700_000_000, ttl: 60)
    assert @verifier.verify(token, now: 1_700_000_100)
    error = assert_raises(LayerIdentity::ExpiredError) { @verifier.verify(token, now: 1_700_000_100, leeway: 0) }
    assert_equal ["LAYER_ERR_EXPIRED", "eit_expired", 9], [error.status_name, error.eit_code, error.status]
    assert_kind_of LayerIdentity::VerificationError, error
    assert_raises(LayerIdentity::NotYetValidError) { @verifier.verify(token, now: 1_699_999_000, leeway: 0) }
  end

  def test_verification_errors_carry_the_rule
    token = @signer.sign(user_id: "u", nonce: "n")
    error = assert_raises(LayerIdentity::ClaimMismatchError) { @verifier.verify(token, nonce: "other") }
    assert_equal "eit_nonce_not_found", error.eit_code
    tampered = token.sub(/\.[^.]+\z/) { |signature| ".#{signature[1..]}A" }
    error = assert_raises(LayerIdentity::BadSignatureError) { @verifier.verify(tampered) }
    assert_equal "eit_signature_verification_failed", error.eit_code
    error = assert_raises(LayerIdentity::MalformedTokenError) { @verifier.verify("not a token") }
    assert_equal "eit_wrong_jws_part_count", error.eit_code
  end

  def test_token_type_jwt
    [:jwt, "JWT", "jwt"].each do |type|
      jwt_signer = signer(token_type: type)
      header = JSON.parse(LayerIdentity.decode_unverified(jwt_signer.sign(user_id: "u", nonce: "n")).header_json)
      assert_equal "JWT", header["typ"]
      jwt_signer.close
    end
  end

  def test_wrong_types_are_refused_in_ruby_naming_the_argument
    {
      -> { LayerIdentity::Signer.new(private_key: private_key, provider_id: :p, key_id: KEY_ID) } => "provider_id",
      -> { LayerIdentity::Signer.new(private_key: private_key, provider_id: PROVIDER_ID, key_id: 1) } => "key_id",
      -> { signer(passphrase: 123) } => "passphrase",
      -> { signer(allow_1024_bit_key: "yes") } => "allow_1024_bit_key",
      -> { signer(token_type: 1) } => "token_type",
      -> { @signer.sign(user_id: :alice, nonce: "n") } => "user_id",
      -> { @signer.sign(user_id: 1.5, nonce: "n") } => "user_id",
      -> { @signer.sign(user_id: true, nonce: "n") } => "user_id",
      -> { @signer.sign(user_id: false, nonce: "n") } => "user_id",
      -> { @signer.sign(user_id: "u", nonce: 7) } => "nonce",
      -> { @signer.sign(user_id: "u", nonce: "n", issued_at: 1.7e9) } => "issued_at",
      -> { @signer.sign(user_id: "u", nonce: "n", issued_at: "now") } => "issued_at",
      -> { @signer.sign(user_id: "u", nonce: "n", ttl: 600.0) } => "ttl",
      -> { @signer.sign(user_id: "u", nonce: "n", first_name: 1) } => "first_name",
      -> { @signer.sign(user_id: "u", nonce: "n", avatar_url: URI_LIKE) } => "avatar_url",
      -> { @signer.sign(user_id: "u", nonce: "n", metadata: [%w[a b]]) } => "metadata",
      -> { @signer.sign(user_id: "u", nonce: "n", metadata: { "a" => 1 }) } => "metadata",
      -> { @signer.sign(user_id: "u", nonce: "n", metadata: { "a" => nil }) } => "metadata",
      -> { @signer.sign(user_id: "u", nonce: "n", metadata: { 1 => "a" }) } => "metadata",
      -> { @verifier.verify(:token) } => "token",
      -> { @verifier.verify("t", nonce: 1) } => "nonce",
      -> { @verifier.verify("t", now: "now") } => "now",
      -> { @verifier.verify("t", leeway: 1.5) } => "leeway",
      -> { LayerIdentity.generate_key_pair(bits: "2048") } => "bits"
    }.each do |call, name|
      error = assert_raises(TypeError) { call.call }
      assert_includes error.message, name, error.message
    end
    error = assert_raises(ArgumentError) { @signer.sign(user_id: "u", nonce: "n", nickname: "x") }
    assert_includes error.message, "nickname"
  end

  def test_nil_is_the_librarys_null_argument_error_naming_the_argument
    {
      -> { LayerIdentity::Signer.new(private_key: nil, provider_id: PROVIDER_ID, key_id: KEY_ID) } => "private_key",
      -> { @signer.sign(user_id: nil, nonce: "n") } => "user_id",
      -> { @signer.sign(user_id: "u", nonce: nil) } => "nonce",
      -> { @verifier.verify(nil) } => "token",
      -> { LayerIdentity::Verifier.new(public_key: public_key, provider_id: nil, key_id: KEY_ID) } => "provider_id"
    }.each do |call, name|
      error = assert_raises(LayerIdentity::NullArgumentError) { call.call }
      assert_kind_of ArgumentError, error
      assert_equal "LAYER_ERR_NULL_ARGUMENT", error.status_name
      assert_includes error.message, name
    end
  end

  # Has #to_s, and is not a String.
  URI_LIKE = Class.new { def to_s = "https://example.com/a.png" }.new

  # Every value the library refuses is the library's error, which is also an ArgumentError:
  # U+0000 (it used to be a bare ArgumentError that `rescue LayerIdentity::Error` missed),
  # negative times and durations, values too large for C, an empty expected nonce.
  def test_values_the_library_refuses_are_its_invalid_argument_error
    {
      -> { @signer.sign(user_id: "a\0b", nonce: "n") } => "user_id",
      -> { @signer.sign(user_id: "u", nonce: "a\0b") } => "nonce",
      -> { @signer.sign(user_id: "u", nonce: "n", first_name: "a\0b") } => "first_name",
      -> { @signer.sign(user_id: "u", nonce: "n", metadata: { "a\0" => "b" }) } => "metadata",
      -> { @verifier.verify("a.b\0.c") } => "token",
      -> { @signer.sign(user_id: "u", nonce: "n", issued_at: -1) } => "issued_at",
      -> { @signer.sign(user_id: "u", nonce: "n", issued_at: Time.utc(1969, 12, 31, 23, 59)) } => "issued_at",
      -> { @signer.sign(user_id: "u", nonce: "n", issued_at: 2**63) } => "issued_at",
      -> { @signer.sign(user_id: "u", nonce: "n", ttl: -1) } => "ttl",
      -> { @signer.sign(user_id: "u", nonce: "n", ttl: 2**32) } => "ttl",
      -> { @verifier.verify(@signer.sign(user_id: "u", nonce: "n"), now: -5) } => "now",
      -> { @verifier.verify(@signer.sign(user_id: "u", nonce: "n"), now: Time.utc(1960)) } => "now",
      -> { @verifier.verify(@signer.sign(user_id: "u", nonce: "n"), leeway: -1) } => "leeway",
      -> { @verifier.verify(@signer.sign(user_id: "u", nonce: "n"), nonce: "") } => "nonce",
      -> { signer(token_type: :jose) } => "token type",
      -> { LayerIdentity.generate_key_pair(bits: -1) } => "bits"
    }.each do |call, name|
      error = assert_raises(LayerIdentity::InvalidArgumentError) { call.call }
      assert_kind_of LayerIdentity::Error, error
      assert_kind_of ArgumentError, error
      assert_equal "LAYER_ERR_INVALID_ARGUMENT", error.status_name
      assert_includes error.message, name, error.message
    end
    caught = begin
      @signer.sign(user_id: "a\0b", nonce: "n")
    rescue LayerIdentity::Error => e
      e
    end
    assert_kind_of LayerIdentity::InvalidArgumentError, caught
  end

  # 0 is the library's "now" (as nil is), for issued_at, ttl (600) and verify's now.
  def test_zero_times_are_the_librarys_defaults
    before = Time.now.to_i
    [0, nil, Time.at(0)].each do |issued_at|
      claims = @verifier.verify(@signer.sign(user_id: "u", nonce: "n", issued_at: issued_at, ttl: 0), now: 0)
      assert_in_delta before, claims.issued_at.to_i, 5
      assert_equal 600, claims.expires_at - claims.issued_at
    end
  end

  def test_token_type_names_follow_the_librarys_rule_any_letter_case
    [:jws, "JWS", "Jws", :JWS].each do |type|
      header = JSON.parse(LayerIdentity.decode_unverified(signer(token_type: type).sign(user_id: "u", nonce: "n"))
                                       .header_json)
      assert_equal "JWS", header["typ"], type.inspect
    end
  end

  def test_empty_attributes_are_absent
    token = @signer.sign(user_id: "u", nonce: "n", first_name: "", last_name: "Ng", display_name: "", avatar_url: "")
    claims = @verifier.verify(token)
    assert_equal [nil, "Ng", nil, nil], [claims.first_name, claims.last_name, claims.display_name, claims.avatar_url]
    refute_includes LayerIdentity.decode_unverified(token).claims_json, "first_name"
  end

  def test_keys_are_bytes_der_too
    der = OpenSSL::PKey.read(private_key).private_to_der
    der_signer = LayerIdentity::Signer.new(private_key: der, provider_id: PROVIDER_ID, key_id: KEY_ID)
    assert_equal @signer.sign(user_id: "u", nonce: "n", issued_at: 1_700_000_000),
                 der_signer.sign(user_id: "u", nonce: "n", issued_at: 1_700_000_000)
    public_der = OpenSSL::PKey.read(public_key).public_to_der
    assert LayerIdentity::Verifier.new(public_key: public_der, provider_id: PROVIDER_ID, key_id: KEY_ID)
                                  .verify(der_signer.sign(user_id: "u", nonce: "n"))
  ensure
    der_signer&.close
  end

  def test_strings_in_other_encodings_are_transcoded_and_invalid_utf8_is_the_libraries_to_report
    latin1 = "Zo\xEB".dup.force_encoding(Encoding::ISO_8859_1)
    utf16 = "Zoë".encode(Encoding::UTF_16LE)
    [latin1, utf16, "Zoë".b].each do |user|
      assert_equal "Zoë", @verifier.verify(@signer.sign(user_id: user, nonce: "n")).user_id
    end
    error = assert_raises(LayerIdentity::InvalidUtf8Error) { @signer.sign(user_id: "\xC3(".b, nonce: "n") }
    assert_equal "LAYER_ERR_INVALID_UTF8", error.status_name
    euc_jp = "\xFF".dup.force_encoding(Encoding::EUC_JP) # not EUC-JP either: it cannot be transcoded
    error = assert_raises(LayerIdentity::InvalidUtf8Error) { @signer.sign(user_id: euc_jp, nonce: "n") }
    assert_includes error.message, "user_id"
    assert_kind_of ArgumentError, error
  end

  def test_library_errors_name_the_problem_and_never_the_key
    secret = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7secret\n" \
             "-----END PRIVATE KEY-----\n"
    error = assert_raises(LayerIdentity::InvalidKeyError) do
      LayerIdentity::Signer.new(private_key: secret, provider_id: PROVIDER_ID, key_id: KEY_ID)
    end
    refute_includes error.message, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7secret"
    passphrase = "correct horse battery staple, wrong"
    error = assert_raises(LayerIdentity::WrongPassphraseError) do
      LayerIdentity::Signer.new(private_key: vector_key("keys/rsa2048.pkcs8.encrypted.pem"), passphrase: passphrase,
                                provider_id: PROVIDER_ID, key_id: KEY_ID)
    end
    refute_includes error.message, passphrase
    error = assert_raises(LayerIdentity::InvalidArgumentError) do
      LayerIdentity::Signer.new(private_key: private_key, provider_id: "your-provider-id", key_id: KEY_ID)
    end
    assert_match(/provider id/i, error.message)
    assert_raises(LayerIdentity::InvalidArgumentError) { @signer.sign(user_id: "", nonce: "n") }
    error = assert_raises(LayerIdentity::InvalidArgumentError) do
      @signer.sign(user_id: "u", nonce: "n", issued_at: 1_700_000_000_000)
    end
    assert_includes error.message, "milliseconds"
  end

  def test_encrypted_keys_and_legacy_keys
    encrypted = LayerIdentity::Signer.new(private_key: vector_key("keys/rsa2048.pkcs8.encrypted.pem"),
                                          passphrase: "correct horse battery staple", provider_id: PROVIDER_ID,
                                          key_id: KEY_ID)
    assert @verifier.verify(encrypted.sign(user_id: "u", nonce: "n"))
    encrypted.close
    legacy = vector_key("keys/rsa1024.pkcs8.pem")
    assert_raises(LayerIdentity::WeakKeyError) do
      LayerIdentity::Signer.new(private_key: legacy, provider_id: PROVIDER_ID, key_id: KEY_ID)
    end
    LayerIdentity::Signer.open(private_key: legacy, provider_id: PROVIDER_ID, key_id: KEY_ID,
                               allow_1024_bit_key: true) do |legacy_signer|
      verifier = LayerIdentity::Verifier.new(public_key: vector_key("keys/rsa1024.public.pem"),
                                             provider_id: PROVIDER_ID, key_id: KEY_ID, allow_1024_bit_key: true)
      assert_equal "u", verifier.verify(legacy_signer.sign(user_id: "u", nonce: "n")).user_id
    end
  end

  def test_public_key_is_the_spki_pem_and_a_verifier_can_derive_it
    assert_equal public_key, @signer.public_key
    derived = LayerIdentity::Verifier.new(public_key: private_key, provider_id: PROVIDER_ID, key_id: KEY_ID)
    assert derived.verify(@signer.sign(user_id: "u", nonce: "n"))
  end

  def test_generate_key_pair
    pair = LayerIdentity.generate_key_pair
    assert_predicate pair, :frozen?
    assert pair.private_key.start_with?("-----BEGIN PRIVATE KEY-----\n")
    assert pair.public_key.start_with?("-----BEGIN PUBLIC KEY-----\n")
    assert_equal 2048, OpenSSL::PKey.read(pair.private_key).n.num_bits
    refute_includes pair.inspect, "PRIVATE"
    refute_includes pair.to_s, "PRIVATE"
    assert_includes pair.inspect, "[REDACTED]"
    signer = LayerIdentity::Signer.new(private_key: pair.private_key, provider_id: PROVIDER_ID, key_id: KEY_ID)
    verifier = LayerIdentity::Verifier.new(public_key: pair.public_key, provider_id: PROVIDER_ID, key_id: KEY_ID)
    assert verifier.verify(signer.sign(user_id: "u", nonce: "n"))
    assert_equal 3072, OpenSSL::PKey.read(LayerIdentity.generate_key_pair(bits: 3072).public_key).n.num_bits
    assert_raises(LayerIdentity::WeakKeyError) { LayerIdentity.generate_key_pair(bits: 1024) }
    assert_raises(LayerIdentity::InvalidArgumentError) { LayerIdentity.generate_key_pair(bits: 20_000) }
  end

  def test_sign_token_one_shot
    token = LayerIdentity.sign_token(private_key: private_key, provider_id: PROVIDER_ID, key_id: KEY_ID,
                                     user_id: 42, nonce: "n", issued_at: 1_700_000_000)
    assert_equal @signer.sign(user_id: "42", nonce: "n", issued_at: 1_700_000_000), token
    assert_nil LayerIdentity.clear_key_cache
  end

  def test_decode_unverified
    decoded = LayerIdentity.decode_unverified(@signer.sign(user_id: "u", nonce: "n"))
    assert_predicate decoded, :frozen?
    assert_equal "u", JSON.parse(decoded.claims_json)["prn"]
    assert_raises(LayerIdentity::MalformedTokenError) { LayerIdentity.decode_unverified("a.b") }
  end

  def test_versions_and_where_the_library_came_from
    cargo_version = File.read(File.join(ROOT, "Cargo.toml"))[/^version = "([^"]+)"/, 1]
    assert_equal cargo_version, LayerIdentity::VERSION
    assert_equal LayerIdentity::VERSION, LayerIdentity.library_version
    assert_equal ENV.fetch("LAYER_IDENTITY_LIB"), LayerIdentity.library_path
  end

  def test_inspect_shows_no_secret
    assert_equal "#<LayerIdentity::Signer>", @signer.inspect
    assert_equal "#<LayerIdentity::Verifier>", @verifier.inspect
    state = @signer.instance_variables.map { |name| @signer.instance_variable_get(name).inspect }.join
    refute_includes state, "PRIVATE"
  end
end
