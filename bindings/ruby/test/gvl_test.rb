# frozen_string_literal: true

require_relative "test_helper"
require "io/nonblock"

# The calls that do RSA work release the GVL, so Ruby threads sign and verify in parallel.
# Fiddle (>= 1.0.4, Ruby 3.1 ships 1.1.0) releases the GVL around a call unless the function
# was created with need_gvl: true; the first test shows that mechanism with a thread blocked in
# read(2) through Fiddle, the second that the gem creates its functions accordingly. No verdict
# here depends on the machine's speed: the throughput of 2 threads against 1 is measured by
# bench/bench.rb.
class GvlTest < Minitest::Test
  def native
    LayerIdentity.const_get(:Native)
  end

  # A thread reads one byte from a pipe through Fiddle's read(2). This thread writes "m" once
  # the reader is blocked inside read (seen in /proc), which it can do only if the blocked call
  # released the GVL; a child process writes "c" after `child_delay` seconds whatever happens,
  # so that a held GVL ends in a wrong answer instead of a hang. Returns the byte read.
  def first_writer(need_gvl:, child_delay:)
    read = Fiddle::Function.new(Fiddle::Handle::DEFAULT["read"], [Fiddle::TYPE_INT, Fiddle::TYPE_VOIDP,
                                                                  Fiddle::TYPE_SIZE_T], Fiddle::TYPE_SSIZE_T,
                                need_gvl: need_gvl)
    reader, writer = IO.pipe
    reader.nonblock = false # Ruby makes pipes non-blocking; read(2) must wait here
    child = fork do
      sleep child_delay
      writer.syswrite("c")
      exit!(0)
    end
    buffer = "\0".b
    thread = Thread.new { read.call(reader.fileno, buffer, 1) }
    Thread.pass until thread.native_thread_id
    syscall = "/proc/self/task/#{thread.native_thread_id}/syscall"
    Thread.pass until !thread.alive? || File.read(syscall).start_with?("0 ") # 0: read(2) on x86-64
    writer.syswrite("m") if thread.alive?
    assert_equal 1, thread.value
    buffer
  ensure
    Process.kill(:KILL, child) if child
    Process.wait(child) if child
    [reader, writer].each { |io| io&.close }
  end

  def test_fiddle_releases_the_gvl_unless_need_gvl_is_set
    assert_equal "m", first_writer(need_gvl: false, child_delay: 60), "a blocked call held the GVL"
    assert_equal "c", first_writer(need_gvl: true, child_delay: 1), "a call with need_gvl: true let Ruby run"
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
