# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""container_build_info with a scripted docker command on PATH and a real Unix socket."""

from __future__ import annotations

import os
import socket
import stat
import tempfile

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.mailrelay.sendmail.plugins.modules import container_build_info

# "docker version" answers when ENGINE is set; "docker image inspect" finds only debian:bookworm
DOCKER = """#!/bin/sh
case "$1" in
  version) [ -n "$ENGINE" ] && { echo 26.1.5; exit 0; }
           echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2; exit 1 ;;
  image) for last; do :; done
         [ "$last" = debian:bookworm ] && { echo sha256:0123; exit 0; }
         echo "Error: No such image: $last" >&2; exit 1 ;;
esac
exit 2
"""


@pytest.fixture
def controller(monkeypatch):
    directory = tempfile.mkdtemp(prefix='cbi')
    docker = os.path.join(directory, 'docker')
    with open(docker, 'w') as handle:
        handle.write(DOCKER)
    os.chmod(docker, stat.S_IRWXU)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(os.path.join(directory, 'docker.sock'))
    listener.listen(1)
    monkeypatch.setenv('PATH', directory + os.pathsep + os.environ['PATH'])
    monkeypatch.setenv('DOCKER_HOST', 'unix://' + os.path.join(directory, 'docker.sock'))
    yield directory
    listener.close()


def test_all_there(run_module, controller, monkeypatch):
    monkeypatch.setenv('ENGINE', '1')
    rc, result, dummy = run_module(container_build_info, {'images': ['debian:bookworm'], 'python_libraries': ['json']})
    assert rc == 0 and result['changed'] is False
    assert result['problems'] == [] and result['message'] == ''
    assert result['docker']['server_version'] == '26.1.5' and result['docker']['api_error'] is None
    assert result['docker']['cli'] == os.path.join(controller, 'docker')
    assert result['images'] == {'debian:bookworm': {'present': True, 'error': None}}
    assert result['python']['libraries']['json']['importable'] is True


def test_what_is_missing_is_named_with_its_fix(run_module, controller, monkeypatch):
    monkeypatch.setenv('ENGINE', '1')
    monkeypatch.setenv('DOCKER_HOST', 'unix://' + os.path.join(controller, 'nothing.sock'))
    rc, result, dummy = run_module(container_build_info, {
        'images': ['debian:bookworm', 'debian:trixie'], 'python_libraries': ['mailrelay_no_such_library']},
        check_mode=True)
    assert rc == 0 and result['changed'] is False
    assert [entry['item'] for entry in result['problems']] == [
        'python library mailrelay_no_such_library', 'Docker API', 'image debian:trixie']
    assert result['images']['debian:trixie'] == {'present': False, 'error': 'Error: No such image: debian:trixie'}
    assert 'pip install mailrelay_no_such_library' in result['message']
    assert 'docker pull debian:trixie' in result['message']


def test_an_engine_that_does_not_answer(run_module, controller, monkeypatch):
    monkeypatch.delenv('ENGINE', raising=False)
    rc, result, dummy = run_module(container_build_info, {'images': ['debian:bookworm'], 'python_libraries': []})
    assert [entry['item'] for entry in result['problems']] == ['Docker engine']
    assert result['docker']['error'].startswith('Cannot connect to the Docker daemon')
    assert result['images']['debian:bookworm']['present'] is False  # not asked: no engine


def test_no_docker_command(run_module, monkeypatch):
    monkeypatch.setenv('PATH', tempfile.mkdtemp(prefix='empty'))
    rc, result, dummy = run_module(container_build_info, {'python_libraries': []})
    assert [entry['item'] for entry in result['problems']] == ['docker command']


def test_documented_options_match_the_argument_spec():
    documented = yaml.safe_load(container_build_info.DOCUMENTATION)['options']
    spec = container_build_info.argument_spec()
    assert sorted(documented) == sorted(spec)
    for name, option in spec.items():
        assert documented[name]['type'] == option['type']
        assert documented[name].get('default') == option.get('default')
    assert ArgumentSpecValidator(spec).validate({}).error_messages == []
