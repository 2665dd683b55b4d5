# frozen_string_literal: true

# The create/sign/close loop: RSS must stay flat. Each iteration creates a Signer (a key
# decode and a warm-up signature in the library, about 1 ms), signs a token with attributes
# and metadata, verifies it (typed claims), and closes the signer, except every tenth one,
# which is left to the finalizer. RSS is sampled after a warm-up (a tenth of the run, at
# least 1000 iterations) and at the end.
#
#   ruby -Ilib script/memory_check.rb [ITERATIONS]     (default 10000; `rake memcheck`)
#
# Exit status 1 when RSS grew by more than 8 MiB after the warm-up.

require "layer_identity"

iterations = Integer(ARGV.fetch(0, "10000"))
root = File.expand_path("../../..", __dir__)
key = File.binread(File.join(root, "vectors/keys/rsa2048.pkcs8.pem"))
provider_id = "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f"
key_id = "layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f"
verifier = LayerIdentity::Verifier.new(public_key: key, provider_id: provider_id, key_id: key_id)

def rss_kib
  File.read("/proc/self/status")[/^VmRSS:\s+(\d+)/, 1].to_i
end

warm_up = [iterations / 10, 1000].max.clamp(0, iterations)
samples = {}
started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
samples[0] = rss_kib
iterations.times do |i|
  signer = LayerIdentity::Signer.new(private_key: key, provider_id: provider_id, key_id: key_id)
  token = signer.sign(user_id: "user-#{i}", nonce: "nonce-#{i}", first_name: "Zoë", metadata: { "plan" => "pro" })
  raise "wrong claims at #{i}" unless verifier.verify(token, nonce: "nonce-#{i}").user_id == "user-#{i}"

  signer.close unless (i % 10) == 9
  samples[i + 1] = rss_kib if i + 1 == warm_up || ((i + 1) % [iterations / 10, 1].max).zero?
end
GC.start
samples[iterations] = rss_kib
seconds = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
growth = samples[iterations] - samples[warm_up]
puts format("memory check: %<n>d iterations in %<s>.0f s; RSS %<start>d KiB at start, %<warm>d KiB after %<w>d, " \
            "%<end>d KiB at the end (%<g>+d KiB after the warm-up)",
            n: iterations, s: seconds, start: samples[0], warm: samples[warm_up], w: warm_up,
            end: samples[iterations], g: growth)
puts "  RSS by iteration (KiB): #{samples.sort.map { |i, kib| "#{i}: #{kib}" }.join(", ")}" if ENV["VERBOSE"]
exit(growth > 8192 ? 1 : 0)
