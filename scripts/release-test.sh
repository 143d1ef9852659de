#!/usr/bin/env bash
# Prove a release tarball: what `ansible-galaxy collection build` makes installs cleanly into an
# EMPTY collections path and documents everything it ships, from the installed copy alone.
#
#   scripts/release-test.sh [TARBALL]    default: build one from this checkout into a temp dir
#
# Checks (each counted; the script ends with "release-test: N passed, M failed"):
#   - the tarball holds no harness, caches or build output, stays small, and carries every file
#     under plugins/, roles/, playbooks/, meta/ and docs/;
#   - `ansible-galaxy collection install --offline` into an empty path resolves every dependency of
#     galaxy.yml from the pinned `ansible` package (ANSIBLE_COLLECTIONS_PATH=<tmp>:<site-packages>),
#     and `ansible-galaxy collection verify --offline` finds the installed files intact;
#   - ansible-doc, run from a directory outside the checkout with an empty ansible.cfg, documents
#     every module (plugins/modules/*.py), every filter that each plugins/filter/*.py FilterModule
#     returns, and every entry point of every role (roles/*/meta/argument_specs.yml; a public role
#     without one fails), each loaded from the installed copy, with no warning;
#   - `ansible-playbook --syntax-check` passes on every playbook by FQCN (playbooks/*.yml);
#   - antsibull-changelog lints the fragments and makes a release changelog from them (in a copy).
# What to check is discovered from the checkout, so new modules, filters, roles and playbooks are
# covered without touching this script.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
. "$root/scripts/lib.sh"
venv=${VENV:-$root/.venv}
export PATH="$venv/bin:$PATH"
max_kib=${RELEASE_MAX_KIB:-2048}

work=$(mktemp -d /var/tmp/mailrelay-release-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/dist" "$work/collections" "$work/cwd"
coll="$work/collections/ansible_collections/mailrelay/sendmail"
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
[ -d "$site/ansible_collections/community/crypto" ] || {
  echo "ERROR: the ansible package is not installed in $venv; run scripts/venv.sh (make venv) first" >&2; exit 1; }

# Nothing of the checkout or the user's setup may leak in: the installed copy and the ansible
# package are the only collections; the repository's ansible.cfg is not read.
: >"$work/ansible.cfg"
export ANSIBLE_CONFIG="$work/ansible.cfg"
export ANSIBLE_COLLECTIONS_PATH="$work/collections:$site"
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
export ANSIBLE_LOCAL_TEMP="$work/tmp" ANSIBLE_HOME="$work/home"
cd "$work/cwd"

passed=0 failed=0
pass() { passed=$((passed + 1)); printf 'ok     %s\n' "$1"; }
fail() { failed=$((failed + 1)); printf 'FAILED %s\n' "$1"; [ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/       /' | head -n 40; }

# A command's combined output, and whether it mentions a problem ansible-doc/ansible-playbook
# would otherwise only warn about (missing or unparsable documentation, deprecations, errors).
run() { out=$("$@" 2>&1) && rc=0 || rc=$?; }
noisy() { grep -E '\[(WARNING|ERROR|DEPRECATION WARNING)\]|^(WARNING|ERROR)' <<<"$out" || true; }

# ------------------------------------------------------------------ the tarball
if [ $# -gt 0 ]; then
  tarball=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
  [ -f "$tarball" ] || { echo "ERROR: no such tarball: $1" >&2; exit 2; }
else
  run ansible-galaxy collection build --output-path "$work/dist" "$root"
  tarball=$(ls "$work"/dist/mailrelay-sendmail-*.tar.gz 2>/dev/null || true)
  if [ "$rc" = 0 ] && [ -n "$tarball" ] && [ -z "$(noisy)" ]; then pass "ansible-galaxy collection build"
  else fail "ansible-galaxy collection build" "$out"; exit 1; fi
fi
say "testing $tarball"

tar -tzf "$tarball" | sed 's#^\./##' | sort >"$work/listing"
junk=$(grep -E '^(\.venv|\.cache|\.ci|\.config|\.git|\.github|\.pytest_cache|molecule|scripts|context|dist)(/|$)|^tests/(output|ee)(/|$)|(^|/)__pycache__(/|$)|\.pyc$|\.tar\.gz$|^changelogs/\.plugin-cache\.yaml$|^(Makefile|ansible\.cfg|requirements\.txt|execution-environment\.yml|\.gitignore|\.yamllint|\.ansible-lint)$' \
  "$work/listing" || true)
if [ -z "$junk" ]; then pass "tarball holds no harness, caches or build output ($(wc -l <"$work/listing") entries)"
else fail "tarball holds files build_ignore in galaxy.yml should keep out" "$junk"; fi

kib=$(( $(stat -c %s "$tarball") / 1024 ))
if [ "$kib" -le "$max_kib" ]; then pass "tarball is $kib KiB (limit $max_kib KiB)"
else fail "tarball is $kib KiB, more than $max_kib KiB: look for stray files (tar -tvzf $tarball | sort -k3 -n)"; fi

missing=$(cd "$root" && find plugins roles playbooks meta docs -type f ! -path '*/__pycache__/*' ! -name '*.pyc' | sort | comm -23 - "$work/listing")
if [ -z "$missing" ]; then pass "tarball carries every file under plugins/ roles/ playbooks/ meta/ docs/"
else fail "tarball lacks files of the collection (build_ignore too wide?)" "$missing"; fi

# ------------------------------------------------------------------ install into an empty path
run ansible-galaxy collection install --offline -p "$work/collections" "$tarball"
deps=$("$venv/bin/python" -c 'import json, sys, tarfile
m = json.load(tarfile.open(sys.argv[1]).extractfile("MANIFEST.json"))
print(" ".join(m["collection_info"]["dependencies"]))' "$tarball")
unresolved=""
for dep in $deps; do grep -q "'$dep:[^']*' is already installed" <<<"$out" || unresolved+="$dep "; done
if [ "$rc" = 0 ] && [ -f "$coll/MANIFEST.json" ] && [ -z "$unresolved" ] && [ -z "$(noisy)" ]; then
  pass "installs into an empty collections path; dependencies from the ansible package: $deps"
else
  fail "ansible-galaxy collection install into an empty path${unresolved:+ (not resolved locally: $unresolved)}" "$out"
  echo "release-test: $passed passed, $failed failed"; exit 1
fi

run ansible-galaxy collection verify --offline mailrelay.sendmail
if [ "$rc" = 0 ] && grep -q "$coll" <<<"$out"; then pass "ansible-galaxy collection verify --offline: installed files match the manifest"
else fail "ansible-galaxy collection verify --offline" "$out"; fi

run ansible-galaxy collection list --format json mailrelay.sendmail
if [ "$rc" = 0 ] && [ "$("$venv/bin/python" -c 'import json, sys; print(list(json.loads(sys.stdin.read())))' <<<"$out")" = "['$work/collections/ansible_collections']" ]; then
  pass "mailrelay.sendmail is found only in the temporary collections path"
else fail "mailrelay.sendmail must be found only in $work/collections" "$out"; fi

# ------------------------------------------------------------------ documentation of every plugin and role
# One ansible-doc call per plugin type (and one for all roles), so that the test stays quick on a
# busy machine; every plugin and entry point is still judged on its own.
# doc_check TYPE NAME... with NAME = FQCN, or FQCN:ENTRY_POINT for roles.
doc_check() {
  local type=$1; shift
  local names=() line
  for line in "$@"; do names+=("${line%%:*}"); done
  mapfile -t names < <(printf '%s\n' "${names[@]}" | sort -u)
  "$venv/bin/ansible-doc" -t "$type" --json "${names[@]}" >"$work/doc.json" 2>"$work/doc.err" && rc=0 || rc=$?
  if [ "$rc" != 0 ] && [ ${#names[@]} -gt 1 ]; then
    # ansible-doc stops at the first plugin it cannot document: ask one by one to say which
    local one=()
    for line in "${names[@]}"; do
      mapfile -t one < <(printf '%s\n' "$@" | grep -E "^${line//./\\.}(:|\$)")
      doc_check "$type" "${one[@]}"
    done
    return
  fi
  while IFS=$'\t' read -r verdict label detail; do
    if [ "$verdict" = ok ]; then pass "$label"; else fail "$label" "${detail//\\n/$'\n'}"; fi
  done < <("$venv/bin/python" - "$work/doc.json" "$work/doc.err" "$rc" "$type" "$coll" "$@" <<'PY'
import json, re, sys
doc_file, err_file, rc, kind, coll = sys.argv[1:6]
wanted = sys.argv[6:]
try:
    with open(doc_file) as f:
        docs = json.load(f)
except ValueError:
    docs = {}
with open(err_file) as f:
    err = [line for line in f.read().splitlines() if line.strip()]


def options(opts, where, problems):
    for key, spec in (opts or {}).items():
        if not spec.get('description'):
            problems.append(f'{where}option {key} has no description')
        options(spec.get('suboptions') or spec.get('options'), f'{where}{key}.', problems)


for item in wanted:
    name, _, entry = item.partition(':')
    short = name.rsplit('.', 1)[-1]
    # what ansible-doc said about this plugin on stderr (missing or unparsable documentation)
    problems = [line for line in err if re.search(r'\b' + re.escape(name) + r'\b', line)]
    data = docs.get(name)
    if not data:
        problems.append(f'ansible-doc found no documented {kind} {name} (exit {rc})')
    elif kind == 'role':
        if not str(data.get('path', '')).startswith(coll):
            problems.append(f'loaded from {data.get("path")}, not from the installed copy')
        ep = (data.get('entry_points') or {}).get(entry)
        if not ep:
            problems.append(f'no entry point {entry}')
        else:
            if not ep.get('short_description'):
                problems.append(f'entry point {entry} has no short_description')
            options(ep.get('options'), '', problems)
    else:
        doc = data.get('doc') or {}
        if not str(doc.get('filename', '')).startswith(coll):
            problems.append(f'loaded from {doc.get("filename")}, not from the installed copy')
        # a file's DOCUMENTATION is shown for every plugin in it that has none of its own (several
        # filters in one file): the documented name must be this plugin's
        documented = doc.get('module' if kind == 'module' else 'name')
        if documented != short:
            problems.append(f'documented as {documented!r}: no documentation of its own (a file with several '
                            f'filters documents each in plugins/{kind}/<filter name>.yml and has no DOCUMENTATION itself)')
        for key, what in (('short_description', 'short_description'), ('description', 'description')):
            if not doc.get(key):
                problems.append(f'no {what}')
        if not data.get('examples'):
            problems.append('no EXAMPLES')
        if not data.get('return'):
            problems.append('no RETURN')
        options(doc.get('options'), '', problems)
    label = f'ansible-doc -t {kind}' + (f' -e {entry}' if entry else '') + f' {name}'
    print('\t'.join(['FAILED' if problems else 'ok', label, '\\n'.join(problems)]))

# warnings that name none of the plugins asked about still count
named = [line for line in err if not any(re.search(r'\b' + re.escape(w.partition(':')[0]) + r'\b', line) for w in wanted)]
noise = [line for line in named if re.search(r'WARNING|ERROR|DEPRECATION', line)]
if noise:
    print('\t'.join(['FAILED', f'ansible-doc -t {kind} printed warnings', '\\n'.join(noise)]))
PY
  )
}

# modules: one per plugins/modules/*.py
modules=()
for f in "$root"/plugins/modules/*.py; do
  case ${f##*/} in __init__.py) ;; *) [ -f "$f" ] && modules+=("$(basename "$f" .py)") ;; esac
done
[ ${#modules[@]} -eq 0 ] || doc_check module "${modules[@]/#/mailrelay.sendmail.}"
run ansible-doc -t module -l mailrelay.sendmail
listed=$(awk '{print $1}' <<<"$out" | sed -n 's/^mailrelay\.sendmail\.//p' | sort)
if [ "$listed" = "$(printf '%s\n' "${modules[@]}" | sed '/^$/d' | sort)" ]; then pass "ansible-doc -l lists exactly the ${#modules[@]} modules of plugins/modules/"
else fail "ansible-doc -t module -l differs from plugins/modules/*.py" "listed: ${listed//$'\n'/ }; files: ${modules[*]}"; fi

# filters: every name each plugins/filter/*.py FilterModule returns, imported from the installed copy
mapfile -t filters < <("$venv/bin/python" - "$root/plugins/filter" <<'PY'
import importlib, os, sys
from ansible.plugins.loader import init_plugin_loader
init_plugin_loader()
folder = sys.argv[1]
for fname in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
    if not fname.endswith('.py') or fname.startswith('__'):
        continue
    module = importlib.import_module('ansible_collections.mailrelay.sendmail.plugins.filter.' + fname[:-3])
    if hasattr(module, 'FilterModule'):
        for name in sorted(module.FilterModule().filters()):
            print(name)
PY
)
if [ ${#filters[@]} -gt 0 ]; then doc_check filter "${filters[@]/#/mailrelay.sendmail.}"
else say "no filter plugins in plugins/filter/ (nothing to check)"; fi

# roles: every entry point of roles/*/meta/argument_specs.yml
entries=()
for dir in "$root"/roles/*/; do
  role=$(basename "$dir")
  spec="$dir/meta/argument_specs.yml"
  if [ ! -f "$spec" ]; then
    case $role in
      _*) say "private role $role has no meta/argument_specs.yml (not documented, fine)" ;;
      *) fail "role $role has no meta/argument_specs.yml (ansible-doc cannot document it; mirror its defaults there)" ;;
    esac
    continue
  fi
  mapfile -t eps < <("$venv/bin/python" -c 'import sys, yaml; print("\n".join(yaml.safe_load(open(sys.argv[1]))["argument_specs"]))' "$spec")
  for ep in "${eps[@]}"; do
    entries+=("mailrelay.sendmail.$role:$ep")
    if [ -f "$coll/roles/$role/tasks/$ep.yml" ] || [ -f "$coll/roles/$role/tasks/$ep.yaml" ]; then
      pass "role $role entry point $ep has tasks/$ep.yml"
    else fail "role $role: argument_specs has entry point $ep but the installed role has no tasks/$ep.yml"; fi
  done
done
[ ${#entries[@]} -eq 0 ] || doc_check role "${entries[@]}"

# playbooks: every playbooks/*.yml by FQCN
printf '[relays]\nrelay1.example.org\n[clients]\nclient.example.org\n' >"$work/inventory.ini"
for pb in "$root"/playbooks/*.yml; do
  [ -f "$pb" ] || continue
  name="mailrelay.sendmail.$(basename "$pb" .yml)"
  run ansible-playbook -i "$work/inventory.ini" --syntax-check "$name"
  if [ "$rc" = 0 ] && [ -z "$(noisy)" ] && grep -q "playbook: $coll/playbooks/" <<<"$out"; then
    pass "ansible-playbook --syntax-check $name (from the installed copy)"
  else fail "ansible-playbook --syntax-check $name" "$out"; fi
done

# ------------------------------------------------------------------ changelog
cd "$root"
run antsibull-changelog lint
if [ "$rc" = 0 ] && [ -z "$out" ]; then pass "antsibull-changelog lint"; else fail "antsibull-changelog lint" "$out"; fi
mkdir -p "$work/changelog"
tar -C "$root" --exclude=./.venv --exclude=./.cache --exclude=./.git --exclude=./tests/output --exclude='./*.tar.gz' -c . | tar -x -C "$work/changelog"
version=$(sed -n 's/^version: *//p' "$root/galaxy.yml")
cd "$work/changelog"
run antsibull-changelog release
if [ "$rc" = 0 ] && grep -q "^v$version" CHANGELOG.rst 2>/dev/null && ! ls changelogs/fragments/*.y*ml >/dev/null 2>&1; then
  pass "antsibull-changelog release makes CHANGELOG.rst for v$version from the fragments (in a copy)"
else fail "antsibull-changelog release (in a copy of the checkout)" "$out"; fi
cd "$work/cwd"

echo "release-test: $passed passed, $failed failed"
[ "$failed" = 0 ]
