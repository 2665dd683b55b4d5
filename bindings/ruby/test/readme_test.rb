# frozen_string_literal: true

require_relative "test_helper"

# The Ruby code of the READMEs runs, so they never show code that does not work: the Ruby
# section of the top-level README.md and bindings/ruby/README.md. Each README's ```ruby blocks
# run in order in one child process (outside the repository, the gem from lib/); a
# `# prints X` comment must match the output. Blocks that start with a file's path
# (`# config.ru`, `# config/routes.rb`, ...) are files of an app: frameworks_test.rb serves
# them with Puma, and both READMEs must show the same ones.
class ReadmeTest < Minitest::Test
  include TestSupport

  FILE_BLOCK = %r{\A# [\w./-]+\.(rb|ru)\n}

  def ruby_blocks(markdown)
    markdown.scan(/^```ruby\n(.*?)^```$/m).flatten
  end

  def script_blocks(markdown)
    ruby_blocks(markdown).grep_v(FILE_BLOCK)
  end

  def file_blocks(markdown)
    ruby_blocks(markdown).grep(FILE_BLOCK)
  end

  def top_level_section
    readme = File.read(File.join(ROOT, "README.md"))
    section = readme[%r{^<!-- bindings:ruby -->\n(.*)^<!-- /bindings:ruby -->$}m, 1]
    refute_nil section, "README.md lacks the bindings:ruby markers"
    assert section.start_with?("## Ruby\n")
    section
  end

  def gem_readme
    File.read(File.expand_path("../README.md", __dir__))
  end

  def run_readme(name, markdown)
    blocks = script_blocks(markdown)
    refute_empty blocks, "#{name} has no Ruby code"
    env = { "LAYER_PROVIDER_ID" => PROVIDER_ID, "LAYER_KEY_ID" => KEY_ID, "LAYER_PRIVATE_KEY" => private_key,
            "LAYER_PRIVATE_KEY_PATH" => nil }
    output, status = Dir.mktmpdir { |dir| run_ruby(blocks.join("\n"), env: env, chdir: dir) }
    assert status.success?, "#{name}:\n#{output}"
    expected = blocks.join.scan(/# prints (.*)$/).flatten.map(&:strip)
    assert_equal expected, output.lines.map(&:strip), name
  end

  def test_the_ruby_section_of_the_top_level_readme
    run_readme("README.md (Ruby section)", top_level_section)
  end

  def test_the_gems_readme
    run_readme("bindings/ruby/README.md", gem_readme)
  end

  def test_both_readmes_show_the_same_app_files
    top = file_blocks(top_level_section)
    assert_equal 4, top.size, "the Rack, Rails (routes, controller) and Sinatra files"
    assert_equal top, file_blocks(gem_readme)
  end
end
