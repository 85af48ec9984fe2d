#!/bin/sh
# The steps of the SecureInstall GitHub Action (action.yml), one phase per call, POSIX sh so that they can be run and
# tested outside GitHub Actions (tests/pester/Action.Tests.ps1 runs them with GITHUB_ENV/GITHUB_PATH/GITHUB_OUTPUT files
# in a temporary folder).
#
#   steps.sh setup        inputs in INPUT_MANIFEST, INPUT_REGISTRY, INPUT_PLATFORM; writes the cache path and key
#   steps.sh install-cli  downloads install.sh (https only), checks its pinned SHA-256, runs it (it checks the binary)
#   steps.sh install      secureinstall install --manifest …, then the shim folder onto GITHUB_PATH
set -eu

say() { printf 'secureinstall-action: %s\n' "$*" >&2; }
# A workflow command is one line: % and line breaks in the message (an input's text) are escaped as the runner requires,
# so an input cannot start a command of its own on the next line.
fail() {
  say "$*"
  printf '::error title=SecureInstall::%s\n' "$(printf '%s' "$*" | sed 's/%/%25/g; s/\r/%0D/g' | awk 'NR > 1 { printf "%%0A" } { printf "%s", $0 }')"
  exit 1
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum -b "$1" | cut -d' ' -f1; else shasum -a 256 -b "$1" | cut -d' ' -f1; fi
}

: "${RUNNER_TEMP:?RUNNER_TEMP is not set (this runs as a step of the SecureInstall action)}"
: "${GITHUB_ENV:?GITHUB_ENV is not set}"
: "${GITHUB_PATH:?GITHUB_PATH is not set}"
: "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
home="$RUNNER_TEMP/secureinstall"

case "${1:-}" in
  setup)
    manifest=${INPUT_MANIFEST:-}
    [ -n "$manifest" ] || fail 'the manifest input is required.'
    [ -f "$manifest" ] || fail "the manifest $manifest is not a file."
    case "${INPUT_PLATFORM:-}" in
      *[!a-z0-9-]*) fail "platform '$INPUT_PLATFORM' is not os-arch (e.g. linux-x64)." ;;
    esac
    if [ -n "${INPUT_REGISTRY:-}" ]; then
      [ -f "$INPUT_REGISTRY" ] || fail "the registry input names $INPUT_REGISTRY, which is not a mirrors.json file."
    fi
    lock="$(dirname "$manifest")/secureinstall.lock.json"
    # The tools and the content-addressed cache live under the runner's temp folder (owned by the runner user, as the
    # cache's ownership rule requires); later steps find them through SECUREINSTALL_HOME.
    mkdir -p "$home"
    chmod 0700 "$home"
    printf 'SECUREINSTALL_HOME=%s\n' "$home" >>"$GITHUB_ENV"
    if [ -f "$lock" ]; then
      # Keyed by the lock's hash: the cache holds exactly the artifacts that lock pins. A restored entry is re-hashed
      # before use anyway (the cache is input, not trust).
      key="secureinstall-${RUNNER_OS:-os}-${RUNNER_ARCH:-arch}-$(sha256_of "$lock")"
      printf 'locked=true\n' >>"$GITHUB_OUTPUT"
    else
      key=''
      say "no lock beside $manifest ($lock): installing unlocked, and not caching."
      printf 'locked=false\n' >>"$GITHUB_OUTPUT"
    fi
    printf 'cache-path=%s\n' "$home/cache" >>"$GITHUB_OUTPUT"
    printf 'cache-key=%s\n' "$key" >>"$GITHUB_OUTPUT"
    printf 'bin=%s\n' "$home/tools/bin" >>"$GITHUB_OUTPUT"
    ;;

  install-cli)
    uri=${INSTALL_SH_URI:?}
    pin=${INSTALL_SH_SHA256:?}
    case "$pin" in
      *[!0-9a-f]*|'') fail "the install.sh pin '$pin' is not a SHA-256 (this version of the action was not released)." ;;
    esac
    [ ${#pin} -eq 64 ] || fail "the install.sh pin '$pin' is not a SHA-256 (this version of the action was not released)."
    work=$(mktemp -d "$RUNNER_TEMP/secureinstall-cli.XXXXXXXX")
    trap 'rm -rf "$work"' EXIT
    curl --fail --silent --show-error --location --proto '=https' --proto-redir '=https' --output "$work/install.sh" "$uri" ||
      fail "could not download $uri over https."
    actual=$(sha256_of "$work/install.sh")
    [ "$actual" = "$pin" ] || fail "ChecksumMismatch: $uri hashes to $actual, not the pinned $pin: not run."
    sh "$work/install.sh" --expected-sha256 "$pin" --prefix "$RUNNER_TEMP/secureinstall-cli"
    printf '%s\n' "$RUNNER_TEMP/secureinstall-cli/bin" >>"$GITHUB_PATH"
    ;;

  install)
    manifest=${INPUT_MANIFEST:?}
    cli="$RUNNER_TEMP/secureinstall-cli/bin/secureinstall"
    [ -x "$cli" ] || fail "$cli is missing: the install-cli step did not run."
    if [ -n "${INPUT_REGISTRY:-}" ]; then
      SECUREINSTALL_MIRRORS=$INPUT_REGISTRY
      export SECUREINSTALL_MIRRORS
    fi
    SECUREINSTALL_HOME=$home
    # The cache folder is the one setup named as cache-path (what actions/cache saves and restores), even when the
    # workflow sets SECUREINSTALL_CACHE for its own steps.
    SECUREINSTALL_CACHE=$home/cache
    export SECUREINSTALL_HOME SECUREINSTALL_CACHE
    set -- install --manifest "$manifest"
    [ -z "${INPUT_PLATFORM:-}" ] || set -- "$@" --platform "$INPUT_PLATFORM"
    [ "${LOCKED:-false}" != true ] || set -- "$@" --locked
    "$cli" "$@"
    printf '%s\n' "$home/tools/bin" >>"$GITHUB_PATH"
    ;;

  *)
    fail "unknown phase '${1:-}' (setup, install-cli, install)."
    ;;
esac
