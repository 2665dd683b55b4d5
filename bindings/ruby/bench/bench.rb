# frozen_string_literal: true

# Signing and verifying through the gem beside Debian's ruby-jwt (making and checking the very
# same token: the bench checks that both produce identical bytes), the C ABI
# (target/release/abi_bench) and `openssl speed -elapsed rsa2048`, all measured in the same run on one
# core, round after round, so that drift on a shared machine hits every side alike. Reports
# the median of the per-round ratios. Then two threads sharing one signer against one thread
# (on two cores), and the same with a Fiddle function that keeps the GVL, to show what
# releasing it buys.
#
#   ruby -Ilib bench/bench.rb [--rounds N] [--seconds S] [--json FILE]   (`rake bench`; 3 x 3 s)
#   ruby -Ilib bench/bench.rb --instructions CALLS [--json FILE]
#
# --json FILE also writes every round's rates (bench/run.py, `make bench`, reads it): the C
# ABI's verify is layer_verifier_verify_into, the call the gem makes. --instructions counts the
# instructions per call of the gem's sign and verify under callgrind (valgrind), a figure
# that does not drift with the machine's load: two runs CALLS calls apart, so that start-up
# costs cancel out.
#
# Needs taskset (util-linux), openssl, gcc (to build abi_bench if scripts/bench.sh has not).
# bench/http_bench.rb measures the endpoint over HTTP; `rake bench` runs both.

require "json"
require "openssl"
require "optparse"
require "rbconfig"

ROOT = File.expand_path("../../..", __dir__)
ENV["LAYER_IDENTITY_LIB"] ||= File.join(ROOT, "target/release/liblayer_identity.so")
KEY_FILE = File.join(ROOT, "vectors/keys/rsa2048.pkcs8.pem")
PROVIDER_ID = "layer:///providers/5d3c4e1a-7b2f-4c8d-9e6a-0f1b2c3d4e5f"
KEY_ID = "layer:///keys/a1b2c3d4-e5f6-4789-8abc-def012345678"
USER_ID = "alice@example.com"
NONCE = "c2VjcmV0LW5vbmNlLWZyb20tbGF5ZXItc2RrLTAwMDE"
ISSUED_AT = 1_700_000_000

# One measurement, in a process of its own: `bench.rb --worker NAME SECONDS` prints the rate.
module Worker
  module_function

  def run(name, seconds)
    mode, threads = name.split("=")
    operation = operation(mode)
    rates = threads ? threaded(operation, Integer(threads), seconds) : single(operation, seconds)
    puts rates.map { |rate| format("%.1f", rate) }.join(" ")
  end

  # `calls` calls of one operation, for callgrind (Bench.instructions).
  def loop(mode, calls)
    operation = operation(mode)
    calls.times { operation.call }
  end

  def operation(mode)
    require "layer_identity"
    require "jwt"
    setup(mode, File.read(KEY_FILE))
  end

  # [operations per second, operations per CPU second of this process]
  def single(operation, seconds)
    operation.call # warm up
    count = 0
    started = now
    cpu = cpu_now
    deadline = started + seconds
    while now < deadline
      operation.call
      count += 1
    end
    [count / (now - started), count / (cpu_now - cpu)]
  end

  def cpu_now
    Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID)
  end

  def threaded(operation, threads, seconds)
    operation.call
    started = now
    deadline = started + seconds
    counts = Array.new(threads) do
      Thread.new do
        count = 0
        while now < deadline
          operation.call
          count += 1
        end
        count
      end
    end.map(&:value)
    [counts.sum / (now - started)]
  end

  def now
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end

  # The operation each worker repeats.
  def setup(mode, pem)
    signer = LayerIdentity::Signer.new(private_key: pem, provider_id: PROVIDER_ID, key_id: KEY_ID)
    rsa = OpenSSL::PKey::RSA.new(pem)
    token = signer.sign(user_id: USER_ID, nonce: NONCE, issued_at: ISSUED_AT)
    verifier = LayerIdentity::Verifier.new(public_key: signer.public_key, provider_id: PROVIDER_ID, key_id: KEY_ID)
    public_rsa = OpenSSL::PKey::RSA.new(signer.public_key)
    claims = { "iss" => PROVIDER_ID, "prn" => USER_ID, "iat" => ISSUED_AT, "exp" => ISSUED_AT + 600, "nce" => NONCE }
    header = { "typ" => "JWS", "alg" => "RS256", "cty" => "layer-eit;v=1", "kid" => KEY_ID }
    jwt_token = JWT.encode(claims, rsa, "RS256", header)
    raise "ruby-jwt makes another token:\n#{jwt_token}\n#{token}" unless jwt_token == token

    case mode
    when "gem-sign" then -> { signer.sign(user_id: USER_ID, nonce: NONCE, issued_at: ISSUED_AT) }
    when "gem-sign-gvl" then gvl_held_sign(signer)
    when "gem-oneshot"
      lambda do
        LayerIdentity.sign_token(private_key: pem, provider_id: PROVIDER_ID, key_id: KEY_ID, user_id: USER_ID,
                                 nonce: NONCE, issued_at: ISSUED_AT)
      end
    when "gem-verify" then -> { verifier.verify(token, nonce: NONCE, now: ISSUED_AT + 1) }
    when "jwt-sign" then -> { JWT.encode(claims, rsa, "RS256", header) }
    when "jwt-sign-pem" then -> { JWT.encode(claims, OpenSSL::PKey::RSA.new(pem), "RS256", header) }
    when "jwt-verify"
      lambda do
        JWT.decode(token, public_rsa, true, algorithm: "RS256", verify_expiration: false, verify_iat: false)
      end
    else raise ArgumentError, "unknown worker #{mode}"
    end
  end

  # Signing through a Fiddle function created with need_gvl: true: the GVL stays held during
  # the RSA work, as it would with a binding that does not release it.
  def gvl_held_sign(signer)
    native = LayerIdentity.const_get(:Native)
    arguments, result, = native::SIGNATURES.fetch("layer_signer_sign_n")
    sign_n = Fiddle::Function.new(native::LIBRARY["layer_signer_sign_n"], arguments, result, need_gvl: true)
    lambda do
      signer.send(:with_handle) do |pointer|
        out = native::Out.new(2)
        out.check(sign_n.call(pointer, USER_ID, USER_ID.bytesize, NONCE, NONCE.bytesize, ISSUED_AT, 0,
                              nil, nil, nil, nil, nil, nil, 0, out[0], out[1]), 1)
        native.take_string(out.value(0))
      end
    end
  end
end

# The driver: rounds of every measurement, then the ratios.
module Bench
  module_function

  def run(rounds, seconds, json)
    abi_bench = build_abi_bench
    puts "ruby #{RUBY_VERSION}, #{OpenSSL::OPENSSL_LIBRARY_VERSION}, cpu: #{cpu}, rounds: #{rounds} x #{seconds} s"
    ratios = Hash.new { |hash, key| hash[key] = [] }
    cpu_ratios = Hash.new { |hash, key| hash[key] = [] }
    all_rates = []
    rounds.times do |round|
      rates, cpu = measure_round(abi_bench, seconds)
      all_rates << rates
      puts "round #{round + 1}: " + rates.map { |name, rate| "#{name} #{rate.round}/s" }.join(", ")
      ratio_table(rates).each { |name, value| ratios[name] << value }
      cpu_ratio_table(cpu).each { |name, value| cpu_ratios[name] << value }
    end
    write_json(json, seconds, all_rates) if json
    puts "\nmedian of per-round ratios (wall clock; per CPU second where the machine is shared):"
    TARGETS.each do |name, target|
      cpu_ratio = cpu_ratios.key?(name) ? format("%.3f", median(cpu_ratios[name])) : "-"
      puts format("  %<name>-60s %<wall>6.3f  %<cpu>6s  %<target>s", name: name, wall: median(ratios[name]),
                                                                     cpu: cpu_ratio, target: target)
    end
  end

  # The single-core ratios again, from rates per CPU second of each process: on a machine
  # shared with other work, the time a process waits for a core does not count.
  def cpu_ratio_table(c)
    {
      "gem sign / C ABI handle sign" => c["gem-sign"] / c["C sign"],
      "gem sign_token, PEM each call / C ABI one-shot" => c["gem-oneshot"] / c["C oneshot"],
      "gem verify / C ABI verify_into" => c["gem-verify"] / c["C verify-into"],
      "gem sign / ruby-jwt sign" => c["gem-sign"] / c["jwt-sign"],
      "gem sign_token, PEM each call / ruby-jwt with PEM each call" => c["gem-oneshot"] / c["jwt-sign-pem"],
      "gem verify / ruby-jwt verify" => c["gem-verify"] / c["jwt-verify"]
    }
  end

  # [wall-clock rates, rates per CPU second] of one round.
  def measure_round(abi_bench, seconds)
    rates = {}
    cpu = {}
    rates["openssl sign"], rates["openssl verify"] = openssl_speed(seconds)
    %w[sign oneshot verify-into].each do |mode|
      rates["C #{mode}"], cpu["C #{mode}"] =
        rate(["taskset", "-c", "0", abi_bench, mode, seconds.to_s, KEY_FILE], cpu_seconds: seconds)
    end
    %w[gem-sign gem-oneshot gem-verify jwt-sign jwt-sign-pem jwt-verify].each do |mode|
      rates[mode], cpu[mode] = worker_rates(mode, seconds, "0")
    end
    rates["C sign 2 threads"] = rate(["taskset", "-c", "0-1", abi_bench, "sign-threads=2", seconds.to_s, KEY_FILE])
    rates["gem-sign 1 thread (2 cores)"] = worker("gem-sign=1", seconds, "0-1")
    rates["gem-sign 2 threads"] = worker("gem-sign=2", seconds, "0-1")
    rates["gvl-held 1 thread"] = worker("gem-sign-gvl=1", seconds, "0-1")
    rates["gvl-held 2 threads"] = worker("gem-sign-gvl=2", seconds, "0-1")
    rates["openssl sign multi 2"] = openssl_multi(seconds)
    [rates, cpu]
  end

  TARGETS = {
    "gem sign / C ABI handle sign" => "(target >= 0.90)",
    "gem sign_token, PEM each call / C ABI one-shot" => "(target >= 0.90)",
    "gem verify / C ABI verify_into" => "(target >= 0.85)",
    "gem sign / ruby-jwt sign" => "(target > 1)",
    "gem sign_token, PEM each call / ruby-jwt with PEM each call" => "(target > 1)",
    "gem verify / ruby-jwt verify" => "(target > 1)",
    "gem sign / openssl speed sign" => "",
    "ruby-jwt sign / openssl speed sign" => "(measured before: 0.86)",
    "gem verify / openssl speed verify" => "",
    "ruby-jwt verify / openssl speed verify" => "(measured before: 0.31)",
    "2 threads / 1 thread, one signer" => "(target >= 1.8)",
    "2 threads / 1 thread, GVL held (need_gvl: true)" => "(what a GVL-holding call gives)",
    "reference: C ABI 2 threads / 1 thread" => ""
  }.freeze

  def ratio_table(r)
    {
      "gem sign / C ABI handle sign" => r["gem-sign"] / r["C sign"],
      "gem sign_token, PEM each call / C ABI one-shot" => r["gem-oneshot"] / r["C oneshot"],
      "gem verify / C ABI verify_into" => r["gem-verify"] / r["C verify-into"],
      "gem sign / ruby-jwt sign" => r["gem-sign"] / r["jwt-sign"],
      "gem sign_token, PEM each call / ruby-jwt with PEM each call" => r["gem-oneshot"] / r["jwt-sign-pem"],
      "gem verify / ruby-jwt verify" => r["gem-verify"] / r["jwt-verify"],
      "gem sign / openssl speed sign" => r["gem-sign"] / r["openssl sign"],
      "ruby-jwt sign / openssl speed sign" => r["jwt-sign"] / r["openssl sign"],
      "gem verify / openssl speed verify" => r["gem-verify"] / r["openssl verify"],
      "ruby-jwt verify / openssl speed verify" => r["jwt-verify"] / r["openssl verify"],
      "2 threads / 1 thread, one signer" => r["gem-sign 2 threads"] / r["gem-sign 1 thread (2 cores)"],
      "2 threads / 1 thread, GVL held (need_gvl: true)" => r["gvl-held 2 threads"] / r["gvl-held 1 thread"],
      "reference: C ABI 2 threads / 1 thread" => r["C sign 2 threads"] / r["C sign"]
    }
  end

  # The names bench/run.py reads, for the rates of measure_round.
  JSON_NAMES = {
    "openssl sign" => "openssl sign", "openssl verify" => "openssl verify",
    "openssl sign multi 2" => "openssl sign multi 2", "C sign" => "C sign", "C oneshot" => "C oneshot",
    "C verify-into" => "C verify_into", "C sign 2 threads" => "C sign 2 threads", "gem-sign" => "sign",
    "gem-oneshot" => "oneshot", "gem-verify" => "verify", "gem-sign 1 thread (2 cores)" => "sign 1 thread 2 cores",
    "gem-sign 2 threads" => "sign 2 threads", "jwt-sign" => "peer ruby-jwt sign",
    "jwt-sign-pem" => "peer ruby-jwt sign pem", "jwt-verify" => "peer ruby-jwt verify"
  }.freeze

  def write_json(path, seconds, all_rates)
    rounds = all_rates.map { |rates| JSON_NAMES.to_h { |name, json_name| [json_name, rates.fetch(name)] } }
    File.write(path, JSON.generate({ bench: "ruby", seconds: seconds, rounds: rounds,
                                     environment: { ruby: RUBY_VERSION } }))
  end

  # Instructions per call of the gem's sign and verify (callgrind), and of the C ABI calls the
  # gem makes (abi_bench sign-n and verify-into) beside them.
  def instructions(calls, json)
    abi_bench = build_abi_bench
    lib = File.expand_path("../lib", __dir__)
    gem = ->(mode) { ->(n) { [RbConfig.ruby, "-I", lib, __FILE__, "--loop", mode, n.to_s] } }
    abi = ->(mode) { ->(n) { [abi_bench, "--count", mode, n.to_s, KEY_FILE] } }
    per_call = {
      "sign" => per_call(gem["gem-sign"], calls), "verify" => per_call(gem["gem-verify"], calls),
      "C sign" => per_call(abi["sign-n"], calls), "C verify_into" => per_call(abi["verify-into"], calls)
    }
    per_call.each do |name, value|
      puts format("%<name>-12s %<value>12d instructions per call", name: name, value: value)
    end
    sign = per_call["C sign"].fdiv(per_call["sign"])
    verify = per_call["C verify_into"].fdiv(per_call["verify"])
    puts format("C ABI / gem sign: %<sign>.4f, verify: %<verify>.4f", sign: sign, verify: verify)
    File.write(json, JSON.generate({ bench: "ruby", instructions: per_call })) if json
  end

  # Two runs `calls` calls apart under callgrind: what one call costs, start-up cancelled out.
  def per_call(command, calls)
    (collected(command[calls + 20]) - collected(command[20])) / calls
  end

  def collected(command)
    output = IO.popen(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
                      err: %i[child out], &:read)
    raise "callgrind #{command.join(" ")} failed:\n#{output}" unless Process.last_status.success?

    Integer(output[/Collected : (\d+)/, 1] || raise("no callgrind total in:\n#{output}"))
  end

  def worker(mode, seconds, cpus)
    rate(worker_command(mode, seconds, cpus))
  end

  def worker_command(mode, seconds, cpus)
    ["taskset", "-c", cpus, RbConfig.ruby, "-I", File.expand_path("../lib", __dir__), __FILE__, "--worker", mode,
     seconds.to_s]
  end

  # The wall-clock rate a command prints last; with cpu_seconds (the length of its timed
  # loop), also [wall rate, rate per CPU second], the CPU time being what the command used.
  def rate(command, cpu_seconds: nil)
    before = Process.times
    output = IO.popen(command, err: %i[child out], &:read)
    raise "#{command.join(" ")} failed:\n#{output}" unless Process.last_status.success?

    after = Process.times
    wall = Float(output.split.last)
    return wall unless cpu_seconds

    used = (after.cutime + after.cstime) - (before.cutime + before.cstime)
    [wall, wall * cpu_seconds / used]
  end

  # A worker's [wall rate, CPU rate], printed by the worker itself.
  def worker_rates(mode, seconds, cpus)
    output = IO.popen(worker_command(mode, seconds, cpus), err: %i[child out], &:read)
    raise "worker #{mode} failed:\n#{output}" unless Process.last_status.success?

    output.split.last(2).map { |value| Float(value) }
  end

  def openssl_speed(seconds)
    output = IO.popen(["taskset", "-c", "0", "openssl", "speed", "-elapsed", "-seconds", seconds.to_s, "rsa2048"],
                      err: File::NULL, &:read)
    line = output.lines.grep(/^rsa 2048 bits/).first or raise "openssl speed printed no rsa 2048 line"
    line.split.last(2).map { |value| Float(value) }
  end

  def openssl_multi(seconds)
    output = IO.popen(["taskset", "-c", "0-1", "openssl", "speed", "-elapsed", "-multi", "2", "-seconds", seconds.to_s,
                       "rsa2048"], err: File::NULL, &:read)
    line = output.lines.grep(/^rsa 2048 bits/).first or raise "openssl speed -multi 2 printed no rsa 2048 line"
    Float(line.split[-2])
  end

  def build_abi_bench
    path = File.join(ROOT, "target/release/abi_bench")
    return path if File.executable?(path) && File.mtime(path) >= File.mtime(File.join(ROOT, "benches/c/abi_bench.c"))

    ok = system("gcc", "-O2", "-std=c99", "-I#{ROOT}/include", "#{ROOT}/benches/c/abi_bench.c",
                "-L#{ROOT}/target/release", "-Wl,-rpath,#{ROOT}/target/release", "-llayer_identity", "-lpthread",
                "-o", path)
    raise "cannot build #{path}" unless ok

    path
  end

  def cpu
    File.read("/proc/cpuinfo")[/^model name\s*:\s*(.+)$/, 1]
  end

  def median(values)
    sorted = values.sort
    (sorted[(sorted.size - 1) / 2] + sorted[sorted.size / 2]) / 2.0
  end
end

case ARGV.first
when "--worker" then Worker.run(ARGV[1], Float(ARGV[2]))
when "--loop" then Worker.loop(ARGV[1], Integer(ARGV[2]))
else
  options = { rounds: 3, seconds: 3 }
  OptionParser.new do |parser|
    parser.on("--rounds N", Integer) { |n| options[:rounds] = n }
    parser.on("--seconds S", Integer) { |s| options[:seconds] = s }
    parser.on("--json FILE") { |file| options[:json] = file }
    parser.on("--instructions CALLS", Integer) { |n| options[:instructions] = n }
  end.parse!
  ENV["LD_LIBRARY_PATH"] = [File.join(ROOT, "target/release"), ENV.fetch("LD_LIBRARY_PATH", nil)].compact.join(":")
  if options[:instructions]
    Bench.instructions(options[:instructions], options[:json])
  else
    Bench.run(options[:rounds], options[:seconds], options[:json])
  end
end
