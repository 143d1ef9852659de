#!/usr/bin/env bash
# Create/refresh the project's Python virtualenv (.venv) with the pinned tools from
# requirements.txt, and lay the repository out as an Ansible collection
# (.cache/collections/ansible_collections/mailrelay/sendmail -> repository root) so that
# ansible, ansible-lint, molecule and ansible-test all find `mailrelay.sendmail`.
# Re-installs only when requirements.txt changed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
. "$root/scripts/lib.sh"
venv=${VENV:-$root/.venv}
py=${PYTHON:-python3}

if ! "$py" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  say "installing python3-venv"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
fi
[ -x "$venv/bin/python" ] || "$py" -m venv "$venv"

stamp="$venv/.requirements.sha256"
want=$(sha256_of "$root/requirements.txt")
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing pinned tools into $venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$root/requirements.txt" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  echo "$want" >"$stamp"
fi

# the repository is the collection; give Ansible the ansible_collections/<ns>/<name> path it wants
coll="$root/.cache/collections/ansible_collections/mailrelay"
mkdir -p "$coll"
ln -sfn ../../../.. "$coll/sendmail"
[ -f "$coll/sendmail/galaxy.yml" ] || { echo "ERROR: collection link broken: $coll/sendmail" >&2; exit 1; }
