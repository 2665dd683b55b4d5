# frozen_string_literal: true

require "fileutils"
require_relative "test_helper"

# Where the native library comes from: LAYER_IDENTITY_LIB, the copy inside the gem, then the
# system (pkg-config's libdir, the loader's path); the ABI version check. Each case runs
# `require "layer_identity"` in a child process with a copy of lib/ in a temporary directory.
class LoadingTest < Minitest::Test
  LIB = File.expand_path("../lib", __dir__)
  BUILT = File.join(ROOT, "target/release/liblayer_identity.so")
  REPORT = 'require "layer_identity"; puts LayerIdentity.library_path, LayerIdentity.library_version'

  def setup
    @dir = Dir.mktmpdir("layer-identity-loading")
    FileUtils.cp_r(LIB, @dir)
    @empty = File.join(@dir, "empty")
    FileUtils.mkdir_p(@empty)
  end

  def teardown
    FileUtils.rm_rf(@dir)
  end

  # Runs `code` with the copied lib/ and an environment without any way to the library but
  # what `env` adds.
  def load_with(env, code = REPORT)
    clean = { "LAYER_IDENTITY_LIB" => nil, "LD_LIBRARY_PATH" => nil, "PKG_CONFIG_PATH" => @empty,
              "PKG_CONFIG_LIBDIR" => @empty }
    Open3.capture2e(clean.merge(env), RbConfig.ruby, "-I", File.join(@dir, "lib"), "-e", code, chdir: @dir)
  end

  def system_has_library?
    `/sbin/ldconfig -p 2>/dev/null`.include?("liblayer_identity.so.0")
  end

  def test_layer_identity_lib_is_used_when_set
    output, status = load_with("LAYER_IDENTITY_LIB" => BUILT)
    assert status.success?, output
    assert_equal "#{BUILT}\n#{LayerIdentity::VERSION}\n", output
  end

  def test_a_layer_identity_lib_that_does_not_load_is_an_error_naming_it
    missing = File.join(@dir, "nowhere/liblayer_identity.so")
    output, status = load_with("LAYER_IDENTITY_LIB" => missing)
    refute status.success?
    assert_includes output, "LayerIdentity::NativeLibraryError"
    assert_includes output, "LAYER_IDENTITY_LIB"
    assert_includes output, missing
    assert_includes output, "No such file"
  end

  def test_the_copy_inside_the_gem_comes_next
    native = File.join(@dir, "lib/layer_identity/native")
    FileUtils.mkdir_p(native)
    FileUtils.cp(BUILT, native)
    output, status = load_with({})
    assert status.success?, output
    assert_equal File.join(native, "liblayer_identity.so"), output.lines.first.chomp
  end

  def test_then_pkg_config
    assert system("pkg-config --version", out: File::NULL, err: File::NULL),
           "pkg-config is not installed (scripts/install-deps.sh)"
    File.write(File.join(@dir, "layer_identity.pc"), <<~PC)
      libdir=#{File.dirname(BUILT)}
      Name: layer_identity
      Description: test
      Version: #{LayerIdentity::VERSION}
      Libs: -L${libdir} -llayer_identity
    PC
    output, status = load_with("PKG_CONFIG_PATH" => @dir)
    assert status.success?, output
    assert_equal File.join(File.dirname(BUILT), "liblayer_identity.so.0"), output.lines.first.chomp
  end

  def test_then_the_loaders_path
    output, status = load_with("LD_LIBRARY_PATH" => File.dirname(BUILT))
    assert status.success?, output
    assert_equal "liblayer_identity.so.0", output.lines.first.chomp
  end

  def test_when_nothing_loads_the_message_names_every_place_tried
    output, status = load_with({})
    if system_has_library?
      assert status.success?, output # installed system-wide: the loader finds it
      return
    end
    refute status.success?
    assert_includes output, "LayerIdentity::NativeLibraryError"
    bundled = File.join(@dir, "lib/layer_identity/native/liblayer_identity.so")
    assert_includes output, "the copy inside the gem (#{bundled})"
    assert_includes output, "pkg-config: no layer_identity package"
    assert_includes output, "the dynamic loader's search path (liblayer_identity.so.0)"
    assert_includes output, "LAYER_IDENTITY_LIB"
    assert_operator output.scan("No such file").size, :>=, 1
  end

  def test_a_library_without_layer_abi_version_is_too_old
    zlib = Dir["/{usr/,}lib/x86_64-linux-gnu/libz.so.1"].first # Debian's zlib1g is essential
    refute_nil zlib, "no libz.so.1 to stand in for an old library"
    output, status = load_with("LAYER_IDENTITY_LIB" => zlib)
    refute status.success?
    assert_includes output, "too old: it has no layer_abi_version"
  end

  def test_a_library_with_an_older_abi_is_refused
    old = compile_library("abi2", "unsigned layer_abi_version(void) { return 2; }")
    output, status = load_with("LAYER_IDENTITY_LIB" => old)
    refute status.success?
    assert_includes output, "has ABI version 2; this gem needs 3 or later"
  end

  def test_a_library_that_lacks_a_function_is_refused
    partial = compile_library("partial", "unsigned layer_abi_version(void) { return 3; }")
    output, status = load_with("LAYER_IDENTITY_LIB" => partial)
    refute status.success?
    assert_match(/has no function layer_\w+/, output)
  end

  def compile_library(name, source)
    compiler = %w[cc gcc].find { |cc| system(cc, "--version", out: File::NULL, err: File::NULL) }
    refute_nil compiler, "no C compiler (gcc is part of the machine)"
    path = File.join(@dir, "lib#{name}.so")
    File.write(File.join(@dir, "#{name}.c"), "#{source}\n")
    assert system(compiler, "-shared", "-fPIC", "-o", path, File.join(@dir, "#{name}.c"))
    path
  end
end
