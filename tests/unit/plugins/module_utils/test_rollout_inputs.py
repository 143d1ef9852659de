# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The digest of what a relay's candidate is made of (rollout unchanged.yml) and its record."""

from __future__ import annotations

import os

from ansible_collections.mailrelay.sendmail.plugins.module_utils import _rollout_inputs as ri
from ansible_collections.mailrelay.sendmail.plugins.module_utils._generation import live_summary, mark_gate
from ansible_collections.mailrelay.sendmail.plugins.filter.rollout_inputs_digest import rollout_inputs_digest


def relay(**extra):
    host = {
        'sendmail_config_max_message_size': 10485760,
        'cyrus_sasl_users': [{'name': 'alice', 'password': 'secret'}],
        'group_names': ['relays'],
        'ansible_facts': {'fqdn': 'relay1.example.org', 'distribution': 'Debian', 'distribution_major_version': '12',
                          'default_ipv4': {'address': '192.0.2.1', 'macaddress': '02:42:ac:11:00:02'},
                          'uptime_seconds': 100},
        'unrelated_variable': 1,
    }
    host.update(extra)
    return host


def digest(host, peers=None, controller=None):
    return ri.inputs_digest(host, peers or {}, controller or {'collection': 'c1'})


def test_same_inputs_same_digest_and_it_is_hex():
    assert digest(relay()) == digest(relay())
    assert len(digest(relay())) == 64 and int(digest(relay()), 16) >= 0


def test_a_role_variable_a_secret_a_fact_a_group_or_the_controller_changes_it():
    base = digest(relay())
    assert digest(relay(sendmail_config_max_message_size=20971520)) != base
    assert digest(relay(cyrus_sasl_users=[{'name': 'alice', 'password': 'other'}])) != base
    moved = relay()
    moved['ansible_facts'] = dict(moved['ansible_facts'], default_ipv4={'address': '192.0.2.9'})
    assert digest(moved) != base
    assert digest(relay(group_names=['relays', 'late_relays'])) != base
    assert digest(relay(), controller={'collection': 'c2'}) != base
    # a new variable of a role, e.g. from -e
    assert digest(relay(private_ca_server_sans=['smtp.example.org'])) != base


def test_what_is_not_an_input_leaves_it_alone():
    base = digest(relay())
    assert digest(relay(unrelated_variable=2)) == base
    volatile = relay()
    volatile['ansible_facts'] = dict(volatile['ansible_facts'], uptime_seconds=99999,
                                     default_ipv4={'address': '192.0.2.1', 'macaddress': 'other'})
    assert digest(volatile) == base
    # the run's own switches and groups, and what the roles set during a run
    assert digest(relay(mailrelay_rollout_rollback=True, mailrelay_rollout_unchanged_max_age=5)) == base
    assert digest(relay(group_names=['relays', 'mailrelay_rollout_at_once', 'mailrelay_rollout_unchanged'])) == base
    assert digest(relay(mailrelay_artifact={'id': 'x'}, private_ca_ca_cert_path='/etc/mail/certs/ca.crt', private_ca_ca_path='/x',
                        private_ca_client_cert_path='/x', private_ca_client_key_path='/x',
                        mailrelay_verify_result={'ok': True})) == base
    assert digest(relay(__internal='x')) == base


def test_a_peer_that_moves_or_comes_changes_it():
    peer = relay(ansible_facts={'fqdn': 'relay2.example.org', 'default_ipv4': {'address': '192.0.2.2'}})
    base = digest(relay(), peers={'relay2': peer})
    assert base != digest(relay())
    moved = dict(peer, ansible_facts={'fqdn': 'relay2.example.org', 'default_ipv4': {'address': '192.0.2.22'}})
    assert digest(relay(), peers={'relay2': moved}) != base
    assert digest(relay(), peers={'relay2': peer, 'relay3': peer}) != base
    # what a peer's other variables say is not this relay's business
    assert digest(relay(), peers={'relay2': dict(peer, sendmail_config_max_message_size=1)}) == base


def test_the_filter_reads_hostvars_and_says_nothing_when_a_value_cannot_be_read():
    class Broken(dict):
        def __getitem__(self, key):
            if key == 'sendmail_config_bad':
                raise ValueError('undefined variable')
            return dict.__getitem__(self, key)
    hostvars = {'relay1': relay(), 'relay2': relay()}
    assert rollout_inputs_digest(hostvars, 'relay1', ['relay2', 'gone'], {'collection': 'c1'}) == \
        digest(relay(), peers={'relay2': relay()})
    assert rollout_inputs_digest({'relay1': Broken(relay(sendmail_config_bad='{{ nope }}'))}, 'relay1', [], {'collection': 'c1'}) == ''
    # no controller part (the collection, the CA): no digest, so no skip
    assert rollout_inputs_digest(hostvars, 'relay1', ['relay2']) == ''


def test_tree_digest_sees_names_contents_modes_and_links(tmp_path):
    assert ri.tree_digest(str(tmp_path / 'missing')) == 'absent'
    (tmp_path / 'ca.crt').write_text('one')
    (tmp_path / '__pycache__').mkdir()
    (tmp_path / '__pycache__' / 'x.pyc').write_text('ignored')
    first = ri.tree_digest(str(tmp_path))
    (tmp_path / '__pycache__' / 'y.pyc').write_text('still ignored')
    assert ri.tree_digest(str(tmp_path)) == first
    (tmp_path / 'ca.crt').write_text('two')
    second = ri.tree_digest(str(tmp_path))
    assert second != first
    os.chmod(str(tmp_path / 'ca.crt'), 0o600)
    assert ri.tree_digest(str(tmp_path)) != second
    os.symlink('ca.crt', str(tmp_path / 'abcd.0'))
    assert ri.tree_digest(str(tmp_path)) not in (first, second)
    assert ri.tree_digest(str(tmp_path / 'ca.crt')) != 'absent'


def test_the_record_keeps_the_inputs_of_a_passed_gate_and_forgets_them_on_a_failed_one():
    history = {'generations': {'0001': {'status': 'live', 'digest': 'd'}}, 'events': []}
    assert mark_gate(history, '0001', 'passed', '2026-12-07T10:00:00Z', inputs='abc')
    summary = live_summary(history, '0001')
    assert (summary['gate'], summary['inputs'], summary['inputs_at']) == ('passed', 'abc', '2026-12-07T10:00:00Z')
    # a run that only gated (no inputs) keeps the record and its time
    mark_gate(history, '0001', 'passed', '2026-12-07T11:00:00Z')
    assert live_summary(history, '0001')['inputs_at'] == '2026-12-07T10:00:00Z'
    # a full run with the same inputs renews the time
    assert mark_gate(history, '0001', 'passed', '2026-12-07T12:00:00Z', inputs='abc')
    assert live_summary(history, '0001')['inputs_at'] == '2026-12-07T12:00:00Z'
    mark_gate(history, '0001', 'failed', '2026-12-07T13:00:00Z')
    assert live_summary(history, '0001')['inputs'] is None


def test_every_public_fact_a_role_sets_during_a_run_is_left_out():
    """A fact set with a role's prefix in the prepare play would make the digest taken there differ from
    the one the next run takes before it: every such set_fact is a run variable, or is set by a preflight
    (the checks run before the digest, in every run)."""
    import glob
    import yaml
    root = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..')
    found = set()

    def walk(node):
        if isinstance(node, dict):
            for key in ('ansible.builtin.set_fact', 'set_fact'):
                if isinstance(node.get(key), dict):
                    found.update(name for name in node[key] if name.startswith(ri.VARIABLE_PREFIXES))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in glob.glob(os.path.join(root, 'roles', '*', 'tasks', '*.yml')):
        if os.path.basename(path) == 'preflight.yml':
            continue
        with open(path) as handle:
            walk(yaml.safe_load(handle))
    assert found, 'no set_fact found: the test reads the wrong directory'
    assert found - ri.RUN_VARIABLES == set()
