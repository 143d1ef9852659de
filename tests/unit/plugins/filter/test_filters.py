# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The filter plugins: what they return, through Jinja as a play uses them."""

from __future__ import annotations

import jinja2
import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.mailrelay.sendmail.plugins.filter import cleartext_mechanisms, verify_listener_report
from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp_sasl import CLEARTEXT_MECHANISMS

FILTERS = {}
FILTERS.update(cleartext_mechanisms.FilterModule().filters())
FILTERS.update(verify_listener_report.FilterModule().filters())


def render(template, **variables):
    environment = jinja2.Environment()
    environment.filters.update(FILTERS)
    return environment.from_string(template).render(**variables)


@pytest.mark.parametrize('mechanisms, expected', [
    (['LOGIN', 'PLAIN'], ['LOGIN', 'PLAIN']),
    (['plain', 'CRAM-MD5', 'login', 'PLAIN'], ['PLAIN', 'LOGIN']),   # case-insensitive, once, in the given order
    (['DIGEST-MD5', 'CRAM-MD5', 'GSSAPI'], []),
    ([], []),
    (None, []),
    ('DIGEST-MD5 CRAM-MD5 LOGIN PLAIN', ['LOGIN', 'PLAIN']),          # sendmail's AuthMechanisms line
    ((' Plain ',), ['PLAIN']),
])
def test_cleartext_mechanisms(mechanisms, expected):
    assert FILTERS['cleartext_mechanisms'](mechanisms) == expected


def test_cleartext_mechanisms_is_the_one_constant():
    assert FILTERS['cleartext_mechanisms'](['CRAM-MD5'] + list(CLEARTEXT_MECHANISMS)) == list(CLEARTEXT_MECHANISMS)


def test_cleartext_mechanisms_refuses_a_dict():
    with pytest.raises(AnsibleFilterError, match='wants a list of mechanism names'):
        FILTERS['cleartext_mechanisms']({'AUTH': ['PLAIN']})


def test_cleartext_mechanisms_in_jinja():
    assert render("{{ offered | cleartext_mechanisms | join(' and ') }}", offered=['PLAIN', 'LOGIN']) == 'PLAIN and LOGIN'


def test_verify_listener_report_in_jinja():
    data = {'listener': {'name': 'MSA', 'port': 587, 'tls': 'starttls'}, 'ehlo': {'failed': True, 'msg': 'boom'},
            'relay': {'skipped': True}}
    assert render('{{ (data | verify_listener_report).failures | length }}', data=data) == '2'
    assert render('{{ (data | verify_listener_report).line }}', data=data) == (
        '  MSA:587 (starttls): EHLO FAILED (module_error), relay tricks not run')


@pytest.mark.parametrize('plugin', [cleartext_mechanisms, verify_listener_report])
def test_documentation_names_the_filter(plugin):
    doc = yaml.safe_load(plugin.DOCUMENTATION)
    assert doc['name'] in plugin.FilterModule().filters()
    assert yaml.safe_load(plugin.EXAMPLES) and yaml.safe_load(plugin.RETURN)['_value']['type']
