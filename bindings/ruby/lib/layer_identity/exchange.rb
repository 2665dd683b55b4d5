# frozen_string_literal: true

module LayerIdentity
  # One HTTP request through the identity-token endpoint's contract, decided by the library
  # (a LayerExchange: sans-I/O, like h11): the adapter gives it the request head and the body
  # and asks what to answer. Internal: the Rack app is the public face. Used from one thread
  # at a time; #free releases it (once).
  class Exchange
    STEPS = { read_body: 1, authenticate: 2, respond: 3 }.freeze
    OUTCOMES = { user: 1, none: 2, failed: 3, not_a_user_id: 4 }.freeze
    STEP_NAMES = STEPS.invert.freeze

    # method, target: the request line's method and target (path relative to the mount point,
    # with its query); content_type, content_length: the header values, nil when absent.
    def initialize(method, target, content_type, content_length)
      out = Native::Out.new(2)
      out.check(Native::LAYER_EXCHANGE_NEW.call(method, method.bytesize, target, target.bytesize,
                                                content_type, content_type&.bytesize || 0,
                                                content_length, content_length&.bytesize || 0, out[0], out[1]), 1)
      @address = out.value(0)
    end

    # :read_body, :authenticate or :respond.
    def step
      STEP_NAMES.fetch(Native::LAYER_EXCHANGE_STEP.call(address))
    end

    # The body (step :read_body): every byte read, at most
    # Native::ENDPOINT_MAX_BODY_BYTES + 1.
    def put_body(body)
      call(Native::LAYER_EXCHANGE_PUT_BODY, body, body.bytesize)
    end

    # The validated fields (step :authenticate), in LayerField order: Strings or nil.
    def fields
      out = Native::Out.new(Native::FIELD_COUNT * 2)
      Native::LAYER_EXCHANGE_FIELDS.call(address, out[0], out[Native::FIELD_COUNT], Native::FIELD_COUNT)
      slots = out.values("J#{Native::FIELD_COUNT * 2}")
      Array.new(Native::FIELD_COUNT) { |index| Native.string_at(slots[index], slots[Native::FIELD_COUNT + index]) }
    end

    # The demo authenticator's user ID, or the library's refusal (InvalidArgumentError with
    # the field's message), which the exchange remembers for a :failed outcome.
    def demo_user_id
      out = Native::Out.new(3)
      out.check(Native::LAYER_EXCHANGE_DEMO_USER_ID.call(address, out[0], out[1], out[2]), 2)
      Native.string_at(out.value(0), out.value(1))
    end

    # What authenticate returned (an OUTCOMES key) and the user ID or a description of the
    # value, signed with `signer_address` for :user.
    def finish(signer_address, outcome, user_id)
      call(Native::LAYER_EXCHANGE_FINISH, signer_address, OUTCOMES.fetch(outcome), user_id, user_id&.bytesize || 0)
    end

    # The adapter's own failure: 500, `log_message` for the log only.
    def fail(log_message)
      call(Native::LAYER_EXCHANGE_FAIL, log_message, log_message.bytesize)
    end

    # The answer (step :respond): [status, [[name, value], ...], body].
    def response
      [Native::LAYER_EXCHANGE_STATUS.call(address), headers, text(Native::LAYER_EXCHANGE_BODY, Encoding::BINARY)]
    end

    def closes_connection?
      Native::LAYER_EXCHANGE_CLOSES_CONNECTION.call(address) != 0
    end

    # What to log about the answer, or nil.
    def log_message
      text(Native::LAYER_EXCHANGE_LOG_MESSAGE, Encoding::UTF_8)
    end

    def free
      address = @address
      @address = nil
      Native::LAYER_EXCHANGE_FREE.call(address) if address
    end

    private

    # Raises if the exchange was freed (a Fields kept past its request, say).
    def address
      @address or raise ClosedError, "this request has been answered: its exchange is gone"
    end

    def call(function, *arguments)
      out = Native::Out.new(1)
      out.check(function.call(address, *arguments, out[0]), 0)
    end

    def headers
      count = Native::EXCHANGE_MAX_HEADERS
      out = Native::Out.new(count * 4)
      total = Native::LAYER_EXCHANGE_HEADERS.call(address, out[0], out[count], out[count * 2], out[count * 3], count)
      slots = out.values("J#{count * 4}")
      Array.new([total, count].min) do |index|
        [Native.string_at(slots[index], slots[count + index]),
         Native.string_at(slots[(count * 2) + index], slots[(count * 3) + index])]
      end
    end

    # A text of the exchange read by `function` (pointer and length), nil for NULL.
    def text(function, encoding)
      out = Native::Out.new(1)
      pointer = function.call(address, out[0])
      Native.string_at(pointer, out.value(0), encoding)
    end
  end
  private_constant :Exchange
end
