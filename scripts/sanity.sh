#!/usr/bin/env bash
# Run `ansible-test sanity` on the collection, on a machine that cannot reach Ansible's CI
# file host (where ansible-test downloads its pip bootstrap script) but can reach PyPI.
#
#   scripts/sanity.sh                 # every sanity test, Python from SANITY_PYTHON (3.11)
#   scripts/sanity.sh --test pep8     # extra arguments go to ansible-test sanity
#
# Needs scripts/venv.sh to have run (ansible-test comes with ansible-core in .venv).
# As root on Debian it installs shellcheck when missing, as venv.sh installs python3-venv.
# 1. Writes the pip bootstrap script ansible-test would download: it bootstraps pip with
#    ensurepip and installs what ansible-test asks for from PyPI, with the machine's own
#    pip configuration (ensurepip hides it behind PIP_CONFIG_FILE=/dev/null).
# 2. Copies the files git tracks (as they are in the working tree) to
#    .cache/sanity/ansible_collections/mailrelay/sendmail - ansible-test wants that layout
#    and a git repository, and refuses a path that only a symlink makes look right.
# 3. Runs ansible-test sanity --venv there. Sanity virtualenvs are cached by ansible-test in
#    ~/.ansible/test/venv, so only the first run installs from PyPI.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
. "$root/scripts/lib.sh"
venv=${VENV:-$root/.venv}
python_version=${SANITY_PYTHON:-3.11}

[ -x "$venv/bin/ansible-test" ] || { echo "ERROR: $venv/bin/ansible-test missing; run scripts/venv.sh first" >&2; exit 1; }

# ansible-test skips its shellcheck test (with a warning only) when the program is missing
if ! command -v shellcheck >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  say "installing shellcheck"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null
fi

# --- 1. the pip bootstrap script, named after the pip version this ansible-test pins
ansible_test_dir=$("$venv/bin/python" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')
pip_version=$(sed -n "s/^ *pip='\([0-9.]*\)',\$/\1/p" "$ansible_test_dir/_internal/python_requirements.py" | head -n1)
[ -n "$pip_version" ] || { echo "ERROR: cannot find the pip version ansible-test pins" >&2; exit 1; }
bootstrap="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
mkdir -p "$(dirname "$bootstrap")"
cat >"$bootstrap.tmp" <<'EOF'
"""Stand-in for ansible-test's get-pip bootstrap script, written by mailrelay.sendmail's scripts/sanity.sh.

ansible-test runs it in a fresh virtualenv with pip's install arguments (pip==X and friends).
"""
import ensurepip
import os
import subprocess
import sys

# ensurepip clears PIP_* settings and points PIP_CONFIG_FILE at /dev/null; the install below
# needs the machine's pip configuration (index, CA bundle), so keep the environment from before.
environment = dict(os.environ)
if environment.get('PIP_CONFIG_FILE') == os.devnull:
    del environment['PIP_CONFIG_FILE']
ensurepip.bootstrap(upgrade=True)
arguments = [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install'] + arguments, env=environment))
EOF
mv "$bootstrap.tmp" "$bootstrap"

# --- 2. the collection as ansible-test wants it
tree="$root/.cache/sanity/ansible_collections/mailrelay/sendmail"
keep="$root/.cache/sanity/output"   # ansible-test's delegation venv lives in tests/output: keep it
rm -rf "$keep"
[ -d "$tree/tests/output" ] && mv "$tree/tests/output" "$keep"
rm -rf "$tree"
mkdir -p "$tree/tests"
[ -d "$keep" ] && mv "$keep" "$tree/tests/output"
(cd "$root" && git ls-files -z | while IFS= read -r -d '' f; do [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"; done \
  | tar --null -T - -cf -) | tar -C "$tree" -xf -
(cd "$tree" && git init -q && git add -A)

# --- 3. run
say "ansible-test sanity (python $python_version) in $tree"
cd "$tree"
started=$(date +%s)
status=0
"$venv/bin/ansible-test" sanity --venv --python "$python_version" --color no "$@" || status=$?
say "ansible-test sanity finished in $(( $(date +%s) - started ))s with status $status"
exit "$status"
