// backend.cpp: the identity-token step of a Layer backend, in C++17.
//
// The Layer client SDK obtains a nonce and the app POSTs it, with its logged-in user, to the
// backend; the backend answers with an identity token signed with its Layer key. This program
// does that once: start-up (configuration, one signer), one "request", shutdown.
//
// The `layer` namespace below is a small RAII layer over the C ABI that you can copy: handles
// and library strings live in std::unique_ptr with deleters that call the library's free
// functions, and every failed call throws layer::Error, which carries the LayerStatus.
//
// Configuration (environment), read by layer_signer_from_env: LAYER_PROVIDER_ID, LAYER_KEY_ID,
// and LAYER_PRIVATE_KEY (the PEM itself) or LAYER_PRIVATE_KEY_PATH, with
// LAYER_PRIVATE_KEY_PASSPHRASE for an encrypted key and LAYER_TOKEN_TYPE (JWS or JWT). With
// none of the first four set, it generates a key pair and uses demo IDs, and says so.
//
// Exit status: 0 on success, 2 for a configuration error (the message names the variable to
// fix) or bad usage, 1 when the request fails.
//
// Usage: backend [user_id [nonce]]
// Build: c++ -std=c++17 backend.cpp $(pkg-config --cflags --libs layer_identity)
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "layer_identity.h"

namespace layer {

// A failed call: the status (for code) and the library's message (for people).
class Error : public std::runtime_error {
 public:
  Error(LayerStatus status, const std::string &message)
      : std::runtime_error(std::string(layer_status_name(status)) + ": " + message),
        status_(status) {}
  LayerStatus status() const noexcept { return status_; }

 private:
  LayerStatus status_;
};

// A string allocated by the library (token, PEM, claims, error message).
struct StringDeleter {
  void operator()(char *text) const noexcept { layer_string_free(text); }
};
using String = std::unique_ptr<char, StringDeleter>;

namespace detail {

// Takes ownership of `*error` and throws when `status` is a failure. It takes `&error`, not
// `error`: the call that fills it is an argument too, and argument order is unspecified.
inline void check(LayerStatus status, char **error) {
  String message(std::exchange(*error, nullptr));
  if (status != LAYER_OK) throw Error(status, message ? message.get() : "(no message)");
}

// Copies a library string into a std::string and frees the original.
inline std::string take(char *text) {
  String owned(text);
  return owned ? std::string(owned.get()) : std::string();
}

// The library takes NUL-terminated strings: an embedded NUL would silently cut the text.
inline const char *c_str(const std::string &text, const char *what) {
  if (text.find('\0') != std::string::npos)
    throw std::invalid_argument(std::string(what) + " contains a NUL character");
  return text.c_str();
}

}  // namespace detail

struct KeyPair {
  std::string private_pem;  // PKCS#8: stays on the backend
  std::string public_pem;   // SPKI: uploaded to Layer, which answers with the key ID
};

// bits 0 means 2048.
inline KeyPair generate_key_pair(std::uint32_t bits = 0) {
  char *private_pem = nullptr, *public_pem = nullptr, *error = nullptr;
  detail::check(layer_generate_key_pair(bits, &private_pem, &public_pem, &error), &error);
  return KeyPair{detail::take(private_pem), detail::take(public_pem)};
}

// A private key bound to a provider ID and key ID. Immutable and thread-safe: create one at
// start-up and share it (by reference) between request threads.
class Signer {
 public:
  Signer(const std::string &private_key_pem, const std::string &provider_id,
         const std::string &key_id, std::uint32_t flags = 0,
         const std::optional<std::string> &passphrase = std::nullopt) {
    LayerSigner *raw = nullptr;
    char *error = nullptr;
    detail::check(
        layer_signer_new(detail::c_str(private_key_pem, "private key"),
                         passphrase ? detail::c_str(*passphrase, "passphrase") : nullptr,
                         detail::c_str(provider_id, "provider ID"), detail::c_str(key_id, "key ID"),
                         flags, &raw, &error),
        &error);
    handle_.reset(raw);
  }

  // The signer the LAYER_* environment variables describe (the README's "Configuration from
  // the environment"); each error names the variable to fix.
  static Signer from_env(std::uint32_t flags = 0) {
    LayerSigner *raw = nullptr;
    char *error = nullptr;
    detail::check(layer_signer_from_env(flags, &raw, &error), &error);
    return Signer(raw);
  }

  // issued_at 0: now; ttl_seconds 0: 600.
  std::string sign(const std::string &user_id, const std::string &nonce,
                   std::int64_t issued_at = 0, std::uint32_t ttl_seconds = 0) const {
    char *token = nullptr, *error = nullptr;
    detail::check(layer_signer_sign(handle_.get(), detail::c_str(user_id, "user ID"),
                                    detail::c_str(nonce, "nonce"), issued_at, ttl_seconds,
                                    nullptr, &token, &error),
                  &error);
    return detail::take(token);
  }

  std::string public_key_pem() const {
    char *pem = nullptr, *error = nullptr;
    detail::check(layer_signer_public_key_pem(handle_.get(), &pem, &error), &error);
    return detail::take(pem);
  }

 private:
  explicit Signer(LayerSigner *raw) { handle_.reset(raw); }

  struct Deleter {
    void operator()(LayerSigner *signer) const noexcept { layer_signer_free(signer); }
  };
  std::unique_ptr<LayerSigner, Deleter> handle_;
};

// Checks tokens with the rules of Layer's identity token validation tool.
class Verifier {
 public:
  Verifier(const std::string &public_key_pem, const std::string &provider_id,
           const std::string &key_id, std::uint32_t flags = 0) {
    LayerVerifier *raw = nullptr;
    char *error = nullptr;
    detail::check(layer_verifier_new(detail::c_str(public_key_pem, "public key"),
                                     detail::c_str(provider_id, "provider ID"),
                                     detail::c_str(key_id, "key ID"), flags, &raw, &error),
                  &error);
    handle_.reset(raw);
  }

  // Returns the verified claims JSON; now 0: the system clock.
  std::string verify(const std::string &token, const std::string &expected_nonce,
                     std::int64_t now = 0, std::uint32_t leeway_seconds = 0) const {
    char *claims = nullptr, *error = nullptr;
    detail::check(layer_verifier_verify(handle_.get(), detail::c_str(token, "token"),
                                        detail::c_str(expected_nonce, "nonce"), now,
                                        leeway_seconds, &claims, &error),
                  &error);
    return detail::take(claims);
  }

 private:
  struct Deleter {
    void operator()(LayerVerifier *verifier) const noexcept { layer_verifier_free(verifier); }
  };
  std::unique_ptr<LayerVerifier, Deleter> handle_;
};

}  // namespace layer

namespace {

const char kDemoProviderId[] = "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f";
const char kDemoKeyId[] = "layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f";

std::optional<std::string> env(const char *name) {
  const char *value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

// The signer for the life of the process, and the IDs it signs with.
struct Startup {
  layer::Signer signer;
  std::string provider_id;
  std::string key_id;
};

// With none of the key and ID variables set: a first run, with a demo key pair.
bool demo_mode() {
  return !env("LAYER_PROVIDER_ID") && !env("LAYER_KEY_ID") && !env("LAYER_PRIVATE_KEY") &&
         !env("LAYER_PRIVATE_KEY_PATH");
}

Startup start_up(bool demo) {
  if (demo) {
    layer::Signer signer(layer::generate_key_pair().private_pem, kDemoProviderId, kDemoKeyId);
    std::cerr << "note: LAYER_PROVIDER_ID, LAYER_KEY_ID and LAYER_PRIVATE_KEY[_PATH] are not set:"
                 " using a freshly generated demo key pair and demo IDs\n";
    return Startup{std::move(signer), kDemoProviderId, kDemoKeyId};
  }
  layer::Signer signer = layer::Signer::from_env();
  // from_env has checked that both IDs are set and well-formed.
  return Startup{std::move(signer), *env("LAYER_PROVIDER_ID"), *env("LAYER_KEY_ID")};
}

// One request: mint the token for this user and nonce, and check it as Layer will.
std::string handle_request(const layer::Signer &signer, const layer::Verifier &verifier,
                           const std::string &user_id, const std::string &nonce) {
  std::string token = signer.sign(user_id, nonce);
  std::cout << "identity token: " << token << "\n";
  std::cout << "verified claims: " << verifier.verify(token, nonce) << "\n";
  return token;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc > 3) {
    std::cerr << "usage: " << argv[0] << " [user_id [nonce]]\n";
    return 2;
  }
  const std::string user_id = argc > 1 ? argv[1] : "alice@example.com";
  const std::string nonce = argc > 2 ? argv[2] : "nonce-from-the-layer-client-sdk";
  std::cout << "layer-identity " << layer_version() << "\n";
  try {
    // Start-up: one signer for the life of the process, shared by every request. A value the
    // library rejects there is a configuration error, named by its variable.
    const bool demo = demo_mode();
    std::optional<Startup> startup;
    try {
      startup.emplace(start_up(demo));
    } catch (const layer::Error &e) {
      if (demo) throw;
      std::cerr << "configuration: " << e.what() << "\n";
      return 2;
    }
    // The verifier only demonstrates the check Layer makes, with the same IDs and public key.
    const layer::Verifier verifier(startup->signer.public_key_pem(), startup->provider_id,
                                   startup->key_id);
    handle_request(startup->signer, verifier, user_id, nonce);
    return 0;
  } catch (const layer::Error &e) {
    std::cerr << "layer-identity: " << e.what() << " (status " << static_cast<int>(e.status())
              << ")\n";
    return 1;
  } catch (const std::exception &e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
