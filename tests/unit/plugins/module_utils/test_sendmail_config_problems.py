# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""sendmail_config_problems: one table of hostile and risky values, one row per way in.

Every row starts from a valid configuration (the role defaults plus the README's relay2), changes
one variable, and must produce a problem that names that variable. Rows with a risk id must be
silenced by accepting exactly that id, and by nothing else.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_rules import (
    DEFAULTS,
    RISKS,
    RuleError,
    sendmail_config_problems,
)

ROOT = Path(__file__).resolve().parents[4]
ROLE_DEFAULTS = ROOT / 'roles' / 'sendmail_config' / 'defaults' / 'main.yml'
ROLE_VARS = ROOT / 'roles' / 'sendmail_config' / 'vars' / 'main.yml'
PASSWORD = 'Tr0ub4dor&3-not-to-be-shown'


def _trusted(value):
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, list):
        return [_trusted(v) for v in value]
    if isinstance(value, dict):
        return dict((k, _trusted(v)) for k, v in value.items())
    return value


def rendered_role_defaults(**inventory):
    """defaults/main.yml as the role sees it on relay1.example.org (its templates rendered, with the role's vars)."""
    defaults = _trusted(yaml.safe_load(ROLE_DEFAULTS.read_text()))
    role_vars = _trusted(yaml.safe_load(ROLE_VARS.read_text()))
    variables = dict(defaults, **role_vars)
    variables.update(inventory_hostname='relay1.example.org', ansible_facts={'fqdn': 'relay1.example.org'}, **inventory)
    templar = Templar(loader=DataLoader(), variables=variables)
    return dict((name, templar.template(value)) for name, value in defaults.items())


# The README's relay2 and the test suite's trust rules, on top of the role defaults.
README_CONFIG = dict(
    rendered_role_defaults(),
    sendmail_config_smart_host='[relay1.example.org]',
    sendmail_config_authinfo=[{'host': 'relay1.example.org', 'user': 'relay2', 'password': PASSWORD}],
    sendmail_config_trust_auth=[{'authid': 'relay2', 'may_act_as': ['*']},
                                {'authid': 'alice', 'may_act_as': ['alice@relay2.example.org']}],
    sendmail_config_max_daemon_children=50,
    sendmail_config_connection_rate_throttle='10',
    sendmail_config_conncontrol=10,
    sendmail_config_ratecontrol=20,
    sendmail_config_bad_rcpt_throttle=3,
    sendmail_config_max_rcpts_per_message=100,
)

# Everything the free-form variables may legitimately hold, all at once: no problem either.
RICH_VALID = {
    'sendmail_config_daemons': [
        {'name': 'MTA', 'port': 25},
        {'name': 'MSA', 'port': '587', 'modifiers': 'Ea'},
        {'name': 'SMTPS', 'port': 465, 'modifiers': 'Eas'},
        {'name': 'MTA-v6', 'port': 25, 'family': 'inet6', 'options': 'Listen=128, SndBufSize=65536'},
        {'name': 'LOCAL', 'port': 2525, 'addr': '127.0.0.1', 'modifiers': 'ES'},
    ],
    'sendmail_config_auth_mechanisms': ['CRAM-MD5', 'LOGIN', 'PLAIN'],
    'sendmail_config_access': [
        {'key': 'Connect:192.0.2', 'value': 'RELAY'},
        {'key': 'Connect:127.0.0.1', 'value': 'RELAY'},
        {'key': 'Connect:localhost', 'value': 'RELAY'},
        {'key': 'Connect:IPv6:2001:db8:25', 'value': 'RELAY'},
        {'key': 'Connect:10', 'value': 'OK'},
        {'key': 'From:spammer@example.com', 'value': 'ERROR:"550 5.7.1 We do not want your mail"'},
        {'key': 'To:partner.example.net', 'value': 'RELAY'},
        {'key': 'TLS_Srv:relay3.example.org', 'value': 'VERIFY'},
        {'key': 'GreetPause:192.0.2.7', 'value': '0'},
    ],
    'sendmail_config_relay_domains': ['example.org', '192.0.2', 'IPv6:2001:db8:25', '[UNIX:localhost]'],
    'sendmail_config_authinfo': [
        {'host': 'relay1.example.org', 'user': 'relay2', 'password': PASSWORD},
        {'host': 'relay3.example.org', 'user': 'relay2', 'authid': 'relay2@example.org', 'realm': 'example.org',
         'mechanisms': ['PLAIN'], 'password': PASSWORD},
        # no TLS_Srv entry for relay4, but CRAM-MD5 never sends the password itself
        {'host': '[192.0.2.44]', 'user': 'relay2', 'mechanisms': ['CRAM-MD5'], 'password': PASSWORD},
    ],
    'sendmail_config_smart_host': 'esmtp:[relay1.example.org]',
    'sendmail_config_defines': {'confTO_QUEUEWARN': '4h', 'RELAY_MAILER_ARGS': 'TCP $h 587',
                                'confDH_PARAMETERS': '2', 'confTLS_FALLBACK_TO_CLEAR': 'false', 'confMIN_FREE_BLOCKS': 200},
    'sendmail_config_features': ["`nocanonify'", 'accept_unresolvable_domains', "`accept_unqualified_senders'",
                                 "`mailertable', `hash -o /etc/mail/mailertable'", 'relay_hosts_only'],
    'sendmail_config_mc_extra': (
        "dnl changequote, divert and relay_local_from are only mentioned in this comment\n"
        "FEATURE(`virtusertable', `hash -o /etc/mail/virtusertable')dnl\n"
        "define(`confTO_QUEUERETURN', `4d')dnl\n"
        "LOCAL_CONFIG\n"
        "# a cf comment: O AuthOptions=A would be refused outside a comment\n"
        "Kheaders regex -a@MATCH ^X-Spam\n"
        "LOCAL_RULESETS\n"
        "HX-Spam: $>check_xspam\n"
        "Scheck_xspam\n"
        "R$*\t$#error $: 550 spam\n"
    ),
    'sendmail_config_dont_blame_sendmail': ['GroupReadableSASLDBFile'],
    'sendmail_config_privacy_flags': ['goaway', 'restrictqrun'],
    'sendmail_config_tls_srv_options': 'V',
    'sendmail_config_tls_min_version': 'TLSv1.3',
    'sendmail_config_rand_file': 'egd:/var/run/egd-pool',
    'sendmail_config_aliases': {'postmaster': 'root', 'abuse': 'postmaster, alice@example.org', 'news': '|/usr/bin/logger'},
    'sendmail_config_local_host_names': ['relay1.example.org', 'example.org', '[192.0.2.25]'],
    'sendmail_config_auth_realm': '',
}

# (id, {variable: hostile value}, variable named, risk id or None, text in the message)
CASES = [
    # ---- identity
    ('hostname-newline', {'sendmail_config_hostname': "relay1\ndefine(`confAUTH_OPTIONS', `')"},
     'sendmail_config_hostname', None, 'line break'),
    ('hostname-space', {'sendmail_config_hostname': 'relay 1.example.org'}, 'sendmail_config_hostname', None, 'whitespace'),
    ('hostname-quote', {'sendmail_config_hostname': "relay1')dnl"}, 'sendmail_config_hostname', None, 'quote'),
    ('hostname-m4-word', {'sendmail_config_hostname': 'mx.divert.example.org'}, 'sendmail_config_hostname', None,
     "m4 word 'divert'"),
    ('hostname-type', {'sendmail_config_hostname': ['relay1']}, 'sendmail_config_hostname', None, 'not text'),
    ('realm-quote', {'sendmail_config_auth_realm': "example.org'"}, 'sendmail_config_auth_realm', None, 'quote'),
    ('realm-m4', {'sendmail_config_auth_realm': 'esyscmd.example.org'}, 'sendmail_config_auth_realm', None, 'esyscmd'),
    ('local-host-names-newline', {'sendmail_config_local_host_names': ['relay1\nexample.com']},
     'sendmail_config_local_host_names', None, 'line break'),
    ('local-host-names-space', {'sendmail_config_local_host_names': ['a b']}, 'sendmail_config_local_host_names', None,
     'not a host name'),
    ('local-mailer-relative', {'sendmail_config_local_mailer': 'mail.local'}, 'sendmail_config_local_mailer', None,
     'not an absolute path'),
    ('local-mailer-quote', {'sendmail_config_local_mailer': "/usr/sbin/mail.local')dnl"}, 'sendmail_config_local_mailer',
     None, 'special character'),
    ('alias-name-colon', {'sendmail_config_aliases': {'root: evil': 'x'}}, 'sendmail_config_aliases', None, 'colon'),
    ('alias-name-newline', {'sendmail_config_aliases': {'a\nb': 'root'}}, 'sendmail_config_aliases', None, 'line break'),
    ('alias-target-newline', {'sendmail_config_aliases': {'postmaster': 'root\nevil: |/bin/sh'}}, 'sendmail_config_aliases',
     None, 'line break'),
    ('alias-target-type', {'sendmail_config_aliases': {'postmaster': ['root']}}, 'sendmail_config_aliases', None, 'not text'),
    ('probe-alias-newline', {'sendmail_config_probe_alias': 'probe: /dev/null\nroot'}, 'sendmail_config_probe_alias', None,
     'line break'),
    ('probe-alias-colon', {'sendmail_config_probe_alias': 'root:'}, 'sendmail_config_probe_alias', None, 'colon'),
    # ---- AUTH
    ('mechanism-m4', {'sendmail_config_auth_mechanisms': ['PLAIN', "LOGIN')dnl"]}, 'sendmail_config_auth_mechanisms', None,
     'not a SASL mechanism name'),
    ('mechanism-trailing-newline', {'sendmail_config_auth_mechanisms': ['PLAIN\n']}, 'sendmail_config_auth_mechanisms',
     None, 'not a SASL mechanism name'),
    ('mechanism-dnl', {'sendmail_config_auth_mechanisms': ['dnl']}, 'sendmail_config_auth_mechanisms', None, "'dnl'"),
    ('trust-mechanism-space', {'sendmail_config_trust_auth_mechanisms': ['LOGIN PLAIN']},
     'sendmail_config_trust_auth_mechanisms', None, 'not a SASL mechanism name'),
    ('auth-options-unknown', {'sendmail_config_auth_options': ['A', 'p', "y')dnl"]}, 'sendmail_config_auth_options', None,
     'not an AuthOptions flag'),
    ('plaintext-without-p', {'sendmail_config_auth_options': ['A', 'y']}, 'sendmail_config_auth_mechanisms',
     'auth:plaintext', "lacks 'p'"),
    ('plaintext-without-p-lowercase', {'sendmail_config_auth_options': ['A'], 'sendmail_config_auth_mechanisms': ['plain']},
     'sendmail_config_auth_mechanisms', 'auth:plaintext', 'plain'),
    ('plaintext-without-tls', {'sendmail_config_tls': False, 'sendmail_config_daemons': [{'name': 'MTA', 'port': 25}]},
     'sendmail_config_auth_mechanisms', 'auth:plaintext', 'no listener can do TLS'),
    ('plaintext-all-listeners-S', {'sendmail_config_daemons': [{'name': 'MTA', 'port': 25, 'modifiers': 'S'}]},
     'sendmail_config_auth_mechanisms', 'auth:plaintext', 'no listener can do TLS'),
    ('trust-auth-missing', {'sendmail_config_trust_auth': [{'authid': 'alice'}]}, 'sendmail_config_trust_auth', None,
     'lacks authid or may_act_as'),
    ('trust-auth-authid-space', {'sendmail_config_trust_auth': [{'authid': 'alice bob', 'may_act_as': ['x']}]},
     'sendmail_config_trust_auth', None, 'whitespace'),
    ('trust-auth-authid-dollar', {'sendmail_config_trust_auth': [{'authid': '$*', 'may_act_as': ['*']}]},
     'sendmail_config_trust_auth', None, 'R$*'),
    ('trust-auth-authid-m4', {'sendmail_config_trust_auth': [{'authid': 'relay.dnl', 'may_act_as': ['*']}]},
     'sendmail_config_trust_auth', None, 'm4 word'),
    ('trust-auth-identity-m4', {'sendmail_config_trust_auth': [{'authid': 'alice', 'may_act_as': ['a@divert.example']}]},
     'sendmail_config_trust_auth', None, 'm4 word'),
    ('trust-auth-identity-tab', {'sendmail_config_trust_auth': [{'authid': 'alice', 'may_act_as': ['a\t$# OK']}]},
     'sendmail_config_trust_auth', None, 'may_act_as'),
    # ---- TLS
    ('tls-not-bool', {'sendmail_config_tls': 'maybe'}, 'sendmail_config_tls', None, 'not true or false'),
    ('allow-plaintext-not-bool', {'sendmail_config_allow_plaintext_auth': 'sure'}, 'sendmail_config_allow_plaintext_auth',
     None, 'not true or false'),
    ('allow-auth-25-not-bool', {'sendmail_config_allow_auth_required_on_port_25': [True]},
     'sendmail_config_allow_auth_required_on_port_25', None, 'not true or false'),
    ('tls-verify-not-bool', {'sendmail_config_smart_host_tls_verify': 'always'}, 'sendmail_config_smart_host_tls_verify',
     None, 'not true or false'),
    ('service-enabled-not-bool', {'sendmail_config_service_enabled': 2}, 'sendmail_config_service_enabled', None,
     'not true or false'),
    ('ca-path-relative', {'sendmail_config_tls_ca_path': 'certs'}, 'sendmail_config_tls_ca_path', None, 'absolute'),
    ('ca-cert-newline', {'sendmail_config_tls_ca_cert': '/etc/mail/ca.crt\ndnl'}, 'sendmail_config_tls_ca_cert', None,
     'line break'),
    ('server-cert-quote', {'sendmail_config_tls_server_cert': "/etc/mail/server.crt')"}, 'sendmail_config_tls_server_cert',
     None, 'special character'),
    ('server-key-empty', {'sendmail_config_tls_server_key': ''}, 'sendmail_config_tls_server_key', None,
     'empty while sendmail_config_tls is true'),
    ('client-cert-m4', {'sendmail_config_tls_client_cert': '/etc/mail/include/client.crt'},
     'sendmail_config_tls_client_cert', None, "'include'"),
    ('client-key-space', {'sendmail_config_tls_client_key': '/etc/mail/my key.pem'}, 'sendmail_config_tls_client_key',
     None, 'whitespace'),
    ('srv-options-unknown', {'sendmail_config_tls_srv_options': "V')dnl"}, 'sendmail_config_tls_srv_options', None,
     'not a list of V and C'),
    ('srv-options-C', {'sendmail_config_tls_srv_options': 'V,C'}, 'sendmail_config_tls_srv_options', 'tls:no_server_cert',
     "'C'"),
    ('min-version', {'sendmail_config_tls_min_version': 'TLSv1.1'}, 'sendmail_config_tls_min_version', None,
     'not one of TLSv1.2, TLSv1.3'),
    ('cipher-list-quote', {'sendmail_config_tls_cipher_list': "HIGH')dnl"}, 'sendmail_config_tls_cipher_list', None,
     'not an OpenSSL cipher string'),
    ('cipher-list-m4', {'sendmail_config_tls_cipher_list': 'HIGH:!dnl'}, 'sendmail_config_tls_cipher_list', None,
     'not an OpenSSL cipher string'),
    ('cipher-list-weak', {'sendmail_config_tls_cipher_list': 'ALL:eNULL:+RC4'}, 'sendmail_config_tls_cipher_list',
     'tls:weak_ciphers', 'eNULL, +RC4'),
    ('rand-file-form', {'sendmail_config_rand_file': '/dev/urandom'}, 'sendmail_config_rand_file', None,
     'not egd:/path'),
    ('rand-file-m4', {'sendmail_config_rand_file': 'file:/var/run/dnl'}, 'sendmail_config_rand_file', None, "'dnl'"),
    # ---- listeners
    ('daemons-empty', {'sendmail_config_daemons': []}, 'sendmail_config_daemons', None, 'is empty'),
    ('daemons-465-quoted-port', {'sendmail_config_daemons': [{'name': 'MTA', 'port': 25},
                                                             {'name': 'SMTPS', 'port': '465', 'modifiers': 'Ea'}]},
     'sendmail_config_daemons', None, "port 465 lack the 's' modifier"),
    ('daemons-465-no-modifiers', {'sendmail_config_daemons': [{'name': 'SMTPS', 'port': 465}]}, 'sendmail_config_daemons',
     None, "'s' modifier"),
    ('daemons-auth-on-25', {'sendmail_config_daemons': [{'name': 'MTA', 'port': '25', 'modifiers': 'Ea'}]},
     'sendmail_config_daemons', 'daemons:auth_required_on_port_25', "port 25 have the 'a' modifier"),
    ('daemons-duplicate-name', {'sendmail_config_daemons': [{'name': 'MTA', 'port': 25}, {'name': 'MTA', 'port': 2525}]},
     'sendmail_config_daemons', None, 'used twice'),
    ('daemons-same-socket', {'sendmail_config_daemons': [{'name': 'MTA', 'port': 25}, {'name': 'MTA2', 'port': '25'}]},
     'sendmail_config_daemons', None, 'two listeners bind 0.0.0.0 port 25'),
    ('daemons-port-word', {'sendmail_config_daemons': [{'name': 'MTA', 'port': 'smtp'}]}, 'sendmail_config_daemons', None,
     'not a number from 1 to 65535'),
    ('daemons-name-trailing-newline', {'sendmail_config_daemons': [{'name': 'MTA\n', 'port': 25}]},
     'sendmail_config_daemons', None, 'not letters, digits'),
    ('daemons-port-range', {'sendmail_config_daemons': [{'name': 'MTA', 'port': 0}]}, 'sendmail_config_daemons', None,
     'not a number from 1 to 65535'),
    ('daemons-port-bool', {'sendmail_config_daemons': [{'name': 'MTA', 'port': True}]}, 'sendmail_config_daemons', None,
     'not a number'),
    ('daemons-no-port', {'sendmail_config_daemons': [{'name': 'MTA'}]}, 'sendmail_config_daemons', None, 'has no port'),
    ('daemons-name', {'sendmail_config_daemons': [{'name': "MTA')dnl", 'port': 25}]}, 'sendmail_config_daemons', None,
     'not letters, digits'),
    ('daemons-modifiers', {'sendmail_config_daemons': [{'name': 'MSA', 'port': 587, 'modifiers': "Ea')"}]},
     'sendmail_config_daemons', None, 'not sendmail daemon modifiers'),
    ('daemons-options-name', {'sendmail_config_daemons': [{'name': 'MSA', 'port': 587, 'options': 'Name=MTA'}]},
     'sendmail_config_daemons', None, 'sets name'),
    ('daemons-options-port', {'sendmail_config_daemons': [{'name': 'MSA', 'port': 587, 'options': 'Port=25'}]},
     'sendmail_config_daemons', None, 'sets port'),
    ('daemons-options-modifiers', {'sendmail_config_daemons': [{'name': 'MSA', 'port': 587, 'options': 'M=E'}]},
     'sendmail_config_daemons', None, 'sets modifiers'),
    ('daemons-options-newline', {'sendmail_config_daemons': [{'name': 'MSA', 'port': 587, 'options': 'Listen=1\nO X=1'}]},
     'sendmail_config_daemons', None, 'line break'),
    ('daemons-addr', {'sendmail_config_daemons': [{'name': 'MSA', 'port': 587, 'addr': '0.0.0.0, M=a'}]},
     'sendmail_config_daemons', None, 'neither an IP address'),
    ('daemons-implicit-without-tls', {'sendmail_config_tls': False, 'sendmail_config_auth_mechanisms': ['CRAM-MD5'],
                                      'sendmail_config_daemons': [{'name': 'SMTPS', 'port': 465, 'modifiers': 'Eas'}]},
     'sendmail_config_daemons', None, 'while sendmail_config_tls is false'),
    ('daemons-not-list', {'sendmail_config_daemons': {'name': 'MTA', 'port': 25}}, 'sendmail_config_daemons', None,
     'not a list'),
    # ---- access map
    ('access-connect-alone', {'sendmail_config_access': [{'key': 'Connect:', 'value': 'RELAY'}]}, 'sendmail_config_access',
     'access:broad_relay', 'covers every client'),
    ('access-to-alone', {'sendmail_config_access': [{'key': 'To:', 'value': 'relay'}]}, 'sendmail_config_access',
     'access:broad_relay', 'covers every'),
    ('access-slash-8', {'sendmail_config_access': [{'key': 'Connect:10', 'value': 'RELAY'}]}, 'sendmail_config_access',
     'access:broad_relay', '/8 or wider'),
    ('access-slash-16-untagged', {'sendmail_config_access': [{'key': '192.168', 'value': 'RELAY'}]},
     'sendmail_config_access', 'access:broad_relay', '/16 or wider'),
    ('access-zero', {'sendmail_config_access': [{'key': 'Connect:0.0.0.0', 'value': 'RELAY'}]}, 'sendmail_config_access',
     'access:broad_relay', '0.0.0.0'),
    ('access-ipv6-short', {'sendmail_config_access': [{'key': 'Connect:IPv6:2001:db8', 'value': 'RELAY'}]},
     'sendmail_config_access', 'access:broad_relay', 'shorter than /48'),
    ('access-ipv6-any', {'sendmail_config_access': [{'key': 'Connect:IPv6:::', 'value': 'RELAY'}]},
     'sendmail_config_access', 'access:broad_relay', 'unspecified'),
    ('access-tld', {'sendmail_config_access': [{'key': 'To:com', 'value': 'RELAY'}]}, 'sendmail_config_access',
     'access:broad_relay', "top-level domain 'com'"),
    ('access-cidr', {'sendmail_config_access': [{'key': 'Connect:10.0.0.0/8', 'value': 'RELAY'}]},
     'sendmail_config_access', None, 'CIDR'),
    ('access-key-space', {'sendmail_config_access': [{'key': 'Connect:192.0.2.1 RELAY\nConnect:10', 'value': 'RELAY'}]},
     'sendmail_config_access', None, 'line break'),
    ('access-key-tab', {'sendmail_config_access': [{'key': 'Connect:192.0.2.1\tOK', 'value': 'RELAY'}]},
     'sendmail_config_access', None, 'control character'),
    ('access-key-quote', {'sendmail_config_access': [{'key': 'From:"a b"@example.org', 'value': 'REJECT'}]},
     'sendmail_config_access', None, 'whitespace'),
    ('access-key-empty', {'sendmail_config_access': [{'key': '', 'value': 'REJECT'}]}, 'sendmail_config_access', None,
     'is empty'),
    ('access-value-newline', {'sendmail_config_access': [{'key': 'Connect:192.0.2.1', 'value': 'OK\nConnect:10 RELAY'}]},
     'sendmail_config_access', None, 'line break'),
    ('access-value-space', {'sendmail_config_access': [{'key': 'Connect:192.0.2.1', 'value': 'RELAY extra'}]},
     'sendmail_config_access', None, 'contains whitespace'),
    ('access-missing', {'sendmail_config_access': [{'key': 'Connect:192.0.2.1'}]}, 'sendmail_config_access', None,
     'lacks key or value'),
    ('access-owned-clientrate', {'sendmail_config_access': [{'key': 'ClientRate:', 'value': '100'}]},
     'sendmail_config_access', None, 'sendmail_config_ratecontrol'),
    # ---- relay-domains
    ('relay-domains-dot', {'sendmail_config_relay_domains': ['.']}, 'sendmail_config_relay_domains', 'relay_domains:broad',
     'every client'),
    ('relay-domains-star', {'sendmail_config_relay_domains': ['*']}, 'sendmail_config_relay_domains',
     'relay_domains:broad', 'every'),
    ('relay-domains-tld', {'sendmail_config_relay_domains': ['org']}, 'sendmail_config_relay_domains',
     'relay_domains:broad', 'top-level domain'),
    ('relay-domains-prefix', {'sendmail_config_relay_domains': ['10.1']}, 'sendmail_config_relay_domains',
     'relay_domains:broad', '/16 or wider'),
    ('relay-domains-newline', {'sendmail_config_relay_domains': ['example.org\ncom']}, 'sendmail_config_relay_domains',
     None, 'line break'),
    ('relay-domains-quote', {'sendmail_config_relay_domains': ["example.org'"]}, 'sendmail_config_relay_domains', None,
     'quote'),
    ('relay-domains-cidr', {'sendmail_config_relay_domains': ['192.0.2.0/24']}, 'sendmail_config_relay_domains', None,
     'CIDR'),
    # ---- smart host
    ('smart-host-port', {'sendmail_config_smart_host': 'relay:relay1.example.org:587'}, 'sendmail_config_smart_host',
     None, 'no host:port syntax'),
    ('smart-host-bracket-port', {'sendmail_config_smart_host': '[relay1.example.org]:587'}, 'sendmail_config_smart_host',
     None, "':587' after the host"),
    ('smart-host-quote', {'sendmail_config_smart_host': "[relay1.example.org]')dnl"}, 'sendmail_config_smart_host', None,
     'quote'),
    ('smart-host-newline', {'sendmail_config_smart_host': '[relay1.example.org]\nFEATURE(promiscuous_relay)'},
     'sendmail_config_smart_host', None, 'line break'),
    ('smart-host-space', {'sendmail_config_smart_host': 'relay1 example.org'}, 'sendmail_config_smart_host', None,
     'whitespace'),
    ('smart-host-empty-host', {'sendmail_config_smart_host': 'esmtp:[]'}, 'sendmail_config_smart_host', None,
     'the host is missing'),
    ('smart-host-mailer-m4', {'sendmail_config_smart_host': 'dnl:[relay1.example.org]'}, 'sendmail_config_smart_host',
     None, 'mailer or user part'),
    ('smart-host-m4', {'sendmail_config_smart_host': '[syscmd.example.org]'}, 'sendmail_config_smart_host', None,
     'syscmd'),
    # ---- AuthInfo
    # ---- relays trusted by certificate
    ('peers-not-list', {'sendmail_config_trusted_peers': 'relay2'}, 'sendmail_config_trusted_peers', None, 'not a list'),
    ('peers-bad-address', {'sendmail_config_trusted_peers': [{'name': 'relay2.example.org', 'addresses': ['relay2']}]},
     'sendmail_config_trusted_peers', None, 'not an IP address'),
    ('peers-bad-subject', {'sendmail_config_trusted_peers': [{'name': 'relay2.example.org', 'subject': "CN=relay2\nRELAY"}]},
     'sendmail_config_trusted_peers', None, 'not a DN'),
    ('peer-group-space', {'sendmail_config_trusted_peer_group': 'relays all'}, 'sendmail_config_trusted_peer_group', None,
     'inventory group'),
    ('peer-issuers-form', {'sendmail_config_trusted_peer_issuers': ['CN=CA']}, 'sendmail_config_trusted_peer_issuers', None,
     '/CN='),
    ('authinfo-empty-host', {'sendmail_config_authinfo': [{'host': '', 'user': 'relay2', 'password': PASSWORD}]},
     'sendmail_config_authinfo', None, 'empty host'),
    ('authinfo-star-host', {'sendmail_config_authinfo': [{'host': '*', 'user': 'relay2', 'password': PASSWORD}]},
     'sendmail_config_authinfo', None, "empty host ('*')"),
    ('authinfo-host-space', {'sendmail_config_authinfo': [{'host': 'relay1 x', 'user': 'relay2', 'password': PASSWORD}]},
     'sendmail_config_authinfo', None, 'whitespace'),
    ('authinfo-host-quote', {'sendmail_config_authinfo': [{'host': 'relay1"', 'user': 'relay2', 'password': PASSWORD}]},
     'sendmail_config_authinfo', None, 'quote'),
    ('authinfo-user-quote', {'sendmail_config_authinfo': [{'host': 'relay1.example.org', 'user': 'relay2" "P:x',
                                                           'password': PASSWORD}]},
     'sendmail_config_authinfo', None, 'user'),
    ('authinfo-realm-space', {'sendmail_config_authinfo': [{'host': 'relay1.example.org', 'user': 'relay2',
                                                            'realm': 'example org', 'password': PASSWORD}]},
     'sendmail_config_authinfo', None, 'realm'),
    ('authinfo-missing-password', {'sendmail_config_authinfo': [{'host': 'relay1.example.org', 'user': 'relay2'}]},
     'sendmail_config_authinfo', None, 'lacks host, user or password'),
    ('authinfo-empty-password', {'sendmail_config_authinfo': [{'host': 'relay1.example.org', 'user': 'relay2',
                                                               'password': ''}]},
     'sendmail_config_authinfo', None, 'the password of entry 1'),
    ('authinfo-mechanisms', {'sendmail_config_authinfo': [{'host': 'relay1.example.org', 'user': 'relay2',
                                                           'password': PASSWORD, 'mechanisms': ['PLAIN"']}]},
     'sendmail_config_authinfo', None, 'mechanisms'),
    # with TLS on the role requires every AuthInfo host to verify (TLS_Srv VERIFY+CN), so the risk is TLS off
    ('authinfo-no-tls', {'sendmail_config_tls': False, 'sendmail_config_allow_plaintext_auth': True,
                         'sendmail_config_authinfo': [{'host': 'relay9.example.org', 'user': 'relay2', 'password': PASSWORD}]},
     'sendmail_config_authinfo', 'authinfo:password_without_tls', 'not required to use verified TLS'),
    ('authinfo-no-tls-login', {'sendmail_config_tls': False, 'sendmail_config_allow_plaintext_auth': True,
                               'sendmail_config_authinfo': [{'host': 'relay9.example.org', 'user': 'relay2',
                                                             'password': PASSWORD, 'mechanisms': ['CRAM-MD5', 'LOGIN']}]},
     'sendmail_config_authinfo', 'authinfo:password_without_tls', 'relay9.example.org'),
    ('authinfo-verify-off', {'sendmail_config_tls': False, 'sendmail_config_allow_plaintext_auth': True,
                             'sendmail_config_smart_host_tls_verify': False}, 'sendmail_config_authinfo',
     'authinfo:password_without_tls', 'relay1.example.org'),
    # ---- numbers and flags
    ('log-level', {'sendmail_config_log_level': '10)dnl'}, 'sendmail_config_log_level', None, 'non-negative whole number'),
    ('max-message-size', {'sendmail_config_max_message_size': -1}, 'sendmail_config_max_message_size', None,
     'non-negative'),
    ('ident-timeout', {'sendmail_config_ident_timeout': '5s'}, 'sendmail_config_ident_timeout', None, 'non-negative'),
    ('max-daemon-children', {'sendmail_config_max_daemon_children': -5}, 'sendmail_config_max_daemon_children', None,
     'non-negative'),
    ('connection-rate-throttle', {'sendmail_config_connection_rate_throttle': '1.5'},
     'sendmail_config_connection_rate_throttle', None, 'non-negative'),
    ('conncontrol', {'sendmail_config_conncontrol': 'ten'}, 'sendmail_config_conncontrol', None, 'non-negative'),
    ('ratecontrol', {'sendmail_config_ratecontrol': [20]}, 'sendmail_config_ratecontrol', None, 'non-negative'),
    ('bad-rcpt-throttle', {'sendmail_config_bad_rcpt_throttle': None}, 'sendmail_config_bad_rcpt_throttle', None,
     'non-negative'),
    ('max-rcpts', {'sendmail_config_max_rcpts_per_message': '100\n'}, 'sendmail_config_max_rcpts_per_message', None,
     'non-negative'),
    ('privacy-flags', {'sendmail_config_privacy_flags': ['noexpn', "novrfy')dnl"]}, 'sendmail_config_privacy_flags', None,
     'not a flag sendmail knows'),
    ('dont-blame', {'sendmail_config_dont_blame_sendmail': ['GroupReadableSASLDBFile,WorldWritableAliasFile']},
     'sendmail_config_dont_blame_sendmail', None, 'not a flag sendmail knows'),
    ('cf-dir', {'sendmail_config_cf_dir': '/usr/share/sendmail/cf; rm -rf /'}, 'sendmail_config_cf_dir', None,
     'whitespace'),
    ('sasl-config', {'sendmail_config_sasl_config': '/etc/sasl2/Sendmail.conf\n'}, 'sendmail_config_sasl_config', None,
     'line break'),
    ('pluginviewer', {'sendmail_config_sasl_pluginviewer': 'pluginviewer'}, 'sendmail_config_sasl_pluginviewer', None,
     'absolute'),
    # ---- defines
    ('define-auth-options', {'sendmail_config_defines': {'confAUTH_OPTIONS': 'A'}}, 'sendmail_config_defines', None,
     'set sendmail_config_auth_options instead'),
    ('define-auth-mechanisms', {'sendmail_config_defines': {'confAUTH_MECHANISMS': 'PLAIN'}}, 'sendmail_config_defines',
     None, 'sendmail_config_auth_mechanisms'),
    ('define-smart-host', {'sendmail_config_defines': {'SMART_HOST': 'relay9'}}, 'sendmail_config_defines', None,
     'sendmail_config_smart_host'),
    ('define-server-ssl', {'sendmail_config_defines': {'confSERVER_SSL_OPTIONS': '+SSL_OP_ALL'}}, 'sendmail_config_defines',
     None, 'sendmail_config_tls_min_version'),
    ('define-domain-name', {'sendmail_config_defines': {'confDOMAIN_NAME': 'x'}}, 'sendmail_config_defines', None,
     'sendmail_config_hostname'),
    ('define-max-children', {'sendmail_config_defines': {'confMAX_DAEMON_CHILDREN': '1000'}}, 'sendmail_config_defines',
     None, 'sendmail_config_max_daemon_children'),
    ('define-def-auth-info', {'sendmail_config_defines': {'confDEF_AUTH_INFO': '/etc/mail/default-auth-info'}},
     'sendmail_config_defines', None, 'sendmail_config_authinfo'),
    ('define-internal', {'sendmail_config_defines': {'_PROMISCUOUS_RELAY_': '1'}}, 'sendmail_config_defines', None,
     'internal macro'),
    ('define-macro', {'sendmail_config_defines': {'DAEMON_OPTIONS': 'x'}}, 'sendmail_config_defines', None,
     'sendmail_config_daemons'),
    ('define-bad-name', {'sendmail_config_defines': {"confX')dnl": '1'}}, 'sendmail_config_defines', None,
     'not an m4 macro name'),
    ('define-value-quote', {'sendmail_config_defines': {'confTO_QUEUEWARN': "4h')define(`confAUTH_OPTIONS', `"}},
     'sendmail_config_defines', None, 'm4 quote'),
    ('define-value-newline', {'sendmail_config_defines': {'confTO_QUEUEWARN': '4h\nFEATURE(promiscuous_relay)'}},
     'sendmail_config_defines', None, 'line break'),
    ('define-value-m4-word', {'sendmail_config_defines': {'confSMTP_LOGIN_MSG': '$j ready changequote'}},
     'sendmail_config_defines', None, 'changequote'),
    ('define-tls-fallback', {'sendmail_config_defines': {'confTLS_FALLBACK_TO_CLEAR': 'True'}}, 'sendmail_config_defines',
     'define:confTLS_FALLBACK_TO_CLEAR', 'retries without TLS'),
    ('define-weak-dh', {'sendmail_config_defines': {'confDH_PARAMETERS': '512'}}, 'sendmail_config_defines',
     'define:confDH_PARAMETERS', 'Logjam'),
    # ---- features
    ('feature-relay-local-from', {'sendmail_config_features': ["`relay_local_from'"]}, 'sendmail_config_features',
     'feature:relay_local_from', 'claims a sender address in a local domain'),
    ('feature-relay-local-from-bare', {'sendmail_config_features': ['relay_local_from']}, 'sendmail_config_features',
     'feature:relay_local_from', 'FEATURE(relay_local_from)'),
    ('feature-relay-mail-from', {'sendmail_config_features': ["`relay_mail_from', `domain'"]}, 'sendmail_config_features',
     'feature:relay_mail_from', 'forged'),
    ('feature-relay-mx', {'sendmail_config_features': ["`relay_based_on_MX'"]}, 'sendmail_config_features',
     'feature:relay_based_on_MX', 'MX'),
    ('feature-loose', {'sendmail_config_features': ["`loose_relay_check'"]}, 'sendmail_config_features',
     'feature:loose_relay_check', '%-hack'),
    ('feature-promiscuous', {'sendmail_config_features': ["`promiscuous_relay'"]}, 'sendmail_config_features',
     'feature:promiscuous_relay', 'open relay'),
    ('feature-entire-domain', {'sendmail_config_features': ["`relay_entire_domain'"]}, 'sendmail_config_features',
     'feature:relay_entire_domain', 'class {m}'),
    ('feature-nullclient', {'sendmail_config_features': ["`nullclient', `hub.example.org'"]}, 'sendmail_config_features',
     None, 'sendmail_config_smart_host'),
    ('feature-access-db', {'sendmail_config_features': ["`access_db', `hash /etc/mail/other'"]},
     'sendmail_config_features', None, 'sendmail_config_access'),
    ('feature-ratecontrol', {'sendmail_config_features': ["`ratecontrol', `nodelay', `terminate'"]},
     'sendmail_config_features', None, 'sendmail_config_ratecontrol'),
    ('feature-injection', {'sendmail_config_features': ["`nocanonify')define(`confAUTH_OPTIONS', `')dnl"]},
     'sendmail_config_features', None, 'parenthesis outside'),
    ('feature-unbalanced', {'sendmail_config_features': ["`nocanonify"]}, 'sendmail_config_features', None, 'unbalanced'),
    ('feature-newline', {'sendmail_config_features': ["`nocanonify'\nFEATURE(`promiscuous_relay')"]},
     'sendmail_config_features', None, 'line break'),
    ('feature-arg-m4', {'sendmail_config_features': ["`mailertable', `hash -o /etc/mail/mt' syscmd(id)"]},
     'sendmail_config_features', None, 'syscmd'),
    # ---- mc_extra
    ('mc-extra-relay-feature', {'sendmail_config_mc_extra': "FEATURE(`relay_local_from')dnl\n"}, 'sendmail_config_mc_extra',
     'feature:relay_local_from', 'FEATURE(relay_local_from)'),
    ('mc-extra-daemon-options', {'sendmail_config_mc_extra': "DAEMON_OPTIONS(`Port=2525, Name=X')dnl\n"},
     'sendmail_config_mc_extra', None, 'sendmail_config_daemons'),
    ('mc-extra-define-owned', {'sendmail_config_mc_extra': "define(`confAUTH_OPTIONS', `A')dnl\n"},
     'sendmail_config_mc_extra', None, 'sendmail_config_auth_options'),
    ('mc-extra-undefine-owned', {'sendmail_config_mc_extra': "undefine(`confAUTH_MECHANISMS')dnl\n"},
     'sendmail_config_mc_extra', None, "'undefine'"),
    ('mc-extra-trust-auth-mech', {'sendmail_config_mc_extra': "TRUST_AUTH_MECH(`ANONYMOUS')dnl\n"},
     'sendmail_config_mc_extra', None, 'sendmail_config_trust_auth_mechanisms'),
    ('mc-extra-relay-domain', {'sendmail_config_mc_extra': "RELAY_DOMAIN(`com')dnl\n"}, 'sendmail_config_mc_extra', None,
     'sendmail_config_relay_domains'),
    ('mc-extra-changequote', {'sendmail_config_mc_extra': 'changequote([,])dnl\n'}, 'sendmail_config_mc_extra', None,
     "'changequote'"),
    ('mc-extra-divert', {'sendmail_config_mc_extra': 'divert(-1)\n'}, 'sendmail_config_mc_extra', None, "'divert'"),
    ('mc-extra-esyscmd', {'sendmail_config_mc_extra': "esyscmd(`id')\n"}, 'sendmail_config_mc_extra', None, "'esyscmd'"),
    ('mc-extra-include', {'sendmail_config_mc_extra': "include(`/tmp/x.m4')\n"}, 'sendmail_config_mc_extra', None,
     "'include'"),
    ('mc-extra-internal', {'sendmail_config_mc_extra': "define(`_RELAY_LOCAL_FROM_', 1)\n"}, 'sendmail_config_mc_extra',
     None, 'internal macro'),
    ('mc-extra-unbalanced', {'sendmail_config_mc_extra': "define(`confTO_QUEUEWARN', `4h)\n"}, 'sendmail_config_mc_extra',
     None, 'unbalanced'),
    ('mc-extra-local-check-rcpt', {'sendmail_config_mc_extra': 'LOCAL_RULESETS\nSLocal_check_rcpt\nR$*\t$#OK\n'},
     'sendmail_config_mc_extra', 'mc_extra:policy_rulesets', 'Local_check_rcpt'),
    ('mc-extra-relay-auth', {'sendmail_config_mc_extra': 'LOCAL_RULESETS\nSLocal_Relay_Auth\nR$*\t$# OK\n'},
     'sendmail_config_mc_extra', 'mc_extra:policy_rulesets', 'Local_Relay_Auth'),
    ('mc-extra-tls-server', {'sendmail_config_mc_extra': 'LOCAL_TLS_SERVER\nR$*\t$@ OK\n'}, 'sendmail_config_mc_extra',
     'mc_extra:policy_rulesets', 'LOCAL_TLS_SERVER'),
    ('mc-extra-trust-auth', {'sendmail_config_mc_extra': 'LOCAL_RULESETS\nSLocal_trust_auth\nR$*\t$# OK\n'},
     'sendmail_config_mc_extra', None, 'sendmail_config_trust_auth'),
    ('mc-extra-cf-option', {'sendmail_config_mc_extra': 'LOCAL_CONFIG\nO AuthOptions=A\n'}, 'sendmail_config_mc_extra',
     None, 'sendmail_config_auth_options'),
    ('mc-extra-cf-daemon', {'sendmail_config_mc_extra': 'LOCAL_CONFIG\nO DaemonPortOptions=Port=26, Name=X\n'},
     'sendmail_config_mc_extra', None, 'sendmail_config_daemons'),
    ('mc-extra-class-r', {'sendmail_config_mc_extra': 'LOCAL_CONFIG\nCRcom\n'}, 'sendmail_config_mc_extra', None,
     'sendmail_config_relay_domains'),
    ('mc-extra-class-trust', {'sendmail_config_mc_extra': 'LOCAL_CONFIG\nC{TrustAuthMech}ANONYMOUS\n'},
     'sendmail_config_mc_extra', None, 'sendmail_config_trust_auth_mechanisms'),
    ('mc-extra-dj', {'sendmail_config_mc_extra': 'LOCAL_CONFIG\nDjother.example.org\n'}, 'sendmail_config_mc_extra', None,
     'sendmail_config_hostname'),
    ('mc-extra-tls-fallback', {'sendmail_config_mc_extra': "define(`confTLS_FALLBACK_TO_CLEAR', `True')dnl\n"},
     'sendmail_config_mc_extra', None, 'set it in sendmail_config_defines'),
    ('mc-extra-nul', {'sendmail_config_mc_extra': 'dnl\x00\n'}, 'sendmail_config_mc_extra', None, 'NUL'),
    # ---- the opt-in list itself
    ('accept-risks-typo', {'sendmail_config_accept_risks': ['feature:relay_local_form']}, 'sendmail_config_accept_risks',
     None, 'not a known risk id'),
    ('accept-risks-type', {'sendmail_config_accept_risks': 'feature:relay_local_from'}, 'sendmail_config_accept_risks',
     None, 'not a list'),
]


def problems_of(overrides, base=None):
    config = copy.deepcopy(README_CONFIG if base is None else base)
    config.update(copy.deepcopy(overrides))
    return sendmail_config_problems(config)


@pytest.mark.parametrize('inventory, cert, key', [
    # private_ca not in the play, issue mode (its default): its client certificate, as when it runs
    ({}, '/var/lib/mailrelay/current/certs/client.crt', '/var/lib/mailrelay/current/certs/client.key'),
    # private_ca in the play: whatever it published
    ({'private_ca_client_cert': True, 'private_ca_client_cert_path': '/x/client.crt', 'private_ca_client_key_path': '/x/client.key'},
     '/x/client.crt', '/x/client.key'),
    # provided mode without a client pair, or client certificates turned off: the server certificate
    ({'private_ca_mode': 'provided'}, '/var/lib/mailrelay/current/certs/server.crt', '/var/lib/mailrelay/current/certs/server.key'),
    ({'private_ca_client_cert': False}, '/var/lib/mailrelay/current/certs/server.crt', '/var/lib/mailrelay/current/certs/server.key'),
    # certificates from elsewhere (not private_ca's layout): the server certificate
    ({'sendmail_config_tls_server_cert': '/etc/ssl/relay.pem', 'sendmail_config_tls_server_key': '/etc/ssl/relay.key'},
     '/etc/ssl/relay.pem', '/etc/ssl/relay.key'),
], ids=['issue-default', 'published', 'provided', 'off', 'own-files'])
def test_client_certificate_default(inventory, cert, key):
    rendered = rendered_role_defaults(**inventory)
    assert (rendered['sendmail_config_tls_client_cert'], rendered['sendmail_config_tls_client_key']) == (cert, key)


def test_role_defaults_have_no_problems():
    assert sendmail_config_problems(rendered_role_defaults()) == []


def test_missing_variables_mean_role_defaults():
    assert sendmail_config_problems({}) == []


def test_readme_config_has_no_problems():
    assert problems_of({}) == []


def test_everything_the_free_form_variables_may_hold_is_no_problem():
    assert problems_of(RICH_VALID) == []


def test_static_defaults_match_the_role():
    """DEFAULTS (what a missing variable means) are the role's own, where they are not templates."""
    role = yaml.safe_load(ROLE_DEFAULTS.read_text())
    for name, value in DEFAULTS.items():
        if name in role and '{{' not in str(role[name]):
            assert role[name] == value, name


def test_the_table_reaches_every_variable_and_risk():
    variables = set(case[2] for case in CASES)
    role = yaml.safe_load(ROLE_DEFAULTS.read_text())
    assert set(role) - variables == set()
    assert set(RISKS) - set(case[3] for case in CASES) == set()


@pytest.mark.parametrize('case_id, overrides, variable, risk, text', CASES, ids=[c[0] for c in CASES])
def test_hostile_or_risky_value(case_id, overrides, variable, risk, text):
    problems = problems_of(overrides)
    mine = [p for p in problems if p['variable'] == variable and text in p['message']]
    assert mine, (variable, text, [p['message'] for p in problems])
    for problem in problems:
        assert problem['message'].startswith(problem['variable'] + ': ')
        assert 'Fix: ' in problem['message']
        assert PASSWORD not in problem['message'] and PASSWORD not in str(problem['value'])
        assert problem['value'] is None or (len(problem['value']) <= 60 and '\n' not in problem['value'])
    assert all(p['risk'] == risk for p in mine)
    if risk is None:
        return
    assert "or add '%s' to sendmail_config_accept_risks" % risk in mine[0]['message']
    # accepting the id silences exactly the problems with that id
    accepted = problems_of(dict(overrides, sendmail_config_accept_risks=[risk]))
    assert accepted == [p for p in problems if p['risk'] != risk]
    # and no other id does
    other = sorted(r for r in RISKS if r != risk)
    assert [p for p in problems_of(dict(overrides, sendmail_config_accept_risks=other)) if p['risk'] == risk] == \
        [p for p in problems if p['risk'] == risk]


@pytest.mark.parametrize('overrides, flag', [
    ({'sendmail_config_auth_options': ['A', 'y']}, 'sendmail_config_allow_plaintext_auth'),
    ({'sendmail_config_daemons': [{'name': 'MTA', 'port': 25, 'modifiers': 'a'}]},
     'sendmail_config_allow_auth_required_on_port_25'),
])
def test_the_older_allow_variables_still_opt_in(overrides, flag):
    assert problems_of(overrides)
    assert problems_of(dict(overrides, **{flag: True})) == []
    assert problems_of(dict(overrides, **{flag: 'yes'})) == []


def test_quoted_port_465_is_checked_like_465():
    """The old preflight compared port with 465 and missed "465"."""
    quoted = problems_of({'sendmail_config_daemons': [{'name': 'SMTPS', 'port': '465', 'modifiers': 'E'}]})
    number = problems_of({'sendmail_config_daemons': [{'name': 'SMTPS', 'port': 465, 'modifiers': 'E'}]})
    assert quoted == number
    assert any('port 465' in p['message'] and "'s' modifier" in p['message'] for p in quoted)


def test_password_never_shown_even_when_it_is_hostile():
    hostile = 'x"\nAuthInfo: "P:' + PASSWORD
    problems = problems_of({'sendmail_config_authinfo': [{'host': '', 'user': 'u', 'password': hostile}]})
    assert problems
    assert all(PASSWORD not in p['message'] and PASSWORD not in str(p['value']) for p in problems)


def test_every_problem_of_a_hostile_mix_is_reported():
    mixed = {
        'sendmail_config_features': ["`relay_local_from'", "`promiscuous_relay'"],
        'sendmail_config_access': [{'key': 'Connect:10', 'value': 'RELAY'}],
        'sendmail_config_defines': {'confAUTH_OPTIONS': 'A'},
    }
    risks = sorted(p['risk'] for p in problems_of(mixed) if p['risk'])
    assert risks == ['access:broad_relay', 'feature:promiscuous_relay', 'feature:relay_local_from']
    left = problems_of(dict(mixed, sendmail_config_accept_risks=risks))
    assert [p['variable'] for p in left] == ['sendmail_config_defines']  # owned: no opt-in


def test_config_must_be_a_dict():
    with pytest.raises(RuleError, match='needs a dict'):
        sendmail_config_problems(['sendmail_config_tls'])
