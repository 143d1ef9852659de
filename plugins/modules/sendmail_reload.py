#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: sendmail_reload
short_description: Reload or start the sendmail daemon under systemd and wait until it serves again
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - With O(state=reloaded), runs C(systemctl reload) when the unit is active. sendmail
    re-executes itself on SIGHUP (same PID, new configuration) and rewrites its pid file, while
    SMTP sessions in progress finish in their own processes. When the unit is not active, it
    runs C(systemctl start) instead.
  - With O(state=started), starts the unit only when it is not active.
  - Then waits until the pid file was rewritten after the reload or start (its time or content
    changed) and names a running process, and until every listener in O(listeners) accepts a TCP
    connection and sends a C(220) greeting (it then says C(QUIT)). Listeners are only tried once
    the pid file was rewritten, so the old process cannot answer for the new one.
  - Fails after O(timeout) seconds, saying what was still missing and where to look
    (C(journalctl -u <unit> -t sendmail)).
extends_documentation_fragment:
  - mailrelay.sendmail._attributes
attributes:
  check_mode:
    support: full
    details:
      - Asks systemd whether the unit is active and reports the action it would take, without taking it or waiting.
  diff_mode:
    support: none
  idempotent:
    support: partial
    details:
      - O(state=started) is idempotent; O(state=reloaded) reloads on every run (use it from a handler).
options:
  unit:
    description: The systemd unit.
    type: str
    default: sendmail.service
  pid_file:
    description: The pid file the daemon writes (sendmail's C(PidFile) option, C(confPID_FILE)).
    type: path
    default: /run/sendmail.pid
  listeners:
    description:
      - The addresses sendmail listens on (its C(DaemonPortOptions)); each must greet with C(220).
      - C(0.0.0.0) is tried as C(127.0.0.1), C(::) as C(::1).
      - An empty list waits for the pid file only.
    type: list
    elements: dict
    default: [{addr: 127.0.0.1, port: 25}]
    suboptions:
      addr:
        description: IPv4 or IPv6 address.
        type: str
        required: true
      port:
        description: TCP port.
        type: int
        default: 25
      tls:
        description:
          - V(implicit) for a listener that speaks TLS from the first byte (port 465, C(M=s)) - the
            greeting is read after a TLS handshake (the certificate is not checked here; the gate does).
          - Anything else reads the greeting in clear.
        type: str
        default: starttls
        version_added: 0.2.0
  timeout:
    description: Seconds to wait for the pid file and the listeners.
    type: int
    default: 60
  state:
    description:
      - C(reloaded) reloads an active unit and starts an inactive one.
      - C(started) starts the unit only when it is not active, and otherwise checks that it serves.
    type: str
    choices: [reloaded, started]
    default: reloaded
notes:
  - The unit needs C(ExecReload=/bin/kill -HUP $MAINPID) (or an equivalent) for C(systemctl reload).
seealso:
  - module: mailrelay.sendmail.generation
  - module: mailrelay.sendmail.smtp_ehlo_info
"""

EXAMPLES = r"""
- name: Reload sendmail after the switch and wait for both listeners
  mailrelay.sendmail.sendmail_reload:
    listeners:
      - {addr: 0.0.0.0, port: 25}
      - {addr: 0.0.0.0, port: 587}
    timeout: 60
  register: reload

- name: Make sure sendmail runs (first installation)
  mailrelay.sendmail.sendmail_reload:
    state: started
    listeners: [{addr: 127.0.0.1, port: 25}]

- name: Report the new process
  ansible.builtin.debug:
    msg: "sendmail {{ reload.action }} in {{ reload.seconds }}s, pid {{ reload.pid }}"
"""

RETURN = r"""
action:
  description: What was done (in check mode, would be done), C(reloaded), C(started) or C(none).
  returned: always
  type: str
  sample: reloaded
pid:
  description: The daemon's pid from the pid file afterwards; null when unknown (check mode before a start).
  returned: always
  type: int
  sample: 4242
seconds:
  description: How long the reload or start and the wait took.
  returned: always
  type: float
  sample: 0.84
listeners_ready:
  description: Listeners that greeted with C(220), as C(address:port) (the address tried).
  returned: always
  type: list
  elements: str
  sample: [127.0.0.1:25, "[::1]:587"]
"""

import os
import socket
import ssl
import time

from ansible.module_utils.basic import AnsibleModule

POLL_INTERVAL = 0.2
PROBE_TIMEOUT = 10.0


def argument_spec():
    return dict(
        unit=dict(type='str', default='sendmail.service'),
        pid_file=dict(type='path', default='/run/sendmail.pid'),
        listeners=dict(type='list', elements='dict', default=[{'addr': '127.0.0.1', 'port': 25}], options=dict(
            addr=dict(type='str', required=True),
            port=dict(type='int', default=25),
            tls=dict(type='str', default='starttls'),
        )),
        timeout=dict(type='int', default=60),
        state=dict(type='str', choices=['reloaded', 'started'], default='reloaded'),
    )


def probe_address(addr):
    """Where to connect for a listener bound to `addr` (the wildcard means loopback)."""
    addr = (addr or '').strip().strip('[]')
    if addr in ('', '0.0.0.0', '*'):
        return '127.0.0.1'
    if addr in ('::', '0:0:0:0:0:0:0:0'):
        return '::1'
    return addr


def listener_name(host, port):
    return '[%s]:%d' % (host, port) if ':' in host else '%s:%d' % (host, port)


def greet(host, port, timeout, implicit=False):
    """Connect (with a TLS handshake first for implicit TLS) and read the greeting. None when it
    is a 220, else what went wrong."""
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except socket.timeout:
        return 'no connection within %.0fs' % timeout
    except OSError as exc:
        return exc.strerror or str(exc)
    try:
        sock.settimeout(timeout)
        if implicit:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            try:
                sock = context.wrap_socket(sock, server_hostname=None)
            except ssl.SSLError as exc:
                return 'TLS handshake failed: %s' % (exc.reason or exc)
        data = b''
        while b'\n' not in data and len(data) < 512:
            chunk = sock.recv(512)
            if not chunk:
                break
            data += chunk
        line = data.split(b'\n', 1)[0].decode('latin-1').strip()
        if not line.startswith('220'):
            return 'answered %r instead of a 220 greeting' % line if line else 'closed the connection without a greeting'
        try:
            sock.sendall(b'QUIT\r\n')
        except OSError:
            pass
        return None
    except socket.timeout:
        return 'no greeting within %.0fs' % timeout
    except OSError as exc:
        return exc.strerror or str(exc)
    finally:
        sock.close()


def pid_file_state(path):
    """What identifies one writing of the pid file: (inode, mtime in ns, content); None when missing."""
    try:
        st = os.stat(path)
        with open(path, 'rb') as handle:
            content = handle.read(4096)
    except FileNotFoundError:
        return None
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, content)


def pid_in(state):
    if state is None:
        return None
    first = state[2].split(b'\n', 1)[0].strip()
    return int(first) if first.isdigit() and int(first) > 0 else None


def process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def wait_ready(pid_file, before, listeners, timeout, clock=time.monotonic, sleep=time.sleep, probe=greet,
               alive=process_alive, require_rewrite=True):
    """Wait until the pid file was rewritten (differs from `before`) and names a live process, and
    every listener greets. Returns (pid, ready listener names, problems); problems is empty on success."""
    deadline = clock() + timeout
    ready = []
    targets = [(probe_address(item['addr']), int(item.get('port') or 25), item.get('tls') == 'implicit')
               for item in listeners]
    while True:
        problems = []
        state = pid_file_state(pid_file)
        pid = pid_in(state)
        if state is None:
            problems.append('pid file %s does not exist' % pid_file)
        elif require_rewrite and state == before:
            problems.append('pid file %s was not rewritten' % pid_file)
        elif pid is None:
            problems.append('pid file %s holds no pid' % pid_file)
        elif not alive(pid):
            problems.append('pid %d from %s is not running' % (pid, pid_file))
        if not problems:
            for host, port, implicit in targets:
                name = listener_name(host, port)
                if name in ready:
                    continue
                wait = max(0.5, min(PROBE_TIMEOUT, deadline - clock()))
                error = probe(host, port, wait, implicit) if implicit else probe(host, port, wait)
                if error is None:
                    ready.append(name)
                else:
                    problems.append('%s: %s' % (name, error))
        if not problems or clock() >= deadline:
            return pid, ready, problems
        sleep(POLL_INTERVAL)


class Reloader:
    def __init__(self, params, run, clock=time.monotonic, sleep=time.sleep, probe=greet, alive=process_alive):
        self.params = params
        self.run = run
        self.clock, self.sleep, self.probe, self.alive = clock, sleep, probe, alive

    def hint(self):
        return 'Look at: journalctl -u %s -t sendmail' % self.params['unit']

    def is_active(self):
        rc, out, dummy_err = self.run(['is-active', self.params['unit']])
        return rc == 0 and out.strip() == 'active'

    def execute(self, check_mode):
        """Returns (result, failure message or None)."""
        params = self.params
        active = self.is_active()
        if params['state'] == 'reloaded':
            action = 'reloaded' if active else 'started'
        else:
            action = 'none' if active else 'started'
        result = dict(changed=action != 'none', action=action, pid=pid_in(pid_file_state(params['pid_file'])),
                      seconds=0.0, listeners_ready=[])
        if check_mode:
            return result, None

        before = pid_file_state(params['pid_file'])
        started = self.clock()
        if action != 'none':
            verb = 'reload' if action == 'reloaded' else 'start'
            rc, out, err = self.run([verb, params['unit']])
            if rc != 0:
                result['seconds'] = round(self.clock() - started, 2)
                return result, 'systemctl %s %s failed (rc=%d): %s. %s' % (
                    verb, params['unit'], rc, (err or out).strip() or 'no output', self.hint())
        pid, ready, problems = wait_ready(params['pid_file'], before, params['listeners'], params['timeout'],
                                          clock=self.clock, sleep=self.sleep, probe=self.probe, alive=self.alive,
                                          require_rewrite=action != 'none')
        result.update(pid=pid, listeners_ready=ready, seconds=round(self.clock() - started, 2))
        if problems:
            what = {'reloaded': 'after systemctl reload', 'started': 'after systemctl start',
                    'none': 'while the unit is active'}[action]
            return result, '%s did not serve within %ds %s: %s. %s' % (
                params['unit'], params['timeout'], what, '; '.join(problems), self.hint())
        return result, None


def systemctl_runner(module):
    """run(args) -> (rc, stdout, stderr) for `systemctl args...` (replaced in the unit tests)."""
    systemctl = module.get_bin_path('systemctl', required=True)

    def run(args):
        return module.run_command([systemctl] + list(args))
    return run


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    if module.params['timeout'] < 1:
        module.fail_json(msg='timeout must be at least 1 second (it is %d)' % module.params['timeout'])
    result, failure = Reloader(module.params, systemctl_runner(module)).execute(module.check_mode)
    if failure:
        module.fail_json(msg=failure, **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
