# frozen_string_literal: true

module LayerIdentity
  # The gem's version: the version of the native library it carries.
  VERSION = "0.1.0"
end
