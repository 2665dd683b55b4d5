# frozen_string_literal: true

module LayerIdentity
  # #close, #closed? and the block form `open`, shared by Signer and Verifier. Internal.
  module Closeable
    # `new(...)`, yielded to the block and closed when it ends (the block's value is
    # returned); without a block, the same as `new`.
    module Open
      def open(**options)
        handle = new(**options)
        return handle unless block_given?

        begin
          yield handle
        ensure
          handle.close
        end
      end
    end

    def self.included(base)
      base.extend(Open)
    end

    # Frees the native handle now rather than when the object is garbage-collected.
    # Idempotent and thread-safe; calls in flight in other threads finish first. Every later
    # call raises ClosedError. Returns nil.
    def close
      ObjectSpace.undefine_finalizer(self) if @handle.close
      nil
    end

    def closed?
      @handle.closed?
    end

    private

    def adopt(address, free_function, kind)
      @handle = NativeHandle.new(address, free_function, kind)
      ObjectSpace.define_finalizer(self, NativeHandle.finalizer(@handle))
    end
  end
  private_constant :Closeable
end
