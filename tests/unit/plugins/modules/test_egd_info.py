# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""egd_info against a scripted EGD daemon on a real Unix socket (tests/unit/egd_peer.py)."""

from __future__ import annotations

import os
import socket
import tempfile

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.mailrelay.sendmail.plugins.module_utils._egd import (
    EGDClient,
    plausible_level,
    summarize_bytes,
)
from ansible_collections.mailrelay.sendmail.plugins.modules import egd_info
from ansible_collections.mailrelay.sendmail.tests.unit.egd_peer import EGDPeer


@pytest.fixture
def egd_peer():
    peers = []

    def start(behaviour='prngd', **kwargs):
        peer = EGDPeer(behaviour, **kwargs)
        peers.append(peer)
        return peer

    yield start
    for peer in peers:
        peer.stop()


@pytest.mark.parametrize('check_mode', [False, True])
def test_reads_from_a_prngd_like_daemon(run_module, egd_peer, check_mode):
    peer = egd_peer('prngd', pool_bits=4096)
    rc, result, dummy = run_module(egd_info, {'path': peer.path, 'bytes': 32, 'query_pid': True}, check_mode=check_mode)
    assert rc == 0, result
    assert result['changed'] is False
    assert result['socket'] == {'path': peer.path, 'exists': True, 'type': 'socket', 'mode': '0600',
                                'owner': result['socket']['owner'], 'group': result['socket']['group']}
    assert 'path' not in result and 'size' not in result  # no file attributes added by AnsibleModule
    assert result['entropy_bits'] == 4096
    assert result['command'] == '0x01'
    assert result['bytes_read'] == 32
    assert result['distinct_bytes'] > 16  # 32 random bytes: a pool of zeros would give 1
    assert result['pid'] == '4242'
    assert peer.commands == [0x00, 0x01, 0x04]


@pytest.mark.parametrize('blocking, command, expected', [
    (False, 0x01, 8),   # the daemon hands out what it has (64 bits) at once
    (True, 0x02, 32),   # the blocking read waits for all of it
])
def test_nonblocking_read_gets_what_the_pool_has(run_module, egd_peer, blocking, command, expected):
    peer = egd_peer('prngd', pool_bits=64)
    rc, result, dummy = run_module(egd_info, {'path': peer.path, 'bytes': 32, 'blocking': blocking})
    assert rc == 0, result
    assert result['bytes_read'] == expected
    assert peer.commands == [0x00, command]
    assert 'bytes' not in result  # the module never returns the random bytes themselves


def test_entropybroker_like_daemon_without_pid(run_module, egd_peer):
    peer = egd_peer('entropybroker')
    rc, result, dummy = run_module(egd_info, {'path': peer.path, 'bytes': 255})
    assert rc == 0, result
    assert result['entropy_bits'] == 9999
    assert result['bytes_read'] == 255
    assert result['pid'] is None


def test_level_only(run_module, egd_peer):
    peer = egd_peer('prngd', pool_bits=800)
    rc, result, dummy = run_module(egd_info, {'path': peer.path, 'bytes': 0})
    assert rc == 0, result
    assert result['entropy_bits'] == 800
    assert result['command'] is None
    assert result['bytes_read'] == 0
    assert peer.commands == [0x00]


def test_empty_pool_is_reported_not_failed(run_module, egd_peer):
    peer = egd_peer('empty', pool_bits=0)
    rc, result, dummy = run_module(egd_info, {'path': peer.path})
    assert rc == 0, result
    assert result['entropy_bits'] == 0
    assert result['bytes_read'] == 0


@pytest.mark.parametrize('behaviour, params, message', [
    ('close', {}, 'closed the connection'),
    ('silent', {'timeout': 0.5}, 'no answer to the entropy level query (0x00)'),
    ('smtp', {}, "answered the entropy level query with b'220 ': not an EGD daemon"),
    ('overcount', {'bytes': 16}, 'announced 26 bytes for a read of at most 16: not the EGD protocol'),
    ('short', {'bytes': 16}, 'closed the connection after 8 of 16 bytes of the answer to the non-blocking read'),
    ('entropybroker', {'query_pid': True, 'timeout': 0.5}, 'no answer to the pid query (0x04)'),
])
def test_wrong_peers_fail_cleanly(run_module, egd_peer, behaviour, params, message):
    peer = egd_peer(behaviour)
    rc, result, dummy = run_module(egd_info, dict(params, path=peer.path))
    assert rc == 1
    assert result['failed'] is True
    assert result['changed'] is False
    assert message in result['msg'], result['msg']
    assert result['socket']['type'] == 'socket'


def test_no_socket(run_module, tmp_path):
    rc, result, dummy = run_module(egd_info, {'path': str(tmp_path / 'egd-pool')})
    assert rc == 1
    assert 'no socket at' in result['msg'] and 'is the entropy daemon running' in result['msg']
    assert result['socket'] == {'path': str(tmp_path / 'egd-pool'), 'exists': False}


def test_a_file_is_not_a_socket(run_module, tmp_path):
    path = tmp_path / 'egd-pool'
    path.write_bytes(os.urandom(128))  # sendmail's file: RandFile, not an EGD socket
    rc, result, dummy = run_module(egd_info, {'path': str(path)})
    assert rc == 1
    assert result['msg'] == '%s is a file, not a socket' % path


def test_stale_socket_nothing_listening(run_module):
    directory = tempfile.mkdtemp(prefix='egd')
    path = os.path.join(directory, 'pool')
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    sock.close()  # the socket file stays, nobody listens: a daemon that died
    try:
        rc, result, dummy = run_module(egd_info, {'path': path})
    finally:
        os.unlink(path)
        os.rmdir(directory)
    assert rc == 1
    assert 'nothing listens on %s' % path in result['msg']


@pytest.mark.parametrize('count', [-1, 256])
def test_bytes_out_of_range(run_module, egd_peer, count):
    peer = egd_peer('prngd')
    rc, result, dummy = run_module(egd_info, {'path': peer.path, 'bytes': count})
    assert rc == 1
    assert 'bytes must be between 0 and 255' in result['msg']
    assert peer.commands == []


@pytest.mark.parametrize('bits, plausible', [(0, True), (9999, True), (4096 * 8, True), (842150944, False), (1 << 24, False)])
def test_plausible_level(bits, plausible):
    assert plausible_level(bits) is plausible


@pytest.mark.parametrize('data, expected', [
    (b'', {'bytes_read': 0, 'distinct_bytes': 0}),
    (bytes(16), {'bytes_read': 16, 'distinct_bytes': 1}),
    (bytes(range(8)), {'bytes_read': 8, 'distinct_bytes': 8}),
])
def test_summarize_bytes(data, expected):
    assert summarize_bytes(data) == expected


def test_client_refuses_impossible_reads(egd_peer):
    peer = egd_peer('prngd')
    with EGDClient(peer.path, 2) as client:
        with pytest.raises(ValueError):
            client.read_blocking(0)
        with pytest.raises(ValueError):
            client.read_nonblocking(300)
        assert client.entropy_level() == 4096


def test_examples_and_documentation_match_the_argument_spec():
    documented = set(yaml.safe_load(egd_info.DOCUMENTATION)['options'])
    assert documented == set(egd_info.argument_spec())
    validator = ArgumentSpecValidator(egd_info.argument_spec())
    used = 0
    for task in yaml.safe_load(egd_info.EXAMPLES):
        if 'mailrelay.sendmail.egd_info' in task:
            used += 1
            assert not validator.validate(task['mailrelay.sendmail.egd_info'] or {}).error_messages
    assert used == 3


def test_returns_only_documented_keys(egd_peer):
    peer = egd_peer('prngd')
    result, error = egd_info.run_probe({'path': peer.path, 'bytes': 8, 'blocking': False, 'query_pid': True, 'timeout': 2})
    assert error is None
    documented = set(yaml.safe_load(egd_info.RETURN))
    assert set(result) == documented
    assert set(result['socket']) == set(yaml.safe_load(egd_info.RETURN)['socket']['contains'])
