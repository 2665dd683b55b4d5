# frozen_string_literal: true

require_relative "test_helper"

# One signer and one verifier shared by many threads.
class ConcurrencyTest < Minitest::Test
  include TestSupport

  THREADS = 16
  TOKENS = 200

  def test_sixteen_threads_sign_two_hundred_tokens_each_on_one_signer
    signer = self.signer
    verifier = self.verifier
    tokens = Array.new(THREADS) do |thread|
      Thread.new do
        Array.new(TOKENS) { |i| [thread, i, signer.sign(user_id: "user-#{thread}", nonce: "nonce-#{thread}-#{i}")] }
      end
    end.flat_map(&:value)
    assert_equal THREADS * TOKENS, tokens.size
    assert_equal tokens.size, tokens.map(&:last).uniq.size
    checkers = tokens.each_slice(TOKENS).map do |slice|
      Thread.new do
        slice.each do |thread, i, token|
          claims = verifier.verify(token, nonce: "nonce-#{thread}-#{i}")
          raise "wrong user" unless claims.user_id == "user-#{thread}"
        end
      end
    end
    checkers.each(&:join)
    public_pem = signer.public_key
    tokens.each { |_, _, token| jwt_decode(token, public_pem) } # ruby-jwt agrees, every one
  ensure
    signer&.close
    verifier&.close
  end

  def test_closing_while_threads_sign_never_crashes
    signer = self.signer
    verifier = self.verifier
    started = Queue.new
    workers = Array.new(8) do |thread|
      Thread.new do
        signed = 0
        loop do
          verifier.verify(signer.sign(user_id: "u", nonce: "n-#{thread}"), nonce: "n-#{thread}")
          signed += 1
          started << true if signed == 1
        rescue LayerIdentity::ClosedError
          break signed
        end
      end
    end
    8.times { started.pop }
    closers = Array.new(4) { Thread.new { signer.close } }
    closers.each(&:join)
    counts = workers.map(&:value)
    assert(counts.all?(&:positive?))
    assert_predicate signer, :closed?
    assert_raises(LayerIdentity::ClosedError) { signer.sign(user_id: "u", nonce: "n") }
  ensure
    verifier&.close
  end
end
