# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The filter plugins: registered under their documented names, errors as AnsibleFilterError,
documentation that parses and agrees with the rules, and use from a real Jinja template."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_rules import (
    OWNED_M4_NAMES,
    RELAY_FEATURES,
    RISKS,
)

FILTERS = ('sendmail_listeners', 'sendmail_cf_listeners', 'cleartext_mechanisms', 'smart_host_name',
           'pluginviewer_mechanisms', 'sendmail_config_problems')


def plugin(name):
    return importlib.import_module('ansible_collections.mailrelay.sendmail.plugins.filter.%s' % name)


def function(name):
    return plugin(name).FilterModule().filters()[name]


@pytest.mark.parametrize('name', FILTERS)
def test_documentation(name):
    module = plugin(name)
    doc = yaml.safe_load(module.DOCUMENTATION)
    assert doc['name'] == name
    assert set(module.FilterModule().filters()) == {name}
    assert '_input' in doc['options'] and doc['options']['_input']['required']
    positional = [p.strip() for p in doc['positional'].split(',')]
    assert positional[0] == '_input' and set(positional) <= set(doc['options'])
    assert '_value' in yaml.safe_load(module.RETURN)
    examples = yaml.safe_load(module.EXAMPLES)
    assert examples and all('name' in task for task in examples)
    assert 'mailrelay.sendmail.%s' % name in module.EXAMPLES
    for also in doc.get('seealso', []):
        if also.get('plugin_type') == 'filter':
            name = also['plugin'].split('.')[-1]
            assert (Path(__file__).resolve().parents[4] / 'plugins' / 'filter' / (name + '.py')).exists(), name


def test_problem_documentation_names_every_risk_and_owned_name():
    doc = plugin('sendmail_config_problems').DOCUMENTATION
    text = re.sub(r'\s+', ' ', doc)
    for risk in RISKS:
        assert risk in text, risk
    for feature in RELAY_FEATURES:
        assert 'feature:%s' % feature in text
    for name in OWNED_M4_NAMES:
        assert name in text, name


def test_sendmail_listeners_filter():
    listeners = function('sendmail_listeners')([{'name': 'SMTPS', 'port': '465', 'modifiers': 'Eas'}])
    assert listeners[0]['port'] == 465
    assert listeners[0]['daemon_port_options'] == 'Port=465, Addr=0.0.0.0, Family=inet, Name=SMTPS, M=Eas'
    no_p = function('sendmail_listeners')([{'name': 'MSA', 'port': 587}], True, ['PLAIN'], ['A'])
    assert no_p[0]['auth_before_tls'] == ['PLAIN']


@pytest.mark.parametrize('name, value, message', [
    ('sendmail_listeners', [{'name': 'MSA', 'port': 'x'}], r"sendmail_listeners: sendmail_config_daemons entry 1 \(MSA\)"),
    ('sendmail_listeners', 'MTA', 'must be a list'),
    ('sendmail_cf_listeners', ['O DaemonPortOptions=Port=25'], 'the input must be the text of sendmail.cf'),
    ('sendmail_cf_listeners', 'O DaemonPortOptions=Family=unix, Name=X\n', 'not a TCP listener'),
    ('cleartext_mechanisms', 42, 'wants a list of mechanism names'),
    ('smart_host_name', ['[relay1]'], 'must be text'),
    ('pluginviewer_mechanisms', {'stdout': ''}, 'must be the text'),
    ('sendmail_config_problems', ['x'], 'needs a dict'),
])
def test_errors_are_filter_errors(name, value, message):
    with pytest.raises(AnsibleFilterError, match=message):
        function(name)(value)


TEMPLATE_SCRIPT = """
import json, sys
from ansible.plugins.loader import init_plugin_loader
init_plugin_loader()
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
variables, expressions = json.load(sys.stdin)
templar = Templar(loader=DataLoader(), variables=variables)
print(json.dumps([templar.template(trust_as_template('{{ %s }}' % e)) for e in expressions]))
"""


def test_filters_from_a_template():
    """The filters as a role calls them: Ansible's templating, the collection found on its path."""
    collections = Path(plugin('smart_host_name').__file__).parents[5]
    variables = {
        'daemons': [{'name': 'MTA', 'port': 25}, {'name': 'SMTPS', 'port': '465', 'modifiers': 'Eas'}],
        'smart_host': 'esmtp:[relay1.example.org]',
        'pv': 'Installed and properly configured SASL (server side) mechanisms are:\n  CRAM-MD5 PLAIN LOGIN\n',
        'config': {'sendmail_config_features': ["`relay_local_from'"]},
    }
    expressions = [
        "daemons | mailrelay.sendmail.sendmail_listeners(true, ['PLAIN', 'LOGIN'], 'A,p,y') "
        "| map(attribute='daemon_port_options') | list",
        'smart_host | mailrelay.sendmail.smart_host_name',
        '(pv | mailrelay.sendmail.pluginviewer_mechanisms).server',
        "['CRAM-MD5', 'login'] | mailrelay.sendmail.cleartext_mechanisms",
        "config | mailrelay.sendmail.sendmail_config_problems | map(attribute='risk') | list",
    ]
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections))
    done = subprocess.run([sys.executable, '-c', TEMPLATE_SCRIPT], input=json.dumps([variables, expressions]),
                          capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        ['Port=25, Addr=0.0.0.0, Family=inet, Name=MTA', 'Port=465, Addr=0.0.0.0, Family=inet, Name=SMTPS, M=Eas'],
        'relay1.example.org',
        ['CRAM-MD5', 'PLAIN', 'LOGIN'],
        ['LOGIN'],
        ['feature:relay_local_from'],
    ]


def test_sendmail_peer_access_filter():
    module = importlib.import_module('ansible_collections.mailrelay.sendmail.plugins.filter.sendmail_peer_access')
    peer_access = module.FilterModule().filters()['sendmail_peer_access']
    # an issuer as x509_certificate_info's subject_ordered, and as a DN string: the same entry
    peers = [{'name': 'relay2.example.org', 'addresses': ['192.0.2.26']}]
    from_info = peer_access(peers, [[['organizationName', 'Example'], ['commonName', 'Example CA']]])
    from_text = peer_access(peers, ['/O=Example/CN=Example CA'])
    assert from_info == from_text
    assert {'key': 'CERTISSUER:/O=Example/CN=Example+20CA', 'value': 'SUBJECT'} in from_info
    with pytest.raises(AnsibleFilterError, match='sendmail_config_trusted_peers'):
        peer_access([{'name': 'relay2.example.org', 'addresses': ['nowhere']}], ['/CN=CA'])
    with pytest.raises(AnsibleFilterError, match='sendmail_config_trusted_peers'):
        peer_access(peers, [])
