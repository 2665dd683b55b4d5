# frozen_string_literal: true

require "fileutils"
require "net/http"
require "yaml"
require_relative "test_helper"

# The README's Rack, Rails and Sinatra code, as files of real apps served by Puma (the server
# Rails and Sinatra apps deploy on, from Debian's packages) and called over HTTP: a session
# from the app's own login reaches the endpoint's block, a JSON POST without a CSRF token is
# answered (the app's forgery protection stays on elsewhere), the Rails signer comes from the
# credentials (or the environment).
class FrameworksTest < Minitest::Test
  include TestSupport

  LIB = File.expand_path("../lib", __dir__)
  README_SECTION = File.read(File.join(ROOT, "README.md"))[%r{^<!-- bindings:ruby -->\n(.*)^<!-- /bindings:ruby -->$}m,
                                                           1]
  SESSION_SECRET = "s" * 64
  README_PROVIDER_ID = "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f"

  # The README's files: {"config.ru" => code, ...}, from the blocks that start with a path.
  def self.readme_files
    README_SECTION.scan(/^```ruby\n# (\S+)\n(.*?)^```$/m).to_h
  end

  def self.readme_yaml
    README_SECTION[/^```yaml\n(.*?)^```$/m, 1]
  end

  # A Puma server for the app in `dir`, started once per class; [port, output].
  def self.puma(dir, env)
    output = Tempfile.new("puma")
    pid = Process.spawn(env.merge("RUBYLIB" => LIB), "puma", "-b", "tcp://127.0.0.1:0", "-t", "2:4",
                        "config.ru", chdir: dir, out: output.path, err: output.path)
    Minitest.after_run do
      Process.kill("TERM", pid)
      Process.wait(pid)
    rescue Errno::ESRCH, Errno::ECHILD
      nil # it had stopped already (its output says why)
    end
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 120
    loop do
      port = File.read(output.path)[%r{Listening on http://127\.0\.0\.1:(\d+)}, 1]
      return [Integer(port), output] if port

      stopped = Process.wait(pid, Process::WNOHANG)
      if stopped || Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
        raise "puma did not start:
#{File.read(output.path)}"
      end

      sleep 0.1
    end
  end

  def layer_env
    { "LAYER_PROVIDER_ID" => PROVIDER_ID, "LAYER_KEY_ID" => KEY_ID, "LAYER_PRIVATE_KEY" => private_key,
      "LAYER_PRIVATE_KEY_PATH" => nil, "LAYER_IDENTITY_LIB" => ENV.fetch("LAYER_IDENTITY_LIB"),
      "SESSION_SECRET" => SESSION_SECRET, "RAILS_MASTER_KEY" => nil }
  end

  def app_dir(name, files)
    dir = File.join(self.class.tmp, name)
    files.each do |path, code|
      FileUtils.mkdir_p(File.dirname(File.join(dir, path)))
      File.write(File.join(dir, path), code)
    end
    dir
  end

  def self.tmp
    @tmp ||= Dir.mktmpdir("layer-identity-frameworks").tap { |dir| Minitest.after_run { FileUtils.rm_rf(dir) } }
  end

  def request(port, method, path, body: nil, headers: {})
    Net::HTTP.start("127.0.0.1", port) do |http|
      request = Net::HTTPGenericRequest.new(method, !body.nil?, true, path, headers)
      request.body = body if body
      http.request(request)
    end
  end

  def post_nonce(port, path, nonce, headers = {})
    request(port, "POST", path, body: JSON.generate("nonce" => nonce),
                                headers: { "Content-Type" => "application/json" }.merge(headers))
  end

  # The user a 200 answer's token names, checked with `provider_id`.
  def token_user(response, nonce, provider_id: PROVIDER_ID)
    assert_equal "200", response.code, response.body
    token = JSON.parse(response.body).fetch("identity_token")
    LayerIdentity::Verifier.open(public_key: public_key, provider_id: provider_id, key_id: KEY_ID) do |verifier|
      verifier.verify(token, nonce: nonce).user_id
    end
  end

  def error_code(response)
    JSON.parse(response.body).dig("error", "code")
  end

  def login(port, path, user)
    response = request(port, "GET", "#{path}?user=#{user}")
    assert_equal "200", response.code, response.body
    response["set-cookie"].split(";").first
  end

  def test_the_readme_has_the_three_apps
    assert_equal ["config.ru", "config/routes.rb", "app/controllers/layer_identity_controller.rb", "app.rb"],
                 self.class.readme_files.keys
  end

  def test_rack_config_ru_on_puma
    dir = app_dir("rack", "config.ru" => self.class.readme_files.fetch("config.ru"))
    port, = self.class.puma(dir, layer_env)
    assert_equal "42", token_user(post_nonce(port, "/identity-token", "rack-1",
                                             "Authorization" => "Bearer secret-session-token"), "rack-1")
    assert_equal "unauthenticated", error_code(post_nonce(port, "/identity-token", "rack-2"))
    assert_equal "200", request(port, "GET", "/healthz").code
    malformed = request(port, "POST", "/identity-token", body: "{", headers: { "Content-Type" => "application/json" })
    assert_equal "invalid_json", error_code(malformed)
  end

  RAILS_CONFIG_RU = <<~'RUBY'
    require "logger"
    require "rails"
    require "action_controller/railtie"
    require "layer_identity/rails"

    class TestApp < Rails::Application
      config.root = __dir__
      config.eager_load = false
      config.logger = Logger.new($stderr, level: :warn)
      config.hosts.clear
      config.action_controller.allow_forgery_protection = true
      config.session_store :cookie_store, key: "_test_app"
      config.secret_key_base = "k" * 64
    end
    # What the app has besides the README's files: a login and a form that forgery protection
    # guards.
    TestApp.routes.append do
      get "login", to: "sessions#create"
      post "notes", to: "sessions#note"
    end
    TestApp.initialize!
    run TestApp
  RUBY

  RAILS_SCAFFOLD = {
    "app/controllers/application_controller.rb" => <<~'RUBY',
      class ApplicationController < ActionController::Base
        protect_from_forgery with: :exception

        User = Struct.new(:id)

        def current_user
          session[:user_id] && User.new(Integer(session[:user_id]))
        end
      end
    RUBY
    "app/controllers/sessions_controller.rb" => <<~'RUBY'
      class SessionsController < ApplicationController
        def create
          session[:user_id] = params.require(:user)
          head :ok
        end

        def note
          head :ok
        end
      end
    RUBY
  }.freeze

  def rails_app(name, credentials)
    files = RAILS_SCAFFOLD.merge("config.ru" => RAILS_CONFIG_RU,
                                 "config/routes.rb" => self.class.readme_files.fetch("config/routes.rb"),
                                 "app/controllers/layer_identity_controller.rb" =>
                                   self.class.readme_files.fetch("app/controllers/layer_identity_controller.rb"))
    dir = app_dir(name, files)
    return [dir, nil] unless credentials

    require "active_support"
    require "active_support/encrypted_configuration"
    key = ActiveSupport::EncryptedConfiguration.generate_key
    File.write(File.join(dir, "config/master.key"), key)
    ActiveSupport::EncryptedConfiguration.new(config_path: File.join(dir, "config/credentials.yml.enc"),
                                              key_path: File.join(dir, "config/master.key"),
                                              env_key: "RAILS_MASTER_KEY", raise_if_missing_key: true)
                                         .write(credentials)
    [dir, key]
  end

  def test_rails_with_credentials_on_puma
    settings = YAML.safe_load(self.class.readme_yaml)
    settings["layer"]["private_key"] = private_key # the README shows where the key goes, not a key
    dir, = rails_app("rails", YAML.dump(settings))
    environment = layer_env.transform_values { nil }.merge("LAYER_IDENTITY_LIB" => ENV.fetch("LAYER_IDENTITY_LIB"))
    port, output = self.class.puma(dir, environment)
    cookie = login(port, "/login", 7)
    json = { "Cookie" => cookie }
    assert_equal "7", token_user(post_nonce(port, "/layer/identity-token", "mounted", json), "mounted",
                                 provider_id: README_PROVIDER_ID)
    assert_equal "7", token_user(post_nonce(port, "/account/layer-identity-token", "controller", json), "controller",
                                 provider_id: README_PROVIDER_ID)
    assert_equal "unauthenticated", error_code(post_nonce(port, "/layer/identity-token", "anonymous"))
    assert_equal "unauthenticated", error_code(post_nonce(port, "/account/layer-identity-token", "anonymous"))
    without_nonce = request(port, "POST", "/account/layer-identity-token",
                            body: "{}", headers: json.merge("Content-Type" => "application/json"))
    assert_equal "missing_field", error_code(without_nonce)
    assert_equal "200", request(port, "GET", "/layer/healthz").code
    # Forgery protection is still on for the app's own forms.
    assert_equal "422", request(port, "POST", "/notes", body: "", headers: json).code
    refute_includes File.read(output.path), "InvalidAuthenticityToken /account/layer-identity-token"
  end

  def test_rails_from_the_environment_on_puma
    dir, = rails_app("rails-env", nil)
    port, = self.class.puma(dir, layer_env)
    cookie = login(port, "/login", 8)
    assert_equal "8", token_user(post_nonce(port, "/layer/identity-token", "env", "Cookie" => cookie), "env")
  end

  SINATRA_CONFIG_RU = <<~'RUBY'
    require_relative "app"

    # What the app has besides the README's: a login, and a route that forgery protection
    # guards (it drops the session of a POST from another site without a token).
    class TestApp < App
      get("/login") { session[:user_id] = params[:user]; "ok" }
      post("/whoami") { session[:user_id].to_s }
    end
    run TestApp
  RUBY

  def test_sinatra_shares_the_apps_session_on_puma
    dir = app_dir("sinatra", "app.rb" => self.class.readme_files.fetch("app.rb"), "config.ru" => SINATRA_CONFIG_RU)
    port, = self.class.puma(dir, layer_env)
    cookie = login(port, "/login", "ada")
    assert_equal "ada", token_user(post_nonce(port, "/layer/identity-token", "sinatra", "Cookie" => cookie), "sinatra")
    # A POST from another site's page (its Referer) keeps the session on the endpoint only.
    foreign = { "Cookie" => cookie, "Referer" => "https://elsewhere.example/page" }
    assert_equal "ada", token_user(post_nonce(port, "/layer/identity-token", "sinatra-2", foreign), "sinatra-2")
    assert_equal "", request(port, "POST", "/whoami", body: "", headers: foreign).body
    assert_equal "unauthenticated", error_code(post_nonce(port, "/layer/identity-token", "anonymous"))
    assert_equal "200", request(port, "GET", "/layer/healthz").code
    assert_equal "not_found", error_code(request(port, "GET", "/layer/nope"))
    assert_equal "method_not_allowed", error_code(request(port, "GET", "/layer/identity-token"))
    assert_equal "ada", request(port, "POST", "/whoami", body: "", headers: { "Cookie" => cookie }).body
  end
end
