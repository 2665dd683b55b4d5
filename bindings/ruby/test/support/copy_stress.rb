# frozen_string_literal: true

# Copies of signers and verifiers, garbage collection and threads in flight, as a program of
# its own (test/handle_safety_test.rb runs it under GC.stress and under valgrind):
#
#   ruby -Ilib test/support/copy_stress.rb ROUNDS [--gc-stress]
#
# Each round makes signers and a verifier, takes copies the ways Ruby code does (dup, clone,
# a deep_dup-style copy of a Hash holding them), lets threads sign and verify with the
# copies, and drops the originals while those calls are in flight, then the copies while
# the originals sign. A copy that shared the native handle would be freed under a call by the
# other one's finalizer: a crash, or an invalid read under valgrind. Prints "ok N" (N tokens
# verified) and exits 0.

require "layer_identity"

rounds = Integer(ARGV.fetch(0))
GC.stress = true if ARGV.include?("--gc-stress")
root = File.expand_path("../../../..", __dir__)
key = File.binread(File.join(root, "vectors/keys/rsa2048.pkcs8.pem"))
public_key = File.binread(File.join(root, "vectors/keys/rsa2048.public.pem"))
ids = { provider_id: "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f",
        key_id: "layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f" }

# Signs (and verifies) with each of `users` until `stop` is set, in a thread each; every
# call's result is checked.
def start_workers(users, verifier, stop, done)
  users.map.with_index do |signer, index|
    Thread.new do
      count = 0
      until stop[0] && count.positive?
        token = signer.sign(user_id: "user-#{index}", nonce: "n-#{count}")
        claims = verifier.verify(token, nonce: "n-#{count}")
        raise "wrong user #{claims.user_id}" unless claims.user_id == "user-#{index}"

        count += 1
        done << true if count == 1
      end
      count
    end
  end
end

verified = 0
rounds.times do
  originals = Array.new(2) { LayerIdentity::Signer.new(private_key: key, **ids) }
  verifier = LayerIdentity::Verifier.new(public_key: public_key, **ids)
  settings = { signer: originals[0], verifier: verifier }
  copied = settings.transform_values(&:dup) # what ActiveSupport's Hash#deep_dup does
  copies = [originals[0].dup, originals[1].clone, copied[:signer]]
  stop = [false]
  done = Queue.new
  workers = start_workers(copies, copied[:verifier].clone, stop, done)
  copies.size.times { done.pop }
  # The originals go while the copies' calls are in flight.
  originals = settings = verifier = nil # rubocop:disable Lint/UselessAssignment -- dropping them is the point
  3.times { GC.start }
  stop[0] = true
  verified += workers.sum(&:value)
  # And copies that are dropped at once, while the object they were taken from signs.
  signer = LayerIdentity::Signer.new(private_key: key, **ids)
  Array.new(4) { signer.dup }
  signer.clone
  stop = [false]
  done = Queue.new
  workers = start_workers([signer], copied[:verifier], stop, done)
  done.pop
  copied = copies = nil # rubocop:disable Lint/UselessAssignment -- as above
  3.times { GC.start }
  stop[0] = true
  verified += workers.sum(&:value)
end
GC.stress = false
puts "ok #{verified}"
