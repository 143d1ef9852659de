# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""smtp_ehlo_info against aiosmtpd (a real SMTP server) and scripted misbehaving peers."""

from __future__ import annotations

import socket
import ssl
import time

from ansible_collections.mailrelay.sendmail.plugins.modules import smtp_ehlo_info

SENDMAIL_BANNER = b'220 relay.test ESMTP Sendmail 8.17.1.9/8.17.1.9; Sat, 22 Nov 2025 04:20:00 GMT\r\n'
SENDMAIL_EHLO = (b'250-relay.test Hello client.test [127.0.0.1], pleased to meet you\r\n'
                 b'250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE\r\n250-DSN\r\n'
                 b'250-STARTTLS\r\n250-DELIVERBY\r\n250 HELP\r\n')


def probe(params):
    return smtp_ehlo_info.run_probe(params)


def stable(result):
    """What must not change between two runs: everything but timings, transcript and clock-dependent values."""
    result = dict(result)
    result.pop('timings_ms')
    result.pop('transcript')
    return result


# --- a real server: aiosmtpd ---------------------------------------------------------------

def test_auth_hidden_before_tls_and_shown_after(smtp_server, tls_material):
    server = smtp_server('starttls')
    result, failure = probe(server.params(ca_file=tls_material.ca_file))
    assert failure is None
    assert result['changed'] is False
    assert result['banner_code'] == 220 and result['banner'].startswith('220 relay.test ')
    assert result['starttls_offered'] is True
    assert result['auth_before_tls'] == []
    assert 'AUTH' not in result['extensions_before_tls']
    assert result['auth_after_tls'] == ['LOGIN', 'PLAIN']
    assert result['extensions_after_tls']['AUTH'] == ['LOGIN', 'PLAIN']
    assert 'STARTTLS' not in result['extensions_after_tls']
    tls = result['tls']
    assert tls['established'] is True and tls['version'] == 'TLSv1.3'
    assert tls['cipher'] and tls['bits'] >= 128
    assert tls['verified'] is True and tls['verify_error'] is None and tls['handshake_error'] is None
    assert tls['subject']['CN'] == 'relay.test' and tls['issuer']['CN'] == 'Mailrelay Test CA'
    assert tls['sans'] == ['DNS:relay.test', 'IP:127.0.0.1']
    assert tls['not_after'] == tls_material.server_cert.not_valid_after_utc.strftime('%Y%m%d%H%M%SZ')
    assert tls['days_left'] in (29, 30)
    assert set(result['timings_ms']) >= {'connect', 'banner', 'ehlo', 'starttls', 'tls_handshake', 'ehlo_after_tls',
                                         'quit', 'total'}
    assert all(value >= 0 for value in result['timings_ms'].values())
    assert result['client_address'] == '127.0.0.1'
    assert result['transcript'][-2:] == ['C: QUIT', 'S: 221 Bye']
    assert 'C: STARTTLS' in result['transcript']


def test_running_twice_gives_the_same_answer(smtp_server, tls_material):
    server = smtp_server('starttls')
    first = probe(server.params(ca_file=tls_material.ca_file))[0]
    second = probe(server.params(ca_file=tls_material.ca_file))[0]
    assert stable(first) == stable(second)


def test_implicit_tls(smtp_server, tls_material):
    server = smtp_server('implicit')
    result, failure = probe(server.params(tls='implicit', ca_file=tls_material.ca_file, validate_certs=True,
                                          expect_auth_before_tls=[], expect_auth_after_tls=['PLAIN', 'LOGIN']))
    assert failure is None, failure
    assert result['extensions_before_tls'] == {} and result['auth_before_tls'] == []
    assert result['starttls_offered'] is False
    assert result['auth_after_tls'] == ['LOGIN', 'PLAIN']
    assert result['tls']['verified'] is True
    assert 'starttls' not in result['timings_ms']
    assert result['transcript'][1].startswith('-- TLS established')  # before the banner


def test_expectations_that_hold(smtp_server, tls_material):
    server = smtp_server('starttls')
    result, failure = probe(server.params(
        ca_file=tls_material.ca_file, validate_certs=True, tls_server_name='relay.test',
        expect_starttls=True, expect_auth_before_tls=[], expect_auth_after_tls=['plain', 'login'],
        min_tls_version='TLSv1.2'))
    assert failure is None
    assert result['expectation_failures'] == []
    at_least, failure = probe(server.params(expect_auth_after_tls=['PLAIN'], auth_match='at_least'))
    assert failure is None and at_least['expectation_failures'] == []


def test_expectations_that_fail_show_expected_and_actual(smtp_server):
    server = smtp_server('starttls', auth_require_tls=False)  # AUTH offered in clear: what AuthOptions p prevents
    result, failure = probe(server.params(
        expect_starttls=False, expect_auth_before_tls=[], expect_auth_after_tls=['CRAM-MD5', 'PLAIN'],
        auth_match='at_least', min_tls_version='TLSv1.3'))
    assert failure == ('3 expectations failed: '
                       'starttls: expected no STARTTLS, server offered STARTTLS; '
                       'auth_before_tls: expected no AUTH mechanisms, server offered [LOGIN, PLAIN]; '
                       'auth_after_tls: expected at least [CRAM-MD5, PLAIN], server offered [LOGIN, PLAIN] (missing [CRAM-MD5])')
    assert len(result['expectation_failures']) == 3
    # and everything seen is still returned
    assert result['auth_before_tls'] == ['LOGIN', 'PLAIN'] and result['tls']['established'] is True


def test_exact_match_is_the_default(smtp_server):
    server = smtp_server('starttls')
    _result, failure = probe(server.params(expect_auth_after_tls=['PLAIN']))
    assert failure == '1 expectation failed: auth_after_tls: expected exactly [PLAIN], server offered [LOGIN, PLAIN]'


def test_server_without_starttls(smtp_server):
    server = smtp_server('plain', auth_require_tls=False)
    result, failure = probe(server.params())
    assert failure == 'server at 127.0.0.1:%d does not offer STARTTLS in its EHLO reply' % server.port
    assert result['starttls_offered'] is False and result['auth_before_tls'] == ['LOGIN', 'PLAIN']
    # asked to prove there is no STARTTLS, the same server passes
    result, failure = probe(server.params(expect_starttls=False, expect_auth_before_tls=['LOGIN', 'PLAIN']))
    assert failure is None
    assert result['tls']['established'] is False
    # tls=none never tries
    result, failure = probe(server.params(tls='none', expect_starttls=True))
    assert failure == '1 expectation failed: starttls: expected STARTTLS offered, server did not offer STARTTLS'


# --- certificates -------------------------------------------------------------------------

def test_certificate_from_another_ca_is_reported(smtp_server, tls_material):
    server = smtp_server('starttls')
    result, failure = probe(server.params(ca_file=tls_material.other_ca_file))
    assert failure is None  # validate_certs is false: report, do not fail
    assert result['tls']['verified'] is False
    assert 'unable to get local issuer certificate' in result['tls']['verify_error']
    # the second, unverified look still shows what the server presents
    assert result['tls']['subject']['CN'] == 'relay.test' and result['auth_after_tls'] == ['LOGIN', 'PLAIN']


def test_certificate_from_another_ca_fails_when_required(smtp_server, tls_material):
    server = smtp_server('starttls')
    result, failure = probe(server.params(ca_file=tls_material.other_ca_file, validate_certs=True))
    assert failure.startswith('certificate of 127.0.0.1:%d did not verify: ' % server.port)
    assert 'unable to get local issuer certificate' in failure
    assert result['tls']['verified'] is False
    assert result['tls']['issuer']['CN'] == 'Mailrelay Test CA'


def test_certificate_name_is_checked(smtp_server, tls_material):
    server = smtp_server('starttls')
    result, failure = probe(server.params(ca_file=tls_material.ca_file, validate_certs=True,
                                          tls_server_name='other.test'))
    assert failure is not None and "Hostname mismatch" in failure and "'other.test'" in failure
    assert result['tls']['server_name'] == 'other.test'
    result, failure = probe(server.params(ca_file=tls_material.ca_file, validate_certs=True,
                                          tls_server_name='other.test', tls_check_hostname=False))
    assert failure is None and result['tls']['verified'] is True


def test_missing_ca_file_is_a_clean_failure(smtp_server, tmp_path):
    server = smtp_server('starttls')
    result, failure = probe(server.params(ca_file=str(tmp_path / 'absent.pem')))
    assert failure.startswith('cannot load CA certificates from %s' % (tmp_path / 'absent.pem'))
    assert result['banner_code'] == 220


# --- TLS versions ------------------------------------------------------------------------

def test_old_tls_refused_by_the_server_is_a_result(smtp_server):
    server = smtp_server('starttls', server_tls_min=ssl.TLSVersion.TLSv1_2)
    result, failure = probe(server.params(client_max_tls_version='TLSv1.1', expect_tls_handshake_failure=True,
                                          expect_auth_before_tls=[]))
    assert failure is None
    assert result['tls']['established'] is False
    # OpenSSL servers (sendmail) send a protocol_version alert; Python's asyncio server just hangs up
    error = result['tls']['handshake_error']
    assert error.startswith(('TLS handshake with 127.0.0.1:%d failed: TLSV1_ALERT_PROTOCOL_VERSION' % server.port,
                             'server at 127.0.0.1:%d closed the connection during the TLS handshake' % server.port))
    assert error.endswith('(the client offered at most TLSv1.1)')
    assert result['starttls_offered'] is True and result['auth_before_tls'] == []
    # without the expectation, the same refusal fails the module with that message
    result, failure = probe(server.params(client_max_tls_version='TLSv1.1'))
    assert failure == result['tls']['handshake_error']


def test_expected_handshake_failure_that_does_not_happen(smtp_server):
    server = smtp_server('starttls')
    result, failure = probe(server.params(client_max_tls_version='TLSv1.2', expect_tls_handshake_failure=True))
    assert failure.startswith('expected the TLS handshake to fail, but it succeeded: TLSv1.2 ')
    assert result['tls']['version'] == 'TLSv1.2'


def test_min_tls_version_against_a_capped_session(smtp_server):
    server = smtp_server('starttls')
    _result, failure = probe(server.params(client_max_tls_version='TLSv1.2', min_tls_version='TLSv1.3'))
    assert failure == '1 expectation failed: min_tls_version: expected at least TLSv1.3, server negotiated TLSv1.2'


# --- what real servers do wrong ----------------------------------------------------------

def test_banner_554(scripted_server):
    peer = scripted_server([('send', b'554 5.3.2 relay.test not accepting connections\r\n'), ('expect', b'QUIT'),
                            ('send', b'221 2.0.0 bye\r\n')])
    result, failure = probe(peer.params())
    assert failure == 'server at 127.0.0.1:%d refused the session: 554 5.3.2 relay.test not accepting connections' % peer.port
    assert result['banner_code'] == 554
    peer.join()
    assert peer.received == [b'QUIT\r\n']  # RFC 5321 3.1: the client says QUIT after a 554 greeting


def test_banner_421_multiline(scripted_server):
    peer = scripted_server([('send', b'421-relay.test too busy\r\n421 4.3.2 come back later\r\n'), ('close',)])
    result, failure = probe(peer.params())
    assert failure.endswith('refused the session: 421 relay.test too busy (+1 lines)')
    assert result['banner'] == '421-relay.test too busy\n421 4.3.2 come back later'


def test_multiline_banner_and_old_auth_form(scripted_server):
    peer = scripted_server([
        ('send', b'220-relay.test ESMTP Sendmail 8.12.9/8.12.9\r\n220 no UCE\r\n'), ('expect', b'EHLO client.test'),
        ('send', b'250-relay.test Hello\r\n250-AUTH=LOGIN\r\n250-AUTH LOGIN PLAIN\r\n250 HELP\r\n'),
        ('expect', b'QUIT'), ('send', b'221 bye\r\n')])
    result, failure = probe(peer.params(tls='none', expect_auth_before_tls=['PLAIN', 'LOGIN']))
    assert failure is None
    assert result['banner'] == '220-relay.test ESMTP Sendmail 8.12.9/8.12.9\n220 no UCE'
    assert result['extensions_before_tls'] == {'AUTH': ['LOGIN', 'PLAIN'], 'HELP': []}


def test_server_drops_the_connection_after_ehlo(scripted_server):
    peer = scripted_server([('send', SENDMAIL_BANNER), ('expect', b'EHLO'), ('close',)])
    result, failure = probe(peer.params())
    assert failure == 'server at 127.0.0.1:%d closed the connection during ehlo' % peer.port
    assert result['banner_code'] == 220 and 'quit' not in result['timings_ms']


def test_server_closes_on_starttls(scripted_server):
    peer = scripted_server([('send', SENDMAIL_BANNER), ('expect', b'EHLO'), ('send', SENDMAIL_EHLO),
                            ('expect', b'STARTTLS'), ('close',)])
    result, failure = probe(peer.params())
    assert failure == 'server at 127.0.0.1:%d closed the connection during starttls' % peer.port
    assert result['starttls_offered'] is True and result['extensions_before_tls']['SIZE'] == []


def test_server_closes_after_agreeing_to_starttls(scripted_server):
    peer = scripted_server([('send', SENDMAIL_BANNER), ('expect', b'EHLO'), ('send', SENDMAIL_EHLO),
                            ('expect', b'STARTTLS'), ('send', b'220 2.0.0 Ready to start TLS\r\n'), ('close',)])
    result, failure = probe(peer.params())
    assert failure.startswith('server at 127.0.0.1:%d closed the connection during the TLS handshake' % peer.port)
    assert result['tls']['handshake_error'] == failure


def test_server_refuses_starttls(scripted_server):
    peer = scripted_server([('send', SENDMAIL_BANNER), ('expect', b'EHLO'), ('send', SENDMAIL_EHLO),
                            ('expect', b'STARTTLS'), ('send', b'454 4.3.3 TLS not available after start\r\n'),
                            ('expect', b'QUIT'), ('send', b'221 bye\r\n')])
    _result, failure = probe(peer.params())
    assert failure == 'server at 127.0.0.1:%d refused STARTTLS: 454 4.3.3 TLS not available after start' % peer.port


def test_plaintext_injected_before_the_handshake_is_refused(scripted_server):
    """RFC 3207 5: data the server sends with its 220 must not be taken as part of the TLS session."""
    peer = scripted_server([('send', SENDMAIL_BANNER), ('expect', b'EHLO'), ('send', SENDMAIL_EHLO),
                            ('expect', b'STARTTLS'), ('send', b'220 go ahead\r\n250-AUTH PLAIN\r\n'), ('silence', 1)])
    _result, failure = probe(peer.params())
    assert 'sent data before the TLS handshake' in failure and "250-AUTH PLAIN" in failure


def test_non_smtp_peer(scripted_server):
    peer = scripted_server([('send', b'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n'), ('silence', 1)])
    result, failure = probe(peer.params())
    assert failure == ("server at 127.0.0.1:%d did not answer like an SMTP server during banner: "
                       "'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3'" % peer.port)
    assert result['banner'] is None


def test_endless_line_is_bounded(scripted_server):
    peer = scripted_server([('send', b'220' + b'x' * 10000), ('silence', 1)])
    _result, failure = probe(peer.params())
    assert 'longer than 4096 bytes during banner' in failure


def test_peer_that_never_answers(scripted_server):
    peer = scripted_server([('silence', 3)])
    started = time.monotonic()
    result, failure = probe(peer.params(timeout=0.4))
    elapsed = time.monotonic() - started
    assert failure == 'timed out after 0.4s waiting for the server at 127.0.0.1:%d (banner)' % peer.port
    assert elapsed < 1.5  # no second wait for a QUIT reply
    assert result['timings_ms']['banner'] >= 400


def test_trickling_server_cannot_stretch_the_deadline(scripted_server):
    peer = scripted_server([('send', b'220-a\r\n'), ('silence', 0.25), ('send', b'220-b\r\n'), ('silence', 0.25),
                            ('send', b'220-c\r\n'), ('silence', 1)])
    started = time.monotonic()
    _result, failure = probe(peer.params(timeout=0.4))
    assert 'timed out after 0.4s' in failure and time.monotonic() - started < 1.0


def test_implicit_tls_against_a_plain_server(scripted_server):
    peer = scripted_server([('send', SENDMAIL_BANNER), ('silence', 1)])
    result, failure = probe(peer.params(tls='implicit'))
    assert failure.startswith('TLS handshake with 127.0.0.1:%d failed' % peer.port)
    assert 'clear text' in failure
    assert result['tls']['handshake_error'] == failure


def test_nothing_listening():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    result, failure = probe({'host': '127.0.0.1', 'port': port, 'timeout': 1.0})
    assert failure == 'cannot connect to 127.0.0.1:%d: Connection refused' % port
    assert result['banner'] is None and result['tls']['established'] is False


def test_source_address_is_bound(smtp_server):
    server = smtp_server('starttls')
    result, failure = probe(server.params(source_address='127.0.0.2'))
    assert failure is None and result['client_address'] == '127.0.0.2'
    assert '[127.0.0.2]' not in result['ehlo_greeting']  # aiosmtpd greets with its name only
    _result, failure = probe(server.params(source_address='192.0.2.1'))
    assert failure == ('cannot connect to 127.0.0.1:%d: Cannot assign requested address '
                       '(source_address 192.0.2.1 is not an address of this host)' % server.port)


# --- through AnsibleModule -----------------------------------------------------------------

def test_module_main_reports_unchanged_in_check_mode_too(smtp_server, run_module):
    server = smtp_server('starttls')
    for check_mode in (False, True):
        rc, result, _out = run_module(smtp_ehlo_info, server.params(expect_auth_before_tls=[]), check_mode=check_mode)
        assert rc == 0
        assert result['changed'] is False
        assert result['auth_after_tls'] == ['LOGIN', 'PLAIN']
        assert 'failed' not in result


def test_module_main_failure_returns_everything_seen(smtp_server, run_module):
    server = smtp_server('starttls')
    rc, result, _out = run_module(smtp_ehlo_info, server.params(expect_auth_after_tls=[]))
    assert rc == 1
    assert result['failed'] is True
    assert result['msg'] == '1 expectation failed: auth_after_tls: expected no AUTH mechanisms, server offered [LOGIN, PLAIN]'
    assert result['auth_after_tls'] == ['LOGIN', 'PLAIN'] and result['tls']['version'] == 'TLSv1.3'


def test_module_main_rejects_unknown_tls_version(run_module):
    rc, result, _out = run_module(smtp_ehlo_info, {'min_tls_version': 'SSLv3'})
    assert rc == 1 and 'min_tls_version' in result['msg'] and 'SSLv3' in result['msg']


# --- every failure says what kind it is and what to do ---------------------------------------

def _closed_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_failure_kinds_and_hints(smtp_server, scripted_server, tls_material):
    """One row per way a probe can fail: (params, error_kind, words the hint must contain)."""
    starttls = smtp_server('starttls')
    plain = smtp_server('plain', auth_require_tls=False)
    rows = [
        ({'host': '127.0.0.1', 'port': _closed_port(), 'timeout': 1.0}, 'connection_refused', 'listens on that address'),
        ({'host': 'no-such-host.invalid', 'port': 25, 'timeout': 2.0}, 'dns', 'does not resolve on the probe host'),
        (scripted_server([('silence', 2)]).params(timeout=0.3), 'timeout', 'did not answer within 0.3s'),
        (scripted_server([('send', b'554 5.7.1 go away\r\n'), ('expect', b'QUIT'), ('send', b'221 bye\r\n')]).params(),
         'protocol', 'refused the session in its greeting'),
        (scripted_server([('send', b'SSH-2.0-OpenSSH_9.2p1\r\n'), ('silence', 1)]).params(), 'protocol',
         'did not follow the SMTP dialogue'),
        (plain.params(), 'tls_handshake', 'does not offer or refuses STARTTLS'),
        (scripted_server([('send', SENDMAIL_BANNER), ('silence', 1)]).params(tls='implicit'), 'tls_handshake',
         'tls=implicit matches the listener'),
        (starttls.params(ca_file=tls_material.other_ca_file, validate_certs=True), 'tls_verify',
         'give the PEM file of the CA that signed the certificate'),
        (starttls.params(ca_file='/nonexistent/ca.pem'), 'tls_verify', 'cannot be read on the probe host'),
        (starttls.params(expect_auth_after_tls=['CRAM-MD5']), 'expectation', 'see expectation_failures'),
        (starttls.params(client_max_tls_version='TLSv1.3', expect_tls_handshake_failure=True), 'expectation',
         'raise its minimum TLS version'),
    ]
    for params, kind, hint in rows:
        result, failure = probe(params)
        assert failure, params
        assert result['error_kind'] == kind, (params, result['error_kind'])
        assert hint in result['hint'], (params, result['hint'])
    result, failure = probe(starttls.params())
    assert failure is None and result['error_kind'] is None and result['hint'] is None
