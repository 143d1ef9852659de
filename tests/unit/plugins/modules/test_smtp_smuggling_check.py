# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""smtp_smuggling_check against servers that end DATA at a bare LF, refuse it, or keep it as data."""

from __future__ import annotations

import json

import pytest

from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp import Reply
from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp_smuggling import (
    DEFAULT_VARIANTS,
    VARIANT_IDS,
    classify,
    probe_message,
)
from ansible_collections.mailrelay.sendmail.plugins.modules import smtp_smuggling_check
from ansible_collections.mailrelay.sendmail.tests.unit.smtp_peers import free_port

BANNER = b'220 relay.test ESMTP Sendmail 8.17.1.9/8.17.1.9; Sat, 22 Nov 2025 04:20:00 GMT\r\n'
EHLO = b'250-relay.test Hello client.test [127.0.0.1], pleased to meet you\r\n250-PIPELINING\r\n250 HELP\r\n'


def params(server, **extra):
    full = {name: spec.get('default') for name, spec in smtp_smuggling_check.argument_spec().items()}
    full.update(server.params(tls='none', rcpt_to='postmaster@relay.test'))
    full.update(extra)
    return full


def run(server, **extra):
    return smtp_smuggling_check.run_check(params(server, **extra))


def test_vulnerable_server(rule_server):
    server = rule_server(data_mode='bare_lf')  # sendmail before 8.18.1 and its fix
    result, failure = run(server)
    assert result['vulnerable'] is True
    assert result['vulnerable_variants'] == list(DEFAULT_VARIANTS)
    for entry in result['variants']:
        assert entry['verdict'] == 'vulnerable'
        assert [reply['code'] for reply in entry['replies']] == [250, 250, 250, 354, 250, 221]
        assert entry['smuggled_mail'] == {'code': 250, 'enhanced_status': '2.1.0',
                                          'text': '2.1.0 <probe@relay.test>... Sender ok'}
    # two messages per variant reached the server: the probe and the smuggled one
    assert len(server.messages) == 6 and result['messages_accepted'] == 6
    assert sum(1 for body in server.messages if b'Subject: smuggled (' in body) == 3
    assert result['error_kind'] == 'expectation' and '8.18.1' in result['hint']
    assert failure.startswith('3 smuggling checks failed: smuggling lf_dot_crlf (<LF>.<CR><LF>): vulnerable - the '
                              'server ended DATA there and answered the hidden MAIL FROM with 250 2.1.0 ')


def test_patched_server_answers_421_bare_linefeed(rule_server):
    server = rule_server(data_mode='reject_bare_lf')  # sendmail 8.18, Debian's CVE-2023-51765 backport
    result, failure = run(server)
    assert failure is None, failure
    assert result['vulnerable'] is False and result['vulnerable_variants'] == []
    for entry in result['variants']:
        assert entry['verdict'] == 'rejected' and entry['error'] is None
        assert entry['replies'] == [{'code': 421, 'enhanced_status': '4.5.0',
                                     'text': '4.5.0 Bare linefeed (LF) not allowed'}]
    assert server.messages == [] and result['messages_accepted'] == 0


def test_strict_server_keeps_the_sequence_as_data(rule_server):
    server = rule_server(data_mode='strict')
    result, failure = run(server)
    assert failure is None, failure
    assert result['vulnerable'] is False
    assert [entry['verdict'] for entry in result['variants']] == ['data'] * 3
    assert [[reply['code'] for reply in entry['replies']] for entry in result['variants']] == [[250, 221]] * 3
    # one message per variant, with the hidden transaction inside it as text
    assert len(server.messages) == 3 and result['messages_accepted'] == 3
    # the default sender is in the recipient's (the relay's own) domain, not the probing host's name
    assert all(b'MAIL FROM:<probe@relay.test>' in body for body in server.messages)


def test_default_sender_without_a_recipient_domain_is_the_ehlo_name(rule_server):
    server = rule_server(data_mode='strict')
    run(server, rcpt_to='postmaster', ehlo_name='client.test')
    assert 'MAIL FROM:<probe@client.test>' in server.lines(1)


def test_bare_cr_variants_against_a_server_that_ends_lines_at_lf(rule_server):
    server = rule_server(data_mode='bare_lf')
    result, failure = run(server, variants=['cr_dot_cr', 'cr_dot_crlf', 'crlf_dot_cr'])
    assert failure is None, failure
    assert [entry['verdict'] for entry in result['variants']] == ['data'] * 3


def test_variants_run_in_table_order_once(rule_server):
    server = rule_server()
    result, _failure = run(server, variants=['crlf_dot_lf', 'lf_dot_crlf', 'crlf_dot_lf'])
    assert [entry['id'] for entry in result['variants']] == ['lf_dot_crlf', 'crlf_dot_lf']
    assert server.sessions == 2


def test_recipient_refused_is_inconclusive_with_a_hint(rule_server):
    server = rule_server()
    result, failure = run(server, rcpt_to='someone@example.com', variants=['lf_dot_crlf'])
    entry = result['variants'][0]
    assert entry['verdict'] == 'inconclusive' and entry['rcpt']['code'] == 550 and entry['data'] is None
    assert entry['error'] == ('RCPT TO was answered 550 5.7.1 <someone@example.com>... Relaying denied, so the message '
                              'could not be sent')
    assert result['vulnerable'] is None
    assert result['error_kind'] == 'expectation' and 'rcpt_to must be a recipient it delivers locally' in result['hint']
    assert failure.startswith('1 smuggling check failed: smuggling lf_dot_crlf (<LF>.<CR><LF>) inconclusive: ')
    assert 'DATA' not in [line.upper() for line in server.lines()]


def _until_data():
    return [('send', BANNER), ('expect', b'EHLO'), ('send', EHLO), ('expect', b'MAIL FROM:<probe@relay.test>'),
            ('send', b'250 2.1.0 ok\r\n'), ('expect', b'RCPT TO:<postmaster@relay.test>'), ('send', b'250 2.1.5 ok\r\n'),
            ('expect', b'DATA'), ('send', b'354 go ahead\r\n')]


def test_server_that_hangs_up_in_the_middle_of_the_message(scripted_server):
    peer = scripted_server(_until_data() + [('silence', 0.3)])
    result, failure = run(peer, variants=['lf_dot_crlf'])
    assert failure is None, failure
    entry = result['variants'][0]
    assert entry['verdict'] == 'rejected' and entry['replies'] == []
    assert entry['note'] == ('the server closed the connection during the message without a reply: server at '
                             '127.0.0.1:%d closed the connection during end of data' % peer.port)


def test_server_that_goes_silent_after_the_message(scripted_server):
    peer = scripted_server(_until_data() + [('silence', 2)])
    result, failure = run(peer, variants=['lf_dot_crlf'], timeout=0.4)
    entry = result['variants'][0]
    assert entry['verdict'] == 'inconclusive' and entry['error_kind'] == 'timeout'
    assert result['error_kind'] == 'timeout' and 'did not answer within 0.4s' in result['hint']
    assert 'inconclusive: timed out after 0.4s' in failure


def test_starttls(rule_server, tls_material):
    server = rule_server(data_mode='reject_bare_lf', tls_context=tls_material.server_context())
    result, failure = run(server, tls='starttls', ca_file=tls_material.ca_file, variants=['lf_dot_crlf'])
    assert failure is None, failure
    assert 'C: STARTTLS' in result['transcript']
    assert server.lines(1)[:2] == ['EHLO client.test', 'STARTTLS']


def test_connection_refused_stops_at_the_first_variant(run_module):
    port = free_port()
    rc, result, _out = run_module(smtp_smuggling_check, {'port': port, 'timeout': 1.0, 'tls': 'none',
                                                         'rcpt_to': 'postmaster@relay.test'})
    assert rc == 1 and result['msg'] == 'variant lf_dot_crlf: cannot connect to 127.0.0.1:%d: Connection refused' % port
    assert result['error_kind'] == 'connection_refused' and len(result['variants']) == 1
    assert result['vulnerable'] is None


def test_module_main_check_mode_and_required_recipient(rule_server, run_module):
    server = rule_server(data_mode='reject_bare_lf')
    rc, result, _out = run_module(smtp_smuggling_check, server.params(tls='none', rcpt_to='postmaster@relay.test'),
                                  check_mode=True)
    assert rc == 0 and result['changed'] is False and result['vulnerable'] is False
    rc, result, _out = run_module(smtp_smuggling_check, server.params(tls='none'))
    assert rc == 1 and 'missing required arguments: rcpt_to' in result['msg']


def _replies(*codes):
    return [Reply(code, ['x']) for code in codes]


@pytest.mark.parametrize('codes, verdict, smuggled', [
    ((250, 250, 250, 354, 250, 221), 'vulnerable', 250),
    ((250, 553, 503, 500, 500, 221), 'vulnerable', 553),   # it read the hidden MAIL as a command: still smuggling
    ((421,), 'rejected', None),
    ((554, 221), 'rejected', None),
    ((250, 221), 'data', None),
    ((250,), 'inconclusive', None),                        # no QUIT answer: cannot tell
    ((), 'inconclusive', None),
    ((221,), 'inconclusive', None),
])
def test_classify(codes, verdict, smuggled):
    got, reply = classify(_replies(*codes))
    assert got == verdict
    assert (reply.code if reply else None) == smuggled


@pytest.mark.parametrize('variant', VARIANT_IDS)
def test_probe_message_hides_one_transaction_and_ends_once(variant):
    sequence = dict((v, s) for v, s, _d in smtp_smuggling_check.VARIANTS)[variant]
    message = probe_message(variant, sequence, 'probe@client.test', 'postmaster@relay.test')
    assert message.endswith(b'\r\n.\r\nQUIT\r\n')
    assert message.count(b'\r\n.\r\n') == 1                # the only proper end of data
    assert message.count(sequence.encode()) >= 1
    assert message.count(b'MAIL FROM:<probe@client.test>\r\nRCPT TO:<postmaster@relay.test>\r\nDATA\r\n') == 1
    json.dumps(message.decode())
