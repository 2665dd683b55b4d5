# frozen_string_literal: true

module LayerIdentity
  # Argument checks and conversions done in Ruby before anything crosses into C: types, nil,
  # and the conversion of Ruby's values (Integer user IDs, Time, durations, encodings) into
  # what the C ABI takes. Everything about the values themselves (IDs, key formats, U+0000,
  # empty texts, negative times, milliseconds, metadata names, token type names) is the
  # library's to judge. Internal.
  module Arguments
    INT64_RANGE = (-(2**63)..(2**63) - 1)
    UINT32_RANGE = (0..0xFFFF_FFFF)
    PASS_THROUGH_ENCODINGS = [Encoding::UTF_8, Encoding::US_ASCII, Encoding::BINARY].freeze

    module_function

    # A required String, as UTF-8 bytes for C: see #text.
    def string(value, name)
      raise NullArgumentError, "#{name} is required (got nil)" if value.nil?

      text(value, name)
    end

    # nil (absent: NULL), or a String as for #string.
    def optional_string(value, name)
      value.nil? ? nil : text(value, name)
    end

    # A String as UTF-8 bytes for C. Strings in UTF-8, US-ASCII or BINARY (what File.binread
    # gives) pass as they are: bytes that are not UTF-8, or U+0000, are the library's to
    # refuse. Strings in other encodings are transcoded to UTF-8; one that has no UTF-8 form
    # (it is not valid in its own encoding) is an InvalidUtf8Error, never replaced.
    def text(value, name)
      raise TypeError, "#{name} must be a String, not #{value.class}" unless value.is_a?(String)
      return value if PASS_THROUGH_ENCODINGS.include?(value.encoding)

      value.encode(Encoding::UTF_8)
    rescue EncodingError => e
      raise InvalidUtf8Error, "#{name} has no UTF-8 form: it is not valid #{value.encoding} (#{e.class})"
    end

    # A user ID: a String, or an Integer (a database ID), which is its decimal text. Never a
    # boolean (neither true nor false is an Integer in Ruby).
    def user_id(value)
      return value.to_s if value.is_a?(Integer)

      unless value.nil? || value.is_a?(String)
        raise TypeError,
              "user_id must be a String or an Integer, not #{value.class}"
      end

      string(value, "user_id")
    end

    # Unix seconds (int64_t) for a time argument: nil => 0 (the library's "now"), an Integer
    # as given, a Time (or a DateTime, or an ActiveSupport::TimeWithZone) floored to its
    # second. What the seconds mean (0 is now, negative is refused) is the library's rule.
    def unix_seconds(value, name)
      seconds =
        case value
        when nil then 0
        when Integer then value
        when Time then value.to_i
        else
          raise TypeError, "#{name} must be a Time or Integer Unix seconds, not #{value.class}" unless
            defined?(DateTime) && value.is_a?(DateTime)

          value.to_time.to_i
        end
      int64(seconds, name)
    end

    # Whole seconds (int64_t) for a duration: an Integer (an ActiveSupport::Duration counts
    # as one), or `default` for nil. Negative and too large are the library's to refuse.
    def seconds(value, name, default)
      return default if value.nil?
      raise TypeError, "#{name} must be an Integer number of seconds, not #{value.class}" unless value.is_a?(Integer)

      int64(value.to_i, name)
    end

    # An Integer that fits C's int64_t. A larger one cannot be passed at all, so it is refused
    # here, as the library would refuse it (it is past any time the library accepts).
    def int64(value, name)
      return value if INT64_RANGE.cover?(value)

      raise InvalidArgumentError, "#{name} is out of range (#{value} does not fit in 64 bits)"
    end

    # An unsigned 32-bit Integer (the key size to generate), `default` for nil.
    def uint32(value, name, default)
      return default if value.nil?
      raise TypeError, "#{name} must be an Integer, not #{value.class}" unless value.is_a?(Integer)
      return value if UINT32_RANGE.cover?(value)

      raise InvalidArgumentError, "#{name} must be between 0 and #{UINT32_RANGE.end} (got #{value})"
    end

    def boolean(value, name)
      return value if [true, false].include?(value)

      raise TypeError, "#{name} must be true or false, not #{value.class}"
    end

    # The flag for allow_1024_bit_key: true or false.
    def legacy_key_flag(value)
      boolean(value, "allow_1024_bit_key") ? Native::FLAG_ALLOW_1024_BIT_KEY : 0
    end

    # The flags for token_type: a Symbol or String the library reads (JWS or JWT, any letter
    # case: layer_token_type_flags).
    def token_type_flags(value)
      unless value.is_a?(Symbol) || value.is_a?(String)
        raise TypeError, "token_type must be :jws or :jwt (a Symbol or a String), not #{value.class}"
      end

      name = text(value.to_s, "token_type")
      out = Native::Out.new(2)
      out.check(Native::LAYER_TOKEN_TYPE_FLAGS.call(name, name.bytesize, out[0], out[1]), 1)
      out.int(0)
    end

    # [names, values] of the metadata Hash (nil or empty: none). Names are Strings or
    # Symbols; values Strings.
    def metadata(value)
      return [[], []] if value.nil?
      raise TypeError, "metadata must be a Hash of String names and values, not #{value.class}" unless value.is_a?(Hash)

      names = []
      values = []
      value.each do |name, entry|
        name = name.name if name.is_a?(Symbol)
        raise TypeError, "metadata names must be Strings or Symbols, not #{name.class}" unless name.is_a?(String)

        names << text(name, "metadata name #{name.inspect}")
        values << text(entry, "metadata[#{name.inspect}]")
      end
      [names, values]
    end
  end
  private_constant :Arguments
end
