# -*- coding: utf-8 -*-
# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.mailrelay.sendmail.plugins.module_utils._mc import (
    dn_oneline,
    peer_access_entries,
    sendmail_xtext,
    trusted_peer_reason,
)
from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_rules import sendmail_config_problems


@pytest.mark.parametrize('text, expected', [
    ('/CN=relay1.example.org', '/CN=relay1.example.org'),
    # cf/README's own example
    ('/C=US/ST=California/O=endmail.org/OU=private/CN=Darth Mail (Cert)/emailAddress=darth+cert@endmail.org',
     '/C=US/ST=California/O=endmail.org/OU=private/CN=Darth+20Mail+20+28Cert+29/emailAddress=darth+2Bcert@endmail.org'),
    ('/CN=mailrelay private CA', '/CN=mailrelay+20private+20CA'),
    ('/CN=a<b>"c\\d', '/CN=a+3Cb+3E+22c+5Cd'),
    ('/CN=caf\u00e9', '/CN=caf+C3+A9'),
])
def test_sendmail_xtext(text, expected):
    assert sendmail_xtext(text) == expected


def test_dn_oneline_short_names_in_order():
    pairs = [['organizationName', 'Example'], ['organizationalUnitName', 'Mail'], ['commonName', 'Example CA']]
    assert dn_oneline(pairs) == '/O=Example/OU=Mail/CN=Example CA'


@pytest.mark.parametrize('pairs', [[], [['commonName', 'line\nbreak']], [['1.2.3.4 x', 'v']], ['CN']])
def test_dn_oneline_refuses(pairs):
    with pytest.raises(ValueError):
        dn_oneline(pairs)


PEERS = [
    {'name': 'relay2.example.org', 'addresses': ['192.0.2.26', '2001:db8:0:0::26']},
    {'name': 'relay3.example.org', 'subject': '/O=Example/CN=relay3 (mail)', 'addresses': ['192.0.2.27']},
]


def test_peer_access_entries():
    entries = peer_access_entries(PEERS, ['/CN=mailrelay private CA'])
    assert [(e['key'], e['value']) for e in entries] == [
        ('CERTISSUER:/CN=mailrelay+20private+20CA', 'SUBJECT'),
        ('CERTSUBJECT:/CN=relay2.example.org', 'RELAY'),
        ('CERTSUBJECT:/O=Example/CN=relay3+20+28mail+29', 'RELAY'),
        ('Srv_Features:192.0.2.26', 'v'),
        ('Srv_Features:IPv6:2001:db8::26', 'v'),
        ('Srv_Features:192.0.2.27', 'v'),
        ('Srv_Features:', 'V'),
        ('TLS_Srv:relay2.example.org', 'VERIFY+CN:relay2.example.org'),
        ('TLS_Srv:relay3.example.org', 'VERIFY+CN:relay3.example.org'),
    ]


def test_peer_access_entries_leave_taken_keys_and_default_alone():
    entries = peer_access_entries(PEERS[:1], ['/CN=CA'], tls_srv_options='', taken_keys=['tls_srv:RELAY2.example.org'])
    keys = [e['key'] for e in entries]
    assert 'Srv_Features:' not in keys
    assert 'TLS_Srv:relay2.example.org' not in keys
    assert 'CERTSUBJECT:/CN=relay2.example.org' in keys


def test_peer_access_entries_none_without_peers_and_refuse_without_issuer():
    assert peer_access_entries([], []) == []
    with pytest.raises(ValueError):
        peer_access_entries(PEERS, [])


@pytest.mark.parametrize('peer, fragment', [
    ('relay2', 'not a dict'),
    ({'name': 'relay2 example'}, 'no host name'),
    ({'name': 'relay2.example.org', 'subject': 'CN=x'}, 'not a DN'),
    ({'name': 'relay2.example.org', 'addresses': ['relay2']}, 'not an IP address'),
    ({'name': 'relay2.example.org', 'addresses': '192.0.2.1'}, 'not a list'),
    ({'name': 'relay2.example.org', 'adresses': []}, 'unknown keys'),
])
def test_trusted_peer_reason(peer, fragment):
    assert fragment in trusted_peer_reason(peer)


def test_trusted_peer_reason_fine():
    assert trusted_peer_reason(PEERS[0]) is None
    assert trusted_peer_reason(PEERS[1]) is None


def test_preflight_names_the_variables():
    problems = sendmail_config_problems({
        'sendmail_config_trusted_peers': [{'name': 'relay2.example.org', 'addresses': ['nowhere']}],
        'sendmail_config_trusted_peer_group': 'relays; rm',
        'sendmail_config_trusted_peer_issuers': ['CN=no slash'],
    })
    variables = sorted(p['variable'] for p in problems)
    assert variables == ['sendmail_config_trusted_peer_group', 'sendmail_config_trusted_peer_issuers',
                         'sendmail_config_trusted_peers']
    assert sendmail_config_problems({'sendmail_config_trusted_peers': PEERS}) == []


def test_entries_do_not_depend_on_the_order_of_the_peers():
    peers = [{'name': 'relay3.example.org', 'addresses': ['192.0.2.3']},
             {'name': 'relay2.example.org', 'addresses': ['192.0.2.2']},
             {'name': 'relay4.example.org', 'addresses': ['192.0.2.4']}]
    issuers = ['/CN=mailrelay private CA']
    first = peer_access_entries(peers, issuers)
    assert first == peer_access_entries(list(reversed(peers)), issuers)
    assert [e['key'] for e in first if e['key'].startswith('CERTSUBJECT:')] == [
        'CERTSUBJECT:/CN=relay2.example.org', 'CERTSUBJECT:/CN=relay3.example.org', 'CERTSUBJECT:/CN=relay4.example.org']
