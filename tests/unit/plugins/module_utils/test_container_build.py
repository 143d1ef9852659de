# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the controller needs for build containers: each missing piece named with its fix."""

from __future__ import annotations

import pytest

from ansible_collections.mailrelay.sendmail.plugins.module_utils import _container_build as cb

PY = '/opt/ansible/bin/python3'
NO_REQUESTS = {'importable': False, 'version': None, 'error': "ModuleNotFoundError: No module named 'requests'"}
REQUESTS = {'importable': True, 'version': '2.32.3', 'error': None}
ENGINE = {'cli': '/usr/bin/docker', 'server_version': '26.1.5', 'error': None, 'host': cb.DEFAULT_DOCKER_HOST,
          'api_error': None}


def findings(libraries=None, docker=None, images=None):
    return {'python': {'executable': PY, 'libraries': {'requests': REQUESTS} if libraries is None else libraries},
            'docker': dict(ENGINE, **(docker or {})),
            'images': {'debian:bookworm': {'present': True}} if images is None else images}


@pytest.mark.parametrize('given, items, fixes', [
    (findings(), [], []),
    (findings(libraries={'requests': NO_REQUESTS}), ['python library requests'],
     ['%s -m pip install requests' % PY]),
    (findings(docker={'cli': None, 'server_version': None}), ['docker command'], ['apt-get install docker.io']),
    (findings(docker={'server_version': None, 'error': 'Cannot connect to the Docker daemon'}), ['Docker engine'],
     ['start the engine']),
    (findings(docker={'api_error': 'No such file or directory'}), ['Docker API'], ['export DOCKER_HOST']),
    (findings(images={'debian:bookworm': {'present': False}, 'debian:trixie': {'present': True}}),
     ['image debian:bookworm'], ['docker pull debian:bookworm, or make images']),
    # no engine: the images cannot be looked at, and are not reported missing
    (findings(libraries={'requests': NO_REQUESTS}, docker={'server_version': None, 'error': 'permission denied'},
              images={'debian:bookworm': {'present': False}}),
     ['python library requests', 'Docker engine'], ['pip install requests', 'docker group']),
])
def test_problems(given, items, fixes):
    found = cb.problems(given)
    assert [entry['item'] for entry in found] == items
    for entry, fix in zip(found, fixes):
        assert fix in entry['fix'], entry
    message = cb.summary(found)
    assert message.count('Fix: ') == len(items)


def test_the_message_names_the_interpreter_and_the_library():
    message = cb.summary(cb.problems(findings(libraries={'requests': NO_REQUESTS})))
    assert message == (
        "1. The Python that runs the build container tasks on the controller (%s) cannot import requests "
        "(ModuleNotFoundError: No module named 'requests'); community.docker needs it to start containers. "
        "Fix: %s -m pip install requests (into the environment ansible runs from), or set "
        "ansible_python_interpreter for localhost to a Python that has it." % (PY, PY))


def test_library_status():
    assert cb.library_status('json')['importable'] is True
    missing = cb.library_status('mailrelay_no_such_library')
    assert missing['importable'] is False and missing['error'].startswith('ModuleNotFoundError')

    def broken(name):
        raise RuntimeError('half installed')
    assert cb.library_status('requests', importer=broken) == {
        'importable': False, 'version': None, 'error': 'RuntimeError: half installed'}


@pytest.mark.parametrize('host, path', [
    ('unix:///var/run/docker.sock', '/var/run/docker.sock'),
    ('unix://', None),
    ('tcp://10.0.0.1:2376', None),
    ('', None),
])
def test_unix_socket_path(host, path):
    assert cb.unix_socket_path(host) == path
