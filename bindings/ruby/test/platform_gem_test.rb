# frozen_string_literal: true

require "fileutils"
require "rubygems/package"
require_relative "test_helper"

# The platform gem, as a user gets it: `rake gem` builds it with the native library inside;
# `gem install --local` puts it in an empty GEM_HOME; a script outside the repository, with
# nothing but that GEM_HOME (no -I, no LAYER_IDENTITY_LIB), signs and verifies; and Bundler
# installs it from vendor/cache with --local.
class PlatformGemTest < Minitest::Test
  GEM_DIR = File.expand_path("..", __dir__)
  GEM_FILE = File.join(GEM_DIR, "pkg/layer_identity-#{LayerIdentity::VERSION}-x86_64-linux.gem")

  SCRIPT = <<~'RUBY'
    require "layer_identity"
    provider_id = "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f"
    key_id = "layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f"
    pair = LayerIdentity.generate_key_pair
    token = LayerIdentity::Signer.open(private_key: pair.private_key, provider_id: provider_id,
                                       key_id: key_id) do |signer|
      signer.sign(user_id: 42, nonce: "installed", first_name: "Ada")
    end
    claims = LayerIdentity::Verifier.new(public_key: pair.public_key, provider_id: provider_id, key_id: key_id)
                                    .verify(token, nonce: "installed")
    raise "wrong claims: #{claims.inspect}" unless claims.user_id == "42" && claims.first_name == "Ada"
    puts $LOADED_FEATURES.grep(%r{/layer_identity\.rb\z}).first
    puts LayerIdentity.library_path
    puts token
  RUBY

  def self.build_gem
    @build_gem ||= begin
      output, status = Open3.capture2e({ "LAYER_IDENTITY_LIB" => nil }, "rake", "gem", chdir: GEM_DIR)
      raise "rake gem failed:\n#{output}" unless status.success?

      GEM_FILE
    end
  end

  def setup
    self.class.build_gem
    @dir = Dir.mktmpdir("layer-identity-gem")
  end

  def teardown
    FileUtils.rm_rf(@dir)
  end

  # An environment with no way to the repository's copy of the gem or library.
  def clean_env(gem_home)
    { "GEM_HOME" => gem_home, "GEM_PATH" => gem_home, "LAYER_IDENTITY_LIB" => nil, "RUBYLIB" => nil,
      "RUBYOPT" => nil, "LD_LIBRARY_PATH" => nil, "BUNDLE_GEMFILE" => nil }
  end

  def test_the_gem_carries_the_native_library_linked_to_the_systems_openssl
    files = `tar -xOf #{GEM_FILE} data.tar.gz | tar -tz`.split("\n")
    assert_includes files, "lib/layer_identity/native/liblayer_identity.so"
    assert_includes files, "lib/layer_identity.rb"
    spec = Gem::Package.new(GEM_FILE).spec
    assert_equal "x86_64-linux", spec.platform.to_s
    assert_equal "layer_identity-#{LayerIdentity::VERSION}-x86_64-linux", spec.full_name
    assert_empty spec.dependencies
    library = File.join(@dir, "liblayer_identity.so")
    native = "lib/layer_identity/native/liblayer_identity.so"
    assert system("tar -xOf #{GEM_FILE} data.tar.gz | tar -xzO #{native} > #{library}")
    assert_equal File.binread(File.join(ROOT, "target/release/liblayer_identity.so")), File.binread(library)
    assert system("readelf --version", out: File::NULL), "readelf (binutils) is not installed"
    needed = `readelf -d #{library}`.scan(/\(NEEDED\).*\[(.+)\]/).flatten
    assert_includes needed, "libssl.so.3"
    assert_includes needed, "libcrypto.so.3"
    defined = `readelf --dyn-syms -W #{library}`.lines.reject { |line| line.include?(" UND ") }
    assert_empty defined.grep(/\b(EVP_|RSA_|SSL_)\w+/), "OpenSSL symbols defined inside the library"
  end

  def test_installed_into_an_empty_gem_home_it_signs_and_verifies_from_outside_the_repository
    gem_home = File.join(@dir, "gems")
    env = clean_env(gem_home)
    output, status = Open3.capture2e(env, "gem", "install", "--local", "--no-document", GEM_FILE, chdir: @dir)
    assert status.success?, output
    assert_includes output, "Successfully installed layer_identity-#{LayerIdentity::VERSION}-x86_64-linux"
    File.write(File.join(@dir, "app.rb"), SCRIPT)
    output, status = Open3.capture2e(env, RbConfig.ruby, "app.rb", chdir: @dir)
    assert status.success?, output
    feature, library, token = output.lines.map(&:chomp)
    assert feature.start_with?(gem_home), "layer_identity.rb came from #{feature}"
    assert library.start_with?(gem_home), "the library came from #{library}"
    assert_equal 3, token.count(".") + 1
    payload, = JWT.decode(token, nil, false)
    assert_equal %w[42 installed Ada], payload.values_at("prn", "nce", "first_name")
  end

  def test_bundler_installs_it_from_vendor_cache
    bundle = [RbConfig.ruby, Gem.bin_path("bundler", "bundle")] # Ruby's own (a default gem)
    app = File.join(@dir, "app")
    FileUtils.mkdir_p(File.join(app, "vendor/cache"))
    FileUtils.cp(GEM_FILE, File.join(app, "vendor/cache"))
    File.write(File.join(app, "Gemfile"), %(source "https://rubygems.org"\ngem "layer_identity"\n))
    File.write(File.join(app, "app.rb"), SCRIPT)
    env = clean_env(File.join(@dir, "bundle")).merge("BUNDLE_PATH" => File.join(@dir, "bundle"),
                                                     "BUNDLE_GEMFILE" => File.join(app, "Gemfile"),
                                                     "BUNDLE_APP_CONFIG" => File.join(app, ".bundle"),
                                                     "BUNDLE_FORCE_RUBY_PLATFORM" => nil)
    output, status = Open3.capture2e(env, *bundle, "install", "--local", "--quiet", chdir: app)
    assert status.success?, output
    output, status = Open3.capture2e(env, *bundle, "exec", "ruby", "app.rb", chdir: app)
    assert status.success?, output
    assert_includes output.lines[1], "layer_identity-#{LayerIdentity::VERSION}-x86_64-linux"
  end
end
