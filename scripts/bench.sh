#!/usr/bin/env bash
# make bench: how fast the roles are, measured against honest baselines in one run on the
# same image (a benchmark, not a test: it prints numbers and fails only if something breaks).
#
#   1. cold converge of the build scenario's playbook (cyrus_sasl + sendmail_build) on a fresh
#      container, vs. the same work done by a plain shell script (scripts/bench/plain-build.sh)
#      on another fresh container: ratio, goal <= 1.15
#   2. idempotent re-run of that playbook vs. a one-task no-op play on the same container
#      (median of BENCH_RUNS runs each): ratio, goal <= 3
#   3. smtp_ehlo_info: median time of one STARTTLS check on loopback (scripts/bench_probe.py)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=lib.sh
. scripts/lib.sh
image=${BENCH_IMAGE:-${MOLECULE_IMAGE_DEBIAN12:-mailrelay/debian-systemd:12}}
runs=${BENCH_RUNS:-3}
sources=${MAILRELAY_SOURCES_DIR:-$root/.cache/sources}
work=$root/.cache/bench; rm -rf "$work"; mkdir -p "$work"
export ANSIBLE_COLLECTIONS_PATH=$root/.cache/collections ANSIBLE_PIPELINING=True \
       ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_NOCOLOR=1 MOLECULE_PROJECT_DIRECTORY=$root \
       ANSIBLE_CALLBACK_RESULT_FORMAT=yaml ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks PROFILE_TASKS_TASK_OUTPUT_LIMIT=200
cleanup() { docker rm -f mailrelay-bench-plain mailrelay-bench-role >/dev/null 2>&1 || true; }
trap cleanup EXIT

start_container() {
  docker rm -f "$1" >/dev/null 2>&1 || true
  docker run -d --name "$1" --hostname "$2" --cap-add SYS_ADMIN --cgroupns host \
    -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock "$image" >/dev/null
  for _ in $(seq 1 50); do
    state=$(docker exec "$1" systemctl is-system-running 2>/dev/null || true)
    case "$state" in running|degraded) return 0 ;; esac
    sleep 0.2
  done
  echo "ERROR: $1 did not boot (state: ${state:-none})" >&2; return 1
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

cat >"$work/inventory.yml" <<YAML
all:
  hosts:
    mailrelay-bench-role:
      ansible_connection: community.docker.docker
  vars:
    cyrus_sasl_users:
      - {name: alice, password: alice-bench-secret}
      - {name: bob, password: bob-bench-secret}
YAML
cat >"$work/noop.yml" <<'YAML'
- name: One no-op task
  hosts: all
  tasks:
    - name: Nothing to do
      ansible.builtin.ping:
YAML
play() { ansible-playbook -i "$work/inventory.yml" "$@"; }

say "1/3 cold build: plain shell script vs. the roles, each on a fresh $image container"
start_container mailrelay-bench-plain bench-plain.mailrelay.test
docker cp "$sources/." mailrelay-bench-plain:/src
docker cp scripts/bench/plain-build.sh mailrelay-bench-plain:/plain-build.sh
t0=$(now); docker exec mailrelay-bench-plain sh /plain-build.sh >"$work/plain.log" 2>&1 || {
  tail -n 30 "$work/plain.log"; echo "ERROR: plain build failed" >&2; exit 1; }
t1=$(now); plain=$(elapsed "$t0" "$t1")
docker rm -f mailrelay-bench-plain >/dev/null

start_container mailrelay-bench-role bench-role.mailrelay.test
t0=$(now); play molecule/build/converge.yml >"$work/cold.log" 2>&1 || {
  tail -n 40 "$work/cold.log"; echo "ERROR: cold converge failed" >&2; exit 1; }
t1=$(now); cold=$(elapsed "$t0" "$t1")
printf '    plain script %6ss   roles (cold converge) %6ss   ratio %s (goal <= 1.15)\n' "$plain" "$cold" "$(ratio "$cold" "$plain")"
sed -n 's/^phase \(.*\)/      plain: \1 (cumulative)/p' "$work/plain.log"
grep -E ' -{2,} [0-9.]+s$' "$work/cold.log" | head -n 6 | sed 's/^mailrelay.sendmail./      roles: /'

say "2/3 idempotent re-run vs. a one-task no-op play on the same container (median of $runs)"
: >"$work/idem.txt"; : >"$work/noop.txt"
for _ in $(seq 1 "$runs"); do
  t0=$(now); play molecule/build/converge.yml >"$work/idem.log" 2>&1; t1=$(now)
  grep -q 'changed=0 .*failed=0' "$work/idem.log" || { tail -n 30 "$work/idem.log"; echo "ERROR: re-run changed something" >&2; exit 1; }
  elapsed "$t0" "$t1" >>"$work/idem.txt"; echo >>"$work/idem.txt"
  t0=$(now); play "$work/noop.yml" >"$work/noop.log" 2>&1; t1=$(now)
  elapsed "$t0" "$t1" >>"$work/noop.txt"; echo >>"$work/noop.txt"
done
idem=$(grep . "$work/idem.txt" | median); noop=$(grep . "$work/noop.txt" | median)
printf '    no-op play %6ss   idempotent converge %6ss   ratio %s (goal <= 3)\n' "$noop" "$idem" "$(ratio "$idem" "$noop")"
grep -E '^mailrelay-bench-role +:' "$work/idem.log" | sed 's/^/    last re-run: /'

say "3/3 smtp_ehlo_info against a local STARTTLS server"
printf '    '; python scripts/bench_probe.py
