# frozen_string_literal: true

require "base64"
require "logger"
require "rack"
require "rack/lint"
require "rack/mock"
require "socket"
require "stringio"
require "uri"
require_relative "test_helper"
require_relative "../examples/mini_rack_server"

# LayerIdentity::Rack::IdentityTokenEndpoint against every case of tests/endpoint/cases.json,
# over real HTTP on loopback (MiniRackServer on an ephemeral port, in this process), with the
# checks of tests/endpoint/README.md; then the shared driver, conformance.py --url, against the
# same servers; then what only a language's own tests can do: a signer that fails (500), an
# authenticate that misbehaves, Rack::Lint.
class EndpointTest < Minitest::Test
  include TestSupport

  CASES = JSON.parse(File.read(File.join(ROOT, "tests/endpoint/cases.json")))
  ATTRIBUTES = %w[first_name last_name display_name avatar_url].freeze
  Endpoint = LayerIdentity::Rack::IdentityTokenEndpoint

  # A server for `app` on an ephemeral port, running in a thread, for the whole class.
  def self.server(app)
    server = MiniRackServer.new(app, port: 0, log: StringIO.new)
    Thread.new { server.run }
    Minitest.after_run { server.stop }
    server
  end

  def self.signer
    @signer ||= LayerIdentity::Signer.new(private_key: TestSupport.private_key, provider_id: PROVIDER_ID,
                                          key_id: KEY_ID)
  end

  def self.servers
    @servers ||= {
      "demo" => server(Endpoint.new(signer) { |_env, fields| fields.string("user_id") }),
      "reject" => server(Endpoint.new(signer) { |_env, _fields| nil })
    }
  end

  # One response, read off the socket: [status, [[name, value], ...], body].
  Response = Struct.new(:status, :headers, :body) do
    def values(name)
      headers.select { |key, _| key.casecmp?(name) }.map(&:last)
    end
  end

  def request_bytes(c)
    request = c["request"]
    body = body_bytes(request["body"])
    headers = request["headers"].map(&:dup)
    headers << ["Content-Length", body.bytesize.to_s] if body && headers.none? { |n, _| n.casecmp?("Content-Length") }
    head = "#{request["method"]} #{request["path"]} HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
           headers.map { |name, value| "#{name}: #{value}\r\n" }.join + "Connection: close\r\n\r\n"
    [head.b + (body || "".b), body]
  end

  def body_bytes(body)
    return nil if body.nil?

    kind, value = body.first
    case kind
    when "text" then value.b
    when "json" then JSON.generate(value).b
    when "form" then URI.encode_www_form(value).b
    when "base64" then Base64.strict_decode64(value)
    when "repeat" then (value.fetch("prefix", "") + (value["text"] * value["count"]) + value.fetch("suffix", "")).b
    else flunk "unknown body kind #{kind}"
    end
  end

  # Sends `bytes` on a new connection and reads the response to `method`.
  def exchange(port, bytes, method)
    socket = TCPSocket.new("127.0.0.1", port)
    begin
      socket.write(bytes)
    rescue Errno::EPIPE, Errno::ECONNRESET
      nil # the server may answer (413, 415) before it reads the whole body
    end
    read_response(socket, method)
  ensure
    socket&.close
  end

  def read_response(socket, method)
    head = +"".b
    head << socket.readpartial(65_536) until head.include?("\r\n\r\n")
    head, rest = head.split("\r\n\r\n", 2)
    status_line, *lines = head.split("\r\n")
    headers = lines.map { |line| line.split(": ", 2) }
    response = Response.new(Integer(status_line.split(" ")[1]), headers, rest)
    return response if method == "HEAD"

    length = Integer(response.values("content-length").fetch(0))
    response.body << socket.readpartial(65_536) while response.body.bytesize < length
    response
  end

  def test_every_case_of_the_contract_over_http
    counts = Hash.new(0)
    CASES["cases"].each do |c|
      bytes, body = request_bytes(c)
      response = exchange(self.class.servers.fetch(c["authenticator"]).port, bytes, c["request"]["method"])
      check(c, response, body)
      counts[c["authenticator"]] += 1
    end
    assert_equal CASES["cases"].size, counts.values.sum
    report("tests/endpoint/cases.json: #{counts.values.sum} cases over HTTP " \
           "(#{counts["demo"]} demo, #{counts["reject"]} reject)")
  end

  def check(c, response, body)
    name = c["name"]
    expected = c["expected"]
    assert_equal expected["status"], response.status, "#{name}: #{response.body}"
    assert_includes response.values("cache-control").join(",").split(",").map(&:strip), "no-store", name
    if expected["allow"]
      assert_equal expected["allow"].split(",").map(&:strip).sort,
                   response.values("allow").fetch(0).split(",").map(&:strip).sort, name
    end
    if c["request"]["method"] == "HEAD"
      assert_empty response.body, "#{name}: a body after HEAD"
      return
    end
    assert_equal ["application/json"], response.values("content-type"), name
    document = JSON.parse(response.body)
    assert_kind_of Hash, document, name
    if expected["error_code"]
      check_error(c, document, body)
    elsif expected["token"]
      assert_equal ["identity_token"], document.keys, name
      check_token(name, document["identity_token"], expected["token"])
    elsif expected["json"]
      assert_equal expected["json"], document, name
    end
  end

  def check_error(c, document, body)
    name = c["name"]
    expected = c["expected"]
    assert_equal ["error"], document.keys, name
    error = document["error"]
    assert_equal %w[code message], error.keys, name
    assert_equal expected["error_code"], error["code"], "#{name}: #{error["message"]}"
    message = error["message"]
    refute_empty message, name
    assert_equal expected["message"], message, name if expected["message"]
    assert_includes message, expected["message_contains"], name if expected["message_contains"]
    input = [c["request"]["path"], body&.dup&.force_encoding(Encoding::UTF_8)&.scrub].compact
    (0..(message.size - 65)).each do |start|
      window = message[start, 65]
      refute(input.any? { |text| text.include?(window) }, "#{name}: the message echoes the request")
    end
    refute_includes message, "PRIVATE KEY", name
  end

  def check_token(name, token, expected)
    header, = LayerIdentity.decode_unverified(token).then { |t| [JSON.parse(t.header_json), t.claims_json] }
    assert_equal({ "typ" => "JWS", "alg" => "RS256", "cty" => "layer-eit;v=1", "kid" => KEY_ID }, header, name)
    payload, = jwt_decode(token, public_key)
    attributes = ATTRIBUTES.select { |attribute| expected.key?(attribute) }
    assert_equal %w[iss prn iat exp nce] + attributes, payload.keys, name
    assert_equal [PROVIDER_ID, expected["prn"], expected["nce"]], payload.values_at("iss", "prn", "nce"), name
    attributes.each { |attribute| assert_equal expected[attribute], payload[attribute], "#{name}: #{attribute}" }
    assert_equal 600, payload["exp"] - payload["iat"], name
    assert_in_delta Time.now.to_i, payload["iat"], 5, name
    assert_equal expected["prn"], verifier.verify(token, nonce: expected["nce"]).user_id, name
  end

  # The shared driver against the same in-process servers: the checks of the suite itself.
  def test_the_conformance_driver_against_the_handler
    public_pem = File.join(VECTORS, "keys/rsa2048.public.pem")
    driver = File.join(ROOT, "tests/endpoint/conformance.py")
    { "demo" => "129 cases passed", "reject" => "3 cases passed" }.each do |authenticator, summary|
      output, status = Open3.capture2e("/usr/bin/python3", driver, "--url",
                                       "http://127.0.0.1:#{self.class.servers.fetch(authenticator).port}",
                                       "--public-key", public_pem, "--provider-id", PROVIDER_ID,
                                       "--key-id", KEY_ID, "--authenticator", authenticator)
      assert status.success?, output
      assert_includes output, summary
    end
  end

  # Rack::Lint (from Debian's ruby-rack) checks the Rack protocol on every answer.
  def test_the_endpoint_is_a_valid_rack_app
    app = Rack::Lint.new(Endpoint.new(self.class.signer) { |_env, fields| fields.string("user_id") })
    mock = Rack::MockRequest.new(app)
    json = { "CONTENT_TYPE" => "application/json" }
    response = mock.post("/identity-token", json.merge(input: '{"nonce":"n","user_id":"u"}'))
    assert_equal 200, response.status
    assert_equal "u", verifier.verify(JSON.parse(response.body)["identity_token"]).user_id
    assert_equal 400, mock.post("/identity-token", json.merge(input: "{")).status
    assert_equal 415, mock.post("/identity-token", input: "nonce=n").status
    assert_equal 405, mock.get("/identity-token").status
    assert_equal 200, mock.get("/healthz").status
    assert_equal 200, mock.request("HEAD", "/healthz").status
    assert_equal 404, mock.get("/nope").status
    assert_equal 413, mock.post("/identity-token", json.merge(input: "a" * 70_000)).status
  end

  def test_mounted_under_a_prefix_routes_by_path_info
    app = Endpoint.new(self.class.signer) { |_env, fields| fields.string("user_id") }
    env = Rack::MockRequest.env_for("/layer/healthz", "SCRIPT_NAME" => "/layer", "PATH_INFO" => "/healthz")
    assert_equal 200, app.call(env).first
  end

  def call(app, body, content_type: "application/json")
    env = Rack::MockRequest.env_for("/identity-token", method: "POST", input: body, "CONTENT_TYPE" => content_type)
    status, headers, chunks = app.call(env)
    [status, headers, JSON.parse(chunks.join)]
  end

  # A signer whose #sign raises the given error.
  class FailingSigner
    def initialize(error)
      @error = error
    end

    def sign(**)
      raise @error
    end
  end

  def test_a_signing_failure_is_a_500_with_the_details_only_in_the_log
    log = StringIO.new
    failing = FailingSigner.new(LayerIdentity::CryptoError.new("OpenSSL said: secret detail"))
    app = Endpoint.new(failing, logger: Logger.new(log)) { |_env, _fields| "alice" }
    status, headers, body = call(app, '{"nonce":"n"}')
    assert_equal 500, status
    assert_equal "no-store", headers["cache-control"]
    assert_equal({ "error" => { "code" => "server_error", "message" => "could not create the identity token" } }, body)
    assert_includes log.string, "secret detail"
    closed = LayerIdentity::Signer.new(private_key: private_key, provider_id: PROVIDER_ID, key_id: KEY_ID)
    closed.close
    status, = call(Endpoint.new(closed, logger: Logger.new(log)) { |_env, _fields| "alice" }, '{"nonce":"n"}')
    assert_equal 500, status
    assert_includes log.string, "ClosedError"
  end

  def test_what_the_authenticate_block_returns
    log = StringIO.new
    answers = [
      [-> { "alice" }, 200, "alice"], [-> { 42 }, 200, "42"], [-> {}, 401, "unauthenticated"],
      [-> { false }, 401, "unauthenticated"], [-> { raise "no session" }, 401, "unauthenticated"],
      [-> { "" }, 500, "server_error"], [-> { { id: 1 } }, 500, "server_error"],
      [-> { raise Endpoint::FieldError.new("invalid_field", "user_id must be a non-empty string") }, 400,
       "invalid_field"]
    ]
    answers.each do |authenticate, status, outcome|
      app = Endpoint.new(self.class.signer, logger: Logger.new(log)) { |_env, _fields| authenticate.call }
      got, _, body = call(app, '{"nonce":"n"}')
      assert_equal status, got, body.inspect
      if status == 200
        assert_equal outcome, verifier.verify(body["identity_token"]).user_id
      else
        assert_equal outcome, body.dig("error", "code")
      end
      assert_equal "authentication required", body.dig("error", "message") if status == 401
    end
    assert_includes log.string, "no session"
  end

  def test_the_block_gets_the_rack_env_and_the_fields
    seen = nil
    app = Endpoint.new(self.class.signer) do |env, fields|
      seen = [env["HTTP_COOKIE"], fields["nonce"], fields["extra"], fields.key?("extra"), fields["count"]]
      "alice"
    end
    env = Rack::MockRequest.env_for("/identity-token", method: "POST", input: '{"nonce":"n","extra":"x","count":3}',
                                                       "CONTENT_TYPE" => "application/json", "HTTP_COOKIE" => "s=1")
    assert_equal 200, app.call(env).first
    assert_equal ["s=1", "n", "x", true, nil], seen
  end

  def test_the_endpoint_needs_a_block_and_a_signer
    assert_raises(ArgumentError) { Endpoint.new(self.class.signer) }
    assert_raises(TypeError) { Endpoint.new("signer") { "alice" } }
  end
end
