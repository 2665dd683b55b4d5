# frozen_string_literal: true

require "json"
require_relative "body_parser"

module LayerIdentity
  # Rack apps (no rack gem needed: a Rack app is anything with #call(env)).
  module Rack
    # The identity-token endpoint, as a Rack app: the backend half of Layer's authentication
    # handshake. It answers the HTTP contract of tests/endpoint/README.md:
    #
    # - POST /identity-token with a JSON or form body {"nonce": "...", optional first_name,
    #   last_name, display_name, avatar_url} => 200 {"identity_token": "..."};
    # - GET or HEAD /healthz => 200 {"status": "ok"};
    # - 400 (invalid_json, missing_field, invalid_field), 401 unauthenticated, 404, 405, 413,
    #   415 and 500 server_error, each as {"error": {"code": "...", "message": "..."}}.
    #
    # Who the user is, is your application's business: the block gets the Rack env (your
    # session, cookies, Warden, ...) and the request's Fields, and returns the user ID (a
    # String, or an Integer: its decimal text). Returning nil or false, or raising, answers
    # 401; raising FieldError answers 400 with its code and message.
    #
    #   endpoint = LayerIdentity::Rack::IdentityTokenEndpoint.new(signer) do |env, _fields|
    #     env["warden"].user&.id
    #   end
    #
    # Mounted under a prefix (Rails: `mount endpoint, at: "/layer"`), the routes are relative
    # to it (PATH_INFO). Errors the client must not see (a signing failure, an authenticator
    # that raised) are written to `logger` (anything with #error and #warn), or to
    # env["rack.errors"] without one.
    class IdentityTokenEndpoint
      MAX_BODY_BYTES = 65_536
      MAX_FIELD_BYTES = 2048
      ATTRIBUTES = %w[first_name last_name display_name avatar_url].freeze
      JSON_TYPE = "application/json"
      FORM_TYPE = "application/x-www-form-urlencoded"

      # A field is missing or invalid: answered 400 with #code (missing_field or
      # invalid_field) and the message. Raise it from the authenticate block to refuse a
      # request as a bad one rather than an unauthenticated one.
      class FieldError < StandardError
        attr_reader :code

        def initialize(code, message)
          super(message)
          @code = code
        end
      end

      # The members of a request body. #string checks one by the contract's field rules, as
      # the endpoint does for nonce and the attributes; #[] gives a member that is a String
      # without any check (nil when it is absent, null or another JSON type).
      class Fields
        def initialize(members, duplicates)
          @members = members
          @duplicates = duplicates
        end

        def [](name)
          value = @members[name]
          value.is_a?(String) ? value : nil
        end

        def key?(name)
          @members.key?(name)
        end

        # The member `name` as a non-empty String of at most 2048 UTF-8 bytes, without U+0000,
        # valid Unicode, given once. required: false returns nil when it is absent or null.
        # Raises FieldError.
        def string(name, required: true)
          raise FieldError.new("invalid_field", "#{name} is given more than once") if @duplicates.include?(name)

          unless @members.key?(name)
            raise FieldError.new("missing_field", "#{name} is required") if required

            return nil
          end
          value = @members[name]
          return nil if value.nil? && !required

          check(name, value)
        end

        private

        def check(name, value)
          if !value.is_a?(String) || value.empty?
            raise FieldError.new("invalid_field", "#{name} must be a non-empty string")
          end
          if value.bytesize > MAX_FIELD_BYTES
            raise FieldError.new("invalid_field", "#{name} must be at most #{MAX_FIELD_BYTES} bytes")
          end
          raise FieldError.new("invalid_field", "#{name} must not contain U+0000") if value.include?("\0")
          raise FieldError.new("invalid_field", "#{name} must be valid Unicode") unless value.valid_encoding?

          value
        end
      end

      # signer:: a LayerIdentity::Signer (anything with #sign(user_id:, nonce:, ...)).
      # logger:: where errors hidden from the client go; nil for env["rack.errors"].
      # authenticate:: the block: (env, fields) => the user ID, see the class comment.
      def initialize(signer, logger: nil, &authenticate)
        raise ArgumentError, "IdentityTokenEndpoint.new needs an authenticate block" unless authenticate
        raise TypeError, "signer must respond to #sign, not #{signer.class}" unless signer.respond_to?(:sign)

        @signer = signer
        @logger = logger
        @authenticate = authenticate
      end

      # The Rack interface: [status, headers, body]. A response to HEAD has the headers of
      # the GET and no body.
      def call(env)
        status, headers, body = route(env)
        [status, headers, env["REQUEST_METHOD"] == "HEAD" ? [] : body]
      end

      private

      def route(env)
        case env["PATH_INFO"]
        when "/identity-token"
          return error(405, "method_not_allowed", "use POST", "allow" => "POST") unless env["REQUEST_METHOD"] == "POST"

          identity_token(env)
        when "/healthz"
          healthz(env["REQUEST_METHOD"])
        else
          error(404, "not_found", "not found")
        end
      end

      def healthz(method)
        return error(405, "method_not_allowed", "use GET or HEAD", "allow" => "GET, HEAD") unless
          %w[GET HEAD].include?(method)

        respond(200, { "status" => "ok" })
      end

      def identity_token(env)
        kind = media_type(env["CONTENT_TYPE"])
        unless kind
          return error(415, "unsupported_media_type",
                       "Content-Type must be #{JSON_TYPE} or #{FORM_TYPE} (charset utf-8)")
        end

        body = read_body(env)
        return error(413, "body_too_large", "the body is larger than #{MAX_BODY_BYTES} bytes") unless body

        fields = Fields.new(*(kind == :json ? BodyParser.json(body) : BodyParser.form(body)))
        nonce = fields.string("nonce")
        attributes = ATTRIBUTES.to_h { |name| [name.to_sym, fields.string(name, required: false)] }
        user_id = authenticate(env, fields)
        return error(401, "unauthenticated", "authentication required") if user_id.nil?

        sign(env, user_id, nonce, attributes)
      rescue BodyParser::Malformed => e
        error(400, "invalid_json", e.message)
      rescue FieldError => e
        error(400, e.code, e.message)
      end

      # The user ID from the authenticate block, or nil when it refused (logged); FieldError
      # passes through.
      def authenticate(env, fields)
        user_id = @authenticate.call(env, fields)
        log(env, :warn, "identity-token: authenticate refused the request") unless user_id
        user_id || nil
      rescue FieldError
        raise
      rescue StandardError => e
        log(env, :warn, "identity-token: authenticate raised #{e.class}: #{e.message}")
        nil
      end

      def sign(env, user_id, nonce, attributes)
        unless (user_id.is_a?(String) && !user_id.empty?) || user_id.is_a?(Integer)
          log(env, :error, "identity-token: authenticate returned #{user_id.class}, not a non-empty " \
                           "String or an Integer user ID")
          return server_error
        end
        token = @signer.sign(user_id: user_id, nonce: nonce, **attributes)
        respond(200, { "identity_token" => token })
      rescue LayerIdentity::InvalidArgumentError => e
        error(400, "invalid_field", e.message) # the client's values (a token over 16 KiB, ...)
      rescue StandardError => e
        log(env, :error, "identity-token: signing failed: #{e.class}: #{e.message}")
        server_error
      end

      # The body (at most MAX_BODY_BYTES), or nil when it is larger. A declared
      # Content-Length over the limit is refused before reading anything.
      def read_body(env)
        declared = env["CONTENT_LENGTH"]
        return nil if declared && !declared.empty? && declared.to_i > MAX_BODY_BYTES

        input = env["rack.input"]
        body = input ? input.read(MAX_BODY_BYTES + 1) : nil
        body = body ? body.b : +""
        body.bytesize > MAX_BODY_BYTES ? nil : body
      end

      # :json or :form for an accepted Content-Type, else nil. The media type is compared
      # whole and case-insensitively; a charset parameter must be utf-8 (quoted or not),
      # other parameters are ignored.
      def media_type(header)
        return nil if header.nil?

        type, *parameters = header.split(";")
        kind = { JSON_TYPE => :json, FORM_TYPE => :form }[type.to_s.strip.downcase]
        return nil unless kind

        parameters.each do |parameter|
          name, value = parameter.split("=", 2)
          next unless name.strip.casecmp?("charset")

          value = value.to_s.strip
          value = value[1..-2] if value.length >= 2 && value.start_with?('"') && value.end_with?('"')
          return nil unless value.casecmp?("utf-8")
        end
        kind
      end

      def server_error
        error(500, "server_error", "could not create the identity token")
      end

      def error(status, code, message, headers = {})
        respond(status, { "error" => { "code" => code, "message" => message } }, headers)
      end

      def respond(status, document, headers = {})
        json = JSON.generate(document)
        headers = { "content-type" => "application/json", "cache-control" => "no-store",
                    "content-length" => json.bytesize.to_s }.merge(headers)
        [status, headers, [json]]
      end

      def log(env, level, message)
        if @logger
          @logger.public_send(level, message)
        elsif (errors = env["rack.errors"])
          errors.puts(message)
        end
      end
    end
  end
end
