# frozen_string_literal: true

require "socket"

# A small threaded HTTP/1.1 server for one Rack app, on the standard library alone: what the
# sample backend and the tests serve the endpoint with. In production, mount the endpoint in
# your own app server (Puma, Unicorn, Falcon, ...) instead.
#
# What it does, and why (tests/endpoint/README.md):
# - one thread per connection, so a client that stalls halfway through its body holds up
#   nobody else; a listen backlog of 128;
# - the request target is passed as received (PATH_INFO is not percent-decoded or
#   normalized), the query string goes to QUERY_STRING;
# - rack.input reads the body lazily from the socket (Content-Length or chunked), so an app
#   can refuse a body before it arrives; when the app leaves part of a body unread, the
#   response says Connection: close, is sent whole, and then the server stops writing and
#   drains what the client still sends for a moment before closing (closing a socket with
#   unread data would reset the connection and could destroy the response in flight);
# - #shutdown stops accepting at once, lets requests in flight finish (up to a grace
#   period), and closes idle keep-alive connections without waiting for them.
class MiniRackServer
  READ_TIMEOUT = 30 # seconds without progress before a request is given up
  IDLE_TIMEOUT = 15 # seconds a keep-alive connection may stay idle
  MAX_HEADER_BYTES = 16_384
  MAX_CONNECTIONS = 256
  REASONS = {
    100 => "Continue", 200 => "OK", 204 => "No Content", 304 => "Not Modified", 400 => "Bad Request",
    401 => "Unauthorized", 403 => "Forbidden", 404 => "Not Found", 405 => "Method Not Allowed",
    408 => "Request Timeout", 411 => "Length Required", 413 => "Content Too Large",
    415 => "Unsupported Media Type", 431 => "Request Header Fields Too Large",
    500 => "Internal Server Error", 501 => "Not Implemented", 503 => "Service Unavailable"
  }.freeze

  # The request could not be read as HTTP/1.1: answered with `status` and closed.
  class BadRequest < StandardError
    attr_reader :status

    def initialize(status, message)
      super(message)
      @status = status
    end
  end

  # The client went away or stopped sending.
  class Gone < StandardError; end

  attr_reader :host, :port

  def initialize(app, host: "127.0.0.1", port: 8080, log: $stderr)
    @app = app
    @host = host
    @log = log
    @listener = TCPServer.new(host, port)
    @listener.listen(128)
    @port = @listener.addr[1]
    @lock = Mutex.new
    @changed = ConditionVariable.new
    @connections = {} # socket => :idle or :busy
    @stopping = false
    @wake_reader, @wake_writer = IO.pipe
  end

  # Accepts connections until #stop (safe from a signal handler) or #shutdown.
  def run
    loop do
      readable, = IO.select([@listener, @wake_reader])
      break if @stopping || readable.include?(@wake_reader)

      begin
        socket = @listener.accept_nonblock
      rescue IO::WaitReadable, Errno::EINTR, Errno::ECONNABORTED
        next
      end
      start_connection(socket)
    end
  ensure
    shutdown
  end

  # Asks #run to return; callable from a trap handler (it only writes to a pipe).
  def stop
    @wake_writer.write_nonblock(".")
  rescue IO::WaitWritable, IOError
    nil
  end

  # Stops accepting at once and waits up to `grace` seconds for the requests in flight to
  # finish. Idle keep-alive connections notice within 0.2 s and close; whatever is left
  # after the grace period is closed.
  def shutdown(grace: 4.5)
    deadline = monotonic + grace
    @lock.synchronize do
      return if @stopping == :done

      @stopping = true
      @listener.close unless @listener.closed?
      @changed.wait(@lock, deadline - monotonic) while @connections.any? && monotonic < deadline
      @connections.each_key { |socket| close_quietly(socket) }
      @stopping = :done
    end
  end

  private

  def start_connection(socket)
    accepted = @lock.synchronize do
      next false if @connections.size >= MAX_CONNECTIONS

      @connections[socket] = :idle
      true
    end
    unless accepted
      socket.write("HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
      close_quietly(socket)
      return
    end
    Thread.new(socket) { |client| serve(client) }
  end

  def serve(socket)
    buffer = +"".b
    loop do
      break unless wait_for_request(socket, buffer)

      busy(socket)
      break unless handle(socket, buffer)
      break unless idle(socket)
    end
  rescue Gone, IOError, SystemCallError
    nil
  rescue StandardError => e
    @log.puts("server: #{e.class}: #{e.message}")
  ensure
    close_quietly(socket)
    @lock.synchronize do
      @connections.delete(socket)
      @changed.broadcast
    end
  end

  # Waits until a request starts arriving; false when the connection should end instead
  # (closed by the client, idle too long, or the server is stopping).
  def wait_for_request(socket, buffer)
    return true unless buffer.empty?

    deadline = monotonic + IDLE_TIMEOUT
    loop do
      return false if @stopping || monotonic > deadline
      next unless socket.wait_readable(0.2)

      chunk = socket.read_nonblock(16_384, exception: false)
      return false if chunk.nil?
      next if chunk == :wait_readable

      buffer << chunk
      return true
    end
  end

  def busy(socket)
    @lock.synchronize { @connections[socket] = :busy }
  end

  # Marks the connection idle; false when the server is stopping (then it closes).
  def idle(socket)
    @lock.synchronize do
      @connections[socket] = :idle
      @changed.broadcast
      !@stopping
    end
  end

  # Reads and answers one request; true to keep the connection open for another.
  def handle(socket, buffer)
    request_line, headers = read_head(socket, buffer)
    env = rack_env(socket, request_line, headers, buffer)
    input = env["rack.input"]
    status, response_headers, body = @app.call(env)
    keep_alive = keep_alive?(request_line, headers) && input.finished? && !@stopping
    write_response(socket, env["REQUEST_METHOD"], status, response_headers, body, keep_alive)
    access_log(env, status)
    return true if keep_alive

    linger(socket) unless input.finished?
    false
  rescue BadRequest => e
    write_response(socket, "GET", e.status, { "content-type" => "text/plain" }, ["#{e.message}\n"], false)
    linger(socket)
    false
  end

  def read_head(socket, buffer)
    loop do
      if (finish = buffer.index("\r\n\r\n"))
        head = buffer.slice!(0, finish + 4)
        lines = head.split("\r\n")
        return [parse_request_line(lines.shift), parse_headers(lines)]
      end
      raise BadRequest.new(431, "request header too large") if buffer.bytesize > MAX_HEADER_BYTES

      buffer << read_some(socket)
    end
  end

  def parse_request_line(line)
    method, target, version = line.to_s.split(" ", 3)
    unless method&.match?(/\A[!#$%&'*+\-.^_`|~0-9A-Za-z]+\z/) && target && !target.empty? &&
           version&.match?(%r{\AHTTP/1\.[01]\z})
      raise BadRequest.new(400, "malformed request line")
    end

    [method, target, version]
  end

  def parse_headers(lines)
    headers = {}
    lines.each do |line|
      name, value = line.split(":", 2)
      unless value && name.match?(/\A[!#$%&'*+\-.^_`|~0-9A-Za-z]+\z/)
        raise BadRequest.new(400, "malformed header line")
      end

      name = name.downcase
      value = value.strip
      if headers.key?(name)
        raise BadRequest.new(400, "Content-Length given twice") if name == "content-length"

        headers[name] = "#{headers[name]}, #{value}"
      else
        headers[name] = value
      end
    end
    headers
  end

  def rack_env(socket, request_line, headers, buffer)
    method, target, version = request_line
    target = target.sub(%r{\Ahttps?://[^/]*}i, "") # absolute-form
    path, query = target.split("?", 2)
    server_name, server_port = (headers["host"] || "#{@host}:#{@port}").split(":", 2)
    env = {
      "REQUEST_METHOD" => method, "SCRIPT_NAME" => "", "PATH_INFO" => path.to_s,
      "QUERY_STRING" => query.to_s, "SERVER_NAME" => server_name.to_s,
      "SERVER_PORT" => (server_port || @port).to_s, "SERVER_PROTOCOL" => version,
      "REMOTE_ADDR" => socket.remote_address.ip_address,
      "rack.version" => [1, 3], "rack.url_scheme" => "http", "rack.errors" => @log,
      "rack.multithread" => true, "rack.multiprocess" => false, "rack.run_once" => false,
      "rack.hijack?" => false, "rack.input" => body_reader(socket, headers, buffer)
    }
    headers.each do |name, value|
      key = name.upcase.tr("-", "_")
      case key
      when "CONTENT_TYPE", "CONTENT_LENGTH" then env[key] = value
      else env["HTTP_#{key}"] = value
      end
    end
    env
  end

  # rack.input for the request; `buffer` holds what was read past the head (the start of the
  # body, or even the next request), which the reader consumes first.
  def body_reader(socket, headers, buffer)
    expect_continue = headers["expect"]&.casecmp?("100-continue")
    if (encoding = headers["transfer-encoding"])
      raise BadRequest.new(400, "Transfer-Encoding and Content-Length both given") if headers.key?("content-length")
      raise BadRequest.new(501, "only the chunked transfer coding is supported") unless encoding.casecmp?("chunked")

      return BodyReader.new(self, socket, buffer, nil, chunked: true, expect_continue: expect_continue)
    end
    length = headers.fetch("content-length", "0")
    raise BadRequest.new(400, "malformed Content-Length") unless length.match?(/\A\d{1,18}\z/)

    BodyReader.new(self, socket, buffer, length.to_i, chunked: false, expect_continue: expect_continue)
  end

  def keep_alive?(request_line, headers)
    connection = headers["connection"].to_s.downcase.split(",").map(&:strip)
    return false if connection.include?("close")

    request_line[2] == "HTTP/1.1" || connection.include?("keep-alive")
  end

  def write_response(socket, method, status, headers, body, keep_alive)
    lines = ["HTTP/1.1 #{status} #{REASONS.fetch(status.to_i, "Status")}"]
    chunks = []
    body.each { |chunk| chunks << chunk.to_s.b }
    has_length = false
    headers.each do |name, value|
      name = name.to_s
      next if %w[connection transfer-encoding].include?(name.downcase)

      has_length ||= name.casecmp?("content-length")
      Array(value).flat_map { |v| v.to_s.split("\n") }.each do |line|
        raise "header #{name} carries a line break" if line.include?("\r")

        lines << "#{name}: #{line}"
      end
    end
    lines << "content-length: #{chunks.sum(&:bytesize)}" unless has_length || [204, 304].include?(status.to_i)
    lines << "connection: #{keep_alive ? "keep-alive" : "close"}"
    payload = "#{lines.join("\r\n")}\r\n\r\n".b
    payload << chunks.join unless method == "HEAD" || [204, 304].include?(status.to_i)
    socket.write(payload)
  ensure
    body.close if body.respond_to?(:close)
  end

  # Stops writing, then reads and discards what the client still sends (up to 1 MiB or
  # 2 s) so that closing does not reset a connection whose response is still in flight.
  def linger(socket)
    socket.close_write
    deadline = monotonic + 2
    drained = 0
    while drained < 1_048_576 && monotonic < deadline
      break unless socket.wait_readable(deadline - monotonic)

      chunk = socket.read_nonblock(65_536, exception: false)
      break if chunk.nil?

      drained += chunk.bytesize if chunk.is_a?(String)
    end
  rescue IOError, SystemCallError
    nil
  end

  def access_log(env, status)
    @log.puts(%(#{env["REMOTE_ADDR"]} "#{env["REQUEST_METHOD"]} #{env["PATH_INFO"]}" #{status}))
  end

  def close_quietly(socket)
    socket.close unless socket.closed?
  rescue IOError, SystemCallError
    nil
  end

  def monotonic
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end

  public

  # Bytes from the socket: at most `max`, waiting up to READ_TIMEOUT. Raises Gone at EOF
  # or timeout. (Used by BodyReader.)
  def read_some(socket, max = 16_384)
    loop do
      chunk = socket.read_nonblock(max, exception: false)
      raise Gone, "the client closed the connection" if chunk.nil?
      return chunk unless chunk == :wait_readable
      raise Gone, "the client stopped sending" unless socket.wait_readable(READ_TIMEOUT)
    end
  end

  # rack.input: the request body, read from the socket as the app asks for it.
  class BodyReader
    def initialize(server, socket, pending, length, chunked:, expect_continue:)
      @server = server
      @socket = socket
      @pending = pending # read from the socket, not yet consumed: shared with the connection
      @remaining = length # bytes left of a Content-Length body, or of the current chunk
      @chunked = chunked
      @expect_continue = expect_continue && (chunked || length.positive?)
      @done = !chunked && length.zero?
    end

    # Rack: read(length = nil, buffer = nil).
    def read(length = nil, buffer = nil)
      data = +"".b
      while !@done && (length.nil? || data.bytesize < length)
        data << next_bytes(length ? length - data.bytesize : 65_536)
      end
      result = length && data.empty? && length.positive? ? nil : data
      return result unless buffer

      buffer.replace(result || "")
      result && buffer
    end

    def gets
      line = +"".b
      until @done
        byte = next_bytes(1)
        line << byte
        break if byte == "\n"
      end
      line.empty? ? nil : line
    end

    def each
      while (chunk = read(16_384))
        yield chunk
      end
    end

    def rewind
      raise Errno::ESPIPE, "rack.input of MiniRackServer cannot be rewound"
    end

    def close; end

    # True when the whole body has been read (the connection can carry another request).
    def finished?
      @done
    end

    private

    def next_bytes(max)
      send_continue
      @chunked ? next_chunked(max) : next_plain(max)
    end

    def next_plain(max)
      wanted = [max, @remaining].min
      data = take(wanted)
      @remaining -= data.bytesize
      @done = @remaining.zero?
      data
    end

    def next_chunked(max)
      if @remaining.nil? || @remaining.zero?
        read_line if @remaining&.zero? # the CRLF after a chunk's data
        size = read_line.split(";", 2).first.strip
        raise MiniRackServer::BadRequest.new(400, "malformed chunk size") unless size.match?(/\A\h{1,15}\z/)

        @remaining = size.hex
        if @remaining.zero?
          nil until read_line.empty? # trailers
          @done = true
          return +"".b
        end
      end
      data = take([max, @remaining].min)
      @remaining -= data.bytesize
      data
    end

    def read_line
      until (finish = @pending.index("\r\n"))
        raise MiniRackServer::BadRequest.new(400, "chunk line too long") if @pending.bytesize > 4096

        @pending << @server.read_some(@socket)
      end
      line = @pending.slice!(0, finish + 2)
      line.chomp("\r\n")
    end

    # Up to `count` bytes (at least one), from what is pending or else from the socket.
    def take(count)
      @pending << @server.read_some(@socket, [count, 65_536].min) if @pending.empty?
      @pending.slice!(0, count)
    end

    def send_continue
      return unless @expect_continue

      @expect_continue = false
      @socket.write("HTTP/1.1 100 Continue\r\n\r\n")
    end
  end
end
