# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parsing what sendmail binaries say about themselves (real captured output)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.mailrelay.sendmail.plugins.module_utils._sendmail import (
    compile_options,
    libcrypto_path,
    parse_ldd,
    parse_version_output,
    split_replies,
    summarize_session,
)

FIXTURES = Path(__file__).resolve().parents[2] / 'fixtures' / 'sendmail'

# `sendmail -d0.1` as quoted by the seeds (../shared/reference): 8.12 with SASL v1 on
# Slackware, and 8.12.9 with SASLv2 on Mac OS X (only the one line they show).
SEEDS_812_SASL1 = """Version 8.12.11
 Compiled with: NAMED_BIND NETINET NETUNIX NEWDB PIPELINING SASL SCANF USERDB
"""
SEEDS_8129_SASL2 = """Version 8.12.9
 Compiled with: LOG MATCHGECOS MIME7TO8 MIME8TO7 NAMED_BIND NETINET NETINFO
\t\tNETISO NETUNIX NEWDB NIS PIPELINING SASLv2 SCANF STARTTLS TCPWRAPPERS
\t\tUSERDB XDEBUG
Program mode requires special privileges, e.g., root or TrustedUser.
"""


@pytest.mark.parametrize('fixture, version, sasl_v2, starttls, newdb', [
    ('d0.1-debian12.txt', '8.17.1.9', True, True, '5.3'),
    ('d0.1-debian13.txt', '8.17.1.9', True, True, '5.3'),
])
def test_captured_builds(fixture, version, sasl_v2, starttls, newdb):
    parsed = parse_version_output((FIXTURES / fixture).read_text())
    options = compile_options(parsed['compiled_with'])
    assert parsed['version'] == version
    assert ('SASLv2' in options) is sasl_v2
    assert ('STARTTLS' in options) is starttls
    assert options['NEWDB'] == newdb
    # every word of the three "Compiled with" lines, nothing from the error line after them
    assert parsed['compiled_with'][0] == 'DNSMAP'
    assert parsed['compiled_with'][-1] == 'XDEBUG'
    assert len(parsed['compiled_with']) == 19
    assert 'not' not in parsed['compiled_with']


@pytest.mark.parametrize('text, version, words, has_sasl_v2, has_starttls', [
    (SEEDS_812_SASL1, '8.12.11', 8, False, False),
    (SEEDS_8129_SASL2, '8.12.9', 18, True, True),
    ('', None, 0, False, False),
    ('sendmail: command not found\n', None, 0, False, False),
])
def test_seed_outputs(text, version, words, has_sasl_v2, has_starttls):
    parsed = parse_version_output(text)
    options = compile_options(parsed['compiled_with'])
    assert parsed['version'] == version
    assert len(parsed['compiled_with']) == words
    assert ('SASLv2' in options) is has_sasl_v2
    assert ('STARTTLS' in options) is has_starttls


def test_sasl_v1_is_not_sasl_v2():
    options = compile_options(parse_version_output(SEEDS_812_SASL1)['compiled_with'])
    assert options['SASL'] is True
    assert 'SASLv2' not in options


def test_compile_options_values():
    assert compile_options(['NEWDB=5.3', 'SASLv2', 'LDAPMAP']) == {'NEWDB': '5.3', 'SASLv2': True, 'LDAPMAP': True}


def test_split_and_summarize_a_real_session():
    lines = (FIXTURES / 'bs-session-debian12.txt').read_text().splitlines()
    replies, noise = split_replies(lines)
    assert noise == []
    assert [r.code for r in replies] == [220, 250, 221]
    summary = summarize_session(replies[0], replies[1])
    assert summary['banner'].startswith('220 build12.mailrelay.test ESMTP Sendmail 8.17.1.9/8.17.1.9;')
    assert summary['auth_mechanisms'] == ['CRAM-MD5', 'DIGEST-MD5', 'LOGIN', 'PLAIN']
    assert summary['starttls_offered'] is False
    assert summary['extensions']['AUTH'] == ['DIGEST-MD5', 'CRAM-MD5', 'LOGIN', 'PLAIN']
    assert 'DELIVERBY' in summary['extensions']


def test_split_replies_keeps_noise_apart():
    replies, noise = split_replies([
        'authfile_init=-1',  # what the seeds' 8.12.9 printed before its greeting
        '220 legacy.local. ESMTP Sendmail 8.12.9/8.12.9',
        '250-legacy.local. Hello root@localhost, pleased to meet you',
        '250-AUTH DIGEST-MD5 CRAM-MD5',
        '250-STARTTLS',
    ])
    assert noise == ['authfile_init=-1', '250-legacy.local. Hello root@localhost, pleased to meet you',
                     '250-AUTH DIGEST-MD5 CRAM-MD5', '250-STARTTLS']
    assert [r.code for r in replies] == [220]


def test_refused_ehlo_has_no_extensions():
    replies, dummy = split_replies(['220 x ESMTP', '554 5.5.0 SMTP protocol error'])
    summary = summarize_session(replies[0], replies[1])
    assert summary['ehlo_reply_code'] == 554
    assert summary['extensions'] == {}
    assert summary['auth_mechanisms'] == []


# `sendmail -d0.10 -bt -C /dev/null`, captured: the stock Linux build (HASURANDOMDEV) on Debian 13,
# and one built without HASURANDOMDEV, with EGD, against an OpenSSL built with enable-egd.
@pytest.mark.parametrize('fixture, urandom_dev, egd, starttls, first_os_define', [
    ('d0.10-debian13.txt', True, False, True, 'ADDRCONFIG_IS_BROKEN'),
    ('d0.10-no-urandom-egd.txt', False, True, True, 'HASFCHOWN'),
])
def test_os_defines_captured(fixture, urandom_dev, egd, starttls, first_os_define):
    parsed = parse_version_output((FIXTURES / fixture).read_text())
    options = compile_options(parsed['compiled_with'])
    assert parsed['version'] == '8.17.1.9'
    assert ('HASURANDOMDEV' in parsed['os_defines']) is urandom_dev
    assert ('EGD' in options) is egd
    assert ('STARTTLS' in options) is starttls
    assert parsed['os_defines'][0] == first_os_define
    # the labelled lines after the OS Defines are not option words
    for word in parsed['os_defines'] + parsed['compiled_with']:
        assert ':' not in word and '/' not in word, word
    assert 'HASFLOCK' in parsed['os_defines']


def test_d01_output_has_no_os_defines():
    parsed = parse_version_output((FIXTURES / 'd0.1-debian12.txt').read_text())
    assert parsed['os_defines'] == []
    assert len(parsed['compiled_with']) == 19


def test_all_option_lists():
    text = (
        'Version 8.18.1\n'
        ' Compiled with: LOG STARTTLS\n'
        '\t\tSASLv2\n'
        '    OS Defines: HASFLOCK HASURANDOMDEV\n'
        '\t\tUSESETEUID\n'
        '     Conf file:\t/etc/mail/submit.cf (default for MSP)\n'
        '      Pid file:\t/var/run/sendmail.pid (default)\n'
        ' libsm Defines: SM_CONF_SHM\n'
        '   FFR Defines: _FFR_QUEUE_SCHED_DBG\n'
        '       OpenSSL: compiled 0x30000130\n'
    )
    parsed = parse_version_output(text)
    assert parsed['compiled_with'] == ['LOG', 'STARTTLS', 'SASLv2']
    assert parsed['os_defines'] == ['HASFLOCK', 'HASURANDOMDEV', 'USESETEUID']
    assert parsed['libsm_defines'] == ['SM_CONF_SHM']
    assert parsed['ffr_defines'] == ['_FFR_QUEUE_SCHED_DBG']


LDD_DEBIAN13 = """\tlinux-vdso.so.1 (0x00007ffd3a5e2000)
\tlibdb-5.3.so => /lib/x86_64-linux-gnu/libdb-5.3.so (0x00007f8e0b600000)
\tlibsasl2.so.3 => /usr/local/lib/libsasl2.so.3 (0x00007f8e0b5e0000)
\tlibssl.so.3 => /lib/x86_64-linux-gnu/libssl.so.3 (0x00007f8e0b500000)
\tlibcrypto.so.3 => /lib/x86_64-linux-gnu/libcrypto.so.3 (0x00007f8e0b000000)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f8e0ae00000)
\t/lib64/ld-linux-x86-64.so.2 (0x00007f8e0b8a0000)
"""


@pytest.mark.parametrize('text, expected', [
    (LDD_DEBIAN13, '/lib/x86_64-linux-gnu/libcrypto.so.3'),
    ('\tlibcrypto.so.3 => /opt/openssl-egd/lib/libcrypto.so.3 (0x00007f1c2d000000)\n', '/opt/openssl-egd/lib/libcrypto.so.3'),
    ('\tlibcrypto.so.1.1 => not found\n', None),
    ('\tnot a dynamic executable\n', None),
    ('', None),
])
def test_libcrypto_from_ldd(text, expected):
    assert libcrypto_path(parse_ldd(text)) == expected


def test_parse_ldd_keeps_every_library():
    libraries = parse_ldd(LDD_DEBIAN13)
    assert libraries['libsasl2.so.3'] == '/usr/local/lib/libsasl2.so.3'
    assert 'linux-vdso.so.1' not in libraries
    assert len(libraries) == 5
