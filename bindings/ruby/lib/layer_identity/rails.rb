# frozen_string_literal: true

require "layer_identity"

module LayerIdentity
  # Rails integration (`require "layer_identity/rails"`, e.g. in config/application.rb).
  #
  # Configuration: the `layer` entry of the app's credentials (`bin/rails credentials:edit`):
  #
  #   layer:
  #     provider_id: layer:///providers/<uuid>
  #     key_id: layer:///keys/<uuid>
  #     private_key: |
  #       -----BEGIN PRIVATE KEY-----
  #       ...
  #     passphrase: ...        # only for an encrypted key
  #     token_type: JWT        # only to sign with "typ":"JWT"
  #
  # or, without that entry, the LAYER_* environment variables (Signer.from_env).
  #
  # Serve the endpoint by mounting it in config/routes.rb (the block gets the Rack env: your
  # session, Warden, ...; a mounted Rack app is outside ActionController, so no forgery
  # protection applies):
  #
  #   mount LayerIdentity::Rails.endpoint { |env, _fields| env["warden"].user&.id }, at: "/layer"
  #
  # or from a controller of yours, where the block runs in the controller (current_user, ...)
  # and forgery protection is skipped for that one action (see Controller).
  module Rails
    class << self
      # The application's Signer, made once (thread-safe) from the credentials' `layer`
      # entry, or from the environment when there is none. A missing or invalid value raises
      # the library's error, which names it.
      def signer
        @signer || LOCK.synchronize { @signer ||= make_signer }
      end

      # The identity-token endpoint (a Rack app) with the application's signer and logger;
      # `authenticate` as for Rack::IdentityTokenEndpoint.
      def endpoint(&)
        Rack::IdentityTokenEndpoint.new(signer, logger: ::Rails.logger, &)
      end

      private

      def make_signer
        settings = ::Rails.application.credentials.config[:layer]
        return Signer.from_env unless settings

        settings = settings.to_h.transform_keys(&:to_sym)
        Signer.new(private_key: settings[:private_key], provider_id: settings[:provider_id],
                   key_id: settings[:key_id], passphrase: settings[:passphrase],
                   token_type: settings.fetch(:token_type, :jws))
      end
    end
    LOCK = Mutex.new
    private_constant :LOCK

    # For a controller that serves the endpoint from one of its actions:
    #
    #   class LayerIdentityController < ApplicationController
    #     include LayerIdentity::Rails::Controller
    #
    #     identity_token_action(:create) { |_fields| current_user&.id }
    #   end
    #
    #   # config/routes.rb
    #   post "layer/identity-token", to: "layer_identity#create"
    #
    # The action answers the identity-token contract (the library decides it; the route
    # picks the path). Forgery protection is skipped for that action only: the Layer client
    # SDK posts JSON with no CSRF token, and the answer has no side effect and cannot be
    # read by another origin.
    module Controller
      def self.included(base)
        base.extend(ClassMethods)
      end

      # identity_token_action(name) { |fields| user ID }
      module ClassMethods
        def identity_token_action(name, &authenticate)
          raise ArgumentError, "identity_token_action needs a block that returns the user ID" unless authenticate

          endpoint = LayerIdentity::Rails.endpoint do |env, fields|
            env.fetch(CONTROLLER).instance_exec(fields, &authenticate)
          end
          skip_forgery_protection(only: name) if respond_to?(:skip_forgery_protection)
          define_method(name) { serve_identity_token(endpoint) }
        end
      end

      # The Rack env key of the controller answering, for the block.
      CONTROLLER = "layer_identity.controller"

      private

      def serve_identity_token(endpoint)
        request.body.rewind # Rails may have read it for params
        env = request.env.merge(CONTROLLER => self, "SCRIPT_NAME" => "", "PATH_INFO" => "/identity-token",
                                "QUERY_STRING" => "")
        status, headers, body = endpoint.call(env)
        self.status = status
        headers.each { |name, value| response.set_header(name, value) }
        self.response_body = body
      end
    end
  end
end
