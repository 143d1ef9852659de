# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The artifact role's checks as ansible-playbook runs them on localhost (no container is started).

- a controller whose Python lacks requests: the build stops before its first container and says
  what to install (it used to "start" the container and fail at the next task);
- a relay that is not Debian: refused for either install method, without sending it to the other.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import venv

import pytest

from ansible_collections.mailrelay.sendmail.tests.unit.conftest import COLLECTIONS_PATH

PLAYBOOK = shutil.which('ansible-playbook', path=os.path.dirname(sys.executable)) or shutil.which('ansible-playbook')
pytestmark = pytest.mark.skipif(not PLAYBOOK, reason='ansible-playbook is not installed')

BUILD = """
- name: Build in a container
  hosts: localhost
  gather_facts: false
  vars:
    mailrelay_artifact_builder: container
    __mailrelay_artifact_to_build:
      - {platform: debian-12-x86_64, release: debian-12, id: unittest00000000, hosts: [relay1]}
  tasks:
    - name: Run the build tasks
      ansible.builtin.include_role:
        name: mailrelay.sendmail.artifact
        tasks_from: build
"""

PREFLIGHT = """
- name: The artifact preflight on another system
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Look like Rocky Linux
      ansible.builtin.set_fact:
        ansible_facts: {os_family: RedHat, distribution: Rocky}
    - name: Run the preflight
      ansible.builtin.include_role:
        name: mailrelay.sendmail.artifact
        tasks_from: preflight
"""


def play(text, *extra):
    directory = tempfile.mkdtemp(prefix='h3play')
    path = os.path.join(directory, 'play.yml')
    with open(path, 'w') as handle:
        handle.write(textwrap.dedent(text))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
               ANSIBLE_STDOUT_CALLBACK='default', ANSIBLE_LOCALHOST_WARNING='0')
    done = subprocess.run([PLAYBOOK, '-i', 'localhost,', '-c', 'local', path] + list(extra), env=env,
                          capture_output=True, text=True, timeout=180, check=False)
    shutil.rmtree(directory)
    return done.returncode, ' '.join((done.stdout + done.stderr).split())


def test_a_controller_without_requests_is_told_what_to_install():
    directory = tempfile.mkdtemp(prefix='norequests')
    venv.create(directory, with_pip=False)
    python = os.path.join(directory, 'bin', 'python')
    try:
        rc, out = play(BUILD, '-e', 'ansible_python_interpreter=%s' % python)
    finally:
        shutil.rmtree(directory)
    assert rc == 2, out
    assert 'The controller cannot build debian-12-x86_64 in a container' in out
    assert "cannot import requests (ModuleNotFoundError: No module named 'requests')" in out
    assert 'Fix: %s -m pip install requests' % python in out
    assert 'Nothing was built or installed.' in out
    # stopped before the first container
    assert 'Start the build containers on the controller' not in out


@pytest.mark.parametrize('method', ['source', 'package'])
def test_a_relay_that_is_not_debian_is_not_sent_to_the_other_method(method):
    rc, out = play(PREFLIGHT, '-e', 'mailrelay_install_method=%s' % method)
    assert rc == 2, out
    assert 'localhost runs Rocky (RedHat family), and neither install method supports it' in out
    assert 'use mailrelay_install_method: source there' not in out
    assert 'Nothing was changed.' in out
