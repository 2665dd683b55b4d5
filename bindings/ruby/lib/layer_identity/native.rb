# frozen_string_literal: true

require "fiddle"

module LayerIdentity
  # Raised by `require "layer_identity"` when no native library loads, or when the one that
  # loads is older than this gem. It is a ::LoadError, like every failed require.
  class NativeLibraryError < ::LoadError; end

  # The C ABI of include/layer_identity.h, bound with Fiddle. Internal: use the Ruby API.
  #
  # Library lookup, in order (the first that loads is used, and must have a recent enough ABI):
  # 1. LAYER_IDENTITY_LIB, an explicit path. When it is set it is the only place tried: a
  #    library you name and cannot get is an error, not a reason to load another one.
  # 2. The copy inside the gem (lib/layer_identity/native/liblayer_identity.so).
  # 3. The system: the libdir pkg-config gives for layer_identity, then the dynamic loader's
  #    own search (LD_LIBRARY_PATH, ld.so.cache) for the soname.
  #
  # GVL: Fiddle (>= 1.0.4) releases the GVL around a call unless the function is created with
  # `need_gvl: true`. The calls that do RSA work (creating signers and verifiers, signing,
  # verifying, generating keys) release it, so threads sign in parallel; the cheap getters
  # keep it, since releasing and re-taking it would cost more than they do. The one exception
  # is layer_signer_from_env, which keeps the GVL so that no Ruby thread can change ENV while
  # the library reads it.
  module Native
    # LAYER_ABI_VERSION of the header this gem binds: the library must report at least this.
    ABI_VERSION = 3
    BUNDLED_PATH = File.expand_path("native/liblayer_identity.so", __dir__)
    SONAME = "liblayer_identity.so.0"

    ADDR = Fiddle::TYPE_UINTPTR_T # a pointer given as an Integer address
    PTR = Fiddle::TYPE_VOIDP # a pointer given as a String (its bytes) or nil (NULL)
    INT = Fiddle::TYPE_INT # LayerStatus, LayerEit and the other C enums: int
    U16 = -Fiddle::TYPE_SHORT
    U32 = -Fiddle::TYPE_INT32_T
    I64 = Fiddle::TYPE_INT64_T
    SIZE = Fiddle::TYPE_SIZE_T
    BOOL = Fiddle::TYPE_CHAR # C bool: one byte, 0 or 1
    VOID = Fiddle::TYPE_VOID
    SLOT = Fiddle::SIZEOF_VOIDP
    private_constant :ADDR, :PTR, :INT, :U16, :U32, :I64, :SIZE, :BOOL, :VOID

    class << self
      # Where the library was loaded from (a path, or the soname the loader resolved).
      attr_reader :library_path

      # [Fiddle::Handle, description] of the first library that loads; raises
      # NativeLibraryError naming every place tried and why each failed.
      def open_library
        explicit = ENV.fetch("LAYER_IDENTITY_LIB", nil)
        if explicit && !explicit.empty?
          begin
            return [Fiddle.dlopen(explicit), explicit]
          rescue Fiddle::DLError => e
            raise NativeLibraryError,
                  "layer_identity: cannot load the native library named by LAYER_IDENTITY_LIB " \
                  "(#{explicit}): #{e.message}. Unset LAYER_IDENTITY_LIB to use the copy " \
                  "inside the gem or the system's."
          end
        end
        tried = []
        each_candidate(tried) do |path, place|
          return [Fiddle.dlopen(path), path]
        rescue Fiddle::DLError => e
          tried << "#{place} (#{path}): #{e.message}"
        end
        raise NativeLibraryError,
              "layer_identity: cannot load the native library liblayer_identity. Tried:\n" \
              "#{tried.map { |line| "  - #{line}\n" }.join}" \
              "Install the platform gem (layer_identity-*-x86_64-linux.gem), install the C " \
              "library (make install), or set LAYER_IDENTITY_LIB to the library's path."
      end

      # Returns `library`'s function `name` as a Fiddle::Function, or raises
      # NativeLibraryError when the library lacks it.
      def function(library, name, arguments, result, blocking:)
        Fiddle::Function.new(library[name], arguments, result, name: name, need_gvl: !blocking)
      rescue Fiddle::DLError
        raise NativeLibraryError,
              "layer_identity: #{library_path} has no function #{name}: it is not the " \
              "library this gem (#{VERSION}) binds"
      end

      private

      # Yields (path, place) of each candidate after LAYER_IDENTITY_LIB, in order; a place
      # that gives no path to try (pkg-config without the package) is noted in `tried`.
      def each_candidate(tried)
        yield BUNDLED_PATH, "the copy inside the gem"
        libdir = pkg_config_libdir(tried)
        yield File.join(libdir, SONAME), "pkg-config's libdir for layer_identity" if libdir
        yield SONAME, "the dynamic loader's search path"
      end

      def pkg_config_libdir(tried)
        libdir = IO.popen(%w[pkg-config --variable=libdir layer_identity], err: File::NULL, &:read).strip
        return libdir if Process.last_status.success? && !libdir.empty?

        tried << "pkg-config: no layer_identity package (PKG_CONFIG_PATH=#{ENV.fetch("PKG_CONFIG_PATH", "")})"
        nil
      rescue SystemCallError
        tried << "pkg-config: not installed"
        nil
      end
    end

    LIBRARY, @library_path = open_library

    begin
      abi_function = LIBRARY["layer_abi_version"]
    rescue Fiddle::DLError
      raise NativeLibraryError,
            "layer_identity: #{@library_path} is too old: it has no layer_abi_version (ABI 1); " \
            "this gem needs ABI #{ABI_VERSION} or later"
    end
    LIBRARY_ABI_VERSION = Fiddle::Function.new(abi_function, [], U32, need_gvl: true).call
    if LIBRARY_ABI_VERSION < ABI_VERSION
      raise NativeLibraryError,
            "layer_identity: #{@library_path} has ABI version #{LIBRARY_ABI_VERSION}; this gem " \
            "needs #{ABI_VERSION} or later: install a newer library or point " \
            "LAYER_IDENTITY_LIB at one"
    end

    # name => [argument types, result type, releases the GVL]. Texts and bytes cross as
    # pointer and length (the ABI 3 `_n` functions): a String passed for a VOIDP parameter is
    # given to C as a pointer to its own bytes (Fiddle holds and pins the String during the
    # call), so nothing is copied and no terminator is needed. Out-parameters are Integer
    # addresses (ADDR) into an Out buffer.
    SIGNATURES = {
      "layer_version" => [[], ADDR, false],
      "layer_status_name" => [[INT], ADDR, false],
      "layer_eit_name" => [[INT], ADDR, false],
      "layer_string_free" => [[ADDR], VOID, false],
      "layer_sign_token_n" => [[PTR, SIZE, PTR, SIZE, PTR, SIZE, PTR, SIZE, PTR, SIZE, I64, I64, ADDR, ADDR], INT,
                               true],
      "layer_key_cache_clear" => [[], VOID, false],
      "layer_signer_new_n" => [[PTR, SIZE, PTR, SIZE, PTR, SIZE, PTR, SIZE, U32, ADDR, ADDR], INT, true],
      "layer_signer_from_env" => [[U32, ADDR, ADDR], INT, false],
      "layer_signer_sign_n" => [
        [ADDR, PTR, SIZE, PTR, SIZE, I64, I64, PTR, PTR, PTR, PTR, PTR, PTR, SIZE, ADDR, ADDR], INT, true
      ],
      "layer_signer_public_key_pem" => [[ADDR, ADDR, ADDR], INT, false],
      "layer_signer_free" => [[ADDR], VOID, false],
      "layer_token_type_flags" => [[PTR, SIZE, ADDR, ADDR], INT, false],
      "layer_verifier_new_n" => [[PTR, SIZE, PTR, SIZE, PTR, SIZE, U32, ADDR, ADDR], INT, true],
      "layer_verifier_verify_into" => [[ADDR, PTR, SIZE, PTR, SIZE, I64, I64, ADDR, SIZE, ADDR, ADDR], INT, true],
      "layer_verifier_free" => [[ADDR], VOID, false],
      "layer_generate_key_pair" => [[U32, ADDR, ADDR, ADDR], INT, true],
      "layer_token_inspect_n" => [[PTR, SIZE, ADDR, ADDR, ADDR], INT, false],
      "layer_exchange_new" => [[PTR, SIZE, PTR, SIZE, PTR, SIZE, PTR, SIZE, ADDR, ADDR], INT, false],
      "layer_exchange_step" => [[ADDR], INT, false],
      "layer_exchange_put_body" => [[ADDR, PTR, SIZE, ADDR], INT, true],
      "layer_exchange_fields" => [[ADDR, ADDR, ADDR, SIZE], VOID, false],
      "layer_exchange_demo_user_id" => [[ADDR, ADDR, ADDR, ADDR], INT, false],
      "layer_exchange_finish" => [[ADDR, ADDR, INT, PTR, SIZE, ADDR], INT, true],
      "layer_exchange_fail" => [[ADDR, PTR, SIZE, ADDR], INT, false],
      "layer_exchange_status" => [[ADDR], U16, false],
      "layer_exchange_headers" => [[ADDR, ADDR, ADDR, ADDR, ADDR, SIZE], SIZE, false],
      "layer_exchange_body" => [[ADDR, ADDR], ADDR, false],
      "layer_exchange_closes_connection" => [[ADDR], BOOL, false],
      "layer_exchange_log_message" => [[ADDR, ADDR], ADDR, false],
      "layer_exchange_free" => [[ADDR], VOID, false]
    }.freeze

    # Each function as a constant of its own name: layer_signer_new_n is LAYER_SIGNER_NEW_N.
    SIGNATURES.each do |name, (arguments, result, blocking)|
      const_set(name.upcase, function(LIBRARY, name, arguments, result, blocking: blocking))
    end

    # The library's header constants this gem relies on (checked against the header by the
    # tests).
    DEFAULT_LEEWAY_SECONDS = 60
    CLAIM_TEXT_COUNT = 9
    VERIFY_INTO_HEADER_BYTES = 52
    VERIFY_INTO_BUFFER_BYTES = 40_960
    CLAIM_ABSENT = 0xFFFF_FFFF
    FIELD_COUNT = 6
    ATTRIBUTE_COUNT = 4
    ENDPOINT_MAX_BODY_BYTES = 65_536
    EXCHANGE_MAX_HEADERS = 4
    FLAG_ALLOW_1024_BIT_KEY = 2

    # Memory for out-parameters: a binary String the library writes into (its bytes are the C
    # array). #[] is the address of slot `index` (pointer-sized slots), #value what the
    # library wrote there.
    class Out
      def initialize(slots)
        @memory = ZERO_SLOT * slots
        @pointer = Fiddle::Pointer[@memory] # holds (and pins) @memory while this Out lives
        @address = @pointer.to_i
      end

      # The address of slot 0.
      attr_reader :address

      # The address of slot `index`.
      def [](index)
        @address + (SLOT * index)
      end

      # The pointer, size_t or int64_t the library wrote to slot `index`.
      def value(index)
        @memory.unpack1("J", offset: SLOT * index)
      end

      # Every slot as an Integer, by a pack template ("J23": 23 addresses or sizes; "q" for
      # an int64_t).
      def values(template)
        @memory.unpack(template)
      end

      # The C int (a LayerEit) the library wrote to slot `index`.
      def int(index)
        @memory.unpack1("i", offset: SLOT * index)
      end

      # Raises the Error for a failed call: the message from slot `error_index` (freed here)
      # and the LayerEit from `eit_index`, if the call has one.
      def check(status, error_index, eit_index = nil)
        return if status.zero?

        message = Native.take_string(value(error_index)) || "(the library gave no message)"
        rule = eit_index ? int(eit_index) : 0
        raise Error.for_status(status).new(message, status: status, status_name: Native.status_name(status),
                                                    eit_code: Native.eit_name(rule))
      end
    end

    # One zeroed pointer-sized slot (an Out grows from copies of it).
    ZERO_SLOT = ("\0" * SLOT).b.freeze

    class << self
      # A copy of a library string, which is then freed (layer_string_free zeroizes it).
      def take_string(address)
        return nil if address.zero?

        begin
          Fiddle::Pointer.new(address).to_s.force_encoding(Encoding::UTF_8)
        ensure
          LAYER_STRING_FREE.call(address)
        end
      end

      # A static library string (never freed), or nil for NULL.
      def static_string(address)
        address.zero? ? nil : Fiddle::Pointer.new(address).to_s.force_encoding(Encoding::UTF_8).freeze
      end

      # A copy of the `length` bytes at `address` as a frozen String, UTF-8 unless told (a
      # claim may hold U+0000, so never read up to a NUL); nil for NULL.
      def string_at(address, length, encoding = Encoding::UTF_8)
        return nil if address.zero?

        Fiddle::Pointer.new(address).to_s(length).force_encoding(encoding).freeze
      end

      # [pointers, lengths, keep]: two C arrays (packed Strings) for an Array of Strings or
      # nils (NULL and 0). The Fiddle::Pointers in `keep` hold (and pin) the Strings: keep it
      # referenced until the call returns.
      def text_arrays(texts)
        keep = texts.map { |text| text && Fiddle::Pointer[text] }
        [keep.map { |pointer| pointer ? pointer.to_i : 0 }.pack("J*"),
         texts.map { |text| text ? text.bytesize : 0 }.pack("J*"), keep]
      end

      # layer_status_name: "LAYER_ERR_EXPIRED".
      def status_name(status)
        static_string(LAYER_STATUS_NAME.call(status))
      end

      # layer_eit_name: "eit_expired", or nil for LAYER_EIT_NONE.
      def eit_name(eit)
        name = static_string(LAYER_EIT_NAME.call(eit))
        name.nil? || name.empty? ? nil : name
      end
    end
  end
  private_constant :Native
end
