# frozen_string_literal: true

require_relative "test_helper"

# The Ruby code of the READMEs runs, so they never show code that does not work: the Ruby
# section of the top-level README.md and bindings/ruby/README.md. Each README's ```ruby blocks
# run in order in one child process (outside the repository, the gem from lib/), after a
# prelude with stand-ins for the Rails pieces a controller snippet uses; a `# prints X`
# comment must match the output. Then the controller and the Rack endpoint the blocks define
# are called and their tokens verified.
class ReadmeTest < Minitest::Test
  include TestSupport

  PRELUDE = <<~'RUBY'
    require "stringio"
    # Stand-ins for Rails, just what the README's controller uses.
    class ApplicationController
      def self.before_action(*names)
        (@before_actions ||= []).concat(names)
      end

      def self.before_actions
        @before_actions || []
      end

      attr_accessor :params, :current_user, :rendered

      def authenticate_user!; end

      def render(**options)
        @rendered = options
      end
    end
    Params = Struct.new(:values) do
      def require(key)
        values.fetch(key)
      end
    end
  RUBY

  EPILOGUE = <<~'RUBY'
    check = LayerIdentity::Verifier.new(public_key: ENV.fetch("LAYER_PRIVATE_KEY"),
                                        provider_id: ENV.fetch("LAYER_PROVIDER_ID"), key_id: ENV.fetch("LAYER_KEY_ID"))
    if defined?(LayerIdentityTokensController)
      controller = LayerIdentityTokensController.new
      controller.current_user = Struct.new(:id, :name).new(7, "Ada Lovelace")
      controller.params = Params.new({ nonce: "nonce-7" })
      LayerIdentityTokensController.before_actions.each { |name| controller.send(name) }
      controller.create
      claims = check.verify(controller.rendered.fetch(:json).fetch(:identity_token), nonce: "nonce-7")
      raise "controller: #{claims.inspect}" unless claims.user_id == "7"
      controller.params = Params.new({ nonce: "" })
      controller.create
      raise "controller: #{controller.rendered.inspect}" unless controller.rendered[:status] == :bad_request
      puts "controller ok"
    end
    if defined?(LAYER_ENDPOINT)
      request = lambda do |session|
        LAYER_ENDPOINT.call("REQUEST_METHOD" => "POST", "PATH_INFO" => "/identity-token",
                            "CONTENT_TYPE" => "application/json", "rack.input" => StringIO.new('{"nonce":"nonce-8"}'),
                            "rack.session" => session, "rack.errors" => StringIO.new)
      end
      status, _, body = request.call({ "user_id" => "alice" })
      raise "endpoint: #{status} #{body.join}" unless status == 200
      raise "endpoint" unless check.verify(JSON.parse(body.join)["identity_token"], nonce: "nonce-8").user_id == "alice"
      raise "endpoint without a session" unless request.call(nil).first == 401
      puts "endpoint ok"
    end
  RUBY

  def ruby_blocks(markdown)
    markdown.scan(/^```ruby\n(.*?)^```$/m).flatten
  end

  def run_readme(name, markdown)
    blocks = ruby_blocks(markdown)
    refute_empty blocks, "#{name} has no Ruby code"
    code = [PRELUDE, *blocks, EPILOGUE].join("\n")
    env = { "LAYER_PROVIDER_ID" => PROVIDER_ID, "LAYER_KEY_ID" => KEY_ID, "LAYER_PRIVATE_KEY" => private_key,
            "LAYER_PRIVATE_KEY_PATH" => nil }
    output, status = Dir.mktmpdir { |dir| run_ruby(code, env: env, chdir: dir) }
    assert status.success?, "#{name}:\n#{output}"
    expected = blocks.join.scan(/# prints (.*)$/).flatten.map(&:strip)
    expected << "controller ok" if blocks.join.include?("class LayerIdentityTokensController")
    expected << "endpoint ok" if blocks.join.include?("LAYER_ENDPOINT =")
    assert_equal expected, output.lines.map(&:strip), name
  end

  def test_the_ruby_section_of_the_top_level_readme
    readme = File.read(File.join(ROOT, "README.md"))
    section = readme[/^<!-- bindings:ruby -->\n(.*)^<!-- \/bindings:ruby -->$/m, 1]
    refute_nil section, "README.md lacks the bindings:ruby markers"
    assert section.start_with?("## Ruby\n")
    run_readme("README.md (Ruby section)", section)
  end

  def test_the_gems_readme
    run_readme("bindings/ruby/README.md", File.read(File.expand_path("../README.md", __dir__)))
  end
end
