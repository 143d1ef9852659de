# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""host_state_info on the machine running the tests (a Debian host, as the roles expect)."""

from __future__ import annotations

import hashlib
import os
import shutil

import pytest

from ansible_collections.mailrelay.sendmail.plugins.modules import host_state_info


def test_paths_and_contents(run_module, tmp_path):
    data = tmp_path / 'fingerprint'
    data.write_text('abc\n')
    data.chmod(0o640)
    (tmp_path / 'dir').mkdir(mode=0o700)
    (tmp_path / 'dir').chmod(0o700)
    (tmp_path / 'link').symlink_to('fingerprint')
    (tmp_path / 'big').write_bytes(b'x' * (64 * 1024 + 1))
    rc, result, dummy = run_module(host_state_info, {
        'paths': [str(data), str(tmp_path / 'dir'), str(tmp_path / 'link'), str(tmp_path / 'missing')],
        'read': [str(data), str(tmp_path / 'missing'), str(tmp_path / 'big')],
    }, check_mode=True)
    assert rc == 0 and result['changed'] is False
    info = result['paths']
    assert info[str(data)] == {
        'exists': True, 'type': 'file', 'mode': '0640', 'uid': os.getuid(), 'gid': os.getgid(),
        'owner': info[str(data)]['owner'], 'group': info[str(data)]['group'], 'size': 4,
        'sha256': hashlib.sha256(b'abc\n').hexdigest(),
    }
    assert info[str(tmp_path / 'dir')]['type'] == 'directory'
    assert info[str(tmp_path / 'dir')]['mode'] == '0700'
    assert info[str(tmp_path / 'link')]['type'] == 'link'
    assert info[str(tmp_path / 'link')]['target'] == 'fingerprint'
    assert info[str(tmp_path / 'missing')] == {'exists': False}
    assert result['contents'] == {str(data): 'abc\n', str(tmp_path / 'missing'): None, str(tmp_path / 'big'): None}


def test_no_checksum(run_module, tmp_path):
    (tmp_path / 'f').write_text('x')
    rc, result, dummy = run_module(host_state_info, {'paths': [str(tmp_path / 'f')], 'checksum': False})
    assert 'sha256' not in result['paths'][str(tmp_path / 'f')]


def test_accounts(run_module):
    args = {'users': ['root', 'no-such-user-mailrelay'], 'groups': ['root', 'no-such-group-mailrelay']}
    rc, result, dummy = run_module(host_state_info, args)
    assert result['users'] == {'root': True, 'no-such-user-mailrelay': False}
    assert result['groups'] == {'root': True, 'no-such-group-mailrelay': False}


@pytest.mark.skipif(shutil.which('dpkg-query') is None, reason='needs a Debian-family host')
def test_packages(run_module):
    rc, result, dummy = run_module(host_state_info, {'packages': ['dpkg', 'no-such-package-mailrelay']})
    assert rc == 0
    assert result['packages']['no-such-package-mailrelay'] is None
    assert result['packages']['dpkg'] and result['packages']['dpkg'][0].isdigit()


def test_units_without_systemd_are_unknown(run_module, monkeypatch):
    monkeypatch.setattr(host_state_info.AnsibleModule, 'get_bin_path', lambda self, name, *a, **k: None)
    rc, result, dummy = run_module(host_state_info, {'units': ['sendmail.service']})
    assert result['units'] == {'sendmail.service': {'load_state': None, 'active_state': None, 'unit_file_state': None}}


def test_apt_lists(run_module, tmp_path, monkeypatch):
    lists = tmp_path / 'lists'
    lists.mkdir()
    real = host_state_info.apt_list_count
    monkeypatch.setattr(host_state_info, 'apt_list_count', lambda: real(str(lists)))
    rc, result, dummy = run_module(host_state_info, {'apt_lists': True})
    assert result['apt_lists'] == 0
    (lists / 'deb.example_debian_dists_bookworm_main_binary-amd64_Packages.lz4').write_text('')
    (lists / 'lock').write_text('')
    rc, result, dummy = run_module(host_state_info, {'apt_lists': True})
    assert result['apt_lists'] == 1
    rc, result, dummy = run_module(host_state_info, {})
    assert result['apt_lists'] is None
