# frozen_string_literal: true

module LayerIdentity
  # Argument checks and conversions done in Ruby before anything crosses into C: types,
  # nil, U+0000, the range of the C integer types. Everything about the values themselves
  # (IDs, key formats, milliseconds, metadata names) is the library's to judge. Internal.
  module Arguments
    UINT32_MAX = 0xFFFF_FFFF
    INT64_RANGE = (-(2**63)..(2**63) - 1).freeze
    PASS_THROUGH_ENCODINGS = [Encoding::UTF_8, Encoding::US_ASCII, Encoding::BINARY].freeze
    FLAG_TYP_JWT = 1
    FLAG_ALLOW_1024_BIT_KEY = 2
    TOKEN_TYPES = { "JWS" => 0, "JWT" => FLAG_TYP_JWT }.freeze

    module_function

    # A required String, as UTF-8 bytes for C. Strings in UTF-8, US-ASCII or BINARY (what
    # File.binread gives) pass as they are, and invalid UTF-8 is the library's to report;
    # other encodings are transcoded to UTF-8.
    def string(value, name)
      raise ArgumentError, "#{name} is required (got nil)" if value.nil?
      raise TypeError, "#{name} must be a String, not #{value.class}" unless value.is_a?(String)

      utf8(value, name)
    end

    # nil, or a String as for #string.
    def optional_string(value, name)
      value.nil? ? nil : string(value, name)
    end

    # A user ID: a String, or an Integer (a database ID), which is its decimal text.
    def user_id(value)
      return value.to_s if value.is_a?(Integer)
      raise ArgumentError, "user_id is required (got nil)" if value.nil?
      raise TypeError, "user_id must be a String or an Integer, not #{value.class}" unless value.is_a?(String)

      utf8(value, "user_id")
    end

    # Unix seconds for a time argument: nil => 0 (the library's "now"), an Integer as given,
    # a Time (or a DateTime, or ActiveSupport::TimeWithZone) floored to its second.
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
      return seconds if INT64_RANGE.cover?(seconds)

      raise ArgumentError, "#{name} is out of range (#{seconds} is not a 64-bit Unix time)"
    end

    # Whole seconds for a duration: an Integer (ActiveSupport::Duration counts as one), or
    # `default` for nil; 0 to 4294967295.
    def seconds(value, name, default)
      return default if value.nil?
      raise TypeError, "#{name} must be an Integer number of seconds, not #{value.class}" unless value.is_a?(Integer)

      seconds = value.to_i
      return seconds if seconds.between?(0, UINT32_MAX)

      raise ArgumentError, "#{name} must be between 0 and #{UINT32_MAX} seconds (got #{seconds})"
    end

    # An unsigned 32-bit Integer, `default` for nil.
    def uint32(value, name, default)
      return default if value.nil?
      raise TypeError, "#{name} must be an Integer, not #{value.class}" unless value.is_a?(Integer)
      return value if value.between?(0, UINT32_MAX)

      raise ArgumentError, "#{name} must be between 0 and #{UINT32_MAX} (got #{value})"
    end

    def boolean(value, name)
      return value if [true, false].include?(value)

      raise TypeError, "#{name} must be true or false, not #{value.class}"
    end

    # The flag for allow_1024_bit_key: true or false.
    def legacy_key_flag(value)
      boolean(value, "allow_1024_bit_key") ? FLAG_ALLOW_1024_BIT_KEY : 0
    end

    # The flag for token_type: :jws / :jwt (or "JWS" / "JWT", any letter case).
    def token_type_flag(value)
      unless value.is_a?(Symbol) || value.is_a?(String)
        raise TypeError, "token_type must be :jws or :jwt, not #{value.class}"
      end

      TOKEN_TYPES.fetch(value.to_s.upcase) do
        raise ArgumentError, "token_type must be :jws or :jwt (got #{value.inspect})"
      end
    end

    # [names, values] of the metadata Hash (nil or empty: none). Names are Strings or
    # Symbols; values Strings.
    def metadata(value)
      return [[], []] if value.nil?
      raise TypeError, "metadata must be a Hash of String names and values, not #{value.class}" unless value.is_a?(Hash)

      names = []
      values = []
      value.each do |name, text|
        name = name.name if name.is_a?(Symbol)
        raise TypeError, "metadata names must be Strings or Symbols, not #{name.class}" unless name.is_a?(String)

        names << utf8(name, "metadata name #{name.inspect}")
        values << string(text, "metadata[#{name.inspect}]")
      end
      [names, values]
    end

    def utf8(value, name)
      unless PASS_THROUGH_ENCODINGS.include?(value.encoding)
        begin
          value = value.encode(Encoding::UTF_8)
        rescue EncodingError => e
          raise ArgumentError, "#{name} cannot be converted from #{value.encoding} to UTF-8 (#{e.class})"
        end
      end
      raise ArgumentError, "#{name} contains U+0000, which cannot be passed to the library" if value.include?("\0")

      value
    end
  end
  private_constant :Arguments
end
