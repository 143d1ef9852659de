#!/usr/bin/env bash
# Debian packages the harness needs on the machine that runs `make test` / `make demo`:
# Docker's engine, debootstrap (images), python3-venv (the tool virtualenv), git (ansible-test).
# Installs only what is missing; nothing to do on a machine that has them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v git >/dev/null 2>&1 || missing+=(git)
command -v make >/dev/null 2>&1 || missing+=(make)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
# m4 builds real sendmail.cf text for the cf judge's unit tests; the Public Suffix List makes
# co.uk or github.io count as broad in the sendmail_config checks
command -v m4 >/dev/null 2>&1 || missing+=(m4)
[ -f /usr/share/publicsuffix/public_suffix_list.dat ] || missing+=(publicsuffix)
# promtool checks the metrics role's output and runs the unit tests of its alert rules
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "ERROR: need root to install ${missing[*]}" >&2; exit 1; }
  say "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
