# frozen_string_literal: true

require "strscan"

module LayerIdentity
  module Rack
    # Reads a request body into its top-level members, by the endpoint contract's rules.
    # Internal: see IdentityTokenEndpoint.
    #
    # JSON is read by a strict RFC 8259 reader of its own rather than JSON.parse, because the
    # contract needs what JSON.parse does not give: duplicate member names (after unescaping)
    # reported, no comments, NaN or trailing data, a depth limit of 64 wherever it occurs,
    # numbers never converted (1e400 is fine), and a lone surrogate escape kept visible (as
    # a String that is not valid UTF-8) rather than refused or replaced. Only the top-level
    # members are kept: strings as Strings, null as nil, anything else as NON_STRING.
    module BodyParser
      # The value of a member that is a number, boolean, array or object.
      NON_STRING = Object.new.tap do |marker|
        def marker.inspect
          "NON_STRING"
        end
      end.freeze

      # The body is not what its Content-Type says: 400 invalid_json with this message.
      class Malformed < StandardError; end

      MAX_DEPTH = 64
      BOM = "\xEF\xBB\xBF".b.freeze

      module_function

      # [{name => value}, [names given more than once]] of a JSON body (a binary String).
      def json(body)
        raise Malformed, "the body starts with a byte order mark" if body.start_with?(BOM)

        text = body.dup.force_encoding(Encoding::UTF_8)
        raise Malformed, "the body is not valid UTF-8" unless text.valid_encoding?

        JsonReader.new(text).document
      end

      # [{name => value}, [names given more than once]] of an
      # application/x-www-form-urlencoded body: split on "&", skip empty pieces, split at the
      # first "=", "+" is a space, then percent-decoding; every name and value must be UTF-8.
      def form(body)
        members = {}
        duplicates = []
        body.b.split("&").each do |piece|
          next if piece.empty?

          name, value = piece.split("=", 2)
          name = form_decode(name)
          value = form_decode(value || "")
          duplicates << name if members.key?(name) && !duplicates.include?(name)
          members[name] = value
        end
        [members, duplicates]
      end

      PERCENT_ESCAPES = /\A(?:[^%]|%\h\h)*\z/n.freeze
      private_constant :PERCENT_ESCAPES

      def form_decode(text)
        raise Malformed, "the body is not valid form data (a % without two hex digits)" unless
          PERCENT_ESCAPES.match?(text)

        decoded = text.tr("+", " ").gsub(/%(\h\h)/n) { Regexp.last_match(1).hex.chr }
        decoded.force_encoding(Encoding::UTF_8)
        raise Malformed, "the body is not valid UTF-8 form data" unless decoded.valid_encoding?

        decoded.freeze
      end

      # A strict JSON reader over a valid UTF-8 String.
      class JsonReader
        WHITESPACE = /[ \t\n\r]*/.freeze
        PLAIN = /[^"\\\x00-\x1f]+/.freeze
        ESCAPE = /\\(?:(["\\\/bfnrt])|u(\h{4}))/.freeze
        NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.freeze
        LITERALS = { "true" => NON_STRING, "false" => NON_STRING, "null" => nil }.freeze
        LITERAL = /true|false|null/.freeze
        SHORT_ESCAPES = { '"' => '"', "\\" => "\\", "/" => "/", "b" => "\b", "f" => "\f",
                          "n" => "\n", "r" => "\r", "t" => "\t" }.freeze

        def initialize(text)
          @scanner = StringScanner.new(text)
        end

        def document
          skip_whitespace
          raise Malformed, "the body must be a JSON object" unless @scanner.peek(1) == "{"

          members, duplicates = object(1, top: true)
          skip_whitespace
          fail_here unless @scanner.eos?
          [members, duplicates]
        end

        private

        def value(depth)
          case @scanner.peek(1)
          when "{" then object(depth + 1)
          when "[" then array(depth + 1)
          when '"' then string
          else scalar
          end
        end

        def scalar
          if @scanner.scan(NUMBER)
            NON_STRING
          elsif (literal = @scanner.scan(LITERAL))
            LITERALS.fetch(literal)
          else
            fail_here
          end
        end

        def object(depth, top: false)
          check_depth(depth)
          @scanner.getch # {
          members = {}
          duplicates = []
          skip_whitespace
          return [members, duplicates] if @scanner.skip(/\}/)

          loop do
            fail_here unless @scanner.peek(1) == '"'
            name = string
            skip_whitespace
            fail_here unless @scanner.skip(/:/)
            skip_whitespace
            member = value(depth)
            if top
              duplicates << name if members.key?(name) && !duplicates.include?(name)
              members[name] = member
            end
            skip_whitespace
            next if @scanner.skip(/,/) && skip_whitespace
            break if @scanner.skip(/\}/)

            fail_here
          end
          top ? [members, duplicates] : NON_STRING
        end

        def array(depth)
          check_depth(depth)
          @scanner.getch # [
          skip_whitespace
          return NON_STRING if @scanner.skip(/\]/)

          loop do
            value(depth)
            skip_whitespace
            next if @scanner.skip(/,/) && skip_whitespace
            break if @scanner.skip(/\]/)

            fail_here
          end
          NON_STRING
        end

        # A string's value. A \u escape of a lone surrogate becomes its three CESU-8 bytes,
        # so the String is not valid UTF-8 and the field rules can say "valid Unicode".
        def string
          @scanner.getch # "
          text = +""
          loop do
            if (plain = @scanner.scan(PLAIN))
              text << plain
            elsif @scanner.skip(/"/)
              return text.freeze
            elsif @scanner.scan(ESCAPE)
              text << (@scanner[1] ? SHORT_ESCAPES.fetch(@scanner[1]) : unicode_escape(@scanner[2].hex))
            else
              fail_here
            end
          end
        end

        def unicode_escape(code)
          if code.between?(0xD800, 0xDBFF) && @scanner.check(/\\u[dD][c-fC-F]\h\h/)
            low = @scanner.scan(/\\u(\h{4})/) && @scanner[1].hex
            return (0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)).chr(Encoding::UTF_8)
          end
          return [code].pack("U") unless code.between?(0xD800, 0xDFFF)

          [0xE0 | (code >> 12), 0x80 | ((code >> 6) & 0x3F), 0x80 | (code & 0x3F)]
            .pack("C*").force_encoding(Encoding::UTF_8)
        end

        def check_depth(depth)
          raise Malformed, "the body is nested more than #{MAX_DEPTH} levels deep" if depth > MAX_DEPTH
        end

        def skip_whitespace
          @scanner.skip(WHITESPACE)
          true
        end

        def fail_here
          raise Malformed, "the body is not valid JSON (it ends too soon)" if @scanner.eos?

          raise Malformed, "the body is not valid JSON"
        end
      end
      private_constant :JsonReader
    end
  end
end
