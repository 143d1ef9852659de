# Copyright (c) mailrelay.sendmail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Table-driven tests of the relay's metrics collector (module_utils _metrics): queue files,
mailstats -P, certificate dates, systemctl, the gate's record, sendmail's log lines, and the
text it writes (checked by promtool when it is installed)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ansible_collections.mailrelay.sendmail.plugins.module_utils import _metrics as m

FIXTURES = Path(__file__).resolve().parents[2] / 'fixtures' / 'metrics'


@pytest.mark.parametrize('text, expected', [
    ('V8\nT1765120000\nK0\nN0\nRPFD:<bob@example.com>\nRPFD:<eve@example.com>\n.\n', {'created': 1765120000, 'recipients': 2}),
    ('V8\nK0\n', {'created': None, 'recipients': 0}),
    ('Tgarbage\nT1765000000\n', {'created': 1765000000, 'recipients': 0}),
])
def test_parse_qf(text, expected):
    assert m.parse_qf(text) == expected


@pytest.mark.parametrize('entries, expected', [
    ([], (0, 0)),
    ([{'created': 900, 'mtime': 950}, {'created': 990}], (2, 100)),
    ([{'created': None, 'mtime': 700}], (1, 300)),
    ([{'created': 1200}], (1, 0)),  # a clock step never gives a negative age
])
def test_queue_summary(entries, expected):
    assert m.queue_summary(entries, 1000) == expected


def test_scan_queue_reads_qf_files_only(tmp_path):
    (tmp_path / 'qfAB12345').write_text('V8\nT1765120000\nRPFD:<bob@example.com>\n')
    (tmp_path / 'dfAB12345').write_text('body\n')
    (tmp_path / 'xfAB12345').write_text('transcript\n')
    (tmp_path / 'qf').mkdir()
    (tmp_path / 'qf' / 'qfCD67890').write_text('V8\nT1765110000\n')
    entries = m.scan_queue(str(tmp_path))
    assert m.queue_summary(entries, 1765120060) == (2, 10060)


def test_parse_mailstats():
    stats = m.parse_mailstats((FIXTURES / 'mailstats-P.txt').read_text())
    assert stats['start'] == 1765120000
    assert sorted(stats['mailers']) == ['esmtp', 'local', 'relay']
    assert stats['mailers']['esmtp'] == {'messages_received': 4, 'received_kib': 12, 'messages_delivered': 6,
                                         'delivered_kib': 18, 'messages_rejected': 3, 'messages_discarded': 1,
                                         'messages_quarantined': 0}
    assert stats['connections'] == {'received': 4, 'sent': 7, 'rejected': 2}
    samples = m.mailstats_samples(stats)
    assert ('sendmail_mailer_received_bytes_total', {'mailer': 'esmtp'}, 12 * 1024) in samples
    assert ('sendmail_connections_rejected_total', {}, 2) in samples


@pytest.mark.parametrize('text, message', [
    ('', 'printed nothing'),
    ('Statistics from Mon Dec  7 17:00:00 2026\n', 'does not start'),
    ('1 2\n 3 1 2\n', 'unexpected mailstats line'),
    ('1 2\n C 1 2\n', 'unexpected mailstats C line'),
])
def test_parse_mailstats_refuses(text, message):
    with pytest.raises(m.MetricsError, match=message):
        m.parse_mailstats(text)


def test_parse_mailstats_without_names():
    stats = m.parse_mailstats('10 20\n 5        1          1        0          0        0       0       0\n')
    assert list(stats['mailers']) == ['5'] and stats['connections'] is None


@pytest.mark.parametrize('text, expected', [
    ('notAfter=Dec  7 17:20:03 2027 GMT\n', 1828200003),
    ('notAfter=Jan 31 00:00:00 2030 GMT', 1896048000),
])
def test_parse_enddate(text, expected):
    assert m.parse_enddate(text) == expected


def test_parse_enddate_refuses():
    with pytest.raises(m.MetricsError, match='no notAfter'):
        m.parse_enddate('unable to load certificate')


@pytest.mark.parametrize('text, optional, expected', [
    ('LoadState=loaded\nActiveState=active\n', False, ('mailrelay_service_up', {'service': 'sendmail'}, 1)),
    ('LoadState=loaded\nActiveState=failed\n', True, ('mailrelay_service_up', {'service': 'sendmail'}, 0)),
    ('LoadState=not-found\nActiveState=inactive\n', False, ('mailrelay_service_up', {'service': 'sendmail'}, 0)),
    ('LoadState=not-found\nActiveState=inactive\n', True, None),
])
def test_service_sample(text, optional, expected):
    assert m.service_sample('sendmail', m.parse_systemctl_show(text), optional) == expected


@pytest.mark.parametrize('value, expected', [
    ('2026-12-07T17:20:03Z', 1796664003),
    ('2026-12-07T17:20:03.500000+00:00', 1796664003.5),
    ('2026-12-07T18:20:03+01:00', 1796664003),
])
def test_parse_iso_time(value, expected):
    assert m.parse_iso_time(value) == expected


def test_parse_iso_time_refuses():
    with pytest.raises(m.MetricsError, match='not an ISO 8601 time'):
        m.parse_iso_time('yesterday')


def test_generation_samples():
    history = {'generations': {'0003': {'sw_id': '0123456789abcdef', 'switched_at': ['2026-12-01T10:00:00Z', '2026-12-07T17:20:03Z']}}}
    assert m.generation_samples('generations/0003', history, 'debian-12') == [
        ('mailrelay_generation_info', {'generation': '0003', 'sw_id': '0123456789abcdef', 'platform': 'debian-12'}, 1),
        ('mailrelay_generation_switch_timestamp_seconds', {}, 1796664003),
        ('mailrelay_generation_stale', {}, 0)]
    assert m.generation_samples('generations/0004', {}, 'debian-13') == [
        ('mailrelay_generation_info', {'generation': '0004', 'sw_id': '', 'platform': 'debian-13'}, 1),
        ('mailrelay_generation_stale', {}, 0)]


# served records as the generation module writes them (_generation.record_served)
SERVED_0007 = {'sendmail': {'generation': '0007', 'at': '2026-12-07T17:20:05Z'},
               'saslauthd': {'generation': '0007', 'at': '2026-12-07T17:20:06Z'}}


@pytest.mark.parametrize('current, served, serving, stale', [
    # both daemons restarted with the live generation
    ('0007', SERVED_0007, [('saslauthd', '0007'), ('sendmail', '0007')], 0),
    # switched to 0008, the run cut before sendmail's reload: sendmail still serves 0007
    ('0008', dict(SERVED_0007, saslauthd={'generation': '0008', 'at': '2026-12-08T09:00:00Z'}),
     [('saslauthd', '0008'), ('sendmail', '0007')], 1),
    # rolled back to 0006 by hand (the current link), no daemon restarted since
    ('0006', SERVED_0007, [('saslauthd', '0007'), ('sendmail', '0007')], 1),
    # a history from before the served records, or without saslauthd: what is not recorded is not stale
    ('0007', None, [], 0),
    ('0007', {}, [], 0),
    ('0007', {'sendmail': {'generation': '0007', 'at': 'x'}}, [('sendmail', '0007')], 0),
    # records that say nothing are left out, whatever they hold
    ('0007', {'sendmail': {'generation': '0007'}, 'saslauthd': None, 'x': 'junk', 'y': {'at': 'now'}}, [('sendmail', '0007')], 0),
    ('0007', ['sendmail'], [], 0),
])
def test_serving_samples(current, served, serving, stale):
    history = {'generations': {current: {'sw_id': '0123456789abcdef'}}}
    if served is not None:
        history['served'] = served
    samples = m.generation_samples('/var/lib/mailrelay/generations/%s' % current, history, 'debian-12')
    assert samples[0] == ('mailrelay_generation_info', {'generation': current, 'sw_id': '0123456789abcdef', 'platform': 'debian-12'}, 1)
    assert [(labels['service'], labels['generation']) for name, labels, value in samples
            if name == 'mailrelay_generation_serving_info'] == serving
    assert all(value == 1 for name, labels, value in samples if name == 'mailrelay_generation_serving_info')
    assert [value for name, labels, value in samples if name == 'mailrelay_generation_stale'] == [stale]
    assert m.serving_samples(current, history) == samples[1:]


def test_serving_samples_agree_with_the_generation_modules_stale_services():
    from ansible_collections.mailrelay.sendmail.plugins.module_utils import _generation as g
    history = g.new_history()
    g.record_served(history, ['sendmail', 'saslauthd'], '0007', '2026-12-07T17:20:05Z')
    g.record_served(history, ['saslauthd'], '0008', '2026-12-08T09:00:00Z')
    for current in ('0007', '0008', '0009'):
        stale = [value for name, labels, value in m.serving_samples(current, history) if name == 'mailrelay_generation_stale']
        assert stale == [1 if g.stale_services(history, current) else 0], current
    text = m.render(m.serving_samples('0008', history))
    assert 'mailrelay_generation_serving_info{generation="0008",service="saslauthd"} 1\n' in text
    assert 'mailrelay_generation_serving_info{generation="0007",service="sendmail"} 1\n' in text
    assert 'mailrelay_generation_stale 1\n' in text


def test_gate_samples_fold_addresses_per_listener_check():
    record = {'time': '2026-12-07T17:20:03Z', 'ok': False, 'listeners': [
        {'name': 'MTA', 'port': 25, 'address': '10.0.0.1', 'checks': [{'name': 'ehlo', 'ok': True}, {'name': 'auth', 'ok': True}]},
        {'name': 'MTA', 'port': 25, 'address': '10.0.0.2', 'checks': [{'name': 'ehlo', 'ok': True}, {'name': 'auth', 'ok': False}]},
        {'name': 'MSA', 'port': 587, 'address': '10.0.0.1', 'checks': [{'name': 'auth', 'ok': True}]},
    ]}
    assert m.gate_samples(record) == [
        ('mailrelay_gate_success', {}, 0),
        ('mailrelay_gate_last_run_timestamp_seconds', {}, 1796664003),
        ('mailrelay_gate_check_success', {'listener': 'MSA', 'port': '587', 'check': 'auth'}, 1),
        ('mailrelay_gate_check_success', {'listener': 'MTA', 'port': '25', 'check': 'auth'}, 0),
        ('mailrelay_gate_check_success', {'listener': 'MTA', 'port': '25', 'check': 'ehlo'}, 1)]


# Lines as sendmail 8.17/8.18 writes them at LogLevel 9 and 10 (srvrsmtp.c, tls.c, proto.m4);
# real lines from the Molecule relays are in fixtures/metrics/sendmail-journal.txt.
@pytest.mark.parametrize('line, expected', [
    ('AUTH=server, relay=client.example [192.0.2.7], authid=alice, mech=PLAIN, bits=0',
     ('sendmail_smtp_auth_total', {'mechanism': 'PLAIN', 'code': '235', 'sasl_result': '0'})),
    ('6B7HK3ab012345: AUTH failure (login): authentication failure (-13) SASL(-13): authentication failure: '
     'checkpass failed, user=alice, relay=client.example [192.0.2.7]',
     ('sendmail_smtp_auth_total', {'mechanism': 'LOGIN', 'code': '535', 'sasl_result': '-13'})),
    ('6B7HK3ab012345: AUTH failure (PLAIN): generic failure (-1) SASL(-1): generic failure: checkpass failed, relay=[192.0.2.7]',
     ('sendmail_smtp_auth_total', {'mechanism': 'PLAIN', 'code': '535', 'sasl_result': '-1'})),
    ('SMTP AUTH command (AUTH PLAIN) from [192.0.2.7] tempfailed (due to previous checks)',
     ('sendmail_smtp_auth_total', {'mechanism': 'unknown', 'code': '454', 'sasl_result': 'unknown'})),
    ('STARTTLS=server, relay=client.example [192.0.2.7], version=TLSv1.3, verify=OK, cipher=TLS_AES_256_GCM_SHA384, bits=256/256',
     ('sendmail_tls_handshakes_total', {'side': 'server', 'version': 'TLSv1.3', 'verify': 'OK'})),
    ('STARTTLS=client, relay=smarthost.example., version=TLSv1.2, verify=FAIL, cipher=ECDHE-RSA-AES256-GCM-SHA384, bits=256/256',
     ('sendmail_tls_handshakes_total', {'side': 'client', 'version': 'TLSv1.2', 'verify': 'FAIL'})),
    ('STARTTLS=server, error: accept failed=-1, reason=unsupported protocol, SSL_error=1, errno=0, retry=-1, relay=[192.0.2.7]',
     ('sendmail_tls_handshake_failures_total', {'side': 'server'})),
    ('6B7HK3ab012345: ruleset=check_rcpt, arg1=<x@example.com>, relay=[192.0.2.7], reject=550 5.7.1 <x@example.com>... '
     'Relaying denied. Proper authentication required.',
     ('sendmail_relay_refusals_total', {})),
    ('6B7HK3ab012345: from=<a@example.com>, size=312, class=0, nrcpts=1, proto=ESMTPSA, daemon=MSA, relay=[192.0.2.7]', None),
    ('STARTTLS=server, error: SSL_set_ex_data failed=0', None),
])
def test_classify_log_line(line, expected):
    assert m.classify_log_line(line) == expected


def test_count_log_lines_accumulates():
    counters = m.count_log_lines({}, ['AUTH failure (PLAIN): authentication failure (-13) x, relay=[192.0.2.7]'] * 3)
    counters = m.count_log_lines(counters, ['AUTH failure (PLAIN): authentication failure (-13) x, relay=[192.0.2.7]', 'hello'])
    samples = m.counter_samples(counters)
    assert ('sendmail_smtp_auth_total', {'mechanism': 'PLAIN', 'code': '535', 'sasl_result': '-13'}, 4) in samples
    assert ('sendmail_log_lines_total', {}, 5) in samples


@pytest.mark.parametrize('text, expected', [
    ('a\nb\n-- cursor: s=abc;i=12\n', (['a', 'b'], 's=abc;i=12')),
    ('', ([], None)),
    ('a\n', (['a'], None)),
])
def test_split_journal(text, expected):
    assert m.split_journal(text) == expected


def test_real_journal_lines_are_counted():
    """52 lines of sendmail 8.18.1 from the metrics scenario's relay (journalctl SYSLOG_IDENTIFIER=sendmail
    -o cat): the gate's probes and the verify step's 5 wrong passwords. The expected counts were taken
    with grep (AUTH=server / AUTH failure / STARTTLS=..., relay= / accept failed / Relaying denied);
    the second line sendmail writes for a failed handshake (STARTTLS=server: error:...) is not counted again."""
    lines = (FIXTURES / 'sendmail-journal.txt').read_text().splitlines()
    counters = m.count_log_lines({}, lines)
    expected = json.loads((FIXTURES / 'sendmail-journal.expected.json').read_text())
    assert dict((family, sum(counters.get(family, {}).values())) for family in expected) == expected
    samples = m.counter_samples(counters)
    assert ('sendmail_smtp_auth_total', {'mechanism': 'PLAIN', 'code': '535', 'sasl_result': '-13'}, 5) in samples
    assert ('sendmail_smtp_auth_total', {'mechanism': 'LOGIN', 'code': '235', 'sasl_result': '0'}, 9) in samples
    assert ('sendmail_tls_handshakes_total', {'side': 'server', 'version': 'TLSv1.3', 'verify': 'NOT'}, 6) in samples


def test_render_orders_families_and_escapes():
    text = m.render([('mailrelay_service_up', {'service': 'a"b\\c'}, 1),
                     ('sendmail_queue_messages', {'queue': 'mqueue'}, 3),
                     ('mailrelay_gate_last_run_timestamp_seconds', {}, 1796664003.5)])
    assert text.splitlines() == [
        '# HELP sendmail_queue_messages Messages in the queue (qf files).',
        '# TYPE sendmail_queue_messages gauge',
        'sendmail_queue_messages{queue="mqueue"} 3',
        '# HELP mailrelay_service_up Whether a service of the mail path is active (1) or not (0).',
        '# TYPE mailrelay_service_up gauge',
        'mailrelay_service_up{service="a\\"b\\\\c"} 1',
        '# HELP mailrelay_gate_last_run_timestamp_seconds When the last verification gate ran.',
        '# TYPE mailrelay_gate_last_run_timestamp_seconds gauge',
        'mailrelay_gate_last_run_timestamp_seconds 1796664003.5']


def test_render_refuses_unknown_names():
    with pytest.raises(m.MetricsError, match='unknown metric'):
        m.render([('sendmail_nonsense', {}, 1)])


def _every_family():
    samples = m.mailstats_samples(m.parse_mailstats((FIXTURES / 'mailstats-P.txt').read_text()))
    samples += m.gate_samples({'time': '2026-12-07T17:20:03Z', 'ok': True,
                               'listeners': [{'name': 'MTA', 'port': 25, 'checks': [{'name': 'ehlo', 'ok': True}]}]})
    samples += m.generation_samples('generations/0001', {'generations': {'0001': {'switched_at': ['2026-12-07T17:20:03Z']}},
                                                         'served': {'sendmail': {'generation': '0001', 'at': '2026-12-07T17:20:05Z'}}},
                                    'debian-12')
    samples += m.counter_samples(m.count_log_lines({}, [
        'AUTH=server, relay=[192.0.2.7], authid=alice, mech=PLAIN, bits=0',
        'STARTTLS=server, relay=[192.0.2.7], version=TLSv1.3, verify=NO, cipher=TLS_AES_256_GCM_SHA384, bits=256/256',
        'STARTTLS=server, error: accept failed=-1, reason=x, SSL_error=1, errno=0, retry=-1, relay=[192.0.2.7]',
        'ruleset=check_rcpt, arg1=<x@example.com>, relay=[192.0.2.7], reject=550 5.7.1 <x@example.com>... Relaying denied']))
    samples += [('sendmail_queue_messages', {'queue': 'mqueue'}, 0),
                ('sendmail_queue_oldest_message_age_seconds', {'queue': 'mqueue'}, 0),
                ('mailrelay_certificate_expiry_timestamp_seconds', {'certificate': 'server'}, 1828200003),
                ('mailrelay_service_up', {'service': 'sendmail'}, 1),
                ('mailrelay_collector_source_success', {'source': 'queue'}, 1),
                ('mailrelay_collector_last_run_timestamp_seconds', {}, 1796664003)]
    return samples


def test_every_family_is_rendered():
    text = m.render(_every_family())
    assert set(name for name, _kind, _help in m.FAMILIES) == set(
        line.split()[2] for line in text.splitlines() if line.startswith('# TYPE '))


@pytest.mark.skipif(not shutil.which('promtool'), reason='promtool not installed (Debian package prometheus)')
def test_promtool_accepts_the_output():
    proc = subprocess.run(['promtool', 'check', 'metrics'], input=m.render(_every_family()),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout


def test_write_atomic_replaces_whole_file(tmp_path):
    target = tmp_path / 'mailrelay.prom'
    target.write_text('old\n')
    m.write_atomic(str(target), 'new\n')
    assert target.read_text() == 'new\n'
    assert [p.name for p in tmp_path.iterdir()] == ['mailrelay.prom']
