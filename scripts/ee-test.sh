#!/usr/bin/env bash
# Run a job inside the execution environment the way AWX does, and check what it did.
#
#   scripts/ee-test.sh
#       the built-in job (tests/ee/project/ee_check.yml) against a relay container it starts
#   scripts/ee-test.sh --playbook mailrelay.sendmail.verify --inventory INVENTORY [--mount DIR ...]
#       any playbook of the collection (by FQCN) against an inventory of your own, for example the
#       relays of a converged Molecule scenario; --mount makes a host directory (a CA, a report
#       directory) visible at the same path inside the EE
#
# How AWX runs a job: the control plane lays out a private data dir (project, inventory, extra
# vars) and streams it with `ansible-runner transmit`; on the execution node receptor starts the EE
# image with `ansible-runner worker`, which runs ansible-playbook inside the container and streams
# the job events back; `ansible-runner process` writes them to <private data dir>/artifacts.
# This script does exactly that with docker in receptor's place: the EE container runs as AWX runs
# it (the image's user 1000, workdir /runner), with the Docker engine's socket mounted so that
# ansible_connection=community.docker.docker reaches hosts in containers.
#
# Checks (scripts/ee-test.sh ends with "ee-test: N passed, M failed"): the runner's status and rc,
# the playbook_on_stats event (every inventory host ok, none failed or unreachable), and for the
# built-in job the task results carried in the job events (the certificate issued by the private_ca
# role with the CA inside the EE, the STARTTLS probe from inside the EE verified against that CA,
# the Docker API reached from the EE's Python).
#
# Environment: EE_IMAGE (default mailrelay/ee:<collection version>), RELAY_IMAGE (default
# mailrelay/debian-systemd:12), EE_TEST_KEEP=1 keeps the relay container and network afterwards.
# The private data dir of the last run stays in .cache/ee-test/ (artifacts/job_events).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
. "$root/scripts/lib.sh"
venv=${VENV:-$root/.venv}
export PATH="$venv/bin:$PATH"

version=$(sed -n 's/^version: *//p' "$root/galaxy.yml")
ee_image=${EE_IMAGE:-mailrelay/ee:$version}
relay_image=${RELAY_IMAGE:-${MOLECULE_IMAGE_DEBIAN12:-mailrelay/debian-systemd:12}}
playbook="" inventory="" mounts=()
while [ $# -gt 0 ]; do
  case $1 in
    --playbook) playbook=$2; shift 2 ;;
    --inventory) inventory=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift 2 ;;
    --mount) mounts+=(-v "$2:$2"); shift 2 ;;
    *) echo "usage: $0 [--playbook FQCN --inventory FILE [--mount DIR ...]]" >&2; exit 2 ;;
  esac
done
if [ -n "$playbook$inventory" ] && { [ -z "$playbook" ] || [ -z "$inventory" ]; }; then
  echo "ERROR: --playbook and --inventory go together" >&2; exit 2
fi

command -v ansible-runner >/dev/null || { echo "ERROR: ansible-runner missing; run scripts/venv.sh (make venv)" >&2; exit 1; }
"$root/scripts/docker-engine.sh"
docker image inspect "$ee_image" >/dev/null 2>&1 || { echo "ERROR: image $ee_image missing; run make ee" >&2; exit 1; }

socket=/var/run/docker.sock
case ${DOCKER_HOST:-} in unix://*) socket=${DOCKER_HOST#unix://} ;; esac
[ -S "$socket" ] || { echo "ERROR: no Docker socket at $socket" >&2; exit 1; }

net=ee-test relay=ee-test-relay relay_name=relay.ee.mailrelay.test job=ee-test-job
pdd=$root/.cache/ee-test
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  docker rm -f "$job" >/dev/null 2>&1 || true
  # the relay and its network exist only for the built-in job
  if [ -z "$playbook" ] && [ -z "${EE_TEST_KEEP:-}" ]; then
    docker rm -f "$relay" >/dev/null 2>&1 || true
    docker network rm "$net" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
start=$(date +%s)

# ------------------------------------------------------------------ the private data dir
rm -rf "$pdd"
mkdir -p "$pdd/inventory" "$pdd/env"
if [ -z "$playbook" ]; then
  cp -r "$root/tests/ee/project" "$pdd/project"
  playbook_file=ee_check.yml
  cat >"$pdd/inventory/hosts.yml" <<EOF
relays:
  hosts:
    $relay:
      ansible_connection: community.docker.docker
      ansible_python_interpreter: /usr/bin/python3
EOF
  cat >"$pdd/env/extravars" <<EOF
ee_test_relay_name: $relay_name
ee_test_container: $relay
EOF
else
  # an AWX project holds playbook files; one that imports the collection's playbook by FQCN is
  # how a job template runs mailrelay.sendmail.site or .verify (docs/awx.md)
  mkdir -p "$pdd/project"
  playbook_file=job.yml
  printf -- '---\n- name: Run %s\n  ansible.builtin.import_playbook: %s\n' "$playbook" "$playbook" >"$pdd/project/$playbook_file"
  if [ -d "$inventory" ]; then cp -rL "$inventory"/. "$pdd/inventory/"; else cp -L "$inventory" "$pdd/inventory/"; fi
fi
# what AWX sets for every job: no colour, no retry files; a job may take long but not forever
cat >"$pdd/env/envvars" <<EOF
ANSIBLE_FORCE_COLOR: "False"
ANSIBLE_RETRY_FILES_ENABLED: "False"
ANSIBLE_HOST_KEY_CHECKING: "False"
EOF
printf 'job_timeout: 3600\n' >"$pdd/env/settings"

# ------------------------------------------------------------------ the relay (built-in job only)
if [ -z "$playbook" ]; then
  # leftovers of an earlier run (EE_TEST_KEEP=1, or one that was killed)
  docker rm -f "$relay" >/dev/null 2>&1 || true
  docker network rm "$net" >/dev/null 2>&1 || true
  docker network create "$net" >/dev/null
  docker run -d --name "$relay" --hostname "$relay_name" --network "$net" --network-alias "$relay_name" \
    --cap-add SYS_ADMIN --cgroupns host -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock \
    "$relay_image" /lib/systemd/systemd >/dev/null
  for _ in $(seq 1 30); do
    state=$(docker exec "$relay" systemctl is-system-running 2>/dev/null || true)
    case $state in running|degraded) break ;; esac
    sleep 1
  done
  say "relay container $relay ($relay_image): systemd ${state:-not answering}"
  net_args=(--network "$net")
else
  net_args=()
fi

# ------------------------------------------------------------------ the job, as AWX runs it
say "ansible-runner transmit | docker run $ee_image ansible-runner worker | ansible-runner process"
set +e
ansible-runner transmit "$pdd" -p "$playbook_file" --ident ee-test \
  | docker run --rm -i --name "$job" "${net_args[@]}" "${mounts[@]}" \
      -v "$socket:/var/run/docker.sock" --group-add "$(stat -c %g "$socket")" \
      "$ee_image" ansible-runner worker --private-data-dir=/runner \
  | ansible-runner process "$pdd"
pipe=("${PIPESTATUS[@]}")
set -e
art="$pdd/artifacts"   # `ansible-runner process` writes status, rc, stdout and job_events here

# ------------------------------------------------------------------ what the job did
rc=0
python3 - "$art" "${pipe[*]}" "$([ -z "$playbook" ] && echo builtin || echo custom)" <<'PY' || rc=$?
import glob, json, os, sys
art, pipe, mode = sys.argv[1:4]
passed = failed = 0

def check(ok, what, detail=''):
    global passed, failed
    if ok:
        passed += 1
        print('ok     ' + what)
    else:
        failed += 1
        print('FAILED ' + what + (('\n       ' + str(detail)[:2000]) if detail else ''))

def read(name):
    try:
        with open(os.path.join(art, name)) as f:
            return f.read().strip()
    except OSError:
        return None

check(pipe.split() == ['0', '0', '0'], 'transmit | worker in the EE | process all exit 0', f'exit codes {pipe}')
check(read('status') == 'successful', 'runner status is successful', read('status'))
check(read('rc') == '0', 'ansible-playbook rc is 0', read('rc'))

events = []
for path in glob.glob(os.path.join(art, 'job_events', '*.json')):
    with open(path) as f:
        events.append(json.load(f))
events.sort(key=lambda e: e.get('counter', 0))
check(len(events) > 0, f'job events streamed back from the EE ({len(events)})')

stats = [e for e in events if e.get('event') == 'playbook_on_stats']
data = stats[-1]['event_data'] if stats else {}
hosts = set(data.get('ok', {})) | set(data.get('changed', {}))
bad = {k: data.get(k) for k in ('failures', 'dark') if data.get(k)}
check(stats and hosts and not bad, f'play recap: ok on {sorted(hosts)}, no failures or unreachable hosts',
      json.dumps({k: data.get(k) for k in ('ok', 'changed', 'failures', 'dark', 'skipped')}))

if mode == 'builtin':
    def result(task):
        found = [e for e in events if e.get('event') == 'runner_on_ok' and e['event_data'].get('task') == task]
        return found[-1]['event_data'] if found else {}

    check('ee-test-relay' in hosts and 'localhost' not in hosts, 'the inventory host ee-test-relay ran the plays')

    issued = [e for e in events if e.get('event') == 'runner_on_ok'
              and e['event_data'].get('task_path', '').find('/ansible_collections/mailrelay/sendmail/roles/private_ca/') >= 0]
    paths = {e['event_data']['task_path'].split(':')[0] for e in issued}
    check(issued and all(p.startswith('/usr/share/ansible/collections/') for p in paths),
          'private_ca ran from the collection installed in the EE image (/usr/share/ansible/collections)', sorted(paths))

    ehlo = result('EHLO before and after STARTTLS, certificate verified against the private CA')
    res = ehlo.get('res', {})
    tls = res.get('tls', {})
    check(ehlo.get('host') == 'ee-test-relay' and res.get('starttls_offered') and tls.get('verified')
          and res.get('auth_before_tls') == [] and res.get('auth_after_tls') == ['LOGIN', 'PLAIN'],
          f"smtp_ehlo_info from inside the EE: STARTTLS, {tls.get('version')}, certificate of "
          f"{tls.get('subject')} verified against the CA the EE created",
          json.dumps(res)[:1500])

    info = result('Ask the Docker engine about the relay container (Docker API from the EE\'s Python)')
    check(info.get('res', {}).get('exists') is True, 'community.docker.docker_container_info reached the engine from the EE')

    checked = result('Check what the job saw')
    check(bool(checked), 'the play\'s own assertions passed')

print(f'ee-test: {passed} passed, {failed} failed')
sys.exit(1 if failed else 0)
PY
say "ee-test took $(( $(date +%s) - start )) s; private data dir and artifacts: $pdd"
exit $rc
