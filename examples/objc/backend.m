/*
 * backend.m: the identity-token step of a Layer backend, in Objective-C.
 *
 * The Layer client SDK obtains a nonce and the app POSTs it, with its logged-in user, to the
 * backend; the backend answers with an identity token signed with its Layer key. This program
 * does that once: start-up (configuration, one signer), one "request", shutdown.
 *
 * It needs only the GNU Objective-C runtime (libobjc), no Foundation: LIObject is a tiny root
 * class, and errors come back Cocoa-style through an `error:` out-parameter (an LIError that
 * carries the LayerStatus). With Foundation you would derive from NSObject and wrap the C
 * strings in NSString; the calls into the library stay the same.
 *
 * Configuration (environment), read by layer_signer_from_env: LAYER_PROVIDER_ID, LAYER_KEY_ID,
 * and LAYER_PRIVATE_KEY (the PEM itself) or LAYER_PRIVATE_KEY_PATH, with
 * LAYER_PRIVATE_KEY_PASSPHRASE for an encrypted key and LAYER_TOKEN_TYPE (JWS or JWT). With
 * none of the first four set, it generates a key pair and uses demo IDs, and says so.
 *
 * Exit status: 0 on success, 2 for a configuration error (the message names the variable to
 * fix) or bad usage, 1 when the request fails.
 *
 * Usage: backend [user_id [nonce]]
 * Build: gcc -x objective-c backend.m $(pkg-config --cflags --libs layer_identity) -lobjc
 */
#include <objc/runtime.h>
#include <stdio.h>
#include <stdlib.h>

#include "layer_identity.h"

#define DEMO_PROVIDER_ID "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f"
#define DEMO_KEY_ID "layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f"

/* ------------------------------------------------------------------ a minimal root class */

__attribute__((objc_root_class))
@interface LIObject {
  Class isa;
}
+ (id)alloc;
- (id)init;
- (void)dispose; /* every object has one owner, who disposes of it once */
@end

@implementation LIObject
+ (id)alloc {
  return class_createInstance(self, 0);
}
- (id)init {
  return self;
}
- (void)dispose {
  object_dispose(self);
}
@end

/* ------------------------------------------------------------------ errors */

/* A failed call: the status for code, the library's message for people. */
@interface LIError : LIObject {
  LayerStatus status;
  char *message; /* from the library: freed with layer_string_free */
}
/* Takes ownership of `*libraryMessage` and sets it to NULL. */
+ (id)errorWithStatus:(LayerStatus)aStatus message:(char **)libraryMessage;
- (LayerStatus)status;
- (const char *)message;
@end

@implementation LIError
+ (id)errorWithStatus:(LayerStatus)aStatus message:(char **)libraryMessage {
  LIError *error = [[self alloc] init];
  error->status = aStatus;
  error->message = *libraryMessage;
  *libraryMessage = NULL;
  return error;
}
- (LayerStatus)status {
  return status;
}
- (const char *)message {
  return message != NULL ? message : "(no message)";
}
- (void)dispose {
  layer_string_free(message);
  [super dispose];
}
@end

/*
 * YES when `status` is LAYER_OK; otherwise hands the message to a new LIError in `*outError`
 * (when the caller asked for one) or frees it. Takes `&message` because the call that fills it
 * is evaluated as an argument too, in an unspecified order.
 */
static BOOL LISucceeded(LayerStatus status, char **message, LIError **outError) {
  if (status == LAYER_OK) return YES;
  if (outError != NULL) {
    *outError = [LIError errorWithStatus:status message:message];
  } else {
    layer_string_free(*message);
    *message = NULL;
  }
  return NO;
}

/* ------------------------------------------------------------------ signer and verifier */

/* A private key bound to a provider ID and key ID; thread-safe, create one at start-up. */
@interface LISigner : LIObject {
  LayerSigner *handle;
}
- (id)initWithPrivateKeyPEM:(const char *)pem
                 providerID:(const char *)providerID
                      keyID:(const char *)keyID
                      error:(LIError **)error;
/* The signer the LAYER_* environment variables describe (the README's "Configuration from the
 * environment"); the error names the variable to fix. */
- (id)initFromEnvironment:(LIError **)error;
/* The token, to free with layer_string_free; NULL on failure. issued_at now, ttl 600 s. */
- (char *)tokenForUser:(const char *)userID nonce:(const char *)nonce error:(LIError **)error;
/* The SPKI public key PEM, to free with layer_string_free; NULL on failure. */
- (char *)publicKeyPEM:(LIError **)error;
@end

@implementation LISigner
- (id)initWithPrivateKeyPEM:(const char *)pem
                 providerID:(const char *)providerID
                      keyID:(const char *)keyID
                      error:(LIError **)error {
  char *message = NULL;
  if ((self = [super init]) == nil) return nil;
  if (!LISucceeded(layer_signer_new(pem, NULL, providerID, keyID, 0, &handle, &message), &message,
                   error)) {
    [self dispose];
    return nil;
  }
  return self;
}
- (id)initFromEnvironment:(LIError **)error {
  char *message = NULL;
  if ((self = [super init]) == nil) return nil;
  if (!LISucceeded(layer_signer_from_env(0, &handle, &message), &message, error)) {
    [self dispose];
    return nil;
  }
  return self;
}
- (char *)tokenForUser:(const char *)userID nonce:(const char *)nonce error:(LIError **)error {
  char *token = NULL, *message = NULL;
  if (!LISucceeded(layer_signer_sign(handle, userID, nonce, 0, 0, NULL, &token, &message), &message,
                   error))
    return NULL;
  return token;
}
- (char *)publicKeyPEM:(LIError **)error {
  char *pem = NULL, *message = NULL;
  if (!LISucceeded(layer_signer_public_key_pem(handle, &pem, &message), &message, error))
    return NULL;
  return pem;
}
- (void)dispose {
  layer_signer_free(handle);
  [super dispose];
}
@end

/* Checks tokens with the rules of Layer's identity token validation tool. */
@interface LIVerifier : LIObject {
  LayerVerifier *handle;
}
- (id)initWithPublicKeyPEM:(const char *)pem
                providerID:(const char *)providerID
                     keyID:(const char *)keyID
                     error:(LIError **)error;
/* The verified claims JSON, to free with layer_string_free; NULL on failure. */
- (char *)claimsOfToken:(const char *)token nonce:(const char *)nonce error:(LIError **)error;
@end

@implementation LIVerifier
- (id)initWithPublicKeyPEM:(const char *)pem
                providerID:(const char *)providerID
                     keyID:(const char *)keyID
                     error:(LIError **)error {
  char *message = NULL;
  if ((self = [super init]) == nil) return nil;
  if (!LISucceeded(layer_verifier_new(pem, providerID, keyID, 0, &handle, &message), &message,
                   error)) {
    [self dispose];
    return nil;
  }
  return self;
}
- (char *)claimsOfToken:(const char *)token nonce:(const char *)nonce error:(LIError **)error {
  char *claims = NULL, *message = NULL;
  /* now 0: the system clock; leeway 0 s. */
  if (!LISucceeded(layer_verifier_verify(handle, token, nonce, 0, 0, &claims, &message), &message,
                   error))
    return NULL;
  return claims;
}
- (void)dispose {
  layer_verifier_free(handle);
  [super dispose];
}
@end

/* ------------------------------------------------------------------ the backend */

static const char *env(const char *name) {
  const char *value = getenv(name);
  return value != NULL && value[0] != '\0' ? value : NULL;
}

static int report(const char *what, LIError *error) {
  fprintf(stderr, "%s failed: %s: %s\n", what, layer_status_name([error status]), [error message]);
  [error dispose];
  return 1;
}

/* One request: mint the token for this user and nonce, and check it as Layer will. */
static int handleRequest(LISigner *signer, LIVerifier *verifier, const char *userID,
                         const char *nonce) {
  LIError *error = nil;
  char *token = [signer tokenForUser:userID nonce:nonce error:&error], *claims;
  if (token == NULL) return report("signing", error);
  printf("identity token: %s\n", token);
  claims = [verifier claimsOfToken:token nonce:nonce error:&error];
  layer_string_free(token);
  if (claims == NULL) return report("verification", error);
  printf("verified claims: %s\n", claims);
  layer_string_free(claims);
  return 0;
}

int main(int argc, char **argv) {
  const char *userID = argc > 1 ? argv[1] : "alice@example.com";
  const char *nonce = argc > 2 ? argv[2] : "nonce-from-the-layer-client-sdk";
  const char *providerID = env("LAYER_PROVIDER_ID"), *keyID = env("LAYER_KEY_ID");
  char *generated = NULL, *publicPEM = NULL;
  LISigner *signer = nil;
  LIVerifier *verifier = nil;
  LIError *error = nil;
  int status = 1;

  if (argc > 3) {
    fprintf(stderr, "usage: %s [user_id [nonce]]\n", argv[0]);
    return 2;
  }
  printf("layer-identity %s\n", layer_version());

  /* Start-up: one signer for the life of the process, shared by every request. */
  if (!providerID && !keyID && !env("LAYER_PRIVATE_KEY") && !env("LAYER_PRIVATE_KEY_PATH")) {
    char *message = NULL;
    if (!LISucceeded(layer_generate_key_pair(0, &generated, &publicPEM, &message), &message,
                     &error))
      return report("key generation", error);
    layer_string_free(publicPEM); /* the signer derives it again below */
    publicPEM = NULL;
    providerID = DEMO_PROVIDER_ID;
    keyID = DEMO_KEY_ID;
    signer = [[LISigner alloc] initWithPrivateKeyPEM:generated
                                          providerID:providerID
                                               keyID:keyID
                                               error:&error];
    layer_string_free(generated); /* zeroized; the signer keeps its own copy */
    if (signer == nil) return report("creating the signer", error);
    fprintf(stderr, "note: LAYER_PROVIDER_ID, LAYER_KEY_ID and LAYER_PRIVATE_KEY[_PATH] are not "
                    "set: using a freshly generated demo key pair and demo IDs\n");
  } else if ((signer = [[LISigner alloc] initFromEnvironment:&error]) == nil) {
    /* A value the library rejects here is a configuration error, named by its variable. */
    report("configuration: layer_signer_from_env", error);
    return 2;
  }

  /* The verifier only demonstrates the check Layer makes, with the same IDs and public key. */
  if ((publicPEM = [signer publicKeyPEM:&error]) == NULL) {
    report("exporting the public key", error);
  } else if ((verifier = [[LIVerifier alloc] initWithPublicKeyPEM:publicPEM
                                                       providerID:providerID
                                                            keyID:keyID
                                                            error:&error]) == nil) {
    report("creating the verifier", error);
  } else {
    status = handleRequest(signer, verifier, userID, nonce);
  }

  [verifier dispose];
  [signer dispose];
  layer_string_free(publicPEM);
  return status;
}
