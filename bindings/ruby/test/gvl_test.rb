# frozen_string_literal: true

require_relative "test_helper"

# The calls that do RSA work release the GVL, so Ruby threads sign and verify in parallel.
# Fiddle (>= 1.0.4, Ruby 3.1 ships 1.1.0) releases the GVL around a call unless the function
# was created with need_gvl: true; the first test shows that mechanism with a sleeping C call
# (it needs no free CPU, so it holds on a busy machine too), the second that the gem creates
# its functions accordingly. The throughput of 2 threads against 1 is measured by
# bench/bench.rb, not here.
class GvlTest < Minitest::Test
  def native
    LayerIdentity.const_get(:Native)
  end

  def elapsed_for_two_threads(function)
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    Array.new(2) { Thread.new { function.call(500_000) } }.each(&:join)
    Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
  end

  def test_fiddle_releases_the_gvl_unless_need_gvl_is_set
    usleep = Fiddle::Handle::DEFAULT["usleep"]
    released = Fiddle::Function.new(usleep, [-Fiddle::TYPE_INT], Fiddle::TYPE_INT, need_gvl: false)
    held = Fiddle::Function.new(usleep, [-Fiddle::TYPE_INT], Fiddle::TYPE_INT, need_gvl: true)
    assert_operator elapsed_for_two_threads(released), :<, 0.9, "two 0.5 s calls did not overlap"
    assert_operator elapsed_for_two_threads(held), :>=, 1.0, "two 0.5 s calls overlapped with the GVL held"
  end

  def test_the_rsa_calls_release_the_gvl_and_the_cheap_ones_keep_it
    blocking = %w[layer_sign_token_n layer_signer_new_n layer_signer_sign_n layer_verifier_new_n
                  layer_verifier_verify_into layer_generate_key_pair layer_exchange_put_body layer_exchange_finish]
    native::SIGNATURES.each_key do |name|
      function = native.const_get(name.upcase)
      assert_equal !blocking.include?(name), function.need_gvl?, name
    end
  end
end
