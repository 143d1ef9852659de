# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fixtures for the unit tests: the import path, a throwaway CA, SMTP servers on loopback.

`smtp_server` starts aiosmtpd (a real SMTP server) and `scripted_server` a scripted peer;
both are described in smtp_peers.py. `run_module` runs a module's main() as Ansible does.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _collections_path():
    """Where `ansible_collections.mailrelay.sendmail` can be imported from."""
    if ROOT.parts[-3:-2] == ('ansible_collections',):  # ansible-test units, or an installed tree
        return ROOT.parents[2]
    cache = ROOT / '.cache' / 'collections'
    if (cache / 'ansible_collections' / 'mailrelay' / 'sendmail' / 'galaxy.yml').exists():
        return cache  # made by scripts/venv.sh
    tmp = Path(tempfile.mkdtemp(prefix='mailrelay-collections-'))
    (tmp / 'ansible_collections' / 'mailrelay').mkdir(parents=True)
    (tmp / 'ansible_collections' / 'mailrelay' / 'sendmail').symlink_to(ROOT)
    return tmp


COLLECTIONS_PATH = str(_collections_path())
if COLLECTIONS_PATH not in sys.path:
    sys.path.insert(0, COLLECTIONS_PATH)

# pylint: disable=wrong-import-position
from ansible_collections.mailrelay.sendmail.tests.unit.smtp_peers import (  # noqa: E402
    ALL_MECHANISMS,
    SERVER_NAME,
    RecordingController,
    RelayHandler,
    RuleServer,
    ScriptedServer,
    Server,
    TLSMaterial,
    free_port,
)


@pytest.fixture(scope='session')
def tls_material(tmp_path_factory):
    return TLSMaterial(tmp_path_factory.mktemp('tls'))


@pytest.fixture
def smtp_server(tls_material):
    """Factory: smtp_server(mode='starttls'|'implicit'|'plain', handler=None, mechanisms=..., **aiosmtpd options).

    Offers LOGIN and PLAIN unless `mechanisms` says otherwise (any of ALL_MECHANISMS).
    certificate='rogue' (another CA) or 'wrong_name' (our CA, other.test) plays an impostor.
    """
    started = []

    def start(mode='starttls', handler=None, server_tls_min=None, mechanisms=('LOGIN', 'PLAIN'), certificate='server',
              host='127.0.0.1', **options):
        handler = handler or RelayHandler()
        options.setdefault('authenticator', handler.authenticator)
        options.setdefault('auth_exclude_mechanism', [m for m in ALL_MECHANISMS if m not in mechanisms])
        if mode == 'starttls':
            options['tls_context'] = tls_material.server_context(server_tls_min, certificate)
        elif mode == 'implicit':
            options['ssl_context'] = tls_material.server_context(server_tls_min, certificate)
            # aiosmtpd only counts STARTTLS as TLS for auth_require_tls; implicit TLS is TLS too
            options.setdefault('auth_require_tls', False)
        controller = RecordingController(handler, hostname=host, port=free_port(host), ready_timeout=5,
                                         server_hostname=SERVER_NAME, **options)
        controller.start()
        started.append(controller)
        server = Server(controller, handler)
        server.ca_file = tls_material.ca_file if mode in ('starttls', 'implicit') else None
        return server

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def scripted_server():
    servers = []

    def start(script, implicit_tls_context=None, host='127.0.0.1'):
        server = ScriptedServer(script, implicit_tls_context, host)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.join()


@pytest.fixture
def rule_server():
    """Factory: rule_server(mail=..., rcpt=..., hang_up=..., data_mode=..., tls_context=..., host=...)."""
    servers = []

    def start(**options):
        server = RuleServer(**options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


# ---------------------------------------------------------------------------------------
# running a module's main() the way Ansible does: JSON args in, JSON out, SystemExit

@pytest.fixture
def run_module(capsys):
    from ansible.module_utils.testing import patch_module_args

    def run(module, args, check_mode=False):
        args = dict(args)
        if check_mode:
            args['_ansible_check_mode'] = True
        with patch_module_args(args):
            with pytest.raises(SystemExit) as exited:
                module.main()
        out = capsys.readouterr().out
        return exited.value.code, json.loads(out), out

    return run
