# frozen_string_literal: true

# Tokens per second over HTTP keep-alive, at 1 and at 8 connections, with the median and 99th
# percentile latency (wrk, from Debian's packages), beside `openssl speed -multi 2 rsa2048`
# measured in the same run: for the sample backend (the endpoint on WEBrick, what
# scripts/run-backend ruby starts: one worker process per core, and one process alone) and
# for the same Rack app on Puma (one process, and two workers). Each server signs with a
# 2048-bit key and the demo authenticator; every answer must be a 200.
#
#   ruby bench/http_bench.rb [--seconds S] [--rounds N]     (`rake bench`; defaults 5 s x 1)
#
# Targets (issue 16): at 8 connections >= 0.6 of openssl speed -multi 2; at 1 connection a
# median <= 1 ms. On a machine shared with other work the figures are a rough reading only.

require "json"
require "optparse"
require "rbconfig"
require "socket"
require "tempfile"
require "tmpdir"

ROOT = File.expand_path("../../..", __dir__)
LIB = File.expand_path("../lib", __dir__)
KEY_FILE = File.join(ROOT, "vectors/keys/rsa2048.pkcs8.pem")
ENVIRONMENT = {
  "LAYER_PROVIDER_ID" => "layer:///providers/5d3c4e1a-7b2f-4c8d-9e6a-0f1b2c3d4e5f",
  "LAYER_KEY_ID" => "layer:///keys/a1b2c3d4-e5f6-4789-8abc-def012345678",
  "LAYER_PRIVATE_KEY_PATH" => KEY_FILE, "LAYER_PRIVATE_KEY" => nil,
  "LAYER_IDENTITY_LIB" => ENV.fetch("LAYER_IDENTITY_LIB", File.join(ROOT, "target/release/liblayer_identity.so")),
  "RUBYLIB" => LIB, "HOST" => "127.0.0.1"
}.freeze
WRK_SCRIPT = <<~LUA
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = '{"nonce":"c2VjcmV0LW5vbmNlLWZyb20tbGF5ZXItc2RrLTAwMDE","user_id":"alice@example.com"}'
LUA
PUMA_APP = <<~RUBY
  require "layer_identity"
  signer = LayerIdentity::Signer.from_env
  run LayerIdentity::Rack::IdentityTokenEndpoint.new(signer) { |_env, fields| fields.demo_user_id }
RUBY

# One server under test, started and stopped by its command.
Server = Struct.new(:name, :command, :dir) do
  def start
    @port = free_port
    @log = Tempfile.new("bench-server")
    @pid = Process.spawn(ENVIRONMENT.merge("PORT" => @port.to_s), *command.call(@port),
                         chdir: dir, out: @log.path, err: @log.path)
    wait_until_listening
    @port
  end

  def stop
    Process.kill("TERM", @pid)
    Process.wait(@pid)
  end

  def free_port
    TCPServer.open("127.0.0.1", 0) { |server| server.addr[1] }
  end

  def wait_until_listening
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 60
    until Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
      return if listening?

      sleep 0.2
    end
    raise "#{name} did not start:\n#{File.read(@log.path)}"
  end

  def listening?
    TCPSocket.new("127.0.0.1", @port).close
    true
  rescue SystemCallError
    false
  end
end

module HttpBench
  module_function

  def servers(dir)
    File.write(File.join(dir, "config.ru"), PUMA_APP)
    puma = ->(*options) { ->(port) { ["puma", "-q", *options, "-b", "tcp://127.0.0.1:#{port}", "config.ru"] } }
    backend = [RbConfig.ruby, File.expand_path("../examples/backend.rb", __dir__)]
    [Server.new("WEBrick, 1 process", ->(_) { ["env", "WEB_CONCURRENCY=1", *backend] }, dir),
     Server.new("WEBrick, 2 workers (backend)", ->(_) { ["env", "WEB_CONCURRENCY=2", *backend] }, dir),
     Server.new("Puma, 1 process x 8 threads", puma.call("-t", "8:8"), dir),
     Server.new("Puma, 2 workers x 4 threads", puma.call("-w", "2", "-t", "4:4"), dir)]
  end

  # {requests/s, p50 ms, p99 ms} from wrk at `connections` connections.
  def wrk(port, connections, seconds, script)
    threads = [connections, 2].min
    output = IO.popen(["wrk", "-t#{threads}", "-c#{connections}", "-d#{seconds}s", "--latency", "-s", script,
                       "http://127.0.0.1:#{port}/identity-token"], err: %i[child out], &:read)
    raise "wrk failed:\n#{output}" unless Process.last_status.success?
    raise "answers other than 200:\n#{output}" if output.include?("Non-2xx")

    { rate: Float(output[%r{^Requests/sec:\s+([\d.]+)}, 1]), p50: latency(output, "50%"), p99: latency(output, "99%") }
  end

  # A wrk latency percentile in milliseconds.
  def latency(output, percentile)
    value, unit = output.match(/^\s+#{Regexp.escape(percentile)}\s+([\d.]+)(us|ms|s)$/)&.captures
    raise "wrk printed no #{percentile} latency:\n#{output}" unless value

    Float(value) * { "us" => 0.001, "ms" => 1.0, "s" => 1000.0 }.fetch(unit)
  end

  def openssl_multi(seconds)
    output = IO.popen(["openssl", "speed", "-elapsed", "-multi", "2", "-seconds", seconds.to_s, "rsa2048"],
                      err: File::NULL, &:read)
    line = output.lines.grep(/^rsa 2048 bits/).first or raise "openssl speed printed no rsa 2048 line"
    Float(line.split[-2])
  end

  def run(seconds, rounds)
    load = File.read("/proc/loadavg").split.first(3).join(" ")
    puts "ruby #{RUBY_VERSION}, #{`openssl version`.strip}, #{Etc.nprocessors} cores, load average #{load}"
    Dir.mktmpdir("layer-identity-http-bench") do |dir|
      script = File.join(dir, "post.lua")
      File.write(script, WRK_SCRIPT)
      rounds.times do |round|
        openssl = openssl_multi(seconds)
        puts format("round %<round>d: openssl speed -multi 2: %<rate>.0f signs/s", round: round + 1, rate: openssl)
        servers(dir).each do |server|
          port = server.start
          begin
            wrk(port, 8, 1, script) # warm up
            one = wrk(port, 1, seconds, script)
            eight = wrk(port, 8, seconds, script)
          ensure
            server.stop
          end
          puts format("  %-28<name>s 1 conn: %<r1>6.0f tokens/s, p50 %<p50>.2f ms, p99 %<p99>.2f ms | 8 conns: " \
                      "%<r8>6.0f tokens/s (%<ratio>.2f of openssl -multi 2), p50 %<q50>.2f ms, p99 %<q99>.2f ms",
                      name: server.name, r1: one[:rate], p50: one[:p50], p99: one[:p99], r8: eight[:rate],
                      ratio: eight[:rate] / openssl, q50: eight[:p50], q99: eight[:p99])
        end
      end
    end
    puts "targets: 8 conns >= 0.60 of openssl speed -multi 2; 1 conn p50 <= 1 ms"
  end
end

if $PROGRAM_NAME == __FILE__
  require "etc"
  options = { seconds: 5, rounds: 1 }
  OptionParser.new do |parser|
    parser.on("--seconds S", Integer) { |s| options[:seconds] = s }
    parser.on("--rounds N", Integer) { |n| options[:rounds] = n }
  end.parse!
  HttpBench.run(options[:seconds], options[:rounds])
end
