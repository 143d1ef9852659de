# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Table-driven tests of the pure functions in module_utils._smtp."""

from __future__ import annotations

import pytest

from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp import (
    Reply,
    SMTPProtocolError,
    auth_mechanisms,
    check_min_tls_version,
    classify_relay,
    compare_mechanisms,
    is_relay_host_address,
    parse_ehlo,
    parse_reply,
    parse_reply_line,
)

# Real sendmail 8.12 sessions, as quoted in the old HOWTOs kept in the project's shared
# reference folder. Server lines only; annotations of the books removed, trailing blanks kept.
SENDMAIL_8_12_7_EHLO = [  # sendmail book, "Test SASL support in sendmail"
    '250-your.host.domain Hello root@localhost, pleased to meet you',
    '250-AUTH DIGEST-MD5 CRAM-MD5 ',
    '250 HELP',
]
SENDMAIL_8_12_11_EHLO = [  # Slackware SMTP AUTH HOWTO (line breaks lost on the web page, restored here)
    '250-test.slacksite.com Hello IDENT:1007@localhost [127.0.0.1], pleased to meet you',
    '250-ENHANCEDSTATUSCODES',
    '250-PIPELINING',
    '250-8BITMIME',
    '250-SIZE 20485760',
    '250-DSN',
    '250-ETRN',
    '250-AUTH LOGIN PLAIN',
    '250-DELIVERBY',
    '250 HELP',
]
SENDMAIL_8_12_9_EHLO = [  # Mac OS X 10.2 notes, `sendmail -bs -Am`
    '250-legacy.local. Hello root@localhost, pleased to meet you',
    '250-ENHANCEDSTATUSCODES',
    '250-PIPELINING',
    '250-8BITMIME',
    '250-SIZE 5242880',
    '250-DSN',
    '250-ETRN',
    '250-AUTH DIGEST-MD5 CRAM-MD5',
    '250-STARTTLS',
    '250-DELIVERBY',
    '250 HELP',
]
# The mailing-list post (AuthOptions A,p) lost the first EHLO line to an address scrubber;
# what survived is a one-line reply, which is still a valid EHLO answer without extensions.
SCRUBBED_EHLO = ['250 HELP']


@pytest.mark.parametrize('lines, greeting, extensions, mechanisms', [
    (SENDMAIL_8_12_7_EHLO, 'your.host.domain Hello root@localhost, pleased to meet you',
     {'AUTH': ['DIGEST-MD5', 'CRAM-MD5'], 'HELP': []}, ['CRAM-MD5', 'DIGEST-MD5']),
    (SENDMAIL_8_12_11_EHLO, 'test.slacksite.com Hello IDENT:1007@localhost [127.0.0.1], pleased to meet you',
     {'ENHANCEDSTATUSCODES': [], 'PIPELINING': [], '8BITMIME': [], 'SIZE': ['20485760'], 'DSN': [], 'ETRN': [],
      'AUTH': ['LOGIN', 'PLAIN'], 'DELIVERBY': [], 'HELP': []}, ['LOGIN', 'PLAIN']),
    (SENDMAIL_8_12_9_EHLO, 'legacy.local. Hello root@localhost, pleased to meet you',
     {'ENHANCEDSTATUSCODES': [], 'PIPELINING': [], '8BITMIME': [], 'SIZE': ['5242880'], 'DSN': [], 'ETRN': [],
      'AUTH': ['DIGEST-MD5', 'CRAM-MD5'], 'STARTTLS': [], 'DELIVERBY': [], 'HELP': []}, ['CRAM-MD5', 'DIGEST-MD5']),
    (SCRUBBED_EHLO, 'HELP', {}, []),
    # servers that also speak to pre-RFC 2554 clients repeat AUTH in the "AUTH=" form
    (['250-mx.example Hello', '250-AUTH LOGIN PLAIN', '250-AUTH=LOGIN PLAIN', '250 8BITMIME'], 'mx.example Hello',
     {'AUTH': ['LOGIN', 'PLAIN'], '8BITMIME': []}, ['LOGIN', 'PLAIN']),
    (['250-mx.example', '250-AUTH=LOGIN', '250 SIZE'], 'mx.example', {'AUTH': ['LOGIN'], 'SIZE': []}, ['LOGIN']),
    # keywords are case-insensitive; parameters keep their case, mechanisms are upper-cased
    (['250-mx.example', '250-auth login cram-md5', '250-starttls', '250 size 1000'], 'mx.example',
     {'AUTH': ['login', 'cram-md5'], 'STARTTLS': [], 'SIZE': ['1000']}, ['CRAM-MD5', 'LOGIN']),
    # a keyword repeated with other parameters: union, in order, without duplicates
    (['250-mx.example', '250-AUTH PLAIN', '250-AUTH PLAIN GSSAPI', '250 OK'], 'mx.example',
     {'AUTH': ['PLAIN', 'GSSAPI'], 'OK': []}, ['GSSAPI', 'PLAIN']),
    # junk that is not an EHLO keyword is skipped, blank lines are ignored
    (['250-mx.example', '250-', '250-!!bogus', '250 X-EXPS GSSAPI'], 'mx.example', {'X-EXPS': ['GSSAPI']}, []),
])
def test_parse_ehlo(lines, greeting, extensions, mechanisms):
    reply = parse_reply(lines)
    assert reply.code == 250
    got_greeting, got_extensions = parse_ehlo(reply)
    assert got_greeting == greeting
    assert got_extensions == extensions
    assert auth_mechanisms(got_extensions) == mechanisms


@pytest.mark.parametrize('lines, code, text, enhanced', [
    # banners from the reference sessions
    (['220 your.host.domain ESMTP Sendmail 8.12.7/8.12.7; Mon, 14 Jan 2002 11:43:02 -0700 '], 220,
     'your.host.domain ESMTP Sendmail 8.12.7/8.12.7; Mon, 14 Jan 2002 11:43:02 -0700 ', None),
    (['220 ESMTP Sendmail; Fri, 12 Dec 2003 16:14:04 -0500 (EST)'], 220, 'ESMTP Sendmail; Fri, 12 Dec 2003 16:14:04 -0500 (EST)', None),
    # the AUTH LOGIN exchange of the mailing-list post: prompts are base64 "Username:" / "Password:"
    (['334 VXNlcm5hbWU6'], 334, 'VXNlcm5hbWU6', None),
    (['235 2.0.0 OK Authenticated'], 235, '2.0.0 OK Authenticated', '2.0.0'),
    (['221 2.0.0 legacy.local. closing connection'], 221, '2.0.0 legacy.local. closing connection', '2.0.0'),
    # what sendmail says to the relay probe
    (['550 5.7.1 <relay-probe@example.com>... Relaying denied'], 550, '5.7.1 <relay-probe@example.com>... Relaying denied', '5.7.1'),
    (['530 5.7.0 Authentication required'], 530, '5.7.0 Authentication required', '5.7.0'),
    # a multi-line banner, and a reply that is only a code (RFC 5321 allows the text to be absent)
    (['220-mx.example ESMTP', '220-no UCE', '220 ready'], 220, 'mx.example ESMTP\nno UCE\nready', None),
    (['250'], 250, '', None),
    (['554 5.3.2 not accepting mail'], 554, '5.3.2 not accepting mail', '5.3.2'),
    (['250 2.1.0sender ok'], 250, '2.1.0sender ok', None),  # no blank after it: not an enhanced status
])
def test_parse_reply(lines, code, text, enhanced):
    reply = parse_reply(lines)
    assert (reply.code, reply.text, reply.enhanced_status) == (code, text, enhanced)
    assert [line.rstrip() for line in reply.raw.split('\n')] == [line.rstrip() for line in lines]


@pytest.mark.parametrize('lines, message', [
    (['SSH-2.0-OpenSSH_9.2p1 Debian-2'], 'not an SMTP reply line'),
    (['HTTP/1.1 400 Bad Request'], 'not an SMTP reply line'),
    (['220-first', '250 second'], 'mixes codes 220 and 250'),
    (['250-one', '250-two'], 'no last line'),
    (['250 one', '250 two'], 'continues after its last line'),
    (['099 too small'], 'not an SMTP reply line'),
    (['2500 four digits'], 'not an SMTP reply line'),
    ([], 'empty reply'),
])
def test_parse_reply_rejects(lines, message):
    with pytest.raises(SMTPProtocolError, match=message):
        parse_reply(lines)


def test_parse_reply_line_strips_line_endings():
    assert parse_reply_line('250-PIPELINING\r\n') == (250, False, 'PIPELINING')
    assert parse_reply_line('250 HELP\n') == (250, True, 'HELP')


def test_reply_summary_is_short_and_counts_lines():
    reply = Reply(554, ['x' * 300, 'second'])
    assert len(reply.summary()) == 160
    assert Reply(554, ['5.3.2 go away', 'more']).summary() == '554 5.3.2 go away (+1 lines)'
    assert Reply(250, ['']).summary() == '250'


@pytest.mark.parametrize('expected, actual, match, message', [
    ([], [], 'exact', None),
    ([], ['LOGIN', 'PLAIN'], 'exact', 'x: expected no AUTH mechanisms, server offered [LOGIN, PLAIN]'),
    ([], ['LOGIN'], 'at_least', 'x: expected no AUTH mechanisms, server offered [LOGIN]'),  # [] always means none
    (['PLAIN', 'LOGIN'], ['LOGIN', 'PLAIN'], 'exact', None),
    (['plain', 'login'], ['LOGIN', 'PLAIN'], 'exact', None),
    (['PLAIN'], ['LOGIN', 'PLAIN'], 'exact', 'x: expected exactly [PLAIN], server offered [LOGIN, PLAIN]'),
    (['PLAIN'], ['LOGIN', 'PLAIN'], 'at_least', None),
    (['CRAM-MD5', 'PLAIN'], ['LOGIN', 'PLAIN'], 'at_least',
     'x: expected at least [CRAM-MD5, PLAIN], server offered [LOGIN, PLAIN] (missing [CRAM-MD5])'),
    (['PLAIN'], [], 'exact', 'x: expected exactly [PLAIN], server offered []'),
])
def test_compare_mechanisms(expected, actual, match, message):
    assert compare_mechanisms('x', expected, actual, match) == message


@pytest.mark.parametrize('minimum, actual, ok', [
    ('TLSv1.2', 'TLSv1.3', True),
    ('TLSv1.2', 'TLSv1.2', True),
    ('TLSv1.3', 'TLSv1.2', False),
    ('TLSv1.2', 'TLSv1.1', False),
    ('TLSv1', 'TLSv1', True),
    ('TLSv1', 'SSLv3', False),
    ('TLSv1.2', None, False),
])
def test_check_min_tls_version(minimum, actual, ok):
    message = check_min_tls_version(minimum, actual)
    assert (message is None) == ok
    if not ok:
        assert minimum in message and (actual or 'no TLS session') in message


def _r(code, text='x'):
    return Reply(code, [text])


@pytest.mark.parametrize('mail, rcpt, verdict', [
    (_r(250), _r(550, '5.7.1 <a@example.com>... Relaying denied'), 'denied'),
    (_r(250), _r(250, '2.1.5 <a@example.com>... Recipient ok'), 'accepted'),
    (_r(250), _r(251, '2.1.5 will forward'), 'accepted'),
    (_r(530, '5.7.0 Authentication required'), None, 'denied'),  # sendmail MSA with M=Ea
    (_r(250), _r(530, '5.7.0 Authentication required'), 'denied'),
    (_r(553, '5.1.8 Domain of sender address does not exist'), None, 'inconclusive'),
    (_r(250), _r(450, '4.7.1 try later'), 'inconclusive'),
    (_r(250), _r(554, '5.7.1 rejected'), 'denied'),
    (_r(250), None, 'inconclusive'),
    (None, None, 'inconclusive'),
])
def test_classify_relay(mail, rcpt, verdict):
    assert classify_relay(mail, rcpt) == verdict


@pytest.mark.parametrize('local, peer, trusted', [
    ('127.0.0.1', '127.0.0.1', True),
    ('127.0.0.2', '127.0.0.1', True),
    ('::1', '::1', True),
    ('::ffff:127.0.0.1', '::ffff:127.0.0.1', True),
    ('::ffff:192.0.2.10', '::ffff:192.0.2.25', False),
    ('not-an-address', 'not-an-address', True),
    ('192.0.2.25', '192.0.2.25', True),      # the relay talking to its own address
    ('192.0.2.10', '192.0.2.25', False),     # a real client
    ('fe80::1%eth0', 'fe80::2%eth0', False),
    (None, '192.0.2.25', False),
])
def test_is_relay_host_address(local, peer, trusted):
    assert is_relay_host_address(local, peer) is trusted
