# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""sendmail_reload against a fake systemctl, a real pid file and real TCP listeners on loopback.

The fake systemctl does what sendmail does on SIGHUP after a delay: it rewrites the pid file
(same pid, same content) and, if asked, brings the listener back.
"""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest

from ansible_collections.mailrelay.sendmail.plugins.modules import sendmail_reload
from ansible_collections.mailrelay.sendmail.tests.unit.smtp_peers import free_port


class Greeter:
    """A TCP listener that sends one line and reads what the client says back."""

    def __init__(self, port, banner=b'220 relay.example.org ESMTP Sendmail 8.18.1\r\n'):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', port))
        self.sock.listen(8)
        self.sock.settimeout(0.05)
        self.stop = threading.Event()
        self.banner = banner
        self.heard = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop.is_set():
            try:
                conn, dummy = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                conn.sendall(self.banner)
                try:
                    self.heard.append(conn.recv(64))
                except OSError:
                    pass

    def close(self):
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


class FakeSystemd:
    def __init__(self, pid_file, active=True, delay=0.3, rewrite=True, on_change=None, fail=None):
        self.pid_file, self.active, self.delay, self.rewrite = pid_file, active, delay, rewrite
        self.on_change, self.fail = on_change, fail
        self.calls = []
        self.timers = []

    def write_pid(self):
        with open(self.pid_file, 'w') as handle:
            handle.write('%d\n/usr/sbin/sendmail -bd -q10m\n' % os.getpid())

    def __call__(self, args):
        self.calls.append(list(args))
        verb = args[0]
        if verb == 'is-active':
            return (0, 'active\n', '') if self.active else (3, 'inactive\n', '')
        if self.fail:
            return 1, '', self.fail
        if self.rewrite:
            def happen():
                self.write_pid()
                if self.on_change:
                    self.on_change()
            timer = threading.Timer(self.delay, happen)
            timer.start()
            self.timers.append(timer)
        return 0, '', ''

    def join(self):
        for timer in self.timers:
            timer.join()


@pytest.fixture
def relay(tmp_path):
    servers = []
    state = dict(pid_file=str(tmp_path / 'sendmail.pid'), port=free_port(), servers=servers)

    def listen(banner=None):
        servers.append(Greeter(state['port'], *([banner] if banner else [])))
    state['listen'] = listen
    yield state
    for server in servers:
        server.close()


def params(relay, **extra):
    values = dict(unit='sendmail.service', pid_file=relay['pid_file'], timeout=5, state='reloaded',
                  listeners=[dict(addr='0.0.0.0', port=relay['port'])])
    values.update(extra)
    return values


def test_reload_waits_for_the_rewritten_pid_file_and_the_greeting(relay):
    systemd = FakeSystemd(relay['pid_file'], delay=0.4)
    systemd.write_pid()
    os.utime(relay['pid_file'], (1000000000, 1000000000))
    relay['listen']()  # the old process still listens: it must not count
    result, failure = sendmail_reload.Reloader(params(relay), systemd).execute(check_mode=False)
    systemd.join()
    assert failure is None, failure
    assert systemd.calls == [['is-active', 'sendmail.service'], ['reload', 'sendmail.service']]
    assert result['action'] == 'reloaded' and result['changed'] is True and result['pid'] == os.getpid()
    assert result['seconds'] >= 0.4
    assert result['listeners_ready'] == ['127.0.0.1:%d' % relay['port']]
    for dummy in range(50):  # the server thread records what it heard right after the client left
        if relay['servers'][0].heard:
            break
        time.sleep(0.02)
    assert relay['servers'][0].heard == [b'QUIT\r\n']


def test_listener_that_comes_back_late(relay):
    systemd = FakeSystemd(relay['pid_file'], delay=0.2, on_change=lambda: threading.Timer(0.5, relay['listen']).start())
    systemd.write_pid()
    os.utime(relay['pid_file'], (1000000000, 1000000000))
    result, failure = sendmail_reload.Reloader(params(relay), systemd).execute(check_mode=False)
    assert failure is None, failure
    assert result['seconds'] >= 0.7 and result['listeners_ready'] == ['127.0.0.1:%d' % relay['port']]


def test_inactive_unit_is_started(relay):
    systemd = FakeSystemd(relay['pid_file'], active=False, delay=0.1, on_change=relay['listen'])
    result, failure = sendmail_reload.Reloader(params(relay), systemd).execute(check_mode=False)
    assert failure is None, failure
    assert systemd.calls[-1] == ['start', 'sendmail.service'] and result['action'] == 'started'


def test_started_on_an_active_unit_only_checks(relay):
    systemd = FakeSystemd(relay['pid_file'])
    systemd.write_pid()
    relay['listen']()
    result, failure = sendmail_reload.Reloader(params(relay, state='started'), systemd).execute(check_mode=False)
    assert failure is None and result['changed'] is False and result['action'] == 'none'
    assert systemd.calls == [['is-active', 'sendmail.service']]


def test_check_mode_only_asks(relay):
    systemd = FakeSystemd(relay['pid_file'])
    result, failure = sendmail_reload.Reloader(params(relay), systemd).execute(check_mode=True)
    assert failure is None and result['changed'] is True and result['action'] == 'reloaded'
    assert systemd.calls == [['is-active', 'sendmail.service']]
    assert not os.path.exists(relay['pid_file'])


def test_pid_file_not_rewritten_times_out_with_the_journal_hint(relay):
    systemd = FakeSystemd(relay['pid_file'], rewrite=False)
    systemd.write_pid()
    relay['listen']()
    started = time.monotonic()
    result, failure = sendmail_reload.Reloader(params(relay, timeout=1), systemd).execute(check_mode=False)
    assert 1 <= time.monotonic() - started < 3
    assert 'did not serve within 1s after systemctl reload' in failure
    assert 'was not rewritten' in failure and 'journalctl -u sendmail.service -t sendmail' in failure
    assert result['listeners_ready'] == []  # not asked: the old process would have answered


@pytest.mark.parametrize('banner, message', [
    (None, 'Connection refused'),
    (b'421 4.3.2 Too many open connections\r\n', "answered '421 4.3.2 Too many open connections'"),
])
def test_listener_problems_are_named(relay, banner, message):
    systemd = FakeSystemd(relay['pid_file'], delay=0.05)
    if banner:
        relay['listen'](banner)
    result, failure = sendmail_reload.Reloader(params(relay, timeout=1), systemd).execute(check_mode=False)
    systemd.join()
    assert failure is not None and '127.0.0.1:%d: ' % relay['port'] in failure and message in failure


def test_dead_pid_is_not_ready(relay):
    systemd = FakeSystemd(relay['pid_file'], delay=0.05)
    relay['listen']()
    result, failure = sendmail_reload.Reloader(params(relay, timeout=1), systemd,
                                               alive=lambda pid: False).execute(check_mode=False)
    systemd.join()
    assert 'is not running' in failure


def test_systemctl_failure(relay):
    systemd = FakeSystemd(relay['pid_file'], fail='Job for sendmail.service failed.')
    result, failure = sendmail_reload.Reloader(params(relay), systemd).execute(check_mode=False)
    assert failure.startswith('systemctl reload sendmail.service failed (rc=1): Job for sendmail.service failed.')
    assert 'journalctl' in failure


@pytest.mark.parametrize('addr, expected', [
    ('0.0.0.0', '127.0.0.1'), ('::', '::1'), ('[::]', '::1'), ('', '127.0.0.1'), ('192.0.2.25', '192.0.2.25'),
    ('[2001:db8::25]', '2001:db8::25'),
])
def test_probe_address(addr, expected):
    assert sendmail_reload.probe_address(addr) == expected


def test_module_with_an_injected_systemctl(run_module, relay, monkeypatch):
    systemd = FakeSystemd(relay['pid_file'], delay=0.1)
    relay['listen']()
    monkeypatch.setattr(sendmail_reload, 'systemctl_runner', lambda module: systemd)
    rc, result, dummy = run_module(sendmail_reload, params(relay))
    systemd.join()
    assert rc == 0 and result['changed'] is True and result['action'] == 'reloaded'
    systemd = FakeSystemd(relay['pid_file'], rewrite=False)
    monkeypatch.setattr(sendmail_reload, 'systemctl_runner', lambda module: systemd)
    rc, result, dummy = run_module(sendmail_reload, params(relay, timeout=1))
    assert rc == 1 and 'journalctl' in result['msg'] and result['action'] == 'reloaded'
