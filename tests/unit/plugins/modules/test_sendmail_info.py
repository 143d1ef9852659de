# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""sendmail_info against stand-in binaries that replay real sendmail output.

The stand-in answers `-d0.10 -bt -C /dev/null` with a captured version report and speaks SMTP
on stdin for `-C <cf> -bs -Am` like sendmail does - including the 8.18 / CVE-2023-51765
behaviour of refusing a client that talks before the greeting.
"""

from __future__ import annotations

import os
import stat
import sys
import textwrap
from pathlib import Path

import pytest

from ansible_collections.mailrelay.sendmail.plugins.modules import sendmail_info

FIXTURES = Path(__file__).resolve().parents[2] / 'fixtures' / 'sendmail'

FAKE = textwrap.dedent('''\
    #!{python}
    import os, select, sys, time
    args = sys.argv[1:]
    if args[:3] == ['-d0.10', '-bt', '-C']:
        sys.stdout.write(open({version!r}).read())
        sys.exit(72)
    if '-bs' in args:
        time.sleep({greeting_delay})
        if {stall}:
            time.sleep(30)
        # sendmail 8.18: input before the greeting is an SMTP protocol error
        early = select.select([sys.stdin], [], [], 0)[0]
        lines = open({session!r}).read().splitlines()
        out = sys.stdout
        out.write(lines[0] + '\\r\\n'); out.flush()
        if early:
            out.write('554 5.5.0 SMTP protocol error\\r\\n'); out.flush(); sys.exit(0)
        for line in sys.stdin:
            cmd = line.strip().upper()
            if cmd.startswith('EHLO'):
                for reply in lines[1:-1]:
                    out.write(reply + '\\r\\n')
                out.flush()
            elif cmd == 'QUIT':
                out.write(lines[-1] + '\\r\\n'); out.flush(); sys.exit(0)
    sys.exit(64)
''')


def make_fake(tmp_path, version='d0.10-debian13.txt', session='bs-session-debian12.txt', greeting_delay=0.0, stall=False):
    path = tmp_path / 'sendmail'
    path.write_text(FAKE.format(python=sys.executable, version=str(FIXTURES / version),
                                session=str(FIXTURES / session), greeting_delay=greeting_delay, stall=stall))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.fixture
def as_root(monkeypatch):
    monkeypatch.setattr(sendmail_info.os, 'geteuid', lambda: 0)


def test_missing_binary(run_module, tmp_path):
    rc, result, dummy = run_module(sendmail_info, {'binary': str(tmp_path / 'nope')})
    assert rc == 0
    assert result['exists'] is False
    assert result['changed'] is False
    assert result['sasl_v2'] is False and result['starttls'] is False


def test_version_only_without_config(run_module, tmp_path):
    binary = make_fake(tmp_path)
    rc, result, dummy = run_module(sendmail_info, {'binary': binary, 'config': str(tmp_path / 'none.cf')})
    assert rc == 0
    assert result['version'] == '8.17.1.9'
    assert result['sasl_v2'] and result['starttls']
    assert result['compile_options']['NEWDB'] == '5.3'
    assert result['session_ran'] is False
    assert len(result['sha256']) == 64


def test_binary_without_sasl(run_module, tmp_path):
    fixture = tmp_path / 'old.txt'
    fixture.write_text('Version 8.12.11\n Compiled with: NAMED_BIND NETINET NETUNIX NEWDB PIPELINING SASL SCANF USERDB\n')
    binary = make_fake(tmp_path, version=str(fixture))
    rc, result, dummy = run_module(sendmail_info, {'binary': binary, 'ehlo': False})
    assert rc == 0
    assert result['version'] == '8.12.11'
    assert result['sasl_v2'] is False
    assert result['starttls'] is False


@pytest.mark.parametrize('check_mode', [False, True])
def test_ehlo_session(run_module, tmp_path, as_root, check_mode):
    binary = make_fake(tmp_path, greeting_delay=0.3)
    config = tmp_path / 'sendmail.cf'
    config.write_text('# test\n')
    rc, result, dummy = run_module(sendmail_info, {'binary': binary, 'config': str(config)}, check_mode=check_mode)
    assert rc == 0, result
    assert result['changed'] is False
    assert result['session_ran'] is True
    # the module waited for the (slow) greeting before EHLO, so the fake did not refuse it
    assert result['auth_mechanisms'] == ['CRAM-MD5', 'DIGEST-MD5', 'LOGIN', 'PLAIN']
    assert result['banner'].startswith('220 build12.mailrelay.test ESMTP Sendmail')
    assert result['transcript'][1] == 'C: EHLO localhost'
    assert result['transcript'][-1].startswith('S: 221 ')


def test_session_timeout_is_a_clean_failure(run_module, tmp_path, as_root):
    binary = make_fake(tmp_path, stall=True)
    config = tmp_path / 'sendmail.cf'
    config.write_text('# test\n')
    rc, result, dummy = run_module(sendmail_info, {'binary': binary, 'config': str(config), 'timeout': 0.5})
    assert rc == 1
    assert result['failed'] is True
    assert 'no answer within 0.5 seconds' in result['msg']
    assert result['version'] == '8.17.1.9'


def test_session_needs_root(run_module, tmp_path, monkeypatch):
    monkeypatch.setattr(sendmail_info.os, 'geteuid', lambda: 1000)
    binary = make_fake(tmp_path)
    config = tmp_path / 'sendmail.cf'
    config.write_text('# test\n')
    rc, result, dummy = run_module(sendmail_info, {'binary': binary, 'config': str(config)})
    assert rc == 1
    assert 'must run as root' in result['msg']


def test_not_a_sendmail(run_module, tmp_path):
    binary = tmp_path / 'true'
    binary.write_text('#!/bin/sh\necho hello\n')
    binary.chmod(0o755)
    rc, result, dummy = run_module(sendmail_info, {'binary': str(binary)})
    assert rc == 1
    assert 'did not report a version' in result['msg']
    assert os.path.basename(result['binary']) == 'true'


def fake_ldd(tmp_path, monkeypatch, libcrypto):
    """An ldd on PATH that says the binary loads ``libcrypto``."""
    bindir = tmp_path / 'bin'
    bindir.mkdir()
    ldd = bindir / 'ldd'
    ldd.write_text('#!/bin/sh\nprintf "\\tlibcrypto.so.3 => %s (0x00007f00)\\n" "' + str(libcrypto) + '"\n')
    ldd.chmod(0o755)
    monkeypatch.setenv('PATH', '%s:%s' % (bindir, os.environ.get('PATH', '')))


@pytest.mark.parametrize('fixture, urandom_dev, egd', [
    ('d0.10-debian13.txt', True, False),
    ('d0.10-no-urandom-egd.txt', False, True),
])
def test_os_defines_and_egd(run_module, tmp_path, monkeypatch, fixture, urandom_dev, egd):
    from ansible_collections.mailrelay.sendmail.tests.unit.plugins.module_utils.test_elf import make_elf
    library = tmp_path / 'libcrypto.so.3'
    library.write_bytes(make_elf(['RAND_status', 'RAND_egd'] if egd else ['RAND_status']))
    fake_ldd(tmp_path, monkeypatch, library)
    binary = make_fake(tmp_path, version=fixture)
    rc, result, dummy = run_module(sendmail_info, {'binary': binary, 'ehlo': False})
    assert rc == 0, result
    assert result['urandom_dev'] is urandom_dev
    assert ('HASURANDOMDEV' in result['os_defines']) is urandom_dev
    assert result['egd'] is egd
    assert result['libcrypto'] == str(library)
    assert result['libcrypto_rand_egd'] is egd


def test_no_libcrypto_found(run_module, tmp_path, monkeypatch):
    fake_ldd(tmp_path, monkeypatch, 'not found')
    binary = make_fake(tmp_path)
    rc, result, dummy = run_module(sendmail_info, {'binary': binary, 'ehlo': False})
    assert rc == 0, result
    assert result['libcrypto'] is None
    assert result['libcrypto_rand_egd'] is False


def test_missing_binary_has_false_entropy_keys(run_module, tmp_path):
    rc, result, dummy = run_module(sendmail_info, {'binary': str(tmp_path / 'nope')})
    assert (result['urandom_dev'], result['egd'], result['libcrypto_rand_egd']) == (False, False, False)
    assert 'os_defines' not in result
