# shellcheck shell=bash
# Shell helpers for checking tokens with the openssl CLI alone, independently of the library.
# Source it: . scripts/jws.sh

# b64url_decode TEXT: the bytes of unpadded base64url TEXT, on stdout.
b64url_decode() {
  local s=${1//-/+}
  s=${s//_//}
  case $((${#s} % 4)) in
    2) s+="==" ;;
    3) s+="=" ;;
  esac
  printf '%s' "$s" | openssl base64 -d -A
}

# openssl_verifies TOKEN PUBLIC_KEY_PEM_FILE WORK_DIR: succeeds when `openssl dgst` accepts the
# token's RS256 signature over its signing input.
openssl_verifies() {
  local header claims signature
  IFS=. read -r header claims signature <<<"$1"
  printf '%s.%s' "$header" "$claims" >"$3/signing-input"
  b64url_decode "$signature" >"$3/signature.bin"
  openssl dgst -sha256 -verify "$2" -signature "$3/signature.bin" "$3/signing-input" >/dev/null
}
