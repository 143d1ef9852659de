#!/usr/bin/env bash
# Run the slow parts of `make test` - every Molecule scenario and the execution-environment test -
# two at a time (TEST_JOBS), after a first scenario alone that fills the artifact cache (every
# later scenario then installs cached artifacts instead of compiling). Each job logs to
# .cache/test-logs/<job>.log; the screen shows one line when a job starts and one when it ends.
# Exits non-zero when any job failed, after the running ones finished, with the end of each failed log.
#
#   scripts/test-jobs.sh FIRST [JOB ...]      a job is a Molecule scenario name or make:<target>
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
logs=$root/.cache/test-logs
mkdir -p "$logs"
jobs_max=${TEST_JOBS:-2}
started=$(date +%s)

stamp() { local s=$(( $(date +%s) - started )); printf '%02d:%02d' $(( s / 60 )) $(( s % 60 )); }
run_job() {
  local job=$1 log=$logs/${1//:/-}.log t0
  t0=$(date +%s)
  case $job in
    make:*) make --no-print-directory "${job#make:}" >"$log" 2>&1 ;;
    *) molecule test -s "$job" >"$log" 2>&1 ;;
  esac
  local rc=$?
  echo "$rc $(( $(date +%s) - t0 ))" >"$log.result"
  return $rc
}
report() {
  local job=$1 log=$logs/${1//:/-}.log rc secs
  read -r rc secs <"$log.result"
  if [ "$rc" = 0 ]; then
    printf '>>> [%s] %-12s passed in %dm%02ds\n' "$(stamp)" "$job" $(( secs / 60 )) $(( secs % 60 ))
  else
    printf '>>> [%s] %-12s FAILED after %dm%02ds (log: %s)\n' "$(stamp)" "$job" $(( secs / 60 )) $(( secs % 60 )) "$log"
    failed+=("$job")
  fi
}

failed=()
first=$1; shift
printf '>>> [%s] %-12s started (alone: it fills the artifact cache)\n' "$(stamp)" "$first"
run_job "$first"; report "$first"

declare -A running=()
for job in "$@"; do
  while [ ${#running[@]} -ge "$jobs_max" ]; do
    wait -n 2>/dev/null || true
    for pid in "${!running[@]}"; do
      if ! kill -0 "$pid" 2>/dev/null; then report "${running[$pid]}"; unset "running[$pid]"; fi
    done
  done
  printf '>>> [%s] %-12s started\n' "$(stamp)" "$job"
  run_job "$job" &
  running[$!]=$job
done
for pid in "${!running[@]}"; do wait "$pid" 2>/dev/null; report "${running[$pid]}"; done

if [ ${#failed[@]} -gt 0 ]; then
  for job in "${failed[@]}"; do
    echo "=== the end of $logs/${job//:/-}.log"
    grep -v -E '^\s*$' "$logs/${job//:/-}.log" | tail -n 60
  done
  echo ">>> [$(stamp)] FAILED: ${failed[*]}"
  exit 1
fi
echo ">>> [$(stamp)] all passed: $first $*"
