# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a relay's candidate generation is made of, as one digest (controller side).

A rollout renders a relay's candidate from its variables, a few of its facts, its peers'
names and addresses, the collection's own files and the CA's files on the controller. When all of
them are what they were when the live generation passed its gate, the candidate would be that
generation again: the rollout may skip preparing it and only run the gate (rollout
`unchanged.yml`). Anything unreadable makes no digest, and no digest means a full run.
"""

from __future__ import annotations

import hashlib
import json
import os

# the variables of the collection's roles (role defaults live in the collection's files)
VARIABLE_PREFIXES = ('artifact_', 'cyrus_sasl_', 'mailrelay_', 'metrics_', 'private_ca_', 'prngd_', 'sendmail_')
# the facts the roles read
FACTS = ('fqdn', 'hostname', 'domain', 'nodename', 'architecture', 'distribution', 'distribution_major_version',
         'distribution_release', 'os_family', 'all_ipv4_addresses', 'all_ipv6_addresses')
# what a peer contributes to a relay's access map
PEER_VARIABLES = ('private_ca_server_common_name',)
# a run's own switches, and what the roles set during a run (results, paths they publish): not what a
# generation is made of, and not there yet when a run starts
RUN_VARIABLES = frozenset(('mailrelay_rollout_rollback', 'mailrelay_rollout_rollback_to', 'mailrelay_rollout_retry_failed',
                           'mailrelay_rollout_unchanged_max_age', 'mailrelay_rollout_skip_unchanged',
                           'mailrelay_artifact', 'mailrelay_verify_result', 'mailrelay_verify_outbound_result',
                           'private_ca_server_cert_path', 'private_ca_server_key_path', 'private_ca_ca_cert_path',
                           'private_ca_ca_path', 'private_ca_client_cert_path', 'private_ca_client_key_path'))
SKIP_DIRS = frozenset(('__pycache__', '.git', '.cache', '.venv', 'molecule', 'tests', 'docs', 'changelogs'))


def _address(facts, key):
    value = facts.get(key) if isinstance(facts, dict) else None
    return value.get('address') if isinstance(value, dict) else None


def host_inputs(host_vars):
    """The variables (by prefix) and facts of one host that a candidate is rendered from."""
    names = sorted(name for name in host_vars.keys()
                   if isinstance(name, str) and name.startswith(VARIABLE_PREFIXES) and name not in RUN_VARIABLES)
    variables = {name: host_vars[name] for name in names}
    facts = host_vars.get('ansible_facts') or {}
    picked = {name: facts.get(name) for name in FACTS if name in facts}
    picked['default_ipv4'] = _address(facts, 'default_ipv4')
    picked['default_ipv6'] = _address(facts, 'default_ipv6')
    # the groups this run sorts the relays into (mailrelay_rollout_*) are the run's, not the relay's
    groups = sorted(name for name in host_vars.get('group_names') or [] if not str(name).startswith('mailrelay_rollout_'))
    return {'variables': variables, 'facts': picked, 'groups': groups}


def peer_inputs(host_vars):
    """What a peer adds to a relay's candidate: its certificate name and its addresses."""
    facts = host_vars.get('ansible_facts') or {}
    out = {name: host_vars[name] for name in PEER_VARIABLES if name in host_vars}
    out.update(fqdn=facts.get('fqdn'), default_ipv4=_address(facts, 'default_ipv4'), default_ipv6=_address(facts, 'default_ipv6'))
    return out


def digest(document):
    """sha256 of a JSON document with sorted keys; values JSON does not know are taken as text."""
    text = json.dumps(document, sort_keys=True, separators=(',', ':'), default=str)
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def inputs_digest(host_vars, peers, controller):
    """The digest of a relay's inputs: its own, its peers' (name -> host vars) and the controller's."""
    document = {'host': host_inputs(host_vars),
                'peers': {name: peer_inputs(peer_vars) for name, peer_vars in sorted(peers.items())},
                'controller': controller}
    return digest(document)


def tree_digest(path):
    """sha256 over a file or a directory tree: relative names, link targets, modes and contents.
    'absent' for a path that does not exist."""
    path = os.path.expanduser(path)
    if not os.path.lexists(path):
        return 'absent'
    sha = hashlib.sha256()
    if not os.path.isdir(path) or os.path.islink(path):
        walk = [(os.path.dirname(path), [], [os.path.basename(path)])]
        base = os.path.dirname(path)
    else:
        walk = os.walk(path)
        base = path
    for top, dirs, files in walk:
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(files):
            full = os.path.join(top, name)
            rel = os.path.relpath(full, base)
            if name.endswith('.pyc'):
                continue
            sha.update(b'\0name\0' + rel.encode('utf-8', 'surrogateescape'))
            if os.path.islink(full):
                sha.update(b'\0link\0' + os.readlink(full).encode('utf-8', 'surrogateescape'))
                continue
            st = os.stat(full)
            sha.update(('\0mode\0%o' % (st.st_mode & 0o7777)).encode())
            with open(full, 'rb') as handle:
                for block in iter(lambda: handle.read(1 << 16), b''):
                    sha.update(block)
    return sha.hexdigest()
