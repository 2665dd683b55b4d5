#!/usr/bin/env ruby
# frozen_string_literal: true

# The sample backend: the identity-token endpoint (a Rack app) with the demo authenticator,
# served by WEBrick through LayerIdentity::Rack::WEBrickServer. Start it with
# `scripts/run-backend ruby`.
#
# Configuration (environment): LAYER_PROVIDER_ID, LAYER_KEY_ID, LAYER_PRIVATE_KEY (the PEM
# text) or LAYER_PRIVATE_KEY_PATH, LAYER_PRIVATE_KEY_PASSPHRASE, LAYER_TOKEN_TYPE (all read by
# the library), PORT (8080), HOST (127.0.0.1) and WEB_CONCURRENCY (the worker processes, as
# for Puma; one per core by default). Stdout carries one line, `listening on
# http://HOST:PORT`; everything else goes to stderr. SIGTERM (or Ctrl-C) stops it: requests in
# flight are finished, idle connections closed, and it exits with status 0.

require "etc"
require "layer_identity"
require "layer_identity/rack/webrick"

$stdout.sync = true
$stderr.sync = true

begin
  signer = LayerIdentity::Signer.from_env
rescue LayerIdentity::Error => e
  warn "backend: cannot start: #{e.message}"
  exit 1
end

host = ENV["HOST"].to_s.empty? ? "127.0.0.1" : ENV.fetch("HOST", nil)
port_text = ENV["PORT"].to_s.empty? ? "8080" : ENV.fetch("PORT", nil)
port = Integer(port_text, 10, exception: false)
unless port&.between?(0, 65_535)
  warn "backend: cannot start: PORT must be a port number (0 to 65535), not #{port_text.inspect}"
  exit 1
end
workers_text = ENV.fetch("WEB_CONCURRENCY", "").empty? ? Etc.nprocessors.to_s : ENV.fetch("WEB_CONCURRENCY")
workers = Integer(workers_text, 10, exception: false)
unless workers&.between?(1, 256)
  warn "backend: cannot start: WEB_CONCURRENCY must be a number of processes (1 to 256), not #{workers_text.inspect}"
  exit 1
end

# The demo authenticator trusts the user_id the client sends. A real backend takes the user
# from its own session instead, e.g. `{ |env, _fields| env["warden"].user&.id }`.
warn "WARNING: demo authenticator: trusting user_id from the request body; replace it with " \
     "your own session check"
endpoint = LayerIdentity::Rack::IdentityTokenEndpoint.new(signer) { |_env, fields| fields.demo_user_id }

begin
  server = LayerIdentity::Rack::WEBrickServer.new(endpoint, host: host, port: port, workers: workers)
rescue SystemCallError, SocketError => e
  warn "backend: cannot listen on #{host}:#{port}: #{e.message}"
  exit 1
end
%w[TERM INT].each { |signal| trap(signal) { server.shutdown } }
puts "listening on http://#{host}:#{server.port}"
server.start
signer.close
warn "backend: stopped"
