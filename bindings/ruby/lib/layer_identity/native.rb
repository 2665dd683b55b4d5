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
    ABI_VERSION = 2
    BUNDLED_PATH = File.expand_path("native/liblayer_identity.so", __dir__)
    SONAME = "liblayer_identity.so.0"

    ADDR = Fiddle::TYPE_UINTPTR_T
    INT = Fiddle::TYPE_INT # LayerStatus and LayerEit are C enums: int
    U32 = -Fiddle::TYPE_INT32_T
    I64 = Fiddle::TYPE_INT64_T
    SIZE = Fiddle::TYPE_SIZE_T
    VOID = Fiddle::TYPE_VOID
    SLOT = Fiddle::SIZEOF_VOIDP
    private_constant :ADDR, :INT, :U32, :I64, :SIZE, :VOID

    class << self
      # Where the library was loaded from (a path, or the soname the loader resolved).
      attr_reader :library_path

      # [Fiddle::Handle, description] of the first library that loads; raises
      # NativeLibraryError naming every place tried and why each failed.
      def open_library
        explicit = ENV["LAYER_IDENTITY_LIB"]
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
              "layer_identity: cannot load the native library liblayer_identity. Tried:\n" +
              tried.map { |line| "  - #{line}\n" }.join +
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

    # name => [argument types, result type, releases the GVL]. Pointers cross as Integer
    # addresses (ADDR): Fiddle converts an Integer for a pointer parameter, or a pointer
    # result, into a Fiddle::Pointer object on every call, which costs more than some of
    # these functions do.
    SIGNATURES = {
      "layer_version" => [[], ADDR, false],
      "layer_status_name" => [[INT], ADDR, false],
      "layer_eit_name" => [[INT], ADDR, false],
      "layer_string_free" => [[ADDR], VOID, false],
      "layer_sign_token" => [[ADDR, ADDR, ADDR, ADDR, ADDR, I64, U32, ADDR, ADDR], INT, true],
      "layer_key_cache_clear" => [[], VOID, false],
      "layer_signer_new" => [[ADDR, ADDR, ADDR, ADDR, U32, ADDR, ADDR], INT, true],
      "layer_signer_from_env" => [[U32, ADDR, ADDR], INT, false],
      "layer_signer_sign_with" => [
        [ADDR, ADDR, ADDR, I64, U32, ADDR, ADDR, ADDR, ADDR, ADDR, ADDR, SIZE, ADDR, ADDR], INT, true
      ],
      "layer_signer_public_key_pem" => [[ADDR, ADDR, ADDR], INT, false],
      "layer_signer_free" => [[ADDR], VOID, false],
      "layer_verifier_new" => [[ADDR, ADDR, ADDR, U32, ADDR, ADDR], INT, true],
      "layer_verifier_verify_claims" => [[ADDR, ADDR, ADDR, I64, U32, ADDR, ADDR, ADDR], INT, true],
      "layer_verifier_free" => [[ADDR], VOID, false],
      "layer_claims_provider_id" => [[ADDR, ADDR], ADDR, false],
      "layer_claims_user_id" => [[ADDR, ADDR], ADDR, false],
      "layer_claims_nonce" => [[ADDR, ADDR], ADDR, false],
      "layer_claims_issued_at" => [[ADDR], I64, false],
      "layer_claims_expires_at" => [[ADDR], I64, false],
      "layer_claims_first_name" => [[ADDR, ADDR], ADDR, false],
      "layer_claims_last_name" => [[ADDR, ADDR], ADDR, false],
      "layer_claims_display_name" => [[ADDR, ADDR], ADDR, false],
      "layer_claims_avatar_url" => [[ADDR, ADDR], ADDR, false],
      "layer_claims_metadata_count" => [[ADDR], SIZE, false],
      "layer_claims_metadata_name" => [[ADDR, SIZE, ADDR], ADDR, false],
      "layer_claims_metadata_value" => [[ADDR, SIZE, ADDR], ADDR, false],
      "layer_claims_free" => [[ADDR], VOID, false],
      "layer_generate_key_pair" => [[U32, ADDR, ADDR, ADDR], INT, true],
      "layer_token_inspect" => [[ADDR, ADDR, ADDR, ADDR], INT, false]
    }.freeze

    # Each function as a constant of its own name: layer_signer_new is LAYER_SIGNER_NEW.
    SIGNATURES.each do |name, (arguments, result, blocking)|
      const_set(name.upcase, function(LIBRARY, name, arguments, result, blocking: blocking))
    end

    # Zero bytes to clear memory with (Fiddle::Pointer#[]= copies from a String).
    ZEROS = ("\0" * 4096).b.freeze
    private_constant :ZEROS

    # Zeroed memory for pointer-sized out-parameters: #[] is the address of one to pass, #value
    # what the library wrote there.
    class Out
      def initialize(count)
        @memory = Fiddle::Pointer.malloc(SLOT * count, Fiddle::RUBY_FREE)
        @memory[0, SLOT * count] = ZEROS
        @address = @memory.to_i
      end

      # The address of out-parameter `index`.
      def [](index)
        @address + (SLOT * index)
      end

      # The pointer or size_t the library wrote to out-parameter `index`.
      def value(index)
        @memory[SLOT * index, SLOT].unpack1("J")
      end

      # The LayerEit (a C int) the library wrote to out-parameter `index`.
      def eit(index)
        @memory[SLOT * index, Fiddle::SIZEOF_INT].unpack1("i")
      end

      # Raises the Error for a failed call: the message from out-parameter `error_index`
      # (freed here) and the LayerEit from `eit_index`, if the call has one.
      def check(status, error_index, eit_index = nil)
        return if status.zero?

        message = Native.take_string(value(error_index)) || "(the library gave no message)"
        rule = eit_index ? eit(eit_index) : 0
        raise Error.for_status(status).new(message, status: status, status_name: Native.status_name(status),
                                                    eit_code: Native.eit_name(rule))
      end
    end

    class << self
      # Runs the block with the address of a NUL-terminated C copy of each string (0, NULL,
      # for nil), then overwrites the copies with zeros (keys and passphrases pass through
      # here) and frees them. The copies share one allocation. The strings must already be
      # checked: no U+0000, UTF-8 bytes.
      def with_c_strings(*strings)
        size = strings.sum { |string| string ? string.bytesize + 1 : 0 }
        memory = Fiddle::Pointer.malloc(size.positive? ? size : 1, Fiddle::RUBY_FREE)
        base = memory.to_i
        offset = 0
        addresses = strings.map do |string|
          next 0 unless string

          length = string.bytesize
          memory[offset, length] = string if length.positive?
          memory[offset + length] = 0
          address = base + offset
          offset += length + 1
          address
        end
        yield(*addresses)
      ensure
        if memory
          wipe(memory)
          memory.call_free
        end
      end

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

      # The string at `address` of `length` bytes (a claim may hold U+0000), frozen; nil for
      # NULL.
      def string_at(address, length)
        return nil if address.zero?

        Fiddle::Pointer.new(address).to_s(length).force_encoding(Encoding::UTF_8).freeze
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

      private

      def wipe(memory)
        offset = 0
        while offset < memory.size
          length = [memory.size - offset, ZEROS.bytesize].min
          memory[offset, length] = ZEROS
          offset += length
        end
      end
    end
  end
  private_constant :Native
end
