# frozen_string_literal: true

ROOT = File.expand_path("../../..", __dir__)
ENV["LAYER_IDENTITY_LIB"] ||= File.join(ROOT, "target/release/liblayer_identity.so")

require "json"
require "openssl"
require "open3"
require "rbconfig"
require "tmpdir"
require "jwt"
require "minitest/autorun"
require "layer_identity"

VECTORS = File.join(ROOT, "vectors")
PROVIDER_ID = "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f"
KEY_ID = "layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f"

# Helpers shared by the tests.
module TestSupport
  # Lines about what was covered (vector counts, ...), printed once after the run.
  REPORTS = Queue.new
  Minitest.after_run do
    lines = []
    lines << REPORTS.pop until REPORTS.empty?
    puts lines.sort unless lines.empty?
  end

  module_function

  def report(line)
    REPORTS << line
  end

  def vectors(name)
    JSON.parse(File.read(File.join(VECTORS, "#{name}.json")))
  end

  # A key file under vectors/, as stored (bytes).
  def vector_key(path)
    File.binread(File.join(VECTORS, path))
  end

  def private_key
    @private_key ||= vector_key("keys/rsa2048.pkcs8.pem")
  end

  def public_key
    @public_key ||= vector_key("keys/rsa2048.public.pem")
  end

  def signer(**options)
    LayerIdentity::Signer.new(private_key: private_key, provider_id: PROVIDER_ID, key_id: KEY_ID, **options)
  end

  def verifier
    LayerIdentity::Verifier.new(public_key: public_key, provider_id: PROVIDER_ID, key_id: KEY_ID)
  end

  # Checks `token` with ruby-jwt (an independent RS256 implementation over Ruby's OpenSSL)
  # and returns [claims, header] as it decodes them.
  def jwt_decode(token, public_pem)
    JWT.decode(token, OpenSSL::PKey::RSA.new(public_pem), true,
               algorithm: "RS256", verify_expiration: false, verify_not_before: false, verify_iat: false)
  end

  # The C library name of a vector flag.
  def flag_options(flags)
    { token_type: flags.include?("TYP_JWT") ? :jwt : :jws, allow_1024_bit_key: flags.include?("ALLOW_1024_BIT_KEY") }
  end

  # A vector string argument: nil, a String, or {"hex": "c3 28"} (raw bytes, not UTF-8).
  def vector_string(value)
    value.is_a?(Hash) ? [value.fetch("hex").delete(" ")].pack("H*") : value
  end

  # Runs Ruby in a child process with the gem's lib on the load path; [stdout+stderr, status].
  def run_ruby(code, env: {}, chdir: ROOT)
    Open3.capture2e(env, RbConfig.ruby, "-I", File.expand_path("../lib", __dir__), "-e", code, chdir: chdir)
  end

  # The RSS of this process in KiB.
  def rss_kib
    File.read("/proc/self/status")[/^VmRSS:\s+(\d+)/, 1].to_i
  end
end
