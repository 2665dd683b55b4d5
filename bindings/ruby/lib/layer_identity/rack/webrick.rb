# frozen_string_literal: true

require "socket"
require "stringio"
require "webrick"
require "layer_identity"

module LayerIdentity
  module Rack
    # Serves a Rack app on WEBrick (Ruby's own HTTP/1.1 server: Debian's ruby-webrick):
    # keep-alive, pipelining, chunked request bodies, a thread per connection, and a graceful
    # #shutdown (safe from a signal handler) that finishes the requests in flight and closes
    # idle connections.
    #
    # It differs from rack's Rack::Handler::WEBrick where the identity-token endpoint's
    # contract needs it to: the request body is read when the app reads rack.input, not
    # before the app is called (so a request that declares a body too large is answered 413
    # at once, without waiting for bytes the client may never send); PATH_INFO is the request
    # target as received, not unescaped or normalized (`//identity-token` stays an unknown
    # path); Content-Length and Content-Type reach the app exactly as sent; a connection whose
    # request body was not read to its end is closed after the answer, never read as the next
    # request; and replies go out without Nagle's delay (TCP_NODELAY).
    #
    # With `workers:` above 1 it forks that many processes that serve the same listening
    # socket (Ruby code runs one thread at a time per process, so this is how a server uses
    # more than one core, as Puma's workers do); #shutdown in the parent, or a signal handler
    # that calls it, stops them all.
    #
    #   server = LayerIdentity::Rack::WEBrickServer.new(app, host: "127.0.0.1", port: 8080)
    #   trap("TERM") { server.shutdown }
    #   server.start # returns once shut down
    #
    # Each worker serves up to MAX_CLIENTS connections at once (WEBrick's default, 100, let
    # 100 idle or slow clients lock every other one out, waiting unanswered in the listen
    # backlog), and raises its soft limit of open files to fit them when the hard limit allows.
    class WEBrickServer
      # Connections one worker serves at once, each on a thread of its own.
      MAX_CLIENTS = 1024

      # host, port:: where to listen (port 0: any free port, see #port).
      # logger:: WEBrick's own messages (errors); nil for warnings and errors on $stderr.
      # workers:: processes serving requests (forked by #start); 1 serves in this process.
      def initialize(app, host: "127.0.0.1", port: 8080, logger: nil, workers: 1)
        raise ArgumentError, "workers must be a positive Integer" unless workers.is_a?(Integer) && workers.positive?

        @workers = workers
        @server = ::WEBrick::HTTPServer.new(
          BindAddress: host, Port: port, Logger: logger || ::WEBrick::Log.new($stderr, ::WEBrick::BasicLog::WARN),
          AccessLog: [], DoNotReverseLookup: true, MaxClients: MAX_CLIENTS,
          AcceptCallback: ->(socket) { socket.setsockopt(Socket::IPPROTO_TCP, Socket::TCP_NODELAY, 1) }
        )
        @in_flight = InFlight.new
        @server.mount("/", Servlet, app, @in_flight)
        raise_open_files_limit
      end

      # The port the server listens on.
      def port
        @server.listeners.first.addr[1]
      end

      # Serves until #shutdown, then waits for the requests in flight (in every worker).
      def start
        return serve if @workers == 1

        @children = Array.new(@workers) do
          fork do
            @children = nil
            serve
            exit!(0) # the parent's code after #start is the parent's to run, once
          end
        end
        @server.listeners.each(&:close) # the workers have theirs
        @children.each { |pid| Process.wait(pid) }
      end

      # Stops accepting connections; #start returns once the requests in flight are answered.
      # Takes no lock: safe from a signal handler.
      def shutdown
        return @server.shutdown unless @children

        @children.each do |pid|
          Process.kill("TERM", pid)
        rescue Errno::ESRCH
          nil # it has stopped already
        end
      end

      private

      # Room for MAX_CLIENTS sockets besides the process's other files (a common soft limit is
      # 1024), within the hard limit.
      def raise_open_files_limit
        soft, hard = Process.getrlimit(:NOFILE)
        wanted = MAX_CLIENTS + 256
        wanted = [wanted, hard].min unless hard == Process::RLIM_INFINITY
        Process.setrlimit(:NOFILE, wanted, hard) if soft != Process::RLIM_INFINITY && soft < wanted
      end

      def serve
        @server.start
        @in_flight.wait
      end

      # The threads answering a request. WEBrick joins its threads when it shuts down, but
      # only those whose current fiber carries its thread-local mark, and reading a body
      # (WEBrick's body_reader) runs in a fiber of its own: a request waiting for its body at
      # shutdown would be cut off. So the server waits for these itself.
      class InFlight
        def initialize
          @threads = {}
          @lock = Mutex.new
        end

        def run
          @lock.synchronize { @threads[Thread.current] = true }
          yield
        ensure
          @lock.synchronize { @threads.delete(Thread.current) }
        end

        def wait
          while (thread = @lock.synchronize { @threads.keys.first })
            thread.join
            @lock.synchronize { @threads.delete(thread) }
          end
        end
      end

      # The request body as rack.input, read from the connection when the app reads it.
      class Input
        def initialize(request)
          @request = request
          @buffer = StringIO.new(+"".b)
          # RFC 9112 section 6.3: without Content-Length or Transfer-Encoding there is no body.
          @eof = request["content-length"].nil? && request["transfer-encoding"].nil?
        end

        # Whether the body has been read to its end.
        def eof?
          @eof
        end

        def read(length = nil, outbuf = nil)
          fill(length && (length - (@buffer.size - @buffer.pos)))
          @buffer.read(length, outbuf)
        end

        def gets
          fill(nil) until @eof || @buffer.string.index("\n", @buffer.pos)
          @buffer.gets
        end

        def each
          while (line = gets)
            yield line
          end
        end

        def rewind
          @buffer.rewind
        end

        def close; end

        private

        # Reads until `more` more bytes are buffered past the position (nil: to the end).
        def fill(more)
          until @eof || (more && more <= 0)
            chunk = next_chunk
            if chunk
              @buffer.string << chunk
              more -= chunk.bytesize if more
            else
              @eof = true
            end
          end
        end

        def next_chunk
          @reader ||= @request.body_reader
          @reader.readpartial(65_536)
        rescue EOFError
          nil
        end
      end

      # The Rack handler: one WEBrick request in, the app's answer out.
      class Servlet < ::WEBrick::HTTPServlet::AbstractServlet
        def initialize(server, app, in_flight)
          super(server)
          @app = app
          @in_flight = in_flight
        end

        def service(request, response)
          @in_flight.run { answer(request, response) }
        end

        private

        def answer(request, response)
          input = Input.new(request)
          status, headers, body = @app.call(env(request, input))
          response.status = status.to_i
          write_headers(response, headers)
          response.body = +"".b
          body.each { |part| response.body << part }
          response.keep_alive = false unless input.eof? # the rest of the body is not a request
        ensure
          body.close if body.respond_to?(:close)
        end

        def env(request, input)
          path, query = target(request)
          env = request.meta_vars
          env.delete_if { |_, value| value.nil? }
          env.delete("CONTENT_LENGTH")
          length = request["content-length"]
          env["CONTENT_LENGTH"] = length if length
          env.update("PATH_INFO" => path, "QUERY_STRING" => query, "SCRIPT_NAME" => "",
                     "rack.version" => [1, 3], "rack.input" => input, "rack.errors" => $stderr,
                     "rack.multithread" => true, "rack.multiprocess" => false, "rack.run_once" => false,
                     "rack.url_scheme" => "http", "rack.hijack?" => false)
        end

        # [path, query] of the request target as received (the request line's: WEBrick
        # collapses leading slashes in the target it keeps): origin form split at the first
        # "?", or the path and query of the absolute form.
        def target(request)
          raw = request.request_line.split(" ", 3)[1].to_s
          return raw.split("?", 2).then { |path, query| [path, query.to_s] } if raw.start_with?("/")

          [request.request_uri&.path.to_s, request.request_uri&.query.to_s]
        end

        def write_headers(response, headers)
          headers.each do |name, value|
            case name.downcase
            when "set-cookie" then response.cookies.concat(value.split("\n"))
            # WEBrick writes Connection itself, from keep_alive.
            when "connection" then response.keep_alive = false if value.casecmp?("close")
            else response[name] = value.split("\n").join(", ")
            end
          end
        end
      end
    end
  end
end
