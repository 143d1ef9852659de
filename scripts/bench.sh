#!/usr/bin/env bash
# make bench: how fast the collection is, measured in one run on one machine (a benchmark, not a
# test: it prints numbers and fails only if something breaks). Every part uses fresh containers.
#
#   1. cold converge (playbooks/site.yml, offline sources, an empty artifact cache) of 4 relays of
#      one platform against 1 relay: one build either way, the deploys run in parallel (goal <= 1.3)
#   2. a configuration rollout (playbooks/rollout.yml, canary / 25 % / rest) across the 4 relays:
#      total time, and per relay the time beyond its reload and its gate (from report.json)
#   3. the idempotent re-run of site.yml on the 4 relays against a one-task no-op play on the same
#      hosts; and, as measured before the rework, the build roles' playbook on one relay
#   4. smtp_ehlo_info: median time of one STARTTLS check on loopback (scripts/bench_probe.py)
#
# Environment: BENCH_RUNS (runs of part 3, default 3), BENCH_PARTS (default "1 2 3 4"; 2 and 3
# use the relays part 1 converged), BENCH_IMAGE.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=lib.sh
. scripts/lib.sh
image=${BENCH_IMAGE:-${MOLECULE_IMAGE_DEBIAN12:-mailrelay/debian-systemd:12}}
runs=${BENCH_RUNS:-3}
parts=" ${BENCH_PARTS:-1 2 3 4} "
want() { [[ $parts == *" $1 "* ]]; }
sources=${MAILRELAY_SOURCES_DIR:-$root/.cache/sources}
work=$root/.cache/bench; rm -rf "$work"; mkdir -p "$work"
export ANSIBLE_COLLECTIONS_PATH=$root/.cache/collections ANSIBLE_PIPELINING=True ANSIBLE_NOCOLOR=1 \
       ANSIBLE_CALLBACK_RESULT_FORMAT=yaml ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks PROFILE_TASKS_TASK_OUTPUT_LIMIT=200
names=(bench-r1 bench-r2 bench-r3 bench-r4)
cleanup() { docker rm -f "${names[@]}" >/dev/null 2>&1 || true; docker network rm mailrelay-bench >/dev/null 2>&1 || true; }
trap cleanup EXIT

start_relays() {
  cleanup
  docker network create mailrelay-bench >/dev/null
  local name
  for name in "$@"; do run_systemd_container "$name" "$name.mailrelay.test" mailrelay-bench "$image"; done
  wait_systemd "$@"
}
inventory() {  # inventory.yml for the given relays; the gate probes from the controller
  {
    echo "relays:"; echo "  hosts:"
    for name in "$@"; do echo "    $name: {ansible_connection: community.docker.docker}"; done
    echo "  vars:"
    echo "    cyrus_sasl_users: [{name: alice, password: alice-bench-secret}]"
    echo "    private_ca_dir: $work/pki"
    echo "    mailrelay_rollout_report_dir: $work/reports"
  } >"$work/inventory.yml"
}
play() { ansible-playbook -i "$work/inventory.yml" -e "@$sources/offline-sources.yml" "$@"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# CPU seconds (user + system) of this shell's finished children so far (ansible-playbook and its
# workers): `times` must run in this shell, not in a $(...) subshell, so it writes to a file first
cpu_snapshot() { times >"$1"; }
cpu_seconds() { awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); t += p[1] * 60 + p[2] } printf "%.2f", t }' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

if want 1; then
say "1/4 cold converge (site.yml, empty artifact cache): 1 relay, then 4 relays of the same platform"
start_relays bench-r1; inventory bench-r1
t0=$(now); XDG_DATA_HOME=$work/xdg-1 play playbooks/site.yml >"$work/cold-1.log" 2>&1 || {
  tail -n 40 "$work/cold-1.log"; echo "ERROR: cold converge of 1 relay failed" >&2; exit 1; }
t1=$(now); one=$(elapsed "$t0" "$t1")
rm -rf "$work/pki"
start_relays "${names[@]}"; inventory "${names[@]}"
t0=$(now); XDG_DATA_HOME=$work/xdg-4 play playbooks/site.yml >"$work/cold-4.log" 2>&1 || {
  tail -n 40 "$work/cold-4.log"; echo "ERROR: cold converge of 4 relays failed" >&2; exit 1; }
t1=$(now); four=$(elapsed "$t0" "$t1")
printf '    1 relay %6ss   4 relays %6ss   ratio %s (goal <= 1.3)   builds: 1 relay %s, 4 relays %s\n' "$one" "$four" "$(ratio "$four" "$one")" \
  "$(grep -c '"action": "built"' "$work/xdg-1/mailrelay/artifacts/builds.jsonl")" "$(grep -c '"action": "built"' "$work/xdg-4/mailrelay/artifacts/builds.jsonl")"
export XDG_DATA_HOME=$work/xdg-4
fi

if want 2; then
say "2/4 a configuration rollout across the 4 relays (MaxMessageSize changes: new sendmail.cf, reload, gate)"
t0=$(now); play playbooks/rollout.yml -e sendmail_config_max_message_size=20971520 >"$work/rollout.log" 2>&1 || {
  tail -n 40 "$work/rollout.log"; echo "ERROR: rollout failed" >&2; exit 1; }
t1=$(now)
printf '    total %ss for 4 relays in 3 batches\n' "$(elapsed "$t0" "$t1")"
python3 - "$work/reports/report.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
for host in report['hosts']:
    s = host['seconds']
    beyond = s['total'] - s.get('reload', 0) - s.get('gate', 0)
    print('    %-9s batch %s: total %5.1fs = reload %4.1fs + gate %5.1fs + beyond %4.1fs' % (
        host['host'], host['batch'], s['total'], s.get('reload', 0), s.get('gate', 0), beyond))
PY
fi

if want 3; then
say "3/4 idempotent re-run against a one-task no-op play on the same hosts (median of $runs)"
cat >"$work/noop.yml" <<'YAML'
- name: One no-op task
  hosts: relays
  tasks:
    - name: Nothing to do
      ansible.builtin.ping:
YAML
cat >"$work/build-roles.yml" <<'YAML'
- name: The build roles alone (as the 0.1.0 benchmark measured them)
  hosts: bench-r1
  roles:
    - role: mailrelay.sendmail.sendmail_build
    - role: mailrelay.sendmail.cyrus_sasl
YAML
: >"$work/idem.txt"; : >"$work/noop.txt"; : >"$work/roles.txt"; : >"$work/noop1.txt"; : >"$work/cpu.txt"; : >"$work/tasks.txt"
for _ in $(seq 1 "$runs"); do
  cpu_snapshot "$work/cpu0"
  t0=$(now); play playbooks/site.yml -e sendmail_config_max_message_size=20971520 >"$work/idem.log" 2>&1; t1=$(now)
  cpu_snapshot "$work/cpu1"
  awk -v a="$(cpu_seconds "$work/cpu0")" -v b="$(cpu_seconds "$work/cpu1")" -v n="${#names[@]}" 'BEGIN { printf "%.1f\n", (b - a) / n }' >>"$work/cpu.txt"
  # tasks executed per relay (ok or changed; skipped ones run nothing on the relay)
  grep -cE '^(ok|changed): \[bench-r1' "$work/idem.log" >>"$work/tasks.txt" || true
  grep -qE '^bench-r1 +: .*changed=0 ' "$work/idem.log" || { tail -n 30 "$work/idem.log"; echo "ERROR: site.yml re-run changed something" >&2; exit 1; }
  elapsed "$t0" "$t1" >>"$work/idem.txt"; echo >>"$work/idem.txt"
  t0=$(now); play "$work/noop.yml" >/dev/null 2>&1; t1=$(now); elapsed "$t0" "$t1" >>"$work/noop.txt"; echo >>"$work/noop.txt"
  t0=$(now); play "$work/build-roles.yml" -e sendmail_config_max_message_size=20971520 >"$work/roles.log" 2>&1; t1=$(now)
  elapsed "$t0" "$t1" >>"$work/roles.txt"; echo >>"$work/roles.txt"
  t0=$(now); play "$work/noop.yml" --limit bench-r1 >/dev/null 2>&1; t1=$(now); elapsed "$t0" "$t1" >>"$work/noop1.txt"; echo >>"$work/noop1.txt"
done
idem=$(grep . "$work/idem.txt" | median); noop=$(grep . "$work/noop.txt" | median)
roles=$(grep . "$work/roles.txt" | median); noop1=$(grep . "$work/noop1.txt" | median)
printf '    site.yml on 4 relays (gate included) %6ss   no-op play %6ss   ratio %s (goal <= 8)\n' "$idem" "$noop" "$(ratio "$idem" "$noop")"
printf '    per relay in that run: %s tasks executed (goal <= 60), %ss of controller CPU\n' "$(median <"$work/tasks.txt")" "$(median <"$work/cpu.txt")"
printf '    build roles on 1 relay               %6ss   no-op play %6ss   ratio %s (0.1.0: 4.6s / 2.0s = 2.3)\n' "$roles" "$noop1" "$(ratio "$roles" "$noop1")"
fi

if want 4; then
say "4/4 smtp_ehlo_info against a local STARTTLS server"
printf '    '; python scripts/bench_probe.py
fi
