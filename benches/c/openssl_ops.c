/*
 * What `openssl speed rsa2048` times, one operation at a time, for callgrind (bench/run.py
 * counts the instructions per call beside the C ABI's, the ratio that does not drift with the
 * machine's load): EVP_PKEY_sign and EVP_PKEY_verify of 36 bytes with PKCS #1 v1.5 padding,
 * through one context made beforehand, as OpenSSL 3.0's apps/speed.c does.
 *
 *   openssl_ops sign|verify CALLS PRIVATE_KEY_PEM_FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

static void fail(const char *what) {
  fprintf(stderr, "%s failed\n", what);
  exit(1);
}

int main(int argc, char **argv) {
  if (argc != 4 || (strcmp(argv[1], "sign") != 0 && strcmp(argv[1], "verify") != 0)) {
    fprintf(stderr, "usage: %s sign|verify CALLS PRIVATE_KEY_PEM_FILE\n", argv[0]);
    return 2;
  }
  long calls = atol(argv[2]);
  FILE *file = fopen(argv[3], "rb");
  if (!file) {
    perror(argv[3]);
    return 2;
  }
  EVP_PKEY *key = PEM_read_PrivateKey(file, NULL, NULL, NULL);
  fclose(file);
  if (!key) fail("PEM_read_PrivateKey");

  unsigned char message[36] = {0}, signature[512];
  size_t signature_len = sizeof signature;
  EVP_PKEY_CTX *sign = EVP_PKEY_CTX_new(key, NULL), *verify = EVP_PKEY_CTX_new(key, NULL);
  if (!sign || EVP_PKEY_sign_init(sign) <= 0) fail("EVP_PKEY_sign_init");
  if (!verify || EVP_PKEY_verify_init(verify) <= 0) fail("EVP_PKEY_verify_init");
  if (EVP_PKEY_sign(sign, signature, &signature_len, message, sizeof message) <= 0) fail("EVP_PKEY_sign");

  int signing = strcmp(argv[1], "sign") == 0;
  for (long n = 0; n < calls; n++) {
    if (signing) {
      size_t len = sizeof signature;
      if (EVP_PKEY_sign(sign, signature, &len, message, sizeof message) <= 0) fail("EVP_PKEY_sign");
    } else if (EVP_PKEY_verify(verify, signature, signature_len, message, sizeof message) != 1) {
      fail("EVP_PKEY_verify");
    }
  }
  EVP_PKEY_CTX_free(sign);
  EVP_PKEY_CTX_free(verify);
  EVP_PKEY_free(key);
  return 0;
}
