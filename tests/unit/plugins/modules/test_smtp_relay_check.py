# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""smtp_relay_check against rule-driven servers: the tricks, the phases, servers that hang up."""

from __future__ import annotations

import json

import pytest

from ansible_collections.mailrelay.sendmail.plugins.module_utils._smtp_relay import TRICK_IDS, TrickContext, render_tricks
from ansible_collections.mailrelay.sendmail.plugins.modules import smtp_relay_check
from ansible_collections.mailrelay.sendmail.tests.unit.smtp_peers import RuleServer, free_port, has_ipv6_loopback

# what the tricks look like against the rule server (banner name relay.test, address 127.0.0.1)
PAIRS = {trick['id']: (trick['mail_from'], trick['rcpt_to']) for trick in render_tricks(
    TrickContext('relay-probe', 'example.com', 'relay.test', '[127.0.0.1]', '[192.0.2.1]', ''))}


def params(server, **extra):
    """The defaults AnsibleModule would fill in, and the server's address."""
    full = {name: spec.get('default') for name, spec in smtp_relay_check.argument_spec().items()}
    full.update(server.params(tls='none'))
    full.update(extra)
    return full


def run(server, **extra):
    runner = smtp_relay_check.RelayCheck(params(server, **extra))
    result, failure = runner.run()
    return result, failure, runner.warnings


def relays_only(pair):
    """A server that refuses every outside recipient but the one of `pair` (sender, recipient)."""
    def rcpt(sender, recipient):
        if (sender, recipient) == pair:
            return '250 2.1.5 <%s>... Recipient ok' % recipient
        return RuleServer.default_rcpt(sender, recipient)
    return rcpt


def test_the_trick_list_is_complete():
    assert len(TRICK_IDS) == len(set(TRICK_IDS)) == 22
    # every trick is a different MAIL FROM / RCPT TO pair: a server relaying one is caught by one
    assert len(set(PAIRS.values())) == len(PAIRS)
    assert smtp_relay_check.argument_spec()['tricks']['choices'] == list(TRICK_IDS)


@pytest.mark.parametrize('trick', TRICK_IDS)
def test_a_relay_open_to_one_trick_is_caught_and_named(rule_server, tls_material, trick):
    server = rule_server(rcpt=relays_only(PAIRS[trick]), tls_context=tls_material.server_context())
    result, failure, _warnings = run(server, tls='starttls', ca_file=tls_material.ca_file)
    assert result['accepted'] == [trick]
    assert result['phases']['clear']['accepted'] == [trick] and result['phases']['tls']['accepted'] == [trick]
    assert result['counts'] == {'probes': 44, 'accepted': 2, 'refused': 42, 'inconclusive': 0}
    assert result['error_kind'] == 'expectation' and 'access map' in result['hint']
    mail_from, rcpt_to = PAIRS[trick]
    assert failure == ('2 relay checks failed: relay trick {0} (clear): RCPT TO:<{2}> from <{1}> accepted: 250 2.1.5 '
                       '<{2}>... Recipient ok; relay trick {0} (tls): RCPT TO:<{2}> from <{1}> accepted: 250 2.1.5 '
                       '<{2}>... Recipient ok').format(trick, mail_from, rcpt_to)
    # one session per phase, the second one inside TLS verified against our CA
    assert [result['phases'][phase]['sessions'] for phase in ('clear', 'tls')] == [1, 1]
    assert result['tls']['established'] is True and result['tls']['verified'] is True
    assert server.sessions == 2


def test_a_closed_relay_refuses_everything_and_nothing_is_sent(rule_server, tls_material):
    server = rule_server(tls_context=tls_material.server_context())
    result, failure, warnings = run(server, tls='starttls', ca_file=tls_material.ca_file)
    assert failure is None, failure
    assert result['accepted'] == [] and result['inconclusive'] == []
    # from 127.0.0.1 the verdict says nothing about outside clients, and the module says so
    assert result['client_is_relay_host'] is True and len(warnings) == 1
    assert warnings[0].startswith('the relay probe ran from 127.0.0.1 to 127.0.0.1, an address the relay host')
    assert result['counts'] == {'probes': 44, 'accepted': 0, 'refused': 44, 'inconclusive': 0}
    assert result['error_kind'] is None and result['hint'] is None and result['expectation_failures'] == []
    commands = [line.split(' ')[0].upper() for line in server.lines()]
    assert 'DATA' not in commands and not any(line.upper().startswith('AUTH') for line in server.lines())
    assert commands.count('RSET') == 44 and commands.count('STARTTLS') == 1
    # the clear phase ran before STARTTLS, the TLS phase after it, in a new session
    assert [line for line in server.lines(1) if line.upper() == 'STARTTLS'] == []
    assert server.lines(2)[1] == 'STARTTLS'
    clear = result['phases']['clear']['tricks']
    assert [entry['id'] for entry in clear] == list(TRICK_IDS)
    entry = clear[TRICK_IDS.index('percent_hack')]
    assert entry == {'id': 'percent_hack', 'kind': 'trick', 'description': entry['description'], 'mail_from': '',
                     'rcpt_to': 'relay-probe%example.com@relay.test',
                     'mail': {'code': 250, 'enhanced_status': '2.1.0', 'text': '2.1.0 <>... Sender ok'},
                     'rcpt': {'code': 550, 'enhanced_status': '5.7.1',
                              'text': '5.7.1 <relay-probe%example.com@relay.test>... Relaying denied'},
                     'verdict': 'refused', 'refused_at': 'rcpt', 'error': None}
    assert result['relay_name'] == 'relay.test' and result['relay_address'] == '127.0.0.1'
    json.dumps(result)


def test_refused_sender_counts_as_refused_at_mail(rule_server):
    server = rule_server(mail=lambda sender: ('553 5.1.8 <%s>... Domain of sender address does not exist' % sender
                                              if sender.endswith('example.com') else '250 2.1.0 ok'))
    result, failure, _warnings = run(server, tricks=['plain', 'null_sender'])
    assert failure is None
    plain, null = result['phases']['clear']['tricks']
    assert (plain['verdict'], plain['refused_at'], plain['rcpt']) == ('refused', 'mail', None)
    assert (null['verdict'], null['refused_at']) == ('refused', 'rcpt')


def test_server_that_hangs_up_midway_is_reconnected_transparently(rule_server):
    rcpts = []

    def hang_up(session, line):
        if line.upper().startswith('RCPT'):
            rcpts.append(session)
        return session == 1 and len(rcpts) == 5  # session 1 drops at its fifth RCPT

    server = rule_server(hang_up=hang_up)
    result, failure, _warnings = run(server)
    assert failure is None, failure
    phase = result['phases']['clear']
    assert (phase['sessions'], phase['reconnects']) == (2, 1)
    fifth = TRICK_IDS[4]
    assert phase['notes'] == ['the session broke during trick %s (server at 127.0.0.1:%d closed the connection during '
                              'rcpt); trying it again in a new session' % (fifth, server.port)]
    assert all(entry['verdict'] == 'refused' and entry['error'] is None for entry in phase['tricks'])
    assert '-- ' + phase['notes'][0] in result['transcript']


def test_421_too_many_recipients_is_retried_in_a_new_session(rule_server):
    count = []

    def rcpt(sender, recipient):
        count.append(recipient)
        if len(count) == 8:
            return '421 4.7.0 relay.test Too many bad recipients; closing connection'
        return RuleServer.default_rcpt(sender, recipient)

    server = rule_server(rcpt=rcpt)
    result, failure, _warnings = run(server)
    assert failure is None, failure
    phase = result['phases']['clear']
    assert phase['reconnects'] == 1 and 'Too many bad recipients' in phase['notes'][0]
    eighth = phase['tricks'][7]
    assert eighth['verdict'] == 'refused' and eighth['rcpt']['code'] == 550  # the retry's answer


def test_server_that_always_drops_one_trick_makes_it_inconclusive(rule_server):
    server = rule_server(hang_up=lambda session, line: line == 'RCPT TO:<example.com!relay-probe>')
    result, failure, _warnings = run(server)
    assert result['inconclusive'] == ['bang_path'] and result['accepted'] == []
    phase = result['phases']['clear']
    assert (phase['sessions'], phase['reconnects']) == (3, 2)  # tried twice, then the rest in a third session
    entry = phase['tricks'][TRICK_IDS.index('bang_path')]
    assert entry['verdict'] == 'inconclusive' and entry['mail']['code'] == 250 and entry['rcpt'] is None
    assert entry['error'] == 'server at 127.0.0.1:%d closed the connection during rcpt' % server.port
    assert result['counts'] == {'probes': 22, 'accepted': 0, 'refused': 21, 'inconclusive': 1}
    assert failure == ('1 relay check failed: relay trick bang_path (clear) inconclusive: server at 127.0.0.1:%d '
                       'closed the connection during rcpt' % server.port)
    assert result['error_kind'] == 'expectation' and 'no clear answer' in result['hint']


@pytest.mark.parametrize('reply, verdict', [
    ('this is not SMTP', 'inconclusive'),                     # garbage: the session breaks, the trick is retried
    ('550-5.7.1 first line\r\n550 5.7.1 Relaying denied', 'refused'),  # multi-line refusal
    ('550', 'refused'),                                       # a code without text
    ('252 2.1.5 Cannot VRFY user, but will accept', 'accepted'),  # any 2xx is acceptance
    ('354 what?', 'inconclusive'),                            # out of the ordinary
    ('451 4.3.0 Temporary failure', 'refused'),               # 4xx: not relayed now
])
def test_odd_replies_never_crash(rule_server, reply, verdict):
    server = rule_server(rcpt=lambda sender, recipient: reply if '%' in recipient else
                         RuleServer.default_rcpt(sender, recipient))
    result, failure, _warnings = run(server, tricks=['percent_hack', 'bang_path'])
    percent, bang = result['phases']['clear']['tricks']
    assert percent['verdict'] == verdict
    assert bang['verdict'] == 'refused'
    assert (failure is None) == (verdict == 'refused')
    json.dumps(result)


@pytest.mark.skipif(not has_ipv6_loopback(), reason='this machine cannot listen on and connect to ::1')
def test_ipv6_loopback(rule_server):
    server = rule_server(host='::1')
    result, failure, warnings = run(server, host='::1', tricks=['percent_hack_ip_literal', 'ip_literal_sender'])
    assert failure is None, failure
    assert result['relay_address'] == '::1' and result['server_address'] == '::1'
    sender, percent = result['phases']['clear']['tricks']
    assert percent['rcpt_to'] == 'relay-probe%example.com@[IPv6:::1]'
    assert sender['mail_from'] == 'relay-probe@[IPv6:::1]'
    assert 'C: RCPT TO:<relay-probe%example.com@[IPv6:::1]>' in result['transcript']
    assert '-- connected to [::1]:%d from ::1' % server.port in result['transcript']
    assert result['client_is_relay_host'] is True and 'relay probe ran from ::1' in warnings[0]
    # the address as a literal works too
    for host in ('[::1]', '[IPv6:::1]'):
        result, failure, _warnings = run(server, host=host, tricks=['plain'])
        assert failure is None and result['server_address'] == '::1', (host, failure)


def test_implicit_tls_runs_only_the_tls_phase(rule_server, tls_material):
    server = rule_server(implicit_tls_context=tls_material.server_context())
    result, failure, _warnings = run(server, tls='implicit', ca_file=tls_material.ca_file, tricks=['plain'])
    assert failure is None, failure
    assert list(result['phases']) == ['tls'] and result['tls']['established'] is True


def test_starttls_missing_fails_the_tls_phase_after_the_clear_one(rule_server):
    server = rule_server()  # no STARTTLS
    result, failure, _warnings = run(server, tls='starttls', tricks=['plain', 'percent_hack'])
    assert failure == 'tls phase: server at 127.0.0.1:%d does not offer STARTTLS in its EHLO reply' % server.port
    assert result['phases']['clear']['refused'] == ['plain', 'percent_hack']
    tls = result['phases']['tls']
    assert tls['error_kind'] == 'tls_handshake' and tls['sessions'] == 0
    assert [entry['verdict'] for entry in tls['tricks']] == ['inconclusive', 'inconclusive']
    assert tls['tricks'][0]['error'].startswith('not tried: ')
    assert result['error_kind'] == 'tls_handshake' and 'STARTTLS' in result['hint']


def test_names_for_the_tricks(rule_server):
    server = rule_server()
    result, _failure, _warnings = run(server, relay_name='mx.example.org', relay_address='192.0.2.25',
                                      outside_domain='example.net', outside_user='u', outside_address='198.51.100.7',
                                      mail_from='probe@example.org')
    tricks = {entry['id']: entry for entry in result['phases']['clear']['tricks']}
    assert tricks['percent_hack']['rcpt_to'] == 'u%example.net@mx.example.org'
    assert tricks['percent_hack']['mail_from'] == 'probe@example.org'
    assert tricks['percent_hack_ip_literal']['rcpt_to'] == 'u%example.net@[192.0.2.25]'
    assert tricks['ip_literal_recipient']['rcpt_to'] == 'u@[198.51.100.7]'
    assert tricks['own_domain_sender']['mail_from'] == 'postmaster@mx.example.org'
    assert tricks['mixed_case_percent']['rcpt_to'] == 'U%eXaMpLe.NeT@mX.eXaMpLe.OrG'
    assert tricks['trailing_dot_relay']['rcpt_to'] == 'u%example.net@mx.example.org.'
    assert result['relay_name'] == 'mx.example.org' and result['relay_address'] == '192.0.2.25'


def test_tls_server_name_is_the_default_relay_name(rule_server):
    server = rule_server(name='banner.test')
    result, _failure, _warnings = run(server, tls_server_name='relay.example.org', tricks=['percent_hack'])
    assert result['relay_name'] == 'relay.example.org'
    result, _failure, _warnings = run(server, tricks=['percent_hack'])
    assert result['relay_name'] == 'banner.test'  # the host is an address: the banner names the relay


def test_report_only(rule_server):
    server = rule_server(rcpt=lambda sender, recipient: '250 2.1.5 ok')
    result, failure, _warnings = run(server, expect_denied=False)
    assert failure is None and result['counts']['accepted'] == 22 and result['error_kind'] is None


def test_connection_refused(run_module):
    port = free_port()
    rc, result, _out = run_module(smtp_relay_check, {'port': port, 'timeout': 1.0, 'tls': 'none'})
    assert rc == 1 and result['msg'] == 'cannot connect to 127.0.0.1:%d: Connection refused' % port
    assert result['error_kind'] == 'connection_refused' and result['phases'] == {}
    assert result['client_address'] is None


@pytest.mark.parametrize('args, message', [
    ({'tls': 'none', 'phases': ['tls']}, 'phases: "tls" needs tls=starttls or tls=implicit'),
    ({'tls': 'implicit', 'phases': ['clear', 'tls']}, 'phases: "clear" is impossible with tls=implicit'),
    ({'outside_address': 'example.com'}, "outside_address: 'example.com' is not an IP address"),
    ({'relay_address': 'relay.example.org'}, "relay_address: 'relay.example.org' is not an IP address"),
    ({'tricks': ['percent']}, 'value of tricks must be one or more of'),
    ({'destinations': [{'id': 'plain', 'rcpt_to': 'a@example.net'}]}, "destinations[0]: id 'plain' must be set, unique"),
    ({'destinations': [{'id': 'x', 'rcpt_to': 'a@example.net'}, {'id': 'x', 'rcpt_to': 'b@example.net'}]},
     "destinations[1]: id 'x' must be set, unique"),
    ({'destinations': [{'id': 'x', 'rcpt_to': 'example.net'}]}, "destinations[0]: rcpt_to 'example.net' is not an address"),
    ({'destinations': [{'id': 'x', 'rcpt_to': 'a b@example.net'}]}, "rcpt_to 'a b@example.net' is not an address"),
    ({'destinations': [{'id': 'x'}]}, 'missing required arguments: rcpt_to'),
])
def test_argument_problems(run_module, args, message):
    rc, result, _out = run_module(smtp_relay_check, dict(args, port=1, timeout=0.5))
    assert rc == 1 and message in result['msg']


def test_module_main_in_check_mode(rule_server, run_module):
    server = rule_server()
    rc, result, _out = run_module(smtp_relay_check, server.params(tls='none', source_address='127.0.0.2'),
                                  check_mode=True)
    assert rc == 0, result.get('msg')
    assert result['changed'] is False and result['counts']['refused'] == 22
    assert result['client_address'] == '127.0.0.2' and result['client_is_relay_host'] is True


DESTINATIONS = [
    {'id': 'outside_net', 'rcpt_to': 'relay-probe@example.net', 'description': 'an outside recipient under .net'},
    {'id': 'parent_domain_1', 'rcpt_to': 'relay-probe@example.org'},
    {'id': 'ip_literal_1', 'rcpt_to': 'relay-probe@[198.51.100.1]'},
]


@pytest.mark.parametrize('destination', [entry['id'] for entry in DESTINATIONS])
def test_a_relay_open_to_one_destination_is_caught_in_both_phases(rule_server, tls_material, destination):
    rcpt_to = next(entry['rcpt_to'] for entry in DESTINATIONS if entry['id'] == destination)
    server = rule_server(rcpt=relays_only(('', rcpt_to)), tls_context=tls_material.server_context())
    result, failure, _warnings = run(server, tls='starttls', ca_file=tls_material.ca_file, destinations=DESTINATIONS)
    assert result['accepted'] == [destination]
    assert result['destinations'] == ['outside_net', 'parent_domain_1', 'ip_literal_1']
    assert result['counts'] == {'probes': 50, 'accepted': 2, 'refused': 48, 'inconclusive': 0}
    assert failure.startswith('2 relay checks failed: relay destination %s (clear): RCPT TO:<%s> from <> accepted'
                              % (destination, rcpt_to))
    # the destinations share the sessions of the tricks: one per phase, RSET between them, never DATA
    assert server.sessions == 2
    commands = [line.split(' ')[0].upper() for line in server.lines()]
    assert commands.count('RSET') == 50 and 'DATA' not in commands


def test_destinations_follow_the_tricks_with_their_kind_and_description(rule_server):
    server = rule_server()
    result, failure, _warnings = run(server, destinations=DESTINATIONS, tricks=['plain'])
    assert failure is None, failure
    tried = result['phases']['clear']['tricks']
    assert [(entry['id'], entry['kind'], entry['mail_from'], entry['rcpt_to']) for entry in tried] == [
        ('plain', 'trick', 'relay-probe@example.com', 'relay-probe@example.com'),
        ('outside_net', 'destination', '', 'relay-probe@example.net'),
        ('parent_domain_1', 'destination', '', 'relay-probe@example.org'),
        ('ip_literal_1', 'destination', '', 'relay-probe@[198.51.100.1]')]
    assert tried[1]['description'] == 'an outside recipient under .net'
    assert tried[2]['description'] == 'an outside recipient relay-probe@example.org'
    assert result['counts'] == {'probes': 4, 'accepted': 0, 'refused': 4, 'inconclusive': 0}
