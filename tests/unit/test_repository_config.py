# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The repository's own Ansible configuration must not weaken real runs: a user who runs
ansible-playbook from a checkout against real relays keeps SSH host-key checking (test
configurations may turn it off in their own scope, e.g. Molecule's provisioner options)."""

from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ansible_cfg_keeps_host_key_checking():
    config = configparser.ConfigParser()
    config.read(ROOT / 'ansible.cfg')
    for section in config.sections():
        value = config[section].get('host_key_checking')
        assert value is None or value.strip().lower() not in ('false', 'no', '0', 'off'), (
            'ansible.cfg [%s] disables host_key_checking for every inventory' % section)
    ssh = config['ssh_connection'] if config.has_section('ssh_connection') else {}
    assert 'StrictHostKeyChecking=no' not in ssh.get('ssh_args', ''), 'ansible.cfg turns off StrictHostKeyChecking'
