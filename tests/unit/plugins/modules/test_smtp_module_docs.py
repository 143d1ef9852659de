# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The documentation of the SMTP probe modules agrees with what they accept and what they return."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.mailrelay.sendmail.plugins.doc_fragments._smtp_connection import ModuleDocFragment
from ansible_collections.mailrelay.sendmail.plugins.modules import (
    smtp_auth_check,
    smtp_ehlo_info,
    smtp_relay_check,
    smtp_smuggling_check,
)
from ansible_collections.mailrelay.sendmail.tests.unit.smtp_peers import PASSWORD, USER

MODULES = {'mailrelay.sendmail.smtp_ehlo_info': smtp_ehlo_info, 'mailrelay.sendmail.smtp_auth_check': smtp_auth_check,
           'mailrelay.sendmail.smtp_relay_check': smtp_relay_check,
           'mailrelay.sendmail.smtp_smuggling_check': smtp_smuggling_check}
TLS_KEYS_DOC = yaml.safe_load(smtp_ehlo_info.RETURN)['tls']['contains']


@pytest.mark.parametrize('name', sorted(MODULES))
def test_examples_use_the_fqcn_and_valid_arguments(name):
    module = MODULES[name]
    tasks = yaml.safe_load(module.EXAMPLES)
    validator = ArgumentSpecValidator(module.argument_spec())
    used = 0
    for task in tasks:
        assert 'name' in task, task
        if name not in task:
            assert any(key.startswith(('ansible.builtin.', 'mailrelay.sendmail.')) for key in task), task
            continue
        used += 1
        result = validator.validate(task[name])
        assert not result.error_messages, (task['name'], result.error_messages)
    assert used >= 3


@pytest.mark.parametrize('name', sorted(MODULES))
def test_documented_options_match_the_argument_spec(name):
    module = MODULES[name]
    documented = set(yaml.safe_load(module.DOCUMENTATION)['options'])
    documented |= set(yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options'])
    assert documented == set(module.argument_spec())


def _documented_keys(doc):
    return set(yaml.safe_load(doc))


def test_ehlo_info_returns_only_documented_keys(smtp_server, tls_material):
    server = smtp_server('starttls')
    result, failure = smtp_ehlo_info.run_probe(server.params(ca_file=tls_material.ca_file))
    assert failure is None
    returned = set(result) - {'changed'}
    documented = _documented_keys(smtp_ehlo_info.RETURN)
    assert returned == documented
    tls_documented = set(yaml.safe_load(smtp_ehlo_info.RETURN)['tls']['contains'])
    assert set(result['tls']) == tls_documented


def test_auth_check_returns_only_documented_keys(smtp_server):
    server = smtp_server('starttls')
    params = server.params(username=USER, password=PASSWORD, relay_probe=True, mail_from='',
                           rcpt_to='relay-probe@example.com', source_address='127.0.0.2', ca_file=server.ca_file,
                           data_rcpt='mailrelay-probe@relay.test')
    result, failure = smtp_auth_check.AuthCheck(params).run()
    assert failure is None
    doc = yaml.safe_load(smtp_auth_check.RETURN)
    assert set(result) - {'changed'} == set(doc)
    assert set(result['relay']) == set(doc['relay']['contains'])
    assert set(result['data']) == set(doc['data']['sample'])
    assert set(result['auth']['PLAIN']) == set(doc['auth']['contains'])
    assert set(result['tls']) == set(yaml.safe_load(smtp_ehlo_info.RETURN)['tls']['contains'])


def _module_defaults(module):
    return {name: spec.get('default') for name, spec in module.argument_spec().items()}


def _documented_dict_keys(description):
    """Keys named as C(key) in the description of a dict or list-of-dicts return value."""
    text = ' '.join(description) if isinstance(description, list) else description
    return set(re.findall(r'C\(([a-z_]+)\)', text))


def test_relay_check_returns_only_documented_keys(rule_server, tls_material):
    server = rule_server(tls_context=tls_material.server_context())
    params = _module_defaults(smtp_relay_check)
    params.update(server.params(ca_file=tls_material.ca_file))
    result, failure = smtp_relay_check.RelayCheck(params).run()
    assert failure is None, failure
    doc = yaml.safe_load(smtp_relay_check.RETURN)
    assert set(result) - {'changed'} == set(doc)
    assert set(result['phases']) == set(doc['phases']['contains'])
    phase_doc = doc['phases']['contains']['clear']
    assert set(result['phases']['clear']) == set(phase_doc['sample'])
    assert set(result['phases']['clear']['tricks'][0]) == set(phase_doc['sample']['tricks'][0])
    assert set(result['phases']['clear']) | set(result['phases']['clear']['tricks'][0]) <= (
        _documented_dict_keys(phase_doc['description']))
    assert set(result['counts']) == set(doc['counts']['sample'])
    assert set(result['tls']) == set(TLS_KEYS_DOC)


def test_smuggling_check_returns_only_documented_keys(rule_server):
    server = rule_server()
    params = _module_defaults(smtp_smuggling_check)
    params.update(server.params(tls='none', rcpt_to='postmaster@relay.test'))
    result, failure = smtp_smuggling_check.run_check(params)
    assert failure is None, failure
    doc = yaml.safe_load(smtp_smuggling_check.RETURN)
    assert set(result) - {'changed'} == set(doc)
    assert set(result['variants'][0]) == set(doc['variants']['sample'][0])
    assert set(result['variants'][0]) <= _documented_dict_keys(doc['variants']['description'])


def test_guide_examples_are_valid_tasks():
    """Every task in docs/smtp-checks.md that uses one of the modules passes its argument spec."""
    guide = Path(__file__).resolve().parents[4] / 'docs' / 'smtp-checks.md'
    blocks = re.findall(r'```yaml\n(.*?)```', guide.read_text(), re.S)
    checked = 0
    for block in blocks:
        for task in yaml.safe_load(block):
            for name, module in MODULES.items():
                if name in task:
                    result = ArgumentSpecValidator(module.argument_spec()).validate(task[name])
                    assert not result.error_messages, (task['name'], result.error_messages)
                    checked += 1
    assert checked >= 6
