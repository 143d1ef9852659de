# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Table-driven tests of listener_report(): every way a probe can fail gives a check, never a crash."""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.mailrelay.sendmail.plugins.module_utils._verify_report import CHECKS, listener_report

WHERE = 'MTA:25 [192.0.2.25]'


def tls(**changes):
    info = {'established': True, 'version': 'TLSv1.3', 'cipher': 'TLS_AES_256_GCM_SHA384', 'bits': 256,
            'server_name': 'relay.example.org', 'verified': True, 'verify_error': None, 'handshake_error': None,
            'subject': {'CN': 'relay.example.org'}, 'issuer': {'CN': 'Mailrelay CA'}, 'sans': ['DNS:relay.example.org'],
            'serial_number': 1, 'not_before': '20250101000000Z', 'not_after': '20260101000000Z', 'days_left': 364,
            'fingerprint_sha256': 'AA'}
    info.update(changes)
    return info


def reply(code, text):
    return {'code': code, 'enhanced_status': text.split()[0] if text[:1].isdigit() else None, 'text': text}


def trick(trick_id, verdict='refused', rcpt_to='relay-probe%example.com@relay.example.org', error=None, kind=None):
    entry = {'kind': kind} if kind else {}  # results from before destinations carry no kind
    return dict(entry, **{'id': trick_id, 'description': 'd', 'mail_from': '', 'rcpt_to': rcpt_to,
                          'mail': reply(250, '2.1.0 <>... Sender ok'),
                          'rcpt': reply(250 if verdict == 'accepted' else 550, '5.7.1 Relaying denied'),
                          'verdict': verdict, 'refused_at': 'rcpt' if verdict == 'refused' else None, 'error': error})


def destination(destination_id, verdict='refused', rcpt_to='relay-probe@example.net', error=None):
    return trick(destination_id, verdict, rcpt_to, error, kind='destination')


DATA_ACCEPTED = {'mail_from': '', 'rcpt_to': 'mailrelay-probe@relay.example.org', 'mechanism': 'LOGIN', 'size': 398,
                 'mail': reply(250, '2.1.0 <>... Sender ok'), 'rcpt': reply(250, '2.1.5 Recipient ok'),
                 'data': reply(354, 'Enter mail'), 'end': reply(250, '2.0.0 Message accepted for delivery'),
                 'verdict': 'accepted', 'refused_at': None, 'error': None}


def good():
    """What the probes return for a healthy STARTTLS listener on port 25, with credentials (failed_when: false)."""
    return {
        'listener': {'name': 'MTA', 'port': 25, 'tls': 'starttls', 'auth_before_tls': [],
                     'auth_after_tls': ['LOGIN', 'PLAIN'], 'address': '192.0.2.25'},
        'ehlo': {'changed': False, 'failed': False, 'failed_when_result': False, 'banner_code': 220,
                 'banner': '220 relay.example.org ESMTP Sendmail', 'ehlo_greeting': 'relay.example.org Hello',
                 'starttls_offered': True, 'auth_before_tls': [], 'auth_after_tls': ['LOGIN', 'PLAIN'], 'tls': tls(),
                 'expectation_failures': [], 'error_kind': None, 'hint': None},
        'tls11': {'changed': False, 'failed': False,
                  'tls': tls(established=False, version=None, handshake_error='TLSV1_ALERT_PROTOCOL_VERSION'),
                  'error_kind': None, 'hint': None},
        'auth': {'changed': False, 'failed': False, 'auth': {'LOGIN': {'advertised': True, 'success': True, 'code': 235,
                                                                       'enhanced_status': '2.0.0', 'text': 'ok',
                                                                       'error': None}},
                 'auth_offered': ['LOGIN', 'PLAIN'], 'auth_withheld': None, 'auth_succeeded': ['LOGIN'],
                 'auth_failed': [], 'tls': tls(), 'error_kind': None, 'hint': None,
                 'relay': {'client_address': '192.0.2.10', 'server_address': '192.0.2.25',
                           'client_is_relay_host': False,
                           'without_auth': {'mail': reply(250, '2.1.0 ok'), 'rcpt': reply(550, '5.7.1 Relaying denied'),
                                            'verdict': 'denied', 'error': None},
                           'with_auth': {'mail': reply(250, '2.1.0 ok'), 'rcpt': reply(250, '2.1.5 ok'),
                                         'verdict': 'accepted', 'error': None, 'mechanism': 'LOGIN'},
                           'denied_without_auth': True, 'allowed_with_auth': True},
                 'data': dict(DATA_ACCEPTED)},
        'relay': {'changed': False, 'failed': False, 'client_address': '192.0.2.10', 'server_address': '192.0.2.25',
                  'client_is_relay_host': False, 'accepted': [], 'inconclusive': [],
                  'counts': {'probes': 6, 'accepted': 0, 'refused': 6, 'inconclusive': 0},
                  'phases': {'clear': {'tricks': [trick('plain'), trick('percent_hack', kind='trick'),
                                                  destination('outside_net')], 'error': None},
                             'tls': {'tricks': [trick('plain'), trick('percent_hack', kind='trick'),
                                                destination('outside_net')], 'error': None}},
                  'error_kind': None, 'hint': None},
        'smuggling': {'changed': False, 'failed': False, 'vulnerable': False, 'vulnerable_variants': [],
                      'variants': [{'id': 'lf_dot_crlf', 'verdict': 'rejected'}], 'error_kind': None, 'hint': None},
        'options': {'credentials_given': True, 'allow_plaintext_auth': False, 'require_certificates': True,
                    'ca_file_given': True, 'data_check': True, 'relay_destinations': ['relay-probe@example.net']},
    }


def failed(kind, msg, hint='do this', **extra):
    """A probe result as registered with failed_when: false."""
    result = {'changed': False, 'failed': False, 'failed_when_result': False, 'msg': msg, 'error_kind': kind,
              'hint': hint}
    result.update(extra)
    return result


def statuses(report):
    return {check['name']: check['status'] for check in report['checks']}


def test_a_healthy_listener():
    report = listener_report(good())
    assert report['ok'] is True and report['failures'] == []
    assert statuses(report) == {name: 'passed' for name in (
        'ehlo', 'starttls', 'tls_version', 'certificate', 'tls11_refused', 'auth_before_tls', 'auth_after_tls', 'auth',
        'relay_without_auth', 'relay_with_auth', 'data', 'relay_tricks', 'relay_destinations', 'smuggling')}
    assert [check['name'] for check in report['checks']] == [name for name in CHECKS if name != 'probe_host']
    assert report['line'] == (
        '  MTA:25 [192.0.2.25] (starttls): STARTTLS offered, AUTH before TLS [], after TLS [LOGIN PLAIN], '
        'TLSv1.3 verified, certificate 364 days left, TLS 1.1 refused, AUTH LOGIN ok, relay without AUTH denied (550), '
        'with AUTH accepted (250), DATA 250, relay tricks: 4/4 refused, outside destinations: 2/2 refused, '
        'smuggling: not vulnerable')
    details = {check['name']: check['detail'] for check in report['checks']}
    assert details['data'] == ('a 398-byte message to <mailrelay-probe@relay.example.org> accepted after the end of '
                               'data: 250 2.0.0 Message accepted for delivery')
    assert details['relay_destinations'] == '2/2 refused (relay-probe@example.net)'
    assert all(check['ok'] is True and check['detail'] for check in report['checks'])
    json.dumps(report)


def _set(path, value):
    """A change to good(): path is 'probe.key.key'; value None deletes the probe."""
    def change(data):
        keys = path.split('.')
        target = data
        for key in keys[:-1]:
            target = target[key]
        if value is _DELETE:
            target.pop(keys[-1], None)
        else:
            target[keys[-1]] = value
    return change


_DELETE = object()


# (case, changes, {check: status}, words the failure of the first named failed check must contain)
CASES = [
    ('ehlo only failed and msg', [_set('ehlo', {'failed': True, 'msg': 'boom'})],
     {'ehlo': 'failed'}, ['ehlo: boom (module_error)', 'the probe module itself failed']),
    ('ehlo skipped', [_set('ehlo', {'skipped': True, 'changed': False, 'skip_reason': 'Conditional result was False'})],
     {'ehlo': 'failed'}, ['the EHLO probe was skipped: Conditional result was False']),
    ('ehlo missing', [_set('ehlo', _DELETE)], {'ehlo': 'failed'}, ['the EHLO probe did not run']),
    ('ehlo refused', [_set('ehlo', failed('connection_refused', 'cannot connect to 192.0.2.25:25: Connection refused',
                                          'check that sendmail runs'))],
     {'ehlo': 'failed'}, ['Connection refused (connection_refused) - check that sendmail runs']),
    ('ehlo timeout', [_set('ehlo', failed('timeout', 'timed out after 10s waiting for the server', 'firewall?'))],
     {'ehlo': 'failed'}, ['(timeout) - firewall?']),
    ('ehlo unreachable probe host', [_set('ehlo', {'unreachable': True, 'msg': 'ssh: connect to host client port 22'})],
     {'ehlo': 'failed'}, ['the probe host could not be reached: ssh', 'reachable over SSH']),
    ('ehlo crashed', [_set('ehlo', {'failed': False, 'module_stderr': 'Traceback (most recent call last):\n...',
                                    'exception': 'x', 'rc': 1})],
     {'ehlo': 'failed'}, ['Traceback (most recent call last): (module_error)']),
    ('no Python on the probe host', [_set('ehlo', {'failed': False, 'msg': 'Module result deserialization failed: '
                                                   'No start of json char found', 'rc': 127,
                                                   'module_stderr': 'pyenv: python3.13: command not found\n'})],
     {'ehlo': 'failed'}, ['deserialization failed: No start of json char found (stderr: pyenv: python3.13: command '
                          'not found) (module_error)']),
    ('starttls not offered', [_set('ehlo', failed('tls_handshake', 'server at 192.0.2.25:25 does not offer STARTTLS',
                                                  'sendmail offers it only when', banner_code=220,
                                                  ehlo_greeting='relay Hello', starttls_offered=False,
                                                  auth_before_tls=[], auth_after_tls=[],
                                                  tls=tls(established=False, verified=None)))],
     {'ehlo': 'passed', 'starttls': 'failed'},
     ['starttls: server at 192.0.2.25:25 does not offer STARTTLS', 'sendmail offers it only when']),
    ('certificate from another CA', [_set('ehlo.tls', tls(verified=False, verify_error='unable to get local issuer')),
                                     _set('ehlo.error_kind', 'tls_verify'), _set('ehlo.msg', 'did not verify')],
     {'starttls': 'passed', 'certificate': 'failed'}, ['certificate: did not verify: unable to get local issuer']),
    ('no CA file on the probe host', [_set('ehlo.tls', tls(verified=None)), _set('options.ca_file_given', False),
                                      _set('options.variables', {'ca_file': 'relay_gate_ca_file'})],
     {'certificate': 'failed'}, ['no CA file on the probe host - set relay_gate_ca_file']),
    ('certificates not required', [_set('ehlo.tls', tls(verified=None)), _set('options.require_certificates', False)],
     {'certificate': 'skipped'}, []),
    ('expired certificate', [_set('ehlo.tls', tls(days_left=-3))], {'certificate': 'failed'}, ['expired 3 days ago']),
    ('old TLS', [_set('ehlo.tls', tls(version='TLSv1.1'))], {'tls_version': 'failed'},
     ['negotiated TLSv1.1, below TLSv1.2 - raise sendmail_config_tls_min_version']),
    ('TLS 1.1 accepted', [_set('tls11', failed('expectation', 'expected the TLS handshake to fail, but it succeeded'))],
     {'tls11_refused': 'failed'}, ['TLS 1.1 accepted: expected the TLS handshake to fail']),
    ('TLS 1.1 probe skipped', [_set('tls11', {'skipped': True, 'changed': False})], {'tls11_refused': 'skipped'}, []),
    ('TLS 1.1 probe absent', [_set('tls11', _DELETE)], {'ehlo': 'passed'}, []),
    ('PLAIN before TLS', [_set('ehlo.auth_before_tls', ['LOGIN', 'PLAIN'])], {'auth_before_tls': 'failed'},
     ['LOGIN and PLAIN offered before TLS, so passwords can cross the network in clear; expected [], server offered '
      '[LOGIN PLAIN]', "keep 'p' in sendmail_config_auth_options"]),
    ('PLAIN before TLS allowed', [_set('ehlo.auth_before_tls', ['PLAIN']), _set('listener.auth_before_tls', ['PLAIN']),
                                  _set('options.allow_plaintext_auth', True)], {'auth_before_tls': 'passed'}, []),
    ('CRAM-MD5 before TLS is no password in clear', [_set('ehlo.auth_before_tls', ['CRAM-MD5']),
                                                     _set('listener.auth_before_tls', ['CRAM-MD5'])],
     {'auth_before_tls': 'passed'}, []),
    ('mechanisms after TLS differ', [_set('ehlo.auth_after_tls', ['PLAIN'])], {'auth_after_tls': 'failed'},
     ['expected [LOGIN PLAIN], server offered [PLAIN] - check sendmail_config_auth_mechanisms']),
    ('credentials withheld', [_set('auth', failed('credentials_withheld', '1 expectation failed: auth: credentials '
                                                  'withheld', 'credentials are only sent inside TLS',
                                                  auth_withheld='the certificate of 192.0.2.25:25 did not verify',
                                                  auth={}, auth_succeeded=[], auth_failed=['LOGIN']))],
     {'auth': 'failed'}, ['auth: credentials withheld: the certificate of 192.0.2.25:25 did not verify']),
    ('wrong password', [_set('auth.auth', {'LOGIN': {'success': False, 'code': 535, 'text': '5.7.8 authentication '
                                                     'failed', 'error': None}}),
                        _set('auth.auth_succeeded', []), _set('auth.auth_failed', ['LOGIN']),
                        _set('auth.error_kind', 'expectation'), _set('auth.msg', '1 expectation failed')],
     {'auth': 'failed'}, ['login refused: LOGIN 535 5.7.8 authentication failed', 'cyrus_sasl_users']),
    ('directory unreachable', [_set('auth.auth', {'LOGIN': {'success': False, 'code': 454, 'text': '4.7.0 Temporary '
                                                            'authentication failure', 'error': None}}),
                               _set('auth.auth_succeeded', []), _set('auth.auth_failed', ['LOGIN']),
                               _set('auth.error_kind', 'expectation'), _set('auth.msg', '1 expectation failed')],
     {'auth': 'failed'}, ['login refused: LOGIN 454 4.7.0 Temporary authentication failure', 'saslauthd runs and reaches']),
    ('auth probe only failed and msg', [_set('auth', {'failed': True, 'msg': 'module not found'})],
     {'auth': 'failed'}, ['auth: module not found (module_error)']),
    ('auth probe refused', [_set('auth', failed('connection_refused', 'cannot connect', 'listen?'))],
     {'auth': 'failed'}, ['cannot connect (connection_refused) - listen?']),
    ('no credentials', [_set('options.credentials_given', False), _set('auth.auth', {}),
                        _set('auth.auth_succeeded', [])],
     {'auth': 'skipped', 'relay_without_auth': 'passed'}, []),
    ('no credentials, required', [_set('options.credentials_given', False), _set('options.require_credentials', True),
                                  _set('options.variables', {'credentials': 'relay_gate_user and relay_gate_password'})],
     {'auth': 'failed'}, ['not tested: no credentials given - give relay_gate_user and relay_gate_password']),
    ('no_credentials from the module', [_set('auth', failed('no_credentials', 'relay with auth: expected accepted',
                                                            'give username and password'))],
     {'auth': 'failed'}, ['relay with auth: expected accepted']),
    ('open relay without auth', [_set('auth.relay.without_auth', {'verdict': 'accepted', 'rcpt': reply(250, 'ok')})],
     {'relay_without_auth': 'failed'}, ['open relay', 'sendmail_config_access']),
    ('no relaying after auth', [_set('auth.relay.with_auth', {'verdict': 'denied', 'rcpt': reply(550, '5.7.1 denied')})],
     {'relay_with_auth': 'failed'}, ['could not relay (denied: 5.7.1 denied)', 'TRUST_AUTH_MECH']),
    ('a relay trick works', [_set('relay.phases.tls.tricks', [trick('plain'), trick('percent_hack', 'accepted')]),
                             _set('relay.counts', {'probes': 4, 'accepted': 1, 'refused': 3, 'inconclusive': 0}),
                             _set('relay.error_kind', 'expectation'), _set('relay.msg', '1 relay check failed')],
     {'relay_tricks': 'failed'}, ['relay_tricks: accepted percent_hack (tls, RCPT TO:<relay-probe%example.com@'
                                  'relay.example.org>)', 'sendmail_config_relay_domains']),
    ('a relay trick inconclusive', [_set('relay.phases.clear.tricks', [trick('plain'), trick(
        'bang_path', 'inconclusive', error='server closed the connection during rcpt')]),
        _set('relay.counts', {'probes': 4, 'accepted': 0, 'refused': 3, 'inconclusive': 1}),
        _set('relay.error_kind', 'expectation'), _set('relay.msg', '1 relay check failed'), _set('relay.hint', 'h')],
     {'relay_tricks': 'failed'}, ['inconclusive bang_path (clear: server closed the connection during rcpt) - h']),
    ('relay probe skipped', [_set('relay', {'skipped': True, 'changed': False})], {'relay_tricks': 'failed'},
     ['the relay tricks probe was skipped']),
    ('relay probe turned off', [_set('relay', {'skipped': True, 'changed': False}),
                                _set('options.relay_tricks', False)], {'relay_tricks': 'skipped'}, []),
    ('relay probe absent', [_set('relay', _DELETE)], {'relay_tricks': 'failed'}, ['did not run']),
    ('relay probe failed on TLS', [_set('relay', failed('tls_handshake', 'tls phase: no STARTTLS', 'enable it'))],
     {'relay_tricks': 'failed'}, ['tls phase: no STARTTLS (tls_handshake) - enable it']),
    ('smuggling vulnerable', [_set('smuggling', failed('expectation', '3 smuggling checks failed', 'upgrade',
                                                       vulnerable=True, vulnerable_variants=['lf_dot_crlf']))],
     {'smuggling': 'failed'}, ['vulnerable to SMTP smuggling with lf_dot_crlf', 'CVE-2023-51765']),
    ('smuggling inconclusive', [_set('smuggling', failed('expectation', 'rcpt refused', 'rcpt_to must be local',
                                                         vulnerable=None))],
     {'smuggling': 'failed'}, ['inconclusive: rcpt refused - rcpt_to must be local']),
    ('smuggling timed out', [_set('smuggling', failed('timeout', 'timed out', 'slow'))], {'smuggling': 'failed'},
     ['timed out (timeout) - slow']),
    ('smuggling skipped', [_set('smuggling', {'skipped': True})], {'smuggling': 'skipped'}, []),
    ('the DATA probe refused by a tiny size limit',
     [_set('auth.data', dict(DATA_ACCEPTED, verdict='refused', refused_at='end',
                             end=reply(552, '5.3.4 Message size exceeds fixed maximum message size (100)')))],
     {'data': 'failed'}, ['a 398-byte message to <mailrelay-probe@relay.example.org> was refused after the end of data: '
                          '552 5.3.4 Message size exceeds fixed maximum message size (100)',
                          'sendmail_config_max_message_size', 'alias mailrelay-probe exists',
                          "turn off the gate's DATA-check setting"]),
    ('the DATA probe refused at RCPT (no alias)',
     [_set('auth.data', dict(DATA_ACCEPTED, verdict='refused', refused_at='rcpt', data=None, end=None,
                             rcpt=reply(550, '5.1.1 <mailrelay-probe@relay.example.org>... User unknown'))),
      _set('options.variables', {'data_check': 'mailrelay_verify_data_check'})],
     {'data': 'failed'}, ['was refused at RCPT: 550 5.1.1', 'turn off mailrelay_verify_data_check']),
    ('the DATA probe broke off', [_set('auth.data', dict(DATA_ACCEPTED, verdict='inconclusive', end=None,
                                                         error='timed out after 20s (end of data)'))],
     {'data': 'failed'}, ['was inconclusive: timed out after 20s (end of data)']),
    ('the DATA probe not run: no login', [_set('auth.data', dict(DATA_ACCEPTED, verdict='not_run', mail=None, rcpt=None,
                                                                 data=None, end=None, error='no login succeeded'))],
     {'data': 'failed'}, ['not tested: not sent: no login succeeded', 'fix the auth check first']),
    ('the DATA probe missing although asked for', [_set('auth.data', _DELETE)], {'data': 'failed'},
     ['the DATA probe did not run']),
    ('the DATA probe turned off', [_set('auth.data', _DELETE), _set('options.data_check', False)],
     {'data': 'skipped'}, []),
    ('an older gate without the DATA probe', [_set('auth.data', _DELETE), _set('options.data_check', _DELETE)],
     {'auth': 'passed'}, []),
    ('an outside destination accepted',
     [_set('relay.phases.tls.tricks', [trick('plain'), destination('parent_domain_1', 'accepted', 'relay-probe@example.org')])],
     {'relay_destinations': 'failed', 'relay_tricks': 'passed'},
     ['relay_destinations: accepted parent_domain_1 (tls, RCPT TO:<relay-probe@example.org>)', 'class R']),
    ('an outside destination inconclusive',
     [_set('relay.phases.clear.tricks', [trick('plain'), destination('ip_literal_1', 'inconclusive', error='421')])],
     {'relay_destinations': 'failed'}, ['inconclusive ip_literal_1 (clear: 421)']),
    ('probe from the relay itself', [_set('relay.client_is_relay_host', True), _set('relay.client_address', '127.0.0.1'),
                                     _set('options.variables', {'probe_from': 'relay_gate_probe_from'})],
     {'probe_host': 'failed'}, ['the probe ran from 127.0.0.1', 'set relay_gate_probe_from to another machine']),
]


@pytest.mark.parametrize('case, changes, expected, words', CASES, ids=[case[0] for case in CASES])
def test_every_way_a_probe_can_fail(case, changes, expected, words):
    data = good()
    for change in changes:
        change(data)
    before = copy.deepcopy(data)
    report = listener_report(data)
    assert data == before  # the input is not changed
    got = statuses(report)
    for name, status in expected.items():
        assert got.get(name) == status, (name, got)
    failed_checks = [name for name, status in got.items() if status == 'failed']
    assert report['ok'] is (not failed_checks)
    assert len(report['failures']) == len(failed_checks)
    for failure in report['failures']:
        assert failure.startswith(WHERE + ' ')
    if words:
        first = [name for name in expected if expected[name] == 'failed'][0]
        message = [f for f in report['failures'] if f.startswith('%s %s: ' % (WHERE, first))]
        assert message, (first, report['failures'])
        for word in words:
            assert word in message[0], (word, message[0])
    json.dumps(report)


@pytest.mark.parametrize('tls_mode, present, absent', [
    ('implicit', ['starttls', 'certificate', 'auth_after_tls'], ['auth_before_tls']),
    ('none', ['auth_before_tls'], ['starttls', 'tls_version', 'certificate', 'tls11_refused', 'auth_after_tls']),
])
def test_checks_follow_the_listener_tls_mode(tls_mode, present, absent):
    data = good()
    data['listener']['tls'] = tls_mode
    if tls_mode == 'none':
        data['ehlo'].update(starttls_offered=False, tls=tls(established=False, verified=None, version=None))
        data['listener']['auth_after_tls'] = []
        data['ehlo']['auth_after_tls'] = []
    report = listener_report(data)
    names = statuses(report)
    assert all(name in names for name in present), names
    assert not any(name in names for name in absent), names
    assert 'STARTTLS' not in report['line']


@pytest.mark.parametrize('data', [None, [], 'text', 42, {}, {'listener': 'MTA'}, {'listener': {}, 'ehlo': 'x'},
                                  {'listener': {'name': None, 'port': None}, 'relay': {'phases': 'x', 'counts': []}}])
def test_garbage_never_raises(data):
    report = listener_report(data)
    assert report['ok'] is False
    assert statuses(report)['ehlo'] == 'failed' and statuses(report)['relay_tricks'] == 'failed'
    assert report['line'].startswith('  ?:?') or report['line'].startswith('  None')


def test_without_destinations_and_data_the_report_is_as_before():
    """Results of a gate that asks for neither (another caller of the filter) give no such checks."""
    data = good()
    del data['auth']['data']
    del data['options']['data_check']
    for phase in data['relay']['phases'].values():
        phase['tricks'] = [entry for entry in phase['tricks'] if entry.get('kind') != 'destination']
    report = listener_report(data)
    assert report['ok'] is True
    assert 'data' not in statuses(report) and 'relay_destinations' not in statuses(report)
    assert 'relay tricks: 4/4 refused, smuggling' in report['line'] and 'DATA' not in report['line']
