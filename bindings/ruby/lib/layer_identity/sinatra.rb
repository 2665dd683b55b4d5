# frozen_string_literal: true

require "layer_identity"

module LayerIdentity
  # Sinatra extension (`require "layer_identity/sinatra"`): serves the identity-token
  # endpoint under a prefix of a Sinatra app, inside the app, so that its block sees the
  # app's own session, helpers and request:
  #
  #   class App < Sinatra::Base
  #     register LayerIdentity::Sinatra
  #     enable :sessions
  #
  #     identity_token_endpoint "/layer", signer: LayerIdentity::Signer.from_env do |_fields|
  #       session[:user_id]
  #     end
  #   end
  #
  # answers POST /layer/identity-token and GET /layer/healthz (and the contract's errors
  # for any other path below /layer). Sinatra's CSRF protection (Rack::Protection's
  # RemoteToken, on with sessions) would refuse the Layer client SDK's tokenless JSON POST
  # by dropping the session, so it is allowed for the endpoint's paths only: the answer has
  # no side effect and cannot be read by another origin.
  module Sinatra
    CONTEXT = "layer_identity.sinatra"
    VERBS = %w[GET HEAD POST PUT PATCH DELETE OPTIONS LINK UNLINK].freeze

    def identity_token_endpoint(prefix, signer:, &authenticate)
      raise ArgumentError, "identity_token_endpoint needs a block that returns the user ID" unless authenticate

      prefix = prefix.chomp("/")
      endpoint = Rack::IdentityTokenEndpoint.new(signer) do |env, fields|
        env.fetch(CONTEXT).instance_exec(fields, &authenticate)
      end
      allow_without_csrf_token(prefix)
      pattern = %r{#{Regexp.escape(prefix)}(/.*)?} # Mustermann anchors it
      VERBS.each do |verb|
        route(verb, pattern) do
          path = request.path_info.delete_prefix(prefix)
          halt(*endpoint.call(env.merge(CONTEXT => self, "SCRIPT_NAME" => env["SCRIPT_NAME"].to_s + prefix,
                                        "PATH_INFO" => path)))
        end
      end
    end

    private

    def allow_without_csrf_token(prefix)
      options = protection.is_a?(Hash) ? protection.dup : {}
      previous = options[:allow_if]
      options[:allow_if] = lambda do |env|
        path = env["PATH_INFO"].to_s
        path == prefix || path.start_with?("#{prefix}/") || previous&.call(env)
      end
      set(:protection, options) if protection
    end
  end
end
