# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""smtp_auth_check against aiosmtpd: AUTH per mechanism, and the relay probe."""

from __future__ import annotations

import base64
import json

import pytest

from ansible_collections.mailrelay.sendmail.plugins.modules import smtp_auth_check
from ansible_collections.mailrelay.sendmail.tests.unit.smtp_peers import ALL_MECHANISMS, PASSWORD, USER, RelayHandler


def check(params):
    runner = smtp_auth_check.AuthCheck(params)
    result, failure = runner.run()
    return result, failure, runner.warnings


def defaults(params):
    """The defaults AnsibleModule would fill in."""
    full = {'relay_probe': False, 'mail_from': '', 'rcpt_to': 'relay-probe@example.com'}
    full.update(params)
    return full


def creds(server, **extra):
    """Credentials, and the CA of the server's certificate: what it takes for AUTH to be sent."""
    params = {'username': USER, 'password': PASSWORD}
    if getattr(server, 'ca_file', None):
        params['ca_file'] = server.ca_file
    params.update(extra)
    return defaults(server.params(**params))


def secrets(password=PASSWORD):
    """Every form in which the password could leak: as is, and inside base64 of PLAIN and LOGIN."""
    return [password, base64.b64encode(password.encode()).decode(),
            base64.b64encode(('\0%s\0%s' % (USER, password)).encode()).decode()]


# --- AUTH ------------------------------------------------------------------------------------

def test_every_mechanism_after_starttls(smtp_server, tls_material):
    server = smtp_server('starttls', mechanisms=ALL_MECHANISMS)
    result, failure, warnings = check(creds(server, ca_file=tls_material.ca_file, validate_certs=True,
                                            tls_server_name='relay.test', expect_success=True))
    assert failure is None, failure
    assert warnings == []
    assert result['changed'] is False
    assert result['auth_offered'] == list(ALL_MECHANISMS)
    assert result['auth_succeeded'] == list(ALL_MECHANISMS) and result['auth_failed'] == []
    for mechanism in ALL_MECHANISMS:
        entry = result['auth'][mechanism]
        assert entry == {'advertised': True, 'success': True, 'code': 235, 'enhanced_status': '2.7.0',
                         'text': '2.7.0 Authentication successful', 'error': None}, mechanism
    assert server.handler.digest_uri == 'smtp/relay.test'
    assert result['tls']['verified'] is True and result['starttls_offered'] is True
    assert 'relay' not in result
    # one session to look, one per mechanism
    assert sum(1 for line in result['transcript'] if line.startswith('-- session:')) == 5


def test_wrong_password(smtp_server):
    server = smtp_server('starttls', mechanisms=ALL_MECHANISMS)
    params = creds(server, password='wrong-password', expect_success=True)
    result, failure, _warnings = check(params)
    assert result['auth_succeeded'] == [] and result['auth_failed'] == list(ALL_MECHANISMS)
    assert result['auth']['PLAIN']['code'] == 535
    assert result['auth']['PLAIN']['text'] == '5.7.8 Authentication credentials invalid'
    assert failure == ('1 expectation failed: auth: expected 235 for every mechanism, got '
                       'CRAM-MD5 535 5.7.8 Authentication credentials invalid; '
                       'DIGEST-MD5 535 5.7.8 Authentication credentials invalid; '
                       'LOGIN 535 5.7.8 Authentication credentials invalid; '
                       'PLAIN 535 5.7.8 Authentication credentials invalid')
    # the same run, asked to prove the wrong password is refused, passes
    params['expect_success'] = False
    _result, failure, _warnings = check(params)
    assert failure is None


def test_expect_failure_but_login_works(smtp_server):
    server = smtp_server('starttls')
    _result, failure, _warnings = check(creds(server, mechanisms=['PLAIN'], expect_success=False))
    assert failure == '1 expectation failed: auth: expected no mechanism to succeed, got PLAIN 235 2.7.0 Authentication successful'


def test_implicit_tls(smtp_server, tls_material):
    server = smtp_server('implicit')
    result, failure, _warnings = check(creds(server, tls='implicit', ca_file=tls_material.ca_file,
                                             validate_certs=True, expect_success=True))
    assert failure is None, failure
    assert result['auth_succeeded'] == ['LOGIN', 'PLAIN']
    assert result['tls']['established'] is True and result['starttls_offered'] is False


def test_mechanism_not_offered_is_tried_and_refused(smtp_server):
    server = smtp_server('starttls')
    result, failure, _warnings = check(creds(server, mechanisms=['CRAM-MD5', 'PLAIN'], expect_success=True))
    assert result['auth']['CRAM-MD5']['advertised'] is False
    assert result['auth']['CRAM-MD5']['code'] == 504
    assert result['auth']['PLAIN']['success'] is True
    assert failure == ('1 expectation failed: auth: expected 235 for every mechanism, got '
                       'CRAM-MD5 504 5.5.4 Unrecognized authentication type')


def test_plaintext_auth_is_refused_and_warned_about(smtp_server):
    """aiosmtpd, like sendmail with AuthOptions p, refuses AUTH before TLS (538 encryption required)."""
    server = smtp_server('starttls')
    result, failure, warnings = check(creds(server, tls='none', mechanisms=['PLAIN'], expect_success=False,
                                            auth_requires_verified_tls=False))
    assert failure is None
    assert result['auth']['PLAIN']['code'] == 538 and result['auth']['PLAIN']['advertised'] is False
    assert result['auth_offered'] == [] and result['tls']['established'] is False
    assert any("forbids plain-text mechanisms" in warning for warning in warnings)


def test_digest_md5_server_that_does_not_know_the_password(smtp_server):
    """A server whose rspauth is wrong has not proven it knows the password: the client cancels."""
    server = smtp_server('starttls', handler=RelayHandler(rogue_rspauth=True), mechanisms=ALL_MECHANISMS)
    result, failure, _warnings = check(creds(server, mechanisms=['DIGEST-MD5'], expect_success=True))
    entry = result['auth']['DIGEST-MD5']
    assert entry['success'] is False and entry['code'] == 501
    assert "rspauth does not match" in ' '.join(result['transcript'])
    assert result['transcript'].count('C: *') == 1
    assert failure.startswith('1 expectation failed: auth: expected 235 for every mechanism, got DIGEST-MD5 501')


def test_no_secret_in_result_or_transcript(smtp_server, run_module):
    server = smtp_server('starttls', mechanisms=ALL_MECHANISMS)
    rc, result, out = run_module(smtp_auth_check, creds(server, relay_probe=True, source_address='127.0.0.2'),
                                 check_mode=True)
    assert rc == 0, result.get('msg')
    assert result['changed'] is False and result['auth_succeeded'] == list(ALL_MECHANISMS)
    for secret in secrets():
        assert secret not in out
    assert 'C: AUTH PLAIN <redacted>' in result['transcript']
    assert sum(1 for line in result['transcript'] if line == 'C: <redacted>') >= 4  # LOGIN x2, CRAM-MD5, DIGEST-MD5
    assert 'S: 334 <redacted>' in result['transcript']  # DIGEST-MD5 rspauth hides a hash of the password


def test_module_main_failure_hides_the_password_too(smtp_server, run_module):
    server = smtp_server('starttls')
    rc, result, out = run_module(smtp_auth_check, creds(server, password='Another-Secret-7', expect_success=True))
    assert rc == 1 and result['failed'] is True
    for secret in secrets('Another-Secret-7'):
        assert secret not in out
    assert result['auth_failed'] == ['LOGIN', 'PLAIN']


@pytest.mark.parametrize('args, message', [
    ({'username': USER}, 'parameters are required together: username, password'),
    ({'mechanisms': ['PLAIN']}, 'missing parameter(s) required by \'mechanisms\': username, password'),
    ({}, 'nothing to check: give username and password, or ask for the relay probe'),
    ({'username': USER, 'password': 'x', 'mechanisms': ['NTLM']}, 'value of mechanisms must be one or more of'),
])
def test_module_main_argument_errors(run_module, args, message):
    rc, result, _out = run_module(smtp_auth_check, dict(args, port=1, timeout=0.5))
    assert rc == 1 and message in result['msg']


def test_server_offering_no_auth(smtp_server):
    server = smtp_server('starttls', mechanisms=())
    result, failure, _warnings = check(creds(server, expect_success=True))
    assert result['auth'] == {}
    assert failure == ('1 expectation failed: auth: expected success, but no mechanism was tried '
                       '(server offered []; username given)')


def test_connection_trouble_is_a_clean_failure(scripted_server):
    peer = scripted_server([('send', b'554 5.7.1 go away\r\n'), ('expect', b'QUIT'), ('send', b'221 bye\r\n')])
    result, failure, _warnings = check(defaults(peer.params(username=USER, password=PASSWORD)))
    assert failure == 'server at 127.0.0.1:%d refused the session: 554 5.7.1 go away' % peer.port
    assert result['banner'] == '554 5.7.1 go away' and result['auth'] == {}


def test_server_hangs_up_during_auth(scripted_server, tls_material):
    peer = scripted_server([
        ('send', b'220 relay.test ESMTP\r\n'), ('expect', b'EHLO'), ('send', b'250-relay.test\r\n250 AUTH PLAIN\r\n'),
        ('expect', b'QUIT'), ('send', b'221 bye\r\n')])
    # the first session (looking) is fine; the AUTH session finds nobody listening any more
    result, failure, _warnings = check(defaults(peer.params(tls='none', username=USER, password=PASSWORD,
                                                            auth_requires_verified_tls=False)))
    assert result['auth_offered'] == ['PLAIN']
    assert failure.startswith('cannot connect to 127.0.0.1:%d' % peer.port)


def test_server_drops_connection_after_auth_command(scripted_server):
    peer = scripted_server([
        ('send', b'220 relay.test ESMTP\r\n'), ('expect', b'EHLO'), ('send', b'250-relay.test\r\n250 AUTH LOGIN\r\n'),
        ('expect', b'AUTH LOGIN'), ('close',)])
    runner = smtp_auth_check.AuthCheck(defaults(peer.params(tls='none', username=USER, password=PASSWORD,
                                                                auth_requires_verified_tls=False)))
    runner.result['auth_offered'] = ['LOGIN']
    runner.try_mechanism('LOGIN')
    entry = runner.result['auth']['LOGIN']
    assert entry['success'] is False and entry['code'] is None
    assert entry['error'] == 'server at 127.0.0.1:%d closed the connection during auth LOGIN' % peer.port


# --- the relay probe ------------------------------------------------------------------------

def test_relay_probe_from_an_untrusted_address(smtp_server):
    """127.0.0.2 stands for an outside client: the handler, like sendmail, trusts only 127.0.0.1."""
    server = smtp_server('starttls')
    result, failure, warnings = check(creds(server, source_address='127.0.0.2',
                                            expect_relay_denied_without_auth=True, expect_relay_allowed_with_auth=True))
    assert failure is None, failure
    relay = result['relay']
    assert relay['client_address'] == '127.0.0.2' and relay['server_address'] == '127.0.0.1'
    assert relay['without_auth']['mail']['code'] == 250
    assert relay['without_auth']['rcpt'] == {'code': 550, 'enhanced_status': '5.7.1',
                                             'text': '5.7.1 <relay-probe@example.com>... Relaying denied'}
    assert relay['without_auth']['verdict'] == 'denied' and relay['denied_without_auth'] is True
    assert relay['with_auth']['mechanism'] == 'LOGIN'
    assert relay['with_auth']['rcpt']['code'] == 250 and relay['allowed_with_auth'] is True
    assert server.handler.rcpt_seen == [('127.0.0.2', False, 'relay-probe@example.com'),
                                        ('127.0.0.2', True, 'relay-probe@example.com')]
    assert server.handler.data_calls == 0  # never a message
    assert 'C: MAIL FROM:<>' in result['transcript'] and 'C: RSET' in result['transcript']
    assert not any(line.startswith('C: DATA') for line in result['transcript'])
    # 127.0.0.2 is still loopback: sendmail may trust it too, so the module says so
    assert relay['client_is_relay_host'] is True and 'relay probe ran from 127.0.0.2' in warnings[0]


def test_relay_probe_from_loopback_proves_nothing(smtp_server):
    """From 127.0.0.1 the relay accepts without AUTH, exactly as sendmail does for its own host."""
    server = smtp_server('starttls')
    result, failure, warnings = check(creds(server, expect_relay_denied_without_auth=True))
    relay = result['relay']
    assert relay['without_auth']['verdict'] == 'accepted' and relay['denied_without_auth'] is False
    assert failure == ('1 expectation failed: relay without auth: expected denied, got accepted '
                       '(MAIL 250 2.1.0 <>... Sender ok, RCPT 250 2.1.5 <relay-probe@example.com>... Recipient ok)'
                       ' - the client 127.0.0.1 is an address sendmail trusts by default; probe from another host')
    assert len(warnings) == 1 and 'set source_address' in warnings[0]


def test_relay_probe_without_credentials(smtp_server):
    server = smtp_server('starttls')
    result, failure, _warnings = check(defaults(server.params(source_address='127.0.0.2', relay_probe=True)))
    assert failure is None
    assert result['relay']['denied_without_auth'] is True
    assert result['relay']['with_auth']['verdict'] == 'not_run' and result['relay']['allowed_with_auth'] is None
    assert result['auth'] == {}
    _result, failure, _warnings = check(defaults(server.params(source_address='127.0.0.2',
                                                               expect_relay_allowed_with_auth=True)))
    assert failure == ('1 expectation failed: relay with auth: expected accepted, got not_run '
                       '(no mechanism authenticated: no username/password or no mechanism to try)')


def test_relay_with_auth_needs_a_working_login(smtp_server):
    server = smtp_server('starttls')
    result, failure, _warnings = check(creds(server, password='wrong', source_address='127.0.0.2',
                                             expect_relay_allowed_with_auth=True))
    assert result['relay']['allowed_with_auth'] is None
    assert failure == ('1 expectation failed: relay with auth: expected accepted, got not_run (no mechanism '
                       'authenticated: LOGIN 535 5.7.8 Authentication credentials invalid; '
                       'PLAIN 535 5.7.8 Authentication credentials invalid)')


def test_msa_requiring_auth_answers_530_which_counts_as_denied(smtp_server):
    server = smtp_server('starttls', auth_required=True)
    result, failure, _warnings = check(creds(server, source_address='127.0.0.2', expect_relay_denied_without_auth=True,
                                             expect_relay_allowed_with_auth=True))
    assert failure is None, failure
    assert result['relay']['without_auth']['mail']['code'] == 530
    assert result['relay']['without_auth']['rcpt'] is None


def test_refused_sender_is_inconclusive(smtp_server):
    handler = RelayHandler(mail_reply='553 5.1.8 <probe@nowhere.invalid>... Domain of sender address does not exist')
    server = smtp_server('starttls', handler=handler)
    result, failure, _warnings = check(creds(server, source_address='127.0.0.2', mail_from='probe@nowhere.invalid',
                                             expect_relay_denied_without_auth=True))
    assert result['relay']['denied_without_auth'] is None
    assert failure == ('1 expectation failed: relay without auth: expected denied, got inconclusive '
                       '(MAIL 553 5.1.8 <probe@nowhere.invalid>... Domain of sender address does not exist)')


def test_relay_result_is_json_and_stable(smtp_server):
    server = smtp_server('starttls')
    params = creds(server, source_address='127.0.0.2', relay_probe=True)
    first, _f, _w = check(params)
    second, _f, _w = check(params)
    json.dumps(first)
    first.pop('transcript')
    second.pop('transcript')
    assert first == second


def test_server_goes_silent_after_auth(scripted_server):
    peer = scripted_server([
        ('send', b'220 relay.test ESMTP\r\n'), ('expect', b'EHLO'), ('send', b'250-relay.test\r\n250 AUTH CRAM-MD5\r\n'),
        ('expect', b'AUTH CRAM-MD5'), ('silence', 2)])
    runner = smtp_auth_check.AuthCheck(defaults(peer.params(tls='none', timeout=0.3, username=USER, password=PASSWORD,
                                                                auth_requires_verified_tls=False)))
    runner.try_mechanism('CRAM-MD5')
    assert runner.result['auth']['CRAM-MD5']['error'] == (
        'timed out after 0.3s waiting for the server at 127.0.0.1:%d (auth CRAM-MD5)' % peer.port)
    assert runner.result['auth_failed'] == ['CRAM-MD5']
    assert runner.transcript[-1] == 'C: AUTH CRAM-MD5'  # no QUIT into a dead session


# --- the credential rule: only inside TLS verified against the CA and the relay name ----------

def _auth_lines(server):
    """The AUTH commands the server received, whatever their case."""
    return [line for line in server.command_lines() if line.upper().startswith(b'AUTH')]


def _assert_nothing_secret_reached(server):
    assert _auth_lines(server) == []
    for secret in secrets():
        assert secret.encode() not in server.received
    assert USER.encode() not in server.received


@pytest.mark.parametrize('certificate, extra, reason', [
    # an impostor on the relay's address with a certificate from another CA
    ('rogue', {}, 'did not verify against the CA in %(ca)s: unable to get local issuer certificate'),
    # one of our hosts, with a certificate from our CA, but for another name
    ('wrong_name', {}, "did not verify against the CA in %(ca)s: Hostname mismatch, certificate is not valid for "
                       "'relay.test'"),
    # the right CA, but the name is not checked: not good enough for a password
    ('wrong_name', {'tls_check_hostname': False}, 'was not checked for the name relay.test (tls_check_hostname=false)'),
])
def test_impostor_never_receives_credentials(smtp_server, tls_material, certificate, extra, reason):
    server = smtp_server('starttls', certificate=certificate, mechanisms=ALL_MECHANISMS)
    result, failure, _warnings = check(creds(server, tls_server_name='relay.test', expect_success=True,
                                             source_address='127.0.0.2', expect_relay_denied_without_auth=True,
                                             expect_relay_allowed_with_auth=True, **extra))
    _assert_nothing_secret_reached(server)
    reason = reason % {'ca': tls_material.ca_file}
    assert reason in result['auth_withheld'], result['auth_withheld']
    assert result['auth_withheld'].startswith('the certificate of 127.0.0.1:%d ' % server.port)
    # every mechanism is accounted for, none was sent
    assert sorted(result['auth']) == sorted(ALL_MECHANISMS)
    for mechanism, entry in result['auth'].items():
        assert entry['success'] is False and entry['code'] is None, mechanism
        assert entry['error'] == 'not sent: ' + result['auth_withheld']
    assert result['auth_succeeded'] == [] and result['auth_failed'] == list(ALL_MECHANISMS)
    assert not any(line.startswith('C: AUTH') for line in result['transcript'])
    # only one session: no use opening more to a server that will never get the password
    assert sum(1 for line in result['transcript'] if line.startswith('-- session:')) == 1
    # the unauthenticated relay probe still ran, and found the relay closed
    assert result['relay']['denied_without_auth'] is True
    assert result['error_kind'] == 'credentials_withheld'
    assert 'ca_file' in result['hint'] and 'auth_requires_verified_tls=false' in result['hint']
    assert failure.startswith('2 expectations failed: auth: credentials withheld: the certificate of 127.0.0.1:')
    assert 'relay with auth: expected accepted, got not_run: credentials withheld' in failure
    assert 'fix: give the CA that signed the relay certificate as ca_file' in failure


def test_rogue_server_with_validate_certs_fails_on_tls_and_sends_nothing(smtp_server, tls_material):
    server = smtp_server('starttls', certificate='rogue')
    result, failure, _warnings = check(creds(server, validate_certs=True, expect_success=True))
    _assert_nothing_secret_reached(server)
    assert failure.startswith('certificate of 127.0.0.1:%d did not verify: ' % server.port)
    assert result['error_kind'] == 'tls_verify' and 'ca_file' in result['hint']
    assert result['auth_withheld'] == failure
    assert set(result['auth']) == {'LOGIN', 'PLAIN'}  # what the second look saw offered
    assert all(entry['error'].startswith('not sent: certificate of') for entry in result['auth'].values())


def test_no_ca_file_means_the_system_store(smtp_server):
    """Without ca_file the certificate must verify against the system store; a private CA does not."""
    server = smtp_server('starttls')
    result, failure, _warnings = check(creds(server, ca_file=None, expect_success=True))
    _assert_nothing_secret_reached(server)
    assert "against the probe host's system trust store" in result['auth_withheld']
    assert result['tls']['verified'] is False  # the first session verified, too, and said so
    assert result['error_kind'] == 'credentials_withheld' and 'credentials withheld' in failure


def test_clear_text_server_offering_plain_gets_nothing(smtp_server):
    server = smtp_server('plain', auth_require_tls=False)  # offers AUTH PLAIN LOGIN without TLS
    result, failure, warnings = check(creds(server, tls='none', expect_success=True))
    _assert_nothing_secret_reached(server)
    assert result['auth_offered'] == ['LOGIN', 'PLAIN']
    assert result['auth_withheld'] == 'the session with 127.0.0.1:%d is not encrypted (tls=none)' % server.port
    assert result['auth']['PLAIN']['error'] == 'not sent: ' + result['auth_withheld']
    assert failure == ('1 expectation failed: auth: credentials withheld: the session with 127.0.0.1:%d is not '
                       'encrypted (tls=none); fix: give the CA that signed the relay certificate as ca_file and a name '
                       'it carries as tls_server_name, or fix the certificate (auth_requires_verified_tls=false only '
                       'in a lab)' % server.port)
    assert warnings == []


def test_clear_text_lab_opt_out_sends_and_warns(smtp_server):
    server = smtp_server('plain', auth_require_tls=False)
    result, failure, warnings = check(creds(server, tls='none', mechanisms=['PLAIN'], expect_success=True,
                                            auth_requires_verified_tls=False))
    assert failure is None and result['auth_withheld'] is None and result['auth_succeeded'] == ['PLAIN']
    assert [line.split()[:2] for line in _auth_lines(server)] == [[b'AUTH', b'PLAIN']]
    assert any('sends credentials unprotected (PLAIN carry the password itself)' in warning for warning in warnings)


def test_verified_server_gets_exactly_one_auth_per_mechanism(smtp_server):
    server = smtp_server('starttls', mechanisms=ALL_MECHANISMS)
    result, failure, _warnings = check(creds(server, tls_server_name='relay.test', expect_success=True))
    assert failure is None and result['auth_withheld'] is None and result['error_kind'] is None
    assert sorted(line.split()[1].decode() for line in _auth_lines(server)) == sorted(ALL_MECHANISMS)
    assert result['auth_succeeded'] == list(ALL_MECHANISMS)


def test_opt_out_still_never_uses_the_unverified_second_look(smtp_server, tls_material):
    """auth_requires_verified_tls=false with a ca_file that does not verify: the second look carries nothing."""
    server = smtp_server('starttls', certificate='rogue')
    result, _failure, _warnings = check(creds(server, auth_requires_verified_tls=False, expect_success=True))
    _assert_nothing_secret_reached(server)
    assert 'did not verify against the CA in %s' % tls_material.ca_file in result['auth_withheld']


def test_last_gate_holds_even_if_the_rule_is_broken(smtp_server, monkeypatch):
    """A later bug in credentials_refusal() must not let the unverified second look carry a password."""
    monkeypatch.setattr(smtp_auth_check, 'credentials_refusal', lambda session: None)
    server = smtp_server('starttls', certificate='rogue')
    result, _failure, _warnings = check(creds(server, expect_success=True))
    _assert_nothing_secret_reached(server)
    assert result['auth_withheld'] == 'the session with 127.0.0.1:%d is not verified' % server.port
    assert result['auth']['LOGIN']['error'] == 'not sent: ' + result['auth_withheld']


# --- failures say what kind they are and what to do ------------------------------------------

def test_no_credentials_for_an_auth_expectation(smtp_server):
    server = smtp_server('starttls')
    result, failure, _warnings = check(defaults(server.params(relay_probe=True, source_address='127.0.0.2',
                                                              expect_relay_allowed_with_auth=True)))
    assert 'no username/password' in failure
    assert result['error_kind'] == 'no_credentials' and 'username and password' in result['hint']


def test_connection_refused_is_classified(run_module):
    from ansible_collections.mailrelay.sendmail.tests.unit.smtp_peers import free_port
    port = free_port()
    rc, result, _out = run_module(smtp_auth_check, {'port': port, 'timeout': 1.0, 'relay_probe': True})
    assert rc == 1 and result['msg'] == 'cannot connect to 127.0.0.1:%d: Connection refused' % port
    assert result['error_kind'] == 'connection_refused'
    assert 'sendmail runs and listens on that address and port' in result['hint']
    assert result['auth_withheld'] is None


# --- the DATA probe -----------------------------------------------------------------------------

class DiscardingHandler(RelayHandler):
    """Takes the message (as an alias to /dev/null would) and keeps it for the test."""

    def __init__(self, **options):
        super().__init__(**options)
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.data_calls += 1
        self.messages.append((bool(session.authenticated), envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return '250 2.0.0 5B7H3a1x012345 Message accepted for delivery'


PROBE = 'mailrelay-probe@relay.test'


def test_data_probe_sends_one_small_message_after_auth(smtp_server):
    handler = DiscardingHandler()
    server = smtp_server('starttls', handler=handler)
    result, failure, _warnings = check(creds(server, source_address='127.0.0.2', relay_probe=True,
                                             expect_relay_allowed_with_auth=True, data_rcpt=PROBE,
                                             expect_data_accepted=True))
    assert failure is None, failure
    data = result['data']
    assert data['verdict'] == 'accepted' and data['refused_at'] is None and data['error'] is None
    assert data['mechanism'] == 'LOGIN' and data['rcpt_to'] == PROBE and data['mail_from'] == ''
    assert data['data']['code'] == 354 and data['end']['code'] == 250
    # exactly one message, authenticated, for the probe address only, and small
    assert len(handler.messages) == 1
    authenticated, mail_from, rcpt_tos, content = handler.messages[0]
    assert authenticated and mail_from == '<>' and rcpt_tos == [PROBE]
    assert b'Subject: mailrelay.sendmail verification gate: DATA probe' in content
    assert 200 < data['size'] < 600
    # the relay probe's outside recipient never got a message
    assert not any(line.startswith('C: RCPT TO:<relay-probe@example.com>') and 'DATA' in line
                   for line in result['transcript'])
    assert '<a message of %d bytes, then the end of data>' % data['size'] in ' '.join(result['transcript'])


@pytest.mark.parametrize('options, refused_at, text', [
    # aiosmtpd's own size limit, like sendmail's MaxMessageSize: 552 after the end of data
    ({'data_size_limit': 100}, 'end', '552 Error: Too much mail data'),
])
def test_data_probe_fails_on_a_relay_that_refuses_real_mail(smtp_server, options, refused_at, text):
    server = smtp_server('starttls', handler=DiscardingHandler(), **options)
    result, failure, _warnings = check(creds(server, source_address='127.0.0.2', data_rcpt=PROBE,
                                             expect_data_accepted=True))
    data = result['data']
    assert data['verdict'] == 'refused' and data['refused_at'] == refused_at
    assert result['error_kind'] == 'expectation'
    assert failure == ('1 expectation failed: data: expected the message of %d bytes to <%s> to be accepted (250 after '
                       'the end of data), got refused after the end of data: %s' % (data['size'], PROBE, text))


def test_data_probe_refused_at_data_and_at_rcpt(smtp_server):
    """The stock test handler refuses DATA with 554; an unknown address is refused at RCPT."""
    server = smtp_server('starttls')
    result, failure, _warnings = check(creds(server, source_address='127.0.0.2', data_rcpt=PROBE,
                                             expect_data_accepted=True))
    assert result['data']['verdict'] == 'refused'
    assert failure.endswith('got refused after the end of data: 554 5.0.0 this test server never accepts DATA')
    handler = DiscardingHandler()
    handler.handle_RCPT = _refuse_rcpt
    server = smtp_server('starttls', handler=handler)
    result, failure, _warnings = check(creds(server, source_address='127.0.0.2', data_rcpt=PROBE,
                                             expect_data_accepted=True))
    assert result['data']['refused_at'] == 'rcpt' and result['data']['data'] is None and handler.messages == []
    assert failure.endswith('got refused at RCPT: 550 5.1.1 <%s>... User unknown' % PROBE)


async def _refuse_rcpt(server, session, envelope, address, rcpt_options):
    return '550 5.1.1 <%s>... User unknown' % address


def test_data_probe_is_not_sent_without_a_login(smtp_server):
    handler = DiscardingHandler()
    server = smtp_server('starttls', handler=handler)
    result, failure, _warnings = check(creds(server, password='wrong', source_address='127.0.0.2', data_rcpt=PROBE,
                                             expect_data_accepted=True))
    assert result['data']['verdict'] == 'not_run' and result['data']['error'] == 'no login succeeded'
    assert handler.messages == [] and handler.data_calls == 0
    assert 'data: expected the message of - bytes to <%s> to be accepted (250 after the end of data), got not sent: ' \
           'no login succeeded' % PROBE in failure


def test_data_probe_is_withheld_with_the_credentials(smtp_server, tls_material):
    handler = DiscardingHandler()
    server = smtp_server('starttls', handler=handler, certificate='rogue')
    result, failure, _warnings = check(creds(server, ca_file=tls_material.ca_file, data_rcpt=PROBE,
                                             expect_data_accepted=True))
    assert result['data']['verdict'] == 'not_run' and handler.messages == []
    assert result['error_kind'] == 'credentials_withheld'
    assert 'data: expected the message to be accepted, got not_run: credentials withheld' in failure


def test_data_probe_needs_credentials(run_module):
    rc, result, _out = run_module(smtp_auth_check, {'port': 1, 'relay_probe': True, 'data_rcpt': PROBE})
    assert rc == 1 and 'data_rcpt' in result['msg'] and 'username' in result['msg']


def test_expect_data_accepted_without_data_rcpt_sends_nothing_and_changes_nothing(smtp_server):
    """The gate always says expect_data_accepted and gives data_rcpt only where the probe applies."""
    handler = DiscardingHandler()
    server = smtp_server('starttls', handler=handler)
    result, failure, _warnings = check(defaults(server.params(source_address='127.0.0.2', relay_probe=True,
                                                              expect_relay_denied_without_auth=True,
                                                              expect_data_accepted=True)))
    assert failure is None and 'data' not in result and handler.data_calls == 0
