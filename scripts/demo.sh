#!/usr/bin/env bash
# make demo: build sendmail with SMTP AUTH (Cyrus SASL) and STARTTLS from source in a Debian 12
# container, leave it running, and show what a mail administrator checks first.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=lib.sh
. scripts/lib.sh
host=build-deb12

say "converging the 'build' scenario (first run builds Cyrus SASL and sendmail: ~2 minutes)"
molecule converge -s build >/tmp/mailrelay-demo-converge.log 2>&1 || {
  tail -n 40 /tmp/mailrelay-demo-converge.log; echo "ERROR: converge failed (log: /tmp/mailrelay-demo-converge.log)" >&2; exit 1; }
grep -E '^(build-deb1[23]) +:' /tmp/mailrelay-demo-converge.log || true

x() { docker exec -i "$host" "$@"; }
echo
say "sendmail -d0.1 -bv root   (how the new binary was built)"
x /usr/sbin/sendmail -d0.1 -bv root 2>&1 | sed -n '1,4p' || true
echo
say "pluginviewer -s   (SASL mechanisms libsasl2 loads for servers)"
x /usr/local/sbin/pluginviewer -s 2>&1 | sed -n '1,4p'
echo
say "sasldb users (sasldblistusers2)"
x /usr/local/sbin/sasldblistusers2 -f /etc/sasldb2
echo
say "an SMTP session spoken by the new binary on stdin: sendmail -bs -Am, EHLO, QUIT"
fqdn=$(x hostname -f)
x sh -c "cat > /tmp/demo.mc" <<MC
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`$fqdn')dnl
define(\`confAUTH_MECHANISMS', \`DIGEST-MD5 CRAM-MD5 LOGIN PLAIN')dnl
TRUST_AUTH_MECH(\`DIGEST-MD5 CRAM-MD5 LOGIN PLAIN')dnl
FEATURE(\`no_default_msa')dnl
MAILER(\`local')dnl
MAILER(\`smtp')dnl
MC
x sh -c 'm4 /usr/local/share/sendmail/cf/m4/cf.m4 /tmp/demo.mc > /tmp/demo.cf'
# a real client waits for each reply (sendmail rejects clients that talk too early)
x python3 - <<'PY'
import subprocess
p = subprocess.Popen(['/usr/sbin/sendmail', '-C', '/tmp/demo.cf', '-bs', '-Am'],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
def reply():
    while True:
        line = p.stdout.readline()
        print('S: ' + line, end='')
        if line[3:4] != '-':
            return
reply()
for cmd in ('EHLO demo.client', 'QUIT'):
    print('C: ' + cmd)
    p.stdin.write(cmd + '\r\n'); p.stdin.flush()
    reply()
p.wait()
PY
echo
cat <<TXT
The container '$host' keeps running. Look around:
  docker exec -it $host bash
  docker exec $host /usr/sbin/sendmail -d0.1 -bv root
Remove it:  make demo-destroy
TXT
