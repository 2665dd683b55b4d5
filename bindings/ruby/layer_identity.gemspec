# frozen_string_literal: true

require_relative "lib/layer_identity/version"

# The platform gem: the Ruby code and the native library for x86_64 Linux (OpenSSL 3 stays
# the system's libssl3, which the library links dynamically). `rake gem` stages this
# directory with target/release/liblayer_identity.so at lib/layer_identity/native/ and builds
# pkg/layer_identity-VERSION-x86_64-linux.gem.
Gem::Specification.new do |spec|
  spec.name = "layer_identity"
  spec.version = LayerIdentity::VERSION
  spec.platform = "x86_64-linux"
  spec.authors = ["layer-identity maintainers"]
  spec.summary = "Mint and verify Layer identity tokens (RS256 JWS) with the layer-identity native library"
  spec.description = <<~TEXT.tr("\n", " ").strip
    Signs the identity tokens a backend returns to the Layer client SDK, verifies them with
    the rules of Layer's identity token validation tool, generates key pairs, and ships a
    Rack endpoint for the handshake. A Fiddle binding (no compiler, no dependencies) of the
    layer-identity C library, which the gem carries.
  TEXT
  spec.license = "Apache-2.0"
  spec.required_ruby_version = ">= 3.1"

  native = "lib/layer_identity/native/liblayer_identity.so"
  unless File.file?(File.join(__dir__, native))
    raise "#{native} is missing: build the gem with `rake gem` (it stages the native library)"
  end

  spec.files = Dir.chdir(__dir__) { Dir["lib/**/*.rb"] } + [native, "README.md"]
  spec.require_paths = ["lib"]
  spec.metadata["rubygems_mfa_required"] = "true"
end
