# frozen_string_literal: true

module LayerIdentity
  # Every error the library reports includes this module, so one `rescue LayerIdentity::Error`
  # catches them all. `#status` is the LayerStatus number, `#status_name` its name
  # ("LAYER_ERR_EXPIRED"), `#eit_code` Layer's identifier of the verifier rule a token broke
  # ("eit_expired"), or nil when the failure is not about a token. The message is the
  # library's own; it never contains key material or a passphrase.
  #
  # It is a module rather than a base class so that the argument errors can also be Ruby's
  # own ArgumentError: `rescue ArgumentError` catches InvalidArgumentError, InvalidUtf8Error
  # and NullArgumentError too. Wrong argument types raise TypeError, naming the argument,
  # before anything crosses into C.
  module Error
    # The LayerStatus number of an error class (nil for ClosedError).
    module Status
      def status
        nil
      end
    end

    def self.included(base)
      base.extend(Status)
    end

    attr_reader :status, :status_name, :eit_code

    def initialize(message = nil, status: self.class.status, status_name: STATUS_NAMES[status], eit_code: nil)
      super(message)
      @status = status
      @status_name = status_name
      @eit_code = eit_code
    end

    # The error class for LayerStatus `status`; UnknownStatusError for a status this gem does
    # not know (a newer library), so that nothing is ever lost.
    def self.for_status(status)
      STATUS_CLASSES.fetch(status, UnknownStatusError)
    end
  end

  # A library status this gem does not know (the library is newer than the gem).
  class UnknownStatusError < StandardError
    include Error
  end

  # A token was refused by the verifier: the five statuses a verification may end with.
  # `#eit_code` says which rule the token broke.
  class VerificationError < StandardError
    include Error
  end

  # A method was called on a Signer or Verifier after #close (or on one made by `allocate`,
  # which has no native handle).
  class ClosedError < StandardError
    include Error
  end

  # LAYER_ERR_NULL_ARGUMENT: a required argument was nil.
  class NullArgumentError < ArgumentError
    include Error

    def self.status
      1
    end
  end

  # LAYER_ERR_INVALID_UTF8: a string argument was not valid UTF-8 (or had no UTF-8 form).
  class InvalidUtf8Error < ArgumentError
    include Error

    def self.status
      2
    end
  end

  # LAYER_ERR_INVALID_ARGUMENT: an argument was well-formed text but not acceptable: an ID, an
  # empty user ID or nonce, U+0000 in a text, a negative time or one in milliseconds,
  # attributes or metadata, the key size to generate, a LAYER_* variable.
  class InvalidArgumentError < ArgumentError
    include Error

    def self.status
      3
    end
  end

  # LAYER_ERR_INVALID_KEY: the key could not be read, is not RSA, or is the wrong kind (public for
  # a signer).
  class InvalidKeyError < StandardError
    include Error

    def self.status
      4
    end
  end

  # LAYER_ERR_WEAK_KEY: the RSA key is smaller than allowed (2048 bits, or 1024 with
  # allow_1024_bit_key).
  class WeakKeyError < StandardError
    include Error

    def self.status
      5
    end
  end

  # LAYER_ERR_WRONG_PASSPHRASE: the key is encrypted and the passphrase is missing or wrong.
  class WrongPassphraseError < StandardError
    include Error

    def self.status
      6
    end
  end

  # LAYER_ERR_MALFORMED_TOKEN: the token is not a well-formed Layer identity token (structure,
  # encoding, header, claim types).
  class MalformedTokenError < VerificationError
    def self.status
      7
    end
  end

  # LAYER_ERR_BAD_SIGNATURE: the token's signature does not verify with the configured key.
  class BadSignatureError < VerificationError
    def self.status
      8
    end
  end

  # LAYER_ERR_EXPIRED: the token has expired.
  class ExpiredError < VerificationError
    def self.status
      9
    end
  end

  # LAYER_ERR_NOT_YET_VALID: the token is issued in the future.
  class NotYetValidError < VerificationError
    def self.status
      10
    end
  end

  # LAYER_ERR_CLAIM_MISMATCH: the token's kid, iss or nce differs from the expected value.
  class ClaimMismatchError < VerificationError
    def self.status
      11
    end
  end

  # LAYER_ERR_CRYPTO: OpenSSL failed in an operation that should not fail.
  class CryptoError < StandardError
    include Error

    def self.status
      12
    end
  end

  # LAYER_ERR_INTERNAL: A bug in the library (a caught panic); the message says where.
  class InternalError < StandardError
    include Error

    def self.status
      13
    end
  end

  # LayerStatus number => its error class, as in layer_identity.h (LAYER_OK has none).
  STATUS_CLASSES = {
    1 => NullArgumentError,
    2 => InvalidUtf8Error,
    3 => InvalidArgumentError,
    4 => InvalidKeyError,
    5 => WeakKeyError,
    6 => WrongPassphraseError,
    7 => MalformedTokenError,
    8 => BadSignatureError,
    9 => ExpiredError,
    10 => NotYetValidError,
    11 => ClaimMismatchError,
    12 => CryptoError,
    13 => InternalError
  }.freeze

  # LayerStatus number => its name, as in layer_identity.h.
  STATUS_NAMES = {
    0 => "LAYER_OK",
    1 => "LAYER_ERR_NULL_ARGUMENT",
    2 => "LAYER_ERR_INVALID_UTF8",
    3 => "LAYER_ERR_INVALID_ARGUMENT",
    4 => "LAYER_ERR_INVALID_KEY",
    5 => "LAYER_ERR_WEAK_KEY",
    6 => "LAYER_ERR_WRONG_PASSPHRASE",
    7 => "LAYER_ERR_MALFORMED_TOKEN",
    8 => "LAYER_ERR_BAD_SIGNATURE",
    9 => "LAYER_ERR_EXPIRED",
    10 => "LAYER_ERR_NOT_YET_VALID",
    11 => "LAYER_ERR_CLAIM_MISMATCH",
    12 => "LAYER_ERR_CRYPTO",
    13 => "LAYER_ERR_INTERNAL"
  }.freeze

  # LayerEit number => Layer's identifier (nil for LAYER_EIT_NONE), as in layer_identity.h.
  EIT_CODES = {
    0 => nil,
    1 => "eit_wrong_jws_part_count",
    2 => "eit_malformed_base64url",
    3 => "eit_malformed_json",
    4 => "eit_header_param_not_found",
    5 => "eit_header_param_wrong_type",
    6 => "eit_header_param_wrong_value",
    7 => "eit_claim_not_found",
    8 => "eit_claim_wrong_type",
    9 => "eit_expired",
    10 => "eit_not_before",
    11 => "eit_key_not_found",
    12 => "eit_provider_not_found",
    13 => "eit_signature_verification_failed",
    14 => "eit_nonce_not_found"
  }.freeze
end
