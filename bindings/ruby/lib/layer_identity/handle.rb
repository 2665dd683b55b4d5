# frozen_string_literal: true

module LayerIdentity
  # One native handle (a LayerSigner* or LayerVerifier*), freed exactly once, never while a
  # call is using it. Internal.
  #
  # Calls run inside #use, which counts them in flight. #close marks the handle closed at once
  # (later calls raise ClosedError) and frees it if no call is in flight; otherwise the last
  # call frees it when it returns. Close never blocks and takes no lock, so it is safe from a
  # signal handler and from the finalizer, which does the same as #close for the owner only:
  # the finalizer holds this object and the owner's object id, never the owner, and does
  # nothing when it fires for another object (Ruby copies finalizers to a copy made by dup or
  # clone, which the owners refuse to make; a copy never owns the handle).
  #
  # The count is a Thread::Queue: push, pop and close are each one C call under the GVL, so
  # "register a call unless closed" (push raises once the queue is closed) and "close" cannot
  # interleave; a one-element Array hands out the right to free (Array#shift, also one call).
  class NativeHandle
    def initialize(address, free_function, kind)
      @address = address
      @free_function = free_function
      @kind = kind
      @calls = Thread::Queue.new
      @first_close = [true]
      @free_once = [true]
    end

    # A finalizer proc for the owner whose object id is `owner_id`. Made here, where neither
    # the owner nor anything that refers to it is in scope, so that the owner can be
    # collected.
    def self.finalizer(handle, owner_id)
      proc { |id| handle.close if id == owner_id }
    end

    # Yields the address while counting the call as in flight.
    def use
      begin
        @calls.push(nil)
      rescue ClosedQueueError
        raise ClosedError, "this #{@kind} is closed"
      end
      begin
        yield @address
      ensure
        @calls.pop(true)
        release if @calls.closed?
      end
    end

    # Closes the handle: true the first time, false afterwards. Thread-safe, never blocks.
    def close
      @calls.close
      release
      @first_close.shift || false
    end

    def closed?
      @calls.closed?
    end

    private

    # Frees the handle if no call is in flight, once.
    def release
      @free_function.call(@address) if @calls.empty? && @free_once.shift
    end
  end
  private_constant :NativeHandle
end
