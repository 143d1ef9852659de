# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private helpers for container_build_info: what a host needs to run throwaway build containers.

This is a private module_utils (leading underscore): no API promise outside this collection.
The artifact role starts its build containers with community.docker.docker_container (which
needs the Python library ``requests`` in the interpreter that runs it) and reaches them with
the community.docker.docker connection (which runs the ``docker`` command). ``problems`` turns
what was found into one entry per missing piece, each saying what to install or run.
"""

from __future__ import annotations

import importlib
import socket

# Python libraries community.docker's modules import (it brings its own Docker API client,
# which is built on requests; the Docker SDK for Python is not needed).
PYTHON_LIBRARIES = ('requests',)
DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock'


def library_status(name, importer=importlib.import_module):
    """``{importable, version, error}`` for one Python library in this interpreter."""
    try:
        module = importer(name)
    except Exception as error:  # an ImportError, or a library that breaks while it loads
        return {'importable': False, 'version': None, 'error': '%s: %s' % (type(error).__name__, error)}
    version = getattr(module, '__version__', None)
    return {'importable': True, 'version': str(version) if version is not None else None, 'error': None}


def unix_socket_path(docker_host):
    """The socket path of a ``unix://`` Docker host, else None (tcp:// and ssh:// are not probed here)."""
    if docker_host and docker_host.startswith('unix://'):
        return docker_host[len('unix://'):] or None
    return None


def socket_answers(path, timeout=3.0):
    """None when something accepts connections on the Unix socket ``path``, else why not."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
    except OSError as error:
        return error.strerror or str(error)
    finally:
        sock.close()
    return None


def problems(findings):
    """One ``{item, message, fix}`` per missing prerequisite, in the order they must be fixed.

    ``findings``: ``python`` (``executable``, ``libraries``: name -> library_status), ``docker``
    (``cli``: the command's path or None, ``server_version``, ``error``, ``host``, ``api_error``)
    and ``images`` (name -> ``{present, error}``).
    """
    found = []
    python = findings.get('python') or {}
    executable = python.get('executable') or 'python3'
    for name, status in sorted((python.get('libraries') or {}).items()):
        if not status.get('importable'):
            found.append({
                'item': 'python library %s' % name,
                'message': 'the Python that runs the build container tasks on the controller (%s) cannot import %s (%s); '
                           'community.docker needs it to start containers' % (executable, name, status.get('error')),
                'fix': '%s -m pip install %s (into the environment ansible runs from), or set ansible_python_interpreter '
                       'for localhost to a Python that has it' % (executable, name),
            })
    docker = findings.get('docker') or {}
    if not docker.get('cli'):
        found.append({
            'item': 'docker command',
            'message': 'there is no docker command on the controller: the build containers are reached with it',
            'fix': 'install the Docker engine and its client (Debian: apt-get install docker.io)',
        })
    elif not docker.get('server_version'):
        found.append({
            'item': 'Docker engine',
            'message': 'the docker command cannot reach a Docker engine: %s' % (docker.get('error') or 'no answer'),
            'fix': 'start the engine (systemctl start docker, or dockerd) and run the playbook as a user that may use it '
                   '(root, or a member of the docker group)',
        })
    if docker.get('api_error') and docker.get('server_version'):
        found.append({
            'item': 'Docker API',
            'message': 'the Docker API at %s does not answer (%s), while the docker command reaches an engine through '
                       'another endpoint (a docker context)' % (docker.get('host'), docker['api_error']),
            'fix': 'export DOCKER_HOST to the endpoint the docker command uses (docker context inspect shows it)',
        })
    if docker.get('server_version'):
        for name, status in sorted((findings.get('images') or {}).items()):
            if not status.get('present'):
                found.append({
                    'item': 'image %s' % name,
                    'message': 'the build image %s is not in the controller\'s Docker' % name,
                    'fix': 'docker pull %s, or make images (builds debian:bookworm and debian:trixie offline), '
                           'or name another image in mailrelay_artifact_build_images' % name,
                })
    return found


def summary(found):
    """One message for a failed task: every problem with its fix."""
    return ' '.join('%d. %s. Fix: %s.' % (number, entry['message'][:1].upper() + entry['message'][1:], entry['fix'])
                    for number, entry in enumerate(found, 1))
