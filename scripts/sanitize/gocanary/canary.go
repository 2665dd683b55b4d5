// Package gocanary is the canary of the Go run of scripts/sanitize.sh: go test -asan must
// report the error message below, which the library allocated and nothing frees, as a leak
// in our code, or the sanitizer run of the Go wrapper proves nothing.
package gocanary

// #cgo pkg-config: layer_identity
// #include "layer_identity.h"
// static void loseAnError(void) {
//   uint32_t flags = 0;
//   char *error = NULL;
//   layer_token_type_flags("bogus", 5, &flags, &error); /* never given to layer_string_free */
// }
import "C"

func loseAnError() { C.loseAnError() }
