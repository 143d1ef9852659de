"""What a relay runs, as JSON: the live generation, sha256 of the live binary, sendmail.cf and
server certificate, and when the daemon last (re)started (its pid file is rewritten on every
start and every SIGHUP re-exec)."""
import hashlib
import json
import os
import subprocess


def sha256(path):
    try:
        with open(path, 'rb') as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


def mtime(path):
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


started = subprocess.run(['systemctl', 'show', 'sendmail.service', '-p', 'ExecMainStartTimestampMonotonic', '--value'],
                         capture_output=True, text=True, check=False).stdout.strip()
print(json.dumps({
    'generation': os.path.basename(os.readlink('/var/lib/mailrelay/current')) if os.path.islink('/var/lib/mailrelay/current') else None,
    'binary': sha256('/usr/sbin/sendmail'),
    'cf': sha256('/etc/mail/sendmail.cf'),
    'cert': sha256('/var/lib/mailrelay/current/certs/server.crt'),
    'pid_file_mtime': mtime('/run/sendmail.pid'),
    'daemon_started': started,
}, sort_keys=True))
