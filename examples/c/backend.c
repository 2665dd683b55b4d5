/*
 * backend.c: the identity-token step of a Layer backend, in C.
 *
 * The Layer client SDK obtains a nonce and the app POSTs it, with its logged-in user, to the
 * backend; the backend answers with an identity token signed with its Layer key. This program
 * does that once: start-up (configuration, one signer), one "request", shutdown.
 *
 * Configuration (environment):
 *   LAYER_PROVIDER_ID        layer:///providers/<uuid>
 *   LAYER_KEY_ID             layer:///keys/<uuid>
 *   LAYER_PRIVATE_KEY        the private key PEM itself, or
 *   LAYER_PRIVATE_KEY_PATH   the path of the private key PEM file
 * With none of them set, it generates a key pair and uses demo IDs, and says so.
 *
 * Usage: backend [user_id [nonce]]
 * Build: cc -std=c99 backend.c $(pkg-config --cflags --libs layer_identity)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer_identity.h"

#define DEMO_PROVIDER_ID "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f"
#define DEMO_KEY_ID "layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f"

struct config {
  const char *provider_id;
  const char *key_id;
  const char *private_key_pem;
  char *owned_file_text; /* LAYER_PRIVATE_KEY_PATH: free() */
  char *owned_generated; /* demo key from the library: layer_string_free() */
};

/*
 * Reports a failed call (status name and the library's message) and frees the message.
 * Takes `&error`, not `error`: the call that fills it is an argument of this function too, and
 * C does not say in which order arguments are evaluated.
 */
static int succeeded(LayerStatus status, char **error, const char *call) {
  if (status == LAYER_OK) return 1;
  fprintf(stderr, "%s failed: %s: %s\n", call, layer_status_name(status),
          *error != NULL ? *error : "(no message)");
  layer_string_free(*error);
  *error = NULL;
  return 0;
}

/* A non-empty environment variable, or NULL. */
static const char *env(const char *name) {
  const char *value = getenv(name);
  return value != NULL && value[0] != '\0' ? value : NULL;
}

static char *read_file(const char *path) {
  FILE *file = fopen(path, "rb");
  char *text = NULL;
  long size;
  if (file == NULL) return NULL;
  if (fseek(file, 0, SEEK_END) == 0 && (size = ftell(file)) >= 0 && fseek(file, 0, SEEK_SET) == 0 &&
      (text = malloc((size_t)size + 1)) != NULL) {
    if (fread(text, 1, (size_t)size, file) == (size_t)size) {
      text[size] = '\0';
    } else {
      free(text);
      text = NULL;
    }
  }
  fclose(file);
  return text;
}

/* Fills `config` from the environment (or with a demo key pair); 0 on a configuration error. */
static int load_config(struct config *config) {
  const char *key_text = env("LAYER_PRIVATE_KEY"), *key_path = env("LAYER_PRIVATE_KEY_PATH");
  memset(config, 0, sizeof *config);
  config->provider_id = env("LAYER_PROVIDER_ID");
  config->key_id = env("LAYER_KEY_ID");

  if (!config->provider_id && !config->key_id && !key_text && !key_path) {
    char *public_pem = NULL, *error = NULL;
    if (!succeeded(layer_generate_key_pair(0, &config->owned_generated, &public_pem, &error),
                   &error, "layer_generate_key_pair"))
      return 0;
    layer_string_free(public_pem); /* the signer derives it again below */
    config->private_key_pem = config->owned_generated;
    config->provider_id = DEMO_PROVIDER_ID;
    config->key_id = DEMO_KEY_ID;
    fprintf(stderr, "note: LAYER_PROVIDER_ID, LAYER_KEY_ID and LAYER_PRIVATE_KEY[_PATH] are not "
                    "set: using a freshly generated demo key pair and demo IDs\n");
    return 1;
  }
  if (!config->provider_id || !config->key_id || (!key_text && !key_path)) {
    fprintf(stderr, "configuration: set LAYER_PROVIDER_ID, LAYER_KEY_ID and one of "
                    "LAYER_PRIVATE_KEY or LAYER_PRIVATE_KEY_PATH (or none of them for a demo)\n");
    return 0;
  }
  if (key_text && key_path) {
    fprintf(stderr, "configuration: set LAYER_PRIVATE_KEY or LAYER_PRIVATE_KEY_PATH, not both\n");
    return 0;
  }
  if (key_path) {
    config->owned_file_text = read_file(key_path);
    if (config->owned_file_text == NULL) {
      fprintf(stderr, "configuration: cannot read LAYER_PRIVATE_KEY_PATH %s\n", key_path);
      return 0;
    }
    key_text = config->owned_file_text;
  }
  config->private_key_pem = key_text;
  return 1;
}

static void free_config(struct config *config) {
  free(config->owned_file_text);
  layer_string_free(config->owned_generated);
}

/* One request: mint the token for this user and nonce, and check it as Layer will. */
static int handle_request(const LayerSigner *signer, const LayerVerifier *verifier,
                          const char *user_id, const char *nonce) {
  char *token = NULL, *claims = NULL, *error = NULL;
  int ok = 0;
  /* issued_at 0: now; ttl 0: the default 600 s; no identity attributes. */
  if (!succeeded(layer_signer_sign(signer, user_id, nonce, 0, 0, NULL, &token, &error), &error,
                 "layer_signer_sign"))
    return 0;
  printf("identity token: %s\n", token);
  /* now 0: the system clock; leeway 0 s. */
  if (succeeded(layer_verifier_verify(verifier, token, nonce, 0, 0, &claims, &error), &error,
                "layer_verifier_verify")) {
    printf("verified claims: %s\n", claims);
    ok = 1;
  }
  layer_string_free(claims);
  layer_string_free(token);
  return ok;
}

int main(int argc, char **argv) {
  const char *user_id = argc > 1 ? argv[1] : "alice@example.com";
  const char *nonce = argc > 2 ? argv[2] : "nonce-from-the-layer-client-sdk";
  struct config config;
  LayerSigner *signer = NULL;
  LayerVerifier *verifier = NULL;
  char *public_pem = NULL, *error = NULL;
  int exit_code = 1;

  if (argc > 3) {
    fprintf(stderr, "usage: %s [user_id [nonce]]\n", argv[0]);
    return 2;
  }
  if (!load_config(&config)) {
    free_config(&config);
    return 2;
  }
  printf("layer-identity %s\n", layer_version());

  /* Start-up: one signer for the life of the process; it is thread-safe, so every request
   * thread can share it. The verifier here only demonstrates the check Layer makes. */
  if (!succeeded(layer_signer_new(config.private_key_pem, NULL, config.provider_id, config.key_id,
                                  0, &signer, &error),
                 &error, "layer_signer_new"))
    goto done;
  if (!succeeded(layer_signer_public_key_pem(signer, &public_pem, &error), &error,
                 "layer_signer_public_key_pem"))
    goto done;
  if (!succeeded(layer_verifier_new(public_pem, config.provider_id, config.key_id, 0, &verifier,
                                    &error),
                 &error, "layer_verifier_new"))
    goto done;

  if (handle_request(signer, verifier, user_id, nonce)) exit_code = 0;

done:
  layer_verifier_free(verifier);
  layer_signer_free(signer);
  layer_string_free(public_pem);
  free_config(&config);
  return exit_code;
}
