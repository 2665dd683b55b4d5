# frozen_string_literal: true

module LayerIdentity
  # One native handle (a LayerSigner* or LayerVerifier*), freed exactly once. Internal.
  #
  # Calls run inside #use, which counts them; #close marks the handle closed at once (later
  # calls raise ClosedError) and frees it when the last call in flight returns, so a close
  # from one thread never frees a handle another thread is signing with. The finalizer that
  # the owner registers (NativeHandle.finalizer) holds this object, never the owner, and
  # frees the handle if nobody closed it.
  class NativeHandle
    def initialize(address, free_function, kind)
      @address = address
      @free_function = free_function
      @kind = kind
      @lock = Mutex.new
      @calls = 0
      @closed = false
      @freed = false
    end

    # A finalizer proc for the owner: it refers to `handle` only, so the owner can be
    # collected.
    def self.finalizer(handle)
      proc { handle.finalize }
    end

    # Yields the address while counting the call as in flight.
    def use
      @lock.synchronize do
        raise ClosedError, "this #{@kind} is closed" if @closed

        @calls += 1
      end
      begin
        yield @address
      ensure
        free_now = @lock.synchronize do
          @calls -= 1
          @closed && @calls.zero? && take_for_free
        end
        free! if free_now
      end
    end

    # Closes the handle: true the first time, false afterwards. Thread-safe.
    def close
      free_now = @lock.synchronize do
        return false if @closed

        @closed = true
        @calls.zero? && take_for_free
      end
      free! if free_now
      true
    end

    def closed?
      @closed
    end

    # From the finalizer: the owner is unreachable, so no call is in flight.
    def finalize
      @closed = true
      free! if take_for_free
    end

    private

    # True once: whoever gets it frees the handle.
    def take_for_free
      return false if @freed

      @freed = true
    end

    def free!
      @free_function.call(@address)
    end
  end
  private_constant :NativeHandle
end
