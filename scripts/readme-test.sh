#!/usr/bin/env bash
# The README's example, run exactly as written: the inventory files are cut out of README.md
# (every ```ini/```yaml block whose first line names a file under inventory/), the commands are
# the README's own ```sh block, and the relays are two bare containers named as in the example
# (relay1.example.org on Debian 12, relay2.example.org on Debian 13). Only what a user adds by
# hand is added here: the vault with the two passwords, how to reach the hosts (the Docker
# connection), and the offline sources in sources/ beside the inventory, as the README says.
# `--ask-vault-pass` becomes `--vault-password-file` (nobody is there to type).
#
# Checks (the script ends with "readme-test: N passed, M failed"): site.yml succeeds on both
# relays and its gate says "all checks passed"; a second site.yml changes nothing; verify.yml
# succeeds; a message relay2 takes locally reaches relay1 authenticated as relay2 (the host_vars
# example) over TLS relay2 verified; the vault's passwords appear in none of the output.
#
# Environment: README_TEST_KEEP=1 keeps the containers and .cache/readme-test afterwards.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=lib.sh
. scripts/lib.sh
export PATH="${VENV:-$root/.venv}/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH:-$root/.cache/collections} ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
work=$root/.cache/readme-test
sources=${MAILRELAY_SOURCES_DIR:-$root/.cache/sources}
net=mailrelay-readme
declare -A images=([relay1.example.org]=${MOLECULE_IMAGE_DEBIAN12:-mailrelay/debian-systemd:12}
                   [relay2.example.org]=${MOLECULE_IMAGE_DEBIAN13:-mailrelay/debian-systemd:13})
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  [ -n "${README_TEST_KEEP:-}" ] && return 0
  docker rm -f "${!images[@]}" >/dev/null 2>&1 || true
  docker network rm "$net" >/dev/null 2>&1 || true
}
trap cleanup EXIT
passed=0 failed=0
check() {  # check "what" command...
  local what=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "ok     $what"; else failed=$((failed + 1)); echo "FAILED $what"; fi
}

# ------------------------------------------------------------------ the user's files
rm -rf "$work"; mkdir -p "$work/sources"
python3 - "$root/README.md" "$work" <<'PY'
import os, re, sys
readme, work = sys.argv[1:3]
text = open(readme, encoding='utf-8').read()
blocks = re.findall(r'^```(\w+)\n(.*?)^```', text, re.S | re.M)
written = []
for lang, body in blocks:
    first = body.splitlines()[0] if body else ''
    m = re.match(r'#\s*(inventory/\S+?\.(?:ini|yml|yaml))\b', first)
    if lang in ('ini', 'yaml') and m:
        path = os.path.join(work, m.group(1))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(body)
        written.append(m.group(1))
commands = [b for lang, b in blocks if lang == 'sh' and 'playbooks/site.yml' in b]
if len(commands) != 1 or len(written) < 3:
    sys.exit('README.md: expected the inventory blocks and one sh block with playbooks/site.yml, found %s and %d' % (written, len(commands)))
with open(os.path.join(work, 'commands.sh'), 'w', encoding='utf-8') as f:
    f.write(commands[0])
print('>>> from README.md: ' + ', '.join(written))
PY
cp "$sources"/* "$work/sources/"
# what the user keeps in a vault, and how this machine reaches the hosts
pass1=readme-alice-$RANDOM$RANDOM pass2=readme-relay2-$RANDOM$RANDOM
mkdir -p "$work/inventory/group_vars/all"
printf 'readme-test-vault-%s\n' "$RANDOM$RANDOM" >"$work/vault-pass"
printf 'vault_alice_smtp_password: %s\nvault_relay2_smtp_password: %s\n' "$pass1" "$pass2" >"$work/inventory/group_vars/all/vault.yml"
ansible-vault encrypt --vault-password-file "$work/vault-pass" "$work/inventory/group_vars/all/vault.yml" >/dev/null
printf 'ansible_connection: community.docker.docker\n' >"$work/inventory/group_vars/all/connection.yml"

# ------------------------------------------------------------------ two bare relays
cleanup
docker network create "$net" >/dev/null
for name in "${!images[@]}"; do run_systemd_container "$name" "$name" "$net" "${images[$name]}"; done
wait_systemd "${!images[@]}"

# ------------------------------------------------------------------ the README's commands
run_readme() {  # run_readme LOG [PLAYBOOK-FILTER]: the README's command lines for that playbook
  local log=$1 filter=$2 line
  while IFS= read -r line; do
    line=${line%%#*}
    [[ $line == *ansible-playbook* && $line == *"$filter"* ]] || continue
    line=${line//--ask-vault-pass/}
    line=${line/-i inventory/-i $work/inventory}
    say "${line//$work/.cache/readme-test}"
    # shellcheck disable=SC2086  # the README's words, split as a shell would
    ansible-playbook --vault-password-file "$work/vault-pass" ${line#*ansible-playbook} >>"$log" 2>&1 || return 1
  done <"$work/commands.sh"
}
recap_changed_zero() { awk '/PLAY RECAP/{r=1} r && /changed=/{ if ($0 !~ /changed=0 /) bad=1 } END{exit bad}' "$1"; }
recap_hosts_ok() { grep -Eq 'relay1\.example\.org +: ok=[0-9]+ .*failed=0' "$1" && grep -Eq 'relay2\.example\.org +: ok=[0-9]+ .*failed=0' "$1"; }

check "site.yml (README) succeeds on both relays" run_readme "$work/site-1.log" site.yml
check "the gate in site.yml: all checks passed, unreachable=0" \
  bash -c "grep -q 'all checks passed' '$work/site-1.log' && ! grep -Eq 'unreachable=[1-9]' '$work/site-1.log'"
check "site.yml again succeeds" run_readme "$work/site-2.log" site.yml
check "second run recap: changed=0 on every host" recap_changed_zero "$work/site-2.log"
check "verify.yml (README) succeeds" run_readme "$work/verify.log" verify.yml
check "verify.yml recap: both relays ok, none failed" recap_hosts_ok "$work/verify.log"

# relay2 sends through relay1 (host_vars example): AuthInfo as relay2, over TLS it verified
marker=readme-$RANDOM$RANDOM
printf 'Subject: %s\n\nthrough relay1\n' "$marker" | docker exec -i relay2.example.org /usr/sbin/sendmail -f "root@relay2.example.org" postmaster@relay1.example.org
relayed() {
  for _ in $(seq 1 30); do
    docker exec relay1.example.org journalctl -q --no-pager -t sendmail | grep -q 'AUTH=server, relay=relay2\.example\.org.*authid=relay2' \
      && docker exec relay2.example.org journalctl -q --no-pager -t sendmail | grep -q 'STARTTLS=client, relay=relay1\.example\.org.*verify=OK' \
      && return 0
    sleep 2
  done
  return 1
}
check "relay2 relays through relay1: AUTH=server authid=relay2 on relay1, STARTTLS=client verify=OK on relay2" relayed
check "the vault's passwords are in no output" bash -c "! grep -rqF -e '$pass1' -e '$pass2' '$work'/*.log"

echo "readme-test: $passed passed, $failed failed (logs: $work/*.log)"
[ "$failed" = 0 ]
