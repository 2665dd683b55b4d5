# frozen_string_literal: true

module LayerIdentity
  # Rack apps (no rack gem needed: a Rack app is anything with #call(env)).
  module Rack
    # The identity-token endpoint as a Rack app: the backend half of Layer's authentication
    # handshake. The library decides every rule of the HTTP contract (tests/endpoint/README.md
    # in the repository): routes, methods, content types, sizes, JSON and form bodies, field
    # rules, status codes and error bodies. This adapter parses nothing: it gives the library
    # the request head and at most 65537 bytes of body, calls your authenticate block, and
    # returns the library's answer.
    #
    # - POST /identity-token with a JSON or form body {"nonce": "...", optional first_name,
    #   last_name, display_name, avatar_url} => 200 {"identity_token": "..."};
    # - GET or HEAD /healthz => 200 {"status": "ok"};
    # - 400, 401, 404, 405, 413, 415 and 500, each as {"error": {"code": ..., "message": ...}}.
    #
    # Who the user is, is your application's business: the block gets the Rack env (your
    # session, cookies, Warden, ...) and the request's Fields, and returns the user ID:
    #
    # - a non-empty String, or an Integer (its decimal text) => the token;
    # - nil or "" => 401 unauthenticated;
    # - an exception => 401 unauthenticated, and the exception is logged;
    # - anything else (true, a Float, an Array, ...) => 500 server_error: a bug to fix,
    #   logged.
    #
    #   endpoint = LayerIdentity::Rack::IdentityTokenEndpoint.new(signer) do |env, _fields|
    #     env["warden"].user&.id
    #   end
    #
    # Mounted under a prefix (Rails: `mount endpoint, at: "/layer"`), the routes are relative
    # to it (PATH_INFO). What the client must not see (why a 500 or a 401 happened) goes to
    # `logger` (anything with #error and #warn), or to env["rack.errors"] without one.
    class IdentityTokenEndpoint
      # LayerField order.
      FIELDS = %i[nonce first_name last_name display_name avatar_url user_id].freeze
      OUTCOMES = Exchange::OUTCOMES
      STEPS = Exchange::STEPS
      # What #authenticate returns for a block that raised.
      FAILED = Object.new.freeze
      private_constant :FIELDS, :OUTCOMES, :STEPS, :FAILED

      # The request's fields, as the library validated them: #nonce, and #first_name,
      # #last_name, #display_name, #avatar_url (nil when absent), frozen Strings. #user_id is
      # the body's user_id when it passes the field rules (nil otherwise): the client's word,
      # never proof of who the user is.
      class Fields
        attr_reader(*FIELDS)

        def initialize(exchange, values) # :nodoc:
          @exchange = exchange
          FIELDS.zip(values) { |name, value| instance_variable_set(:"@#{name}", value) }
          freeze
        end

        # The demo authenticator: the body's user_id under the field rules, trusted as it is.
        # When the body's user_id breaks them it raises (InvalidArgumentError with the field's
        # message) and the endpoint answers 400 missing_field or invalid_field, whether your
        # block calls this directly or lets the error through from its own code. Only for
        # demos and tests: anyone can send any user_id.
        def demo_user_id
          @exchange.demo_user_id
        end

        def to_h
          FIELDS.to_h { |name| [name, public_send(name)] }
        end

        def inspect
          "#<#{self.class.name} #{to_h.compact.map { |name, value| "#{name}=#{value.inspect}" }.join(" ")}>"
        end
      end

      # signer:: a LayerIdentity::Signer.
      # logger:: where the answers' log messages go; nil for env["rack.errors"].
      # authenticate:: the block: (env, fields) => the user ID, see the class comment.
      def initialize(signer, logger: nil, &authenticate)
        raise ArgumentError, "IdentityTokenEndpoint.new needs an authenticate block" unless authenticate
        raise TypeError, "signer must be a LayerIdentity::Signer, not #{signer.class}" unless signer.is_a?(Signer)

        @signer = signer
        @logger = logger
        @authenticate = authenticate
      end

      # The Rack interface: [status, headers, body], as the library answered.
      def call(env)
        exchange = Exchange.new(env["REQUEST_METHOD"].to_s, target(env), env["CONTENT_TYPE"], env["CONTENT_LENGTH"])
        begin
          advance(exchange, env)
        rescue StandardError => e
          exchange.fail("identity-token: #{e.class}: #{e.message}")
        end
        respond(exchange, env)
      ensure
        exchange&.free
      end

      private

      # The request target as the endpoint sees it: the path below the mount point, and the
      # query string.
      def target(env)
        path = env["PATH_INFO"].to_s
        query = env["QUERY_STRING"]
        query.nil? || query.empty? ? path : "#{path}?#{query}"
      end

      def advance(exchange, env)
        exchange.put_body(read_body(env["rack.input"])) if exchange.step == :read_body
        return unless exchange.step == :authenticate

        outcome, user_id = outcome(authenticate(exchange, env))
        if outcome == :user
          @signer.send(:with_handle) { |signer| exchange.finish(signer, :user, user_id) }
        else
          exchange.finish(0, outcome, user_id)
        end
      end

      # At most one byte more than the library takes, so that it can tell a body too large.
      def read_body(input)
        return "".b unless input

        input.read(Native::ENDPOINT_MAX_BODY_BYTES + 1) || "".b
      end

      # What the authenticate block returned, or FAILED when it raised (logged).
      def authenticate(exchange, env)
        @authenticate.call(env, Fields.new(exchange, exchange.fields))
      rescue StandardError => e
        log(env, 401, "identity-token: authenticate raised #{e.class}: #{e.message}")
        FAILED
      end

      # [outcome, user ID or a description for the log] of what authenticate returned.
      def outcome(user_id)
        case user_id
        when FAILED then [:failed, nil]
        when nil then [:none, nil]
        when Integer then [:user, user_id.to_s]
        when String then [:user, Arguments.text(user_id, "user_id")]
        else [:not_a_user_id, "#{user_id.class} #{user_id.inspect[0, 64]}"]
        end
      end

      def respond(exchange, env)
        status, headers, body = exchange.response
        message = exchange.log_message
        log(env, status, "identity-token: #{message}") if message
        [status, headers.to_h.transform_keys(&:downcase), [body]]
      end

      # Writes `line` to the logger (an error for a 500, else a warning) or rack.errors.
      def log(env, status, line)
        if @logger
          status >= 500 ? @logger.error(line) : @logger.warn(line)
        elsif (errors = env["rack.errors"])
          errors.puts(line)
        end
      end
    end
  end
end
