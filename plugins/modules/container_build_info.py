#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: container_build_info
short_description: Report whether this host can run the artifact role's throwaway build containers
version_added: 0.2.0
author: mailrelay.sendmail developers (!UNKNOWN)
description:
  - Looks at what C(mailrelay.sendmail.artifact) needs on the controller before it builds in a
    container, and lists what is missing with what to install or run.
  - The Python libraries that community.docker's modules import (O(python_libraries)), in the
    interpreter this module runs with, which is the one the container tasks run with when both
    are delegated to the same host.
  - The C(docker) command (the community.docker.docker connection uses it) and whether it reaches
    a Docker engine; the Docker API endpoint (C(DOCKER_HOST), else C(unix:///var/run/docker.sock))
    when it is a Unix socket.
  - Whether each of O(images) is in that engine.
extends_documentation_fragment:
  - mailrelay.sendmail._attributes
  - mailrelay.sendmail._attributes.READ_ONLY
options:
  images:
    description: Container images the builds start from, for example C(debian:bookworm).
    type: list
    elements: str
    default: []
  python_libraries:
    description: Python libraries that must be importable.
    type: list
    elements: str
    default: [requests]
  docker_host:
    description:
      - The Docker API endpoint community.docker's modules use. Default C(DOCKER_HOST) from the
        environment, else C(unix:///var/run/docker.sock).
    type: str
notes:
  - Run it on the controller (C(delegate_to=localhost)) with the same interpreter as the container tasks.
seealso:
  - module: community.docker.docker_container
"""

EXAMPLES = r"""
- name: Check the controller before building in containers
  mailrelay.sendmail.container_build_info:
    images: [debian:bookworm, debian:trixie]
  delegate_to: localhost
  become: false
  register: controller

- name: Stop with what to install
  ansible.builtin.assert:
    that: controller.problems | length == 0
    fail_msg: "{{ controller.message }}"
"""

RETURN = r"""
python:
  description: The interpreter and each library of O(python_libraries).
  returned: always
  type: dict
  sample: {executable: /usr/bin/python3, libraries: {requests: {importable: false, version: null, error: "ModuleNotFoundError: No module named 'requests'"}}}
docker:
  description: The C(docker) command (C(cli), its path or null), the engine's C(server_version) (null when it
    cannot be reached, with C(error)), the API endpoint C(host) and C(api_error) (null when it answers or is not a Unix socket).
  returned: always
  type: dict
  sample: {cli: /usr/bin/docker, server_version: "26.1.5", error: null, host: "unix:///var/run/docker.sock", api_error: null}
images:
  description: For each of O(images), C(present) (and C(error) when the engine was asked and said no).
  returned: always
  type: dict
  sample: {"debian:bookworm": {present: true, error: null}}
problems:
  description: One entry per missing prerequisite, with C(item), C(message) and C(fix).
  returned: always
  type: list
  elements: dict
  sample: [{item: python library requests, message: "...", fix: "/usr/bin/python3 -m pip install requests ..."}]
message:
  description: Every problem with its fix in one sentence each; empty when nothing is missing.
  returned: always
  type: str
"""

import os
import sys

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailrelay.sendmail.plugins.module_utils._container_build import (
    DEFAULT_DOCKER_HOST,
    library_status,
    problems,
    socket_answers,
    summary,
    unix_socket_path,
)


def argument_spec():
    return dict(
        images=dict(type='list', elements='str', default=[]),
        python_libraries=dict(type='list', elements='str', default=['requests']),
        docker_host=dict(type='str'),
    )


def _first_line(text):
    lines = (text or '').strip().splitlines()
    return lines[0] if lines else ''


def inspect(module):
    params = module.params
    findings = {
        'python': {'executable': sys.executable,
                   'libraries': dict((name, library_status(name)) for name in params['python_libraries'])},
        'docker': {'cli': module.get_bin_path('docker'), 'server_version': None, 'error': None,
                   'host': params['docker_host'] or os.environ.get('DOCKER_HOST') or DEFAULT_DOCKER_HOST,
                   'api_error': None},
        'images': dict((name, {'present': False, 'error': None}) for name in params['images']),
    }
    docker = findings['docker']
    if docker['cli']:
        rc, out, err = module.run_command([docker['cli'], 'version', '--format', '{{.Server.Version}}'])
        if rc == 0 and out.strip():
            docker['server_version'] = out.strip()
        else:
            docker['error'] = _first_line(err) or _first_line(out) or 'docker version exited %d' % rc
    path = unix_socket_path(docker['host'])
    if path:
        docker['api_error'] = socket_answers(path)
    if docker['server_version']:
        for name in params['images']:
            rc, dummy, err = module.run_command([docker['cli'], 'image', 'inspect', '--format', '{{.Id}}', name])
            findings['images'][name] = {'present': rc == 0, 'error': None if rc == 0 else _first_line(err)}
    return findings


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    findings = inspect(module)
    found = problems(findings)
    module.exit_json(changed=False, problems=found, message=summary(found), **findings)


if __name__ == '__main__':
    main()
