# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared sendmail rules: listeners, a live sendmail.cf, SMART_HOST, pluginviewer, relay keys."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail_rules import (
    CLEARTEXT_MECHANISMS,
    RuleError,
    broad_relay_reason,
    cleartext_mechanisms,
    m4_code,
    m4_quoted_reason,
    parse_daemon_port_options,
    parse_pluginviewer,
    parse_port,
    parse_smart_host,
    sendmail_cf_listeners,
    sendmail_listeners,
    smart_host_name,
    split_m4_args,
)

DEFAULT_DAEMONS = [
    {'name': 'MTA', 'port': 25},
    {'name': 'MSA', 'port': 587, 'modifiers': 'Ea'},
    {'name': 'SMTPS', 'port': 465, 'modifiers': 'Eas'},
]

# ------------------------------------------------------------------------------ cleartext


@pytest.mark.parametrize('mechanisms, expected', [
    (['LOGIN', 'PLAIN'], ['LOGIN', 'PLAIN']),
    (['plain', 'CRAM-MD5', 'Login'], ['plain', 'Login']),
    (['CRAM-MD5', 'DIGEST-MD5', 'SCRAM-SHA-256'], []),
    ([], []),
    ('DIGEST-MD5 CRAM-MD5 LOGIN PLAIN', ['LOGIN', 'PLAIN']),   # as AuthMechanisms reads
    ('PLAIN,LOGIN', ['PLAIN', 'LOGIN']),
    (['PLAINTEXT', 'XLOGIN'], []),                             # whole names only
])
def test_cleartext_mechanisms(mechanisms, expected):
    assert cleartext_mechanisms(mechanisms) == expected


def test_cleartext_constant_is_plain_and_login():
    assert sorted(CLEARTEXT_MECHANISMS) == ['LOGIN', 'PLAIN']


# ------------------------------------------------------------------------------ ports


@pytest.mark.parametrize('value, service_names, expected', [
    (25, False, 25),
    ('465', False, 465),
    (' 587 ', False, 587),
    (65535, False, 65535),
    ('smtp', True, 25),
    ('submission', True, 587),
    ('SMTPS', True, 465),
    ('urd', True, 465),
])
def test_parse_port(value, service_names, expected):
    assert parse_port(value, service_names=service_names) == expected


@pytest.mark.parametrize('value, service_names', [
    (0, False), (65536, False), (-25, False), ('46 5', False), ('465x', False), ('0x1d', False),
    (True, False), (465.0, False), (None, False), ('smtp', False), ('imap', True), ('', True),
])
def test_parse_port_refuses(value, service_names):
    with pytest.raises(RuleError, match='not a number from 1 to 65535'):
        parse_port(value, service_names=service_names)


# ------------------------------------------------------------------------------ listeners


def listener(name, port, tls, before, after, dpo, modifiers='', addr='0.0.0.0', family='inet', options=''):
    return {'name': name, 'port': port, 'addr': addr, 'family': family, 'modifiers': modifiers,
            'options': options, 'tls': tls, 'auth_required': 'a' in modifiers,
            'auth_before_tls': before, 'auth_after_tls': after, 'daemon_port_options': dpo}


LP = ['LOGIN', 'PLAIN']

LISTENER_CASES = [
    ('defaults', DEFAULT_DAEMONS, True, LP, ['A', 'p', 'y'], [
        listener('MTA', 25, 'starttls', [], LP, 'Port=25, Addr=0.0.0.0, Family=inet, Name=MTA'),
        listener('MSA', 587, 'starttls', [], LP, 'Port=587, Addr=0.0.0.0, Family=inet, Name=MSA, M=Ea', 'Ea'),
        listener('SMTPS', 465, 'implicit', [], LP, 'Port=465, Addr=0.0.0.0, Family=inet, Name=SMTPS, M=Eas', 'Eas'),
    ]),
    ('quoted port behaves like a number', [{'name': 'SMTPS', 'port': '465', 'modifiers': 'Eas'}], True, LP, 'A,p,y', [
        listener('SMTPS', 465, 'implicit', [], LP, 'Port=465, Addr=0.0.0.0, Family=inet, Name=SMTPS, M=Eas', 'Eas'),
    ]),
    ("no 'p': PLAIN and LOGIN before TLS", [{'name': 'MSA', 'port': 587, 'modifiers': 'Ea'}], True,
     ['PLAIN', 'CRAM-MD5', 'login'], ['A', 'y'],
     [listener('MSA', 587, 'starttls', ['CRAM-MD5', 'LOGIN', 'PLAIN'], ['CRAM-MD5', 'LOGIN', 'PLAIN'],
               'Port=587, Addr=0.0.0.0, Family=inet, Name=MSA, M=Ea', 'Ea')]),
    ("'p' keeps only the non-clear-text mechanisms before TLS", [{'name': 'MSA', 'port': 587}], True,
     ['DIGEST-MD5', 'PLAIN', 'CRAM-MD5'], ['p'],
     [listener('MSA', 587, 'starttls', ['CRAM-MD5', 'DIGEST-MD5'], ['CRAM-MD5', 'DIGEST-MD5', 'PLAIN'],
               'Port=587, Addr=0.0.0.0, Family=inet, Name=MSA')]),
    ('no TLS configured: no STARTTLS, nothing after TLS', [{'name': 'MTA', 'port': 25}], False, LP, ['A', 'y'], [
        listener('MTA', 25, 'none', LP, [], 'Port=25, Addr=0.0.0.0, Family=inet, Name=MTA'),
    ]),
    ("'S' turns STARTTLS off on one listener", [{'name': 'LOCAL', 'port': 2525, 'addr': '127.0.0.1', 'modifiers': 'ES'}],
     True, LP, ['p'],
     [listener('LOCAL', 2525, 'none', [], [], 'Port=2525, Addr=127.0.0.1, Family=inet, Name=LOCAL, M=ES', 'ES',
               addr='127.0.0.1')]),
    ("'A' offers no AUTH at all", [{'name': 'MTA', 'port': 25, 'modifiers': 'A'}], True, LP, [], [
        listener('MTA', 25, 'starttls', [], [], 'Port=25, Addr=0.0.0.0, Family=inet, Name=MTA, M=A', 'A'),
    ]),
    ('inet6 defaults to :: and options are appended', [
        {'name': 'MTA-v6', 'port': 25, 'family': 'inet6', 'options': ' Listen=128 ,SndBufSize=65536'}], True, LP, ['p'], [
        listener('MTA-v6', 25, 'starttls', [], LP, 'Port=25, Addr=::, Family=inet6, Name=MTA-v6, Listen=128, SndBufSize=65536',
                 addr='::', family='inet6', options='Listen=128, SndBufSize=65536'),
    ]),
    ('explicit IPv6 address', [{'name': 'MSA6', 'port': 587, 'family': 'inet6', 'addr': '2001:db8::25', 'modifiers': 'Ea'}],
     True, ['CRAM-MD5'], ['p'],
     [listener('MSA6', 587, 'starttls', ['CRAM-MD5'], ['CRAM-MD5'],
               'Port=587, Addr=2001:db8::25, Family=inet6, Name=MSA6, M=Ea', 'Ea', addr='2001:db8::25', family='inet6')]),
    ('tls given as a string', [{'name': 'MTA', 'port': 25}], 'false', LP, ['p'], [
        listener('MTA', 25, 'none', [], [], 'Port=25, Addr=0.0.0.0, Family=inet, Name=MTA'),
    ]),
]


@pytest.mark.parametrize('label, daemons, tls, mechanisms, options, expected', LISTENER_CASES,
                         ids=[c[0] for c in LISTENER_CASES])
def test_sendmail_listeners(label, daemons, tls, mechanisms, options, expected):
    assert sendmail_listeners(daemons, tls=tls, auth_mechanisms=mechanisms, auth_options=options) == expected


@pytest.mark.parametrize('daemons, message', [
    ([{'name': 'MTA', 'port': 'smtp'}], r"entry 1 \(MTA\): port 'smtp' is not a number"),
    ([{'name': 'MTA', 'port': 25}, {'name': 'MSA', 'port': 70000}], r'entry 2 \(MSA\): port 70000'),
    ([{'name': 'MTA'}], 'entry 1 \\(MTA\\): has no port'),
    ([{'port': 25}], 'entry 1: name none is missing'),
    ([{'name': 'M T A', 'port': 25}], "name 'M T A' is missing or not letters"),
    ([{'name': 'MSA', 'port': 587, 'modifiers': 'Ea,Name=X'}], 'are not sendmail daemon modifiers'),
    ([{'name': 'MSA', 'port': 587, 'options': 'Name=Other'}], "options part 'Name=Other' sets name"),
    ([{'name': 'MSA', 'port': 587, 'options': 'Prt=25'}], "sets port \\(sendmail reads a key by its first letter\\)"),
    ([{'name': 'MSA', 'port': 587, 'options': 'M=a'}], 'sets modifiers'),
    ([{'name': 'MSA', 'port': 587, 'options': 'Listen=1\nO AuthOptions=A'}], 'contains a line break'),
    ([{'name': 'MSA', 'port': 587, 'options': "Listen=1')dnl"}], 'm4 quote'),
    ([{'name': 'MSA', 'port': 587, 'options': 'Zap=1'}], 'not a DaemonPortOptions key'),
    ([{'name': 'MSA', 'port': 587, 'family': 'unix'}], "family 'unix' is not inet or inet6"),
    ([{'name': 'MSA', 'port': 587, 'addr': '2001:db8::1'}], 'is an IPv6 address but family is inet'),
    ([{'name': 'MSA', 'port': 587, 'addr': '0.0.0.0, M=a'}], 'neither an IP address nor a host name'),
    ([{'name': 'MSA', 'port': 587, 'prot': 25}], 'unknown keys prot'),
    (['MTA:25'], "entry 1: is not a dict"),
    ({'name': 'MTA', 'port': 25}, 'must be a list'),
])
def test_sendmail_listeners_refuses(daemons, message):
    with pytest.raises(RuleError, match=message):
        sendmail_listeners(daemons)


# ------------------------------------------------------------------------------ a live sendmail.cf

# Option lines as sendmail 8.17's m4 writes them for the role's template (checked against a cf
# built with cf/m4/cf.m4), with the comment and continuation forms sendmail.cf allows.
RELAY_CF = """\
# Copyright and build lines would be here
V10/Berkeley
Cwlocalhost
Fw-o /etc/mail/local-host-names
DS[relay2.example.org]
C{TrustAuthMech}LOGIN PLAIN
# SMTP daemon options

O DaemonPortOptions=Port=25, Addr=0.0.0.0, Family=inet, Name=MTA
O DaemonPortOptions=Port=587, Addr=0.0.0.0, Family=inet, Name=MSA, M=Ea
O DaemonPortOptions=Port=465, Addr=0.0.0.0, Family=inet, Name=SMTPS, M=Eas
O DaemonPortOptions=Port=25, Addr=::, Family=inet6, Name=MTA-v6, Listen=128
O DaemonPortOptions=Port=2525, Addr=127.0.0.1, Family=inet, Name=LOCAL, M=ES
# list of authentication mechanisms
O AuthMechanisms=LOGIN PLAIN
# default authentication information for outgoing connections
#O DefaultAuthInfo=/etc/mail/default-auth-info
# SMTP AUTH flags
O AuthOptions=A,p,y
# CA directory
O CACertPath=/etc/mail/certs
# server cert, key
O ServerCertFile=/etc/mail/certs/server.crt
O ServerKeyFile=/etc/mail/certs/server.key
R$* $| $={TrustAuthMech}	$# RELAY
"""
RELAY_DAEMONS = DEFAULT_DAEMONS + [
    {'name': 'MTA-v6', 'port': 25, 'family': 'inet6', 'options': 'Listen=128'},
    {'name': 'LOCAL', 'port': '2525', 'addr': '127.0.0.1', 'modifiers': 'ES'},
]

# What a plain OSTYPE(linux) DOMAIN(generic) mc gives: sendmail's own default listeners,
# options commented out, no TLS.
GENERIC_CF = """\
O DaemonPortOptions=Name=MTA
O DaemonPortOptions=Port=587, Name=MSA, M=E
#O AuthMechanisms=EXTERNAL GSSAPI KERBEROS_V4 DIGEST-MD5 CRAM-MD5
#O AuthOptions
#O ServerCertFile
"""


def test_cf_round_trip_of_the_role_listeners():
    expected = sendmail_listeners(RELAY_DAEMONS, tls=True, auth_mechanisms=['LOGIN', 'PLAIN'], auth_options=['A', 'p', 'y'])
    assert sendmail_cf_listeners(RELAY_CF) == expected
    # what the role writes is what the cf says, line for line
    lines = [line.split('=', 1)[1] for line in RELAY_CF.splitlines() if line.startswith('O DaemonPortOptions=')]
    assert [item['daemon_port_options'] for item in expected] == lines


def test_cf_defaults_are_sendmails():
    assert sendmail_cf_listeners(GENERIC_CF) == [
        # the commented-out AuthMechanisms line is not read: no mechanisms at all
        listener('MTA', 25, 'none', [], [], 'Port=25, Addr=0.0.0.0, Family=inet, Name=MTA'),
        listener('MSA', 587, 'none', [], [], 'Port=587, Addr=0.0.0.0, Family=inet, Name=MSA, M=E', 'E'),
    ]


@pytest.mark.parametrize('cf, expected', [
    # service names, lower-case keys and spaces as sendmail accepts them; last option wins
    ('O DaemonPortOptions=port=submission,name=MSA, m = E a\nO AuthMechanisms=PLAIN\nO AuthMechanisms=CRAM-MD5 PLAIN\n'
     'O ServerCertFile=/c.pem\n',
     [listener('MSA', 587, 'starttls', ['CRAM-MD5', 'PLAIN'], ['CRAM-MD5', 'PLAIN'],
               'Port=587, Addr=0.0.0.0, Family=inet, Name=MSA, M=Ea', 'Ea')]),
    # a continuation line (leading tab) belongs to the line before
    ('O DaemonPortOptions=Port=smtps, Name=SMTPS,\n\tM=Eas\nO AuthMechanisms=LOGIN\nO AuthOptions=p y\n',
     [listener('SMTPS', 465, 'implicit', [], ['LOGIN'], 'Port=465, Addr=0.0.0.0, Family=inet, Name=SMTPS, M=Eas', 'Eas')]),
    # no name: sendmail calls it Daemon<n>; Family=inet6 defaults to ::
    ('O DaemonPortOptions=Family=inet6, Port=25\nO DaemonPortOptions=Port=26\n',
     [listener('Daemon0', 25, 'none', [], [], 'Port=25, Addr=::, Family=inet6, Name=Daemon0', addr='::', family='inet6'),
      listener('Daemon1', 26, 'none', [], [], 'Port=26, Addr=0.0.0.0, Family=inet, Name=Daemon1')]),
    # an empty ServerCertFile is no TLS; AuthOptions without p keeps PLAIN before TLS
    ('O ServerCertFile=\nO AuthOptions=A\nO AuthMechanisms=PLAIN\nO DaemonPortOptions=Port=25, Name=MTA\n',
     [listener('MTA', 25, 'none', ['PLAIN'], [], 'Port=25, Addr=0.0.0.0, Family=inet, Name=MTA')]),
    ('# nothing\n', []),
])
def test_cf_forms(cf, expected):
    assert sendmail_cf_listeners(cf) == expected


@pytest.mark.parametrize('cf, message', [
    ('O DaemonPortOptions=Family=unix, Addr=/var/run/smtp.sock, Name=Local\n', 'Family=unix is not a TCP listener'),
    ('O DaemonPortOptions=Port=imap, Name=X\n', "port 'imap' is not a number"),
])
def test_cf_refuses(cf, message):
    with pytest.raises(RuleError, match=message):
        sendmail_cf_listeners(cf)


def test_parse_daemon_port_options_keeps_other_parts():
    assert parse_daemon_port_options('Port=25,Addr=192.0.2.1, Listen=64 ,delayLA=8, junk, Name=MTA') == {
        'name': 'MTA', 'port': '25', 'addr': '192.0.2.1', 'family': None, 'modifiers': '',
        'options': ['Listen=64', 'delayLA=8']}


def _sendmail_cf_tree(tmp_path):
    """The cf/ tree of the sendmail release the offline sources hold, or None."""
    sources = Path(os.environ.get('MAILRELAY_SOURCES_DIR', Path(__file__).resolve().parents[4] / '.cache' / 'sources'))
    tarballs = sorted(sources.glob('sendmail_*.orig.tar.gz')) if sources.is_dir() else []
    if not tarballs or not shutil.which('m4'):
        return None
    with tarfile.open(tarballs[-1]) as tar:
        members = [m for m in tar.getmembers() if '/cf/' in m.name and (m.isfile() or m.isdir())]
        safe = {'filter': 'data'} if hasattr(tarfile, 'data_filter') else {}
        tar.extractall(tmp_path, members=members, **safe)
    return next(tmp_path.glob('sendmail-*/cf'))


def test_round_trip_through_sendmails_own_m4(tmp_path):
    """Build a sendmail.cf from DAEMON_OPTIONS lines with sendmail's cf/m4 and read it back."""
    cf_dir = _sendmail_cf_tree(tmp_path)
    if cf_dir is None:
        pytest.skip('needs m4 and the sendmail tarball of make sources (MAILRELAY_SOURCES_DIR)')
    listeners = sendmail_listeners(RELAY_DAEMONS, tls=True, auth_mechanisms=['PLAIN', 'LOGIN', 'CRAM-MD5'],
                                   auth_options=['A', 'p', 'y'])
    mc = ''.join([
        "OSTYPE(`linux')dnl\nDOMAIN(`generic')dnl\n",
        "define(`confAUTH_MECHANISMS', `PLAIN LOGIN CRAM-MD5')dnl\n",
        "define(`confAUTH_OPTIONS', `A,p,y')dnl\n",
        "define(`confSERVER_CERT', `/etc/mail/certs/server.crt')dnl\n",
        "FEATURE(`no_default_msa')dnl\n",
        ''.join("DAEMON_OPTIONS(`%s')dnl\n" % item['daemon_port_options'] for item in listeners),
        "MAILER(`local')dnl\nMAILER(`smtp')dnl\n",
    ])
    (tmp_path / 'test.mc').write_text(mc)
    cf = subprocess.run(['m4', '-D_CF_DIR_=%s/' % cf_dir, str(cf_dir / 'm4' / 'cf.m4'), str(tmp_path / 'test.mc')],
                        check=True, capture_output=True, text=True).stdout
    assert 'O DaemonPortOptions=Port=465, Addr=0.0.0.0, Family=inet, Name=SMTPS, M=Eas' in cf
    assert sendmail_cf_listeners(cf) == listeners


# ------------------------------------------------------------------------------ SMART_HOST


@pytest.mark.parametrize('value, host, mailer, rest', [
    ('', '', '', ''),
    (None, '', '', ''),
    ('[relay1.example.org]', 'relay1.example.org', '', ''),
    ('relay1.example.org', 'relay1.example.org', '', ''),
    ('relay1', 'relay1', '', ''),
    ('esmtp:[relay1.example.org]', 'relay1.example.org', 'esmtp', ''),
    ('relay:relay1.example.org', 'relay1.example.org', 'relay', ''),
    ('smtp8:[relay1.example.org.]', 'relay1.example.org', 'smtp8', ''),
    ('[192.0.2.25]', '192.0.2.25', '', ''),
    ('[IPv6:2001:db8::25]', 'IPv6:2001:db8::25', '', ''),
    ('esmtp:[IPv6:2001:db8::25]', 'IPv6:2001:db8::25', 'esmtp', ''),
    ('relay:relay1.example.org:587', 'relay1.example.org', 'relay', ':587'),
    ('[relay1.example.org]:587', 'relay1.example.org', '', ':587'),
    ('relay1.example.org:relay2.example.org', 'relay1.example.org', '', ':relay2.example.org'),
    ('esmtp:postmaster@relay1.example.org', 'relay1.example.org', 'esmtp', ''),
    ('  [relay1.example.org]  ', 'relay1.example.org', '', ''),
])
def test_smart_host(value, host, mailer, rest):
    assert smart_host_name(value) == host
    parsed = parse_smart_host(value)
    assert (parsed['mailer'], parsed['rest']) == (mailer, rest)


# ------------------------------------------------------------------------------ pluginviewer

# pluginviewer -s of Cyrus SASL 2.1.28 built by cyrus_sasl (formats from utils/pluginviewer.c
# and lib/server.c); the auxprop part is what the role's shell check skipped over by accident
# before ("properly configured" appears on the auxprop line too when -a or no flag is given).
PLUGINVIEWER_ALL = """\
Installed and properly configured auxprop mechanisms are:
sasldb
List of auxprop plugins follows
Plugin "sasldb" ,\tAPI version: 8
\tsupports store: yes

Installed and properly configured SASL (server side) mechanisms are:
  SCRAM-SHA-256 SCRAM-SHA-1 DIGEST-MD5 CRAM-MD5 PLAIN LOGIN ANONYMOUS
Available SASL (server side) mechanisms matching your criteria are:
  SCRAM-SHA-256 SCRAM-SHA-1 DIGEST-MD5 CRAM-MD5 PLAIN LOGIN ANONYMOUS
List of server plugins follows
Plugin "scram" [loaded], \tAPI version: 4
\tSASL mechanism: SCRAM-SHA-256, best SSF: 0, supports setpass: yes
\tsecurity flags: NO_ANONYMOUS|NO_PLAINTEXT|NO_ACTIVE|MUTUAL_AUTH
\tfeatures: WANT_CLIENT_FIRST|PROXY_AUTHENTICATION|CHANNEL_BINDING|SUPPORTS_HTTP
Plugin "plain" [loaded], \tAPI version: 4
\tSASL mechanism: PLAIN, best SSF: 0, supports setpass: no
\tsecurity flags: NO_ANONYMOUS|PASS_CREDENTIALS
\tfeatures: WANT_CLIENT_FIRST|PROXY_AUTHENTICATION
Installed and properly configured SASL (client side) mechanisms are:
  SCRAM-SHA-256 SCRAM-SHA-1 DIGEST-MD5 CRAM-MD5 PLAIN LOGIN ANONYMOUS EXTERNAL
Available SASL (client side) mechanisms matching your criteria are:
  SCRAM-SHA-256 SCRAM-SHA-1 DIGEST-MD5 CRAM-MD5 PLAIN LOGIN ANONYMOUS EXTERNAL
List of client plugins follows
Plugin "scram" [loaded], \tAPI version: 4
\tSASL mechanism: SCRAM-SHA-256, best SSF: 0
"""
PLUGINVIEWER_SERVER = """\
Installed and properly configured SASL (server side) mechanisms are:
  DIGEST-MD5 CRAM-MD5 LOGIN PLAIN
Available SASL (server side) mechanisms matching your criteria are:
  DIGEST-MD5 CRAM-MD5 LOGIN PLAIN
List of server plugins follows
Plugin "digestmd5" [loaded], \tAPI version: 4
\tSASL mechanism: DIGEST-MD5, best SSF: 128, supports setpass: no
\tsecurity flags: NO_ANONYMOUS|NO_PLAINTEXT|MUTUAL_AUTH
\tfeatures: PROXY_AUTHENTICATION
Plugin "login" [loaded], \tAPI version: 4
\tSASL mechanism: LOGIN, best SSF: 0, supports setpass: no
\tsecurity flags: NO_ANONYMOUS|PASS_CREDENTIALS
\tfeatures: SERVER_FIRST
"""
# pluginviewer -s -f ... with criteria nothing meets, and a libsasl2 that loaded nothing
PLUGINVIEWER_NOTHING = """\
Installed and properly configured SASL (server side) mechanisms are:
  (null)
No server side SASL mechanisms matching your criteria found
"""
PLUGINVIEWER_CLIENT = """\
Installed and properly configured SASL (client side) mechanisms are:
  <none>
No client side SASL mechanisms matching your criteria found
"""
PLUGINVIEWER_FILTERED = """\
Installed and properly configured SASL (server side) mechanisms are:
  DIGEST-MD5 CRAM-MD5 LOGIN PLAIN
Available SASL (server side) mechanisms matching your criteria are:
  DIGEST-MD5 CRAM-MD5
List of server plugins follows
"""


@pytest.mark.parametrize('stdout, expected', [
    (PLUGINVIEWER_SERVER, {
        'server': ['DIGEST-MD5', 'CRAM-MD5', 'LOGIN', 'PLAIN'], 'server_available': ['DIGEST-MD5', 'CRAM-MD5', 'LOGIN', 'PLAIN'],
        'client': [], 'client_available': [], 'auxprop': [], 'available': ['DIGEST-MD5', 'CRAM-MD5', 'LOGIN', 'PLAIN']}),
    (PLUGINVIEWER_ALL, {
        'auxprop': ['sasldb'],
        'server': ['SCRAM-SHA-256', 'SCRAM-SHA-1', 'DIGEST-MD5', 'CRAM-MD5', 'PLAIN', 'LOGIN', 'ANONYMOUS'],
        'server_available': ['SCRAM-SHA-256', 'SCRAM-SHA-1', 'DIGEST-MD5', 'CRAM-MD5', 'PLAIN', 'LOGIN', 'ANONYMOUS'],
        'client': ['SCRAM-SHA-256', 'SCRAM-SHA-1', 'DIGEST-MD5', 'CRAM-MD5', 'PLAIN', 'LOGIN', 'ANONYMOUS', 'EXTERNAL'],
        'client_available': ['SCRAM-SHA-256', 'SCRAM-SHA-1', 'DIGEST-MD5', 'CRAM-MD5', 'PLAIN', 'LOGIN', 'ANONYMOUS',
                             'EXTERNAL'],
        'available': ['SCRAM-SHA-256', 'SCRAM-SHA-1', 'DIGEST-MD5', 'CRAM-MD5', 'PLAIN', 'LOGIN', 'ANONYMOUS']}),
    (PLUGINVIEWER_FILTERED, {
        'server': ['DIGEST-MD5', 'CRAM-MD5', 'LOGIN', 'PLAIN'], 'server_available': ['DIGEST-MD5', 'CRAM-MD5'],
        'client': [], 'client_available': [], 'auxprop': [], 'available': ['DIGEST-MD5', 'CRAM-MD5']}),
    (PLUGINVIEWER_NOTHING, {'server': [], 'server_available': [], 'client': [], 'client_available': [], 'auxprop': [],
                            'available': []}),
    (PLUGINVIEWER_CLIENT, {'server': [], 'server_available': [], 'client': [], 'client_available': [], 'auxprop': [],
                           'available': []}),
    ('', {'server': [], 'server_available': [], 'client': [], 'client_available': [], 'auxprop': [], 'available': []}),
])
def test_parse_pluginviewer(stdout, expected):
    assert parse_pluginviewer(stdout) == expected


def test_pluginviewer_client_side_is_available_when_only_it_was_printed():
    stdout = ('Installed and properly configured SASL (client side) mechanisms are:\n  PLAIN LOGIN\n'
              'Available SASL (client side) mechanisms matching your criteria are:\n  PLAIN\n')
    result = parse_pluginviewer(stdout)
    assert result['client'] == ['PLAIN', 'LOGIN']
    assert result['available'] == ['PLAIN']


def test_the_old_first_line_after_properly_configured_was_the_auxprop_list():
    """What roles read with sed '/properly configured/{n;p;q}' on full output: 'sasldb', not mechanisms."""
    lines = PLUGINVIEWER_ALL.splitlines()
    first = lines[next(i for i, line in enumerate(lines) if 'properly configured' in line) + 1]
    assert first == 'sasldb'
    assert 'PLAIN' in parse_pluginviewer(PLUGINVIEWER_ALL)['server']


# ------------------------------------------------------------------------------ broad relay keys


@pytest.mark.parametrize('key, broad', [
    ('', True), ('Connect:', True), ('To:', True), ('From:', True), ('connect:', True), ('*', True), ('.', True),
    ('Connect:0', True), ('Connect:0.0.0.0', True), ('Connect:10', True), ('Connect:10.1', True), ('192.168', True),
    ('Connect:IPv6:', True), ('Connect:IPv6:2001', True), ('Connect:IPv6:2001:db8', True), ('Connect:IPv6:::', True),
    ('Connect:IPv6:0:0:0:0', True), ('To:com', True), ('To:.com', True), ('com', True), ('From:postmaster@', True),
    ('To:user@org', True),
    ('Connect:192.0.2', False), ('Connect:192.0.2.10', False), ('Connect:127.0.0.1', False),
    ('Connect:localhost', False), ('Connect:localhost.localdomain', False), ('To:example.org', False),
    ('Connect:IPv6:2001:db8:1', False), ('Connect:IPv6:2001:db8::25', False), ('Connect:[192.0.2.1]', False),
    ('To:user@example.org', False), ('example.org', False), ('Connect:mail.example.org', False),
])
def test_broad_relay_reason(key, broad):
    assert bool(broad_relay_reason(key)) is broad, broad_relay_reason(key)


@pytest.mark.parametrize('entry, broad', [
    ('.', True), ('*', True), ('org', True), ('10', True), ('IPv6:2001:db8', True),
    ('example.org', False), ('192.0.2', False), ('IPv6:2002:c0a8:02c7', False), ('[UNIX:localhost]', False),
    ('localhost', False),
])
def test_broad_relay_domains(entry, broad):
    assert bool(broad_relay_reason(entry, allow_tag=False)) is broad


# ------------------------------------------------------------------------------ m4


@pytest.mark.parametrize('text, reason', [
    ('relay1.example.org', None),
    ('/etc/mail/certs/server.crt', None),
    ('HIGH:!aNULL', None),
    ('a`b', 'm4 quote'),
    ("a'b", 'm4 quote'),
    ('x#y', "'#'"),
    ('a\nb', 'line break'),
    ('a\rb', 'line break'),
    ('a\x00b', 'NUL'),
    ('mail.dnl.example', "'dnl'"),
    ('x divert y', "'divert'"),
    ('1changequote', "'changequote'"),
    ('syscmd', "'syscmd'"),
    ('confAUTH_OPTIONS', "'confAUTH_OPTIONS'"),
    ('_PROMISCUOUS_RELAY_', "'_PROMISCUOUS_RELAY_'"),
    ('FEATURE', "'FEATURE'"),
    ('a eval(1) b', "'eval'"),
    ('the index file', None),          # builtins that need arguments are harmless without "("
])
def test_m4_quoted_reason(text, reason):
    result = m4_quoted_reason(text)
    if reason is None:
        assert result is None
    else:
        assert reason in result


@pytest.mark.parametrize('text, code, depth', [
    ("FEATURE(`x')dnl a comment\nnext", "FEATURE(`x')\nnext", 0),
    ("# changequote in a comment\nX", "\nX", 0),
    ("`#not a comment'", "`#not a comment'", 0),
    ("define(`a', `b", "define(`a', `b", 1),
    ("dnl`\nX", "\nX", 0),
    ("don't", "don't", 0),             # a stray ' at the top level is a plain character
    ("xdnl y", "xdnl y", 0),           # dnl only as a word
])
def test_m4_code(text, code, depth):
    assert m4_code(text) == (code, depth)


@pytest.mark.parametrize('text, args, error', [
    ("`relay_local_from'", ['relay_local_from'], None),
    ('relay_local_from', ['relay_local_from'], None),
    ("`nullclient', `hub.example.org'", ['nullclient', 'hub.example.org'], None),
    ("`access_db', `hash -T<TMPF> -o /etc/mail/access'", ['access_db', 'hash -T<TMPF> -o /etc/mail/access'], None),
    ("`x', `a, `nested' b'", ['x', "a, `nested' b"], None),
    ("`x')define(`confAUTH_OPTIONS', `'", [], 'parenthesis outside'),
    ("`x", [], 'unbalanced'),
])
def test_split_m4_args(text, args, error):
    result, problem = split_m4_args(text)
    assert result == args
    assert (problem is None) if error is None else (error in problem)
