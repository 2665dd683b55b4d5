#!/usr/bin/env bash
# Builds the release library and installs it under PREFIX (DESTDIR is honoured, for staging
# and packaging: files go to $DESTDIR$PREFIX, and the installed paths name PREFIX):
#   PREFIX/lib/liblayer_identity.so.<version>   the shared library (soname liblayer_identity.so.0)
#   PREFIX/lib/liblayer_identity.so.0           -> liblayer_identity.so.<version>
#   PREFIX/lib/liblayer_identity.so             -> liblayer_identity.so.0 (for -llayer_identity)
#   PREFIX/lib/liblayer_identity.a              the static library
#   PREFIX/include/layer_identity.h
#   PREFIX/lib/pkgconfig/layer_identity.pc         from layer_identity.pc.in (shared)
#   PREFIX/lib/pkgconfig/layer_identity-static.pc  from layer_identity-static.pc.in (static)
# Then, without DESTDIR: when PREFIX/lib is in the dynamic loader's search path, runs ldconfig
# (as root; otherwise says to run `sudo ldconfig`); when it is not, says how to make programs
# find liblayer_identity.so.0. A DESTDIR (staged) install never runs ldconfig.
#
#   scripts/install.sh PREFIX        (or: make install PREFIX=/usr/local)
#
# Sourcing the script defines its functions without installing anything (tests/install/run.sh
# tests the loader logic that way).

usage() {
  echo "usage: [DESTDIR=/staging] $0 PREFIX   (an absolute path, e.g. /usr/local)" >&2
  exit 2
}

find_ldconfig() { # the ldconfig program (often in /sbin, outside a user's PATH), or nothing
  local candidate
  for candidate in "$(command -v ldconfig 2>/dev/null)" /sbin/ldconfig /usr/sbin/ldconfig; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}

# ld_so_conf_dirs FILE: the directories an ld.so.conf-style FILE lists, following `include`
# lines (globs, relative to FILE's directory) and ignoring comments and hwcap lines.
ld_so_conf_dirs() {
  local file=$1 depth=${2:-0} line pattern included
  local -a words
  [ -r "$file" ] && [ "$depth" -lt 8 ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line%%#*}
    # Directories may be separated by spaces, tabs, commas or colons.
    IFS=$' \t,:' read -r -a words <<<"$line" || true
    [ "${#words[@]}" -gt 0 ] || continue
    case ${words[0]} in
      include)
        for pattern in "${words[@]:1}"; do
          case $pattern in /*) ;; *) pattern=$(dirname "$file")/$pattern ;; esac
          for included in $pattern; do # a glob, as in ld.so.conf
            ld_so_conf_dirs "$included" $((depth + 1))
          done
        done
        ;;
      hwcap) ;;
      *) printf '%s\n' "${words[@]}" ;;
    esac
  done <"$file"
}

# loader_dirs: the directories the dynamic loader searches (besides LD_LIBRARY_PATH and rpaths),
# one a line: those `ldconfig -v -N -X` scans (configured and built-in), or, where that reports
# nothing, /etc/ld.so.conf's and the usual built-in ones.
loader_dirs() {
  local ldconfig listed=""
  if ldconfig=$(find_ldconfig); then
    # -N -X: writes neither the cache nor links. Its directory lines look like
    # "/usr/local/lib: (from /etc/ld.so.conf.d/libc.conf:2)" or "/lib:"; libraries are indented.
    listed=$("$ldconfig" -v -N -X 2>/dev/null | sed -n 's|^\(/[^:]*\):.*|\1|p') || true
  fi
  if [ -n "$listed" ]; then
    printf '%s\n' "$listed"
  else
    ld_so_conf_dirs /etc/ld.so.conf
    printf '%s\n' /lib /usr/lib /lib64 /usr/lib64
  fi
}

# in_loader_path DIR: whether DIR is (the same directory as) one the loader searches; compared
# by identity, since e.g. /lib and /usr/lib are one directory on merged-/usr systems.
in_loader_path() {
  local dir=$1 searched
  [ -d "$dir" ] || return 1
  while IFS= read -r searched; do
    if [ -n "$searched" ] && [ "$searched" -ef "$dir" ]; then return 0; fi
  done < <(loader_dirs)
  return 1
}

# configure_loader DESTDIR PREFIX EUID: after the files are in place, make the shared library
# loadable, or say how. Returns non-zero only when ldconfig was run and failed.
configure_loader() {
  local destdir=$1 prefix=$2 euid=$3 libdir=$2/lib ldconfig
  if [ -n "$destdir" ]; then
    echo "staged install (DESTDIR): ldconfig not run; run it on the target system once the"
    echo "files are in $libdir"
    return 0
  fi
  if in_loader_path "$libdir"; then
    if [ "$euid" -ne 0 ]; then
      echo "$libdir is in the dynamic loader's search path: run \`sudo ldconfig\` to update"
      echo "the loader's cache, or programs will not find liblayer_identity.so.0"
    elif ! ldconfig=$(find_ldconfig); then
      echo "install: ldconfig not found; run it (as root) so that programs find" \
        "liblayer_identity.so.0 in $libdir" >&2
      return 1
    elif "$ldconfig"; then
      echo "ran ldconfig: liblayer_identity.so.0 in $libdir is in the loader's cache"
    else
      echo "install: ldconfig failed; run it again (as root) so that programs find" \
        "liblayer_identity.so.0 in $libdir" >&2
      return 1
    fi
  else
    echo "$libdir is not in the dynamic loader's search path: programs linked with"
    echo "layer_identity will not find liblayer_identity.so.0 at run time. Either"
    echo "  - add it to the loader's path: put the line $libdir in"
    echo "    /etc/ld.so.conf.d/layer-identity.conf and run ldconfig, as root:"
    if [ "$euid" -eq 0 ]; then
      echo "      echo '$libdir' > /etc/ld.so.conf.d/layer-identity.conf && ldconfig"
    else
      echo "      echo '$libdir' | sudo tee /etc/ld.so.conf.d/layer-identity.conf && sudo ldconfig"
    fi
    echo "  - or link with -Wl,-rpath,$libdir (besides the pkg-config flags)"
    echo "  - or run with LD_LIBRARY_PATH=$libdir"
    echo "  - or link statically: pkg-config --cflags --libs layer_identity-static"
  fi
}

# pkg_config_finds DIR: whether pkg-config searches DIR (PKG_CONFIG_PATH or its default path).
pkg_config_finds() {
  local dir=$1 searched IFS=:
  command -v pkg-config >/dev/null 2>&1 || return 1
  for searched in ${PKG_CONFIG_PATH:-} $(pkg-config --variable pc_path pkg-config 2>/dev/null); do
    if [ -n "$searched" ] && [ "$searched" -ef "$dir" ]; then return 0; fi
  done
  return 1
}

# sed replacement text: escape \, & and the | delimiter.
sed_escape() { printf '%s' "$1" | sed 's/[\\&|]/\\&/g'; }

# render_pc TEMPLATE OUT PREFIX VERSION: a .pc file from its template, 0644, replaced atomically.
render_pc() {
  local template=$1 out=$2 prefix=$3 version=$4
  sed -e "s|@PREFIX@|$(sed_escape "$prefix")|g" -e "s|@VERSION@|$(sed_escape "$version")|g" \
    "$template" >"$out.tmp"
  if grep -q '@[A-Z_]*@' "$out.tmp"; then
    echo "install: unsubstituted placeholder in $template" >&2
    rm -f "$out.tmp"
    exit 1
  fi
  chmod 0644 "$out.tmp"
  mv -f "$out.tmp" "$out"
}

main() {
  cd "$(dirname "$0")/.."
  [ $# -eq 1 ] || usage
  local prefix=$1
  case $prefix in
    /*) ;;
    *) echo "install: PREFIX must be an absolute path, not '$prefix'" >&2; usage ;;
  esac
  if [[ $prefix =~ [[:space:]] ]]; then
    echo "install: PREFIX must not contain whitespace (pkg-config cannot express it)" >&2
    exit 2
  fi
  # "/usr/local/" -> "/usr/local"; "/" -> "" (so that ${prefix}/lib is /lib).
  while [ "${prefix%/}" != "$prefix" ]; do prefix=${prefix%/}; done
  local dest=${DESTDIR:-}$prefix

  local version
  version=$(awk -F'"' '/^\[/ { package = ($0 == "[package]") }
    package && /^version *=/ { print $2; exit }' Cargo.toml)
  [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || {
    echo "install: cannot read the package version from Cargo.toml" >&2
    exit 1
  }

  ${CARGO:-cargo} build --release
  local shared=target/release/liblayer_identity.so static=target/release/liblayer_identity.a
  local soname real_name=liblayer_identity.so.$version
  soname=$(readelf -d "$shared" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
  # The soname is fixed by build.rs (liblayer_identity.so.<ABI major>); the file name carries
  # the full version, and the soname must be a prefix of it for ldconfig and the links below.
  case $real_name in
    "$soname".*) ;;
    *)
      echo "install: the library's soname '${soname:-none}' does not match $real_name" >&2
      exit 1
      ;;
  esac

  install -d "$dest/lib/pkgconfig" "$dest/include"
  install -m 0755 "$shared" "$dest/lib/$real_name"
  ln -sfn "$real_name" "$dest/lib/$soname"
  ln -sfn "$soname" "$dest/lib/liblayer_identity.so"
  install -m 0644 "$static" "$dest/lib/liblayer_identity.a"
  install -m 0644 include/layer_identity.h "$dest/include/layer_identity.h"
  local module
  for module in layer_identity layer_identity-static; do
    render_pc "$module.pc.in" "$dest/lib/pkgconfig/$module.pc" "$prefix" "$version"
  done

  echo "installed layer-identity $version into ${DESTDIR:+$DESTDIR (staged) }${prefix:-/}:"
  echo "  $prefix/lib/$real_name ($soname, liblayer_identity.so)"
  echo "  $prefix/lib/liblayer_identity.a"
  echo "  $prefix/include/layer_identity.h"
  echo "  $prefix/lib/pkgconfig/layer_identity.pc, layer_identity-static.pc"
  configure_loader "${DESTDIR:-}" "$prefix" "$(id -u)" || exit 1
  if [ -z "${DESTDIR:-}" ] && ! pkg_config_finds "$prefix/lib/pkgconfig"; then
    echo "pkg-config does not search $prefix/lib/pkgconfig: set PKG_CONFIG_PATH=$prefix/lib/pkgconfig"
  fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  main "$@"
fi
