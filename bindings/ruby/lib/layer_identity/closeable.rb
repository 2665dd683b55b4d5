# frozen_string_literal: true

module LayerIdentity
  # What Signer and Verifier share: #close, #closed?, the block form `open`, and no copies.
  # Internal.
  #
  # A Signer or Verifier owns one native handle. It is immutable and safe to share between
  # threads, so a copy would add nothing but a second owner of the same handle, which one of
  # them would free while the other uses it: #dup and #clone return the object itself (as
  # they do for Integer or Symbol), so `deep_dup` and friends share it, and any other way of
  # copying it (Object#dup through bind_call, ...) raises TypeError.
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
    # Idempotent and thread-safe; never blocks: calls in flight in other threads finish, and
    # the last one frees the handle. Every later call raises ClosedError. Returns nil.
    def close
      @handle&.close
      nil
    end

    def closed?
      @handle.nil? || @handle.closed?
    end

    # The object itself: it is immutable, and its native handle has one owner.
    def dup
      self
    end

    # The object itself, as #dup (`freeze:` is accepted and ignored: the object never changes).
    def clone(freeze: nil) # rubocop:disable Lint/UnusedMethodArgument
      self
    end

    def inspect
      "#<#{self.class.name}#{closed? ? " (closed)" : ""}>"
    end

    private

    def initialize_copy(_source)
      raise TypeError, "#{self.class.name} cannot be copied: share it (it is immutable and thread-safe)"
    end

    def adopt(address, free_function)
      @handle = NativeHandle.new(address, free_function, self.class.name)
      ObjectSpace.define_finalizer(self, NativeHandle.finalizer(@handle, object_id))
    end

    # Runs the block with the native address, counted as a call in flight; ClosedError after
    # #close, and for an object made by `allocate` (it has no handle).
    def with_handle(&)
      raise ClosedError, "this #{self.class.name} has no native handle: it was made by allocate, not new" unless @handle

      @handle.use(&)
    end
  end
  private_constant :Closeable
end
