# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Table-driven tests of the relay probe's pure parts: tricks, verdicts, names and addresses."""

from __future__ import annotations

import pytest

from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp import Reply, host_port, ip_literal, unbracket
from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp_relay import (
    TRICK_IDS,
    TrickContext,
    banner_name,
    check_phases,
    classify_trick,
    default_phases,
    render_tricks,
)

CONTEXT = TrickContext('relay-probe', 'example.com', 'relay.example.org', '[192.0.2.25]', '[192.0.2.1]', '')

# the whole list, spelled out: a change to a trick must be a deliberate change to this table
EXPECTED = [
    ('plain', 'relay-probe@example.com', 'relay-probe@example.com'),
    ('null_sender', '', 'relay-probe@example.com'),
    ('own_domain_sender', 'postmaster@relay.example.org', 'relay-probe@example.com'),
    ('ip_literal_sender', 'relay-probe@[192.0.2.25]', 'relay-probe@example.com'),
    ('localhost_sender', 'relay-probe@localhost', 'relay-probe@example.com'),
    ('percent_hack', '', 'relay-probe%example.com@relay.example.org'),
    ('percent_hack_ip_literal', '', 'relay-probe%example.com@[192.0.2.25]'),
    ('bang_path', '', 'example.com!relay-probe'),
    ('bang_path_at_relay', '', 'example.com!relay-probe@relay.example.org'),
    ('bang_path_via_relay', '', 'relay.example.org!example.com!relay-probe'),
    ('source_route', '', '@relay.example.org:relay-probe@example.com'),
    ('source_route_list', '', '@relay.example.org,@example.com:relay-probe@example.com'),
    ('quoted_at_relay', '', '"relay-probe@example.com"@relay.example.org'),
    ('quoted_percent_at_relay', '', '"relay-probe%example.com"@relay.example.org'),
    ('quoted_bang_at_relay', '', '"example.com!relay-probe"@relay.example.org'),
    ('quoted_alone', '', '"relay-probe@example.com"'),
    ('ip_literal_recipient', '', 'relay-probe@[192.0.2.1]'),
    ('trailing_dot', '', 'relay-probe@example.com.'),
    ('trailing_dot_relay', '', 'relay-probe%example.com@relay.example.org.'),
    ('double_at', '', 'relay-probe@example.com@relay.example.org'),
    ('uppercase', '', 'RELAY-PROBE@EXAMPLE.COM'),
    ('mixed_case_percent', '', 'ReLaY-pRoBe%ExAmPlE.cOm@ReLaY.eXaMpLe.OrG'),
]


def test_render_tricks():
    tricks = render_tricks(CONTEXT)
    assert [(t['id'], t['mail_from'], t['rcpt_to']) for t in tricks] == EXPECTED
    assert all(t['description'] and '\n' not in t['description'] for t in tricks)
    assert tuple(t['id'] for t in tricks) == TRICK_IDS


def test_render_a_selection_keeps_the_table_order():
    assert [t['id'] for t in render_tricks(CONTEXT, ['uppercase', 'plain'])] == ['plain', 'uppercase']


def _r(code):
    return Reply(code, ['x'])


@pytest.mark.parametrize('mail, rcpt, verdict, refused_at', [
    (_r(250), _r(250), 'accepted', None),
    (_r(250), _r(251), 'accepted', None),
    (_r(250), _r(550), 'refused', 'rcpt'),
    (_r(250), _r(553), 'refused', 'rcpt'),          # sendmail: 553 5.1.3 for an unparseable address
    (_r(250), _r(450), 'refused', 'rcpt'),          # temporary, but not relayed
    (_r(250), _r(530), 'refused', 'rcpt'),
    (_r(553), None, 'refused', 'mail'),             # a refused sender: nothing relayed either
    (_r(530), None, 'refused', 'mail'),             # an MSA that wants AUTH first
    (_r(421), None, 'inconclusive', None),          # closing: no answer about relaying
    (_r(250), _r(421), 'inconclusive', None),
    (_r(250), None, 'inconclusive', None),          # the session broke before RCPT was answered
    (None, None, 'inconclusive', None),
    (_r(354), None, 'inconclusive', None),          # out of the ordinary
    (_r(250), _r(354), 'inconclusive', None),
])
def test_classify_trick(mail, rcpt, verdict, refused_at):
    assert classify_trick(mail, rcpt) == (verdict, refused_at)


@pytest.mark.parametrize('address, literal', [
    ('192.0.2.25', '[192.0.2.25]'),
    ('[192.0.2.25]', '[192.0.2.25]'),
    ('2001:db8::25', '[IPv6:2001:db8::25]'),
    ('[IPv6:2001:DB8:0::25]', '[IPv6:2001:db8::25]'),
    ('::1', '[IPv6:::1]'),
    ('::ffff:192.0.2.25', '[192.0.2.25]'),
    ('fe80::1%eth0', '[IPv6:fe80::1]'),
])
def test_ip_literal(address, literal):
    assert ip_literal(address) == literal


@pytest.mark.parametrize('address', ['relay.example.org', '', '[]', '300.1.1.1'])
def test_ip_literal_refuses_names(address):
    with pytest.raises(ValueError):
        ip_literal(address)


@pytest.mark.parametrize('host, unbracketed', [
    ('[::1]', '::1'),
    ('[IPv6:2001:db8::25]', '2001:db8::25'),
    ('[192.0.2.25]', '192.0.2.25'),
    ('relay.example.org', 'relay.example.org'),
    ('::1', '::1'),
])
def test_unbracket(host, unbracketed):
    assert unbracket(host) == unbracketed


@pytest.mark.parametrize('host, port, text', [
    ('127.0.0.1', 25, '127.0.0.1:25'),
    ('relay.example.org', 587, 'relay.example.org:587'),
    ('::1', 25, '[::1]:25'),
    ('2001:db8::25', 465, '[2001:db8::25]:465'),
])
def test_host_port(host, port, text):
    assert host_port(host, port) == text


@pytest.mark.parametrize('lines, name', [
    (['relay.example.org ESMTP Sendmail 8.17.1.9/8.17.1.9; Sat, 22 Nov 2025 04:20:00 GMT'], 'relay.example.org'),
    (['relay.example.org. ESMTP'], 'relay.example.org'),
    (['ESMTP Sendmail; Fri, 12 Dec 2003 16:14:04 -0500 (EST)'], None),  # no name
    (['192.0.2.25 ESMTP'], None),
    (['localhost ESMTP'], None),                                          # not a domain
    ([], None),
])
def test_banner_name(lines, name):
    assert banner_name(Reply(220, lines)) == name


@pytest.mark.parametrize('tls, phases, problem', [
    ('starttls', ['clear', 'tls'], None),
    ('starttls', ['tls'], None),
    ('implicit', ['tls'], None),
    ('implicit', ['clear'], 'impossible with tls=implicit'),
    ('none', ['clear'], None),
    ('none', ['tls'], 'needs tls=starttls or tls=implicit'),
])
def test_check_phases(tls, phases, problem):
    message = check_phases(tls, phases)
    assert (message is None) == (problem is None)
    if problem:
        assert problem in message


def test_default_phases():
    assert default_phases('starttls') == ['clear', 'tls']
    assert default_phases('implicit') == ['tls']
    assert default_phases('none') == ['clear']
