#!/usr/bin/env bash
# make demo: two authenticated relays and an outside client in containers, built from bare
# Debian 12 / 13 by playbooks/site.yml, left running, and shown doing what they are for.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=lib.sh
. scripts/lib.sh
log=/tmp/mailrelay-demo-converge.log
rm -f .cache/reports/relay1.txt .cache/reports/relay2.txt

say "ansible-playbook playbooks/site.yml on relay1 (Debian 12) and relay2 (Debian 13), via Molecule"
say "(first run builds Cyrus SASL and sendmail from source: a few minutes; log: $log)"
molecule converge -s default >"$log" 2>&1 || {
  tail -n 60 "$log"; echo "ERROR: converge failed (log: $log)" >&2; exit 1; }
grep -E '^(relay1|relay2|client) +:' "$log" || true

echo
say "the verification gate at the end of site.yml (playbooks/verify.yml, probing from the client):"
for r in .cache/reports/relay1.txt .cache/reports/relay2.txt; do sed 's/^/    /' "$r"; done

c() { docker exec -i client "$@"; }
hide=(--auth-hide-password --hide-informational)
echo
say "relay1's sendmail: how it was built (sendmail -d0.1 -bv root)"
docker exec relay1 /usr/sbin/sendmail -d0.1 -bv root 2>&1 | sed -n '1,4p' || true

echo
say "SASL mechanisms libsasl2 loads on relay1 (pluginviewer -s)"
docker exec relay1 /usr/local/sbin/pluginviewer -s 2>&1 | sed -n '1,2p'

echo
say "the seeds' own test: the new binary speaks SMTP on stdin (sendmail -bs -Am, EHLO, QUIT)"
say "(-O AuthOptions=A: the live AuthOptions' 'p' hides PLAIN/LOGIN outside TLS, and stdin has no TLS)"
# a real client waits for each reply (sendmail rejects clients that talk too early)
docker exec -i relay1 python3 - <<'PY'
import subprocess
p = subprocess.Popen(['/usr/sbin/sendmail', '-O', 'AuthOptions=A', '-bs', '-Am'],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
def reply():
    while True:
        line = p.stdout.readline()
        print('    S: ' + line, end='')
        if line[3:4] != '-':
            return
reply()
for cmd in ('EHLO demo.client', 'QUIT'):
    print('    C: ' + cmd)
    p.stdin.write(cmd + '\r\n')
    p.stdin.flush()
    reply()
p.wait()
PY

echo
say "EHLO before and after STARTTLS on relay1:25 (swaks from the client): no AUTH until TLS"
c swaks --server relay1.mailrelay.test --port 25 --tls --quit-after HELO "${hide[@]}" 2>&1 | grep -E '^( ?<|<~|<-)' || true

echo
say "an authenticated submission on relay2:587 (STARTTLS, AUTH LOGIN as alice), relayed to relay1"
c swaks --server relay2.mailrelay.test --port 587 --tls --auth LOGIN --auth-user alice \
  --auth-password alice-relay-secret "${hide[@]}" --from alice@relay2.mailrelay.test \
  --to somebody@example.com --header "Subject: mailrelay demo" --body "hello through two relays" 2>&1 \
  | grep -vE '^ (~>|->) [A-Za-z0-9+/=]{8,}$' || true

echo
say "not an open relay: the same recipient without AUTH, on every listener"
for p in "25" "587 --tls" "465 --tls-on-connect"; do
  # shellcheck disable=SC2086  # port and TLS flag on purpose
  set -- $p
  printf '    port %-4s ' "$1"
  c swaks --server relay1.mailrelay.test --port "$@" --from demo@client.mailrelay.test --to somebody@example.com \
    --quit-after RCPT 2>&1 | grep -E '^<[-~]?\*' | head -n 1 || true
done

echo
say "relay1's log of the message relay2 passed on (authenticated as relay2, over TLS)"
docker exec relay1 journalctl -q --no-pager -t sendmail -g 'relay=relay2.*(AUTH=server|proto=ESMTPSA|STARTTLS=server)|(AUTH=server|STARTTLS=server).*relay=relay2' \
  | tail -n 6 | sed 's/^/    /'

cat <<TXT

The relays keep running:
  docker exec -it relay1 bash            a shell on relay1 (relay2, client likewise)
  docker exec relay1 journalctl -t sendmail -f      relay1's mail log
  docker exec client swaks --server relay1.mailrelay.test --port 587 --tls --auth LOGIN \\
      --auth-user alice --auth-password alice-relay-secret --to you@example.com
  make demo-verify                       run the audit (playbooks/verify.yml) again
  make demo-destroy                      remove the containers
TXT
