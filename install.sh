#!/bin/sh
# install.sh: installs the native `secureinstall` for this machine, verified, for CI steps and machines without .NET.
#
#   sh install.sh --expected-sha256 <this file's SHA-256> [--prefix DIR]
#
# Run it from a file whose digest you checked (the README one-liner downloads it, checks the pinned digest, then runs
# it): it hashes its own bytes first and refuses to go on unless they are the bytes you pinned, so piping it into sh
# is refused. Then it picks the binary for this platform (uname), downloads it over HTTPS only (curl or wget; a
# redirect to http is refused), checks it against the SHA-256 stamped into this script at release, and only then
# installs it as DIR/bin/secureinstall (default DIR: ~/.local) by a rename. Before that check nothing is written but
# its own temporary folder, which is removed on every exit.
# Exit codes, as the CLI's: 0 installed, 1 a check failed, 2 usage or input error.
#
# POSIX sh (dash, bash, busybox ash): no bashisms; `shellcheck -s sh` clean. ASCII with LF line endings.
set -eu

# Stamped at release by tools/SecureInstall.Release (build.ps1 -Task Release); an unstamped copy refuses to run.
release_version='unreleased'
release_base_uri=''
sha256_linux_x64=''
sha256_linux_arm64=''
sha256_osx_arm64=''

say() { printf 'install.sh: %s\n' "$*" >&2; }
fail() { code=$1; shift; say "$*"; exit "$code"; }

# The SHA-256 of a file, lower-case hex: coreutils, BSD/macOS shasum, or OpenSSL, whichever is there.
sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum -b "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 -b "$1" | cut -d' ' -f1
  elif command -v openssl >/dev/null 2>&1; then
    openssl dgst -sha256 -r "$1" | cut -d' ' -f1
  else
    fail 2 'needs sha256sum, shasum or openssl to check what it downloads.'
  fi
}

# The musl C library (Alpine): the Linux binaries are linked against glibc and would not even start there. musl's ldd
# names itself on --version, glibc's says GNU libc or GLIBC; without an ldd (a minimal image), musl's loader present and
# no glibc loader beside it (Debian's musl package puts its loader on a glibc system) says musl.
is_musl() {
  if command -v ldd >/dev/null 2>&1; then
    case "$(ldd --version 2>&1 || true)" in
      *musl*) return 0 ;;
      *GNU*|*GLIBC*|*glibc*) return 1 ;;
    esac
  fi
  for loader in /lib/ld-musl-*.so.1; do
    [ -e "$loader" ] || continue
    for glibc_loader in /lib64/ld-linux-*.so.* /lib/ld-linux-*.so.*; do
      [ -e "$glibc_loader" ] && return 1
    done
    return 0
  done
  return 1
}

expected_self=''
prefix=''
while [ $# -gt 0 ]; do
  case "$1" in
    --expected-sha256) [ $# -ge 2 ] || fail 2 "$1 needs a value."; expected_self=$2; shift 2 ;;
    --prefix) [ $# -ge 2 ] || fail 2 "$1 needs a value."; [ -n "$2" ] || fail 2 "$1 needs a folder, not ''."; prefix=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0" 2>/dev/null | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) fail 2 "unknown argument '$1' (usage: sh install.sh --expected-sha256 HEX [--prefix DIR])." ;;
  esac
done

# Without --prefix, ~/.local; never "/.local" because HOME is unset (as it can be in a container step).
if [ -z "$prefix" ]; then
  [ -n "${HOME:-}" ] || fail 2 'HOME is not set: give the install folder with --prefix DIR.'
  prefix="$HOME/.local"
fi

# 1. Its own bytes: the digest the caller pinned must be this file's. Nothing is written before this.
[ -n "$expected_self" ] || fail 1 'BootstrapNotVerified: give this file'"'"'s pinned digest with --expected-sha256 (the README one-liner does); not run.'
case "$expected_self" in
  *[!0-9a-fA-F]*) fail 2 "InvalidHash: --expected-sha256 '$expected_self' is not a hex SHA-256." ;;
esac
[ ${#expected_self} -eq 64 ] || fail 2 "InvalidHash: --expected-sha256 has ${#expected_self} hex digits, not 64."
expected_self=$(printf '%s' "$expected_self" | tr 'A-F' 'a-f')
[ -f "$0" ] || fail 1 "BootstrapNotVerified: install.sh must run from a file it can hash ('$0' is not one); piping it into sh is refused."
actual_self=$(sha256_of "$0")
[ "$actual_self" = "$expected_self" ] || fail 1 "BootstrapChecksumMismatch: $0 hashes to $actual_self, not the pinned $expected_self; not run."
[ -n "$release_base_uri" ] || fail 2 'this install.sh was not stamped by a release build: it names no binaries to install.'

# 2. The platform, as a .NET runtime identifier, and the digest stamped for it.
os=$(uname -s)
arch=$(uname -m)
case "$os" in
  Linux) os=linux ;;
  Darwin) os=osx ;;
  *) fail 2 "WrongPlatform: no native secureinstall is built for the operating system '$os' (linux and macOS are)." ;;
esac
case "$arch" in
  x86_64|amd64) arch=x64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) fail 2 "WrongPlatform: no native secureinstall is built for the processor '$arch' (x86_64 and arm64 are)." ;;
esac
if [ "$os" = linux ] && is_musl; then
  fail 2 "WrongPlatform: this system is linux-musl-$arch (the musl C library, as on Alpine), which the glibc-linked native secureinstall cannot run on; only glibc Linux and macOS are served. Nothing installed."
fi
rid="$os-$arch"
case "$rid" in
  linux-x64) expected=$sha256_linux_x64 ;;
  linux-arm64) expected=$sha256_linux_arm64 ;;
  osx-arm64) expected=$sha256_osx_arm64 ;;
  *) expected='' ;;
esac
[ -n "$expected" ] || fail 2 "WrongPlatform: release $release_version has no native secureinstall for $rid."
uri="${release_base_uri}secureinstall-$rid"
case "$uri" in
  https://*) ;;
  *) fail 1 "InsecureTransport: $uri is not https; refused." ;;
esac

# 3. Download into a private temporary folder (0700), removed on every exit.
work=$(mktemp -d "${TMPDIR:-/tmp}/secureinstall-install.XXXXXXXX") || fail 2 'cannot create a temporary folder.'
staged=''
trap 'rm -rf "$work"; [ -z "$staged" ] || rm -f "$staged"' EXIT
trap 'exit 2' HUP INT TERM
download="$work/secureinstall"

fetch_with_wget() {
  # wget follows any redirect, https->http included, and its --https-only applies to recursive downloads only: the
  # redirects are followed here, one at a time, and each Location must be https.
  url=$1
  hops=0
  while :; do
    case "$url" in
      https://*) ;;
      *) fail 1 "InsecureRedirect: redirected to $url, which is not https; refused." ;;
    esac
    rm -f "$download" "$work/headers"
    # --tries=1: wget retries a cut-off transfer 20 times by default, minutes of waiting before it reports one.
    if wget --quiet --server-response --max-redirect=0 --tries=1 --timeout=60 --output-document="$download" "$url" 2>"$work/headers"; then
      return 0
    fi
    location=$(sed -n 's/^ *[Ll]ocation: *//p' "$work/headers" | tr -d '\r' | tail -n 1)
    [ -n "$location" ] || fail 1 "DownloadFailed: $url could not be downloaded ($(tr -d '\r' <"$work/headers" | sed -n 's/^ *\(HTTP\/[^ ]* [0-9][0-9]*.*\)$/\1/p' | tail -n 1))."
    case "$location" in
      /*) location="$(printf '%s' "$url" | sed 's|^\(https://[^/]*\).*|\1|')$location" ;;
    esac
    hops=$((hops + 1))
    [ "$hops" -le 10 ] || fail 1 "DownloadFailed: more than 10 redirects from $uri."
    url=$location
  done
}

if command -v curl >/dev/null 2>&1; then
  # --proto =https: the first request is https only; --proto-redir =https: so is every redirect (https->http refused).
  # A server that stops sending fails the step after a minute instead of holding the job until its timeout.
  if ! curl --fail --silent --show-error --location --max-redirs 10 --proto '=https' --proto-redir '=https' \
      --connect-timeout 30 --speed-limit 1024 --speed-time 60 --output "$download" "$uri" 2>"$work/error"; then
    if grep -qi 'protocol' "$work/error"; then
      fail 1 "InsecureRedirect: $uri redirected to a URL that is not https; refused. ($(head -n 1 "$work/error"))"
    fi
    fail 1 "DownloadFailed: $uri could not be downloaded. ($(head -n 1 "$work/error"))"
  fi
elif command -v wget >/dev/null 2>&1; then
  fetch_with_wget "$uri"
else
  fail 2 'needs curl or wget to download.'
fi

# 4. The binary must be the one the release stamped into this script.
actual=$(sha256_of "$download")
[ "$actual" = "$expected" ] || fail 1 "ChecksumMismatch: $uri hashes to $actual, not the $expected stamped for $rid in release $release_version; nothing installed."

# 5. Only now the destination: copied beside it into a new file of its own (mktemp: a name planted there, a symlink
# included, is never opened), then renamed over it (a reader never sees half a file).
bin="$prefix/bin"
target="$bin/secureinstall"
mkdir -p "$bin" || fail 2 "cannot create $bin."
staged=$(mktemp "$bin/.secureinstall.XXXXXXXX") || fail 2 "cannot create a file in $bin."
cp "$download" "$staged" || fail 2 "cannot write $staged."
chmod 0755 "$staged"
# mv onto a symlink to a folder would move the binary into that folder: a link there is removed (never followed), and
# a real folder is refused.
if [ -L "$target" ]; then
  rm -f "$target" || fail 2 "cannot remove the symbolic link $target."
elif [ -d "$target" ]; then
  fail 2 "$target is a folder; not replaced."
fi
mv -f "$staged" "$target" || fail 2 "cannot move the binary into $bin."
staged=''

say "installed secureinstall $release_version ($rid) as $bin/secureinstall"
say "  from $uri"
say "  sha256 $actual (stamped in install.sh $actual_self)"
case ":${PATH:-}:" in
  *":$bin:"*) ;;
  *) say "  $bin is not on PATH: add it (export PATH=\"$bin:\$PATH\")." ;;
esac
