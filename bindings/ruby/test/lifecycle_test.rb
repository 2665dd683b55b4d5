# frozen_string_literal: true

require_relative "test_helper"

# Handles: #close, use after close, the block forms, finalizers, GC.stress.
class LifecycleTest < Minitest::Test
  include TestSupport

  NativeHandle = LayerIdentity.const_get(:NativeHandle)

  # A free function that counts its calls, for NativeHandle on its own.
  class CountingFree
    attr_reader :calls

    def initialize
      @calls = []
      @lock = Mutex.new
    end

    def call(address)
      @lock.synchronize { @calls << address }
    end
  end

  def test_close_is_idempotent_and_every_method_then_raises_closed_error
    signer = self.signer
    verifier = self.verifier
    token = signer.sign(user_id: "u", nonce: "n")
    assert_nil signer.close
    assert_nil signer.close
    assert_predicate signer, :closed?
    assert_nil verifier.close
    assert_nil verifier.close
    calls = [-> { signer.sign(user_id: "u", nonce: "n") }, -> { signer.public_key }, -> { verifier.verify(token) }]
    calls.each do |call|
      error = assert_raises(LayerIdentity::ClosedError) { call.call }
      assert_kind_of LayerIdentity::Error, error
      assert_match(/closed/, error.message)
      assert_nil error.status
      assert_nil error.status_name
    end
    assert_equal "#<LayerIdentity::Signer (closed)>", signer.inspect
  end

  def test_open_yields_and_closes_even_when_the_block_raises
    kept = nil
    value = LayerIdentity::Signer.open(private_key: private_key, provider_id: PROVIDER_ID, key_id: KEY_ID) do |signer|
      kept = signer
      signer.sign(user_id: "u", nonce: "n")
    end
    assert_predicate kept, :closed?
    assert_equal 3, value.count(".") + 1
    assert_raises(RuntimeError) do
      LayerIdentity::Verifier.open(public_key: public_key, provider_id: PROVIDER_ID, key_id: KEY_ID) do |verifier|
        kept = verifier
        raise "boom"
      end
    end
    assert_predicate kept, :closed?
    unclosed = LayerIdentity::Signer.open(private_key: private_key, provider_id: PROVIDER_ID, key_id: KEY_ID)
    refute_predicate unclosed, :closed?
    unclosed.close
  end

  def test_from_env_with_a_block_closes_the_signer
    saved = ENV.to_h
    ENV.update("LAYER_PROVIDER_ID" => PROVIDER_ID, "LAYER_KEY_ID" => KEY_ID, "LAYER_PRIVATE_KEY" => private_key)
    kept = nil
    token = LayerIdentity::Signer.from_env do |signer|
      kept = signer
      signer.sign(user_id: "u", nonce: "n")
    end
    assert_predicate kept, :closed?
    assert verifier.verify(token)
    assert_raises(ArgumentError) { LayerIdentity::Signer.from_env(token_type: :jws) }
  ensure
    ENV.replace(saved)
  end

  def test_a_handle_is_freed_once_however_many_threads_close_it
    free = CountingFree.new
    handle = NativeHandle.new(0x1234, free, "test handle")
    results = Array.new(16) { Thread.new { handle.close } }.map(&:value)
    assert_equal 1, results.count(true)
    assert_equal [0x1234], free.calls
    NativeHandle.finalizer(handle, 7).call(7)
    assert_equal [0x1234], free.calls
    assert_raises(LayerIdentity::ClosedError) { handle.use { flunk "used after close" } }
  end

  def test_close_during_a_call_frees_when_the_call_returns
    free = CountingFree.new
    handle = NativeHandle.new(0x5678, free, "test handle")
    entered = Queue.new
    release = Queue.new
    caller = Thread.new do
      handle.use do |address|
        entered << address
        release.pop
        :done
      end
    end
    assert_equal 0x5678, entered.pop
    assert handle.close
    assert_empty free.calls, "freed while a call was in flight"
    assert_raises(LayerIdentity::ClosedError) { handle.use { flunk "used after close" } }
    release << true
    assert_equal :done, caller.value
    assert_equal [0x5678], free.calls
  end

  def test_the_finalizer_frees_what_was_not_closed
    handles = make_unclosed_signers(50)
    4.times { GC.start(full_mark: true, immediate_sweep: true) }
    freed = handles.count { |handle| handle.instance_variable_get(:@free_once).empty? }
    assert_operator freed, :>=, 40, "finalizers freed #{freed} of 50 unreachable signers"
  end

  # Creates signers, signs once with each, and returns their NativeHandles (which do not refer
  # to the signers, so the signers are garbage).
  def make_unclosed_signers(count)
    Array.new(count) do
      signer = self.signer
      signer.sign(user_id: "u", nonce: "n")
      signer.instance_variable_get(:@handle)
    end
  end

  # GC.stress makes every allocation run the garbage collector: a pointer that Ruby let go
  # of too early shows up at once. Run in a child process, whose small heap keeps it quick.
  def test_gc_stress_around_create_sign_verify_close
    code = <<~RUBY
      require "layer_identity"
      key = File.binread(#{File.join(VECTORS, "keys/rsa2048.pkcs8.pem").inspect})
      public_key = File.binread(#{File.join(VECTORS, "keys/rsa2048.public.pem").inspect})
      GC.stress = true
      ids = { provider_id: #{PROVIDER_ID.inspect}, key_id: #{KEY_ID.inspect} }
      2.times do |i|
        signer = LayerIdentity::Signer.new(private_key: key, **ids)
        verifier = LayerIdentity::Verifier.new(public_key: public_key, **ids)
        token = signer.sign(user_id: "user-\#{i}", nonce: "nonce", first_name: "Zoë", metadata: { "plan" => "pro" })
        claims = verifier.verify(token, nonce: "nonce")
        raise "wrong claims" unless claims.user_id == "user-\#{i}" && claims.metadata == { "plan" => "pro" }
        begin
          verifier.verify(token, nonce: "other")
          raise "accepted a wrong nonce"
        rescue LayerIdentity::ClaimMismatchError
        end
        signer.close
        verifier.close
        begin
          signer.sign(user_id: "u", nonce: "n")
          raise "signed after close"
        rescue LayerIdentity::ClosedError
        end
        LayerIdentity::Signer.new(private_key: key, **ids) # never closed: the finalizer's
      end
      GC.stress = false
      GC.start
      puts "ok"
    RUBY
    output, status = run_ruby(code)
    assert status.success?, output
    assert_equal "ok\n", output
  end
end
