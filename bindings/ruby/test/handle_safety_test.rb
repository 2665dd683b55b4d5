# frozen_string_literal: true

require_relative "test_helper"

# Native handles are never freed under a call: copies (dup, clone, deep_dup) are the object
# itself, the finalizer frees for its owner only and never while a call is in flight, and an
# object made by `allocate` raises the library's error. test/support/copy_stress.rb drives
# copies, garbage collection and signing threads together, under GC.stress and under
# valgrind: before this was fixed, it aborted (malloc_consolidate(): unaligned fastbin chunk
# detected) or valgrind reported invalid reads in layer_signer_free.
class HandleSafetyTest < Minitest::Test
  include TestSupport

  NativeHandle = LayerIdentity.const_get(:NativeHandle)
  Native = LayerIdentity.const_get(:Native)
  STRESS = File.expand_path("support/copy_stress.rb", __dir__)
  SUPPRESSIONS = File.expand_path("support/ruby.supp", __dir__)

  def test_dup_and_clone_are_the_object_itself
    signer = self.signer
    verifier = self.verifier
    [signer, verifier].each do |object|
      assert_same object, object.dup
      assert_same object, object.clone
      assert_same object, object.clone(freeze: false)
      copied = { key: object }.transform_values(&:dup) # ActiveSupport's Hash#deep_dup
      assert_same object, copied[:key]
    end
    assert_equal "u", verifier.verify(signer.dup.sign(user_id: "u", nonce: "n")).user_id
  ensure
    signer&.close
    verifier&.close
  end

  def test_other_ways_of_copying_raise_and_leave_the_original_working
    signer = self.signer
    [Object.instance_method(:dup), Object.instance_method(:clone)].each do |copy|
      error = assert_raises(TypeError) { copy.bind_call(signer) }
      assert_includes error.message, "cannot be copied"
    end
    GC.start # the half-made copies (with the finalizer Ruby copied to them) are collected
    assert_equal "u", verifier.verify(signer.sign(user_id: "u", nonce: "n")).user_id
  ensure
    signer&.close
  end

  def test_allocate_gives_an_object_that_raises_the_librarys_error
    [-> { LayerIdentity::Signer.allocate.sign(user_id: "u", nonce: "n") },
     -> { LayerIdentity::Signer.allocate.public_key },
     -> { LayerIdentity::Verifier.allocate.verify("a.b.c") }].each do |call|
      error = assert_raises(LayerIdentity::ClosedError) { call.call }
      assert_kind_of LayerIdentity::Error, error
      assert_includes error.message, "allocate"
    end
    allocated = LayerIdentity::Signer.allocate
    assert_predicate allocated, :closed?
    assert_nil allocated.close
  end

  # The finalizer of a handle's owner, fired while a call is in flight (it cannot happen
  # through the owner, which the call keeps alive; the handle is built not to rely on it):
  # the handle is closed at once and freed when the call returns. On a real signer, so that
  # valgrind (the copy_stress run) or a crash would show a free under the call.
  def test_the_finalizer_never_frees_a_handle_with_a_call_in_flight
    signer = self.signer
    handle = signer.instance_variable_get(:@handle)
    entered = Queue.new
    release = Queue.new
    caller = Thread.new do
      handle.use do |address|
        entered << true
        release.pop
        out = Native::Out.new(2)
        out.check(Native::LAYER_SIGNER_PUBLIC_KEY_PEM.call(address, out[0], out[1]), 1)
        Native.take_string(out.value(0))
      end
    end
    entered.pop
    NativeHandle.finalizer(handle, signer.object_id).call(signer.object_id + 1) # another object's: nothing
    refute_predicate handle, :closed?
    NativeHandle.finalizer(handle, signer.object_id).call(signer.object_id)
    assert_predicate handle, :closed?
    assert_raises(LayerIdentity::ClosedError) { signer.sign(user_id: "u", nonce: "n") }
    assert_equal [true], handle.instance_variable_get(:@free_once), "freed under a call"
    release << true
    assert_equal public_key, caller.value
    assert_empty handle.instance_variable_get(:@free_once), "not freed after the last call"
  end

  def test_copies_gc_and_signing_threads_under_gc_stress
    output, status = run_stress("--gc-stress")
    assert status.success?, output
    assert_match(/\Aok \d+\n\z/, output)
  end

  def test_copies_gc_and_signing_threads_under_valgrind
    # --fair-sched=yes: valgrind runs one thread at a time, and without a fair lock the
    # signing threads (which give up the GVL on every call) can starve the main thread for
    # many minutes; with it the run takes seconds.
    command = ["valgrind", "-q", "--fair-sched=yes", "--error-exitcode=99", "--undef-value-errors=no",
               "--suppressions=#{SUPPRESSIONS}", RbConfig.ruby]
    output, status = run_stress(command: command)
    assert status.success?, "valgrind found errors (exit #{status.exitstatus}):\n#{output}"
    assert_match(/^ok \d+$/, output)
  end

  def run_stress(*arguments, command: [RbConfig.ruby])
    Open3.capture2e(*command, "-I", File.expand_path("../lib", __dir__), STRESS, "1", *arguments)
  end
end
