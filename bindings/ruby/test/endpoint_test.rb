# frozen_string_literal: true

require "logger"
require "net/http"
require "rack"
require "rack/lint"
require "rack/mock"
require "stringio"
require_relative "test_helper"
require "layer_identity/rack/webrick"

# LayerIdentity::Rack::IdentityTokenEndpoint over real HTTP: one stock WEBrick server
# (LayerIdentity::Rack::WEBrickServer) per kind of authenticate block of
# tests/endpoint/cases.json, each checked by the shared driver, conformance.py --url
# --authenticator KIND (the demo one also with --pipelining and --chunked); then what only
# Ruby's own tests can do: the 500 paths, what the block gets, Rack::Lint, a mount prefix.
class EndpointTest < Minitest::Test
  include TestSupport

  Endpoint = LayerIdentity::Rack::IdentityTokenEndpoint
  DRIVER = File.join(ROOT, "tests/endpoint/conformance.py")
  PUBLIC_PEM = File.join(VECTORS, "keys/rsa2048.public.pem")

  # authenticate blocks by kind, as the cases describe them.
  NOT_USER_IDS = { "boolean" => true, "float" => 42.5, "list" => ["alice"] }.freeze
  AUTHENTICATORS = {
    "demo" => ->(_env, fields) { fields.demo_user_id },
    "demo_wrapped" => lambda do |env, fields|
      raise "no Rack env" unless env.key?("REQUEST_METHOD")

      fields.demo_user_id # its refusal propagates: the demo's 400
    end,
    "reject" => ->(_env, _fields) {},
    "none" => ->(_env, _fields) {},
    "empty" => ->(_env, _fields) { "" },
    "throws" => ->(_env, _fields) { raise "no session cookie" },
    "integer" => ->(_env, _fields) { 42 },
    "not_a_user_id" => ->(_env, fields) { NOT_USER_IDS.fetch(fields.user_id) }
  }.freeze

  # The conformance summary each kind must print (tests/endpoint/README.md).
  EXPECTED = { "demo" => 153, "demo_wrapped" => 7, "reject" => 3, "none" => 4, "empty" => 3, "throws" => 3,
               "integer" => 3, "not_a_user_id" => 4 }.freeze

  def self.signer
    @signer ||= LayerIdentity::Signer.new(private_key: TestSupport.private_key, provider_id: PROVIDER_ID,
                                          key_id: KEY_ID)
  end

  # A WEBrickServer for `app` on an ephemeral port, in a thread, until the run ends.
  def self.serve(app)
    server = LayerIdentity::Rack::WEBrickServer.new(app, port: 0, logger: WEBrick::Log.new(File::NULL))
    thread = Thread.new { server.start }
    Minitest.after_run do
      server.shutdown
      thread.join
    end
    server.port
  end

  def self.logs
    @logs ||= StringIO.new
  end

  def self.port(kind)
    @ports ||= {}
    @ports[kind] ||= serve(Endpoint.new(signer, logger: Logger.new(logs), &AUTHENTICATORS.fetch(kind)))
  end

  def test_every_kind_of_authenticate_passes_the_conformance_suite_over_http
    kinds = JSON.parse(File.read(File.join(ROOT, "tests/endpoint/cases.json")))["authenticators"].keys
    assert_equal kinds.sort, AUTHENTICATORS.keys.sort, "a kind of the cases without a Ruby authenticator"
    AUTHENTICATORS.each_key do |kind|
      options = kind == "demo" ? %w[--pipelining --chunked] : []
      output, status = Open3.capture2e("/usr/bin/python3", DRIVER, "--url", "http://127.0.0.1:#{self.class.port(kind)}",
                                       "--public-key", PUBLIC_PEM, "--provider-id", PROVIDER_ID, "--key-id", KEY_ID,
                                       "--authenticator", kind, *options)
      assert status.success?, "#{kind}:\n#{output}"
      assert_includes output, "#{EXPECTED.fetch(kind)} cases passed", kind
    end
    report("tests/endpoint/cases.json: every kind over HTTP on WEBrick " \
           "(#{EXPECTED.map { |kind, count| "#{kind} #{count}" }.join(", ")})")
    logs = self.class.logs.string
    assert_includes logs, "no session cookie", "the throws kind's failure is logged"
    assert_includes logs, "Float", "the not_a_user_id kind's value is logged"
  end

  # POST `body` as JSON to the endpoint through Rack::MockRequest (Rack::Lint around it).
  def post(app, body, content_type: "application/json", env: {})
    Rack::MockRequest.new(Rack::Lint.new(app)).post("/identity-token", { "CONTENT_TYPE" => content_type,
                                                                         input: body }.merge(env))
  end

  def error_of(response)
    JSON.parse(response.body)["error"]
  end

  def test_a_closed_signer_is_a_500_with_the_details_only_in_the_log
    log = StringIO.new
    closed = LayerIdentity::Signer.new(private_key: private_key, provider_id: PROVIDER_ID, key_id: KEY_ID)
    app = Endpoint.new(closed, logger: Logger.new(log)) { |_env, _fields| "alice" }
    closed.close
    response = post(app, '{"nonce":"n"}')
    assert_equal 500, response.status
    assert_equal "no-store", response.headers["cache-control"]
    assert_equal({ "code" => "server_error", "message" => "could not create the identity token" }, error_of(response))
    assert_includes log.string, "ClosedError"
    assert_includes log.string, "ERROR"
  end

  def test_an_adapter_failure_is_a_500_and_logged
    log = StringIO.new
    app = Endpoint.new(self.class.signer, logger: Logger.new(log)) { |_env, _fields| "alice" }
    input = Object.new
    def input.read(*) = raise(IOError, "the client went away")
    env = Rack::MockRequest.env_for("/identity-token", method: "POST", "CONTENT_TYPE" => "application/json",
                                                       "CONTENT_LENGTH" => "13", "rack.input" => input)
    status, _, body = app.call(env)
    assert_equal 500, status
    assert_equal "server_error", JSON.parse(body.join)["error"]["code"]
    assert_includes log.string, "the client went away"
  end

  def test_what_the_authenticate_block_returns
    log = StringIO.new
    answers = [[-> { "alice" }, 200, "alice"], [-> { 42 }, 200, "42"], [-> { -7 }, 200, "-7"],
               [-> { 2**70 }, 200, (2**70).to_s], [-> {}, 401, "unauthenticated"], [-> { "" }, 401, "unauthenticated"],
               [-> { raise "no session" }, 401, "unauthenticated"], [-> { true }, 500, "server_error"],
               [-> { false }, 500, "server_error"], [-> { 1.5 }, 500, "server_error"],
               [-> { { id: 1 } }, 500, "server_error"], [-> { :alice }, 500, "server_error"],
               [-> { "a\0b" }, 500, "server_error"], [-> { "\xFF".b }, 500, "server_error"]]
    answers.each do |authenticate, status, outcome|
      app = Endpoint.new(self.class.signer, logger: Logger.new(log)) { |_env, _fields| authenticate.call }
      response = post(app, '{"nonce":"n"}')
      assert_equal status, response.status, "#{begin
        authenticate.call.inspect
      rescue StandardError
        "raise"
      end}: #{response.body}"
      if status == 200
        assert_equal outcome, verifier.verify(JSON.parse(response.body)["identity_token"]).user_id
      else
        assert_equal outcome, error_of(response)["code"]
      end
    end
    assert_includes log.string, "no session"
  end

  def test_the_block_gets_the_rack_env_and_the_fields
    seen = nil
    app = Endpoint.new(self.class.signer) do |env, fields|
      seen = [env["HTTP_COOKIE"], fields]
      "alice"
    end
    body = '{"nonce":"n","first_name":"Zoë","extra":"x","user_id":"mallory"}'
    assert_equal 200, post(app, body, env: { "HTTP_COOKIE" => "s=1" }).status
    cookie, fields = seen
    assert_equal "s=1", cookie
    assert_equal({ nonce: "n", first_name: "Zoë", last_name: nil, display_name: nil, avatar_url: nil,
                   user_id: "mallory" }, fields.to_h)
    assert_predicate fields, :frozen?
    assert_predicate fields.nonce, :frozen?
    refute_includes fields.inspect, "nil"
    error = assert_raises(LayerIdentity::ClosedError) { fields.demo_user_id }
    assert_includes error.message, "answered"
  end

  def test_a_form_body_and_an_integer_from_the_session
    app = Endpoint.new(self.class.signer) { |env, _fields| env["rack.session"]&.fetch(:user_id, nil) }
    response = post(app, "nonce=n&first_name=Ada", content_type: "application/x-www-form-urlencoded",
                                                   env: { "rack.session" => { user_id: 7 } })
    assert_equal 200, response.status
    claims = verifier.verify(JSON.parse(response.body)["identity_token"], nonce: "n")
    assert_equal %w[7 Ada], [claims.user_id, claims.first_name]
    assert_equal 401, post(app, "nonce=n", content_type: "application/x-www-form-urlencoded").status
  end

  def test_rack_lint_on_every_route
    app = Rack::Lint.new(Endpoint.new(self.class.signer) { |_env, fields| fields.demo_user_id })
    mock = Rack::MockRequest.new(app)
    json = { "CONTENT_TYPE" => "application/json" }
    assert_equal 200, mock.post("/identity-token", json.merge(input: '{"nonce":"n","user_id":"u"}')).status
    assert_equal 400, mock.post("/identity-token", json.merge(input: "{")).status
    assert_equal 400, mock.post("/identity-token", json.merge(input: '{"nonce":"n"}')).status
    assert_equal 415, mock.post("/identity-token", input: "nonce=n").status
    assert_equal 405, mock.get("/identity-token").status
    assert_equal "POST", mock.get("/identity-token").headers["allow"]
    assert_equal 200, mock.get("/healthz").status
    head = mock.request("HEAD", "/healthz")
    assert_equal [200, ""], [head.status, head.body]
    assert_equal 404, mock.get("/nope").status
    assert_equal 413, mock.post("/identity-token", json.merge(input: "a" * 70_000)).status
  end

  def test_mounted_under_a_prefix_routes_by_path_info
    app = Endpoint.new(self.class.signer) { |_env, fields| fields.demo_user_id }
    env = Rack::MockRequest.env_for("/layer/healthz?probe=1", "SCRIPT_NAME" => "/layer", "PATH_INFO" => "/healthz")
    assert_equal 200, app.call(env).first
    mounted = Rack::Builder.app { map("/layer") { run app } }
    assert_equal 200, Rack::MockRequest.new(mounted).get("/layer/healthz").status
    assert_equal 404, Rack::MockRequest.new(mounted).get("/layer/layer/healthz").status
  end

  def test_the_endpoint_needs_a_block_and_a_signer
    assert_raises(ArgumentError) { Endpoint.new(self.class.signer) }
    assert_raises(TypeError) { Endpoint.new("signer") { "alice" } }
  end

  # The stock server itself: keep-alive across requests, and the body read on demand (a
  # declared 1 MB body that never comes is answered at once).
  def test_the_webrick_server_keeps_connections_and_reads_bodies_on_demand
    port = self.class.port("demo")
    Net::HTTP.start("127.0.0.1", port) do |http|
      3.times { assert_equal "200", http.get("/healthz").code }
      response = http.post("/identity-token", '{"nonce":"n","user_id":"u"}', "Content-Type" => "application/json")
      assert_equal "200", response.code
      assert_equal "keep-alive", response["connection"].downcase
    end
    socket = TCPSocket.new("127.0.0.1", port)
    socket.write("POST /identity-token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" \
                 "Content-Length: 1000000\r\n\r\n{}")
    assert_match(%r{\AHTTP/1.1 413 }, socket.readpartial(4096))
  ensure
    socket&.close
  end

  # Slow or idle clients do not lock the others out: with WEBrick's default MaxClients (100)
  # the 101st connection waited in the listen backlog, unanswered, for as long as the first
  # 100 stayed open (make soak's 300 slowloris clients stalled every fresh request).
  def test_the_webrick_server_answers_while_many_clients_hold_connections_open
    port = self.class.port("demo")
    held = Array.new(HELD_CONNECTIONS) do
      TCPSocket.new("127.0.0.1", port).tap { |socket| socket.write("POST /identity-token HTTP/1.1\r\nHost: x\r\n") }
    end
    # Each sends a header line every second, as slowloris does, so that WEBrick's read timeout
    # (30 s per line) never frees its thread.
    trickle = Thread.new do
      loop do
        held.each { |socket| socket.write("X-Slow: 1\r\n") }
        sleep 1
      end
    end
    Net::HTTP.start("127.0.0.1", port, read_timeout: 60, open_timeout: 60) do |http|
      response = http.post("/identity-token", '{"nonce":"n","user_id":"u"}', "Content-Type" => "application/json")
      assert_equal "200", response.code
    end
  ensure
    trickle&.kill&.join
    held&.each(&:close)
  end

  HELD_CONNECTIONS = 150
end
